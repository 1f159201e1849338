"""A channel's daily digest as Slack messages, and the replies of `/renewals digest`.

A digest is a list of messages: the first goes to the channel, the rest continue it in
a thread, so every row is shown however many there are (each message stays within
Slack's 50 blocks). Each message carries a plain-text fallback listing its own rows.
Every piece of user data is escaped; sections are `verbatim` so Slack links nothing itself.
"""

from __future__ import annotations

from datetime import date, datetime

from slack_sdk.models.blocks import (
    Block,
    HeaderBlock,
    PlainTextObject,
)

from blocks import commands
from blocks.client_actions import item_action_buttons
from blocks.format import money, money_totals, plural, relative_days
from blocks.limits import MAX_MESSAGE_BLOCKS
from blocks.message import Message, context, notice, section
from blocks.text import escape, mrkdwn, slack_date, slack_day, truncate
from store.digest_content import DeadlineGroup, DigestItem, DigestView
from store.models import DigestRun, DigestSubscription
from store.schedule import zone

APP_NAME = "Renewals"  # the bot's display name in manifest.yml, when its user ID is not known
BLOCKS_PER_ITEM = 2  # the row's section and its buttons
# The first message spends blocks on its header, summary, context and snoozed/handled count,
# and keeps one for the "continued in the thread" note.
FIRST_MESSAGE_ITEM_BLOCKS = MAX_MESSAGE_BLOCKS - 5
THREAD_MESSAGE_ITEM_BLOCKS = MAX_MESSAGE_BLOCKS - 1
NAME_CHARS = 200
PERSON_CHARS = 150

PAUSE_REASONS = {
    "channel_not_found": (
        "I can no longer find the channel: it was deleted, or it is private and I was removed from it"
    ),
    "not_in_channel": "I am no longer a member of the channel",
    "is_archived": "the channel was archived",
}


def _item_fields(item: DigestItem, view: DigestView) -> tuple[str, str]:
    """(mrkdwn for Slack, plain line for the fallback) of one contract change."""
    row = item.row
    owner = escape(truncate(row.owner.label, PERSON_CHARS))
    contact = escape(truncate(row.primary_contact or "none", PERSON_CHARS))
    mrr = money(row.mrr_at_stake)
    when = relative_days(row.renewal_deadline, view.day)
    name = mrkdwn(row.client_name, NAME_CHARS)
    kind = f"{row.contract_type.label} · {row.status.label}"
    deadline = slack_day(row.renewal_deadline, zone(view.timezone))
    rich = (
        f"*{name}* · {kind}\n"
        f"Renewal deadline {deadline} ({when}) · MRR {mrr}\n"
        f"Owner: {owner} · Primary contact: {contact}"
    )
    plain = (
        f"• {name}: {row.contract_type.label}, {row.status.label}, "
        f"deadline {row.renewal_deadline.isoformat()} ({when}), "
        f"owner {owner}, primary contact {contact}, MRR {mrr}"
    )
    return rich, plain


def summary_line(view: DigestView) -> str:
    """'3 contract changes need action, deadlines within 14 days: $4,500.00 MRR at stake' (plain)."""
    verb = "needs" if view.total == 1 else "need"
    return (
        f"{plural(view.total, 'contract change')} {verb} action with a renewal deadline within "
        f"{plural(view.days_ahead, 'day')}: {money_totals(view.mrr_at_stake)} MRR at stake"
    )


def all_clear_line(view: DigestView) -> str:
    line = (
        f"All clear: no contract change needs action with a renewal deadline within "
        f"{plural(view.days_ahead, 'day')}."
    )
    left_out = left_out_line(view)
    return f"{line} {left_out}" if left_out else line


def left_out_line(view: DigestView) -> str | None:
    """'Not listed: 2 snoozed and 1 handled contract changes (…)', so nothing leaves without a trace."""
    left_out = view.left_out
    if not left_out.total:
        return None
    parts = [f"{left_out.snoozed} snoozed"] if left_out.snoozed else []
    if left_out.handled:
        parts.append(f"{left_out.handled} handled")
    noun = "contract change" if left_out.total == 1 else "contract changes"
    return (
        f"Not listed: {' and '.join(parts)} {noun}. "
        "Each client's `/renewal` shows them, with Unsnooze and Not handled."
    )


def _pack(view: DigestView) -> list[list[DigestItem]]:
    """Items split into messages so each fits its block budget; order kept, nothing dropped."""
    parts: list[list[DigestItem]] = [[]]
    budget = FIRST_MESSAGE_ITEM_BLOCKS
    used = 0
    group: DeadlineGroup | None = None
    for item in view.items:
        need = BLOCKS_PER_ITEM + (0 if item.group is group else 1)  # a group heading
        if used + need > budget and parts[-1]:
            parts.append([])
            budget, used, group = THREAD_MESSAGE_ITEM_BLOCKS, 0, None
            need = BLOCKS_PER_ITEM + 1
        parts[-1].append(item)
        used += need
        group = item.group
    return parts


def digest_messages(view: DigestView) -> list[Message]:
    """The digest as messages: the first for the channel, the rest for its thread.

    Empty when there is nothing to post (no rows and no all-clear wanted).
    """
    day_text = day_heading(view.day)
    if view.is_empty:
        if not view.all_clear:
            return []
        line = all_clear_line(view)
        return [
            Message(
                text=f"Renewals digest for {day_text}. {line}",
                blocks=[section(f":white_check_mark: {line}", verbatim=True)],
            )
        ]

    parts = _pack(view)
    messages = []
    seen_groups: set[DeadlineGroup] = set()
    for number, items in enumerate(parts, start=1):
        blocks: list[Block] = []
        lines: list[str] = []
        if number == 1:
            blocks.append(HeaderBlock(text=PlainTextObject(text=f"Renewals digest · {day_text}")))
            blocks.append(section(f"*{summary_line(view)}*", verbatim=True))
            blocks.append(
                context(
                    f"Contract changes still pending or with a cancellation requested, "
                    f"renewal deadline from today to {plural(view.days_ahead, 'day')} ahead, soonest first. "
                    "`/renewals` shows them all.",
                    verbatim=True,
                )
            )
            lines.append(f"Renewals digest for {day_text}: {summary_line(view)}.")
            left_out = left_out_line(view)
            if left_out:
                blocks.append(context(left_out, verbatim=True))
                lines.append(left_out)
        else:
            blocks.append(
                context(f"Renewals digest for {day_text}, part {number} of {len(parts)}", verbatim=True)
            )
            lines.append(f"Renewals digest for {day_text}, part {number} of {len(parts)}:")
        group: DeadlineGroup | None = None
        for item in items:
            if item.group is not group:
                group = item.group
                count = sum(1 for other in view.items if other.group is group)
                title = f"*{group.title}* ({count})"
                if group in seen_groups:
                    title += ", continued"
                seen_groups.add(group)
                blocks.append(section(title, verbatim=True))
                lines.append(f"{group.title}:")
            rich, plain = _item_fields(item, view)
            blocks += [section(rich, verbatim=True), item_action_buttons(item.row, view.team_id)]
            lines.append(plain)
        if number == 1 and len(parts) > 1:
            rest = view.total - len(items)
            note = f"{plural(rest, 'more contract change')} in the thread :thread:"
            blocks.append(context(note, verbatim=True))
            lines.append(f"{plural(rest, 'more contract change')} in the thread.")
        messages.append(Message(text="\n".join(lines), blocks=blocks))
    return messages


# --- the person who subscribed, told about a pause ----------------------------------------------


def pause_reason_text(error: str) -> str:
    return PAUSE_REASONS.get(error, f"Slack answered `{escape(error)}`")


WORKSPACE_PAUSE_REASONS = {
    "app_uninstalled": "the app was uninstalled from the workspace",
    "tokens_revoked": "the app's token for the workspace was revoked",
}


def workspace_pause_text(reason: str) -> str:
    """Why a whole workspace is paused (store.workspaces), and what resumes it."""
    why = WORKSPACE_PAUSE_REASONS.get(reason, f"Slack refused the app's token (`{escape(reason)}`)")
    return (
        f"{why}; installing the app there again resumes it "
        "(with SLACK_BOT_TOKEN: restart `serve` with its new token)"
    )


def invite_hint(bot_user_id: str | None) -> str:
    """How to add the app to a channel: '`/invite` @Renewals' (a mention renders the app's real name)."""
    return f"`/invite` <@{bot_user_id}>" if bot_user_id else f"`/invite @{APP_NAME}`"


def paused_notice(channel_id: str, error: str, bot_user_id: str | None = None) -> Message:
    """The DM to the subscriber when a channel's digest had to pause."""
    reason = pause_reason_text(error)
    text = (
        f"The renewals digest for <#{channel_id}> is paused: {reason}. "
        f"To restart it, invite me to the channel ({invite_hint(bot_user_id)}) "
        "and run `/renewals digest on` there."
    )
    return Message(text=text, blocks=[section(f":pause_button: {text}", verbatim=True)])


# --- replies to /renewals digest ------------------------------------------------------------------

USAGE = (
    f"{commands.DIGEST_ON} posts this channel's digest "
    "every weekday (with `weekends`, every day) at HH:MM in your time zone (default 09:00): "
    "the contract changes that still need action with a renewal deadline within N days "
    "(default 14). With `all-clear` a one-line all-clear is posted when there is nothing to report. "
    "`/renewals digest off` stops it, `/renewals digest status` shows it."
)


def _weekday_text(weekends: bool) -> str:
    return "every day" if weekends else "Monday to Friday"


def _settings_lines(subscription: DigestSubscription) -> list[str]:
    return [
        f"*When:* {subscription.local_time} {escape(subscription.timezone)}, "
        f"{_weekday_text(subscription.weekends)}",
        f"*What:* contract changes that still need action, renewal deadline within "
        f"{plural(subscription.days_ahead, 'day')}",
        "*Nothing to report:* "
        + ("a one-line all-clear is posted" if subscription.all_clear else "nothing is posted"),
    ]


def _message(lines: list[str]) -> Message:
    return notice("\n".join(lines), verbatim=True)


def _next_digest_line(next_at: datetime) -> str:
    return f"*Next digest:* {slack_date(next_at, fallback=next_at.isoformat(timespec='minutes'))}"


def _run_text(run: DigestRun) -> str:
    day = run.local_date.isoformat()
    match run.status:
        case "posted":
            return f"{day}: posted"
        case "empty":
            return f"{day}: nothing to report, nothing posted"
        case "failed":
            error = escape(run.error or "unknown error")
            return f"{day}: failed after {plural(run.attempts, 'attempt')} ({error}); tried again later"
        case _:
            return f"{day}: posting"


def subscribed_reply(subscription: DigestSubscription, next_at: datetime) -> Message:
    return _message(
        [
            ":white_check_mark: This channel gets the renewals digest "
            f"(set by <@{subscription.subscribed_by}>).",
            *_settings_lines(subscription),
            _next_digest_line(next_at),
        ]
    )


def unsubscribed_reply(was_active: bool) -> Message:
    if not was_active:
        return _message(["This channel has no renewals digest. " + USAGE])
    return _message(
        [":no_bell: The renewals digest for this channel is off. `/renewals digest on` restarts it."]
    )


def status_reply(
    subscription: DigestSubscription | None,
    *,
    last_run: DigestRun | None,
    next_at: datetime | None,
    bot_user_id: str | None = None,
) -> Message:
    if subscription is None or not subscription.active:
        return _message(["This channel has no renewals digest.", USAGE])
    subscribed = subscription.subscribed_at
    lines = [
        f"*Renewals digest for this channel*, set by <@{subscription.subscribed_by}> on "
        f"{slack_date(subscribed, fallback=subscribed.date().isoformat())}",
        *_settings_lines(subscription),
    ]
    if subscription.paused_reason:
        lines.append(
            f":pause_button: *Paused:* {pause_reason_text(subscription.paused_reason)}. Invite me "
            f"({invite_hint(bot_user_id)}) and run `/renewals digest on` to restart it."
        )
    elif next_at is not None:
        lines.append(_next_digest_line(next_at))
    lines.append(f"*Last digest:* {_run_text(last_run) if last_run else 'none yet'}")
    return _message(lines)


def cannot_post_reply(reason: str, bot_user_id: str | None = None) -> Message:
    return _message(
        [
            f":warning: I can't post in this channel: {reason}. "
            f"Invite me with {invite_hint(bot_user_id)}, then run `/renewals digest on` again."
        ]
    )


def usage_reply(problem: str | None = None) -> Message:
    return _message([f":warning: {escape(problem)}" if problem else "", USAGE] if problem else [USAGE])


def day_heading(day: date) -> str:
    """'Monday 10 March 2025' (English, like the rest of the app's words)."""
    return f"{day:%A} {day.day} {day:%B %Y}"
