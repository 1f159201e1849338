"""A channel's daily digest as Slack messages, and the replies of `/renewals digest`.

A digest is a list of messages: the first goes to the channel, the rest continue it in
a thread, so every row is shown however many there are (each message stays within
Slack's 50 blocks). Each message carries a plain-text fallback listing its own rows.
Every piece of user data is escaped; sections are `verbatim` so Slack links nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from blocks import commands
from blocks.client_actions import client_action_buttons
from blocks.format import money, money_totals, relative_days
from blocks.text import escape, mrkdwn, truncate
from store.digest_content import DeadlineGroup, DigestItem, DigestView
from store.models import DigestRun, DigestSubscription

APP_NAME = "Renewals"  # the bot's display name in manifest.yml, when its user ID is not known
MAX_BLOCKS = 50  # per message
BLOCKS_PER_ITEM = 2  # the row's section and its buttons
# The first message spends blocks on its header, summary and context, and keeps one for
# the "continued in the thread" note.
FIRST_MESSAGE_ITEM_BLOCKS = MAX_BLOCKS - 4
THREAD_MESSAGE_ITEM_BLOCKS = MAX_BLOCKS - 1
NAME_CHARS = 200
PERSON_CHARS = 150

PAUSE_REASONS = {
    "channel_not_found": (
        "I can no longer find the channel: it was deleted, or it is private and I was removed from it"
    ),
    "not_in_channel": "I am no longer a member of the channel",
    "is_archived": "the channel was archived",
}


@dataclass(frozen=True)
class DigestMessage:
    text: str  # plain-text fallback (notifications, screen readers); escaped, since Slack parses it
    blocks: list[Block]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def slack_date(epoch: int, fallback: str, token: str = "{date_short_pretty}") -> str:
    """Slack's date formatting: every reader sees it in their own time zone and language."""
    return f"<!date^{epoch}^{token}|{escape(fallback)}>"


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text, verbatim=True)


def _item_fields(item: DigestItem, view: DigestView) -> tuple[str, str]:
    """(mrkdwn for Slack, plain line for the fallback) of one contract change."""
    row = item.row
    owner = escape(truncate(row.owner.label, PERSON_CHARS))
    contact = escape(truncate(row.primary_contact or "none", PERSON_CHARS))
    mrr = money(row.mrr_at_stake)
    when = relative_days(row.renewal_deadline, view.day)
    name = mrkdwn(row.client_name, NAME_CHARS)
    kind = f"{row.contract_type.label} · {row.status.label}"
    deadline = slack_date(item.deadline_epoch, row.renewal_deadline.isoformat())
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


def _item_blocks(item: DigestItem, view: DigestView, rich: str) -> list[Block]:
    row = item.row
    return [
        SectionBlock(text=_md(rich)),
        client_action_buttons(
            row.client_id,
            view.team_id,
            association_active=True,
            # Unique in the message even when one client has two contract changes in it.
            block_id_suffix=f"{row.client_id}.{row.change_id}",
            client_name=row.client_name,
        ),
    ]


def summary_line(view: DigestView) -> str:
    """'3 contract changes need action, deadlines within 14 days: $4,500.00 MRR at stake' (plain)."""
    verb = "needs" if view.total == 1 else "need"
    return (
        f"{_plural(view.total, 'contract change')} {verb} action with a renewal deadline within "
        f"{_plural(view.days_ahead, 'day')}: {money_totals(view.mrr_at_stake)} MRR at stake"
    )


def all_clear_line(view: DigestView) -> str:
    return (
        f"All clear: no contract change needs action with a renewal deadline within "
        f"{_plural(view.days_ahead, 'day')}."
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


def digest_messages(view: DigestView) -> list[DigestMessage]:
    """The digest as messages: the first for the channel, the rest for its thread.

    Empty when there is nothing to post (no rows and no all-clear wanted).
    """
    day_text = day_heading(view.day)
    if view.is_empty:
        if not view.all_clear:
            return []
        line = all_clear_line(view)
        return [
            DigestMessage(
                text=f"Renewals digest for {day_text}. {line}",
                blocks=[SectionBlock(text=_md(f":white_check_mark: {line}"))],
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
            blocks.append(SectionBlock(text=_md(f"*{summary_line(view)}*")))
            blocks.append(
                ContextBlock(
                    elements=[
                        _md(
                            f"Contract changes still pending or with a cancellation requested, "
                            f"renewal deadline from today to "
                            f"{_plural(view.days_ahead, 'day')} ahead, soonest first. "
                            "`/renewals` shows them all."
                        )
                    ]
                )
            )
            lines.append(f"Renewals digest for {day_text}: {summary_line(view)}.")
        else:
            blocks.append(
                ContextBlock(elements=[_md(f"Renewals digest for {day_text}, part {number} of {len(parts)}")])
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
                blocks.append(SectionBlock(text=_md(title)))
                lines.append(f"{group.title}:")
            rich, plain = _item_fields(item, view)
            blocks.extend(_item_blocks(item, view, rich))
            lines.append(plain)
        if number == 1 and len(parts) > 1:
            rest = view.total - len(items)
            note = f"{_plural(rest, 'more contract change')} in the thread :thread:"
            blocks.append(ContextBlock(elements=[_md(note)]))
            lines.append(f"{_plural(rest, 'more contract change')} in the thread.")
        messages.append(DigestMessage(text="\n".join(lines), blocks=blocks))
    return messages


# --- the person who subscribed, told about a pause ----------------------------------------------


def pause_reason_text(error: str) -> str:
    return PAUSE_REASONS.get(error, f"Slack answered `{escape(error)}`")


def invite_hint(bot_user_id: str | None) -> str:
    """How to add the app to a channel: '`/invite` @Renewals' (a mention renders the app's real name)."""
    return f"`/invite` <@{bot_user_id}>" if bot_user_id else f"`/invite @{APP_NAME}`"


def paused_notice(channel_id: str, error: str, bot_user_id: str | None = None) -> DigestMessage:
    """The DM to the subscriber when a channel's digest had to pause."""
    reason = pause_reason_text(error)
    text = (
        f"The renewals digest for <#{channel_id}> is paused: {reason}. "
        f"To restart it, invite me to the channel ({invite_hint(bot_user_id)}) "
        "and run `/renewals digest on` there."
    )
    return DigestMessage(text=text, blocks=[SectionBlock(text=_md(f":pause_button: {text}"))])


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


def _when_text(epoch: int, fallback: str) -> str:
    return slack_date(epoch, fallback, "{date_short_pretty} at {time}")


def _settings_lines(subscription: DigestSubscription) -> list[str]:
    return [
        f"*When:* {subscription.local_time} {escape(subscription.timezone)}, "
        f"{_weekday_text(subscription.weekends)}",
        f"*What:* contract changes that still need action, renewal deadline within "
        f"{_plural(subscription.days_ahead, 'day')}",
        "*Nothing to report:* "
        + ("a one-line all-clear is posted" if subscription.all_clear else "nothing is posted"),
    ]


def _message(lines: list[str]) -> DigestMessage:
    text = "\n".join(lines)
    return DigestMessage(text=text, blocks=[SectionBlock(text=_md(truncate(text, 3000)))])


def _run_text(run: DigestRun) -> str:
    day = run.local_date.isoformat()
    match run.status:
        case "posted":
            return f"{day}: posted"
        case "empty":
            return f"{day}: nothing to report, nothing posted"
        case "failed":
            error = escape(run.error or "unknown error")
            return f"{day}: failed after {_plural(run.attempts, 'attempt')} ({error}); tried again later"
        case _:
            return f"{day}: posting"


def subscribed_reply(subscription: DigestSubscription, next_at: datetime) -> DigestMessage:
    return _message(
        [
            ":white_check_mark: This channel gets the renewals digest "
            f"(set by <@{subscription.subscribed_by}>).",
            *_settings_lines(subscription),
            f"*Next digest:* {_when_text(int(next_at.timestamp()), next_at.isoformat(timespec='minutes'))}",
        ]
    )


def unsubscribed_reply(was_active: bool) -> DigestMessage:
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
) -> DigestMessage:
    if subscription is None or not subscription.active:
        return _message(["This channel has no renewals digest.", USAGE])
    subscribed = subscription.subscribed_at
    lines = [
        f"*Renewals digest for this channel*, set by <@{subscription.subscribed_by}> on "
        f"{_when_text(int(subscribed.timestamp()), subscribed.date().isoformat())}",
        *_settings_lines(subscription),
    ]
    if subscription.paused_reason:
        lines.append(
            f":pause_button: *Paused:* {pause_reason_text(subscription.paused_reason)}. Invite me "
            f"({invite_hint(bot_user_id)}) and run `/renewals digest on` to restart it."
        )
    elif next_at is not None:
        lines.append(
            f"*Next digest:* {_when_text(int(next_at.timestamp()), next_at.isoformat(timespec='minutes'))}"
        )
    lines.append(f"*Last digest:* {_run_text(last_run) if last_run else 'none yet'}")
    return _message(lines)


def cannot_post_reply(reason: str, bot_user_id: str | None = None) -> DigestMessage:
    return _message(
        [
            f":warning: I can't post in this channel: {reason}. "
            f"Invite me with {invite_hint(bot_user_id)}, then run `/renewals digest on` again."
        ]
    )


def usage_reply(problem: str | None = None) -> DigestMessage:
    return _message([f":warning: {escape(problem)}" if problem else "", USAGE] if problem else [USAGE])


def day_heading(day: date) -> str:
    """'Monday 10 March 2025' (English, like the rest of the app's words)."""
    return f"{day:%A} {day.day} {day:%B %Y}"
