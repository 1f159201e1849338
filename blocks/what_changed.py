"""The "What changed" message a digest channel gets after an import that changed something that
matters: counts and MRR at stake per kind, then the changes themselves with their client's buttons.

One message (no thread): each change takes two blocks (its text and its client's buttons), so
as many as fit Slack's 50 blocks are shown (23; the import keeps at most `MAX_ITEMS` of each
kind). The summary counts and totals every change of the import; those not shown are counted
after the list, never dropped silently.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block, HeaderBlock, PlainTextObject

from blocks import commands
from blocks.client_actions import row_action_buttons
from blocks.format import money, money_totals, plural, relative_days
from blocks.imports import import_name
from blocks.limits import HEADER_CHARS, MAX_MESSAGE_BLOCKS, SECTION_CHARS
from blocks.message import Message, context, section
from blocks.text import escape, mrkdwn, slack_date, truncate
from store.import_runs import Announcement, ChangedRow
from store.what_changed import DUE_SOON_DAYS, KEPT_PER_KIND, ChangeKind

MAX_ITEMS = KEPT_PER_KIND
# Header, summary, context and the "and N more" line; two blocks per change.
ITEMS_THAT_FIT = (MAX_MESSAGE_BLOCKS - 4) // 2
SHOWN = min(MAX_ITEMS, ITEMS_THAT_FIT)
NAME_CHARS = 200
PERSON_CHARS = 150

_KIND_WORDS = {
    ChangeKind.CANCELLATION: ("cancellation requested", "cancellations requested"),
    ChangeKind.DUE_SOON: (
        f"new contract change due within {DUE_SOON_DAYS} days",
        f"new contract changes due within {DUE_SOON_DAYS} days",
    ),
    ChangeKind.MOVED: ("renewal start date moved", "renewal start dates moved"),
}


def kind_count(kind: ChangeKind, count: int) -> str:
    one, many = _KIND_WORDS[kind]
    return f"{count:,} {one if count == 1 else many}"


def _item(item: ChangedRow, today_text: str) -> tuple[str, str]:
    """(mrkdwn, plain fallback line) of one change."""
    row = item.row
    name = mrkdwn(row.client_name, NAME_CHARS)
    what = {
        ChangeKind.CANCELLATION: "cancellation requested",
        ChangeKind.DUE_SOON: "new",
        ChangeKind.MOVED: (
            f"start date moved from {item.moved_from.isoformat()} to {row.renewal_start_date.isoformat()}"
            if item.moved_from
            else "start date moved"
        ),
    }[item.kind]
    owner = escape(truncate(row.owner.label, PERSON_CHARS))
    rich = (
        f"*{name}* · {row.contract_type.label} · {row.status.label} · {what}\n"
        f"Renewal deadline {row.renewal_deadline.isoformat()} ({today_text}) · "
        f"MRR {money(row.mrr_at_stake)} · Owner: {owner}"
    )
    plain = f"• {name}: {row.contract_type.label}, {what}, deadline {row.renewal_deadline.isoformat()}"
    return rich, plain


def what_changed_message(view: Announcement) -> Message | None:
    """The message, or None when nothing that matters is left to tell."""
    if not view.items:
        return None
    run = view.run
    summary = "\n".join(
        f"• {kind_count(kind, part.count)}: {money_totals(part.mrr_at_stake)} MRR at stake"
        for kind, part in view.what.kinds.items()
    )
    header = truncate(f"What changed · {run.file_name}", HEADER_CHARS)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=header)),
        section(f"{import_name(run, capital=True)}, {slack_date(run.at)}:\n{summary}"),
        context(
            "Cancellations requested, new contract changes due soon and moved start dates, "
            "soonest renewal deadline first. `/renewals imports` lists the imports."
        ),
    ]
    lines = [f"What changed in the {import_name(run)}:", summary]
    shown = view.items[:SHOWN]
    for item in shown:
        rich, plain = _item(item, relative_days(item.row.renewal_deadline, view.today))
        blocks.append(section(rich, verbatim=True))
        blocks.append(row_action_buttons(item.row, view.team_id))
        lines.append(plain)
    if view.total > len(shown):
        more = (
            f"…and {plural(view.total - len(shown), 'more change')}: "
            f"`/renewals` and {commands.RENEWAL} show them."
        )
        blocks.append(section(more))
        lines.append(more)
    return Message(text=truncate("\n".join(lines), SECTION_CHARS), blocks=blocks)
