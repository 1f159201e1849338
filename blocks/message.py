"""A message the app sends (`Message`), and the one-section reply most answers are (`notice`).

Every reply, table, detail and digest part is a `Message`; handlers and jobs send it with
`respond(**message.as_kwargs(), ...)` or `client.chat_postMessage(**message.as_kwargs(), ...)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from blocks.limits import SECTION_CHARS
from blocks.text import truncate


@dataclass(frozen=True)
class Message:
    """Block Kit blocks and their plain-text fallback (notifications, screen readers).

    The fallback is mrkdwn too (Slack parses it), so user data in it is escaped like in the blocks.
    """

    text: str
    blocks: list[Block]

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `respond`, `chat_postMessage`, `chat_postEphemeral` and friends."""
        return {"text": self.text, "blocks": [block.to_dict() for block in self.blocks]}


def notice(text: str, *, verbatim: bool | None = None) -> Message:
    """A one-section reply. `text` is mrkdwn the caller has already escaped.

    `verbatim=True` stops Slack from linking channel names and URLs in it by itself.
    """
    body = truncate(text, SECTION_CHARS)
    return Message(text=body, blocks=[SectionBlock(text=MarkdownTextObject(text=body, verbatim=verbatim))])
