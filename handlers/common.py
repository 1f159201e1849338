"""What several listeners share; registers no listener, so no handler module imports another.

- The request's workspace, and the client a button value names (`ClientRef`), refused when the
  value is stale, another team's, or names a client this workspace does not have.
- A table button's page (`PageRef`), a digest's whole-list page (`DigestListRef`) and an import's
  whole list of changes (`ImportChangesRef`), refused the same way.
- The client's detail message, and whether a click came from one (to refresh it in place).
- The person's Home tab, published again after a change made from it.
- A client modal, start to end: its private_metadata (`ClientModalRef`: the client, and where the
  modal came from), the submission (errors shown in the modal, the change in one transaction),
  and the report (refresh the detail message, confirm ephemerally, or publish the Home tab).
- Making someone picked in Slack a client's owner.
- What a `/renewals` text asks for (`view_request`), for the table and its "Export CSV".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TypeVar

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from blocks.client import STALE_TEXT, client_detail_message
from blocks.digest import stale_list_message
from blocks.home import MAX_MINE_SHOWN, home_view
from blocks.ids import BlockId
from blocks.limits import PRIVATE_METADATA_CHARS
from blocks.message import Message, notice
from blocks.renewals import MAX_COMMAND_TEXT, filter_error_message, stale_page_message, too_long_message
from blocks.values import (
    ClientModalRef,
    ClientRef,
    DigestListRef,
    ImportChangesRef,
    PageRef,
    StaleValueError,
    decode,
    encode,
)
from blocks.what_changed import stale_changes_message
from bot.errors import UserError
from bot.slack.context import person_of, services_of, team_of, workspace_in, workspace_of
from bot.slack.directory import Person
from bot.slack.replies import from_home
from handlers.command_text import plain_words
from store.clients import ClientChangeError, client_detail, get_client, member_for_user, set_owner
from store.db import session_scope
from store.filters import OWNER_WORDS, FilterError, Filters, parse_filters
from store.home import home_data
from store.models import Client, Workspace
from store.rules import OwnerKind
from store.upcoming import RenewalQuery, Viewer

logger = logging.getLogger(__name__)

OTHER_WORKSPACE = "That button belongs to another Slack workspace: nothing was read or changed."
CLIENT_GONE = "That client is no longer in this workspace. Run `/renewal` again."
OTHER_WORKSPACE_PAGE = "This button belongs to another workspace's message, so it does nothing here."
TeamValue = TypeVar("TeamValue", PageRef, DigestListRef, ImportChangesRef)


# --- the request's workspace and the client a value names ---------------------------------------


def current_workspace(context: BoltContext, *, session: Session) -> Workspace:
    """The request's workspace, read in `session` (fresh, so a new default owner shows): the
    listener's one transaction, not a session of its own."""
    return workspace_in(context, session=session)


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
    return _own_team_value(PageRef, action, context, respond, stale=stale_page_message())


def digest_list_ref(action: dict[str, Any], context: BoltContext, respond: Respond) -> DigestListRef | None:
    """A digest's "View all" / Next / Previous value, or None (the person is told why) when stale or
    from another workspace."""
    return _own_team_value(DigestListRef, action, context, respond, stale=stale_list_message())


def import_changes_ref(
    action: dict[str, Any], context: BoltContext, respond: Respond
) -> ImportChangesRef | None:
    """ "What changed"'s "View all" / Next / Previous value, or None (the person is told why) when
    stale or from another workspace."""
    return _own_team_value(ImportChangesRef, action, context, respond, stale=stale_changes_message())


def _own_team_value(
    kind: type[TeamValue], action: dict[str, Any], context: BoltContext, respond: Respond, *, stale: Message
) -> TeamValue | None:
    try:
        ref = decode(kind, action.get("value"))
    except StaleValueError:
        respond(response_type="ephemeral", replace_original=False, **stale.as_kwargs())
        return None
    team_id = team_of(context)  # the request's own team: no need to read its row for this
    if ref.team_id != team_id:
        logger.warning(
            "refused %s: value names team %s, request comes from %s",
            action.get("action_id"),
            ref.team_id,
            team_id,
        )
        respond(response_type="ephemeral", replace_original=False, **notice(OTHER_WORKSPACE_PAGE).as_kwargs())
        return None
    return ref


# --- what a listener answers with ------------------------------------------------------------


def detail_message(client: Client, *, session: Session, workspace: Workspace, today: date) -> Message:
    """The client's detail as of `today`: the day of the person it is for (`Person.today()`)."""
    detail = client_detail(client, session=session, workspace=workspace, today=today)
    return client_detail_message(detail, team_id=workspace.team_id)


def detail_for(ref: ClientRef, *, context: BoltContext, client: WebClient, user_id: str) -> Message:
    """The detail of the client `ref` names (refused as `client_session` refuses), as of the day of
    the person asking, which is asked before the transaction."""
    today = person_of(context, client, user_id).today()
    with client_session(context, ref) as (session, workspace, target):
        return detail_message(target, session=session, workspace=workspace, today=today)


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


@dataclass(frozen=True)
class ViewRequest:
    """What a `/renewals` text asks for, for the person asking: the view's filters and query, who
    they are (`owner:me`) and their own "today"."""

    filters: Filters
    query: RenewalQuery
    person: Person
    viewer: Viewer
    today: date


def view_request(
    context: BoltContext, client: WebClient, *, user_id: str, text: str
) -> ViewRequest | Message:
    """The request `text` makes, or the message that says why it cannot be served.

    Without users.info (missing scope, unknown user) the person is still served: `owner:me` then
    matches by user ID only, and "today" is UTC's. Asks Slack: call it before any transaction.
    """
    text = text.strip()
    if len(text) > MAX_COMMAND_TEXT:
        return too_long_message()
    typed = plain_words(text)
    try:
        filters = parse_filters(typed.words, mentioned=typed.mentioned)
    except FilterError as exc:
        return filter_error_message(str(exc))
    person = person_of(context, client, user_id)
    query = filters.query
    if query.owner is not None and query.owner not in OWNER_WORDS:
        # A mentioned owner may be known here only by the email an import gave.
        query = replace(query, owner_email=person_of(context, client, query.owner).email)
    return ViewRequest(
        filters=filters, query=query, person=person, viewer=viewer_for(person), today=person.today()
    )


def publish_home(client: WebClient, context: BoltContext, user_id: str) -> None:
    """Build and publish `user_id`'s Home tab, from the request's own workspace only.

    Home tab clicks have no response_url: a change made from the tab answers by publishing it again.
    """
    person = person_of(context, client, user_id)  # owner:me by user ID and Slack email, and "today"
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        data = home_data(
            workspace,
            session=session,
            today=person.today(),
            viewer=viewer_for(person),
            mine_shown=MAX_MINE_SHOWN,
        )
        view = home_view(data, team_id=workspace.team_id, user_id=user_id, zone=person.zone)
    client.views_publish(user_id=user_id, view=view)


# --- client modals: opened from a button, submitted, reported -----------------------------------


def modal_ref(
    client: Client, workspace: Workspace, body: dict[str, Any], *, ended_at: datetime | None = None
) -> str:
    """The private_metadata of a modal about `client`, opened by the click in `body`: where to report."""
    assert client.id is not None
    response_url = body.get("response_url")
    if response_url and len(response_url) > 2000:  # never seen; keep the metadata within its limit
        response_url = None
    ref = ClientModalRef(
        client_id=client.id,
        team_id=workspace.team_id,
        response_url=response_url,
        refresh=is_detail_message(body),
        ended_at=ended_at,
        home=from_home(body) or None,
    )
    return encode(ref, limit=PRIVATE_METADATA_CHARS)


class InvalidSubmissionError(Exception):
    """A submission to refuse inside the modal: {block_id: message}."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


# Makes the change to the modal's client inside the transaction and returns the confirmation;
# raises ClientChangeError (a message for the person) to refuse it.
ClientChange = Callable[[Client, Session, Workspace], Message]


def submit_client_modal(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    *,
    block_id: str,
    prepare: Callable[[ClientModalRef], ClientChange],
    refused_block_id: str | None = None,
) -> None:
    """A client modal's submission, start to end.

    `prepare` reads what was typed and asks Slack what it needs, before the transaction
    (users.info may wait on Slack); it raises InvalidSubmissionError to refuse. Refusals (stale
    metadata, another team's, a client gone, the change refused) show in the modal, at `block_id`
    (a refused change at `refused_block_id` when given); otherwise the modal closes and the
    change is reported (`_report`).
    """
    try:
        ref = _read_modal_ref(view, workspace_of(context), block_id)
        change = prepare(ref)
        today = _refresh_day(ref, context, client, body["user"]["id"])
        with session_scope(services_of(context).engine) as session:
            workspace = current_workspace(context, session=session)
            target = get_client(ref.client_id, session=session, workspace=workspace)
            if target is None:
                raise InvalidSubmissionError({block_id: CLIENT_GONE.replace("`", "")})
            try:
                confirmation = change(target, session, workspace)
            except ClientChangeError as exc:
                raise InvalidSubmissionError({refused_block_id or block_id: str(exc)}) from None
            refreshed = refreshed_detail(target, workspace, session=session, today=today)
    except InvalidSubmissionError as invalid:
        ack(response_action="errors", errors=invalid.errors)
        return
    ack()
    _report(ref, refreshed, confirmation, context=context)


def _read_modal_ref(view: dict[str, Any], workspace: Workspace, block_id: str) -> ClientModalRef:
    try:
        ref = decode(ClientModalRef, view.get("private_metadata"))
    except StaleValueError:
        raise InvalidSubmissionError({block_id: STALE_TEXT.replace("`", "")}) from None
    if ref.team_id != workspace.team_id:
        raise InvalidSubmissionError({block_id: OTHER_WORKSPACE})
    return ref


def _refresh_day(ref: ClientModalRef, context: BoltContext, client: WebClient, user_id: str) -> date | None:
    """The submitter's own day, when the detail message the modal came from is refreshed.

    Asked before the transaction: users.info may wait on Slack.
    """
    return person_of(context, client, user_id).today() if ref.refresh else None


def refreshed_detail(
    target: Client, workspace: Workspace, *, session: Session, today: date | None
) -> Message | None:
    """The detail message to replace the one a change came from (None: it came from elsewhere)."""
    if today is None:
        return None
    return detail_message(target, session=session, workspace=workspace, today=today)


def _report(
    ref: ClientModalRef, refreshed: Message | None, confirmation: Message, *, context: BoltContext
) -> None:
    """After a change: replace the detail message it came from, or confirm ephemerally.

    A change made from the Home tab (no response_url) publishes the person's Home tab again.
    """
    if ref.home and context.client is not None and context.user_id:
        publish_home(context.client, context, context.user_id)
        return
    if not ref.response_url:
        return
    respond = Respond(response_url=ref.response_url)
    if ref.refresh and refreshed is not None:
        respond(**refreshed.as_kwargs(), response_type="ephemeral", replace_original=True)
    else:
        respond(**confirmation.as_kwargs(), response_type="ephemeral", replace_original=False)


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
