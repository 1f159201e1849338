"""The HTTP answer Slack gets when a listener failed before it could ack.

A slash command or a click only needs a 200 (the person is told through response_url);
a modal submission and an options load carry their answer in the ack itself.
"""

from __future__ import annotations

from typing import Any

from blocks.text import truncate

# Slack shows an inline modal error as one short line under the input.
MAX_INLINE_ERROR = 300


def ack_in_modal(body: dict[str, Any], message: str) -> dict[str, Any] | None:
    """For a modal submission: the message under the modal's first input, so nothing typed is lost.

    None when the request is no modal submission or the modal has no input to show it under.
    """
    if body.get("type") != "view_submission":
        return None
    view = body.get("view") if isinstance(body.get("view"), dict) else {}
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id"):
            return {
                "response_action": "errors",
                "errors": {block["block_id"]: truncate(message, MAX_INLINE_ERROR)},
            }
    return None


def ack_without_answer(body: dict[str, Any]) -> dict[str, Any] | str:
    """The plainest ack Slack accepts for this kind of request."""
    if body.get("type") == "block_suggestion":
        return {"options": []}
    return ""
