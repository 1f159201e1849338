"""Owner reminders in the database: who may get one, what is due for them, what went out.

A communication owner is a partner member with a Slack user (store/members.py links the
ones an import named by email). Their reminders are the contract changes of the active
clients they own that still need action (store/upcoming.needs_action_sql), 7 days and 1 day
before the renewal deadline (store/reminder_schedule.py), each once: a `ReminderSent` row per
(change, deadline, days before). `due_reminders` is the one query that says what is due.

Each Slack user's own state is a `ReminderRecipient` row (on/off, time zone, unreachable);
no row means on. Functions take `*, session` and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from store.audit import record_change
from store.claims import insert_if_absent
from store.follow_up import active_follow_up_condition
from store.listed import still_listed
from store.models import Client, ContractChange, PartnerMember, ReminderRecipient, ReminderSent, Workspace
from store.reminder_schedule import DAYS_BEFORE, reached_until
from store.rules import NEEDS_ACTION, OwnerKind, days_until
from store.types import utcnow
from store.upcoming import RenewalRow, load_rows, needs_action_sql
from store.workspaces import not_paused

# How far a person's local day can be from UTC's (UTC-12 to UTC+14), in days.
_ZONE_SLACK = 1
_MOST_DAYS_AHEAD = max(DAYS_BEFORE) + 2  # a Friday reaches over the weekend (reached_until)


@dataclass(frozen=True)
class ReminderItem:
    """One contract change in a person's reminder, and which of its reminders this is."""

    row: RenewalRow
    days_left: int
    days_before: tuple[int, ...]  # the reminders (7, 1) it stands for: both when one was missed


@dataclass(frozen=True)
class DueReminders:
    """What one person's reminder for one local day holds."""

    team_id: str
    user_id: str
    day: date
    items: list[ReminderItem]  # the first ones, soonest deadline first
    total: int  # every contract change due (more than `items` when a message cannot hold them)


@dataclass(frozen=True)
class Candidate:
    """A Slack user who owns a contract change that may be due for a reminder around now."""

    workspace: Workspace
    user_id: str
    timezone: str | None
    timezone_checked_at: datetime | None


# --- what is due ---------------------------------------------------------------------------------


def _owned_clients(workspace_id: int, user_id: str) -> Select:  # type: ignore[type-arg]
    """The active clients whose communication owner is this Slack user (as a partner member)."""
    members = select(PartnerMember.id).where(
        col(PartnerMember.workspace_id) == workspace_id, col(PartnerMember.slack_user_id) == user_id
    )
    return select(Client.id).where(
        col(Client.workspace_id) == workspace_id,
        col(Client.association_ended_at).is_(None),
        col(Client.owner_kind) == OwnerKind.PARTNER,
        col(Client.owner_member_id).in_(members),
    )


def _sent(days_before: int) -> ColumnElement[bool]:
    return exists().where(
        col(ReminderSent.change_id) == col(ContractChange.id),
        col(ReminderSent.renewal_deadline) == col(ContractChange.renewal_deadline),
        col(ReminderSent.days_before) == days_before,
    )


def _reminder_due(day: date) -> ColumnElement[bool]:
    """A reminder of the change is due on `day`: its date has come, it has not gone out, and the
    deadline has not passed."""
    reached = reached_until(day)
    deadline = col(ContractChange.renewal_deadline)
    return and_(
        deadline >= day,
        or_(*(and_(deadline <= reached + timedelta(days=n), ~_sent(n)) for n in DAYS_BEFORE)),
    )


def due_conditions(workspace: Workspace, user_id: str, day: date) -> list[ColumnElement[bool]]:
    """The SQL conditions (on contract_change) of what `user_id`'s reminder on local `day` holds:
    owned, needing action, due, and neither snoozed nor handled."""
    assert workspace.id is not None
    return [
        col(ContractChange.client_id).in_(_owned_clients(workspace.id, user_id)),
        still_listed(),
        needs_action_sql(day),
        _reminder_due(day),
        active_follow_up_condition(workspace, day),
    ]


def due_reminders(
    workspace: Workspace, user_id: str, day: date, *, session: Session, limit: int
) -> DueReminders:
    """The contract changes `user_id` is to be reminded of on their local `day` (at most `limit`
    of them, soonest deadline first), and how many are due in all."""
    assert workspace.id is not None
    conditions = due_conditions(workspace, user_id, day)
    rows = load_rows(workspace, session=session, today=day, where=conditions, limit=limit)
    total = len(rows)
    if total == limit:
        count = (
            select(func.count())
            .select_from(ContractChange)
            .where(col(ContractChange.workspace_id) == workspace.id, *conditions)
        )
        total = int(session.execute(count).scalar_one())
    sent = _sent_of((row.change_id for row in rows), session=session)
    reached = reached_until(day)
    items = [
        ReminderItem(
            row=row,
            days_left=days_until(row.renewal_deadline, day),
            days_before=tuple(
                n
                for n in DAYS_BEFORE
                if row.renewal_deadline <= reached + timedelta(days=n)
                and (row.change_id, row.renewal_deadline, n) not in sent
            ),
        )
        for row in rows
    ]
    return DueReminders(workspace.team_id, user_id, day, items, total)


def _sent_of(change_ids: Iterable[int], *, session: Session) -> set[tuple[int, date, int]]:
    ids = sorted(set(change_ids))
    if not ids:
        return set()
    query = select(ReminderSent.change_id, ReminderSent.renewal_deadline, ReminderSent.days_before).where(
        col(ReminderSent.change_id).in_(ids)
    )
    return {(change_id, deadline, n) for change_id, deadline, n in session.execute(query)}


def record_sent(
    due: DueReminders, *, workspace_id: int, run_id: int, session: Session, now: datetime | None = None
) -> None:
    """The reminders of `due`'s items went out (in the run `run_id`). One already recorded (the
    change's owner changed and the other owner's run got there first) stays as it was."""
    table = ReminderSent.__table__  # type: ignore[attr-defined]
    for item in due.items:
        for n in item.days_before:
            values = {
                "workspace_id": workspace_id,
                "change_id": item.row.change_id,
                "renewal_deadline": item.row.renewal_deadline,
                "days_before": n,
                "run_id": run_id,
                "user_id": due.user_id,
                "sent_at": now or utcnow(),
            }
            insert_if_absent(table, values, constraint="uq_reminder_sent", session=session)


def reminder_candidates(now: datetime, *, session: Session) -> list[Candidate]:
    """Every owner (in every workspace) with a contract change that may be due for a reminder on
    their local day at `now`, reminders on and reachable. Few: the partner team's owners."""
    today = now.date()
    wanted = (
        select(ContractChange.workspace_id, PartnerMember.slack_user_id)
        .join(Client, col(Client.id) == col(ContractChange.client_id))
        .join(PartnerMember, col(PartnerMember.id) == col(Client.owner_member_id))
        .where(
            col(Client.owner_kind) == OwnerKind.PARTNER,
            col(Client.association_ended_at).is_(None),
            col(PartnerMember.slack_user_id).is_not(None),
            # A coarse first cut (raw status, a wide window of deadlines): due_reminders decides
            # exactly, with the effective status, on each person's own local day.
            col(ContractChange.status).in_(sorted(NEEDS_ACTION)),
            col(ContractChange.renewal_deadline) >= today - timedelta(days=_ZONE_SLACK),
            col(ContractChange.renewal_deadline) <= today + timedelta(days=_MOST_DAYS_AHEAD + _ZONE_SLACK),
        )
        .distinct()
        .subquery()
    )
    query = (
        select(
            Workspace,
            wanted.c.slack_user_id,
            ReminderRecipient.timezone,
            ReminderRecipient.timezone_checked_at,
        )
        .join(wanted, wanted.c.workspace_id == col(Workspace.id))
        .outerjoin(
            ReminderRecipient,
            and_(
                col(ReminderRecipient.workspace_id) == col(Workspace.id),
                col(ReminderRecipient.user_id) == wanted.c.slack_user_id,
            ),
        )
        .where(
            not_paused(),
            or_(
                col(ReminderRecipient.id).is_(None),
                and_(col(ReminderRecipient.enabled), col(ReminderRecipient.unreachable_error).is_(None)),
            ),
        )
        .order_by(col(Workspace.id), wanted.c.slack_user_id)
    )
    return [Candidate(*found) for found in session.execute(query)]


# --- each person's own state ---------------------------------------------------------------------


def get_recipient(workspace_id: int, user_id: str, *, session: Session) -> ReminderRecipient | None:
    query = select(ReminderRecipient).where(
        col(ReminderRecipient.workspace_id) == workspace_id, col(ReminderRecipient.user_id) == user_id
    )
    return session.execute(query).scalars().first()


def _recipient(workspace_id: int, user_id: str, *, session: Session) -> ReminderRecipient:
    """The person's row, made first when missing. Made by an INSERT that yields to another copy
    of the app making it at the same moment (two runners meeting a new owner), then read."""
    found = get_recipient(workspace_id, user_id, session=session)
    if found is not None:
        return found
    values = {"workspace_id": workspace_id, "user_id": user_id, "enabled": True, "updated_at": utcnow()}
    table = ReminderRecipient.__table__  # type: ignore[attr-defined]
    insert_if_absent(table, values, constraint="uq_reminder_recipient_user", session=session)
    made = get_recipient(workspace_id, user_id, session=session)
    assert made is not None
    return made


def set_reminders(
    workspace_id: int, user_id: str, enabled: bool, *, session: Session, now: datetime | None = None
) -> ReminderRecipient:
    """Turn `user_id`'s reminders on or off (audited). Turning them on also clears an earlier
    "could not be messaged": the person has just shown they use Slack."""
    recipient = _recipient(workspace_id, user_id, session=session)
    before = {"enabled": recipient.enabled, "unreachable": recipient.unreachable_error}
    recipient.enabled = enabled
    if enabled:
        recipient.unreachable_error = None
        recipient.unreachable_at = None
    recipient.updated_at = now or utcnow()
    session.add(recipient)
    record_change(
        session=session,
        workspace_id=workspace_id,
        actor=user_id,
        action="reminders_on" if enabled else "reminders_off",
        before=before,
        after={"enabled": recipient.enabled, "unreachable": recipient.unreachable_error},
    )
    session.flush()
    return recipient


def remember_timezone(
    workspace_id: int, user_id: str, timezone: str, *, session: Session, now: datetime | None = None
) -> None:
    """Slack's time zone for `user_id`, as of `now` (asked again once it is old)."""
    recipient = _recipient(workspace_id, user_id, session=session)
    recipient.timezone = timezone
    recipient.timezone_checked_at = now or utcnow()
    session.add(recipient)
    session.flush()


def mark_unreachable(
    workspace_id: int, user_id: str, error: str, *, session: Session, now: datetime | None = None
) -> None:
    """Slack said `user_id` cannot be messaged (`error`): no more tries until they turn reminders
    on again, and admins see them in `/renewals reminders status`."""
    recipient = _recipient(workspace_id, user_id, session=session)
    recipient.unreachable_error = error[:100]
    recipient.unreachable_at = now or utcnow()
    session.add(recipient)
    session.flush()


def unreachable_recipients(workspace_id: int, *, session: Session, limit: int) -> list[ReminderRecipient]:
    """The owners of this workspace who could not be messaged, most recent first."""
    query = (
        select(ReminderRecipient)
        .where(
            col(ReminderRecipient.workspace_id) == workspace_id,
            col(ReminderRecipient.unreachable_error).is_not(None),
        )
        .order_by(col(ReminderRecipient.unreachable_at).desc(), col(ReminderRecipient.user_id))
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def owned_clients(workspace_id: int, user_id: str, *, session: Session) -> int:
    """How many active clients `user_id` is the communication owner of."""
    owned = _owned_clients(workspace_id, user_id).subquery()
    return int(session.execute(select(func.count()).select_from(owned)).scalar_one())
