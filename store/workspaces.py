"""Workspaces: every request and command is served for exactly one of them.

A workspace can be paused: the app was uninstalled from it, its bot token was revoked, or Slack
refused its token in a job. Jobs act only in workspaces that are not paused (`not_paused` in
their queries, `is_paused` for one); installing the app again resumes it. Pausing and resuming
are recorded in the workspace's history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from store.audit import record_change
from store.models import Workspace
from store.types import utcnow

# Why a workspace is paused, besides the error Slack gave for a refused token (invalid_auth, ...).
APP_UNINSTALLED = "app_uninstalled"
TOKENS_REVOKED = "tokens_revoked"
# Who paused a workspace, in its history, when Slack told the app (an uninstall, a revoked
# token); the app itself is store.digest_subscriptions.APP_ACTOR, an installer is their user ID.
SLACK_ACTOR = "slack"


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


# --- pausing --------------------------------------------------------------------------------


def not_paused() -> ColumnElement[bool]:
    """The condition on `Workspace` for a job's query: only workspaces the app may act in."""
    return col(Workspace.paused_at).is_(None)


def is_paused(workspace_id: int, *, session: Session) -> bool:
    """Whether jobs must leave this workspace alone (the one check for a single workspace)."""
    query = select(Workspace.id).where(Workspace.id == workspace_id, col(Workspace.paused_at).is_not(None))
    return session.exec(query).first() is not None


def _installed_in(team_id: str | None, enterprise_id: str | None) -> Any:
    """The workspaces an installation serves: its team, or every team of its org (org-wide)."""
    if team_id is not None:
        return select(Workspace).where(Workspace.team_id == team_id)
    if enterprise_id is not None:
        return select(Workspace).where(Workspace.enterprise_id == enterprise_id)
    raise ValueError("an installation names a team or an enterprise")


def _pause_snapshot(workspace: Workspace) -> dict[str, Any]:
    paused_at = workspace.paused_at.isoformat() if workspace.paused_at else None
    return {"paused_at": paused_at, "paused_reason": workspace.paused_reason}


def _set_pause(
    workspace: Workspace,
    *,
    session: Session,
    actor: str,
    reason: str | None,
    now: datetime,
) -> None:
    before = _pause_snapshot(workspace)
    if reason is None:
        workspace.paused_at = None
    elif workspace.paused_at is None:
        workspace.paused_at = now
    workspace.paused_reason = reason
    workspace.updated_at = now
    assert workspace.id is not None
    record_change(
        session=session,
        workspace_id=workspace.id,
        actor=actor,
        action="workspace_paused" if reason else "workspace_resumed",
        before=before,
        after=_pause_snapshot(workspace),
    )


def pause_workspaces(
    *,
    session: Session,
    reason: str,
    actor: str,
    team_id: str | None = None,
    enterprise_id: str | None = None,
    now: datetime | None = None,
) -> list[Workspace]:
    """Pause the workspace of `team_id`, or without one every workspace of `enterprise_id` (an
    org-wide install). One already paused keeps its time; its reason becomes the latest.
    Returns the workspaces whose pause changed."""
    now = now or utcnow()
    changed = []
    for workspace in session.exec(_installed_in(team_id, enterprise_id)):
        if workspace.paused_reason != reason:
            _set_pause(workspace, session=session, actor=actor, reason=reason, now=now)
            changed.append(workspace)
    return changed


def resume_workspaces(
    *,
    session: Session,
    actor: str,
    team_id: str | None = None,
    enterprise_id: str | None = None,
    now: datetime | None = None,
) -> list[Workspace]:
    """Resume the paused workspace of `team_id` (or every paused one of `enterprise_id`)."""
    now = now or utcnow()
    query = _installed_in(team_id, enterprise_id).where(col(Workspace.paused_at).is_not(None))
    resumed = list(session.exec(query))
    for workspace in resumed:
        _set_pause(workspace, session=session, actor=actor, reason=None, now=now)
    return resumed
