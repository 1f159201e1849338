"""What a daily digest holds: the contract changes needing action with a deadline ahead, grouped.

`DigestView` is what Slack (blocks/digest.py) and the terminal (`digest --dry-run`) both show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlmodel import Session, col

from store.follow_up import LeftOut, active_follow_up_condition, left_out
from store.models import ContractChange, DigestSubscription, Workspace
from store.rules import DEFAULT_DIGEST_DAYS, days_until, totals_by_currency
from store.upcoming import RenewalRow, load_rows, needs_action_sql

# Deadlines in the next 7 days (after today) are "this week"; later ones are "later".
THIS_WEEK_DAYS = 7


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
    # Snoozed or handled: not listed, but counted in the header.
    left_out: LeftOut = field(default_factory=LeftOut)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def is_empty(self) -> bool:
        return not self.items

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
    Snoozed and handled changes are left out (store.follow_up), and counted.
    """
    until = day + timedelta(days=days_ahead)
    rows = load_rows(
        workspace,
        session=session,
        today=day,
        deadline_from=day,
        deadline_until=until,
        where=[active_follow_up_condition(workspace, day)],
    )
    window = [
        col(ContractChange.renewal_deadline) >= day,
        col(ContractChange.renewal_deadline) <= until,
        needs_action_sql(day),
    ]
    items = [
        DigestItem(row=row, days_left=days_until(row.renewal_deadline, day))
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
        left_out=left_out(workspace, day, window, session=session),
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
