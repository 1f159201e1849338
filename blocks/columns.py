"""The columns modal of `/renewals`: pick the optional columns, see the locked ones; then what was saved."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextObject,
)
from slack_sdk.models.views import View

from blocks.ids import ActionId, BlockId, ViewId
from blocks.limits import PRIVATE_METADATA_CHARS
from blocks.message import context, section
from blocks.values import PageRef, encode
from blocks.views import message_modal, modal
from store.columns import LOCKED, OPTIONAL, Column

TITLE = "Table columns"


def columns_modal(visible: Sequence[Column], origin: PageRef) -> View:
    """Checkboxes for the optional columns, ticked as the person has them now.

    `origin` (the table it was opened from, and the team) rides in private_metadata so
    the submission can be checked against the request's own workspace.
    """
    chosen = [column for column in OPTIONAL if column in visible]
    options = [Option(value=column.value, text=PlainTextObject(text=column.label)) for column in OPTIONAL]
    initial = [options[OPTIONAL.index(column)] for column in chosen]
    locked = ", ".join(f"*{column.label}*" for column in LOCKED)
    return modal(
        ViewId.COLUMNS,
        TITLE,
        [
            section(f"Always shown: {locked}."),
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
            context("Saved for you in this workspace; your next `/renewals` tables use it."),
        ],
        submit="Save",
        private_metadata=encode(origin, limit=PRIVATE_METADATA_CHARS),
    )


def columns_saved_modal(visible: Sequence[Column]) -> View:
    """What the columns modal turns into once saved: the columns the next tables will have."""
    labels = ", ".join(column.label for column in visible)
    return message_modal(
        ViewId.COLUMNS_SAVED, TITLE, f"Saved. Your next `/renewals` tables show: {labels}.", close="Done"
    )
