"""The app's own lifecycle in a workspace: `app_uninstalled` and `tokens_revoked`.

Slack sends both when the app is removed (in either order). Each deletes what the installation
store holds for that workspace (OAuth mode) and pauses its jobs (digests, reminders) until the app
is installed again: bot.slack.installations. An org-wide Enterprise Grid install is removed for
its whole org. Bolt acknowledges events itself and asks no token of Slack for these two.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk.oauth.installation_store import InstallationStore

from bot.slack.context import TEAM, services_of
from bot.slack.installations import removed
from store.workspaces import APP_UNINSTALLED, TOKENS_REVOKED


def _remove(store: InstallationStore | None, context: BoltContext, reason: str) -> None:
    team_id, enterprise_id = context.get(TEAM) or (None, None)
    removed(
        store,
        services_of(context).engine,
        team_id=team_id,
        enterprise_id=enterprise_id,
        # Without a team (only the org's ID), the event is about an org-wide install.
        is_enterprise_install=bool(context.is_enterprise_install) or team_id is None,
        reason=reason,
    )


def register(app: App) -> None:
    store = app.installation_store  # None with SLACK_BOT_TOKEN: nothing stored, only the pause

    def app_uninstalled(context: BoltContext) -> None:
        _remove(store, context, APP_UNINSTALLED)

    def tokens_revoked(event: dict[str, Any], context: BoltContext) -> None:
        # The app asks for a bot token only; people's own tokens ("oauth") serve nothing here.
        if (event.get("tokens") or {}).get("bot"):
            _remove(store, context, TOKENS_REVOKED)

    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)
