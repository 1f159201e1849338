"""The Bolt app: one place that assembles settings, database, Web client and listeners.

Importing this module does nothing; `build_app(services)` builds a fresh app.
Listeners live in `handlers/*`, each exposing `register(app)`; they are registered in
the order of `HANDLER_MODULES`, which matters: Bolt runs the first listener whose
constraints match, so the narrow `/renewals <subcommand>` listeners (which use
`matchers=`) must come before the catch-all `/renewals` table.
"""

from __future__ import annotations

import importlib
import logging
import time
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.context.respond import Respond
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from sqlalchemy import Engine

from bot.errors import UserError
from bot.services import Services
from bot.settings import Settings
from bot.slack.acks import ack_in_modal, ack_without_answer
from bot.slack.context import workspace_middleware
from bot.slack.installations import installation_store, installed
from bot.slack.replies import from_home, tell_on_home
from bot.slack.web_client import make_web_client

logger = logging.getLogger(__name__)

# Registration order matters (see the module docstring). Subcommand listeners of
# /renewals (`handlers.digest` for `digest ...`, `handlers.columns` for `columns`,
# `handlers.import_upload` for `import`)
# go before `handlers.renewals`, which takes every other /renewals text.
HANDLER_MODULES: tuple[str, ...] = (
    "handlers.columns",
    "handlers.digest",
    "handlers.imports",
    "handlers.reminders",
    "handlers.digest_list",
    "handlers.what_changed",
    "handlers.import_upload",
    "handlers.renewals",
    "handlers.export",
    "handlers.client_detail",
    "handlers.reassign_contact",
    "handlers.contact_typeahead",
    "handlers.change_owner",
    "handlers.follow_up",
    "handlers.association",
    "handlers.owners",
    "handlers.home",
    "handlers.installation",
)

# The bot scopes the app asks for on install (keep in step with manifest.yml).
BOT_SCOPES: tuple[str, ...] = (
    "commands",
    "chat:write",
    "users:read",
    "users:read.email",
    "im:write",
    "files:write",
    "channels:read",
    "groups:read",
    "files:read",
    "channels:history",
    "groups:history",
    "im:history",
)

# See _let_bolt_send_the_ack: ten times Bolt's ack polling interval.
ACK_GRACE_SECONDS = 0.1

# How long an OAuth install may take between /slack/install and the redirect back.
OAUTH_STATE_SECONDS = 600

SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on our side and nothing was changed. Please try again in a moment."
)


def _oauth_settings(settings: Settings, engine: Engine) -> OAuthSettings:
    # Imported here: slack_sdk's SQLAlchemy stores pull in sqlalchemy.ext.asyncio (and greenlet),
    # which single-workspace mode has no use for.
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    def on_installed(args: SuccessArgs) -> BoltResponse:
        # Saved by now: a reinstall resumes the workspace's jobs, then Bolt's own success page.
        installed(engine, args.installation)
        return args.default.success(args)

    def on_failure(args: FailureArgs) -> BoltResponse:
        return args.default.failure(args)

    assert settings.slack_client_id and settings.slack_client_secret
    # The state store's table is created by the Alembic migration 0002, never create_tables().
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        installation_store=installation_store(settings, engine),
        state_store=SQLAlchemyOAuthStateStore(expiration_seconds=OAUTH_STATE_SECONDS, engine=engine),
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
        callback_options=CallbackOptions(success=on_installed, failure=on_failure),
    )


def request_kind(body: dict[str, Any]) -> str:
    """A short name for a request in logs: '/renewals', 'block_actions:renewals_next', ..."""
    if body.get("command"):
        return str(body["command"])
    kind = str(body.get("type") or "unknown")
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return f"{kind}:{actions[0].get('action_id')}"
    view = body.get("view")
    if isinstance(view, dict) and view.get("callback_id"):
        return f"{kind}:{view['callback_id']}"
    return kind


def _on_error(
    error: Exception, body: dict[str, Any], context: BoltContext, response: BoltResponse | None
) -> BoltResponse | None:
    """The one error handler: log with the request's kind, tell the person briefly, leak nothing.

    Only verified requests get here (bot.slack.server refuses the rest with 401 before Bolt), so the
    payload's response_url and user can be trusted. `response` is None when the listener had
    already acked; otherwise Slack is still waiting, and gets a 200 that answers the person
    (a database outage before the ack must not become an HTTP 500 that Slack shows as its own error).
    """
    kind = request_kind(body or {})
    if isinstance(error, BoltUnhandledRequestError):
        # A command, button or event this version has no listener for (an old message's button):
        # nothing to do, and nothing for Slack to show as an error.
        logger.info("%s: no listener for it, nothing done", kind)
        return BoltResponse(status=200, body=ack_without_answer(body or {}))
    if isinstance(error, UserError):
        logger.info("%s: %s", kind, error)
        message = str(error)
    else:
        logger.error("%s failed (team %s, user %s)", kind, context.team_id, context.user_id, exc_info=error)
        message = SOMETHING_WENT_WRONG
    not_acked = response is not None
    in_modal = ack_in_modal(body or {}, message) if not_acked else None
    if in_modal is None:
        _tell(kind, body or {}, context, message)
    _let_bolt_send_the_ack(context)
    if not_acked:
        return BoltResponse(status=200, body=in_modal or ack_without_answer(body or {}))
    return None


def _tell(kind: str, body: dict[str, Any], context: BoltContext, message: str) -> None:
    respond: Respond | None = context.respond
    try:
        if from_home(body) and context.client is not None:  # no response_url: answer in a modal
            tell_on_home(context.client, body, message)
        elif respond is not None:  # view submissions and the like have no response_url
            respond(text=message, response_type="ephemeral", replace_original=False)
    except Exception:
        logger.warning("%s: could not tell the person about the error", kind, exc_info=True)


def _let_bolt_send_the_ack(context: BoltContext) -> None:
    """Give Bolt's request thread time to answer Slack with the ack already made.

    Bolt 1.30 (process_before_response=False) resets `ack.response` to None right after
    this handler returns when a listener raised after ack(); if the request thread has not
    polled it yet (it polls every 10 ms), Slack gets a 404 "unhandled request" after 3 s
    instead of the ack. Waiting here, while the ack is still set, closes that window.
    """
    ack = context.ack
    if ack is not None and ack.response is not None:
        time.sleep(ACK_GRACE_SECONDS)


def build_app(services: Services) -> App:
    """A Bolt app for `services`: single workspace (bot token) or OAuth multi-workspace."""
    settings = services.settings
    client = make_web_client(settings)
    common: dict[str, Any] = {
        "signing_secret": (
            settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
        ),
        # Socket Mode requests are not signed; Bolt skips verification for them anyway.
        "request_verification_enabled": settings.slack_signing_secret is not None,
        # Acknowledge first, then run the listener in Bolt's thread pool.
        "process_before_response": False,
        # Requests no listener takes go to the error handler, which acks them with a 200 and one
        # log line (Bolt's own answer is a 404 and a page of suggested code in the log).
        "raise_error_for_unhandled_request": True,
        "logger": logging.getLogger("slack_bolt"),
    }
    if settings.oauth_enabled:
        client.token = None  # each request gets its installation's token
        app = App(client=client, oauth_settings=_oauth_settings(settings, services.engine), **common)
    else:
        app = App(client=client, **common)

    app.middleware(workspace_middleware(services))
    app.error(_on_error)
    for name in HANDLER_MODULES:
        importlib.import_module(name).register(app)
    return app
