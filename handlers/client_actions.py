"""A client's buttons (in /renewal, /renewals and digests), their modals, and the contact type-ahead.

- "Reassign contact" / "Change owner": ack, open the modal at once (a trigger_id lives 3 s);
  the modal's private_metadata (`ClientModalRef`) remembers the client and the message's
  response_url. On submission: validate (errors shown in the modal), change the database
  (audited), close the modal, then refresh the detail message or confirm ephemerally.
- "End association" (behind Slack's confirm dialog) / "Restore association": admins only.
  A confirm dialog has no input, so the reply to ending carries "Add a reason": a modal
  where an admin records why, while the association is still ended (that same ending).
- block_suggestion for the contact select of a client with more than 100 contacts.

Every value is checked against the request's own workspace before anything is read.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks.client import STALE_TEXT, ended_notice, owner_text
from blocks.ids import ActionId, BlockId, ViewId
from blocks.limits import MAX_SELECT_OPTIONS, PRIVATE_METADATA_CHARS
from blocks.message import Message, notice
from blocks.modals import (
    change_owner_modal,
    contact_options,
    end_reason_modal,
    read_contact_choice,
    read_end_reason,
    read_owner_choice,
    reassign_contact_modal,
)
from blocks.text import mrkdwn
from blocks.values import ClientModalRef, StaleValueError, decode, encode
from bot.errors import UserError
from bot.slack.context import is_admin, person_of, services_of, workspace_of
from bot.slack.replies import from_home, refusal, tell_on_home
from handlers.common import (
    CLIENT_GONE,
    OTHER_WORKSPACE,
    check_team,
    client_for_ref,
    current_workspace,
    decode_ref,
    detail_message,
    is_detail_message,
    publish_home,
    set_client_owner,
)
from store.clients import (
    ClientChangeError,
    client_contacts,
    client_owner,
    contact_count,
    end_association,
    get_client,
    primary_contact,
    reassign_contact,
    record_end_reason,
    restore_association,
    search_contacts,
)
from store.db import session_scope
from store.models import Client, Workspace

# --- opening the modals ---------------------------------------------------------------------


def _modal_ref(
    client: Client, workspace: Workspace, body: dict[str, Any], *, ended_at: datetime | None = None
) -> str:
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


def open_reassign_contact(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    ref = decode_ref(action.get("value"))
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        target = client_for_ref(ref, session=session, workspace=workspace)
        total = contact_count(target, session=session)
        if total == 0:
            raise UserError(
                f"*{mrkdwn(target.name, 500)}* has no contacts to choose from: import its "
                "contacts (the Contacts column) first."
            )
        contacts = client_contacts(target, session=session) if total <= MAX_SELECT_OPTIONS else []
        current = primary_contact(target, session=session)
        view = reassign_contact_modal(
            target,
            contacts=contacts,
            total_contacts=total,
            current=current,
            private_metadata=_modal_ref(target, workspace, body),
        )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def open_change_owner(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    ref = decode_ref(action.get("value"))
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        target = client_for_ref(ref, session=session, workspace=workspace)
        view = change_owner_modal(
            target,
            owner=client_owner(target, session=session, workspace=workspace),
            private_metadata=_modal_ref(target, workspace, body),
        )
    client.views_open(trigger_id=body["trigger_id"], view=view)


# --- modal submissions ----------------------------------------------------------------------


class _InvalidSubmissionError(Exception):
    """A submission to refuse inside the modal: {block_id: message}."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


def _read_modal_ref(view: dict[str, Any], workspace: Workspace, block_id: str) -> ClientModalRef:
    try:
        ref = decode(ClientModalRef, view.get("private_metadata"))
    except StaleValueError:
        raise _InvalidSubmissionError({block_id: STALE_TEXT.replace("`", "")}) from None
    if ref.team_id != workspace.team_id:
        raise _InvalidSubmissionError({block_id: OTHER_WORKSPACE})
    return ref


def _modal_client(ref: ClientModalRef, workspace: Workspace, session: Any, block_id: str) -> Client:
    target = get_client(ref.client_id, session=session, workspace=workspace)
    if target is None:
        raise _InvalidSubmissionError({block_id: CLIENT_GONE.replace("`", "")})
    return target


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


def _refreshed(target: Client, workspace: Workspace, *, session: Any, today: date | None) -> Message | None:
    """The detail message to replace the one a modal came from (None: it came from elsewhere)."""
    if today is None:
        return None
    return detail_message(target, session=session, workspace=workspace, today=today)


def _refresh_day(ref: ClientModalRef, context: BoltContext, client: WebClient, user_id: str) -> date | None:
    """The submitter's own day, when the detail message the modal came from is refreshed.

    Asked before the transaction: users.info may wait on Slack.
    """
    return person_of(context, client, user_id).today() if ref.refresh else None


def submit_reassign_contact(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    block_id = BlockId.CONTACT_INPUT.value
    user_id = body["user"]["id"]
    try:
        ref = _read_modal_ref(view, workspace_of(context), block_id)
        contact_id = read_contact_choice(view.get("state", {}).get("values", {}))
        if contact_id is None:
            raise _InvalidSubmissionError({block_id: "Choose a contact."})
        today = _refresh_day(ref, context, client, user_id)
        with session_scope(services_of(context).engine) as session:
            workspace = current_workspace(context, session=session)
            target = _modal_client(ref, workspace, session, block_id)
            try:
                contact = reassign_contact(target, contact_id, session=session, actor=user_id)
            except ClientChangeError as exc:
                raise _InvalidSubmissionError({block_id: str(exc)}) from None
            refreshed = _refreshed(target, workspace, session=session, today=today)
            confirmation = notice(
                f"*{mrkdwn(target.name, 1000)}*'s primary contact is now {mrkdwn(contact.label, 600)}."
            )
    except _InvalidSubmissionError as invalid:
        ack(response_action="errors", errors=invalid.errors)
        return
    ack()
    _report(ref, refreshed, confirmation, context=context)


def submit_change_owner(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    block_id = BlockId.OWNER_KIND_INPUT.value
    user_id = body["user"]["id"]
    try:
        ref = _read_modal_ref(view, workspace_of(context), block_id)
        choice = read_owner_choice(view.get("state", {}).get("values", {}))
        if choice.errors:
            raise _InvalidSubmissionError(choice.errors)
        # Asked before the transaction: users.info may wait on Slack.
        chosen = person_of(context, client, choice.user_id) if choice.user_id is not None else None
        today = _refresh_day(ref, context, client, user_id)
        with session_scope(services_of(context).engine) as session:
            workspace = current_workspace(context, session=session)
            target = _modal_client(ref, workspace, session, block_id)
            try:
                assert choice.kind is not None  # no errors: a kind was chosen
                set_client_owner(
                    target, choice.kind, chosen, session=session, workspace=workspace, actor=user_id
                )
            except ClientChangeError as exc:
                raise _InvalidSubmissionError({BlockId.OWNER_INPUT.value: str(exc)}) from None
            session.flush()
            owner = client_owner(target, session=session, workspace=workspace)
            refreshed = _refreshed(target, workspace, session=session, today=today)
            confirmation = notice(
                f"*{mrkdwn(target.name, 1000)}*'s communication owner is now {owner_text(owner)}."
            )
    except _InvalidSubmissionError as invalid:
        ack(response_action="errors", errors=invalid.errors)
        return
    ack()
    _report(ref, refreshed, confirmation, context=context)


# --- end and restore (admins) ---------------------------------------------------------------


def association_clicked(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    """ "End association" (behind Slack's confirm dialog) or "Restore association"; admins only."""
    ack()
    end = action.get("action_id") == ActionId.END_ASSOCIATION.value
    ref = decode_ref(action.get("value"))
    requester = workspace_of(context)
    check_team(ref, requester)
    user_id = body["user"]["id"]
    if not is_admin(context, client, user_id):
        raise UserError(refusal("end an association" if end else "restore an association"))
    # A click in a /renewal detail refreshes it, as of the person's own day.
    today = person_of(context, client, user_id).today() if is_detail_message(body) else None
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        target = client_for_ref(ref, session=session, workspace=workspace)
        if end:
            changed = end_association(target, session=session, actor=user_id)
        else:
            changed = restore_association(target, session=session, actor=user_id)
        name = mrkdwn(target.name, 1000)
        refreshed = _refreshed(target, workspace, session=session, today=today)
    if refreshed is not None:
        respond(**refreshed.as_kwargs(), response_type="ephemeral", replace_original=True)
        return
    if end:
        text = (
            f"Ended the association with *{name}*: it no longer shows in upcoming renewals or digests. "
            f"An admin can restore it from `/renewal`."
            if changed
            else f"The association with *{name}* had already ended. Nothing changed."
        )
    else:
        text = (
            f"Restored the association with *{name}*: it shows in upcoming renewals and digests again."
            if changed
            else f"The association with *{name}* is active. Nothing changed."
        )
    # Still ended: offer "Add a reason" (the confirm dialog could not ask why).
    still_ended = end and target.association_ended_at is not None
    if from_home(body):  # no response_url: answer in a modal, then publish the Home tab again
        if still_ended:
            text += " `/renewal` shows it with *Add a reason*, to record why."
        tell_on_home(client, body, text)
        publish_home(client, context, user_id)
        return
    message = ended_notice(text, target, team_id=requester.team_id) if still_ended else notice(text)
    respond(**message.as_kwargs(), response_type="ephemeral", replace_original=False)


# --- why an association ended (admins) -------------------------------------------------------

ADD_REASON_REFUSAL = refusal("end an association or say why it ended")


def open_end_reason(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """ "Add a reason": open the modal for an ended association; admins only."""
    ack()
    ref = decode_ref(action.get("value"))
    requester = workspace_of(context)
    check_team(ref, requester)
    if not is_admin(context, client, body["user"]["id"]):
        raise UserError(ADD_REASON_REFUSAL)
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        target = client_for_ref(ref, session=session, workspace=workspace)
        if target.association_ended_at is None:
            raise UserError(
                f"The association with *{mrkdwn(target.name, 1000)}* is active: there is no ending "
                "to explain. Nothing changed."
            )
        view = end_reason_modal(
            target,
            private_metadata=_modal_ref(target, workspace, body, ended_at=target.association_ended_at),
        )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def submit_end_reason(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """The end-reason modal's submission: checked again (admin, still the same ending), then saved."""
    block_id = BlockId.END_REASON_INPUT.value
    user_id = body["user"]["id"]
    try:
        ref = _read_modal_ref(view, workspace_of(context), block_id)
        # Checked before the transaction: it may ask Slack (users.info).
        if not is_admin(context, client, user_id):
            raise _InvalidSubmissionError({block_id: ADD_REASON_REFUSAL})
        reason = read_end_reason(view.get("state", {}).get("values", {}))
        today = _refresh_day(ref, context, client, user_id)
        with session_scope(services_of(context).engine) as session:
            workspace = current_workspace(context, session=session)
            target = _modal_client(ref, workspace, session, block_id)
            try:
                record_end_reason(target, reason, session=session, actor=user_id, ended_at=ref.ended_at)
            except ClientChangeError as exc:
                raise _InvalidSubmissionError({block_id: str(exc)}) from None
            refreshed = _refreshed(target, workspace, session=session, today=today)
            confirmation = notice(
                f"Recorded why the association with *{mrkdwn(target.name, 1000)}* ended: "
                f"{mrkdwn(reason, 1000)}"
            )
    except _InvalidSubmissionError as invalid:
        ack(response_action="errors", errors=invalid.errors)
        return
    ack()
    _report(ref, refreshed, confirmation, context=context)


# --- contact type-ahead ---------------------------------------------------------------------


def suggest_contacts(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Options for the contact select of a client with more than 100 contacts, as the person types.

    Anything wrong (stale metadata, another workspace, a client gone) answers no options:
    an options load has no way to show a message.
    """
    view = body.get("view") or {}
    try:
        ref = decode(ClientModalRef, view.get("private_metadata"))
    except StaleValueError:
        ack(options=[])
        return
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        target = (
            get_client(ref.client_id, session=session, workspace=workspace)
            if ref.team_id == workspace.team_id
            else None
        )
        contacts = (
            [] if target is None else search_contacts(target, str(body.get("value") or ""), session=session)
        )
        options = [option.to_dict() for option in contact_options(contacts)]
    ack(options=options)


def register(app: App) -> None:
    app.action(ActionId.REASSIGN_CONTACT.value)(open_reassign_contact)
    app.action(ActionId.CHANGE_OWNER.value)(open_change_owner)
    app.action(ActionId.END_ASSOCIATION.value)(association_clicked)
    app.action(ActionId.RESTORE_ASSOCIATION.value)(association_clicked)
    app.action(ActionId.ADD_END_REASON.value)(open_end_reason)
    app.view(ViewId.REASSIGN_CONTACT.value)(submit_reassign_contact)
    app.view(ViewId.CHANGE_OWNER.value)(submit_change_owner)
    app.view(ViewId.END_REASON.value)(submit_end_reason)
    app.options(ActionId.CONTACT_SELECT.value)(suggest_contacts)
