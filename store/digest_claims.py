"""Daily digests in the store: subscriptions, the once-per-day claim, and the digest's content.

The claim is what makes a digest go out exactly once per channel per local day, however
many copies of the app (or `renewals-bot digest`) run: a `DigestRun` row, unique on
(workspace, channel, local date), is inserted and committed *before* anything is posted.
Whoever inserts it posts; everyone else finds it and stops. A run that failed, or whose
poster died (claimed long ago and never finished), is taken over by a conditional UPDATE
on its (status, claim token): exactly one taker sees rowcount 1.

Functions take `*, session` and never commit: the runner commits the claim before it
calls Slack, and each step after (see bot/digest_runner.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.audit import record_change
from store.models import DigestRun, DigestSubscription, Workspace
from store.rules import DEFAULT_DIGEST_DAYS, UPCOMING_WINDOW_DAYS, days_until, totals_by_currency
from store.schedule import (
    DEFAULT_LOCAL_TIME,
    due_at,
    due_day,
    format_local_time,
    next_due,
    parse_local_time,
    zone,
)
from store.types import utcnow
from store.upcoming import RenewalRow, load_rows

# A poster that has not finished (nor reported progress) for this long is taken to have died.
# Longer than any single post can take with the client's retries (a few Retry-After waits).
STALE_CLAIM_AFTER = timedelta(minutes=10)
# Deadlines in the next 7 days (after today) are "this week"; later ones are "later".
THIS_WEEK_DAYS = 7
MAX_DIGEST_DAYS = UPCOMING_WINDOW_DAYS
APP_ACTOR = "renewals-bot"


class RunStatus(StrEnum):
    CLAIMED = "claimed"  # someone is posting (or died posting: see STALE_CLAIM_AFTER)
    POSTED = "posted"  # done: the digest (or the all-clear) went out
    EMPTY = "empty"  # done: nothing to report and the channel wants no all-clear
    FAILED = "failed"  # not done: tried again on a later run the same local day


DONE = frozenset({RunStatus.POSTED, RunStatus.EMPTY})


# --- subscriptions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestOptions:
    """What `/renewals digest on ...` sets. Whatever is not typed takes its default."""

    local_time: time = DEFAULT_LOCAL_TIME
    timezone: str = "UTC"
    days_ahead: int = DEFAULT_DIGEST_DAYS
    weekends: bool = False
    all_clear: bool = False

    def __post_init__(self) -> None:
        zone(self.timezone)  # ValueError for an unknown zone
        if not 1 <= self.days_ahead <= MAX_DIGEST_DAYS:
            raise ValueError(f"days must be 1 to {MAX_DIGEST_DAYS}")


def _subscription_snapshot(subscription: DigestSubscription) -> dict[str, Any]:
    return {
        "channel_id": subscription.channel_id,
        "active": subscription.active,
        "local_time": subscription.local_time,
        "timezone": subscription.timezone,
        "days_ahead": subscription.days_ahead,
        "weekends": subscription.weekends,
        "all_clear": subscription.all_clear,
        "paused_reason": subscription.paused_reason,
        "subscribed_by": subscription.subscribed_by,
    }


def get_subscription(workspace_id: int, channel_id: str, *, session: Session) -> DigestSubscription | None:
    query = select(DigestSubscription).where(
        DigestSubscription.workspace_id == workspace_id, DigestSubscription.channel_id == channel_id
    )
    return session.exec(query).first()


def subscribe(
    workspace: Workspace,
    channel_id: str,
    options: DigestOptions,
    *,
    session: Session,
    user_id: str,
    now: datetime | None = None,
) -> DigestSubscription:
    """Subscribe a channel, or update (and unpause) its subscription. Audited as `digest_on`.

    The person is recorded as the subscriber: the one told when the digest has to pause.
    """
    assert workspace.id is not None
    now = now or utcnow()
    subscription = get_subscription(workspace.id, channel_id, session=session)
    before = _subscription_snapshot(subscription) if subscription else None
    if subscription is None:
        subscription = DigestSubscription(
            workspace_id=workspace.id, channel_id=channel_id, subscribed_by=user_id, subscribed_at=now
        )
        session.add(subscription)
    subscription.local_time = format_local_time(options.local_time)
    subscription.timezone = options.timezone
    subscription.days_ahead = options.days_ahead
    subscription.weekends = options.weekends
    subscription.all_clear = options.all_clear
    subscription.active = True
    subscription.paused_reason = None
    subscription.subscribed_by = user_id
    subscription.subscribed_at = now
    subscription.updated_at = now
    session.flush()
    record_change(
        session=session,
        workspace_id=workspace.id,
        actor=user_id,
        action="digest_on",
        before=before,
        after=_subscription_snapshot(subscription),
    )
    return subscription


def unsubscribe(
    workspace: Workspace, channel_id: str, *, session: Session, user_id: str, now: datetime | None = None
) -> DigestSubscription | None:
    """Stop a channel's digest. The row stays (inactive) so its history does. Audited as `digest_off`."""
    assert workspace.id is not None
    subscription = get_subscription(workspace.id, channel_id, session=session)
    if subscription is None or not subscription.active:
        return subscription
    before = _subscription_snapshot(subscription)
    subscription.active = False
    subscription.updated_at = now or utcnow()
    record_change(
        session=session,
        workspace_id=workspace.id,
        actor=user_id,
        action="digest_off",
        before=before,
        after=_subscription_snapshot(subscription),
    )
    return subscription


def pause_subscription(
    subscription_id: int, reason: str, *, session: Session, now: datetime | None = None
) -> DigestSubscription | None:
    """Pause a subscription the app cannot post for (archived channel, bot removed). Audited."""
    subscription = session.get(DigestSubscription, subscription_id)
    if subscription is None or subscription.paused_reason == reason:
        return subscription
    before = _subscription_snapshot(subscription)
    subscription.paused_reason = reason
    subscription.updated_at = now or utcnow()
    record_change(
        session=session,
        workspace_id=subscription.workspace_id,
        actor=APP_ACTOR,
        action="digest_paused",
        before=before,
        after=_subscription_snapshot(subscription),
    )
    return subscription


def subscriptions(
    *,
    session: Session,
    team_id: str | None = None,
    channel_id: str | None = None,
    include_paused: bool = True,
) -> list[tuple[DigestSubscription, Workspace]]:
    """Active subscriptions (of every workspace unless `team_id`), with their workspace."""
    query = (
        select(DigestSubscription, Workspace)
        .join(Workspace, col(Workspace.id) == col(DigestSubscription.workspace_id))
        .where(col(DigestSubscription.active).is_(True))
        .order_by(col(Workspace.team_id), col(DigestSubscription.channel_id))
    )
    if team_id is not None:
        query = query.where(Workspace.team_id == team_id)
    if channel_id is not None:
        query = query.where(DigestSubscription.channel_id == channel_id)
    if not include_paused:
        query = query.where(col(DigestSubscription.paused_reason).is_(None))
    return [(subscription, workspace) for subscription, workspace in session.exec(query)]


def subscription_due_day(subscription: DigestSubscription, now: datetime) -> date | None:
    """The local date whose digest this subscription is due to post at `now` (see store.schedule)."""
    return due_day(
        now,
        local_time=parse_local_time(subscription.local_time),
        tz=zone(subscription.timezone),
        weekends=subscription.weekends,
        since=subscription.subscribed_at,
    )


def subscription_next_due(subscription: DigestSubscription, now: datetime, *, done_today: bool) -> datetime:
    return next_due(
        now,
        local_time=parse_local_time(subscription.local_time),
        tz=zone(subscription.timezone),
        weekends=subscription.weekends,
        since=subscription.subscribed_at,
        done_today=done_today,
    )


def subscription_due_at(subscription: DigestSubscription, day: date) -> datetime:
    return due_at(day, parse_local_time(subscription.local_time), zone(subscription.timezone))


# --- runs and the claim ------------------------------------------------------------------------


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
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = (
            postgresql.insert(table).values(values).on_conflict_do_nothing(constraint="uq_digest_run_day")
        )
    elif dialect == "sqlite":
        statement = sqlite.insert(table).values(values).on_conflict_do_nothing()
    else:  # pragma: no cover - the app supports SQLite and PostgreSQL
        raise NotImplementedError(f"digest claims need SQLite or PostgreSQL, not {dialect}")
    # RETURNING, not rowcount: psycopg reports -1 rows for INSERT ... ON CONFLICT.
    return session.execute(statement.returning(table.c.id)).scalar_one_or_none() is not None


def _claim_from(run: DigestRun, subscription: DigestSubscription, token: str) -> Claim:
    assert run.id is not None and subscription.id is not None
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
        run = get_run(subscription.workspace_id, subscription.channel_id, day, session=session)
        assert run is not None
        return _claim_from(run, subscription, token)

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
    run = get_run(subscription.workspace_id, subscription.channel_id, day, session=session)
    assert run is not None
    return _claim_from(run, subscription, token)


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
) -> bool:
    """Mark the claimed run posted, empty or failed (with the error). False when we lost the claim."""
    assert status is not RunStatus.CLAIMED
    values: dict[str, Any] = {"status": status.value, "finished_at": now or utcnow()}
    if error is not None:  # a later success keeps the last error, as history
        values["error"] = error[:500]
    return _update_claimed(claim, session=session, **values)


# --- content -----------------------------------------------------------------------------------


class DeadlineGroup(StrEnum):
    TODAY = "today"
    THIS_WEEK = "this_week"
    LATER = "later"

    @property
    def title(self) -> str:
        return {
            DeadlineGroup.TODAY: "Deadline today",
            DeadlineGroup.THIS_WEEK: "Deadline this week",
            DeadlineGroup.LATER: "Deadline later",
        }[self]


def deadline_group(days_left: int) -> DeadlineGroup:
    if days_left <= 0:
        return DeadlineGroup.TODAY
    if days_left <= THIS_WEEK_DAYS:
        return DeadlineGroup.THIS_WEEK
    return DeadlineGroup.LATER


@dataclass(frozen=True)
class DigestItem:
    row: RenewalRow
    days_left: int
    # Noon of the deadline in the digest's time zone, for Slack's <!date^…> (every reader
    # sees the date in their own zone; noon keeps it the same date for nearly all of them).
    deadline_epoch: int

    @property
    def group(self) -> DeadlineGroup:
        return deadline_group(self.days_left)


@dataclass(frozen=True)
class DigestView:
    """One channel's digest for one local day: what Slack and the terminal both show."""

    team_id: str
    channel_id: str
    day: date
    days_ahead: int
    timezone: str
    local_time: str
    all_clear: bool  # post a one-line all-clear when there is nothing to report
    items: list[DigestItem]
    mrr_at_stake: dict[str, Decimal]

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def is_empty(self) -> bool:
        return not self.items

    @property
    def should_post(self) -> bool:
        return bool(self.items) or self.all_clear

    def groups(self) -> list[tuple[DeadlineGroup, list[DigestItem]]]:
        """Non-empty groups in order (today, this week, later), items soonest first."""
        grouped: dict[DeadlineGroup, list[DigestItem]] = {group: [] for group in DeadlineGroup}
        for item in self.items:
            grouped[item.group].append(item)
        return [(group, items) for group, items in grouped.items() if items]


def build_digest(
    workspace: Workspace,
    *,
    session: Session,
    day: date,
    channel_id: str,
    days_ahead: int = DEFAULT_DIGEST_DAYS,
    timezone: str = "UTC",
    local_time: str = "09:00",
    all_clear: bool = False,
) -> DigestView:
    """The contract changes that still need action with a deadline from `day` to `day + days_ahead`.

    Active associations only (load_rows leaves ended ones out); the status is the effective one.
    """
    tz = zone(timezone)
    rows = load_rows(
        workspace,
        session=session,
        today=day,
        deadline_from=day,
        deadline_until=day + timedelta(days=days_ahead),
    )
    items = [
        DigestItem(
            row=row,
            days_left=days_until(row.renewal_deadline, day),
            deadline_epoch=int(datetime.combine(row.renewal_deadline, time(12, 0), tzinfo=tz).timestamp()),
        )
        for row in rows
        if row.needs_action
    ]
    return DigestView(
        team_id=workspace.team_id,
        channel_id=channel_id,
        day=day,
        days_ahead=days_ahead,
        timezone=timezone,
        local_time=local_time,
        all_clear=all_clear,
        items=items,
        mrr_at_stake=totals_by_currency(item.row.mrr_at_stake for item in items),
    )


def subscription_digest(
    subscription: DigestSubscription, workspace: Workspace, *, session: Session, day: date
) -> DigestView:
    return build_digest(
        workspace,
        session=session,
        day=day,
        channel_id=subscription.channel_id,
        days_ahead=subscription.days_ahead,
        timezone=subscription.timezone,
        local_time=subscription.local_time,
        all_clear=subscription.all_clear,
    )
