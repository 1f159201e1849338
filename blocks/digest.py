"""A channel's daily digest as one Slack message, its whole list ("View all"), and the replies of
`/renewals digest`.

A digest lists at most `DIGEST_LIMIT` contract changes, the soonest deadlines first, in one
message; when more need action a last line counts them with their MRR at stake, per currency,
next to "View all", which shows the whole list, paged, to whoever clicks, in their own view.
Each item is one `card` block (its text and its client's buttons), so the 25 items and the
digest's header, groups and last line stay well within Slack's 50 blocks.
The message carries a plain-text fallback listing its rows. Every piece of user data is escaped;
sections are `verbatim` so Slack links nothing itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from blocks import commands
from blocks.cards import change_card
from blocks.client_actions import item_action_buttons
from blocks.format import money_totals, plural
from blocks.ids import ActionId, BlockId
from blocks.limits import MAX_MESSAGE_BLOCKS
from blocks.message import Message, context, notice, section
from blocks.renewals import list_paging, renewals_table
from blocks.text import escape, slack_date
from blocks.values import DigestListRef, encode
from store.columns import Column
from store.digest_content import DIGEST_LIMIT, DeadlineGroup, DigestItem, DigestView
from store.models import DigestRun, DigestSubscription
from store.schedule import zone
from store.upcoming import UpcomingView

APP_NAME = "Renewals"  # the bot's display name in manifest.yml, when its user ID is not known
VIEW_ALL_LABEL = "View all"
LIST_PAGE_SIZE = 20  # rows per page of a digest's whole list, as a /renewals table page
# Header, summary, context, a heading per group, the "and N more" line, then one card per item.
assert 3 + len(DeadlineGroup) + 1 + DIGEST_LIMIT <= MAX_MESSAGE_BLOCKS

PAUSE_REASONS = {
    "channel_not_found": (
        "I can no longer find the channel: it was deleted, or it is private and I was removed from it"
    ),
    "not_in_channel": "I am no longer a member of the channel",
    "is_archived": "the channel was archived",
}


def digest_item(item: DigestItem, view: DigestView) -> tuple[Block, str]:
    """One contract change of a digest: (its card, with its client's buttons, "Snooze 3 days" and
    "Handled"; its fallback line)."""
    buttons = item_action_buttons(item.row, view.team_id)
    return change_card(item.row, buttons, today=view.day, tz=zone(view.timezone))


def summary_line(view: DigestView) -> str:
    """'3 contract changes need action, deadlines within 14 days: $4,500.00 MRR at stake' (plain)."""
    verb = "needs" if view.total == 1 else "need"
    return (
        f"{plural(view.total, 'contract change')} {verb} action with a renewal deadline within "
        f"{plural(view.days_ahead, 'day')}: {money_totals(view.mrr_at_stake)} MRR at stake"
    )


def more_line(view: DigestView) -> str:
    """'and 5 more needing action ($1,200.00 + €80.00 MRR at stake)' (plain), or '' when none."""
    if not view.more:
        return ""
    return (
        f"and {view.more:,} more needing action ({money_totals(view.content.more_mrr_at_stake)} MRR at stake)"
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


def group_title(group: DeadlineGroup, shown: int, total: int, *, bold: bool = False) -> str:
    """'Deadline today (3)', or 'Deadline later (4 of 9)' when the digest lists only some."""
    count = f"({shown} of {total})" if shown < total else f"({total})"
    return f"*{group.title}* {count}" if bold else f"{group.title} {count}"


def list_ref(view: DigestView, offset: int = 0) -> DigestListRef:
    """What "View all" (and then Next / Previous) carries: where the list is, never the list."""
    return DigestListRef(team_id=view.team_id, day=view.day, days=view.days_ahead, offset=offset)


def digest_messages(view: DigestView) -> list[Message]:
    """The digest as messages to post: one, or none when there is nothing to post (no rows and
    no all-clear wanted). A list, so that the runner's resume-after-failure stays general."""
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
    shown = "every one" if not view.more else f"the {len(view.items)} most urgent"
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=f"Renewals digest · {day_text}")),
        section(f"*{summary_line(view)}*", verbatim=True),
        context(
            f"Contract changes still pending or with a cancellation requested, renewal deadline from "
            f"today to {plural(view.days_ahead, 'day')} ahead: {shown}, soonest first.",
            verbatim=True,
        ),
    ]
    lines = [f"Renewals digest for {day_text}: {summary_line(view)}."]
    left_out = left_out_line(view)
    if left_out:
        blocks.append(context(left_out, verbatim=True))
        lines.append(left_out)
    for group in view.groups():
        blocks.append(
            section(group_title(group.group, len(group.items), group.total, bold=True), verbatim=True)
        )
        lines.append(f"{group_title(group.group, len(group.items), group.total)}:")
        for item in group.items:
            card, plain = digest_item(item, view)
            blocks.append(card)
            lines.append(plain)
    if view.more:
        more = more_line(view)
        blocks.append(
            SectionBlock(
                block_id=BlockId.DIGEST_MORE.value,
                text=MarkdownTextObject(text=f"*{more}* — {VIEW_ALL_LABEL}", verbatim=True),
                accessory=ButtonElement(
                    text=PlainTextObject(text=VIEW_ALL_LABEL),
                    action_id=ActionId.DIGEST_VIEW_ALL.value,
                    value=encode(list_ref(view)),
                ),
            )
        )
        lines.append(f"{more}: {VIEW_ALL_LABEL} in Slack.")
    return [Message(text="\n".join(lines), blocks=blocks)]


# --- a digest's whole list ("View all"), for the person who clicked --------------------------------


def digest_list_message(view: UpcomingView, columns: Sequence[Column], ref: DigestListRef) -> Message:
    """One page of a digest's whole list, as a /renewals table, with Previous / Next."""
    day_text = day_heading(ref.day)
    count = plural(view.total, "contract change")
    verb = "needs" if view.total == 1 else "need"
    summary = (
        f"{count} {verb} action with a renewal deadline within {plural(ref.days, 'day')}: "
        f"{money_totals(view.mrr_at_stake)} MRR at stake"
    )
    if not view.total:
        return notice(f"Renewals digest for {day_text}: nothing in it needs action any more.")
    shown = f"{view.offset + 1:,}–{view.offset + len(view.rows):,} of {view.total:,}"
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=f"Renewals digest · {day_text}")),
        section(f"*{summary}* · showing {shown}", verbatim=True),
        context(
            "Every contract change of this digest (its day and window), soonest deadline first, "
            "read again now.",
            verbatim=True,
        ),
        renewals_table(view, columns),
    ]
    paging = list_paging(
        ref,
        block_id=BlockId.DIGEST_LIST_PAGING,
        previous=ActionId.DIGEST_PREVIOUS_PAGE,
        next_=ActionId.DIGEST_NEXT_PAGE,
        offset=view.offset,
        page_size=view.page_size,
        total=view.total,
    )
    if paging is not None:
        blocks.append(paging)
    return Message(text=f"Renewals digest for {day_text}: {summary} ({shown}).", blocks=blocks)


def stale_list_message() -> Message:
    return notice("This digest's button is out of date. Run `/renewals` for the upcoming renewals.")


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
