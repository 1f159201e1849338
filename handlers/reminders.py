"""`/renewals reminders on|off|status`: your own owner reminders (bot/jobs/reminders.py sends them).

On by default for everyone; `on` and `off` are audited, and `on` also clears an earlier "could not
be messaged". `status` says whether they are on, in which time zone, and the last one; for
admins it also lists the owners the app could not message. Replies are ephemeral.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks.message import Message
from blocks.reminders import MAX_UNREACHABLE_SHOWN, off_reply, on_reply, status_reply, usage_reply
from bot.slack.context import is_admin, person_of, services_of, workspace_of
from store.db import session_scope
from store.reminder_claims import latest_reminder_run
from store.reminders import get_recipient, owned_clients, set_reminders, unreachable_recipients

SUBCOMMANDS = ("on", "off", "status")


def is_reminders_command(command: dict[str, Any]) -> bool:
    """`/renewals reminders`, `/renewals reminders on|off|status`; other text is a client search."""
    words = (command.get("text") or "").lower().split()
    return bool(words) and words[0] == "reminders" and (len(words) == 1 or words[1] in SUBCOMMANDS)


def _switch(enabled: bool, command: dict[str, Any], context: BoltContext, client: WebClient) -> Message:
    user_id = command["user_id"]
    timezone = person_of(context, client, user_id).zone.key  # Slack first: no transaction is open
    workspace = workspace_of(context)
    assert workspace.id is not None
    with session_scope(services_of(context).engine) as session:
        set_reminders(workspace.id, user_id, enabled, session=session)
        owned = owned_clients(workspace.id, user_id, session=session)
    return on_reply(owned, timezone) if enabled else off_reply()


def _status(command: dict[str, Any], context: BoltContext, client: WebClient) -> Message:
    user_id = command["user_id"]
    timezone = person_of(context, client, user_id).zone.key
    admin = is_admin(context, client, user_id)
    workspace = workspace_of(context)
    assert workspace.id is not None
    with session_scope(services_of(context).engine) as session:
        recipient = get_recipient(workspace.id, user_id, session=session)
        owned = owned_clients(workspace.id, user_id, session=session)
        last = latest_reminder_run(workspace.id, user_id, session=session)
        unreachable = (
            unreachable_recipients(workspace.id, session=session, limit=MAX_UNREACHABLE_SHOWN)
            if admin
            else None
        )
    return status_reply(
        recipient=recipient, owned=owned, timezone=timezone, last_run=last, unreachable=unreachable
    )


def reminders_command(
    ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    words = (command.get("text") or "").lower().split()[1:]
    match words:
        case ["on"]:
            message = _switch(True, command, context, client)
        case ["off"]:
            message = _switch(False, command, context, client)
        case [] | ["status"]:
            message = _status(command, context, client)
        case _:
            message = usage_reply(f"`{' '.join(words)}` is not a reminders option: use on, off or status")
    respond(**message.as_kwargs(), response_type="ephemeral", replace_original=False)


def register(app: App) -> None:
    # Before handlers.renewals: this listener takes only `/renewals reminders ...`.
    app.command("/renewals", matchers=[is_reminders_command])(reminders_command)
