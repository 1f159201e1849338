"""An owner's reminder as a direct message, and the replies of `/renewals reminders`.

One message per person per day, however many contract changes are due: each item is a section
and its buttons (`item_actions`); what does not fit in one message waits for the next day's.
Every piece of user data is escaped; sections are `verbatim` so Slack links nothing itself.
"""

from __future__ import annotations

from datetime import tzinfo

from slack_sdk.models.blocks import ActionsBlock, Block

from blocks import commands
from blocks.client_actions import item_action_buttons
from blocks.digest import day_heading
from blocks.format import money, plural, relative_days
from blocks.limits import MAX_MESSAGE_BLOCKS
from blocks.message import Message, context, notice, section
from blocks.text import escape, mrkdwn, slack_date, slack_day, truncate
from store.models import ReminderRecipient, ReminderRun
from store.reminders import DueReminders, ReminderItem

NAME_CHARS = 200
PERSON_CHARS = 150
# The message's own blocks: the opening section and the closing context (and a "more" note).
_FRAME_BLOCKS = 3
BLOCKS_PER_ITEM = 2  # the item's section and its buttons
ITEMS_PER_MESSAGE = (MAX_MESSAGE_BLOCKS - _FRAME_BLOCKS) // BLOCKS_PER_ITEM
MAX_UNREACHABLE_SHOWN = 20  # in `/renewals reminders status` for admins

USAGE = (
    f"{commands.REMINDERS}: a direct message 7 days and 1 day before each renewal deadline of the "
    "clients you are the communication owner of, while the contract change still needs action, on "
    "a working day between 09:00 and 17:00 in your Slack time zone. On unless you turn it off."
)


def _which(item: ReminderItem) -> str:
    """'7 days before', '1 day before' or both (one was missed), for the person."""
    return " and ".join(f"{plural(n, 'day')} before" for n in item.days_before) or "reminder"


def item_actions(item: ReminderItem, team_id: str) -> ActionsBlock:
    """The buttons under one reminder item: the client's own, "Snooze 3 days" and "Handled"."""
    return item_action_buttons(item.row, team_id)


def _item_texts(item: ReminderItem, due: DueReminders, zone: tzinfo) -> tuple[str, str]:
    """(mrkdwn for Slack, plain line for the fallback) of one contract change."""
    row = item.row
    name = mrkdwn(row.client_name, NAME_CHARS)
    contact = escape(truncate(row.primary_contact or "none", PERSON_CHARS))
    when = relative_days(row.renewal_deadline, due.day)
    kind = f"{row.contract_type.label} · {row.status.label}"
    rich = (
        f"*{name}* · {kind}\n"
        f"Renewal deadline {slack_day(row.renewal_deadline, zone)} ({when}) · MRR {money(row.mrr_at_stake)}\n"
        f"Primary contact: {contact}"
    )
    plain = (
        f"• {name}: {row.contract_type.label}, {row.status.label}, "
        f"deadline {row.renewal_deadline.isoformat()} ({when})"
    )
    return rich, plain


def opening_line(due: DueReminders) -> str:
    """'2 contract changes you own need action before their renewal deadline' (plain)."""
    verb = "needs" if due.total == 1 else "need"
    return f"{plural(due.total, 'contract change')} you own {verb} action before the renewal deadline"


def reminder_message(due: DueReminders, zone: tzinfo) -> Message:
    """The day's direct message to one owner (`due.items` is at most ITEMS_PER_MESSAGE long)."""
    heading = f"Renewal reminder · {day_heading(due.day)}"
    blocks: list[Block] = [section(f":bell: *{heading}*\n{opening_line(due)}.", verbatim=True)]
    lines = [f"{heading}: {opening_line(due)}."]
    for item in due.items:
        rich, plain = _item_texts(item, due, zone)
        blocks += [section(rich, verbatim=True), item_actions(item, due.team_id)]
        lines.append(plain)
    rest = due.total - len(due.items)
    if rest > 0:
        note = (
            f"{plural(rest, 'more contract change')} in tomorrow's reminder; `/renewal-owner` lists them all."
        )
        blocks.append(context(note, verbatim=True))
        lines.append(note)
    blocks.append(
        context(
            "You get this as a client's communication owner. `/renewals reminders off` stops it.",
            verbatim=True,
        )
    )
    return Message(text="\n".join(lines), blocks=blocks)


# --- replies to /renewals reminders ---------------------------------------------------------------


def _owned_line(owned: int) -> str:
    if owned == 0:
        return "You are not the communication owner of any client yet, so there is nothing to remind you of."
    return f"You are the communication owner of {plural(owned, 'client')}."


def on_reply(owned: int, timezone: str) -> Message:
    return notice(
        f":bell: Your renewal reminders are *on*: a direct message 7 days and 1 day before each renewal "
        f"deadline, on working days between 09:00 and 17:00 ({escape(timezone)}). {_owned_line(owned)}",
        verbatim=True,
    )


def off_reply() -> Message:
    return notice(
        ":no_bell: Your renewal reminders are *off*. `/renewals reminders on` turns them back on.",
        verbatim=True,
    )


def _run_text(run: ReminderRun) -> str:
    day = run.local_date.isoformat()
    match run.status:
        case "sent":
            return f"{day}: sent ({plural(run.items, 'contract change')})"
        case "empty":
            return f"{day}: nothing was due"
        case "unreachable":
            return f"{day}: could not message you ({escape(run.error or 'unknown error')})"
        case "failed":
            error = escape(run.error or "unknown error")
            return f"{day}: failed after {plural(run.attempts, 'attempt')} ({error}); tried again later"
        case _:
            return f"{day}: sending"


def _unreachable_line(recipient: ReminderRecipient) -> str:
    when = recipient.unreachable_at
    since = slack_date(when, fallback=when.date().isoformat(), day_only=True) if when else "earlier"
    return f"• <@{recipient.user_id}>: {escape(recipient.unreachable_error or 'unknown')} (since {since})"


def status_reply(
    *,
    recipient: ReminderRecipient | None,
    owned: int,
    timezone: str,
    last_run: ReminderRun | None,
    unreachable: list[ReminderRecipient] | None = None,
) -> Message:
    """Your reminders; with `unreachable` (admins only), the owners who could not be messaged."""
    enabled = recipient is None or recipient.enabled
    lines = [
        f"*Your renewal reminders are {'on' if enabled else 'off'}* "
        f"(working days, 09:00 to 17:00 {escape(timezone)}). {_owned_line(owned)}",
    ]
    if recipient is not None and recipient.unreachable_error:
        lines.append(
            f":warning: I could not message you ({escape(recipient.unreachable_error)}): "
            "`/renewals reminders on` tries again."
        )
    lines.append(f"*Last reminder:* {_run_text(last_run) if last_run else 'none yet'}")
    if unreachable is not None:
        if unreachable:
            lines.append(
                "*Owners I could not message* (not tried again until they run `/renewals reminders on`):"
            )
            lines += [_unreachable_line(r) for r in unreachable[:MAX_UNREACHABLE_SHOWN]]
        else:
            lines.append("*Owners I could not message:* none.")
    if not enabled:
        lines.append("`/renewals reminders on` turns them back on.")
    return notice("\n".join(lines), verbatim=True)


def usage_reply(problem: str | None = None) -> Message:
    return notice("\n".join([f":warning: {escape(problem)}", USAGE] if problem else [USAGE]), verbatim=True)
