"""A workspace's data version: a number that changes whenever its imported data may have changed.

The Slack import shows a preview before it writes, and the preview must still be true when the
person presses "Import". Every change to a client (from Slack or an import) and every import that
wrote anything records an `AuditEvent` (store/audit.py, store/importer.py), so the newest such
event's ID moves exactly when what an import compares against may have moved. Other recorded
changes (digest settings, a person's columns) leave it alone: they change nothing an import does.
"""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from store.importer import IMPORT_ACTION
from store.models import AuditEvent


def data_version(workspace_id: int, *, session: Session) -> int:
    """The ID of the workspace's newest client change or import; 0 before the first."""
    query = select(func.max(AuditEvent.id)).where(
        AuditEvent.workspace_id == workspace_id,
        or_(col(AuditEvent.client_id).is_not(None), AuditEvent.action == IMPORT_ACTION),
    )
    return session.exec(query).one() or 0
