"""`/renewals [words] [filters]`, `/renewals help`, the table's Next / Previous / Share buttons, and
its "Open a client…" menu.

Every reply is ephemeral except a shared table. The table is always built for the
request's own workspace; a page button whose value names another team is refused.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks.help import help_message
from blocks.ids import ActionId
from blocks.message import Message
from blocks.renewals import (
    PAGE_SIZE,
    empty_message,
    renewals_message,
)
from bot.slack.context import services_of
from handlers.common import current_workspace, decode_ref, detail_for, page_ref, view_request
from store.db import session_scope
from store.preferences import columns_for
from store.upcoming import RenewalQuery, upcoming_view

logger = logging.getLogger(__name__)


def table_reply(
    context: BoltContext,
    client: WebClient,
    *,
    user_id: str,
    text: str,
    offset: int = 0,
    shared_by: str | None = None,
) -> Message:
    """The `/renewals` reply for `text` from `offset`, for this request's workspace and person."""
    request = view_request(context, client, user_id=user_id, text=text)
    if isinstance(request, Message):
        return request
    filters, today = request.filters, request.today
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        assert workspace.id is not None
        columns = columns_for(workspace.id, user_id, session=session)
        view = upcoming_view(
            workspace,
            request.query,
            session=session,
            today=today,
            viewer=request.viewer,
            offset=offset,
            page_size=PAGE_SIZE,
        )
        if view.total == 0:
            everything = upcoming_view(workspace, RenewalQuery(), session=session, today=today, page_size=1)
            return empty_message(filters, today=today, any_upcoming=everything.total > 0)
    return renewals_message(
        view, filters, columns, team_id=workspace.team_id, text=text.strip(), shared_by=shared_by
    )


def renewals_command(
    ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    text = (command.get("text") or "").strip()
    if text.lower() == "help":
        respond(response_type="ephemeral", **help_message().as_kwargs())
        return
    message = table_reply(context, client, user_id=command["user_id"], text=text)
    respond(response_type="ephemeral", **message.as_kwargs())


def page_clicked(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
) -> None:
    """Next / Previous: the same search from another offset, replacing the message in place.
    Share: post this page to the channel for everyone, naming who shared it; the private copy stays."""
    ack()
    ref = page_ref(action, context, respond)
    if ref is None:
        return
    user_id = body["user"]["id"]
    share = action.get("action_id") == ActionId.SHARE.value
    message = table_reply(
        context,
        client,
        user_id=user_id,
        text=ref.text,
        offset=ref.offset,
        shared_by=user_id if share else None,
    )
    if share:
        respond(response_type="in_channel", replace_original=False, **message.as_kwargs())
    else:
        respond(replace_original=True, response_type="ephemeral", **message.as_kwargs())


def client_chosen(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
) -> None:
    """ "Open a client…" under the table: that client's detail, as a new ephemeral message."""
    ack()
    ref = decode_ref((action.get("selected_option") or {}).get("value"))
    message = detail_for(ref, context=context, client=client, user_id=body["user"]["id"])  # checks the team
    respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())


def register(app: App) -> None:
    app.command("/renewals")(renewals_command)
    app.action(ActionId.NEXT_PAGE.value)(page_clicked)
    app.action(ActionId.PREVIOUS_PAGE.value)(page_clicked)
    app.action(ActionId.SHARE.value)(page_clicked)
    app.action(ActionId.OPEN_CLIENT.value)(client_chosen)
