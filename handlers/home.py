"""The App Home tab: published for a person when they open it, and again after they change
something from it.

A Home tab is one view per person and workspace (`views.publish`). Clicks on it carry no
response_url, so listeners that answer through one use `handlers.common.publish_home`, or
`bot.slack.replies` (`from_home`, `tell_on_home`), instead: refresh the tab, or answer in a
small modal.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from handlers.common import publish_home


def home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """`app_home_opened`: the Home tab (not the Messages tab) was opened; publish it fresh."""
    if event.get("tab") != "home":
        return
    publish_home(client, context, event["user"])


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)
