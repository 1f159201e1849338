"""A digest's "View all" button and the Next / Previous of the whole list it opens.

The digest in the channel lists its most urgent contract changes; "View all" shows every one,
paged as a `/renewals` table, to the person who clicked, ephemerally (the channel's message is
left alone), and Next / Previous replace that ephemeral page in place. The button's value names
the digest's day and window (a `DigestListRef`), never the list: the list is read again from the
request's own workspace, and a value minted in another workspace is refused.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from blocks.digest import LIST_PAGE_SIZE, digest_list_message
from blocks.ids import ActionId
from bot.slack.context import services_of, workspace_of
from handlers.common import digest_list_ref
from store.db import session_scope
from store.preferences import columns_for
from store.upcoming import due_view


def list_clicked(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, respond: Respond
) -> None:
    """ "View all" (a new ephemeral page 1) or Next / Previous (that page replaced in place)."""
    ack()
    ref = digest_list_ref(action, context, respond)
    if ref is None:
        return
    workspace = workspace_of(context)
    assert workspace.id is not None
    with session_scope(services_of(context).engine) as session:
        columns = columns_for(workspace.id, body["user"]["id"], session=session)
        view = due_view(
            workspace,
            session=session,
            today=ref.day,
            until=ref.day + timedelta(days=ref.days),
            offset=ref.offset,
            page_size=LIST_PAGE_SIZE,
        )
    message = digest_list_message(view, columns, ref)
    # "View all" sits on the channel's digest, which must stay as it is for everyone.
    first = action.get("action_id") == ActionId.DIGEST_VIEW_ALL.value
    respond(response_type="ephemeral", replace_original=not first, **message.as_kwargs())


def register(app: App) -> None:
    app.action(ActionId.DIGEST_VIEW_ALL.value)(list_clicked)
    app.action(ActionId.DIGEST_NEXT_PAGE.value)(list_clicked)
    app.action(ActionId.DIGEST_PREVIOUS_PAGE.value)(list_clicked)
