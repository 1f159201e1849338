"""What a person's App Home tab shows: one read of the store, one view model.

- their own contract changes that need action (owner:me, the same rows `/renewal-owner`
  and `/renewals owner:me` find), soonest renewal deadline first;
- the whole team's contract changes needing action with a deadline this week (today and the
  next `THIS_WEEK_DAYS` days, as the digest groups them), with the MRR at stake;
- the workspace's digest subscriptions and its default communication owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session

from store.digest_content import THIS_WEEK_DAYS
from store.digest_subscriptions import subscriptions
from store.models import DigestSubscription, Workspace
from store.rules import UPCOMING_WINDOW_DAYS
from store.upcoming import RenewalQuery, RenewalRow, Viewer, upcoming_view, window_summary


@dataclass(frozen=True)
class HomeData:
    today: date
    window_days: int
    mine: list[RenewalRow]  # the first of the viewer's that need action, soonest deadline first
    mine_total: int  # every contract change the viewer owns in the window that needs action
    mine_mrr_at_stake: dict[str, Decimal]  # theirs, per currency
    owned_total: int  # every contract change the viewer owns in the window, whatever its status
    upcoming_total: int  # the workspace's contract changes in the window (0: nothing imported yet)
    week_days: int
    week_total: int  # the team's contract changes needing action with a deadline this week
    week_mrr_at_stake: dict[str, Decimal]
    subscriptions: list[DigestSubscription]  # active ones (paused included), by channel
    partner_owns_all: bool


def home_data(
    workspace: Workspace, *, session: Session, today: date, viewer: Viewer, mine_shown: int = 40
) -> HomeData:
    """Everything the Home tab of `viewer` shows, read from `workspace` only (at most
    `mine_shown` of their rows; counts and totals in the database)."""
    mine = upcoming_view(
        workspace,
        RenewalQuery(owner="me", needs_action_only=True),
        session=session,
        today=today,
        viewer=viewer,
        page_size=mine_shown,
    )
    owned = window_summary(
        workspace, RenewalQuery(owner="me"), session=session, today=today, viewer=viewer, at_stake=False
    )
    everything = window_summary(workspace, RenewalQuery(), session=session, today=today, at_stake=False)
    # The same rows as the digest's "today" and "this week" groups (deadline from today on).
    week = window_summary(
        workspace,
        RenewalQuery(needs_action_only=True),
        session=session,
        today=today,
        deadlines=(today, today + timedelta(days=THIS_WEEK_DAYS)),
    )
    return HomeData(
        today=today,
        window_days=UPCOMING_WINDOW_DAYS,
        mine=mine.rows,
        mine_total=mine.total,
        mine_mrr_at_stake=mine.mrr_at_stake,
        owned_total=owned.total,
        upcoming_total=everything.total,
        week_days=THIS_WEEK_DAYS,
        week_total=week.total,
        week_mrr_at_stake=week.mrr_at_stake,
        subscriptions=[
            subscription
            for subscription, _ in subscriptions(session=session, team_id=workspace.team_id)
            if subscription.workspace_id == workspace.id
        ],
        partner_owns_all=workspace.partner_owns_all,
    )
