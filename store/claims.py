"""What every job's claim shares: the digest's, a reminder's, a "What changed" alert's.

A claim is a row, unique on what goes out once (a channel's day, a person's day, an import's
channel), inserted and committed before anything is posted: the INSERT that wins posts. A row
that failed, or whose holder fell silent (its heartbeat older than the takeover interval), is
taken over by a conditional UPDATE on its (status, claim token, last sign of life) that exactly
one taker wins. The holder renews `heartbeat_at` while it posts, so a live one keeps its claim
however slow Slack is. Every claim table has the columns used here: status, claim_token,
attempts, claimed_at, started_at, heartbeat_at, claimed_by.

Functions take `*, session` and never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

# A claim whose holder has been silent (no heartbeat) this long is taken to have died and is
# taken over. Several beats fit in it (the holder beats every third of it), and no single Slack
# call outlasts it unnoticed: the beat runs beside the call. CLAIM_TAKEOVER_SECONDS overrides it.
STALE_CLAIM_AFTER = timedelta(minutes=1)
# The status of a row someone holds (or held, then died holding: its heartbeat stopped).
CLAIMED = "claimed"


def retry_delay(attempts: int) -> timedelta:
    """How long a failed claim waits before it is tried again: 1, 2, 4 … up to 30 minutes.

    A post whose Slack calls keep failing is not hammered every minute, yet it still gets many
    tries within its day.
    """
    return timedelta(minutes=min(2 ** max(0, attempts - 1), 30))


def last_seen(row: Any) -> datetime:
    """The claim holder's last sign of life: its heartbeat, else when it claimed."""
    return row.heartbeat_at or row.claimed_at


def is_stale(row: Any, now: datetime, stale_after: timedelta = STALE_CLAIM_AFTER) -> bool:
    """A claimed row whose holder has been silent for `stale_after`: taken to have died."""
    return row.status == CLAIMED and last_seen(row) <= now - stale_after


def retry_at(row: Any) -> datetime:
    """When a failed row may be claimed again."""
    return (row.finished_at or row.claimed_at) + retry_delay(row.attempts)


def new_claim(token: str, now: datetime, holder: str | None) -> dict[str, Any]:
    """The claim columns of a row inserted by its first holder."""
    return {
        "status": CLAIMED,
        "claim_token": token,
        "attempts": 1,
        "claimed_at": now,
        "started_at": now,
        "heartbeat_at": now,
        "claimed_by": holder,
    }


def insert_if_absent(table: Any, values: dict[str, Any], *, constraint: str, session: Session) -> bool:
    """INSERT a row unless its unique `constraint` already holds one; True when inserted.

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


def take_over(
    model: Any,
    row: Any,
    token: str,
    *,
    now: datetime,
    stale_after: timedelta,
    holder: str | None,
    session: Session,
    **values: Any,
) -> bool:
    """Claim `row` (failed, or held by a silent holder) with `token`; True when this call won it.

    Conditional on the row being as read: someone else's takeover (a new token) or a heartbeat
    since (no longer silent) makes it match nothing. `values`: more columns to set.
    """
    conditions = [
        col(model.id) == row.id,
        col(model.status) == row.status,
        col(model.claim_token) == row.claim_token,
    ]
    if row.status == CLAIMED:  # still silent: a heartbeat since our read keeps it its holder's
        conditions.append(func.coalesce(model.heartbeat_at, model.claimed_at) <= now - stale_after)
    taken = session.execute(
        update(model)
        .where(*conditions)
        .values(
            status=CLAIMED,
            claim_token=token,
            attempts=model.attempts + 1,
            claimed_at=now,
            heartbeat_at=now,
            claimed_by=holder,
            started_at=func.coalesce(model.started_at, model.claimed_at),
            **values,
        )
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1  # type: ignore[attr-defined]


def update_claimed(model: Any, row_id: int, token: str, *, session: Session, **values: Any) -> bool:
    """Change the claimed row, only while `token` still holds it. False when the claim was lost."""
    result = session.execute(
        update(model)
        .where(col(model.id) == row_id, col(model.claim_token) == token, col(model.status) == CLAIMED)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]
