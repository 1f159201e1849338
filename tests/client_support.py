"""Helpers for the tests of a client's surfaces (/renewal, its buttons and modals, /renewal-owner,
the Home tab): read back what the app changed and sent, and drive a client's buttons.

Their clients, contacts and contract changes are made with tests/factories.py; the app under
test reads them over its own engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from store.db import session_scope
from store.models import AuditEvent, Client, Contact
from tests.app_client import SlackAppClient
from tests.factories import TEAM, TODAY, add_client, days, full_change
from tests.fake_slack import mrkdwn_texts
from tests.slack_requests import block_actions_payload, find_element

# "Now" in these tests (frozen with time-machine), on the factories' TODAY.
NOW = datetime.combine(TODAY, time(9, 30), tzinfo=UTC)

# The action IDs of a client's buttons (blocks/ids.py), as Slack sends them back.
REASSIGN = "client_reassign_contact"
CHANGE_OWNER = "client_change_owner"
END = "client_end_association"
RESTORE = "client_restore_association"
ADD_REASON = "client_add_end_reason"


@contextmanager
def db(engine: Engine) -> Iterator[Session]:
    with session_scope(engine) as session:
        yield session


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


# --- driving a client's buttons from its /renewal detail ---------------------------------------


def seed(app: SlackAppClient, *, contacts: int = 2, team_id: str = TEAM, hub_id: str = "1001") -> int:
    """Acme Corp (hub ID 1001) with `contacts` contacts, Ana Pérez its primary, and a full renewal."""
    with db(app.engine) as session:
        people = [("Ana Pérez", "ana@acme.com", "Marketing lead"), ("Bob Stone", "bob@acme.com", None)]
        people += [(f"Person {n:03d}", f"p{n:03d}@acme.com", None) for n in range(contacts - 2)]
        acme = add_client(
            session,
            "Acme Corp",
            hub_id,
            team_id=team_id,
            domain="acme.com",
            contacts=people[:contacts],
            primary="ana@acme.com" if contacts else None,
        )
        full_change(session, acme, days(60))
        assert acme.id is not None
        return acme.id


def contact_id(app: SlackAppClient, email: str) -> int:
    with Session(app.engine) as session:
        contact = session.exec(select(Contact).where(Contact.email == email)).one()
        assert contact.id is not None
        return contact.id


def detail(app: SlackAppClient, text: str = "1001", **kwargs: Any) -> dict[str, Any]:
    """`/renewal text`: the client's detail message the app sends back."""
    before = len(app.fake.calls_to("response_url"))
    app.command("/renewal", text, **kwargs)
    return app.wait_for("response_url", count=before + 1).params


def click(
    app: SlackAppClient, action_id: str, message: dict[str, Any], *, user_id: str = "U0ALICE", **kwargs: Any
) -> None:
    """Click button `action_id` in `message` (a detail, or any message with the client's buttons)."""
    value = find_element(message["blocks"], action_id)["value"]
    payload = block_actions_payload(
        action_id,
        value,
        user_id=user_id,
        block_id="client_actions",
        message={"type": "message", "text": message["text"], "blocks": message["blocks"]},
        fake=app.fake,
        **kwargs,
    )
    assert app.action(payload).status == 200


def opened_view(app: SlackAppClient, count: int = 1) -> dict[str, Any]:
    return app.wait_for("views.open", count=count).params["view"]
