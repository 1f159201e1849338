"""`/renewal <client name, domain or Hub ID>`: one client's detail, ephemeral.

One match: the detail with its buttons. Several: one "Show" button each (PICK_CLIENT).
None: the closest names. Also home to what every client listener needs: reading a
`ClientRef` safely (stale, another workspace's, or a client gone) and rendering the detail.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from blocks.client import (
    MAX_PICKS,
    STALE_TEXT,
    client_choices_message,
    client_detail_message,
    no_client_message,
    renewal_usage_message,
)
from blocks.ids import ActionId, BlockId
from blocks.message import Message
from blocks.values import ClientModalRef, ClientRef, StaleValueError, decode
from bot.errors import UserError
from bot.slack.context import person_of, services_of, workspace_of
from handlers.command_text import plain_text
from store.clients import client_detail, find_clients, get_client
from store.db import session_scope
from store.models import Client, Workspace

OTHER_WORKSPACE = "That button belongs to another Slack workspace: nothing was read or changed."
CLIENT_GONE = "That client is no longer in this workspace. Run `/renewal` again."


def command_text(command: dict[str, Any]) -> str:
    """The slash command's text as typed: Slack sends `&`, `<`, `>` as HTML entities, and a typed
    domain as a link (`<http://acme.com|acme.com>`), which becomes its label again."""
    return plain_text(str(command.get("text") or ""))


def current_workspace(context: BoltContext, *, session: Session) -> Workspace:
    """The request's workspace, attached to `session` (fresh, so a new default owner shows)."""
    workspace = session.get(Workspace, workspace_of(context).id)
    if workspace is None:  # deleted between the middleware and here: nothing to serve
        raise UserError("This workspace has no data yet.")
    return workspace


def check_team(ref: ClientRef | ClientModalRef, workspace: Workspace) -> None:
    if ref.team_id != workspace.team_id:
        raise UserError(OTHER_WORKSPACE)


def decode_ref(raw: str | None) -> ClientRef:
    try:
        return decode(ClientRef, raw)
    except StaleValueError:
        raise UserError(STALE_TEXT) from None


def client_for_ref(ref: ClientRef | ClientModalRef, *, session: Session, workspace: Workspace) -> Client:
    """The client a button or modal names, only if the request's own workspace has it.

    A ref minted in another workspace, or a client ID that belongs to one, finds nothing:
    the lookup itself is scoped to the request's workspace.
    """
    check_team(ref, workspace)
    client = get_client(ref.client_id, session=session, workspace=workspace)
    if client is None:
        raise UserError(CLIENT_GONE)
    return client


def detail_message(client: Client, *, session: Session, workspace: Workspace, today: date) -> Message:
    """The client's detail as of `today`: the day of the person it is for (`Person.today()`)."""
    detail = client_detail(client, session=session, workspace=workspace, today=today)
    return client_detail_message(detail, team_id=workspace.team_id)


def is_detail_message(body: dict[str, Any]) -> bool:
    """Whether the clicked button sits in a /renewal detail (refresh it) rather than a table or digest."""
    message = body.get("message") or {}
    return any(
        isinstance(block, dict) and block.get("block_id") == BlockId.CLIENT_DETAIL.value
        for block in message.get("blocks") or []
    )


def show_client(
    ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    ack()
    text = command_text(command)
    if not text:
        respond(**renewal_usage_message().as_kwargs(), response_type="ephemeral")
        return
    today = person_of(context, client, command["user_id"]).today()
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        found = find_clients(text, session=session, workspace=workspace, limit=MAX_PICKS + 1)
        if len(found.matches) == 1:
            message = detail_message(found.matches[0], session=session, workspace=workspace, today=today)
        elif found.matches:
            message = client_choices_message(found.matches, text, team_id=workspace.team_id)
        else:
            message = no_client_message(text, found.suggestions)
    respond(**message.as_kwargs(), response_type="ephemeral")


def pick_client(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    ref = decode_ref(action.get("value"))
    today = person_of(context, client, body["user"]["id"]).today()
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        target = client_for_ref(ref, session=session, workspace=workspace)
        message = detail_message(target, session=session, workspace=workspace, today=today)
    respond(**message.as_kwargs(), response_type="ephemeral", replace_original=True)


def register(app: App) -> None:
    app.command("/renewal")(show_client)
    app.action(ActionId.PICK_CLIENT.value)(pick_client)
