"""Rows for Slack-surface tests: clients and contract changes written straight to the test database,
and readers for the table the app sends back."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from store.db import session_scope
from store.models import Client, Contact, ContractChange, PartnerMember
from store.rules import ContractType, OwnerKind, Status, fold, renewal_deadline
from store.workspaces import ensure_workspace
from tests.fake_slack import Call

TODAY = date(2026, 3, 2)
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
_hub_ids = itertools.count(100_001)


def add_client(
    engine: Engine,
    name: str,
    *,
    team_id: str = "T0TEAM1",
    hub_id: str | None = None,
    domain: str | None = None,
    owner_kind: OwnerKind | None = None,
    owner_user_id: str | None = None,
    owner_email: str | None = None,
    contact: str | None = None,
    changes: list[dict[str, Any]] | None = None,
    ended: bool = False,
) -> int:
    """A client with contract changes: each change dict has `days` (start date = TODAY + days),
    and optionally `type`, `status`, `mrr` (USD). Returns the client ID."""
    with session_scope(engine) as session:
        workspace = ensure_workspace(team_id, session=session)
        member_id = None
        if owner_user_id or owner_email:
            member = PartnerMember(
                workspace_id=workspace.id, slack_user_id=owner_user_id, email=owner_email, name=owner_user_id
            )
            session.add(member)
            session.flush()
            member_id = member.id
        client = Client(
            workspace_id=workspace.id,
            hub_id=hub_id or str(next(_hub_ids)),
            name=name,
            name_folded=fold(name),
            domain=domain,
            owner_kind=owner_kind,
            owner_member_id=member_id,
            association_ended_at=NOON if ended else None,
        )
        session.add(client)
        session.flush()
        if contact:
            person = Contact(
                workspace_id=workspace.id, client_id=client.id, name=contact, email="c@example.com"
            )
            session.add(person)
            session.flush()
            client.primary_contact_id = person.id
        for change in changes or [{"days": 60}]:
            start = TODAY + timedelta(days=change["days"])
            mrr = change.get("mrr")
            session.add(
                ContractChange(
                    workspace_id=workspace.id,
                    client_id=client.id,
                    contract_type=change.get("type", ContractType.RENEWAL),
                    status=change.get("status", Status.PENDING),
                    renewal_start_date=start,
                    renewal_deadline=renewal_deadline(start),
                    current_mrr_currency="USD" if mrr is not None else None,
                    current_mrr=Decimal(mrr) if mrr is not None else None,
                )
            )
        assert client.id is not None
        return client.id


def blocks_of(call: Call) -> list[dict[str, Any]]:
    return call.params.get("blocks") or []


def table_rows(call: Call) -> list[list[str]]:
    """The table's rows as text, header first (fails when the message has no table)."""
    tables = [b for b in blocks_of(call) if b["type"] == "table"]
    assert len(tables) == 1, f"expected one table, got blocks {[b['type'] for b in blocks_of(call)]}"
    return [[cell["text"] for cell in row] for row in tables[0]["rows"]]


def client_names(call: Call) -> list[str]:
    rows = table_rows(call)
    return [row[0] for row in rows[1:]]


def all_text(call: Call, kinds: tuple[str, ...] = ("mrkdwn", "plain_text")) -> str:
    """Every mrkdwn/plain text in the message (not the table cells), and the fallback."""
    texts = [str(call.params.get("text") or "")]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") in kinds:
                texts.append(value.get("text", ""))
            for key, inner in value.items():
                if key != "rows":
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(blocks_of(call))
    return "\n".join(texts)


def mrkdwn_text(call: Call) -> str:
    """What Slack parses for mentions and links: mrkdwn texts and the fallback `text`."""
    return all_text(call, kinds=("mrkdwn",))
