"""Small readers for the client tests (tests/test_client_*.py, test_owner_command.py, test_home.py).

Their clients, contacts and contract changes are made with tests/factories.py; the app under
test reads them over its own engine, and these read back what it changed and what it sent.
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
from tests.factories import TODAY
from tests.fake_slack import mrkdwn_texts

# "Now" in these tests (frozen with time-machine), on the factories' TODAY.
NOW = datetime.combine(TODAY, time(9, 30), tzinfo=UTC)


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
