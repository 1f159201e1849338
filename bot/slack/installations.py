"""Installations: which bot token serves a workspace, and what installing, uninstalling or a
refused token does to it.

With SLACK_CLIENT_ID / SLACK_CLIENT_SECRET (OAuth) every workspace brings its own token:
Bolt's OAuth flow saves each install in slack_sdk's SQLAlchemy installation store (tables made by
migration 0002), Bolt's authorize finds a request's token there, and jobs find theirs through
`bot_token`. An Enterprise Grid org-wide install has no team: it serves every team of its org.
Without them, SLACK_BOT_TOKEN serves its one workspace.

A workspace the app can no longer act in is paused (store.workspaces), so jobs stop trying:
- `removed`: Slack's `app_uninstalled` or `tokens_revoked` event (the installation is deleted);
- `token_refused`: Slack refused a job's token (`invalid_auth`, `account_inactive`, ...).
It resumes on `installed` (the OAuth flow saved a new install), or, with SLACK_BOT_TOKEN, when
`serve` starts with a token Slack accepts (`token_works`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.settings import Settings
from bot.slack.web_client import make_web_client
from store.db import session_scope
from store.digest_subscriptions import APP_ACTOR
from store.models import Workspace
from store.workspaces import SLACK_ACTOR, ensure_workspace, pause_workspaces, resume_workspaces

if TYPE_CHECKING:
    from slack_sdk.oauth.installation_store import Installation, InstallationStore
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

logger = logging.getLogger(__name__)

# What Slack answers for a token it will not take any more: no retry helps until a person
# installs the app again (or, with SLACK_BOT_TOKEN, gives `serve` a working token).
TOKEN_REFUSED_ERRORS = frozenset({"invalid_auth", "account_inactive", "token_revoked", "token_expired"})

# How long before it expires a rotating token is refreshed (only for apps with token rotation on).
ROTATE_MINUTES_BEFORE_EXPIRY = 10


def installation_store(settings: Settings, engine: Engine) -> SQLAlchemyInstallationStore:
    """slack_sdk's installation store on the app's database (OAuth settings only)."""
    # Imported here: slack_sdk's SQLAlchemy stores pull in sqlalchemy.ext.asyncio (and greenlet),
    # which single-workspace mode has no use for.
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    assert settings.slack_client_id
    # Its tables are created by the Alembic migration 0002, never by create_tables().
    return SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine)


def bot_token(settings: Settings, engine: Engine, workspace: Workspace) -> str | None:
    """The bot token to act in `workspace`: SLACK_BOT_TOKEN, or its installation's.

    The one place a job looks a token up. A rotating token close to expiry is refreshed and
    saved, as Bolt does for requests.
    """
    if not settings.oauth_enabled:
        return settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    from slack_sdk.oauth.token_rotation import TokenRotator

    assert settings.slack_client_id and settings.slack_client_secret
    store = installation_store(settings, engine)
    bot = store.find_bot(enterprise_id=workspace.enterprise_id, team_id=workspace.team_id)
    if bot is None and workspace.enterprise_id:  # an org-wide install serves every team of the org
        bot = store.find_bot(enterprise_id=workspace.enterprise_id, team_id=None, is_enterprise_install=True)
    if bot is None:
        return None
    if bot.bot_refresh_token:
        rotator = TokenRotator(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            client=make_web_client(settings, token=None),
        )
        rotated = rotator.perform_bot_token_rotation(
            bot=bot, minutes_before_expiration=ROTATE_MINUTES_BEFORE_EXPIRY
        )
        if rotated is not None:
            store.save_bot(rotated)
            bot = rotated
    return bot.bot_token


def web_client_for(settings: Settings, engine: Engine, workspace: Workspace) -> WebClient | None:
    """A Web API client with the workspace's bot token; None when it has none."""
    token = bot_token(settings, engine, workspace)
    return None if token is None else make_web_client(settings, token=token)


def _served(
    team_id: str | None, enterprise_id: str | None, is_enterprise_install: bool
) -> dict[str, str | None]:
    # An org-wide install is stored (and removed) without a team; it serves the whole org.
    if is_enterprise_install and enterprise_id:
        return {"team_id": None, "enterprise_id": enterprise_id}
    return {"team_id": team_id, "enterprise_id": enterprise_id}


def installed(engine: Engine, installation: Installation) -> None:
    """The OAuth flow saved an install: resume the workspaces it serves (recorded as the installer's).

    A team's workspace row is made (or given its enterprise) here, so that jobs find the token
    under the same enterprise the install was saved with.
    """
    served = _served(installation.team_id, installation.enterprise_id, installation.is_enterprise_install)
    with session_scope(engine) as session:
        if served["team_id"] is not None:
            ensure_workspace(served["team_id"], session=session, enterprise_id=installation.enterprise_id)
        resumed = resume_workspaces(session=session, actor=installation.user_id or SLACK_ACTOR, **served)
        teams = [workspace.team_id for workspace in resumed]
    if teams:
        logger.info("installed again: resumed workspace %s", ", ".join(teams))


def removed(
    store: InstallationStore | None,
    engine: Engine,
    *,
    team_id: str | None,
    enterprise_id: str | None,
    is_enterprise_install: bool,
    reason: str,
) -> None:
    """Slack says the app lost its bot token there (`reason`: app_uninstalled or tokens_revoked):
    delete the installation (OAuth) and pause the workspaces it served.

    As Bolt's own revocation listeners do (slack_bolt.listener.builtins), with one difference:
    an org-wide install is removed for its org whatever team the event names.
    """
    served = _served(team_id, enterprise_id, is_enterprise_install)
    if served["team_id"] is None and served["enterprise_id"] is None:
        logger.warning("%s named no team or enterprise: nothing removed", reason)
        return
    if store is not None:  # the bot token and the installations that hold it
        store.delete_all(**served)
    with session_scope(engine) as session:
        paused = pause_workspaces(session=session, reason=reason, actor=SLACK_ACTOR, **served)
        teams = [workspace.team_id for workspace in paused]
    logger.info("%s (%s): workspace %s paused", reason, served, ", ".join(teams) or "none known")


def token_refused(engine: Engine, workspace: Workspace, error: str) -> None:
    """Slack refused a job's token for `workspace`: pause it, logging only when this paused it."""
    with session_scope(engine) as session:
        changed = pause_workspaces(session=session, reason=error, actor=APP_ACTOR, team_id=workspace.team_id)
    if changed:
        logger.warning(
            "Slack refused the bot token of workspace %s (%s): its digests and reminders are paused "
            "until the app is installed there again",
            workspace.team_id,
            error,
        )


def token_works(engine: Engine, team_id: str) -> None:
    """SLACK_BOT_TOKEN works for `team_id` (auth.test at start-up): resume it if it was paused."""
    with session_scope(engine) as session:
        resumed = resume_workspaces(session=session, actor=APP_ACTOR, team_id=team_id)
    if resumed:
        logger.info("SLACK_BOT_TOKEN works again: resumed workspace %s", team_id)
