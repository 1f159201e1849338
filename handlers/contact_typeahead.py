"""The contact select's type-ahead (block_suggestion), for a client with more than 100 contacts.

The reassign-contact modal (handlers.reassign_contact) shows a select with an external data
source then; Slack asks here for options as the person types.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from blocks.ids import ActionId
from blocks.modals import contact_options
from blocks.values import ClientModalRef, StaleValueError, decode
from bot.slack.context import services_of
from handlers.common import current_workspace
from store.clients import get_client, search_contacts
from store.db import session_scope


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
    app.options(ActionId.CONTACT_SELECT.value)(suggest_contacts)
