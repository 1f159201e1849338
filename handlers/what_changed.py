"""The "View all" of a "What changed" message and the Next / Previous of the import's whole list
of changes that matter it opens.

The channel's message lists the first 25; "View all" shows every one, paged, to the person who
clicked, ephemerally (the channel's message is left alone), and Next / Previous replace that
ephemeral page in place. The value names the import (an `ImportChangesRef`), never the list: the
list is read again from the request's own workspace (another workspace's import is not found),
and a value minted in another workspace is refused.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from blocks.ids import ActionId
from blocks.what_changed import LIST_PAGE_SIZE, changes_list_message, stale_changes_message
from bot.slack.context import services_of, workspace_of
from handlers.common import import_changes_ref
from store.db import session_scope
from store.import_changes import changes_page
from store.types import utcnow


def list_clicked(ack: Ack, action: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    """ "View all" (a new ephemeral page 1) or Next / Previous (that page replaced in place)."""
    ack()
    ref = import_changes_ref(action, context, respond)
    if ref is None:
        return
    workspace = workspace_of(context)
    with session_scope(services_of(context).engine) as session:
        page = changes_page(
            ref.import_id,
            workspace,
            session=session,
            today=utcnow().date(),  # as the channel's message: UTC
            offset=ref.offset,
            page_size=LIST_PAGE_SIZE,
        )
    # "View all" sits on the channel's message, which must stay as it is for everyone.
    first = action.get("action_id") == ActionId.WHAT_CHANGED_VIEW_ALL.value
    message = stale_changes_message() if page is None else changes_list_message(page, ref)
    respond(response_type="ephemeral", replace_original=not first, **message.as_kwargs())


def register(app: App) -> None:
    app.action(ActionId.WHAT_CHANGED_VIEW_ALL.value)(list_clicked)
    app.action(ActionId.WHAT_CHANGED_NEXT_PAGE.value)(list_clicked)
    app.action(ActionId.WHAT_CHANGED_PREVIOUS_PAGE.value)(list_clicked)
