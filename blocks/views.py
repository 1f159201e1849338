"""The frame every modal of the app shares: a form (Submit / Cancel) or a one-message answer.

Titles and button labels are plain text of at most 24 characters (slack_sdk refuses longer
ones when the view is serialised); the callback_id always comes from blocks.ids.ViewId.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, PlainTextObject
from slack_sdk.models.views import View

from blocks.ids import ViewId
from blocks.message import section


def modal(
    view_id: ViewId,
    title: str,
    blocks: Sequence[Block],
    *,
    submit: str | None = None,
    close: str = "Cancel",
    private_metadata: str | None = None,
) -> View:
    """A modal; `submit` is needed when it has inputs."""
    return View(
        type="modal",
        callback_id=view_id.value,
        title=PlainTextObject(text=title),
        submit=PlainTextObject(text=submit) if submit else None,
        close=PlainTextObject(text=close),
        private_metadata=private_metadata,
        blocks=list(blocks),
    )


def message_modal(view_id: ViewId, title: str, text: str, *, close: str) -> View:
    """A modal that only says `text` (mrkdwn the caller has already escaped)."""
    return modal(view_id, title, [section(text)], close=close)
