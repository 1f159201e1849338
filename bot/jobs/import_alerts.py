"""Posting "What changed": each digest channel of the workspace hears once about an import.

Two callers, one code path: the import itself right after it commits (bot/import_run.py, when a
bot token is at hand), and the scheduler's tick (bot/jobs/scheduler.py) for imports whose
channels have not all been told yet (the command line had no token, or a post failed). Every
post goes through the once-per-(import, channel) claim (store/import_alert_claims.py), so
two runners, restarts or several copies of the app never post one twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine

from blocks.what_changed import what_changed_message
from bot.services import Services
from bot.settings import Settings
from bot.slack.installations import TOKEN_REFUSED_ERRORS, token_refused, web_client_for
from store.db import session_scope
from store.digest_claims import RunStatus
from store.digest_subscriptions import subscriptions
from store.import_alert_claims import alert_done, claim_alert, finish_alert, get_alert
from store.import_runs import announcement, get_import, imports_to_announce, mark_announced
from store.types import utcnow
from store.workspaces import is_paused

logger = logging.getLogger(__name__)

# An import older than this is no longer news: the ticker stops trying to tell its channels.
ANNOUNCE_WITHIN = timedelta(days=1)


@dataclass(frozen=True)
class AlertOutcome:
    import_id: int
    channel_id: str
    posted: bool
    detail: str = ""


def _error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    return f"{type(exc).__name__}: {exc}"


def announce_import(
    settings: Settings, engine: Engine, import_id: int, *, now: datetime | None = None
) -> list[AlertOutcome]:
    """Tell each active digest channel of the import's workspace what changed, once each.

    Without a bot token for the workspace nothing happens (the running app's ticker does it).
    When every channel has been told, the import is marked so the ticker stops looking at it.
    """
    now = now or utcnow()
    with session_scope(engine) as session:
        found = get_import(import_id, session=session)
        if found is None:
            return []
        run, workspace = found
        # A paused workspace (uninstalled, token refused) is left alone; it is told once resumed,
        # if that is within ANNOUNCE_WITHIN.
        if run.alerts_done_at is not None or is_paused(run.workspace_id, session=session):
            return []
        view = announcement(run, workspace, session=session, today=now.date())
        channels = [
            s.channel_id
            for s, _ws in subscriptions(session=session, team_id=workspace.team_id, include_paused=False)
        ]
    message = what_changed_message(view)
    if message is None or not channels:
        with session_scope(engine) as session:
            mark_announced(import_id, session=session, now=now)
        return []
    client = web_client_for(settings, engine, workspace)
    if client is None:
        logger.info(
            "what changed %s: no bot token for %s here; left to the app", import_id, workspace.team_id
        )
        return []
    outcomes = []
    assert workspace.id is not None
    for channel in channels:
        with session_scope(engine) as session:
            claim = claim_alert(import_id, workspace.id, channel, session=session, now=now)
        if claim is None:
            continue
        try:
            response = client.chat_postMessage(
                channel=channel, **message.as_kwargs(), unfurl_links=False, unfurl_media=False
            )
        except (SlackApiError, SlackClientError, OSError) as exc:
            error = _error(exc)
            if error in TOKEN_REFUSED_ERRORS:  # the workspace pauses; its claims wait for it
                with session_scope(engine) as session:
                    finish_alert(claim, RunStatus.FAILED, session=session, error=error)
                token_refused(engine, workspace, error)
                outcomes.append(AlertOutcome(import_id, channel, False, error))
                break
            logger.error(
                "what changed %s in %s failed (attempt %d): %s", import_id, channel, claim.attempts, error
            )
            with session_scope(engine) as session:
                finish_alert(claim, RunStatus.FAILED, session=session, error=error)
            outcomes.append(AlertOutcome(import_id, channel, False, error))
            continue
        with session_scope(engine) as session:
            finish_alert(claim, RunStatus.POSTED, session=session, message_ts=str(response.get("ts")))
        outcomes.append(AlertOutcome(import_id, channel, True))
    with session_scope(engine) as session:
        if all(alert_done(get_alert(import_id, channel, session=session)) for channel in channels):
            mark_announced(import_id, session=session, now=now)
    return outcomes


def run_pending(services: Services, *, now: datetime | None = None) -> list[AlertOutcome]:
    """The ticker's work: announce the recent imports not yet told everywhere."""
    now = now or utcnow()
    with session_scope(services.engine) as session:
        pending = imports_to_announce(session=session, since=now - ANNOUNCE_WITHIN)
    outcomes = []
    for import_id in pending:
        outcomes += announce_import(services.settings, services.engine, import_id, now=now)
    return outcomes
