"""The App Home tab: published for a person when they open it, and again after they change
something from it.

A Home tab is one view per person and workspace (`views.publish`). Clicks on it carry no
response_url, so listeners that answer through one use `publish_home` here, or
`bot.slack.replies` (`from_home`, `tell_on_home`), instead: refresh the tab, or answer in a
small modal.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from blocks.home import MAX_MINE_SHOWN, home_view
from bot.slack.context import person_of, services_of
from handlers.client_detail import current_workspace
from store.db import session_scope
from store.home import home_data
from store.upcoming import Viewer


def publish_home(client: WebClient, context: BoltContext, user_id: str) -> None:
    """Build and publish `user_id`'s Home tab, from the request's own workspace only."""
    person = person_of(context, client, user_id)  # owner:me by user ID and Slack email, and "today"
    viewer = Viewer(user_id=user_id, email=person.email)
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        data = home_data(
            workspace, session=session, today=person.today(), viewer=viewer, mine_shown=MAX_MINE_SHOWN
        )
        view = home_view(data, team_id=workspace.team_id, user_id=user_id, zone=person.zone)
    client.views_publish(user_id=user_id, view=view)


def home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """`app_home_opened`: the Home tab (not the Messages tab) was opened; publish it fresh."""
    if event.get("tab") != "home":
        return
    publish_home(client, context, event["user"])


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)
