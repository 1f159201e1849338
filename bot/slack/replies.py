"""Answers to a person that any listener (and the app's error handler) may give; registers nothing.

Clicks on the Home tab carry no response_url: `from_home` tells them apart and `tell_on_home`
answers them in a small modal instead.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks.home import notice_modal

logger = logging.getLogger(__name__)

ADMIN_ONLY = (
    "Only admins can {what}: the workspace's admins and owners, and the people listed in "
    "RENEWALS_ADMINS. Nothing was changed."
)


def refusal(what: str) -> str:
    """The ephemeral reply to a non-admin, e.g. refusal("end an association")."""
    return ADMIN_ONLY.format(what=what)


def from_home(body: dict[str, Any]) -> bool:
    """Whether an interaction comes from a Home tab (not a message, not a modal)."""
    container = body.get("container") or {}
    view = body.get("view") or {}
    return container.get("type") == "view" and view.get("type") == "home"


def tell_on_home(client: WebClient, body: dict[str, Any], text: str) -> bool:
    """Answer a click on the Home tab in a small modal; False when `body` is not such a click.

    `text` is mrkdwn, already escaped. The click's trigger_id lives 3 s: a late answer is
    logged and dropped (the Home tab itself is unchanged, so nothing is lost).
    """
    trigger_id = body.get("trigger_id")
    if not (from_home(body) and trigger_id):
        return False
    try:
        client.views_open(trigger_id=trigger_id, view=notice_modal(text))
    except SlackApiError as exc:
        logger.warning("could not answer a Home tab click: %s", exc.response.get("error"))
    return True
