"""`renewals-bot reminders [--now YYYY-MM-DDTHH:MMZ] [--dry-run]`: the owner reminders due now.

Sending goes through bot.jobs.reminders.run_due, the scheduler's own path, so the once-per-person
per-local-day rule holds here too: a second run at the same moment sends nothing and says so.
`--now` acts as if it were that moment (UTC); each owner's own time zone and working hours apply.

`--dry-run` prints each reminder as its owner would get it, and records and sends nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from rich.console import Console
from rich.text import Text

from blocks.client_actions import (
    CHANGE_OWNER_LABEL,
    END_ASSOCIATION_LABEL,
    HANDLED_LABEL,
    REASSIGN_CONTACT_LABEL,
    SNOOZE_LABEL,
)
from blocks.format import cell_text, money, relative_days
from blocks.reminders import opening_line
from bot.cli.terminal import make_console, print_table
from bot.errors import UserError
from bot.jobs.reminders import Planned, Result, due_for, plan, run_due
from bot.services import build_services
from bot.settings import Settings
from store.columns import Column
from store.db import make_engine, migrate, session_scope
from store.reminder_claims import DONE, get_reminder_run
from store.reminders import DueReminders
from store.types import utcnow

_NOW = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})Z$")
# The /renewals table's columns a reminder item shows, then when and its MRR at stake.
_COLUMNS = (Column.CLIENT, Column.CONTRACT_TYPE, Column.STATUS, Column.DEADLINE, Column.PRIMARY_CONTACT)
MRR_HEADER = "MRR"
FAILED = frozenset({Result.FAILED, Result.UNREACHABLE})


def parse_now(text: str) -> datetime:
    """'2025-03-10T09:30Z' as an aware UTC datetime; ValueError for anything else."""
    match = _NOW.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a UTC moment as YYYY-MM-DDTHH:MMZ")
    day, hour, minute = match.groups()
    try:
        return datetime.fromisoformat(f"{day}T{hour}:{minute}:00").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"{text!r} is not a UTC moment as YYYY-MM-DDTHH:MMZ") from None


def render_reminder(due: DueReminders, planned: Planned, console: Console, *, note: str | None) -> None:
    """Print one owner's reminder as they would get it."""
    console.rule(
        Text(
            f"Reminder for {due.user_id} ({due.team_id}) · {due.day.isoformat()} · {planned.timezone}",
            style="bold",
        )
    )
    if note:
        console.print(Text(note, style="yellow"))
    if not due.items:
        console.print(Text("Nothing due: nothing is sent.", style="dim"))
        return
    console.print(Text(opening_line(due)))
    rows = [
        [
            *(
                cell_text(column, item.row)
                + (
                    f" ({relative_days(item.row.renewal_deadline, due.day)})"
                    if column is Column.DEADLINE
                    else ""
                )
                for column in _COLUMNS
            ),
            money(item.row.mrr_at_stake),
        ]
        for item in due.items
    ]
    print_table(console, [*(column.label for column in _COLUMNS), MRR_HEADER], rows, right={MRR_HEADER})
    if due.total > len(due.items):
        console.print(Text(f"{due.total - len(due.items)} more in the next day's reminder."))
    console.print(
        Text(
            f"Each row has the buttons {REASSIGN_CONTACT_LABEL} · {CHANGE_OWNER_LABEL} · "
            f"{END_ASSOCIATION_LABEL} · {SNOOZE_LABEL} · {HANDLED_LABEL}.",
            style="dim",
        )
    )


def run_reminders(settings: Settings, *, now: datetime | None, dry_run: bool) -> int:
    """The `reminders` command. Exit status 1 when a reminder failed, else 0."""
    now = now or utcnow()
    console = make_console()
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        if not dry_run and settings.slack_bot_token is None and not settings.oauth_enabled:
            raise UserError(
                "SLACK_BOT_TOKEN is not set: reminders cannot be sent (use --dry-run to print them)"
            )
        services = build_services(settings, engine)
        if dry_run:
            shown = 0
            for planned in plan(services, now, record=False):
                due = due_for(services, planned)
                with session_scope(engine) as session:
                    run = get_reminder_run(
                        planned.workspace.id or 0, planned.user_id, planned.day, session=session
                    )
                done = run is not None and run.status in DONE
                note = (
                    f"Already done for {planned.day.isoformat()} ({run.status}): a real run sends nothing."
                    if done and run
                    else None
                )
                render_reminder(due, planned, console, note=note)
                shown += 1
            if not shown:
                console.print(f"No reminder is due at {now:%Y-%m-%dT%H:%MZ}.")
            return 0
        outcomes = run_due(services, now=now)
        for outcome in outcomes:
            console.print(Text(outcome.describe()), soft_wrap=True)  # one line, whatever the width
        if not outcomes:
            console.print(f"No reminder is due at {now:%Y-%m-%dT%H:%MZ}.")
        return 1 if any(outcome.result in FAILED for outcome in outcomes) else 0
    finally:
        engine.dispose()
