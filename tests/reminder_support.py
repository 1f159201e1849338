"""Owners, their contract changes and readers for the reminder tests (tests/test_reminders_*.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.jobs.reminders import Outcome, run_due
from bot.services import Services
from store.db import session_scope
from store.models import PartnerMember, ReminderRecipient, ReminderRun, ReminderSent
from store.rules import Status
from tests.factories import TEAM, add_change_due, add_client, add_member, set_partner, workspace_row

OWNER = "U0OWNER"


def add_owned_changes(
    engine: Engine,
    deadlines: list[date],
    *,
    user_id: str = OWNER,
    client: str = "Acme Corp",
    status: Status = Status.PENDING,
    ended: bool = False,
    team_id: str = TEAM,
) -> None:
    """A client owned by Slack user `user_id` (a partner member), with a contract change per deadline."""
    with session_scope(engine) as session:
        workspace = workspace_row(session, team_id)
        member = session.exec(
            select(PartnerMember).where(
                PartnerMember.workspace_id == workspace.id, PartnerMember.slack_user_id == user_id
            )
        ).first() or add_member(session, user_id=user_id, name=f"Owner {user_id}", team_id=team_id)
        owned = add_client(session, client, workspace=workspace)
        set_partner(session, owned, member)
        for deadline in deadlines:
            add_change_due(session, workspace, client, deadline=deadline, status=status, client=owned)
        if ended:
            owned.association_ended_at = datetime(2020, 1, 1, tzinfo=UTC)
            session.add(owned)


def tick(services: Services, at: datetime) -> list[Outcome]:
    """One scheduler tick at the frozen moment `at`."""
    with time_machine.travel(at, tick=False):
        return run_due(services)


def dms(fake: Any, user_id: str = OWNER) -> list[Any]:
    """The reminders the fake Slack got for `user_id` (the fake opens D + the user ID without U)."""
    channel = "D" + user_id[1:]
    return [c for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == channel]


def reminder_runs(engine: Engine) -> list[ReminderRun]:
    with Session(engine) as session:
        return list(session.exec(select(ReminderRun).order_by(ReminderRun.local_date, ReminderRun.user_id)))


def sent_reminders(engine: Engine) -> list[tuple[date, int]]:
    """(deadline, days before) of every reminder that went out."""
    with Session(engine) as session:
        rows = session.exec(
            select(ReminderSent).order_by(ReminderSent.renewal_deadline, ReminderSent.days_before)
        )
        return [(row.renewal_deadline, row.days_before) for row in rows]


def recipient(engine: Engine, user_id: str = OWNER) -> ReminderRecipient | None:
    with Session(engine) as session:
        return session.exec(select(ReminderRecipient).where(ReminderRecipient.user_id == user_id)).first()
