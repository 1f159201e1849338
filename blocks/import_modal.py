"""`/renewals import`: the upload modal, "Reading…", the preview, and what the import did.

The counts are read from `ImportResult` in one place (`import_counts`), in the contract's words,
for the preview and the result alike. Readers of the modal's state are here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextObject,
)
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View

from blocks.format import exported_view_note, plural
from blocks.ids import ActionId, BlockId, ViewId
from blocks.limits import FILE_INPUT_MAX_BYTES, PRIVATE_METADATA_CHARS
from blocks.message import context, section
from blocks.text import mrkdwn
from blocks.values import ImportPreviewRef, ImportUploadRef, encode
from blocks.views import message_modal, modal
from store.importer import ImportResult

TITLE = "Import CSV"
PREVIEW_TITLE = "Import preview"
DONE_TITLE = "Import done"
MAX_LINES_SHOWN = 20  # invalid rows and warnings listed; the rest are counted
LINE_CHARS = 130  # one listed line: 20 of them and a heading fit a section's 3,000 characters
NAME_CHARS = 200
SKIP_VALUE = "skip"
SKIP_LABEL = "Skip invalid rows"
CHANGED = (
    ":warning: The file or the workspace's data changed since your preview (another import, perhaps), "
    "so nothing was written. This is what *Import* would do now."
)


def import_counts(result: ImportResult) -> list[tuple[str, int]]:
    """What an import did or would do, in the contract's words, straight from the result's fields."""
    return [
        ("created", result.created),
        ("updated", result.updated),
        ("unchanged", result.unchanged),
        ("invalid", result.invalid),
        ("removed", result.removed),
    ]


def counts_text(result: ImportResult) -> str:
    return " · ".join(f"*{count:,}* {label}" for label, count in import_counts(result))


def _export_note(result: ImportResult) -> list[Block]:
    """The one line that says an import of the app's own export removes nothing, and why."""
    if result.exported_view is None:
        return []
    note = exported_view_note(result.exported_view)
    return [context(mrkdwn(note[0].upper() + note[1:], 500))]


def _name(name: str) -> str:
    return f"*{mrkdwn(name, NAME_CHARS)}*"


def _listed(heading: str, lines: Sequence[object]) -> Block:
    """A heading and the first MAX_LINES_SHOWN lines, then how many more."""
    shown = [f"• {mrkdwn(str(line), LINE_CHARS)}" for line in lines[:MAX_LINES_SHOWN]]
    if len(lines) > MAX_LINES_SHOWN:
        shown.append(f"… and {len(lines) - MAX_LINES_SHOWN:,} more")
    return section("\n".join([f"*{heading}* ({len(lines):,})", *shown]))


def _details(result: ImportResult) -> list[Block]:
    blocks: list[Block] = []
    if result.problems:
        blocks.append(_listed("Invalid rows", result.problems))
    if result.unknown_columns:
        columns = ", ".join(mrkdwn(column, 100) for column in result.unknown_columns)
        blocks.append(section(f"*Unknown columns* (ignored): {columns}"))
    if result.warnings:
        blocks.append(_listed("Warnings", result.warnings))
    return blocks


def upload_modal(ref: ImportUploadRef, *, problem: str | None = None) -> View:
    """The file input (one CSV); `problem` (plain text) says why the last file was not usable."""
    megabytes = FILE_INPUT_MAX_BYTES // (1024 * 1024)
    blocks: list[Block] = []
    if problem:
        blocks.append(section(f":warning: {mrkdwn(problem, 2000)}"))
    blocks += [
        section(
            "Upload the partner dashboard's CSV export (UTF-8, one file, up to "
            f"{megabytes} MB). You see what it would change before anything is written."
        ),
        InputBlock(
            block_id=BlockId.IMPORT_FILE_INPUT.value,
            label=PlainTextObject(text="CSV file"),
            element=FileInputElement(action_id=ActionId.IMPORT_FILE.value, filetypes=["csv"], max_files=1),
        ),
    ]
    return modal(
        ViewId.IMPORT_UPLOAD,
        TITLE,
        blocks,
        submit="Preview",
        private_metadata=encode(ref, limit=PRIVATE_METADATA_CHARS),
    )


def working_modal(verb: str, name: str) -> View:
    """What the modal says while the app reads or imports a file: `verb` is "Reading" or "Importing"."""
    return message_modal(ViewId.IMPORT_WORKING, TITLE, f"{verb} {_name(name)}…", close="Cancel")


def preview_modal(result: ImportResult, ref: ImportPreviewRef, *, changed: bool = False) -> View:
    """What importing the file would do; "Import" writes it, "Cancel" writes nothing."""
    blocks: list[Block] = []
    if changed:
        blocks.append(section(CHANGED))
    blocks.append(
        section(
            f"{_name(ref.name)}: {plural(result.rows, 'row')}. *Import* would do this:\n{counts_text(result)}"
        )
    )
    if result.clients_created or result.clients_updated:
        blocks.append(
            context(
                f"Clients: {result.clients_created:,} created, {result.clients_updated:,} updated. "
                "Clients the file does not mention stay as they are."
            )
        )
    blocks += _export_note(result)
    blocks += _details(result)
    if result.problems:
        blocks.append(
            InputBlock(
                block_id=BlockId.IMPORT_SKIP_INPUT.value,
                label=PlainTextObject(text="Invalid rows"),
                optional=True,
                hint=PlainTextObject(text="Without it, nothing is imported while any row is invalid."),
                element=CheckboxesElement(
                    action_id=ActionId.IMPORT_SKIP_INVALID.value,
                    options=[Option(value=SKIP_VALUE, text=PlainTextObject(text=SKIP_LABEL))],
                ),
            )
        )
    blocks.append(
        context("Nothing is written until you press *Import*; *Cancel* leaves everything as it is.")
    )
    return modal(
        ViewId.IMPORT_PREVIEW,
        PREVIEW_TITLE,
        blocks,
        submit="Import",
        private_metadata=encode(ref, limit=PRIVATE_METADATA_CHARS),
    )


def needs_skip_error(invalid: int) -> dict[str, str]:
    """The inline error when "Import" is pressed with invalid rows and "Skip invalid rows" unticked."""
    return {
        BlockId.IMPORT_SKIP_INPUT.value: (
            f"{plural(invalid, 'row')} {'is' if invalid == 1 else 'are'} invalid: tick “{SKIP_LABEL}” to "
            "import the others, or fix the file and upload it again."
        )
    }


def done_modal(
    result: ImportResult, *, linked: Sequence[str] = (), link_problems: Sequence[str] = ()
) -> View:
    """What the import wrote."""
    if result.rejected:
        head = f"Nothing imported from {_name(result.source)}: {plural(result.invalid, 'invalid row')}."
    elif result.written:
        head = f"Imported {_name(result.source)}: {plural(result.rows, 'row')}.\n{counts_text(result)}"
    else:
        head = f"Imported {_name(result.source)}: nothing changed.\n{counts_text(result)}"
    blocks: list[Block] = [section(head), *_export_note(result)]
    if result.problems:
        blocks.append(_listed("Skipped invalid rows", result.problems))
    if linked:
        emails = ", ".join(mrkdwn(email, 100) for email in linked[:MAX_LINES_SHOWN])
        blocks.append(context(f"Linked to Slack: {emails}"))
    if link_problems:
        blocks.append(_listed("Not linked to Slack", link_problems))
    return modal(ViewId.IMPORT_DONE, DONE_TITLE, blocks, close="Close")


def problem_modal(problem: str) -> View:
    """A file that could not be imported after "Import" was pressed; nothing was written."""
    return message_modal(
        ViewId.IMPORT_DONE, TITLE, f":warning: {mrkdwn(problem, 2000)}\nNothing was imported.", close="Close"
    )


def _state_value(values: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    return (values.get(block_id) or {}).get(action_id) or {}


def read_chosen_file(values: dict[str, Any]) -> tuple[str, str] | None:
    """(ID, name) of the file chosen in the upload modal: Slack sends the uploaded file objects."""
    files = _state_value(values, BlockId.IMPORT_FILE_INPUT.value, ActionId.IMPORT_FILE.value).get("files")
    if not isinstance(files, list) or not files or not isinstance(files[0], dict):
        return None
    file_id, name = files[0].get("id"), files[0].get("name")
    if not isinstance(file_id, str) or not 0 < len(file_id) <= 64:
        return None
    return file_id, name if isinstance(name, str) and name else file_id


def read_skip_invalid(values: dict[str, Any]) -> bool:
    ticked = _state_value(values, BlockId.IMPORT_SKIP_INPUT.value, ActionId.IMPORT_SKIP_INVALID.value)
    return any(option.get("value") == SKIP_VALUE for option in ticked.get("selected_options") or [])
