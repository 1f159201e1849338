"""The App Home tab: published for a person when they open it, and again after they change
something from it.

A Home tab is one view per person and workspace (`views.publish`). Clicks on it carry no
response_url, so listeners that answer through one use `from_home` / `publish_home` /
`tell_on_home` here instead: refresh the tab, or answer in a small modal.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks.home import home_view, notice_modal
from bot.slack.context import services_of
from handlers.client_detail import current_workspace
from handlers.renewals import viewer_for
from store.db import session_scope
from store.home import home_data

logger = logging.getLogger(__name__)


def from_home(body: dict[str, Any]) -> bool:
    """Whether an interaction comes from a Home tab (not a message, not a modal)."""
    container = body.get("container") or {}
    view = body.get("view") or {}
    return container.get("type") == "view" and view.get("type") == "home"


def publish_home(client: WebClient, context: BoltContext, user_id: str) -> None:
    """Build and publish `user_id`'s Home tab, from the request's own workspace only."""
    viewer, zone = viewer_for(client, user_id)  # owner:me by user ID and Slack email, and "today"
    today = datetime.now(zone).date()
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        data = home_data(workspace, session=session, today=today, viewer=viewer)
        view = home_view(data, team_id=workspace.team_id, user_id=user_id, zone=zone)
    client.views_publish(user_id=user_id, view=view)


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


def home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """`app_home_opened`: the Home tab (not the Messages tab) was opened; publish it fresh."""
    if event.get("tab") != "home":
        return
    publish_home(client, context, event["user"])


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)
