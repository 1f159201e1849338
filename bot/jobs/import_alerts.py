"""Posting "What changed": each digest channel of the workspace hears once about an import.

Two callers, one code path: the import itself right after it commits (bot/import_run.py, when a
bot token is at hand), and the scheduler's tick (bot/jobs/scheduler.py) for imports whose
channels have not all been told yet (the command line had no token, or a post failed). Every
post goes through the once-per-(import, channel) claim (store/import_alert_claims.py, with the
digest's heartbeat and takeover of a silent holder) and bot.jobs.posting.post_once (message
metadata; after a lost answer, or when the claim was resumed or taken over, a message already in
the channel is adopted), so two runners, restarts, crashes or several copies of the app never
post one twice.
"""

from __future__ import annotations

import http.client
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine

from blocks.what_changed import what_changed_message
from bot import metrics
from bot.jobs.heartbeat import Heartbeat, claim_taken_over, holder_name, takeover_after
from bot.jobs.posting import ALERT_EVENT, PartKey, post_once
from bot.services import Services
from bot.settings import Settings
from bot.slack.installations import TOKEN_REFUSED_ERRORS, token_refused, web_client_for
from store.db import session_scope
from store.digest_claims import RunStatus
from store.digest_subscriptions import subscriptions
from store.import_alert_claims import AlertClaim, alert_done, claim_alert, finish_alert, get_alert, heartbeat
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


def _counted(outcome: AlertOutcome) -> AlertOutcome:
    """The outcome, counted in /metrics (renewals_alerts_total) as posted or failed."""
    metrics.record_delivery(
        metrics.Job.ALERT, metrics.Delivery.POSTED if outcome.posted else metrics.Delivery.FAILED
    )
    return outcome


def _error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    return f"{type(exc).__name__}: {exc}"


def _post(client: WebClient, engine: Engine, claim: AlertClaim, every: float, message: dict[str, Any]) -> str:
    """Post the claimed alert once (a heartbeat renewing the claim meanwhile): its ts. A resumed or
    taken-over claim looks in the channel first: the try before may have posted it and died."""

    def beat() -> bool:
        with session_scope(engine) as session:
            return heartbeat(claim, session=session)

    with Heartbeat(beat, every=every, name=claim.channel_id):
        posted = post_once(
            client,
            claim.channel_id,
            PartKey(ALERT_EVENT, claim.alert_id),
            since=claim.started_at,
            look_first=claim.resumed,
            **message,
            unfurl_links=False,
            unfurl_media=False,
        )
    return posted.ts


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
    stale_after = takeover_after(settings)
    payload = message.as_kwargs()
    for channel in channels:
        with session_scope(engine) as session:
            claim = claim_alert(
                import_id,
                workspace.id,
                channel,
                session=session,
                now=now,
                stale_after=stale_after,
                holder=holder_name(),
            )
        if claim is None:
            continue
        if claim.taken_over:
            claim_taken_over(metrics.Job.ALERT, f"what changed {import_id} {channel}", claim.attempts)
        try:
            ts = _post(client, engine, claim, stale_after.total_seconds() / 3, payload)
        except (SlackApiError, SlackClientError, OSError, http.client.HTTPException) as exc:
            error = _error(exc)
            if error in TOKEN_REFUSED_ERRORS:  # the workspace pauses; its claims wait for it
                with session_scope(engine) as session:
                    finish_alert(claim, RunStatus.FAILED, session=session, error=error)
                token_refused(engine, workspace, error)
                outcomes.append(_counted(AlertOutcome(import_id, channel, False, error)))
                break
            logger.error(
                "what changed %s in %s failed (attempt %d): %s", import_id, channel, claim.attempts, error
            )
            with session_scope(engine) as session:
                finish_alert(claim, RunStatus.FAILED, session=session, error=error)
            outcomes.append(_counted(AlertOutcome(import_id, channel, False, error)))
            continue
        with session_scope(engine) as session:
            finish_alert(claim, RunStatus.POSTED, session=session, message_ts=ts)
        outcomes.append(_counted(AlertOutcome(import_id, channel, True)))
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
