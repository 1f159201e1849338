"""The one code path that claims, builds, posts and marks a digest.

The scheduler's ticker (`run_due`) and `renewals-bot digest` (`run_subscription`) both
come through here, so both obey the same once-per-channel-per-local-day claim:

1. claim the day's run and commit (store.digest_claims.claim_run): whoever does not get it stops;
   a claim whose holder's heartbeat has been silent for CLAIM_TAKEOVER_SECONDS is taken over;
2. build the digest from the database as it is now: one content query per workspace, day and
   window within a run (`SharedDigests`), shared by every channel of that workspace due in it;
3. post it (one message), with a heartbeat renewing the claim meanwhile (bot.jobs.heartbeat),
   through bot.jobs.posting.post_once: tagged with message metadata; after a lost answer, or when
   resuming or taking over, what is already in the channel is adopted, not posted again. Progress
   is recorded once a message is in Slack (the last one's with step 4, in one commit);
4. mark it posted (or empty: nothing posted), or failed with the error, to be tried again
   on a later run the same local day. A channel the bot can no longer post in pauses its
   subscription and the person who subscribed is told by DM; a token Slack refuses pauses the
   whole workspace (bot.slack.installations) until the app is installed there again.

Slack faults: the WebClient (bot.slack.web_client) waits out 429s (Retry-After); a 5xx or a
lost connection is retried by post_once after looking in the channel; what still fails lands
in step 4.
"""

from __future__ import annotations

import http.client
import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine

from blocks.digest import digest_messages, paused_notice
from blocks.format import plural
from bot import metrics
from bot.jobs.heartbeat import Heartbeat, claim_taken_over, holder_name, takeover_after
from bot.jobs.posting import DIGEST_EVENT, PartKey, post_once
from bot.services import Services
from bot.slack.installations import TOKEN_REFUSED_ERRORS, token_refused, web_client_for
from store.claims import is_stale, retry_delay
from store.db import session_scope
from store.digest_claims import (
    DONE,
    Claim,
    Refusal,
    RunStatus,
    claim_run,
    finish_run,
    get_run,
    heartbeat,
    record_progress,
)
from store.digest_content import DigestContent, DigestView, channel_view, digest_content
from store.digest_subscriptions import pause_subscription, subscription_due_day, subscriptions
from store.models import DigestSubscription, Workspace
from store.types import utcnow
from store.workspaces import is_paused

logger = logging.getLogger(__name__)

# Slack errors that mean the bot cannot post in the channel until a person fixes it.
PAUSE_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
# What a Slack call may raise once the client's own retries are spent.
SLACK_FAILURES = (SlackApiError, SlackClientError, OSError, http.client.HTTPException)


def _utc_time(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S UTC")


class Result(StrEnum):
    POSTED = "posted"
    EMPTY = "empty"  # nothing to report: nothing posted (the channel wants no all-clear)
    ALREADY_DONE = "already done"
    IN_PROGRESS = "in progress"  # another runner holds the claim
    RETRY_LATER = "retry later"  # failed earlier; its retry delay has not passed
    FAILED = "failed"
    PAUSED = "paused"  # the channel cannot be posted in; subscription paused
    SKIPPED = "skipped"  # not a digest day, or the subscription is paused


@dataclass(frozen=True)
class Outcome:
    team_id: str
    channel_id: str
    day: date
    result: Result
    rows: int = 0  # the contract changes that need action
    messages: int = 0
    message_ts: str | None = None
    detail: str = ""
    listed: int = 0  # of `rows`, those the message lists (the rest are behind "View all")
    earlier: int = 0  # of `messages`, how many an earlier try had posted (recorded, or found in Slack)

    def describe(self) -> str:
        """One line for a person (the CLI) or a log."""
        where = f"{self.channel_id} ({self.team_id}) {self.day.isoformat()}"
        match self.result:
            case Result.POSTED:
                if self.rows == 0:
                    return f"{where}: posted the all-clear"
                listed = f"{self.listed:,} of " if self.listed < self.rows else ""
                earlier = (
                    f" ({self.earlier} already there from an earlier try, not posted again)"
                    if self.earlier
                    else ""
                )
                return (
                    f"{where}: posted {listed}{plural(self.rows, 'contract change')} "
                    f"in {plural(self.messages, 'message')}{earlier}"
                )
            case Result.EMPTY:
                return f"{where}: nothing to report, nothing posted"
            case Result.ALREADY_DONE:
                return f"{where}: already done for this day ({self.detail}), nothing posted"
            case Result.IN_PROGRESS:
                seen = f" ({self.detail})" if self.detail else ""
                return f"{where}: another copy of the app is posting it right now{seen}, nothing posted"
            case Result.RETRY_LATER:
                return f"{where}: failed earlier, retried after {self.detail}"
            case _:
                return f"{where}: {self.result.value}" + (f" ({self.detail})" if self.detail else "")


# --- what a run builds once ----------------------------------------------------------------------


class SharedDigests:
    """The digests of one run (a tick, or `renewals-bot digest`): each workspace's content is read
    once per local day and window, and each message built once per content, time zone and
    all-clear wish, however many channels show it. Built only for a channel whose claim was won."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._contents: dict[tuple[int, date, int], DigestContent] = {}
        self._payloads: dict[tuple[int, date, int, str, bool], list[dict[str, Any]]] = {}
        self.build_seconds = 0.0  # reading contents and building messages, for the CLI's summary

    def view(self, subscription: DigestSubscription, workspace: Workspace, day: date) -> DigestView:
        assert workspace.id is not None
        key = (workspace.id, day, subscription.days_ahead)
        content = self._contents.get(key)
        if content is None:
            started = time.perf_counter()
            with session_scope(self._engine) as session:
                content = digest_content(
                    workspace, session=session, day=day, days_ahead=subscription.days_ahead
                )
            self._contents[key] = content
            self.build_seconds += time.perf_counter() - started
        return channel_view(content, subscription)

    def payloads(self, view: DigestView, workspace: Workspace) -> list[dict[str, Any]]:
        """The channel's messages as chat.postMessage arguments (`text`, `blocks`). Channels differ
        only by time zone (deadlines as Slack dates) and all-clear wish, and no message names its
        channel, so equal ones are built and turned into JSON-ready dicts once (the dicts are
        slack_sdk's slowest step)."""
        assert workspace.id is not None
        key = (workspace.id, view.day, view.days_ahead, view.timezone, view.all_clear)
        built = self._payloads.get(key)
        if built is None:
            started = time.perf_counter()
            built = self._payloads[key] = [message.as_kwargs() for message in digest_messages(view)]
            self.build_seconds += time.perf_counter() - started
        return built


# --- one digest ----------------------------------------------------------------------------------


def _slack_error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    return f"{type(exc).__name__}: {exc}"


def _refused(subscription: DigestSubscription, team_id: str, day: date, refusal: Refusal) -> Outcome:
    if refusal.reason == "done":
        return Outcome(
            team_id, subscription.channel_id, day, Result.ALREADY_DONE, detail=refusal.status.value
        )
    if refusal.reason == "retry_later":
        assert refusal.retry_at is not None
        detail = refusal.retry_at.isoformat(timespec="minutes")
        return Outcome(team_id, subscription.channel_id, day, Result.RETRY_LATER, detail=detail)
    detail = ""
    if refusal.last_seen is not None:
        who = f"{refusal.holder}, " if refusal.holder else ""
        detail = f"{who}last seen {_utc_time(refusal.last_seen)}"
        if refusal.takeover_at is not None:
            detail += f"; if it stays silent it can be taken over from {_utc_time(refusal.takeover_at)}"
    return Outcome(team_id, subscription.channel_id, day, Result.IN_PROGRESS, detail=detail)


def _tell_subscriber(client: WebClient, subscription: DigestSubscription, error: str) -> None:
    """DM the person who subscribed that the digest paused. Failing to is logged, not fatal."""
    try:
        bot_user_id = client.auth_test().get("user_id")
        notice = paused_notice(subscription.channel_id, error, bot_user_id)
        opened = client.conversations_open(users=subscription.subscribed_by)
        client.chat_postMessage(
            channel=opened["channel"]["id"],
            **notice.as_kwargs(),
        )
    except SLACK_FAILURES as exc:
        logger.warning(
            "digest for %s paused; could not tell %s: %s",
            subscription.channel_id,
            subscription.subscribed_by,
            _slack_error(exc),
        )


def _post(
    client: WebClient, engine: Engine, claim: Claim, messages: list[dict[str, Any]], alive: Heartbeat
) -> tuple[str | None, bool, int]:
    """Post the messages (chat.postMessage arguments) not yet in Slack; (thread ts, still holding
    the claim, how many were already there: recorded by an earlier try, or found in the channel).
    A digest is one message today; the loop keeps any later one in its thread."""
    earlier = claim.parts_posted
    thread_ts = claim.message_ts
    # A resumed or taken-over run looks in the channel first: the try before may have posted
    # the next part and died (or lost Slack's answer) before recording it. Once a part is
    # posted afresh, none after it can be in Slack.
    look = claim.resumed
    for index in range(claim.parts_posted, len(messages)):
        if alive.lost.is_set():  # taken over while we were posting: they continue, we stop
            logger.error("digest %s %s: lost the claim while posting", claim.channel_id, claim.local_date)
            return thread_ts, False, earlier
        posted = post_once(
            client,
            claim.channel_id,
            PartKey(DIGEST_EVENT, claim.run_id, index + 1),
            since=claim.started_at,
            thread_ts=thread_ts if index > 0 else None,
            look_first=look,
            **messages[index],
            unfurl_links=False,
            unfurl_media=False,
        )
        look = posted.adopted
        earlier += posted.adopted
        if index == 0:
            thread_ts = posted.ts
        assert thread_ts is not None
        if index + 1 == len(messages):
            break  # the last one is recorded with the run's finish, in the same commit
        with session_scope(engine) as session:
            if not record_progress(claim, session=session, message_ts=thread_ts, parts_posted=index + 1):
                # Our claim went stale and someone took it over: they resume from what we
                # recorded; posting more here would double their messages.
                logger.error("digest %s %s: lost the claim while posting", claim.channel_id, claim.local_date)
                return thread_ts, False, earlier
    return thread_ts, True, earlier


def _beat(engine: Engine, claim: Claim) -> bool:
    with session_scope(engine) as session:
        return heartbeat(claim, session=session)


@metrics.counted(metrics.Job.DIGEST)
def run_subscription(
    services: Services,
    subscription: DigestSubscription,
    workspace: Workspace,
    day: date,
    *,
    now: datetime | None = None,
    retry_failed_now: bool = False,
    shared: SharedDigests | None = None,
) -> Outcome:
    """Claim, build, post and mark one channel's digest for local date `day` (its content from
    `shared` when given: a run of many channels reads each workspace's content once)."""
    engine, settings = services.engine, services.settings
    shared = shared or SharedDigests(engine)
    team_id = workspace.team_id
    channel = subscription.channel_id
    stale_after = takeover_after(settings)
    with session_scope(engine) as session:
        claim = claim_run(
            subscription,
            day,
            session=session,
            stale_after=stale_after,
            now=now,
            retry_failed_now=retry_failed_now,
            holder=holder_name(),
        )
    if isinstance(claim, Refusal):
        return _refused(subscription, team_id, day, claim)
    if claim.taken_over:
        claim_taken_over(metrics.Job.DIGEST, f"{channel} {day}", claim.attempts)

    def fail(error: str, result: Result = Result.FAILED, *, rows: int = 0) -> Outcome:
        with session_scope(engine) as session:
            finish_run(claim, RunStatus.FAILED, session=session, error=error)
        return Outcome(team_id, channel, day, result, rows=rows, detail=error)

    rows = 0
    try:
        view = shared.view(subscription, workspace, day)
        rows = view.total
        messages = shared.payloads(view, workspace)
        if not messages:
            with session_scope(engine) as session:
                finish_run(claim, RunStatus.EMPTY, session=session)
            return Outcome(team_id, channel, day, Result.EMPTY)
        client = web_client_for(settings, engine, workspace)
        if client is None:
            logger.error("digest %s %s: no bot token for team %s", channel, day, team_id)
            return fail(f"no bot token for team {team_id} (is the app installed there?)")
        try:
            with Heartbeat(
                lambda: _beat(engine, claim), every=stale_after.total_seconds() / 3, name=channel
            ) as alive:
                thread_ts, held, earlier = _post(client, engine, claim, messages, alive)
        except SLACK_FAILURES as exc:
            error = _slack_error(exc)
            if error in TOKEN_REFUSED_ERRORS:  # the workspace pauses (logged once), not retried
                token_refused(engine, workspace, error)
                return fail(error, Result.PAUSED, rows=rows)
            if error in PAUSE_ERRORS:
                logger.warning("digest %s %s: %s; subscription paused", channel, day, error)
                with session_scope(engine) as session:
                    pause_subscription(claim.subscription_id, error, session=session)
                outcome = fail(error, Result.PAUSED, rows=rows)
                _tell_subscriber(client, subscription, error)
                return outcome
            logger.error("digest %s %s failed (attempt %d): %s", channel, day, claim.attempts, error)
            return fail(error, rows=rows)
        if not held:
            return Outcome(team_id, channel, day, Result.IN_PROGRESS, rows=rows)
        with session_scope(engine) as session:
            held = finish_run(
                claim, RunStatus.POSTED, session=session, message_ts=thread_ts, parts_posted=len(messages)
            )
        if not held:  # as when progress could not be recorded: whoever took the claim over decides
            logger.error("digest %s %s: lost the claim while posting", channel, day)
            return Outcome(team_id, channel, day, Result.IN_PROGRESS, rows=rows)
        logger.info(
            "digest %s %s: posted %d of %d rows in %d message(s)",
            channel,
            day,
            len(view.items),
            rows,
            len(messages),
        )
        return Outcome(
            team_id,
            channel,
            day,
            Result.POSTED,
            rows,
            len(messages),
            thread_ts,
            listed=len(view.items),
            earlier=earlier,
        )
    except Exception as exc:
        # The job's boundary: whatever broke, the run is marked failed (and so retried)
        # rather than left claimed until it goes stale.
        logger.exception("digest %s %s failed", channel, day)
        return fail(f"{type(exc).__name__}: {exc}", rows=rows)


# --- the ticker's work ---------------------------------------------------------------------------


def _worth_claiming(
    subscription: DigestSubscription, day: date, now: datetime, *, engine: Engine, stale_after: timedelta
) -> bool:
    """A read-only look first, so a tick writes nothing for digests that are done or waiting."""
    with session_scope(engine) as session:
        if is_paused(subscription.workspace_id, session=session):  # paused since the due query
            return False
        run = get_run(subscription.workspace_id, subscription.channel_id, day, session=session)
    if run is None:
        return True
    status = RunStatus(run.status)
    if status in DONE:
        return False
    if status is RunStatus.CLAIMED:
        return is_stale(run, now, stale_after)
    return (run.finished_at or run.claimed_at) + retry_delay(run.attempts) <= now


def run_due(services: Services, *, now: datetime | None = None) -> list[Outcome]:
    """Post every digest due at `now` that is not done yet (the scheduler calls this each minute).

    A digest is due from its local time to the end of its local day, so one missed while
    the app was down goes out when it is back, the same day.
    """
    now = now or utcnow()
    with session_scope(services.engine) as session:
        due = []
        for subscription, workspace in subscriptions(session=session, include_paused=False):
            try:
                day = subscription_due_day(subscription, now)
            except ValueError:
                logger.error("digest %s: bad time or zone in its subscription", subscription.channel_id)
                continue
            if day is not None:
                due.append((subscription, workspace, day))
    outcomes = []
    shared = SharedDigests(services.engine)
    for subscription, workspace, day in due:
        stale_after = takeover_after(services.settings)
        if not _worth_claiming(subscription, day, now, engine=services.engine, stale_after=stale_after):
            continue
        outcomes.append(run_subscription(services, subscription, workspace, day, now=now, shared=shared))
    return outcomes
