"""`/renewals imports` (the workspace's last imports) and how an import is named elsewhere
("import of export.csv by command line" in a client's history and in "What changed")."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from blocks.format import plural
from blocks.limits import SECTION_CHARS
from blocks.message import Message, section
from blocks.text import mrkdwn, slack_date, truncate, who
from store.import_runs import ImportVia
from store.models import ImportRun

FILE_NAME_CHARS = 120
COMMAND_LINE = "command line"


def importer_text(run: ImportRun) -> str:
    """Who ran the import: a mention, or "command line" (mrkdwn)."""
    return COMMAND_LINE if run.via == ImportVia.COMMAND_LINE.value else who(run.actor)


def import_name(run: ImportRun, *, capital: bool = False) -> str:
    """'import of *export.csv* by <@U1>' (mrkdwn)."""
    word = "Import" if capital else "import"
    return f"{word} of *{mrkdwn(run.file_name, FILE_NAME_CHARS)}* by {importer_text(run)}"


def import_counts(run: ImportRun) -> str:
    return (
        f"{run.created:,} created, {run.updated:,} updated, {run.unchanged:,} unchanged, "
        f"{run.invalid:,} invalid, {run.removed:,} removed, {run.skipped:,} skipped"
    )


def imports_reply(runs: list[ImportRun]) -> Message:
    """The last imports, newest first (one section each)."""
    if not runs:
        text = (
            "No imports yet. The partner dashboard's export gets in with `renewals-bot import FILE.csv` "
            "on the server, or `/renewals import` (admins)."
        )
        return Message(text=text, blocks=[section(text)])
    heading = f"*Last {plural(len(runs), 'import')}*, newest first"
    blocks: list[Block] = [section(heading)]
    lines = [heading]
    for run in runs:
        line = f"{slack_date(run.at)} · {import_name(run)}\n{plural(run.rows, 'row')}: {import_counts(run)}"
        blocks.append(section(line))
        lines.append(f"• {line}")
    return Message(text=truncate("\n".join(lines), SECTION_CHARS), blocks=blocks)
