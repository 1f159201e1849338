"""Digest subscriptions: which channels get a daily digest, when, and with what in it.

Every change is audited. Functions take `*, session` and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlmodel import Session, col, select

from store.audit import record_change
from store.models import DigestSubscription, Workspace
from store.rules import DEFAULT_DIGEST_DAYS, UPCOMING_WINDOW_DAYS
from store.schedule import DEFAULT_LOCAL_TIME, due_day, format_local_time, next_due, parse_local_time, zone
from store.types import utcnow
from store.workspaces import not_paused

MAX_DIGEST_DAYS = UPCOMING_WINDOW_DAYS
APP_ACTOR = "renewals-bot"  # who pauses a subscription the app cannot post for, in its history


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


def _change(
    subscription: DigestSubscription,
    *,
    session: Session,
    actor: str,
    action: str,
    now: datetime,
    **values: Any,
) -> DigestSubscription:
    """Set `values` on the subscription (a new one too) and record the change in its history."""
    before = _subscription_snapshot(subscription) if subscription.id is not None else None
    for name, value in values.items():
        setattr(subscription, name, value)
    subscription.updated_at = now
    record_change(
        session=session,
        workspace_id=subscription.workspace_id,
        actor=actor,
        action=action,
        before=before,
        after=_subscription_snapshot(subscription),
    )
    return subscription


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
    if subscription is None:
        subscription = DigestSubscription(workspace_id=workspace.id, channel_id=channel_id)
        session.add(subscription)
    _change(
        subscription,
        session=session,
        actor=user_id,
        action="digest_on",
        now=now,
        local_time=format_local_time(options.local_time),
        timezone=options.timezone,
        days_ahead=options.days_ahead,
        weekends=options.weekends,
        all_clear=options.all_clear,
        active=True,
        paused_reason=None,
        subscribed_by=user_id,
        subscribed_at=now,
    )
    session.flush()
    return subscription


def unsubscribe(
    workspace: Workspace, channel_id: str, *, session: Session, user_id: str, now: datetime | None = None
) -> DigestSubscription | None:
    """Stop a channel's digest. The row stays (inactive) so its history does. Audited as `digest_off`."""
    assert workspace.id is not None
    subscription = get_subscription(workspace.id, channel_id, session=session)
    if subscription is None or not subscription.active:
        return subscription
    return _change(
        subscription, session=session, actor=user_id, action="digest_off", now=now or utcnow(), active=False
    )


def pause_subscription(
    subscription_id: int, reason: str, *, session: Session, now: datetime | None = None
) -> DigestSubscription | None:
    """Pause a subscription the app cannot post for (archived channel, bot removed). Audited."""
    subscription = session.get(DigestSubscription, subscription_id)
    if subscription is None or subscription.paused_reason == reason:
        return subscription
    return _change(
        subscription,
        session=session,
        actor=APP_ACTOR,
        action="digest_paused",
        now=now or utcnow(),
        paused_reason=reason,
    )


def subscriptions(
    *,
    session: Session,
    team_id: str | None = None,
    channel_id: str | None = None,
    include_paused: bool = True,
) -> list[tuple[DigestSubscription, Workspace]]:
    """Active subscriptions (of every workspace unless `team_id`), with their workspace.

    `include_paused=False`: only those a job may post for now (see store.workspaces).
    """
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
    if not include_paused:  # neither the subscription nor its workspace paused
        query = query.where(col(DigestSubscription.paused_reason).is_(None), not_paused())
    return [(subscription, workspace) for subscription, workspace in session.exec(query)]


def _schedule(subscription: DigestSubscription) -> dict[str, Any]:
    """The subscription's schedule, as store.schedule's functions take it."""
    return {
        "local_time": parse_local_time(subscription.local_time),
        "tz": zone(subscription.timezone),
        "weekends": subscription.weekends,
        "since": subscription.subscribed_at,
    }


def subscription_due_day(subscription: DigestSubscription, now: datetime) -> date | None:
    """The local date whose digest this subscription is due to post at `now` (see store.schedule)."""
    return due_day(now, **_schedule(subscription))


def subscription_next_due(subscription: DigestSubscription, now: datetime, *, done_today: bool) -> datetime:
    return next_due(now, **_schedule(subscription), done_today=done_today)
