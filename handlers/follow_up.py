"""A contract change's "Snooze 3 days" and "Handled" buttons, and their undo ("Unsnooze", "Not handled").

They sit on every digest item, in a client's /renewal detail (where the undo buttons are) and in
any other list of changes for people. Anyone who sees the change may click them; each click is
recorded in the client's history. A snooze counts the clicker's own local days (users.info, asked
before the transaction). A click in a detail refreshes it; anywhere else it is confirmed ephemerally.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks import commands
from blocks.client import STALE_TEXT
from blocks.follow_up import follow_up_reply
from blocks.ids import ActionId
from blocks.values import ChangeRef, StaleValueError, decode
from bot.errors import UserError
from bot.slack.context import person_of, services_of, workspace_of
from handlers.common import OTHER_WORKSPACE, current_workspace, detail_message, is_detail_message
from store.clients import get_client
from store.db import session_scope
from store.follow_up import (
    HANDLED,
    NOT_HANDLED,
    SNOOZE,
    UNSNOOZE,
    get_change,
    mark_handled,
    mark_not_handled,
    snooze,
    unsnooze,
)

CHANGE_GONE = (
    "That contract change is not in the upcoming renewals any more (a newer import removed it, or "
    f"moved its start date). {commands.RENEWAL} shows the client's contract changes as they are now."
)

_ACTIONS = {
    ActionId.SNOOZE.value: SNOOZE,
    ActionId.HANDLED.value: HANDLED,
    ActionId.UNSNOOZE.value: UNSNOOZE,
    ActionId.NOT_HANDLED.value: NOT_HANDLED,
}


def _change_ref(action: dict[str, Any], context: BoltContext) -> ChangeRef:
    try:
        ref = decode(ChangeRef, action.get("value"))
    except StaleValueError:
        raise UserError(STALE_TEXT) from None
    if ref.team_id != workspace_of(context).team_id:
        raise UserError(OTHER_WORKSPACE)
    return ref


def follow_up_clicked(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
) -> None:
    ack()
    what = _ACTIONS[action["action_id"]]
    ref = _change_ref(action, context)
    user_id = body["user"]["id"]
    today = person_of(context, client, user_id).today()  # the clicker's own day, before the transaction
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        change = get_change(ref.change_id, session=session, workspace=workspace)
        target = get_client(change.client_id, session=session, workspace=workspace) if change else None
        if change is None or target is None:
            raise UserError(CHANGE_GONE)
        changed = True
        until = None
        if what == SNOOZE:
            until = snooze(change, session=session, actor=user_id, today=today)
        elif what == UNSNOOZE:
            changed = unsnooze(change, session=session, actor=user_id, today=today)
        elif what == HANDLED:
            mark_handled(change, target, workspace, session=session, actor=user_id)
        else:
            changed = mark_not_handled(change, workspace, session=session, actor=user_id)
        reply = follow_up_reply(what, change, target.name, changed=changed, until=until)
        refreshed = (
            detail_message(target, session=session, workspace=workspace, today=today)
            if is_detail_message(body)
            else None
        )
    if refreshed is not None:
        respond(**refreshed.as_kwargs(), response_type="ephemeral", replace_original=True)
    else:
        respond(**reply.as_kwargs(), response_type="ephemeral", replace_original=False)


def register(app: App) -> None:
    for action_id in _ACTIONS:
        app.action(action_id)(follow_up_clicked)
