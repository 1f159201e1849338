"""Every change that matters of an import ("What changed"), one `ImportChange` row each.

The import writes them (`record_changes`) next to its counts; "View all" under a "What changed"
message reads that import's whole list back a page at a time (`changes_page`): the database
counts, orders (by kind, then soonest renewal deadline, as the message) and pages; only a page's
contract changes become rows, as they are now (one removed or ended since is left out).
Functions take `*, session` and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from store.bulk_io import ImportProgress, insert_rows
from store.models import ContractChange, ImportChange, ImportRun, Workspace
from store.upcoming import RenewalRow, load_rows, shown_conditions
from store.what_changed import ChangeKind, WhatChanged

_KIND_RANK = case({kind.value: rank for rank, kind in enumerate(ChangeKind)}, value=col(ImportChange.kind))


@dataclass(frozen=True)
class ChangedRow:
    row: RenewalRow
    kind: ChangeKind
    moved_from: date | None = None  # the old renewal start date of a moved one


def record_changes(
    changes: Iterable[tuple[int, ChangeKind, date | None]],
    *,
    session: Session,
    workspace_id: int,
    import_id: int,
    progress: ImportProgress,
) -> None:
    """Keep (contract change ID, kind, old start date) of each change that matters of an import."""
    insert_rows(
        session,
        ImportChange,
        (
            {
                "workspace_id": workspace_id,
                "import_run_id": import_id,
                "change_id": change_id,
                "kind": kind.value,
                "moved_from": moved_from,
            }
            for change_id, kind, moved_from in changes
        ),
        progress,
    )


@dataclass(frozen=True)
class ChangesPage:
    """A page of one import's whole list of changes that matter, as they are now."""

    team_id: str
    run: ImportRun
    what: WhatChanged  # counted and totalled as the import found them
    today: date
    items: list[ChangedRow]
    total: int  # still shown now (a change removed or ended since is not)
    offset: int
    page_size: int

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    @property
    def has_next(self) -> bool:
        return self.offset + self.page_size < self.total


def changes_page(
    import_id: int, workspace: Workspace, *, session: Session, today: date, offset: int, page_size: int
) -> ChangesPage | None:
    """A page of the changes of `import_id`, by kind then soonest deadline; None when the workspace
    has no such import (another workspace's import is not found)."""
    assert workspace.id is not None
    run = session.exec(
        select(ImportRun).where(ImportRun.id == import_id, ImportRun.workspace_id == workspace.id)
    ).first()
    if run is None:
        return None
    listed = (
        select(col(ImportChange.change_id), col(ImportChange.kind), col(ImportChange.moved_from))
        .join(ContractChange, col(ContractChange.id) == col(ImportChange.change_id))
        .where(
            ImportChange.import_run_id == import_id,
            ImportChange.workspace_id == workspace.id,
            *shown_conditions(workspace.id),
        )
    )
    total = session.exec(select(func.count()).select_from(listed.subquery())).one()
    page = session.exec(
        listed.order_by(_KIND_RANK, col(ContractChange.renewal_deadline), col(ContractChange.id))
        .offset(offset)
        .limit(page_size)
    ).all()
    rows = {
        row.change_id: row
        for row in load_rows(workspace, session=session, today=today, change_ids=[c for c, _k, _m in page])
    }
    items = [
        ChangedRow(rows[change_id], ChangeKind(kind), moved_from)
        for change_id, kind, moved_from in page
        if change_id in rows
    ]
    return ChangesPage(
        team_id=workspace.team_id,
        run=run,
        what=WhatChanged.from_json(run.what_changed),
        today=today,
        items=items,
        total=total,
        offset=offset,
        page_size=page_size,
    )
