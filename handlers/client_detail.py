"""`/renewal <client name, domain or Hub ID>`: one client's detail, ephemeral.

One match: the detail with its buttons. Several: one "Show" button each (PICK_CLIENT).
None: the closest names. What other client listeners share (reading a `ClientRef` safely,
the detail message) is in handlers.common.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks.client import MAX_PICKS, client_choices_message, no_client_message, renewal_usage_message
from blocks.ids import ActionId
from bot.slack.context import person_of, services_of
from handlers.command_text import plain_text
from handlers.common import current_workspace, decode_ref, detail_for, detail_message
from store.clients import find_clients
from store.db import session_scope


def show_client(
    ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    ack()
    # As typed: Slack sends `&`, `<`, `>` as entities and a typed domain as a link (its label again).
    text = plain_text(str(command.get("text") or ""))
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
    message = detail_for(ref, context=context, client=client, user_id=body["user"]["id"])
    respond(**message.as_kwargs(), response_type="ephemeral", replace_original=True)


def register(app: App) -> None:
    app.command("/renewal")(show_client)
    app.action(ActionId.PICK_CLIENT.value)(pick_client)
