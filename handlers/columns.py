"""`/renewals columns` and the table's Columns button: a modal to pick one's optional columns."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks.columns import columns_modal, columns_saved_modal
from blocks.ids import ActionId, BlockId, ViewId
from blocks.limits import PRIVATE_METADATA_CHARS
from blocks.values import PageRef, StaleValueError, decode
from bot.slack.context import services_of, workspace_of
from handlers.common import page_ref
from store.db import session_scope
from store.preferences import columns_for, save_columns

logger = logging.getLogger(__name__)

OUT_OF_DATE = "This form is out of date: close it and run /renewals columns again."


def is_columns_command(command: dict[str, Any]) -> bool:
    return (command.get("text") or "").strip().lower() == "columns"


def _open_modal(
    context: BoltContext, client: WebClient, *, user_id: str, trigger_id: str, origin: PageRef
) -> None:
    workspace = workspace_of(context)
    assert workspace.id is not None
    with session_scope(services_of(context).engine) as session:
        visible = columns_for(workspace.id, user_id, session=session)
    client.views_open(trigger_id=trigger_id, view=columns_modal(visible, origin))


def columns_command(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    origin = PageRef(team_id=workspace_of(context).team_id)
    _open_modal(context, client, user_id=command["user_id"], trigger_id=command["trigger_id"], origin=origin)


def columns_clicked(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
) -> None:
    ack()
    origin = page_ref(action, context, respond)
    if origin is None:
        return
    _open_modal(context, client, user_id=body["user"]["id"], trigger_id=body["trigger_id"], origin=origin)


def columns_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    """Save the choice (with an audit event), then show what the tables will have."""
    workspace = workspace_of(context)
    assert workspace.id is not None
    try:
        origin = decode(PageRef, (view.get("private_metadata") or "")[:PRIVATE_METADATA_CHARS])
    except StaleValueError:
        origin = None
    if origin is None or origin.team_id != workspace.team_id:
        logger.warning("refused a columns modal from team %s", origin.team_id if origin else "?")
        ack(
            response_action="errors",
            errors={BlockId.COLUMNS_INPUT.value: OUT_OF_DATE},
        )
        return
    state = (view.get("state") or {}).get("values") or {}
    selected = (state.get(BlockId.COLUMNS_INPUT.value) or {}).get(ActionId.COLUMNS_CHECKBOXES.value) or {}
    chosen = [option["value"] for option in selected.get("selected_options") or []]
    with session_scope(services_of(context).engine) as session:
        visible = save_columns(workspace.id, body["user"]["id"], chosen, session=session)
    ack(response_action="update", view=columns_saved_modal(visible))


def register(app: App) -> None:
    # Before handlers.renewals: this listener takes only `/renewals columns`.
    app.command("/renewals", matchers=[is_columns_command])(columns_command)
    app.action(ActionId.CHOOSE_COLUMNS.value)(columns_clicked)
    app.view(ViewId.COLUMNS.value)(columns_submitted)
