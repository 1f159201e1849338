"""Rows written straight to the test database: workspaces, partner members, clients, contacts and
contract changes. Every test that needs data to act on makes it here.

The session factories (`workspace_row`, `add_*`, `set_partner`, `full_change`) flush and never
commit, as the store does: the caller's session or `session_scope` commits. `seed_client` is the
one that opens and commits a transaction of its own, for tests that then drive the app over HTTP.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from store.db import session_scope
from store.models import Client, Contact, ContractChange, PartnerMember, Workspace
from store.rules import BillingFrequency, ContractType, OwnerKind, Status, fold, renewal_deadline

TEAM = "T0TEAM1"  # the team of the `workspace` fixture, the fake Slack and the request builders
OTHER_TEAM = "T0TEAM2"
# "Today" in the tests of the Slack surfaces (frozen with time-machine): `days` counts from it.
TODAY = date(2026, 3, 2)
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
_hub_ids = itertools.count(100_001)


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def workspace_row(session: Session, team_id: str = TEAM) -> Workspace:
    """The workspace of `team_id`, made if it is not there yet."""
    workspace = session.exec(select(Workspace).where(Workspace.team_id == team_id)).first()
    if workspace is None:
        workspace = Workspace(team_id=team_id)
        session.add(workspace)
        session.flush()
    return workspace


def add_member(
    session: Session,
    *,
    email: str | None = None,
    user_id: str | None = None,
    name: str | None = None,
    team_id: str = TEAM,
) -> PartnerMember:
    workspace = workspace_row(session, team_id)
    member = PartnerMember(workspace_id=workspace.id, email=email, slack_user_id=user_id, name=name)
    session.add(member)
    session.flush()
    return member


def add_client(
    session: Session,
    name: str,
    hub_id: str | None = None,
    *,
    team_id: str = TEAM,
    workspace: Workspace | None = None,
    domain: str | None = None,
    contacts: Sequence[tuple[str | None, str, str | None]] = (),
    primary: str | None = None,
    **fields: Any,
) -> Client:
    """A client (in `workspace`, else `team_id`'s) with `contacts` (name, email, role); `primary` is
    one of their emails. `fields` are Client columns (owner_kind, association_ended_at, …)."""
    workspace = workspace or workspace_row(session, team_id)
    client = Client(
        workspace_id=workspace.id,
        hub_id=hub_id or str(next(_hub_ids)),
        name=name,
        name_folded=fold(name),
        domain=domain,
        **fields,
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


def set_partner(session: Session, client: Client, member: PartnerMember) -> None:
    client.owner_kind = OwnerKind.PARTNER
    client.owner_member_id = member.id
    session.add(client)
    session.flush()


def add_change(
    session: Session,
    client: Client,
    start: date,
    contract_type: ContractType = ContractType.RENEWAL,
    status: Status = Status.PENDING,
    *,
    mrr: str | None = None,
    currency: str = "USD",
    new_mrr: str | None = None,
    new_currency: str | None = None,  # the estimated new MRR's, when not `currency`
    **figures: Any,
) -> ContractChange:
    """A contract change of `client` starting on `start`; `mrr` and `new_mrr` are amounts in
    `currency`, `figures` any other ContractChange columns."""
    change = ContractChange(
        workspace_id=client.workspace_id,
        client_id=client.id,
        contract_type=contract_type,
        status=status,
        renewal_start_date=start,
        renewal_deadline=renewal_deadline(start),
        **figures,
    )
    if mrr is not None:
        change.current_mrr, change.current_mrr_currency = Decimal(mrr), currency
    if new_mrr is not None:
        change.estimated_new_mrr, change.estimated_new_mrr_currency = (
            Decimal(new_mrr),
            new_currency or currency,
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
        mrr="1200.50",
        new_mrr="1350.00",
    )


def add_change_due(
    session: Session,
    workspace: Workspace,
    client_name: str,
    *,
    deadline: date,
    contract_type: ContractType = ContractType.RENEWAL,
    status: Status = Status.PENDING,
    mrr: str | None = "1000.00",
    currency: str = "USD",
    contact: str | None = "Dana Buyer <dana@example.com>",
    owner: OwnerKind | None = None,
    ended: bool = False,
    client: Client | None = None,
) -> ContractChange:
    """A contract change whose renewal deadline is `deadline` (its start date is derived from it),
    of `client`, or of a new client named `client_name` whose primary contact is `contact`."""
    if client is None:
        name, _, email = contact.partition(" <") if contact else ("", "", "")
        client = add_client(
            session,
            client_name,
            workspace=workspace,
            contacts=[(name, email.rstrip(">"), None)] if contact else (),
            primary=email.rstrip(">"),
            owner_kind=owner,
            association_ended_at=datetime.now(UTC) if ended else None,
        )
    start = deadline + timedelta(days=45)
    assert renewal_deadline(start) == deadline
    return add_change(session, client, start, contract_type, status, mrr=mrr, currency=currency)


def seed_client(
    engine: Engine,
    name: str,
    *,
    team_id: str = TEAM,
    hub_id: str | None = None,
    domain: str | None = None,
    owner_kind: OwnerKind | None = None,
    owner_user_id: str | None = None,
    owner_email: str | None = None,
    contact: str | None = None,
    changes: list[dict[str, Any]] | None = None,
    ended: bool = False,
) -> int:
    """A client with contract changes, committed: each change dict has `days` (start date =
    TODAY + days), and optionally `type`, `status`, `mrr` (USD). Returns the client ID."""
    with session_scope(engine) as session:
        member = (
            add_member(session, email=owner_email, user_id=owner_user_id, name=owner_user_id, team_id=team_id)
            if owner_user_id or owner_email
            else None
        )
        client = add_client(
            session,
            name,
            hub_id,
            team_id=team_id,
            domain=domain,
            contacts=[(contact, "c@example.com", None)] if contact else (),
            primary="c@example.com",
            owner_kind=owner_kind,
            owner_member_id=member.id if member else None,
            association_ended_at=NOON if ended else None,
        )
        for change in changes or [{"days": 60}]:
            add_change(
                session,
                client,
                days(change["days"]),
                change.get("type", ContractType.RENEWAL),
                change.get("status", Status.PENDING),
                mrr=change.get("mrr"),
            )
        assert client.id is not None
        return client.id
