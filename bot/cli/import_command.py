"""`renewals-bot import FILE.csv [--team T] [--skip-invalid]`.

Reads the partner dashboard's export, imports it in one transaction (all or nothing
unless --skip-invalid), prints a summary, and links partner members named by email to
their Slack accounts when a bot token is configured.
"""

from __future__ import annotations

import getpass
import re
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from blocks.format import exported_view_note, plural
from bot.cli.terminal import import_progress
from bot.errors import UserError
from bot.import_run import link_partner_members, write_import
from bot.settings import Settings
from bot.slack.web_client import make_web_client
from store.csv_format import CsvFormatError, parse_bytes
from store.db import make_engine, migrate
from store.import_runs import ImportVia
from store.importer import ImportResult

TEAM_ID = re.compile(r"T[A-Z0-9]{1,31}")
MAX_WARNINGS_SHOWN = 200
NO_TEAM = (
    "which workspace are these rows for? Pass --team with its Slack team ID (like T0123ABCD), "
    "or set SLACK_BOT_TOKEN to use the bot's own workspace"
)


def import_actor() -> str:
    """Who the audit log says imported: the command and, when known, the OS user."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        return "cli:import"
    return f"cli:import:{user}"[:64]


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder, not a CSV file") from None
    except PermissionError:
        raise UserError(f"{path}: permission denied") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def _check_team(team: str) -> str:
    team = team.strip()
    if not TEAM_ID.fullmatch(team):
        raise UserError(f"--team {team!r} is not a Slack team ID (like T0123ABCD)")
    return team


def _bot_team(client: WebClient) -> str:
    """The bot token's workspace, as auth.test reports it."""
    try:
        answer = client.auth_test()
    except SlackApiError as exc:
        raise UserError(
            f"Slack refused the bot token ({exc.response.get('error')}); check SLACK_BOT_TOKEN or pass --team"
        ) from None
    except (SlackClientError, OSError) as exc:
        raise UserError(f"cannot reach Slack to find the bot's workspace ({exc}); pass --team") from None
    team = answer.get("team_id")
    if not team:
        raise UserError("Slack did not say which workspace the bot token belongs to; pass --team")
    return str(team)


def report_lines(result: ImportResult) -> list[str]:
    """The summary a person reads after an import."""
    lines = []
    if result.problems:
        heading = "Skipped rows" if not result.rejected else "Invalid rows"
        lines.append(f"{heading} ({len(result.problems)}):")
        lines.extend(f"  {problem}" for problem in result.problems)
    if result.warnings:
        lines.append(f"Warnings ({len(result.warnings)}):")
        lines.extend(f"  {warning}" for warning in result.warnings[:MAX_WARNINGS_SHOWN])
        if len(result.warnings) > MAX_WARNINGS_SHOWN:
            lines.append(f"  … and {len(result.warnings) - MAX_WARNINGS_SHOWN} more warnings")
    verb = "Nothing imported from" if result.rejected else "Imported"
    lines.append(f"{verb} {result.source} into workspace {result.team_id}: {result.rows} rows")
    lines.append(
        f"  {result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
        f"{result.invalid} invalid, {result.removed} removed, {len(result.warnings)} warnings"
    )
    if result.exported_view is not None:
        lines.append(f"  {exported_view_note(result.exported_view)}")
    if not result.rejected:
        lines.append(
            f"  clients: {result.clients_created} created, {result.clients_updated} updated; "
            f"contacts added: {result.contacts_added}; partner members added: {result.members_added}"
        )
    if result.unknown_columns:
        lines.append(f"  unknown columns (ignored): {', '.join(result.unknown_columns)}")
    if not result.rejected and not result.written:
        lines.append("  nothing changed")
    return lines


def run_import(settings: Settings, path: Path, *, team: str | None, skip_invalid: bool) -> int:
    if team is None and settings.slack_bot_token is None:
        raise UserError(NO_TEAM)
    team = _check_team(team) if team is not None else None
    data = read_file(path)
    lines = data.count(b"\n")
    with import_progress(lines) as progress:
        # The file first: a bad file is reported before Slack or the database are touched.
        progress.phase("Reading rows", lines)
        try:
            parsed = parse_bytes(data, name=path.name, progress=progress.reached)
        except CsvFormatError as exc:
            raise UserError(str(exc)) from None
        del data  # parsed: a big file's bytes need not stay in memory while the database works
        slack = make_web_client(settings, quiet=True) if settings.slack_bot_token is not None else None
        bot_team = _bot_team(slack) if slack is not None and team is None else None
        team = team or bot_team
        assert team is not None
        engine = make_engine(settings.database_url)
        try:
            migrate(engine)
            # The one import path (bot/import_run.py): written and recorded in the history in one
            # transaction, then "What changed" posted when there is a bot token.
            result = write_import(
                settings,
                engine,
                parsed,
                team,
                actor=import_actor(),
                source=path.name,
                via=ImportVia.COMMAND_LINE,
                skip_invalid=skip_invalid,
                progress=progress,
            )
            assert result is not None  # no expected version: always written (or refused)
        finally:
            engine.dispose()

    for line in report_lines(result):
        print(line)
    if result.rejected:
        shown = ", ".join(str(p.line) for p in result.problems[:10])
        more = ", …" if len(result.problems) > 10 else ""
        raise UserError(
            f"{plural(result.invalid, 'invalid row')} (line {shown}{more}): "
            "nothing was imported; fix them, or pass --skip-invalid to import the valid rows"
        )
    if slack is not None and result.member_emails:
        try:
            bot_team = bot_team or _bot_team(slack)
        except UserError as exc:
            print(f"  warning: partner members not linked to Slack: {exc}")
            return 0
        if bot_team != team:
            print(f"  partner members not linked to Slack: the bot token is for {bot_team}, not {team}")
        else:
            engine = make_engine(settings.database_url)
            try:
                links = link_partner_members(engine, slack, result)
            finally:
                engine.dispose()
            if links.linked:
                print(f"  linked to Slack: {', '.join(links.linked)}")
            for problem in links.problems:
                print(f"  warning: {problem}")
    return 0
