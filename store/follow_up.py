"""Snooze and handled: a person takes a contract change out of digests and reminders.

- "Snooze 3 days": out for the three local days after the click (the clicker's own days), then back.
  Stored as `FollowUp.snoozed_until`, the last day it stays out (the click's day + 3), and compared
  with the day a digest or reminder is for.
- "Handled": out until the change's stored status, its renewal deadline or its effective
  communication owner differs from what they were when it was handled (an import or an owner
  change brings it back by itself: nothing has to clear the mark).

`active_follow_up_condition` is the one SQL condition that leaves them out: digests use it, and so
can any job that lists contract changes for people (reminders). Every change here is audited on
the change's client; undoing ("Unsnooze", "Not handled") is audited too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from store.audit import record_change
from store.claims import insert_if_absent
from store.listed import still_listed
from store.models import Client, ContractChange, FollowUp, Workspace
from store.rules import OwnerKind
from store.types import utcnow

SNOOZE_DAYS = 3

# The action names of the history (AuditEvent.action).
SNOOZE = "snooze"
UNSNOOZE = "unsnooze"
HANDLED = "handled"
NOT_HANDLED = "not_handled"


class FollowUpError(Exception):
    """A snooze or handled that cannot be done as asked (the message is for the person)."""


def snoozed_until(today: date) -> date:
    """The last day a change snoozed on `today` stays out: back on the fourth day."""
    return today + timedelta(days=SNOOZE_DAYS)


# --- the conditions, in SQL -------------------------------------------------------------------


def _default_owner(workspace: Workspace) -> OwnerKind:
    return OwnerKind.PARTNER if workspace.partner_owns_all else OwnerKind.HUBSPOT


def _snoozed(today: date) -> ColumnElement[bool]:
    return col(FollowUp.snoozed_until) >= today


def _handled(workspace: Workspace, change: Any, client: Any) -> ColumnElement[bool]:
    """The mark still holds: status, deadline and effective owner as they were when handled."""
    owner_kind = func.coalesce(client.owner_kind, literal(_default_owner(workspace).value))
    return and_(
        col(FollowUp.handled_at).is_not(None),
        col(FollowUp.handled_status) == change.status,
        col(FollowUp.handled_deadline) == change.renewal_deadline,
        col(FollowUp.handled_owner_kind) == owner_kind,
        col(FollowUp.handled_owner_member_id).is_not_distinct_from(client.owner_member_id),
    )


def active_follow_up_condition(workspace: Workspace, today: date) -> ColumnElement[bool]:
    """On `contract_change`: neither snoozed on `today` nor handled (and still the same).

    A correlated NOT EXISTS, so it fits any query over contract changes, joined or not.
    """
    owner = aliased(Client)
    hidden = select(FollowUp.id).where(
        FollowUp.workspace_id == workspace.id,
        col(FollowUp.change_id) == col(ContractChange.id),
        col(owner.id) == col(ContractChange.client_id),
        or_(_snoozed(today), _handled(workspace, ContractChange, owner)),
    )
    return ~exists(hidden)


@dataclass(frozen=True)
class LeftOut:
    """How many contract changes a list leaves out, and why (a change both handled and snoozed
    counts as handled: it stays out after the snooze too)."""

    snoozed: int = 0
    handled: int = 0

    @property
    def total(self) -> int:
        return self.snoozed + self.handled


def left_out(
    workspace: Workspace, today: date, conditions: Sequence[ColumnElement[bool]], *, session: Session
) -> LeftOut:
    """Of the contract changes of active clients meeting `conditions`, those snoozed or handled."""
    client = aliased(Client)
    handled = _handled(workspace, ContractChange, client)
    snoozed = and_(_snoozed(today), ~handled)
    query = (
        select(func.count(case((handled, 1))), func.count(case((snoozed, 1))))
        .select_from(ContractChange)
        .join(FollowUp, col(FollowUp.change_id) == col(ContractChange.id))
        .join(client, col(client.id) == col(ContractChange.client_id))
        .where(
            ContractChange.workspace_id == workspace.id,
            still_listed(),
            FollowUp.workspace_id == workspace.id,
            col(client.association_ended_at).is_(None),
            *conditions,
        )
    )
    handled_count, snoozed_count = session.execute(query).one()
    return LeftOut(snoozed=snoozed_count, handled=handled_count)


# --- what a client's detail shows ---------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpState:
    """One contract change's snooze and handled, as they stand on a day (None: not in force)."""

    change_id: int
    snoozed_until: date | None = None
    snoozed_by: str | None = None
    snoozed_at: datetime | None = None
    handled_by: str | None = None
    handled_at: datetime | None = None

    @property
    def snoozed(self) -> bool:
        return self.snoozed_until is not None

    @property
    def handled(self) -> bool:
        return self.handled_at is not None


def follow_up_states(
    workspace: Workspace, change_ids: Sequence[int], *, session: Session, today: date
) -> dict[int, FollowUpState]:
    """The snoozes and handled marks in force on `today` among `change_ids`, by change ID."""
    if not change_ids:
        return {}
    client = aliased(Client)
    query = (
        select(FollowUp, _snoozed(today), _handled(workspace, ContractChange, client))
        .join(ContractChange, col(ContractChange.id) == col(FollowUp.change_id))
        .join(client, col(client.id) == col(ContractChange.client_id))
        .where(FollowUp.workspace_id == workspace.id, col(FollowUp.change_id).in_(list(change_ids)))
    )
    states = {}
    for follow_up, snoozed, handled in session.execute(query):
        if not (snoozed or handled):
            continue
        states[follow_up.change_id] = FollowUpState(
            change_id=follow_up.change_id,
            snoozed_until=follow_up.snoozed_until if snoozed else None,
            snoozed_by=follow_up.snoozed_by if snoozed else None,
            snoozed_at=follow_up.snoozed_at if snoozed else None,
            handled_by=follow_up.handled_by if handled else None,
            handled_at=follow_up.handled_at if handled else None,
        )
    return states


# --- changes a person makes ---------------------------------------------------------------------


def get_change(change_id: int, *, session: Session, workspace: Workspace) -> ContractChange | None:
    """The contract change with this ID *in this workspace* (another workspace's ID finds nothing),
    still in the export: one an import removed (a moved start date, say) is not snoozed or handled
    from an old message, where nobody could see or undo it."""
    return session.scalars(
        select(ContractChange).where(
            ContractChange.id == change_id, ContractChange.workspace_id == workspace.id, still_listed()
        )
    ).first()


def change_label(change: ContractChange) -> str:
    """'Renewal starting 2026-05-01': which of a client's contract changes, in its history."""
    return f"{change.contract_type.label} starting {change.renewal_start_date.isoformat()}"


def _follow_up(change: ContractChange, *, session: Session) -> FollowUp:
    """The change's row, made first when missing: by an INSERT that yields to another person's click
    on the same change at the same moment (the unique key decides), then read."""
    assert change.id is not None
    query = select(FollowUp).where(
        FollowUp.workspace_id == change.workspace_id, FollowUp.change_id == change.id
    )
    found = session.scalars(query).first()
    if found is not None:
        return found
    values = {"workspace_id": change.workspace_id, "change_id": change.id, "updated_at": utcnow()}
    insert_if_absent(FollowUp.__table__, values, constraint="uq_follow_up_change", session=session)  # type: ignore[attr-defined]
    made = session.scalars(query).first()
    assert made is not None
    return made


def _record(
    change: ContractChange,
    follow_up: FollowUp,
    *,
    session: Session,
    actor: str,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    follow_up.updated_at = utcnow()
    session.add(follow_up)
    label = {"contract_change": change_label(change)}
    record_change(
        session=session,
        workspace_id=change.workspace_id,
        actor=actor,
        action=action,
        client_id=change.client_id,
        before={**label, **before},
        after={**label, **after},
    )


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def snooze(change: ContractChange, *, session: Session, actor: str, today: date) -> date:
    """Snooze for the three days after `today` (the clicker's own day). Returns the last day it
    stays out. Snoozing a snoozed change starts the three days again from `today`."""
    follow_up = _follow_up(change, session=session)
    until = snoozed_until(today)
    before = follow_up.snoozed_until if follow_up.snoozed_until and follow_up.snoozed_until >= today else None
    follow_up.snoozed_until, follow_up.snoozed_by, follow_up.snoozed_at = until, actor, utcnow()
    _record(
        change,
        follow_up,
        session=session,
        actor=actor,
        action=SNOOZE,
        before={"snoozed_until": _day(before)},
        after={"snoozed_until": until.isoformat()},
    )
    return until


def unsnooze(change: ContractChange, *, session: Session, actor: str, today: date) -> bool:
    """End a snooze in force on `today`. False when there was none (nothing is recorded)."""
    follow_up = _follow_up(change, session=session)
    if follow_up.id is None or follow_up.snoozed_until is None or follow_up.snoozed_until < today:
        return False
    before = {"snoozed_until": follow_up.snoozed_until.isoformat(), "snoozed_by": follow_up.snoozed_by}
    follow_up.snoozed_until = follow_up.snoozed_by = follow_up.snoozed_at = None
    _record(
        change,
        follow_up,
        session=session,
        actor=actor,
        action=UNSNOOZE,
        before=before,
        after={"snoozed": False},
    )
    return True


def mark_handled(
    change: ContractChange, client: Client, workspace: Workspace, *, session: Session, actor: str
) -> None:
    """Handled: out of digests and reminders until its status, deadline or owner changes. Handling
    a handled change records it again, as things stand now."""
    follow_up = _follow_up(change, session=session)
    was_handled = follow_up.id is not None and _handled_holds(change, workspace, session=session)
    follow_up.handled_by, follow_up.handled_at = actor, utcnow()
    follow_up.handled_status = change.status
    follow_up.handled_deadline = change.renewal_deadline
    follow_up.handled_owner_kind = client.owner_kind or _default_owner(workspace)
    follow_up.handled_owner_member_id = client.owner_member_id
    _record(
        change,
        follow_up,
        session=session,
        actor=actor,
        action=HANDLED,
        before={"handled": was_handled},
        after={
            "handled": True,
            "status": change.status.value,
            "renewal_deadline": change.renewal_deadline.isoformat(),
        },
    )


def _handled_holds(change: ContractChange, workspace: Workspace, *, session: Session) -> bool:
    """Whether a handled mark is in force on `change` (whatever its snooze)."""
    assert change.id is not None
    state = follow_up_states(workspace, [change.id], session=session, today=date.max).get(change.id)
    return state is not None and state.handled


def mark_not_handled(change: ContractChange, workspace: Workspace, *, session: Session, actor: str) -> bool:
    """Undo "Handled". False when no handled mark was in force (nothing is recorded)."""
    follow_up = _follow_up(change, session=session)
    if follow_up.id is None or not _handled_holds(change, workspace, session=session):
        return False
    before = {"handled": True, "handled_by": follow_up.handled_by}
    follow_up.handled_by = follow_up.handled_at = follow_up.handled_status = None
    follow_up.handled_deadline = follow_up.handled_owner_kind = follow_up.handled_owner_member_id = None
    _record(
        change,
        follow_up,
        session=session,
        actor=actor,
        action=NOT_HANDLED,
        before=before,
        after={"handled": False},
    )
    return True
