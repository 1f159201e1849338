"""The "What changed" message a digest channel gets after an import that changed something that
matters: counts and MRR at stake per kind, then the changes themselves, and the import's whole list
("View all") for whoever clicks.

One message (no thread): each change is one card with its client's buttons (blocks/cards.py, as
a digest's items), so the 25 the import keeps first (`KEPT_PER_KIND`) fit Slack's 50 blocks with
the header, summary, context and last line. The summary counts and totals every change of the
import; when there are more than are shown, the last line counts them next to "View all", which
opens the import's whole list (store.import_changes), paged, in a reply only the clicker sees.
"""

from __future__ import annotations

from datetime import UTC, date

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from blocks.cards import change_card
from blocks.client_actions import row_action_buttons
from blocks.format import money_totals, plural
from blocks.ids import ActionId, BlockId
from blocks.imports import import_name
from blocks.limits import HEADER_CHARS, MAX_MESSAGE_BLOCKS, SECTION_CHARS
from blocks.message import Message, context, notice, section
from blocks.renewals import list_paging
from blocks.text import slack_date, truncate
from blocks.values import ImportChangesRef, encode
from store.import_changes import ChangedRow, ChangesPage
from store.import_runs import Announcement
from store.models import ImportRun
from store.what_changed import DUE_SOON_DAYS, KEPT_PER_KIND, ChangeKind, WhatChanged

MAX_ITEMS = KEPT_PER_KIND
# Header, summary, context and the "and N more" line; one card per change.
ITEMS_THAT_FIT = MAX_MESSAGE_BLOCKS - 4
SHOWN = min(MAX_ITEMS, ITEMS_THAT_FIT)
VIEW_ALL_LABEL = "View all"
LIST_PAGE_SIZE = 20  # changes per page of an import's whole list (cards, as in the message)
# Header, summary, context, a page of cards and the paging buttons.
assert 3 + LIST_PAGE_SIZE + 1 <= MAX_MESSAGE_BLOCKS

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


def _what(item: ChangedRow) -> str:
    """What happened to the change (the app's own words, no user data)."""
    if item.kind is ChangeKind.CANCELLATION:
        return "Status became cancellation requested"
    if item.kind is ChangeKind.DUE_SOON:
        return "New"
    if item.moved_from is None:
        return "Start date moved"
    return f"Start date moved from {item.moved_from.isoformat()} to {item.row.renewal_start_date.isoformat()}"


def change_item(item: ChangedRow, team_id: str, today: date) -> tuple[Block, str]:
    """One change as a card with its client's buttons, and its fallback line (dates in UTC: a
    channel has no one time zone)."""
    buttons = row_action_buttons(item.row, team_id)
    return change_card(item.row, buttons, today=today, tz=UTC, note=_what(item))


def _summary(what: WhatChanged) -> str:
    return "\n".join(
        f"• {kind_count(kind, part.count)}: {money_totals(part.mrr_at_stake)} MRR at stake"
        for kind, part in what.kinds.items()
    )


def _header(run: ImportRun) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=truncate(f"What changed · {run.file_name}", HEADER_CHARS)))


def what_changed_message(view: Announcement) -> Message | None:
    """The message, or None when nothing that matters is left to tell."""
    if not view.items:
        return None
    run = view.run
    summary = _summary(view.what)
    blocks: list[Block] = [
        _header(run),
        section(f"{import_name(run, capital=True)}, {slack_date(run.at)}:\n{summary}"),
        context(
            "Cancellations requested, new contract changes due soon and moved start dates, "
            "soonest renewal deadline first. `/renewals imports` lists the imports."
        ),
    ]
    lines = [f"What changed in the {import_name(run)}:", summary]
    shown = view.items[:SHOWN]
    for item in shown:
        card, plain = change_item(item, view.team_id, view.today)
        blocks.append(card)
        lines.append(plain)
    if view.total > len(shown) and run.id is not None:
        more = f"…and {plural(view.total - len(shown), 'more change')}"
        ref = ImportChangesRef(team_id=view.team_id, import_id=run.id)
        blocks.append(
            SectionBlock(
                block_id=BlockId.WHAT_CHANGED_MORE.value,
                text=MarkdownTextObject(text=f"*{more}* — {VIEW_ALL_LABEL} lists every one."),
                accessory=ButtonElement(
                    text=PlainTextObject(text=VIEW_ALL_LABEL),
                    action_id=ActionId.WHAT_CHANGED_VIEW_ALL.value,
                    value=encode(ref),
                ),
            )
        )
        lines.append(f"{more}: {VIEW_ALL_LABEL} in Slack.")
    return Message(text=truncate("\n".join(lines), SECTION_CHARS), blocks=blocks)


# --- an import's whole list ("View all"), for the person who clicked ---------------------------


def changes_list_message(page: ChangesPage, ref: ImportChangesRef) -> Message:
    """One page of an import's changes that matter, as cards, with Previous / Next."""
    run = page.run
    if not page.total:
        return notice(f"What changed in the {import_name(run)}: none of its changes is in the view any more.")
    shown = f"{page.offset + 1:,}–{page.offset + len(page.items):,} of {page.total:,}"
    blocks: list[Block] = [
        _header(run),
        section(f"{import_name(run, capital=True)}, {slack_date(run.at)}:\n{_summary(page.what)}"),
        context(
            f"Every change of this import that matters, by kind, soonest renewal deadline first, "
            f"as it is now: showing {shown}."
        ),
    ]
    lines = [f"What changed in the {import_name(run)} ({shown}):"]
    for item in page.items:
        card, plain = change_item(item, page.team_id, page.today)
        blocks.append(card)
        lines.append(plain)
    paging = list_paging(
        ref,
        block_id=BlockId.WHAT_CHANGED_PAGING,
        previous=ActionId.WHAT_CHANGED_PREVIOUS_PAGE,
        next_=ActionId.WHAT_CHANGED_NEXT_PAGE,
        offset=page.offset,
        page_size=page.page_size,
        total=page.total,
    )
    if paging is not None:
        blocks.append(paging)
    return Message(text=truncate("\n".join(lines), SECTION_CHARS), blocks=blocks)


def stale_changes_message() -> Message:
    return notice("This “What changed” button is out of date. `/renewals imports` lists the imports.")
