"""`/renewal-owner`: the renewals you own, and the replies to setting an owner or the default.

A table of raw text cells (no mrkdwn, so no escaping needed in it, and nothing in a client's
name can ping anyone); everything in mrkdwn around it goes through blocks.text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import Block, TableBlockColumnSettings

from blocks import commands
from blocks import format as fmt
from blocks.client import owner_text
from blocks.limits import MAX_TABLE_ROWS, TABLE_TEXT_CHARS
from blocks.message import Message, context, notice, section, table
from blocks.text import escape, mrkdwn, truncate
from store.models import Client
from store.rules import Owner
from store.upcoming import RenewalRow, UpcomingView

CLIENT_NAME_CELL = 60
OWNED_ROWS_SHOWN = MAX_TABLE_ROWS - 1  # the most rows `owned_renewals_message` shows (a header too)
MAX_CANDIDATES = 10

HEADERS = ("Client name", "Contract type", "Status", "Renewal deadline", "Days left", "Current MRR")

USAGE = (
    "Usage:\n"
    "• `/renewal-owner`: the renewals you own\n"
    f"• {commands.OWNER_SET}: set a client's communication owner\n"
    f"• {commands.OWNER_DEFAULT}: the workspace default (admins only)"
)


def _cells(row: RenewalRow, today: date) -> list[str]:
    return [
        truncate(row.client_name, CLIENT_NAME_CELL),
        row.contract_type.label,
        row.status.label,
        fmt.day(row.renewal_deadline),
        fmt.relative_days(row.renewal_deadline, today),
        fmt.money(row.current_mrr),
    ]


def owned_renewals_message(view: UpcomingView, *, days: int) -> Message:
    """The contract changes whose effective owner is the person asking, soonest deadline first
    (`view`: its first page, at most `OWNED_ROWS_SHOWN` rows, and the counts of them all)."""
    rows, today, total = view.rows, view.today, view.total
    if not total:
        return notice(
            f"You own no contract changes starting in the next {days} days. "
            f"Take one with {commands.OWNER_TAKE}."
        )
    at_stake = fmt.money_totals(view.mrr_at_stake)
    summary = (
        f"*Renewals you own*: {fmt.plural(total, 'contract change')} in the next "
        f"{days} days, {view.needing_total} needing action ({at_stake} MRR at stake)."
    )
    table_rows = [list(HEADERS)]
    used = sum(len(h) for h in HEADERS)
    shown = 0
    for row in rows:
        cells = _cells(row, today)
        size = sum(len(c) for c in cells)
        if len(table_rows) >= MAX_TABLE_ROWS or used + size > TABLE_TEXT_CHARS:
            break
        table_rows.append(cells)
        used += size
        shown += 1
    blocks: list[Block] = [
        section(summary),
        table(table_rows, [TableBlockColumnSettings(is_wrapped=True)] + [None] * (len(HEADERS) - 1)),
    ]
    if shown < total:
        blocks.append(
            context(
                f"Showing the {shown} soonest of {total}. `/renewals owner:me` pages through all of them."
            )
        )
    return Message(text=summary.replace("*", ""), blocks=blocks)


def owner_set_message(client: Client, *, before: Owner, after: Owner, changed: bool) -> Message:
    name = mrkdwn(client.name, 1000)
    if not changed:
        return notice(f"*{name}*'s communication owner is already {owner_text(after)}. Nothing changed.")
    return notice(f"*{name}*'s communication owner is now {owner_text(after)} (was {owner_text(before)}).")


def default_set_message(*, partner_owns_all: bool, changed: bool) -> Message:
    now = "the partner team" if partner_owns_all else "HubSpot"
    if not changed:
        return notice(f"The workspace default owner is already {now}. Nothing changed.")
    return notice(
        f"The workspace default communication owner is now {now}: it applies to every client "
        "without an owner of its own."
    )


def ambiguous_client_message(query: str, clients: Sequence[Client], *, example_owner: str) -> Message:
    """Several clients match `/renewal-owner <client> …`: name them with their Hub IDs."""
    shown = list(clients)[:MAX_CANDIDATES]
    lines = [f"• *{mrkdwn(c.name, 200)}*: Hub ID {escape(c.hub_id)}" for c in shown]
    if len(clients) > MAX_CANDIDATES:
        lines.append("• …and more")
    example = shown[0].hub_id if shown else "12345"
    return notice(
        f"Several clients match “{mrkdwn(query, 200)}”:\n"
        + "\n".join(lines)
        + f"\nUse the Hub ID to pick one, e.g. `/renewal-owner {escape(example)} {escape(example_owner)}`."
    )


def owner_usage_message(problem: str | None = None) -> Message:
    """Usage, after `problem` (already escaped) when the arguments were wrong."""
    return notice(f"{problem}\n{USAGE}" if problem else USAGE)
