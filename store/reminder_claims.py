"""The once-per-day claim of a person's reminder, by the digest's rules (store/digest_claims.py).

A `ReminderRun` row, unique on (workspace, user, local date), is inserted and committed before
anything is sent: whoever inserts it sends, everyone else stops. A run that failed (after its
retry delay) or whose sender died (claimed long ago, never finished) is taken over by a
conditional UPDATE on its (status, claim token): exactly one taker sees rowcount 1.

Functions take `*, session` and never commit (bot/jobs/reminders.py commits each step).
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

from store.digest_claims import retry_delay
from store.models import ReminderRun
from store.types import utcnow

# A claim whose sender stayed silent this long is taken over (no heartbeat here yet: long enough
# for a DM held up by Slack's 429 waits).
STALE_CLAIM_AFTER = timedelta(minutes=10)


class ReminderStatus(StrEnum):
    CLAIMED = "claimed"  # someone is sending (or died sending: see STALE_CLAIM_AFTER)
    SENT = "sent"  # done: the direct message went out
    EMPTY = "empty"  # done: by the time it was claimed, nothing was due
    UNREACHABLE = "unreachable"  # done: Slack said the person cannot be messaged
    FAILED = "failed"  # not done: tried again after its retry delay, the same local day


DONE = frozenset({ReminderStatus.SENT, ReminderStatus.EMPTY, ReminderStatus.UNREACHABLE})


@dataclass(frozen=True)
class ReminderClaim:
    """The right to send one person's reminder for one local day. Held while `token` matches."""

    run_id: int
    token: str
    workspace_id: int
    user_id: str
    local_date: date
    attempts: int


def get_reminder_run(workspace_id: int, user_id: str, day: date, *, session: Session) -> ReminderRun | None:
    query = (
        select(ReminderRun)
        .where(
            ReminderRun.workspace_id == workspace_id,
            ReminderRun.user_id == user_id,
            ReminderRun.local_date == day,
        )
        .execution_options(populate_existing=True)
    )
    return session.exec(query).first()


def latest_reminder_run(workspace_id: int, user_id: str, *, session: Session) -> ReminderRun | None:
    query = (
        select(ReminderRun)
        .where(ReminderRun.workspace_id == workspace_id, ReminderRun.user_id == user_id)
        .order_by(col(ReminderRun.local_date).desc())
        .limit(1)
    )
    return session.exec(query).first()


def waiting_reason(run: ReminderRun | None, now: datetime) -> str | None:
    """Why the day's reminder is not to be claimed at `now` ("done", "in_progress", "retry_later"),
    or None when it may be: no run yet, a failed one whose delay has passed, a stale claim."""
    if run is None:
        return None
    status = ReminderStatus(run.status)
    if status in DONE:
        return "done"
    if status is ReminderStatus.CLAIMED:
        return "in_progress" if run.claimed_at > now - STALE_CLAIM_AFTER else None
    retry_at = (run.finished_at or run.claimed_at) + retry_delay(run.attempts)
    return "retry_later" if now < retry_at else None


def insert_unless_taken(table: Any, values: dict[str, Any], constraint: str, *, session: Session) -> bool:
    """INSERT a row unless one with the same `constraint` key exists; True when this call inserted it."""
    if session.get_bind().dialect.name == "postgresql":
        statement = postgresql.insert(table).values(values).on_conflict_do_nothing(constraint=constraint)
    else:
        statement = sqlite.insert(table).values(values).on_conflict_do_nothing()
    # RETURNING, not rowcount: psycopg reports -1 rows for INSERT ... ON CONFLICT.
    return session.execute(statement.returning(table.c.id)).scalar_one_or_none() is not None


def _insert_claim(
    workspace_id: int, user_id: str, day: date, token: str, now: datetime, *, session: Session
) -> bool:
    """INSERT the day's run unless one exists; True when this call inserted it."""
    values = {
        "workspace_id": workspace_id,
        "user_id": user_id,
        "local_date": day,
        "status": ReminderStatus.CLAIMED.value,
        "claim_token": token,
        "attempts": 1,
        "items": 0,
        "claimed_at": now,
    }
    return insert_unless_taken(ReminderRun.__table__, values, "uq_reminder_run_day", session=session)  # type: ignore[attr-defined]


def claim_reminder(
    workspace_id: int, user_id: str, day: date, *, session: Session, now: datetime | None = None
) -> ReminderClaim | str:
    """Take the right to send `user_id`'s reminder for local date `day`, or say why not
    (`waiting_reason`). Insert first (the unique key decides between racers), else take over a
    failed or stale run by a conditional UPDATE only one racer can win. Commit right away."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    # The INSERT comes first so that on SQLite it takes the write lock before anything is read.
    if not _insert_claim(workspace_id, user_id, day, token, now, session=session):
        run = get_reminder_run(workspace_id, user_id, day, session=session)
        assert run is not None
        reason = waiting_reason(run, now)
        if reason is not None:
            return reason
        taken = session.execute(
            update(ReminderRun)
            .where(
                col(ReminderRun.id) == run.id,
                col(ReminderRun.status) == run.status,
                col(ReminderRun.claim_token) == run.claim_token,
            )
            .values(
                status=ReminderStatus.CLAIMED.value,
                claim_token=token,
                attempts=ReminderRun.attempts + 1,
                claimed_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return "in_progress"  # someone else took it over between our read and our update
    run = get_reminder_run(workspace_id, user_id, day, session=session)
    assert run is not None and run.id is not None
    return ReminderClaim(run.id, token, workspace_id, user_id, day, run.attempts)


def finish_reminder(
    claim: ReminderClaim,
    status: ReminderStatus,
    *,
    session: Session,
    now: datetime | None = None,
    error: str | None = None,
    **values: Any,
) -> bool:
    """Mark the claimed run sent, empty, unreachable or failed. False when we lost the claim."""
    assert status is not ReminderStatus.CLAIMED
    values |= {"status": status.value, "finished_at": now or utcnow()}
    if error is not None:  # a later success keeps the last error, as history
        values["error"] = error[:500]
    result = session.execute(
        update(ReminderRun)
        .where(
            col(ReminderRun.id) == claim.run_id,
            col(ReminderRun.claim_token) == claim.token,
            col(ReminderRun.status) == ReminderStatus.CLAIMED.value,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]
