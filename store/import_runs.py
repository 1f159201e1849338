"""The import history: every import written (command line or Slack), who ran it, and its counts.

`record_import` is the one way an import is written and recorded, whoever runs it: it creates
the `ImportRun` row, imports through store.importer with the row's ID (stamped on the history
it writes and on the changes it removes), then keeps the counts and what changed that matters.
An import refused for invalid rows wrote nothing and is not recorded (the person who ran it
got the list of bad rows). Functions take `*, session` and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from store.bulk_io import ImportProgress
from store.csv_format import ParsedFile
from store.import_changes import ChangedRow
from store.importer import ImportResult, import_parsed
from store.models import ImportRun, Workspace
from store.types import utcnow
from store.upcoming import load_rows
from store.what_changed import ChangeKind, WhatChanged
from store.workspaces import ensure_workspace

RECENT_IMPORTS = 10
FILE_NAME_CHARS = 255


class ImportVia(StrEnum):
    COMMAND_LINE = "command_line"
    SLACK = "slack"


def record_import(
    parsed: ParsedFile,
    team_id: str,
    *,
    session: Session,
    actor: str,
    file_name: str,
    via: ImportVia,
    skip_invalid: bool = False,
    progress: ImportProgress | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import `parsed` into `team_id`'s workspace and record it in the history (not committed).

    `result.import_id` is the history row's ID (None when the import was refused).
    """
    if parsed.problems and not skip_invalid:  # refused: writes nothing, not even the history
        return import_parsed(
            parsed, team_id, session=session, actor=actor, source=file_name, skip_invalid=False
        )
    workspace = ensure_workspace(team_id, session=session)
    assert workspace.id is not None
    run = ImportRun(
        workspace_id=workspace.id,
        at=now or utcnow(),
        actor=actor[:64],
        via=via.value,
        file_name=file_name[:FILE_NAME_CHARS],
    )
    session.add(run)
    session.flush()
    assert run.id is not None
    result = import_parsed(
        parsed,
        team_id,
        session=session,
        actor=actor,
        source=file_name,
        skip_invalid=skip_invalid,
        progress=progress,
        import_id=run.id,
    )
    result.import_id = run.id
    run.rows, run.created, run.updated, run.unchanged = (
        result.rows,
        result.created,
        result.updated,
        result.unchanged,
    )
    run.invalid, run.removed, run.skipped = result.invalid, result.removed, result.skipped
    run.what_changed = result.what_changed.to_json()
    if run.what_changed is None:  # nothing to tell any channel
        run.alerts_done_at = run.at
    session.add(run)
    session.flush()
    return result


def recent_imports(workspace_id: int, *, session: Session, limit: int = RECENT_IMPORTS) -> list[ImportRun]:
    """The workspace's last imports, newest first."""
    query = (
        select(ImportRun)
        .where(ImportRun.workspace_id == workspace_id)
        .order_by(col(ImportRun.at).desc(), col(ImportRun.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def imports_by_id(ids: Iterable[int | None], *, session: Session, workspace_id: int) -> dict[int, ImportRun]:
    """These imports of the workspace (another workspace's IDs find nothing)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    query = select(ImportRun).where(ImportRun.workspace_id == workspace_id, col(ImportRun.id).in_(wanted))
    return {run.id: run for run in session.exec(query) if run.id is not None}


def get_import(import_id: int, *, session: Session) -> tuple[ImportRun, Workspace] | None:
    query = (
        select(ImportRun, Workspace)
        .join(Workspace, col(Workspace.id) == col(ImportRun.workspace_id))
        .where(ImportRun.id == import_id)
    )
    found = session.exec(query).first()
    return (found[0], found[1]) if found else None


def imports_to_announce(*, session: Session, since: datetime) -> list[int]:
    """Imports since `since` whose "What changed" is not yet out in every digest channel."""
    query = (
        select(ImportRun.id)
        .where(col(ImportRun.alerts_done_at).is_(None), col(ImportRun.at) >= since)
        .order_by(col(ImportRun.at), col(ImportRun.id))
    )
    return [i for i in session.exec(query) if i is not None]


def what_changed(run: ImportRun) -> WhatChanged:
    return WhatChanged.from_json(run.what_changed)


def mark_announced(import_id: int, *, session: Session, now: datetime | None = None) -> None:
    run = session.get(ImportRun, import_id)
    if run is not None and run.alerts_done_at is None:
        run.alerts_done_at = now or utcnow()
        session.add(run)


# --- "What changed": what a digest channel is told about one import ----------------------------


@dataclass(frozen=True)
class Announcement:
    """One import's changes that matter: counted and totalled as the import found them, and the
    soonest of each kind as they are now (one removed or ended since is left out)."""

    team_id: str
    run: ImportRun
    today: date
    what: WhatChanged
    items: list[ChangedRow]  # by kind (ChangeKind order), then soonest deadline first

    @property
    def total(self) -> int:
        return sum(summary.count for summary in self.what.kinds.values())


def announcement(run: ImportRun, workspace: Workspace, *, session: Session, today: date) -> Announcement:
    what = what_changed(run)
    rows = load_rows(workspace, session=session, today=today, change_ids=what.change_ids())
    kinds = list(ChangeKind)
    items = [
        ChangedRow(row, kind, what.moved_from.get(row.change_id))
        for row in rows
        if (kind := what.kind_of(row.change_id)) is not None
    ]
    items.sort(key=lambda item: kinds.index(item.kind))  # stable: deadline order within a kind
    return Announcement(team_id=workspace.team_id, run=run, today=today, what=what, items=items)
