"""The once-per-day claim: a channel's digest goes out exactly once per local day.

However many copies of the app (or `renewals-bot digest`) run: a `DigestRun` row, unique on
(workspace, channel, local date), is inserted and committed *before* anything is posted.
Whoever inserts it posts; everyone else finds it and stops. A run that failed, or whose
poster died (its heartbeat silent for the takeover interval), is taken over by a conditional
UPDATE on its (status, claim token, last sign of life): exactly one taker sees rowcount 1.
The holder renews `heartbeat_at` while it posts (`heartbeat`, `record_progress`), so a live
poster, however slow Slack is, keeps its claim, and a dead one loses it within the interval.
Those rules are shared with reminders and alerts (store/claims.py).

Functions take `*, session` and never commit: the runner commits the claim before it
calls Slack, and each step after (see bot/jobs/digest_runner.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from store.claims import (
    STALE_CLAIM_AFTER,
    insert_if_absent,
    is_stale,
    last_seen,
    new_claim,
    retry_at,
    take_over,
    update_claimed,
)
from store.models import DigestRun, DigestSubscription
from store.types import utcnow


class RunStatus(StrEnum):
    CLAIMED = "claimed"  # someone is posting (or died posting: its heartbeat stopped)
    POSTED = "posted"  # done: the digest (or the all-clear) went out
    EMPTY = "empty"  # done: nothing to report and the channel wants no all-clear
    FAILED = "failed"  # not done: tried again on a later run the same local day


DONE = frozenset({RunStatus.POSTED, RunStatus.EMPTY})


def get_run(workspace_id: int, channel_id: str, day: date, *, session: Session) -> DigestRun | None:
    query = (
        select(DigestRun)
        .where(
            DigestRun.workspace_id == workspace_id,
            DigestRun.channel_id == channel_id,
            DigestRun.local_date == day,
        )
        .execution_options(populate_existing=True)
    )
    return session.exec(query).first()


def runs_on(day: date, *, session: Session) -> dict[tuple[int, str], DigestRun]:
    """Every channel's run for local date `day`, by (workspace, channel): one read for many."""
    query = select(DigestRun).where(DigestRun.local_date == day)
    return {(run.workspace_id, run.channel_id): run for run in session.exec(query)}


def latest_run(subscription: DigestSubscription, *, session: Session) -> DigestRun | None:
    query = (
        select(DigestRun)
        .where(
            DigestRun.workspace_id == subscription.workspace_id,
            DigestRun.channel_id == subscription.channel_id,
        )
        .order_by(col(DigestRun.local_date).desc())
        .limit(1)
    )
    return session.exec(query).first()


@dataclass(frozen=True)
class Claim:
    """The right to post one channel's digest for one local day. Held while `token` matches."""

    run_id: int
    token: str
    workspace_id: int
    subscription_id: int
    channel_id: str
    local_date: date
    attempts: int
    parts_posted: int  # messages of this digest already in Slack (from an earlier, failed try)
    message_ts: str | None  # the first message, when it is in Slack: the thread to continue
    started_at: datetime  # first claimed: anything this run posted is in Slack after it
    taken_over: bool = False  # taken from a holder whose heartbeat stopped

    @property
    def resumed(self) -> bool:
        """An earlier try may have posted a message it did not live (or hear back) to record."""
        return self.attempts > 1


@dataclass(frozen=True)
class Refusal:
    """Why no claim was taken: the day's digest is done, in progress, or waiting to be retried."""

    reason: str  # "done" | "in_progress" | "retry_later"
    status: RunStatus
    finished_at: datetime | None
    message_ts: str | None
    retry_at: datetime | None = None
    # in_progress: the holder's last sign of life, when it may be taken over, and who it is
    last_seen: datetime | None = None
    takeover_at: datetime | None = None
    holder: str | None = None


def _insert_claim(
    subscription: DigestSubscription,
    day: date,
    token: str,
    now: datetime,
    holder: str | None,
    *,
    session: Session,
) -> bool:
    """INSERT the day's run unless one exists; True when this call inserted it."""
    table = DigestRun.__table__  # type: ignore[attr-defined]
    values = {
        "workspace_id": subscription.workspace_id,
        "subscription_id": subscription.id,
        "channel_id": subscription.channel_id,
        "local_date": day,
        "parts_posted": 0,
        **new_claim(token, now, holder),
    }
    return insert_if_absent(table, values, constraint="uq_digest_run_day", session=session)


def _claim(
    subscription: DigestSubscription, day: date, token: str, *, session: Session, taken_over: bool = False
) -> Claim:
    """The claim just taken with `token`, read back from the run (the database filled it in)."""
    run = get_run(subscription.workspace_id, subscription.channel_id, day, session=session)
    assert run is not None and run.id is not None and subscription.id is not None
    return Claim(
        run_id=run.id,
        token=token,
        workspace_id=run.workspace_id,
        subscription_id=subscription.id,
        channel_id=run.channel_id,
        local_date=run.local_date,
        attempts=run.attempts,
        parts_posted=run.parts_posted,
        message_ts=run.message_ts,
        started_at=run.started_at or run.claimed_at,
        taken_over=taken_over,
    )


def claim_run(
    subscription: DigestSubscription,
    day: date,
    *,
    session: Session,
    stale_after: timedelta = STALE_CLAIM_AFTER,
    now: datetime | None = None,
    retry_failed_now: bool = False,
    holder: str | None = None,
) -> Claim | Refusal:
    """Take the right to post `subscription`'s digest for local date `day`, or say why not.

    Insert-first (the unique key decides between racers); otherwise take over a failed run
    (once its retry delay has passed, or at once with `retry_failed_now`) or a claim whose
    heartbeat has been silent for `stale_after`, by a conditional UPDATE that only one racer
    can win. `holder` names the taker (host and process). The caller commits right away.
    """
    now = now or utcnow()
    token = secrets.token_hex(16)
    # The INSERT is the transaction's first statement, so on SQLite it takes the write lock
    # before anything is read (no stale read snapshot to upgrade), and racers queue on it.
    if _insert_claim(subscription, day, token, now, holder, session=session):
        return _claim(subscription, day, token, session=session)

    run = get_run(subscription.workspace_id, subscription.channel_id, day, session=session)
    assert run is not None and run.id is not None
    status = RunStatus(run.status)
    if status in DONE:
        return Refusal("done", status, run.finished_at, run.message_ts)
    if status is RunStatus.CLAIMED and not is_stale(run, now, stale_after):
        seen = last_seen(run)
        return Refusal(
            "in_progress",
            status,
            run.finished_at,
            run.message_ts,
            last_seen=seen,
            takeover_at=seen + stale_after,
            holder=run.claimed_by,
        )
    if status is RunStatus.FAILED and not retry_failed_now:
        waiting_until = retry_at(run)
        if now < waiting_until:
            return Refusal("retry_later", status, run.finished_at, run.message_ts, waiting_until)

    # The subscription may have been re-made since the run was first claimed.
    taken = take_over(
        DigestRun,
        run,
        token,
        now=now,
        stale_after=stale_after,
        holder=holder,
        session=session,
        subscription_id=subscription.id,
    )
    if not taken:
        # Someone else took it over (or its holder spoke up) between our read and our update.
        return Refusal("in_progress", RunStatus.CLAIMED, None, run.message_ts, last_seen=now, holder=None)
    return _claim(subscription, day, token, session=session, taken_over=status is RunStatus.CLAIMED)


def _update_claimed(claim: Claim, *, session: Session, **values: Any) -> bool:
    """Change the claimed run, only while we still hold it. False when we lost it."""
    return update_claimed(DigestRun, claim.run_id, claim.token, session=session, **values)


def record_progress(
    claim: Claim, *, session: Session, message_ts: str, parts_posted: int, now: datetime | None = None
) -> bool:
    """After each message: where the thread is and how far we got (also a heartbeat)."""
    return _update_claimed(
        claim, session=session, message_ts=message_ts, parts_posted=parts_posted, heartbeat_at=now or utcnow()
    )


def heartbeat(claim: Claim, *, session: Session, now: datetime | None = None) -> bool:
    """The holder is alive: renew the claim. False when it was lost (taken over or finished)."""
    return _update_claimed(claim, session=session, heartbeat_at=now or utcnow())


def finish_run(
    claim: Claim,
    status: RunStatus,
    *,
    session: Session,
    now: datetime | None = None,
    error: str | None = None,
    message_ts: str | None = None,
    parts_posted: int | None = None,
) -> bool:
    """Mark the claimed run posted, empty or failed (with the error). False when we lost the claim.

    `message_ts` and `parts_posted` record the last message's progress in the same commit."""
    assert status is not RunStatus.CLAIMED
    values: dict[str, Any] = {"status": status.value, "finished_at": now or utcnow()}
    if message_ts is not None:
        values["message_ts"] = message_ts
    if parts_posted is not None:
        values["parts_posted"] = parts_posted
    if error is not None:  # a later success keeps the last error, as history
        values["error"] = error[:500]
    return _update_claimed(claim, session=session, **values)
