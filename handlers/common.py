"""What several listeners share; registers no listener, so no handler module imports another.

- The request's workspace, and the client a button value names (`ClientRef`), refused when the
  value is stale, another team's, or names a client this workspace does not have.
- A table button's page (`PageRef`), refused the same way.
- The client's detail message, and whether a click came from one (to refresh it in place).
- The person's Home tab, published again after a change made from it.
- Making someone picked in Slack a client's owner.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from blocks.client import STALE_TEXT, client_detail_message
from blocks.home import home_view
from blocks.ids import BlockId
from blocks.message import Message, notice
from blocks.renewals import stale_page_message
from blocks.values import ClientModalRef, ClientRef, PageRef, StaleValueError, decode
from bot.errors import UserError
from bot.slack.context import person_of, services_of, workspace_of
from bot.slack.directory import Person
from store.clients import ClientChangeError, client_detail, get_client, member_for_user, set_owner
from store.db import session_scope
from store.home import home_data
from store.models import Client, Workspace
from store.rules import OwnerKind
from store.upcoming import Viewer

logger = logging.getLogger(__name__)

OTHER_WORKSPACE = "That button belongs to another Slack workspace: nothing was read or changed."
CLIENT_GONE = "That client is no longer in this workspace. Run `/renewal` again."
OTHER_WORKSPACE_PAGE = "This button belongs to another workspace's message, so it does nothing here."


# --- the request's workspace and the client a value names ---------------------------------------


def current_workspace(context: BoltContext, *, session: Session) -> Workspace:
    """The request's workspace, attached to `session` (fresh, so a new default owner shows)."""
    workspace = session.get(Workspace, workspace_of(context).id)
    if workspace is None:  # deleted between the middleware and here: nothing to serve
        raise UserError("This workspace has no data yet.")
    return workspace


def check_team(ref: ClientRef | ClientModalRef, workspace: Workspace) -> None:
    """Refuse a value minted in another workspace."""
    if ref.team_id != workspace.team_id:
        raise UserError(OTHER_WORKSPACE)


def decode_ref(raw: str | None) -> ClientRef:
    """A client button's value; one that no longer decodes is "out of date"."""
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


@contextmanager
def client_session(context: BoltContext, ref: ClientRef) -> Iterator[tuple[Session, Workspace, Client]]:
    """One transaction, with the request's workspace and the client `ref` names in it (refused
    as `client_for_ref` refuses). Ask Slack anything you need before: users.info may wait."""
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        yield session, workspace, client_for_ref(ref, session=session, workspace=workspace)


def page_ref(action: dict[str, Any], context: BoltContext, respond: Respond) -> PageRef | None:
    """A table button's page, or None (the person is told why) when stale or from another workspace."""
    try:
        ref = decode(PageRef, action.get("value"))
    except StaleValueError:
        respond(response_type="ephemeral", replace_original=False, **stale_page_message().as_kwargs())
        return None
    workspace = workspace_of(context)
    if ref.team_id != workspace.team_id:
        logger.warning(
            "refused %s: value names team %s, request comes from %s",
            action.get("action_id"),
            ref.team_id,
            workspace.team_id,
        )
        respond(response_type="ephemeral", replace_original=False, **notice(OTHER_WORKSPACE_PAGE).as_kwargs())
        return None
    return ref


# --- what a listener answers with ------------------------------------------------------------


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


def viewer_for(person: Person) -> Viewer:
    """Who `owner:me` is: the person's user ID, and their Slack email (owners imported by email)."""
    return Viewer(user_id=person.user_id, email=person.email)


def publish_home(client: WebClient, context: BoltContext, user_id: str) -> None:
    """Build and publish `user_id`'s Home tab, from the request's own workspace only.

    Home tab clicks have no response_url: a change made from the tab answers by publishing it again.
    """
    person = person_of(context, client, user_id)  # owner:me by user ID and Slack email, and "today"
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        data = home_data(workspace, session=session, today=person.today(), viewer=viewer_for(person))
        view = home_view(data, team_id=workspace.team_id, user_id=user_id, zone=person.zone)
    client.views_publish(user_id=user_id, view=view)


# --- changes shared by several surfaces ---------------------------------------------------------


def set_client_owner(
    target: Client,
    kind: OwnerKind,
    person: Person | None,
    *,
    session: Session,
    workspace: Workspace,
    actor: str,
) -> None:
    """Make HubSpot, or `person` (a partner, looked up before the transaction), the client's owner.

    A partner is linked to an imported partner email. Raises ClientChangeError (a message for the
    person) when they cannot own conversations: a bot, a deactivated account, someone from outside
    this workspace. They were picked in Slack's own user select (or mentioned), so Slack knows them:
    when Slack gave no profile they still own the client, set by user ID only (email not linked yet).
    """
    if kind is not OwnerKind.PARTNER:
        set_owner(target, kind, session=session, actor=actor)
        return
    assert person is not None
    if person.is_bot:
        raise ClientChangeError("Choose a person, not a bot.")
    if person.deleted:
        raise ClientChangeError("That person's account is deactivated. Choose someone else.")
    if not person.belongs_to(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id):
        raise ClientChangeError("Choose a member of this workspace.")
    member = member_for_user(
        person.user_id, session=session, workspace=workspace, email=person.email, name=person.name
    )
    set_owner(target, OwnerKind.PARTNER, session=session, actor=actor, member=member)
