"""An import from start to end, the same for `renewals-bot import` and the Slack import modal.

- `import_rows`: the one call to the importer (both surfaces go through it, for the preview
  and for the write), so the parser's rows meet the same upsert and transaction rules, and every
  import that writes is recorded in the history (store.import_runs.record_import);
- `preview_import`: a dry run in a transaction that is always rolled back, and the workspace's
  data version it was made against;
- `write_import`: the write, one transaction (for the Slack modal, only while the data version
  is still the previewed one);
- `announce`: after a write has committed, "What changed" to the workspace's digest channels
  when a bot token is at hand (otherwise the running app's ticker posts it within a minute);
- `link_partner_members`: after the write, partner members named by email linked to Slack users.

Slack is called only after a transaction has ended, never inside one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from bot.errors import UserError
from bot.jobs.import_alerts import announce_import
from bot.settings import Settings
from store.bulk_io import ImportProgress, one_version_change
from store.csv_format import ParsedFile
from store.data_version import data_version
from store.db import session_scope
from store.import_runs import ImportVia, record_import
from store.importer import ImportResult
from store.members import link_member, unlinked_members
from store.workspaces import ensure_workspace, get_workspace, lock_workspace

logger = logging.getLogger(__name__)


def import_rows(
    parsed: ParsedFile,
    team_id: str,
    *,
    session: Session,
    actor: str,
    source: str,
    via: ImportVia,
    skip_invalid: bool,
    progress: ImportProgress | None = None,
) -> ImportResult:
    """Import parsed rows into `team_id`'s workspace in the caller's transaction (never commits),
    recorded in the import history (`result.import_id`; None when refused for invalid rows).

    The workspace row is locked first, so imports of one workspace (CLI or Slack, preview or
    write) run one after the other on PostgreSQL and each sees what the one before wrote.
    """
    lock_workspace(team_id, session=session)
    # SQLite's per-row data version triggers give way to one change for the whole import.
    with one_version_change(session, team_id):
        return record_import(
            parsed,
            team_id,
            session=session,
            actor=actor,
            file_name=source,
            via=via,
            skip_invalid=skip_invalid,
            progress=progress,
        )


@dataclass(frozen=True)
class Preview:
    """What an import would do, and the data version it would do it against."""

    result: ImportResult
    data_version: int


def preview_import(engine: Engine, parsed: ParsedFile, team_id: str, *, actor: str, source: str) -> Preview:
    """The import done in full, then rolled back: nothing is written, the counts are the real ones.

    Invalid rows are skipped so the counts say what the valid rows would do; whether invalid rows
    stop the write is decided when the person presses "Import".
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            workspace = ensure_workspace(team_id, session=session)
            assert workspace.id is not None
            version = data_version(workspace.id, session=session)
            result = import_rows(
                parsed,
                team_id,
                session=session,
                actor=actor,
                source=source,
                via=ImportVia.SLACK,
                skip_invalid=True,
            )
        finally:
            session.rollback()
    result.import_id = None  # rolled back: no such import
    return Preview(result=result, data_version=version)


def write_import(
    settings: Settings,
    engine: Engine,
    parsed: ParsedFile,
    team_id: str,
    *,
    actor: str,
    source: str,
    via: ImportVia,
    skip_invalid: bool,
    progress: ImportProgress | None = None,
    expected_version: int | None = None,
) -> ImportResult | None:
    """Import in one transaction, then announce what changed. A database that refuses is a
    `UserError` (one line): nothing was written.

    With `expected_version` (the Slack modal's preview), nothing is written and None returned when
    the workspace's data is no longer at that version (another import or change since the preview).
    """
    try:
        with session_scope(engine) as session:
            if expected_version is not None:
                # Locked before the version is read: no other import can slip in between.
                workspace = lock_workspace(team_id, session=session) or ensure_workspace(
                    team_id, session=session
                )
                assert workspace.id is not None
                if data_version(workspace.id, session=session) != expected_version:
                    return None
            result = import_rows(
                parsed,
                team_id,
                session=session,
                actor=actor,
                source=source,
                via=via,
                skip_invalid=skip_invalid,
                progress=progress,
            )
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise UserError(f"the database refused the import, nothing was written: {reason}") from None
    announce(settings, engine, result)
    return result


def announce(settings: Settings, engine: Engine, result: ImportResult) -> None:
    """After the import committed: "What changed" to the digest channels, when it matters. The
    import is saved whatever happens here; what is not posted now the running app's ticker posts."""
    if result.import_id is None or not result.what_changed.matters:
        return
    try:
        announce_import(settings, engine, result.import_id)
    except Exception:
        logger.exception("what changed of import %s: not posted now, left to the app", result.import_id)


@dataclass
class LinkReport:
    linked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def link_partner_members(engine: Engine, client: WebClient, result: ImportResult) -> LinkReport:
    """Link the partner members the file named to Slack users (users.lookupByEmail).

    Nothing here can fail the import, which is already saved: problems become warning lines.
    """
    report = LinkReport()
    try:
        with session_scope(engine) as session:
            workspace = get_workspace(result.team_id, session=session)
            if workspace is None or workspace.id is None:
                return report
            members = unlinked_members(workspace.id, result.member_emails, session=session)
        # Slack is asked outside the transaction; each link is then saved in its own.
        for member in members:
            email = member.email or ""
            try:
                answer = client.users_lookupByEmail(email=email)
            except SlackApiError as exc:
                error = exc.response.get("error")
                if error == "users_not_found":
                    report.problems.append(f"{email} is not a Slack user in this workspace")
                else:
                    report.problems.append(f"could not look up {email} in Slack ({error})")
                continue
            except (SlackClientError, OSError) as exc:
                report.problems.append(f"could not look up {email} in Slack ({exc})")
                continue
            user = answer.get("user") or {}
            name = user.get("real_name") or (user.get("profile") or {}).get("real_name") or None
            with session_scope(engine) as session:
                problem = link_member(session.merge(member), str(user.get("id")), session=session, name=name)
            if problem:
                report.problems.append(problem)
            else:
                report.linked.append(email)
    except DBAPIError as exc:
        report.problems.append(f"could not save the Slack links ({type(exc.orig).__name__})")
    return report
