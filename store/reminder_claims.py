"""The once-per-day claim of a person's reminder, by the digest's rules (store/digest_claims.py).

A `ReminderRun` row, unique on (workspace, user, local date), is inserted and committed before
anything is sent: whoever inserts it sends, everyone else stops. A run that failed (after its
retry delay) or whose sender fell silent (no heartbeat for the takeover interval) is taken over
by a conditional UPDATE that exactly one taker wins (the shared rules: store/claims.py).

Functions take `*, session` and never commit (bot/jobs/reminders.py commits each step).
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
    new_claim,
    retry_at,
    take_over,
    update_claimed,
)
from store.models import ReminderRun
from store.types import utcnow


class ReminderStatus(StrEnum):
    CLAIMED = "claimed"  # someone is sending (or died sending: its heartbeat stopped)
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
    started_at: datetime  # first claimed: a DM an earlier try sent is in Slack after it
    taken_over: bool = False  # taken from a holder whose heartbeat stopped

    @property
    def resumed(self) -> bool:
        """An earlier try may have sent the DM without living (or hearing back) to record it."""
        return self.attempts > 1


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


def waiting_reason(
    run: ReminderRun | None, now: datetime, stale_after: timedelta = STALE_CLAIM_AFTER
) -> str | None:
    """Why the day's reminder is not to be claimed at `now` ("done", "in_progress", "retry_later"),
    or None when it may be: no run yet, a failed one whose delay has passed, a silent claim."""
    if run is None:
        return None
    status = ReminderStatus(run.status)
    if status in DONE:
        return "done"
    if status is ReminderStatus.CLAIMED:
        return None if is_stale(run, now, stale_after) else "in_progress"
    return "retry_later" if now < retry_at(run) else None


def claim_reminder(
    workspace_id: int,
    user_id: str,
    day: date,
    *,
    session: Session,
    now: datetime | None = None,
    stale_after: timedelta = STALE_CLAIM_AFTER,
    holder: str | None = None,
) -> ReminderClaim | str:
    """Take the right to send `user_id`'s reminder for local date `day`, or say why not
    (`waiting_reason`). Insert first (the unique key decides between racers), else take over a
    failed run or a silent claim by a conditional UPDATE only one racer can win. Commit right away."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    values = {"workspace_id": workspace_id, "user_id": user_id, "local_date": day, "items": 0}
    table = ReminderRun.__table__  # type: ignore[attr-defined]
    # The INSERT comes first so that on SQLite it takes the write lock before anything is read.
    taken_over = False
    if not insert_if_absent(
        table, values | new_claim(token, now, holder), constraint="uq_reminder_run_day", session=session
    ):
        run = get_reminder_run(workspace_id, user_id, day, session=session)
        assert run is not None
        reason = waiting_reason(run, now, stale_after)
        if reason is not None:
            return reason
        if not take_over(
            ReminderRun, run, token, now=now, stale_after=stale_after, holder=holder, session=session
        ):
            return "in_progress"  # someone else took it over (or its holder spoke up) meanwhile
        taken_over = run.status == ReminderStatus.CLAIMED.value
    run = get_reminder_run(workspace_id, user_id, day, session=session)
    assert run is not None and run.id is not None
    started = run.started_at or run.claimed_at
    return ReminderClaim(run.id, token, workspace_id, user_id, day, run.attempts, started, taken_over)


def heartbeat(claim: ReminderClaim, *, session: Session, now: datetime | None = None) -> bool:
    """The sender is alive: renew the claim. False when it was lost (taken over or finished)."""
    return update_claimed(
        ReminderRun, claim.run_id, claim.token, session=session, heartbeat_at=now or utcnow()
    )


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
    return update_claimed(ReminderRun, claim.run_id, claim.token, session=session, **values)
