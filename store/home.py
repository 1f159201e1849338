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
from store.rules import UPCOMING_WINDOW_DAYS, totals_by_currency
from store.upcoming import RenewalQuery, RenewalRow, Viewer, filter_rows, upcoming_rows


@dataclass(frozen=True)
class HomeData:
    today: date
    window_days: int
    mine: list[RenewalRow]  # owned by the viewer and needing action, soonest deadline first
    owned_total: int  # every contract change the viewer owns in the window, whatever its status
    upcoming_total: int  # the workspace's contract changes in the window (0: nothing imported yet)
    week_days: int
    week_total: int  # the team's contract changes needing action with a deadline this week
    week_mrr_at_stake: dict[str, Decimal]
    subscriptions: list[DigestSubscription]  # active ones (paused included), by channel
    partner_owns_all: bool

    @property
    def mine_mrr_at_stake(self) -> dict[str, Decimal]:
        return totals_by_currency(row.mrr_at_stake for row in self.mine)


def home_data(workspace: Workspace, *, session: Session, today: date, viewer: Viewer) -> HomeData:
    """Everything the Home tab of `viewer` shows, read from `workspace` only."""
    rows = upcoming_rows(workspace, session=session, today=today)
    owned = filter_rows(rows, RenewalQuery(owner="me"), viewer=viewer)
    week_end = today + timedelta(days=THIS_WEEK_DAYS)
    # The same rows as the digest's "today" and "this week" groups (deadline from today on).
    week = [row for row in rows if row.needs_action and today <= row.renewal_deadline <= week_end]
    return HomeData(
        today=today,
        window_days=UPCOMING_WINDOW_DAYS,
        mine=[row for row in owned if row.needs_action],
        owned_total=len(owned),
        upcoming_total=len(rows),
        week_days=THIS_WEEK_DAYS,
        week_total=len(week),
        week_mrr_at_stake=totals_by_currency(row.mrr_at_stake for row in week),
        subscriptions=[
            subscription
            for subscription, _ in subscriptions(session=session, team_id=workspace.team_id)
            if subscription.workspace_id == workspace.id
        ],
        partner_owns_all=workspace.partner_owns_all,
    )
