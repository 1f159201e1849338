"""Which workspace a Slack request is served for, and the context every listener gets.

A global middleware puts two things into Bolt's context before any listener runs:

- `context["services"]`: the `Services` (settings, database engine, Slack directory);
- `context["workspace"]`: the request's own `Workspace` row (created on first sight),
  read from the database the first time a listener asks for it (`workspace_of`), which is
  after its ack(): a database outage must never keep Slack from getting its ack.

A listener that opens a transaction anyway reads the row in it (`workspace_in`) rather than in
a session of its own: a second session per request was a fifth of a request's time (issue 9).
Checking a value's team needs no row at all (`team_of`).

Listeners must take the workspace from here and nowhere else: IDs inside a payload
(button values, modal metadata) are checked against it, never trusted on their own.
A person (time zone, email, admin flags) comes from `person_of` / `is_admin`: the request's
own Web client asks the directory, before the listener opens a transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.services import Services
from bot.slack.directory import Person
from store.db import session_scope
from store.models import Workspace
from store.workspaces import ensure_workspace, get_workspace

SERVICES = "services"
TEAM = "request_team"  # (team_id, enterprise_id) as the request names them
WORKSPACE = "workspace"


class NoWorkspaceError(Exception):
    """A request that names no Slack team reached a listener that needs one."""


def _team_like(value: Any) -> str | None:
    # Enterprise Grid puts the org ID (E…) where a team ID usually is; that is not a team.
    if isinstance(value, str) and value and not value.startswith("E"):
        return value
    return None


def request_team(body: dict[str, Any], context: BoltContext) -> tuple[str | None, str | None]:
    """(team_id, enterprise_id) of the workspace a request comes from.

    Bolt's own extraction (`context.team_id`) covers commands (`team_id`) and most
    interactivity (`team.id`, `view.app_installed_team_id`). With an org-wide Enterprise
    Grid install `team` can be null in interactivity payloads, so fall back to the
    acting user's team and then the view's.
    """
    user = body.get("user") if isinstance(body.get("user"), dict) else {}
    view = body.get("view") if isinstance(body.get("view"), dict) else {}
    team = body.get("team") if isinstance(body.get("team"), dict) else {}
    team_id = (
        _team_like(context.team_id)
        or _team_like(team.get("id"))
        or _team_like(body.get("team_id"))
        or _team_like(user.get("team_id"))
        or _team_like(view.get("team_id"))
    )
    enterprise_id = (
        context.enterprise_id
        or body.get("enterprise_id")
        or (body.get("enterprise") or {}).get("id")
        or team.get("enterprise_id")
    )
    if isinstance(enterprise_id, str) and not enterprise_id:
        enterprise_id = None
    return team_id, enterprise_id


def workspace_middleware(services: Services) -> Callable[..., Any]:
    """A Bolt global middleware that resolves the request's workspace and hands out `Services`."""

    def inject(body: dict[str, Any], context: BoltContext, next: Callable[[], Any]) -> Any:
        context[SERVICES] = services
        context[TEAM] = request_team(body, context)
        return next()

    return inject


def _ensure(services: Services, team_id: str, enterprise_id: str | None) -> Workspace:
    try:
        with session_scope(services.engine) as session:
            return ensure_workspace(team_id, session=session, enterprise_id=enterprise_id)
    except IntegrityError:
        # Two first requests from a new team raced to create its row: the other one won.
        with session_scope(services.engine) as session:
            return ensure_workspace(team_id, session=session, enterprise_id=enterprise_id)


def services_of(context: BoltContext) -> Services:
    return context[SERVICES]


def team_of(context: BoltContext) -> str:
    """The Slack team the request comes from, without reading the database."""
    team_id, _ = context.get(TEAM) or (None, None)
    if team_id is None:
        raise NoWorkspaceError("this request names no Slack team")
    return team_id


def workspace_in(context: BoltContext, *, session: Session) -> Workspace:
    """The request's workspace, read in `session` (the listener's own transaction, so fresh).

    A team seen for the first time, or one whose Enterprise Grid org changed, is written in a short
    transaction of its own (as `workspace_of` does) and then attached to `session`: the listener's
    transaction then only reads unless the listener itself writes.
    """
    team_id = team_of(context)
    _, enterprise_id = context.get(TEAM) or (None, None)
    workspace = get_workspace(team_id, session=session)
    if workspace is None or (enterprise_id and workspace.enterprise_id != enterprise_id):
        workspace = session.merge(_ensure(services_of(context), team_id, enterprise_id), load=False)
    return workspace


def workspace_of(context: BoltContext) -> Workspace:
    """The request's workspace (a detached row: read it, or `session.merge` it to change it).

    Looked up (or created) on the first call, so call it only after ack().
    """
    workspace = context.get(WORKSPACE)
    if workspace is None:
        _, enterprise_id = context.get(TEAM) or (None, None)
        workspace = _ensure(services_of(context), team_of(context), enterprise_id)
        context[WORKSPACE] = workspace
    return workspace


def person_of(context: BoltContext, client: WebClient, user_id: str) -> Person:
    """The Slack user `user_id` as the request's workspace sees them; by user ID only (in UTC)
    when Slack will not say. `client` is the request's own (its installation's token)."""
    team_id, _ = context.get(TEAM) or (None, None)
    return services_of(context).directory.person(client, team_id=team_id or "", user_id=user_id)


def is_admin(context: BoltContext, client: WebClient, user_id: str) -> bool:
    """Whether `user_id` may do the admin-only things in the request's workspace (see bot.slack.directory)."""
    requester = workspace_of(context)
    services = services_of(context)
    return services.directory.is_admin(
        client,
        settings=services.settings,
        team_id=requester.team_id,
        user_id=user_id,
        enterprise_id=requester.enterprise_id,
    )
