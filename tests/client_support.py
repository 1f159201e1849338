"""Real rows and small readers for the client tests (tests/test_client_*.py, test_owner_command.py).

Clients, contacts and contract changes are written with the models, as an import would;
the app under test reads them over its own engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from store.db import session_scope
from store.models import AuditEvent, Client, Contact, ContractChange, PartnerMember, Workspace
from store.rules import BillingFrequency, ContractType, OwnerKind, Status, fold, renewal_deadline
from tests.fake_slack import mrkdwn_texts

TEAM = "T0TEAM1"
OTHER_TEAM = "T0TEAM2"
# "Today" in these tests (frozen with time-machine): deadlines are counted from it.
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TODAY = NOW.date()


@contextmanager
def db(engine: Engine) -> Iterator[Session]:
    with session_scope(engine) as session:
        yield session


def workspace_row(session: Session, team_id: str = TEAM) -> Workspace:
    workspace = session.exec(select(Workspace).where(Workspace.team_id == team_id)).first()
    if workspace is None:
        workspace = Workspace(team_id=team_id)
        session.add(workspace)
        session.flush()
    return workspace


def add_client(
    session: Session,
    name: str,
    hub_id: str,
    *,
    team_id: str = TEAM,
    domain: str | None = None,
    contacts: Sequence[tuple[str | None, str, str | None]] = (),
    primary: str | None = None,
    **fields: Any,
) -> Client:
    """A client with `contacts` (name, email, role); `primary` is one of their emails."""
    workspace = workspace_row(session, team_id)
    client = Client(
        workspace_id=workspace.id, hub_id=hub_id, name=name, name_folded=fold(name), domain=domain, **fields
    )
    session.add(client)
    session.flush()
    for contact_name, email, role in contacts:
        contact = Contact(
            workspace_id=workspace.id, client_id=client.id, name=contact_name, email=email, role=role
        )
        session.add(contact)
        session.flush()
        if email == primary:
            client.primary_contact_id = contact.id
    session.add(client)
    session.flush()
    return client


def add_change(
    session: Session,
    client: Client,
    start: date,
    contract_type: ContractType = ContractType.RENEWAL,
    status: Status = Status.PENDING,
    **figures: Any,
) -> ContractChange:
    change = ContractChange(
        workspace_id=client.workspace_id,
        client_id=client.id,
        contract_type=contract_type,
        status=status,
        renewal_start_date=start,
        renewal_deadline=renewal_deadline(start),
        **figures,
    )
    session.add(change)
    session.flush()
    return change


def full_change(session: Session, client: Client, start: date) -> ContractChange:
    """A renewal with every optional figure filled in."""
    return add_change(
        session,
        client,
        start,
        max_contacts=2000,
        email_limit=20000,
        billing_frequency=BillingFrequency.ANNUAL,
        subscription_term_months=12,
        current_mrr=Decimal("1200.50"),
        current_mrr_currency="USD",
        estimated_new_mrr=Decimal("1350.00"),
        estimated_new_mrr_currency="USD",
    )


def add_member(
    session: Session, *, email: str | None = None, user_id: str | None = None, team_id: str = TEAM
) -> PartnerMember:
    workspace = workspace_row(session, team_id)
    member = PartnerMember(workspace_id=workspace.id, email=email, slack_user_id=user_id)
    session.add(member)
    session.flush()
    return member


def set_partner(session: Session, client: Client, member: PartnerMember) -> None:
    client.owner_kind = OwnerKind.PARTNER
    client.owner_member_id = member.id
    session.add(client)
    session.flush()


def reload(engine: Engine, client_id: int) -> Client:
    with Session(engine) as session:
        client = session.get(Client, client_id)
        assert client is not None
        return client


def events(engine: Engine, action: str | None = None) -> list[AuditEvent]:
    with Session(engine) as session:
        query = select(AuditEvent).order_by(AuditEvent.id)  # type: ignore[arg-type]
        if action:
            query = query.where(AuditEvent.action == action)
        return list(session.exec(query))


def primary_email(engine: Engine, client_id: int) -> str | None:
    with Session(engine) as session:
        client = session.get(Client, client_id)
        assert client is not None
        if client.primary_contact_id is None:
            return None
        contact = session.get(Contact, client.primary_contact_id)
        return contact.email if contact else None


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in `blocks`, joined: for 'the reply says …' assertions."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    parts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(parts)


def mrkdwn_text(blocks: list[dict[str, Any]]) -> str:
    """The text of every mrkdwn text object in `blocks`: where Slack would render a mention."""
    return "\n".join(mrkdwn_texts(blocks))


def days(n: int) -> date:
    return TODAY + timedelta(days=n)
