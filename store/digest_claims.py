"""The once-per-day claim: a channel's digest goes out exactly once per local day.

However many copies of the app (or `renewals-bot digest`) run: a `DigestRun` row, unique on
(workspace, channel, local date), is inserted and committed *before* anything is posted.
Whoever inserts it posts; everyone else finds it and stops. A run that failed, or whose
poster died (claimed long ago and never finished), is taken over by a conditional UPDATE
on its (status, claim token): exactly one taker sees rowcount 1.

Functions take `*, session` and never commit: the runner commits the claim before it
calls Slack, and each step after (see bot/jobs/digest_runner.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.models import DigestRun, DigestSubscription
from store.types import utcnow

# A poster that has not finished (nor reported progress) for this long is taken to have died.
# Longer than any single post can take with the client's retries (a few Retry-After waits).
STALE_CLAIM_AFTER = timedelta(minutes=10)


class RunStatus(StrEnum):
    CLAIMED = "claimed"  # someone is posting (or died posting: see STALE_CLAIM_AFTER)
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


def retry_delay(attempts: int) -> timedelta:
    """How long a failed digest waits before the ticker tries again: 1, 2, 4 … up to 30 minutes.

    A channel whose Slack calls keep failing is not hammered every minute, yet a digest
    still gets many tries within its day.
    """
    return timedelta(minutes=min(2 ** max(0, attempts - 1), 30))


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


@dataclass(frozen=True)
class Refusal:
    """Why no claim was taken: the day's digest is done, in progress, or waiting to be retried."""

    reason: str  # "done" | "in_progress" | "retry_later"
    status: RunStatus
    finished_at: datetime | None
    message_ts: str | None
    retry_at: datetime | None = None


def _insert_claim(
    subscription: DigestSubscription, day: date, token: str, now: datetime, *, session: Session
) -> bool:
    """INSERT the day's run unless one exists; True when this call inserted it."""
    table = DigestRun.__table__  # type: ignore[attr-defined]
    values = {
        "workspace_id": subscription.workspace_id,
        "subscription_id": subscription.id,
        "channel_id": subscription.channel_id,
        "local_date": day,
        "status": RunStatus.CLAIMED.value,
        "claim_token": token,
        "attempts": 1,
        "parts_posted": 0,
        "claimed_at": now,
    }
    return insert_if_absent(table, values, constraint="uq_digest_run_day", session=session)


def insert_if_absent(table: Any, values: dict[str, Any], *, constraint: str, session: Session) -> bool:
    """INSERT a claim row unless its unique `constraint` already holds one; True when inserted.

    The unique key decides between racers: exactly one INSERT wins, the others do nothing.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(table).values(values).on_conflict_do_nothing(constraint=constraint)
    elif dialect == "sqlite":
        statement = sqlite.insert(table).values(values).on_conflict_do_nothing()
    else:  # pragma: no cover - the app supports SQLite and PostgreSQL
        raise NotImplementedError(f"claims need SQLite or PostgreSQL, not {dialect}")
    # RETURNING, not rowcount: psycopg reports -1 rows for INSERT ... ON CONFLICT.
    return session.execute(statement.returning(table.c.id)).scalar_one_or_none() is not None


def _claim(subscription: DigestSubscription, day: date, token: str, *, session: Session) -> Claim:
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
    )


def claim_run(
    subscription: DigestSubscription,
    day: date,
    *,
    session: Session,
    now: datetime | None = None,
    retry_failed_now: bool = False,
) -> Claim | Refusal:
    """Take the right to post `subscription`'s digest for local date `day`, or say why not.

    Insert-first (the unique key decides between racers); otherwise take over a failed run
    (once its retry delay has passed, or at once with `retry_failed_now`) or a stale claim,
    by a conditional UPDATE that only one racer can win. The caller commits right away.
    """
    now = now or utcnow()
    token = secrets.token_hex(16)
    # The INSERT is the transaction's first statement, so on SQLite it takes the write lock
    # before anything is read (no stale read snapshot to upgrade), and racers queue on it.
    if _insert_claim(subscription, day, token, now, session=session):
        return _claim(subscription, day, token, session=session)

    run = get_run(subscription.workspace_id, subscription.channel_id, day, session=session)
    assert run is not None and run.id is not None
    status = RunStatus(run.status)
    if status in DONE:
        return Refusal("done", status, run.finished_at, run.message_ts)
    if status is RunStatus.CLAIMED and run.claimed_at > now - STALE_CLAIM_AFTER:
        return Refusal("in_progress", status, run.finished_at, run.message_ts)
    if status is RunStatus.FAILED and not retry_failed_now:
        retry_at = (run.finished_at or run.claimed_at) + retry_delay(run.attempts)
        if now < retry_at:
            return Refusal("retry_later", status, run.finished_at, run.message_ts, retry_at)

    taken = session.execute(
        update(DigestRun)
        .where(
            col(DigestRun.id) == run.id,
            col(DigestRun.status) == run.status,
            col(DigestRun.claim_token) == run.claim_token,
        )
        .values(
            status=RunStatus.CLAIMED.value,
            claim_token=token,
            attempts=DigestRun.attempts + 1,
            claimed_at=now,
            # The subscription may have been re-made since the run was first claimed.
            subscription_id=subscription.id,
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        # Someone else took it over between our read and our update.
        return Refusal("in_progress", RunStatus.CLAIMED, None, run.message_ts)
    return _claim(subscription, day, token, session=session)


def _update_claimed(claim: Claim, *, session: Session, **values: Any) -> bool:
    """Change the claimed run, only while we still hold it. False when we lost it."""
    result = session.execute(
        update(DigestRun)
        .where(
            col(DigestRun.id) == claim.run_id,
            col(DigestRun.claim_token) == claim.token,
            col(DigestRun.status) == RunStatus.CLAIMED.value,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def record_progress(
    claim: Claim, *, session: Session, message_ts: str, parts_posted: int, now: datetime | None = None
) -> bool:
    """After each message: where the thread is and how far we got (also renews the claim)."""
    return _update_claimed(
        claim, session=session, message_ts=message_ts, parts_posted=parts_posted, claimed_at=now or utcnow()
    )


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
