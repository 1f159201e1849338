"""History: every change a person makes, with who, when, before and after."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from store.models import AuditEvent


def record_change(
    *,
    session: Session,
    workspace_id: int,
    actor: str,
    action: str,
    client_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        workspace_id=workspace_id,
        client_id=client_id,
        actor=actor,
        action=action,
        before=before,
        after=after,
    )
    session.add(event)
    return event


def client_history(
    client_id: int, *, session: Session, workspace_id: int, limit: int = 5
) -> list[AuditEvent]:
    """A client's most recent changes, newest first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.workspace_id == workspace_id, AuditEvent.client_id == client_id)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))
