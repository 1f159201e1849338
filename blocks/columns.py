"""The columns modal of `/renewals`: pick the optional columns, see the locked ones."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.ids import ActionId, BlockId, ViewId
from blocks.limits import MODAL_TITLE_CHARS, PRIVATE_METADATA_CHARS
from blocks.values import PageRef, encode
from store.columns import LOCKED, OPTIONAL, Column

TITLE = "Table columns"
assert len(TITLE) <= MODAL_TITLE_CHARS


def columns_modal(visible: Sequence[Column], origin: PageRef) -> View:
    """Checkboxes for the optional columns, ticked as the person has them now.

    `origin` (the table it was opened from, and the team) rides in private_metadata so
    the submission can be checked against the request's own workspace.
    """
    chosen = [column for column in OPTIONAL if column in visible]
    options = [Option(value=column.value, text=PlainTextObject(text=column.label)) for column in OPTIONAL]
    initial = [options[OPTIONAL.index(column)] for column in chosen]
    locked = ", ".join(f"*{column.label}*" for column in LOCKED)
    return View(
        type="modal",
        callback_id=ViewId.COLUMNS.value,
        title=PlainTextObject(text=TITLE),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=encode(origin, limit=PRIVATE_METADATA_CHARS),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"Always shown: {locked}.")),
            InputBlock(
                block_id=BlockId.COLUMNS_INPUT.value,
                label=PlainTextObject(text="Also show"),
                optional=True,
                element=CheckboxesElement(
                    action_id=ActionId.COLUMNS_CHECKBOXES.value,
                    options=options,
                    initial_options=initial or None,
                ),
            ),
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="Saved for you in this workspace; your next `/renewals` tables use it."
                    )
                ]
            ),
        ],
    )
