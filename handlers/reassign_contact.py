"""A client's "Reassign contact" button (in /renewal, /renewals, digests, the Home tab) and its modal.

The click opens the modal at once (a trigger_id lives 3 s); its private_metadata
(`ClientModalRef`) remembers the client and where the click came from. On submission: validate
(errors shown in the modal), change the primary contact (audited), close the modal, then refresh
the detail message, confirm ephemerally, or publish the Home tab again. A client with more than
100 contacts gets a type-ahead select instead (handlers.contact_typeahead).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from blocks.ids import ActionId, BlockId, ViewId
from blocks.limits import MAX_SELECT_OPTIONS
from blocks.message import Message, notice
from blocks.modals import read_contact_choice, reassign_contact_modal
from blocks.text import mrkdwn
from blocks.values import ClientModalRef
from bot.errors import UserError
from handlers.common import (
    ClientChange,
    InvalidSubmissionError,
    client_session,
    decode_ref,
    modal_ref,
    submit_client_modal,
)
from store.clients import client_contacts, contact_count, primary_contact, reassign_contact
from store.models import Client, Workspace


def open_reassign_contact(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    ref = decode_ref(action.get("value"))
    with client_session(context, ref) as (session, workspace, target):
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
            private_metadata=modal_ref(target, workspace, body),
        )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def submit_reassign_contact(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    user_id = body["user"]["id"]
    block_id = BlockId.CONTACT_INPUT.value

    def prepare(ref: ClientModalRef) -> ClientChange:
        contact_id = read_contact_choice(view.get("state", {}).get("values", {}))
        if contact_id is None:
            raise InvalidSubmissionError({block_id: "Choose a contact."})

        def reassign(target: Client, session: Session, workspace: Workspace) -> Message:
            contact = reassign_contact(target, contact_id, session=session, actor=user_id)
            return notice(
                f"*{mrkdwn(target.name, 1000)}*'s primary contact is now {mrkdwn(contact.label, 600)}."
            )

        return reassign

    submit_client_modal(ack, body, view, client, context, block_id=block_id, prepare=prepare)


def register(app: App) -> None:
    app.action(ActionId.REASSIGN_CONTACT.value)(open_reassign_contact)
    app.view(ViewId.REASSIGN_CONTACT.value)(submit_reassign_contact)
