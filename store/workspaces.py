"""Workspaces: every request and command is served for exactly one of them."""

from __future__ import annotations

from sqlmodel import Session, select

from store.models import Workspace
from store.types import utcnow


def get_workspace(team_id: str, *, session: Session) -> Workspace | None:
    return session.exec(select(Workspace).where(Workspace.team_id == team_id)).first()


def ensure_workspace(team_id: str, *, session: Session, enterprise_id: str | None = None) -> Workspace:
    """The workspace row for a Slack team, created on first sight."""
    workspace = get_workspace(team_id, session=session)
    if workspace is None:
        workspace = Workspace(team_id=team_id, enterprise_id=enterprise_id)
        session.add(workspace)
        session.flush()
    elif enterprise_id and workspace.enterprise_id != enterprise_id:
        workspace.enterprise_id = enterprise_id
        workspace.updated_at = utcnow()
    return workspace
