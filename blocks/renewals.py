"""`/renewals`: the upcoming-renewals table as one Block Kit message.

Slack's limits hold by construction: one table per message, a page of at most
`PAGE_SIZE` rows (+ header) of at most 16 columns, cell text cut with an ellipsis so
the table stays within 10,000 characters, fewer than 10 blocks, and a plain `text`
fallback. Cells are `raw_text` made by blocks.format.cell_text, the same text the
terminal shows; raw_text is never parsed as mrkdwn, so a client named `<!channel>`
is shown literally there. Everything in mrkdwn goes through blocks.text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    StaticSelectElement,
    TableBlock,
)
from slack_sdk.models.blocks.basic_components import TableBlockColumnSettings

from blocks import format as fmt
from blocks.client_actions import client_action_buttons
from blocks.ids import ActionId, BlockId
from blocks.limits import (
    MAX_TABLE_CELLS,
    MAX_TABLE_ROWS,
    OPTION_TEXT_CHARS,
    OPTION_VALUE_CHARS,
    TABLE_TEXT_CHARS,
)
from blocks.message import Message, notice, section, table
from blocks.text import escape, mrkdwn, truncate
from blocks.values import ClientRef, DigestListRef, ImportChangesRef, PageRef, encode
from store.columns import Column
from store.filters import Filters
from store.rules import UPCOMING_WINDOW_DAYS
from store.upcoming import UpcomingView

PAGE_SIZE = 20  # rows per page: 21 table rows x 16 columns stays far inside Slack's limits
MAX_COMMAND_TEXT = 1000  # longer /renewals text is refused (it rides in every button value)
HEADER_TEXT = "Upcoming renewals"
NEXT_LABEL = "Next"
PREVIOUS_LABEL = "Previous"
SHARE_LABEL = "Share to channel"
COLUMNS_LABEL = "Columns"
EXPORT_LABEL = "Export CSV"
OPEN_CLIENT_PLACEHOLDER = "Open a client…"

_RIGHT = frozenset({Column.MAX_CONTACTS, Column.EMAIL_LIMIT, Column.CURRENT_MRR, Column.ESTIMATED_NEW_MRR})
_WRAPPED = frozenset({Column.CLIENT, Column.PRIMARY_CONTACT})


def fit_cells(rows: Sequence[Sequence[str]], budget: int = TABLE_TEXT_CHARS) -> list[list[str]]:
    """Cut the longest cells (with an ellipsis) until all the text fits `budget` characters.

    Short cells are never touched: the cut length is the largest one that fits, so a
    single very long client name does not shorten every other cell.
    """
    lengths = [len(cell) for row in rows for cell in row]
    if sum(lengths) <= budget:
        return [list(row) for row in rows]
    low, high = 1, max(lengths)
    while low < high:
        middle = (low + high + 1) // 2
        if sum(min(length, middle) for length in lengths) <= budget:
            low = middle
        else:
            high = middle - 1
    return [[truncate(cell, low) for cell in row] for row in rows]


def renewals_table(view: UpcomingView, columns: Sequence[Column]) -> TableBlock:
    """The table: a header row and one row per contract change on this page."""
    columns = list(columns)[:MAX_TABLE_CELLS]
    text_rows = [[column.label for column in columns]]
    text_rows += [[fmt.cell_text(column, row) or fmt.EMPTY for column in columns] for row in view.rows]
    text_rows = fit_cells(text_rows[:MAX_TABLE_ROWS])
    # `None` leaves a column at Slack's defaults (left-aligned, not wrapped).
    settings: list[TableBlockColumnSettings | None] = [
        TableBlockColumnSettings(align="right")
        if column in _RIGHT
        else TableBlockColumnSettings(is_wrapped=True)
        if column in _WRAPPED
        else None
        for column in columns
    ]
    return table(text_rows, settings)


def filters_text(filters: Filters, *, live_mentions: bool = True) -> str:
    """'type: Renewal · owner: you · search “acme” · next 30 days' (mrkdwn, escaped).

    A shared message names an owner as text: a mention there would notify them.
    """
    query = filters.query
    parts = []
    if query.words:
        parts.append(f"search “{mrkdwn(query.words, 200)}”")
    if query.contract_type is not None:
        parts.append(f"type: {query.contract_type.label}")
    if query.status is not None:
        parts.append(f"status: {query.status.label}")
    if query.owner is not None:
        if query.owner == "me":
            owner = "you" if live_mentions else "the sharer"
        elif query.owner == "hubspot":
            owner = "HubSpot"
        elif query.owner == "partner":
            owner = "the partner"
        elif live_mentions:
            owner = f"<@{query.owner}>"
        else:
            owner = "@" + mrkdwn(filters.owner_name or query.owner, 80)
        parts.append(f"owner: {owner}")
    parts.append(f"next {fmt.plural(query.days, 'day')}")
    return " · ".join(parts)


def list_paging(
    ref: DigestListRef | ImportChangesRef,
    *,
    block_id: BlockId,
    previous: ActionId,
    next_: ActionId,
    offset: int,
    page_size: int,
    total: int,
) -> ActionsBlock | None:
    """Previous / Next under a whole list opened from a message ("View all"), each carrying `ref` at
    the page it opens; None on a list of one page."""

    def button(label: str, action_id: ActionId, to: int, style: str | None = None) -> ButtonElement:
        value = encode(ref.model_copy(update={"offset": max(0, to)}))
        return ButtonElement(
            text=PlainTextObject(text=label), action_id=action_id.value, value=value, style=style
        )

    buttons = []
    if offset > 0:
        buttons.append(button(PREVIOUS_LABEL, previous, offset - page_size))
    if offset + page_size < total:
        buttons.append(button(NEXT_LABEL, next_, offset + page_size, style="primary"))
    return ActionsBlock(block_id=block_id.value, elements=buttons) if buttons else None


def _actions(view: UpcomingView, *, text: str, team_id: str) -> ActionsBlock:
    def button(label: str, action_id: ActionId, offset: int, style: str | None = None) -> ButtonElement:
        """A button that carries the typed text and the page it acts on (`offset`)."""
        ref = PageRef(text=text[:MAX_COMMAND_TEXT], offset=max(0, offset), team_id=team_id)
        return ButtonElement(
            text=PlainTextObject(text=label), action_id=action_id.value, value=encode(ref), style=style
        )

    buttons = []
    if view.has_previous:
        buttons.append(button(PREVIOUS_LABEL, ActionId.PREVIOUS_PAGE, view.offset - view.page_size))
    if view.has_next:
        buttons.append(button(NEXT_LABEL, ActionId.NEXT_PAGE, view.offset + view.page_size, style="primary"))
    buttons.append(button(SHARE_LABEL, ActionId.SHARE, view.offset))
    buttons.append(button(COLUMNS_LABEL, ActionId.CHOOSE_COLUMNS, view.offset))
    buttons.append(button(EXPORT_LABEL, ActionId.EXPORT_CSV, 0))  # every page, whichever is shown
    return ActionsBlock(block_id=BlockId.PAGING.value, elements=[*buttons, _client_picker(view, team_id)])


def _client_picker(view: UpcomingView, team_id: str) -> StaticSelectElement:
    """The clients on this page: picking one shows its detail with its buttons (Reassign
    contact, Change owner, End association), which a table cell cannot hold."""
    seen: dict[int, str] = {}
    for row in view.rows:
        seen.setdefault(row.client_id, row.client_name)
    options = [
        Option(
            value=encode(ClientRef(client_id=client_id, team_id=team_id), limit=OPTION_VALUE_CHARS),
            text=PlainTextObject(text=truncate(name, OPTION_TEXT_CHARS)),
        )
        for client_id, name in seen.items()
    ]
    return StaticSelectElement(
        action_id=ActionId.OPEN_CLIENT.value,
        placeholder=PlainTextObject(text=OPEN_CLIENT_PLACEHOLDER),
        options=options,
    )


def _single_client_actions(view: UpcomingView, team_id: str) -> list[Block]:
    """When every match is one client's (a search for it), its buttons right under the table.

    With several clients a table row cannot hold buttons; "Open a client…" leads to them.
    """
    clients = {row.client_id: row.client_name for row in view.rows}
    if view.total != len(view.rows) or len(clients) != 1:
        return []
    ((client_id, name),) = clients.items()
    return [
        section(f"*{mrkdwn(name, 2900)}*"),
        client_action_buttons(client_id, team_id, association_active=True, client_name=name),
    ]


def _range(view: UpcomingView) -> str | None:
    """'21–40 of 57' when the matches span several pages."""
    if view.total <= len(view.rows):
        return None
    return f"{view.offset + 1:,}–{view.offset + len(view.rows):,} of {view.total:,}"


def renewals_message(
    view: UpcomingView,
    filters: Filters,
    columns: Sequence[Column],
    *,
    team_id: str,
    text: str,
    shared_by: str | None = None,
) -> Message:
    """One page of the table. `text` is what the person typed (carried by the buttons).

    A shared copy (`shared_by` = the sharer's user ID) has no buttons: paging it would
    change the channel's message under everyone's eyes.
    """
    count = fmt.plural(view.total, "contract change")
    at_stake = fmt.money_totals(view.mrr_at_stake)
    shown = _range(view)
    summary = f"*{count}* · *{at_stake}* MRR at stake on those that still need action"
    if shown:
        summary += f" · showing {shown}"
    shared = shared_by is not None
    context = [f"{filters_text(filters, live_mentions=not shared)} · as of {fmt.day(view.today)}"]
    if shared:
        context.insert(0, f"Shared by <@{shared_by}>")
    else:
        context.append("Columns: `/renewals columns` · Help: `/renewals help`")
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=HEADER_TEXT)),
        section(summary),
        ContextBlock(elements=[MarkdownTextObject(text=truncate(line, 2000)) for line in context]),
        renewals_table(view, columns),
    ]
    if not shared:
        blocks.append(_actions(view, text=text, team_id=team_id))
        blocks.extend(_single_client_actions(view, team_id))
    fallback = f"{HEADER_TEXT}: {count}{f' ({shown})' if shown else ''}, {at_stake} MRR at stake"
    if shared:
        fallback += f", shared by <@{shared_by}>"
    return Message(text=fallback, blocks=blocks)


def empty_message(filters: Filters, *, today: date, any_upcoming: bool) -> Message:
    """Nothing to show: say why, and what to try instead."""
    query = filters.query
    if not any_upcoming and query.days == UPCOMING_WINDOW_DAYS:
        return notice(
            f"No contract changes start in the next {UPCOMING_WINDOW_DAYS} days (as of {fmt.day(today)}). "
            "If that is a surprise, import the partner dashboard's export: "
            "`renewals-bot import FILE.csv`."
        )
    tips = []
    if query.words:
        tips.append(f"`/renewal {mrkdwn(query.words, 100)}` shows the client with all its contract changes")
    if query.days < UPCOMING_WINDOW_DAYS:
        tips.append(f"a longer window: `days:{UPCOMING_WINDOW_DAYS}`")
    if query.contract_type or query.status or query.owner:
        tips.append("fewer filters")
    if not tips:
        tips.append("other words: a client name, website domain or Hub ID")
    return notice(
        f"No contract changes match: {filters_text(filters)} (as of {fmt.day(today)}). "
        f"Try {' or '.join(tips)}."
    )


def filter_error_message(problem: str) -> Message:
    """A filter the app cannot use (`problem` names it and what is allowed; escaped here)."""
    return notice(
        f"{escape(problem)}\nExample: `/renewals acme type:renewal status:pending owner:me days:30`"
    )


def too_long_message() -> Message:
    return notice(f"That is more than {MAX_COMMAND_TEXT} characters: try fewer words.")


def export_comment(view_text: str, count: int, today: date) -> str:
    """The message the exported file comes with in the person's DM (mrkdwn)."""
    what = f"`/renewals {mrkdwn(view_text, 500)}`" if view_text else "`/renewals`"
    return (
        f"{what} as of {fmt.day(today)}: {fmt.plural(count, 'contract change')}, every page, in the "
        "import format. Importing this file again changes nothing: its last column names the view, so "
        "the import removes nothing outside it."
    )


def export_sent_message(count: int) -> Message:
    return notice(
        f":inbox_tray: Sent you {fmt.plural(count, 'contract change')} as a CSV file in a direct message."
    )


def export_failed_message(reason: str) -> Message:
    return notice(f"I could not send you the CSV file: {escape(reason)}. Nothing was sent.")


def stale_page_message() -> Message:
    return notice("This table is out of date. Run `/renewals` again.")
