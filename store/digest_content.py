"""What a daily digest holds: the most urgent contract changes needing action with a deadline ahead.

`DigestContent` is what every channel of a workspace with the same window sees on a day; the
runner computes it once and shares it among those channels (bot/jobs/digest_runner.py).
`DigestView` is one channel's digest: the content plus the channel's own settings. It is what
Slack (blocks/digest.py) and the terminal (`digest --dry-run`) both show.

The database counts, totals and orders (store.upcoming.due_view): only the `DIGEST_LIMIT` most
urgent rows become Python objects; the rest are counted and their MRR at stake totalled, per
currency, so nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from store.follow_up import LeftOut, left_out
from store.models import ContractChange, DigestSubscription, Workspace
from store.rules import DEFAULT_DIGEST_DAYS, days_until, totals_by_currency
from store.search import read
from store.upcoming import RenewalRow, due_conditions, due_view, due_window

# Deadlines in the next 7 days (after today) are "this week"; later ones are "later".
THIS_WEEK_DAYS = 7
# A digest lists at most this many contract changes, the soonest deadlines first (contract.md);
# the rest are counted, with their MRR at stake, behind "View all".
DIGEST_LIMIT = 25


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
class DigestGroup:
    group: DeadlineGroup
    items: list[DigestItem]  # those shown, soonest first
    total: int  # every contract change of the group, shown or not


@dataclass(frozen=True)
class DigestContent:
    """A workspace's digest list for one local day and window, whichever channel shows it."""

    team_id: str
    day: date
    days_ahead: int
    items: list[DigestItem]  # the most urgent, at most DIGEST_LIMIT
    total: int  # every contract change that needs action in the window
    mrr_at_stake: dict[str, Decimal]  # over all of them, per currency
    group_totals: dict[DeadlineGroup, int]
    # Snoozed or handled: not listed, but counted in the header.
    left_out: LeftOut = field(default_factory=LeftOut)

    @property
    def more(self) -> int:
        """How many need action beyond those listed."""
        return self.total - len(self.items)

    @property
    def more_mrr_at_stake(self) -> dict[str, Decimal]:
        """The MRR at stake of those not listed, per currency (all of them less those listed)."""
        shown = totals_by_currency(item.row.mrr_at_stake for item in self.items)
        rest = {code: amount - shown.get(code, Decimal(0)) for code, amount in self.mrr_at_stake.items()}
        return {code: amount for code, amount in rest.items() if amount}


def digest_content(
    workspace: Workspace, *, session: Session, day: date, days_ahead: int = DEFAULT_DIGEST_DAYS
) -> DigestContent:
    """The contract changes that still need action with a deadline from `day` to `day + days_ahead`:
    the `DIGEST_LIMIT` most urgent, and the count and MRR at stake of all of them.

    Active associations only; the status is the effective one; snoozed and handled changes are
    left out (store.upcoming.due_conditions), and counted.
    """
    until = day + timedelta(days=days_ahead)
    view = due_view(workspace, session=session, today=day, until=until, page_size=DIGEST_LIMIT)
    items = [DigestItem(row=row, days_left=days_until(row.renewal_deadline, day)) for row in view.rows]
    if view.total > len(items):
        group_totals = _group_totals(workspace, session=session, day=day, until=until)
    else:
        group_totals = {}
        for item in items:
            group_totals[item.group] = group_totals.get(item.group, 0) + 1
    return DigestContent(
        team_id=workspace.team_id,
        day=day,
        days_ahead=days_ahead,
        items=items,
        total=view.total,
        mrr_at_stake=view.mrr_at_stake,
        group_totals=group_totals,
        left_out=left_out(workspace, day, due_window(workspace, today=day, until=until), session=session),
    )


def _group_totals(
    workspace: Workspace, *, session: Session, day: date, until: date
) -> dict[DeadlineGroup, int]:
    """How many of the window's contract changes fall in each deadline group, counted in SQL."""
    deadline = col(ContractChange.renewal_deadline)
    group = case(
        (deadline <= day, DeadlineGroup.TODAY.value),
        (deadline <= day + timedelta(days=THIS_WEEK_DAYS), DeadlineGroup.THIS_WEEK.value),
        else_=DeadlineGroup.LATER.value,
    )
    query = (
        select(group, func.count())
        .select_from(ContractChange)
        .where(
            ContractChange.workspace_id == workspace.id,
            *due_conditions(workspace, today=day, until=until),
        )
        .group_by(group)
    )
    return {DeadlineGroup(name): count for name, count in read(session, query)}


@dataclass(frozen=True)
class DigestView:
    """One channel's digest for one local day: what Slack and the terminal both show."""

    channel_id: str
    timezone: str
    local_time: str
    all_clear: bool  # post a one-line all-clear when there is nothing to report
    content: DigestContent

    @property
    def team_id(self) -> str:
        return self.content.team_id

    @property
    def day(self) -> date:
        return self.content.day

    @property
    def days_ahead(self) -> int:
        return self.content.days_ahead

    @property
    def left_out(self) -> LeftOut:
        return self.content.left_out

    @property
    def items(self) -> list[DigestItem]:
        return self.content.items

    @property
    def total(self) -> int:
        return self.content.total

    @property
    def mrr_at_stake(self) -> dict[str, Decimal]:
        return self.content.mrr_at_stake

    @property
    def more(self) -> int:
        return self.content.more

    @property
    def is_empty(self) -> bool:
        return not self.content.total

    def groups(self) -> list[DigestGroup]:
        """Groups with items shown, in order (today, this week, later), items soonest first."""
        grouped: dict[DeadlineGroup, list[DigestItem]] = {group: [] for group in DeadlineGroup}
        for item in self.items:
            grouped[item.group].append(item)
        return [
            DigestGroup(group, items, self.content.group_totals.get(group, len(items)))
            for group, items in grouped.items()
            if items
        ]


def channel_view(content: DigestContent, subscription: DigestSubscription) -> DigestView:
    """`content` as `subscription`'s channel shows it."""
    return DigestView(
        channel_id=subscription.channel_id,
        timezone=subscription.timezone,
        local_time=subscription.local_time,
        all_clear=subscription.all_clear,
        content=content,
    )


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
    """One channel's digest, its content read from the database now."""
    return DigestView(
        channel_id=channel_id,
        timezone=timezone,
        local_time=local_time,
        all_clear=all_clear,
        content=digest_content(workspace, session=session, day=day, days_ahead=days_ahead),
    )


def subscription_digest(
    subscription: DigestSubscription, workspace: Workspace, *, session: Session, day: date
) -> DigestView:
    content = digest_content(workspace, session=session, day=day, days_ahead=subscription.days_ahead)
    return channel_view(content, subscription)
