"""`/renewals digest on [HH:MM] [days:N] [weekends] [all-clear]` · `off` · `status`: this channel's digest.

`on` reads the person's time zone from Slack (users.info), checks the bot can post in the
channel (conversations.info) and, when it cannot, says how to fix it instead of subscribing.
`on` again replaces the settings with what was typed (and unpauses); `off` keeps the row,
inactive. Both are audited. Replies are ephemeral.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import time
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from blocks.digest import (
    cannot_post_reply,
    status_reply,
    subscribed_reply,
    unsubscribed_reply,
    usage_reply,
)
from blocks.message import Message
from bot.slack.context import person_of, services_of, workspace_of
from store.db import session_scope
from store.digest_claims import DONE, get_run, latest_run
from store.digest_subscriptions import (
    MAX_DIGEST_DAYS,
    DigestOptions,
    get_subscription,
    subscribe,
    subscription_next_due,
    unsubscribe,
)
from store.models import DigestSubscription
from store.rules import DEFAULT_DIGEST_DAYS
from store.schedule import DEFAULT_LOCAL_TIME, local_date, parse_local_time, zone
from store.types import utcnow

logger = logging.getLogger(__name__)

SUBCOMMANDS = ("on", "off", "status")
WEEKENDS_WORDS = frozenset({"weekends", "weekend"})
ALL_CLEAR_WORDS = frozenset({"all-clear", "allclear", "all_clear"})


class OptionError(ValueError):
    """`/renewals digest on` was given something it does not understand (message for the person)."""


@dataclass(frozen=True)
class Typed:
    """What a person typed after `digest on` (before the time zone is known)."""

    local_time: time = DEFAULT_LOCAL_TIME
    days_ahead: int = DEFAULT_DIGEST_DAYS
    weekends: bool = False
    all_clear: bool = False


def is_digest_command(command: dict[str, Any]) -> bool:
    """`/renewals digest`, `/renewals digest on|off|status ...`; other text is a client search."""
    words = (command.get("text") or "").lower().split()
    return bool(words) and words[0] == "digest" and (len(words) == 1 or words[1] in SUBCOMMANDS)


def parse_on_options(words: list[str]) -> Typed:
    """`[HH:MM] [days:N] [weekends] [all-clear]` in any order; OptionError names what is wrong."""
    local_time = None
    days = None
    weekends = all_clear = False
    for word in words:
        lowered = word.lower()
        if lowered.startswith("days:"):
            value = lowered.removeprefix("days:")
            if days is not None:
                raise OptionError("`days:` is given twice")
            if not value.isdigit() or not 1 <= int(value) <= MAX_DIGEST_DAYS:
                raise OptionError(f"`days:` takes a whole number from 1 to {MAX_DIGEST_DAYS}, not `{word}`")
            days = int(value)
        elif ":" in lowered and lowered[0].isdigit():
            if local_time is not None:
                raise OptionError("the time is given twice")
            try:
                local_time = parse_local_time(lowered)
            except ValueError:
                raise OptionError(f"`{word}` is not a time as HH:MM (00:00 to 23:59)") from None
        elif lowered in WEEKENDS_WORDS:
            weekends = True
        elif lowered in ALL_CLEAR_WORDS:
            all_clear = True
        else:
            raise OptionError(
                f"`{word}` is not a digest option: use HH:MM, days:N (1 to {MAX_DIGEST_DAYS}), "
                "weekends, all-clear"
            )
    return Typed(
        local_time=local_time or DEFAULT_LOCAL_TIME,
        days_ahead=days or DEFAULT_DIGEST_DAYS,
        weekends=weekends,
        all_clear=all_clear,
    )


def cannot_post_reason(client: WebClient, channel_id: str) -> str | None:
    """Why the bot cannot post in the channel, or None when it can (or Slack will not say)."""
    try:
        channel = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error == "channel_not_found":
            return "this is a private channel or conversation I am not in"
        # Anything else (a missing scope, say) is no reason to refuse: the first digest
        # will tell, and pause with a DM if it really cannot post.
        logger.warning("conversations.info %s failed (%s): subscribing unchecked", channel_id, error)
        return None
    if channel.get("is_archived"):
        return "the channel is archived"
    if channel.get("is_im"):
        return None  # the bot only ever sees its own direct messages
    # Only a definite "no": Slack always says, and an answer that does not is no reason to refuse.
    if channel.get("is_member") is False:
        return "I am not a member of this channel"
    return None


def _reply(respond: Respond, message: Message) -> None:
    respond(
        **message.as_kwargs(),
        response_type="ephemeral",
        replace_original=False,
    )


def _next_due(subscription: DigestSubscription, *, context: BoltContext) -> Any:
    """When the channel's next digest is due (today's counts unless it is already done)."""
    now = utcnow()
    today = local_date(now, zone(subscription.timezone))
    with session_scope(services_of(context).engine) as session:
        run = get_run(subscription.workspace_id, subscription.channel_id, today, session=session)
    return subscription_next_due(subscription, now, done_today=run is not None and run.status in DONE)


def _on(words: list[str], command: dict[str, Any], context: BoltContext, client: WebClient) -> Message:
    try:
        typed = parse_on_options(words)
    except OptionError as exc:
        return usage_reply(str(exc))
    reason = cannot_post_reason(client, command["channel_id"])
    if reason is not None:
        return cannot_post_reply(reason, context.bot_user_id)
    options = DigestOptions(
        local_time=typed.local_time,
        # The person's Slack time zone (IANA name); UTC when Slack does not say.
        timezone=person_of(context, client, command["user_id"]).zone.key,
        days_ahead=typed.days_ahead,
        weekends=typed.weekends,
        all_clear=typed.all_clear,
    )
    workspace = workspace_of(context)
    with session_scope(services_of(context).engine) as session:
        subscription = subscribe(
            session.merge(workspace),
            command["channel_id"],
            options,
            session=session,
            user_id=command["user_id"],
        )
    return subscribed_reply(subscription, _next_due(subscription, context=context))


def _off(command: dict[str, Any], context: BoltContext) -> Message:
    workspace = workspace_of(context)
    with session_scope(services_of(context).engine) as session:
        before = get_subscription(workspace.id or 0, command["channel_id"], session=session)
        was_active = before is not None and before.active
        unsubscribe(
            session.merge(workspace), command["channel_id"], session=session, user_id=command["user_id"]
        )
    return unsubscribed_reply(was_active)


def _status(command: dict[str, Any], context: BoltContext) -> Message:
    workspace = workspace_of(context)
    with session_scope(services_of(context).engine) as session:
        subscription = get_subscription(workspace.id or 0, command["channel_id"], session=session)
        last = latest_run(subscription, session=session) if subscription else None
    if subscription is None or not subscription.active:
        return status_reply(None, last_run=None, next_at=None)
    next_at = None if subscription.paused_reason else _next_due(subscription, context=context)
    return status_reply(subscription, last_run=last, next_at=next_at, bot_user_id=context.bot_user_id)


def digest_command(
    ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    words = (command.get("text") or "").split()[1:]
    action = words[0].lower() if words else "status"
    match action:
        case "on":
            message = _on(words[1:], command, context, client)
        case "off":
            message = _off(command, context)
        case _:
            message = _status(command, context)
    _reply(respond, message)


def register(app: App) -> None:
    # Before handlers.renewals: this listener takes only `/renewals digest ...`.
    app.command("/renewals", matchers=[is_digest_command])(digest_command)
