"""The terminal's view of the app: import progress and the upcoming-renewals table.

The table is built from the same view model (store.upcoming) and the same cell texts
(blocks.format.cell_text) as the Slack table, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from blocks.format import cell_text, money_totals
from store.columns import Column
from store.upcoming import UpcomingView

# Wide enough for the default columns when the output is not a terminal (a pipe, a test).
PLAIN_WIDTH = 200
# Files smaller than this import too fast for a progress bar to be worth drawing.
PROGRESS_MIN_LINES = 2000

_RIGHT = {Column.MAX_CONTACTS, Column.EMAIL_LIMIT, Column.CURRENT_MRR, Column.ESTIMATED_NEW_MRR}


def make_console(*, stderr: bool = False) -> Console:
    probe = Console(stderr=stderr)
    return probe if probe.is_terminal else Console(stderr=stderr, width=PLAIN_WIDTH, soft_wrap=True)


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
    console = Console(stderr=True)
    if not console.is_terminal or lines < PROGRESS_MIN_LINES:
        yield _Silent()
        return
    with ImportProgressBar(console) as bar:
        yield bar


def renewals_header(view: UpcomingView) -> str:
    """The summary line above the table, in the Slack message's words (blocks.renewals)."""
    count = f"{view.total:,} contract change{'' if view.total == 1 else 's'}"
    summary = f"{count} · {money_totals(view.mrr_at_stake)} MRR at stake on those that still need action"
    if view.total > len(view.rows):
        summary += f" · showing {view.offset + 1:,}–{view.offset + len(view.rows):,} of {view.total:,}"
    return f"{summary} · as of {view.today.isoformat()}"


def renewals_table(view: UpcomingView, columns: list[Column]) -> Table:
    """The /renewals table for a terminal: the Slack table's columns and cell texts."""
    table = Table(show_lines=False, header_style="bold", expand=False)
    for column in columns:
        table.add_column(column.label, justify="right" if column in _RIGHT else "left", overflow="fold")
    for row in view.rows:
        style = "bold" if row.needs_action else "dim"
        # Text cells: a client named "[bold]" is shown as typed, never read as rich markup.
        table.add_row(*(Text(cell_text(column, row)) for column in columns), style=style)
    return table


def print_renewals(console: Console, view: UpcomingView, columns: list[Column]) -> None:
    """What `/renewals` shows: the title, the summary line, the table and the paging hint."""
    console.print(Text("Upcoming renewals", style="bold"))
    console.print(Text(renewals_header(view)))
    if not view.rows:
        console.print(Text(f"No contract changes start in the next {view.query.days} days."))
        return
    console.print(renewals_table(view, columns))
    if view.has_next:
        console.print(Text("Next shows the following page; Columns adds or hides columns.", style="dim"))
