"""A client's "End association" / "Restore association" buttons and "Add a reason"; admins only.

"End association" sits behind Slack's confirm dialog, which has no input, so the reply to ending
carries "Add a reason": a modal where an admin records why, while the association is still
ended (that same ending). A click in a /renewal detail refreshes it; one on the Home tab answers
in a small modal and publishes the tab again.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from blocks.client import ended_notice
from blocks.ids import ActionId, BlockId, ViewId
from blocks.message import Message, notice
from blocks.modals import end_reason_modal, read_end_reason
from blocks.text import mrkdwn
from blocks.values import ClientModalRef
from bot.errors import UserError
from bot.slack.context import is_admin, person_of, workspace_of
from bot.slack.replies import from_home, refusal, tell_on_home
from handlers.common import (
    ClientChange,
    InvalidSubmissionError,
    check_team,
    client_session,
    decode_ref,
    is_detail_message,
    modal_ref,
    publish_home,
    refreshed_detail,
    submit_client_modal,
)
from store.clients import end_association, record_end_reason, restore_association
from store.models import Client, Workspace

ADD_REASON_REFUSAL = refusal("end an association or say why it ended")


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
    with client_session(context, ref) as (session, workspace, target):
        if end:
            changed = end_association(target, session=session, actor=user_id)
        else:
            changed = restore_association(target, session=session, actor=user_id)
        name = mrkdwn(target.name, 1000)
        refreshed = refreshed_detail(target, workspace, session=session, today=today)
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


def open_end_reason(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """ "Add a reason": open the modal for an ended association; admins only."""
    ack()
    ref = decode_ref(action.get("value"))
    check_team(ref, workspace_of(context))
    if not is_admin(context, client, body["user"]["id"]):
        raise UserError(ADD_REASON_REFUSAL)
    with client_session(context, ref) as (_, workspace, target):
        if target.association_ended_at is None:
            raise UserError(
                f"The association with *{mrkdwn(target.name, 1000)}* is active: there is no ending "
                "to explain. Nothing changed."
            )
        view = end_reason_modal(
            target,
            private_metadata=modal_ref(target, workspace, body, ended_at=target.association_ended_at),
        )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def submit_end_reason(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """The end-reason modal's submission: checked again (admin, still the same ending), then saved."""
    user_id = body["user"]["id"]
    block_id = BlockId.END_REASON_INPUT.value

    def prepare(ref: ClientModalRef) -> ClientChange:
        # Checked before the transaction: it may ask Slack (users.info).
        if not is_admin(context, client, user_id):
            raise InvalidSubmissionError({block_id: ADD_REASON_REFUSAL})
        reason = read_end_reason(view.get("state", {}).get("values", {}))

        def record(target: Client, session: Session, workspace: Workspace) -> Message:
            record_end_reason(target, reason, session=session, actor=user_id, ended_at=ref.ended_at)
            return notice(
                f"Recorded why the association with *{mrkdwn(target.name, 1000)}* ended: "
                f"{mrkdwn(reason, 1000)}"
            )

        return record

    submit_client_modal(ack, body, view, client, context, block_id=block_id, prepare=prepare)


def register(app: App) -> None:
    app.action(ActionId.END_ASSOCIATION.value)(association_clicked)
    app.action(ActionId.RESTORE_ASSOCIATION.value)(association_clicked)
    app.action(ActionId.ADD_END_REASON.value)(open_end_reason)
    app.view(ViewId.END_REASON.value)(submit_end_reason)
