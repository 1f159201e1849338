"""The terminal's view of the app: import progress and the upcoming-renewals table.

The table is built from the same view model (store.upcoming) and the same cell texts
(blocks.format.cell_text) as the Slack table, so the two can never disagree.

Whether the output is a terminal is decided once, in `make_console`, and every command prints
through the console it returns: a terminal gets rich tables; anything else (a pipe, a file, a
cron log) gets one line per contract change (`print_table`), nothing wrapped mid-word.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from blocks.format import cell_text, money_totals, plural
from store.columns import Column
from store.upcoming import UpcomingView

# The width of the rules between sections when the output is not a terminal; lines of text and
# table rows are never cut or wrapped at it (soft wrap).
PLAIN_WIDTH = 200
# Between the cells of a row printed as one line: readable in a cron log, easy to grep or cut on.
SEPARATOR = " | "
# Files smaller than this import too fast for a progress bar to be worth drawing.
PROGRESS_MIN_LINES = 2000

_RIGHT = {Column.MAX_CONTACTS, Column.EMAIL_LIMIT, Column.CURRENT_MRR, Column.ESTIMATED_NEW_MRR}


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def make_console(*, stderr: bool = False) -> Console:
    """The console a command prints with: the one place that decides "terminal or not".

    The stream's own answer decides, not rich's environment overrides: FORCE_COLOR in a cron job
    must not turn its log back into tables folded at 80 columns.
    """
    if _is_terminal(sys.stderr if stderr else sys.stdout):
        return Console(stderr=stderr, highlight=False, force_terminal=True)
    return Console(stderr=stderr, highlight=False, force_terminal=False, width=PLAIN_WIDTH, soft_wrap=True)


def _one_line(text: str) -> str:
    # A client name imported with a line break in it still makes one line.
    return " ".join(text.split())


def print_table(
    console: Console,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    right: Collection[str] = (),
    row_styles: Sequence[str] | None = None,
) -> None:
    """Rows of cell texts under their column headers (`right`: the right-aligned ones).

    In a terminal, a rich table. Anywhere else, a line naming the columns, then each row on one
    line, cells joined by SEPARATOR, never wrapped: every name, date and amount stays whole.
    """
    if not console.is_terminal:
        if title:
            console.print(Text(title), soft_wrap=True)
        for cells in (headers, *rows):
            console.print(Text(SEPARATOR.join(_one_line(cell) for cell in cells)), soft_wrap=True)
        return
    heading = Text(title, style="bold") if title else None
    table = Table(title=heading, title_justify="left", header_style="bold")
    for header in headers:
        table.add_column(header, justify="right" if header in right else "left", overflow="fold")
    for index, cells in enumerate(rows):
        # Text cells: a client named "[bold]" is shown as typed, never read as rich markup.
        table.add_row(*(Text(cell) for cell in cells), style=row_styles[index] if row_styles else None)
    console.print(table)


class ImportProgressBar:
    """A rich progress bar on stderr for the import's phases (an `ImportProgress`)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> ImportProgressBar:
        self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def phase(self, description: str, total: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total)
        self._task = self._progress.add_task(description, total=total)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)

    def reached(self, completed: int) -> None:
        """Set the current phase's count (reading reports lines read so far)."""
        if self._task is not None:
            self._progress.update(self._task, completed=completed)


class _Silent:
    def phase(self, description: str, total: int) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def reached(self, completed: int) -> None:
        pass


@contextmanager
def import_progress(lines: int) -> Iterator[ImportProgressBar | _Silent]:
    """A progress bar when stderr is a terminal and the file is big enough to wait for."""
    console = make_console(stderr=True)
    if not console.is_terminal or lines < PROGRESS_MIN_LINES:
        yield _Silent()
        return
    with ImportProgressBar(console) as bar:
        yield bar


def renewals_header(view: UpcomingView) -> str:
    """The summary line above the table, in the Slack message's words (blocks.renewals)."""
    count = plural(view.total, "contract change")
    summary = f"{count} · {money_totals(view.mrr_at_stake)} MRR at stake on those that still need action"
    if view.total > len(view.rows):
        summary += f" · showing {view.offset + 1:,}–{view.offset + len(view.rows):,} of {view.total:,}"
    return f"{summary} · as of {view.today.isoformat()}"


def print_renewals(console: Console, view: UpcomingView, columns: list[Column]) -> None:
    """What `/renewals` shows: the title, the summary line, the table and the paging hint."""
    console.print(Text("Upcoming renewals", style="bold"))
    console.print(Text(renewals_header(view)))
    if not view.rows:
        console.print(Text(f"No contract changes start in the next {view.query.days} days."))
        return
    print_table(
        console,
        [column.label for column in columns],
        [[cell_text(column, row) for column in columns] for row in view.rows],
        right={column.label for column in _RIGHT},
        row_styles=["bold" if row.needs_action else "dim" for row in view.rows],
    )
    if view.has_next:
        console.print(Text("Next shows the following page; Columns adds or hides columns.", style="dim"))
