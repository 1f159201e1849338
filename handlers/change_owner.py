"""A client's "Change owner" button (in /renewal, /renewals, digests, the Home tab) and its modal.

The modal offers HubSpot or a partner team member (Slack's user select). On submission: the
person picked is looked up in Slack first, the owner set (audited), the modal closed, then the
change reported as for every client modal (handlers.common.submit_client_modal).
`/renewal-owner` sets an owner from the command line through the same `set_client_owner`.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from blocks.client import owner_text
from blocks.ids import ActionId, BlockId, ViewId
from blocks.message import Message, notice
from blocks.modals import change_owner_modal, read_owner_choice
from blocks.text import mrkdwn
from blocks.values import ClientModalRef
from bot.slack.context import person_of
from handlers.common import (
    ClientChange,
    InvalidSubmissionError,
    client_session,
    decode_ref,
    modal_ref,
    set_client_owner,
    submit_client_modal,
)
from store.clients import client_owner
from store.models import Client, Workspace


def open_change_owner(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    ref = decode_ref(action.get("value"))
    with client_session(context, ref) as (session, workspace, target):
        view = change_owner_modal(
            target,
            owner=client_owner(target, session=session, workspace=workspace),
            private_metadata=modal_ref(target, workspace, body),
        )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def submit_change_owner(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    user_id = body["user"]["id"]

    def prepare(ref: ClientModalRef) -> ClientChange:
        choice = read_owner_choice(view.get("state", {}).get("values", {}))
        if choice.errors:
            raise InvalidSubmissionError(choice.errors)
        assert choice.kind is not None  # no errors: a kind was chosen
        kind = choice.kind
        # Asked before the transaction: users.info may wait on Slack.
        chosen = person_of(context, client, choice.user_id) if choice.user_id is not None else None

        def change_owner(target: Client, session: Session, workspace: Workspace) -> Message:
            set_client_owner(target, kind, chosen, session=session, workspace=workspace, actor=user_id)
            session.flush()
            owner = client_owner(target, session=session, workspace=workspace)
            return notice(f"*{mrkdwn(target.name, 1000)}*'s communication owner is now {owner_text(owner)}.")

        return change_owner

    submit_client_modal(
        ack,
        body,
        view,
        client,
        context,
        block_id=BlockId.OWNER_KIND_INPUT.value,
        prepare=prepare,
        refused_block_id=BlockId.OWNER_INPUT.value,
    )


def register(app: App) -> None:
    app.action(ActionId.CHANGE_OWNER.value)(open_change_owner)
    app.view(ViewId.CHANGE_OWNER.value)(submit_change_owner)
