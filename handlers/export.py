"""The "Export CSV" button of a /renewals table: the whole filtered view, every page, as a CSV file
in the import format (store.csv_export), sent to the person who clicked in a direct message.

The file is written from the database a chunk of rows at a time into a temporary file (in memory
while small), inside one read transaction; it is uploaded after the transaction has closed
(bot.slack.uploads: Slack's external upload flow).
"""

from __future__ import annotations

import logging
import tempfile
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks.ids import ActionId
from blocks.message import Message
from blocks.renewals import empty_message, export_comment, export_failed_message, export_sent_message
from bot.slack.context import services_of
from bot.slack.uploads import UploadError, send_file_to_person
from handlers.command_text import plain_text
from handlers.common import current_workspace, page_ref, view_request
from store.csv_export import write_export
from store.db import session_scope

logger = logging.getLogger(__name__)

# Up to this size the file stays in memory; a bigger one goes to a temporary file on disk.
IN_MEMORY_BYTES = 4 * 1024 * 1024
TITLE = "Upcoming renewals"


def export_clicked(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
) -> None:
    ack()
    ref = page_ref(action, context, respond)
    if ref is None:
        return
    user_id = body["user"]["id"]
    request = view_request(context, client, user_id=user_id, text=ref.text)
    if isinstance(request, Message):
        respond(response_type="ephemeral", replace_original=False, **request.as_kwargs())
        return
    with tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES) as file:
        with session_scope(services_of(context).engine) as session:
            workspace = current_workspace(context, session=session)
            count = write_export(
                file,
                workspace,
                request.query,
                session=session,
                today=request.today,
                viewer=request.viewer,
                view_text=plain_text(ref.text),
            )
        if count == 0:
            reply = empty_message(request.filters, today=request.today, any_upcoming=True)
            respond(response_type="ephemeral", replace_original=False, **reply.as_kwargs())
            return
        length = file.tell()
        file.seek(0)
        try:
            send_file_to_person(
                client,
                user_id,
                file,
                length=length,
                filename=f"renewals-{request.today.isoformat()}.csv",
                title=f"{TITLE} {request.today.isoformat()}",
                comment=export_comment(ref.text, count, request.today),
            )
        except (SlackApiError, UploadError) as exc:
            reason = (
                exc.response.get("error", "unknown error") if isinstance(exc, SlackApiError) else str(exc)
            )
            logger.warning("export for %s not sent: %s", user_id, reason)
            reply = export_failed_message(str(reason))
            respond(response_type="ephemeral", replace_original=False, **reply.as_kwargs())
            return
    respond(response_type="ephemeral", replace_original=False, **export_sent_message(count).as_kwargs())


def register(app: App) -> None:
    app.action(ActionId.EXPORT_CSV.value)(export_clicked)
