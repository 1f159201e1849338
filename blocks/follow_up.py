"""The replies to "Snooze 3 days", "Handled", "Unsnooze" and "Not handled" (the buttons are in
blocks/client_actions.py)."""

from __future__ import annotations

from datetime import date, timedelta

from blocks import format as fmt
from blocks.message import Message, notice
from blocks.text import mrkdwn
from store.follow_up import HANDLED, SNOOZE, UNSNOOZE
from store.models import ContractChange


def follow_up_reply(
    action: str, change: ContractChange, client_name: str, *, changed: bool, until: date | None = None
) -> Message:
    """What the person who clicked is told (`action` is one of store.follow_up's)."""
    what = (
        f"*{mrkdwn(client_name, 500)}* · {change.contract_type.label} starting "
        f"{fmt.day(change.renewal_start_date)}"
    )
    if action == SNOOZE:
        assert until is not None
        return notice(
            f":zzz: Snoozed {what}: out of digests and reminders until {fmt.day(until)}, back on "
            f"{fmt.day(until + timedelta(days=1))}. The client's `/renewal` shows it, with Unsnooze."
        )
    if action == UNSNOOZE:
        if not changed:
            return notice(f"{what} was not snoozed. Nothing changed.")
        return notice(f"Unsnoozed {what}: it is back in digests and reminders.")
    if action == HANDLED:
        return notice(
            f":white_check_mark: Marked {what} handled: out of digests and reminders until its status, "
            "renewal deadline or owner changes. The client's `/renewal` shows it, with Not handled."
        )
    if not changed:
        return notice(f"{what} was not marked handled. Nothing changed.")
    return notice(f"{what} is no longer marked handled: it is back in digests and reminders.")
