"""import change

`import_change`: every change that matters of an import (cancellation requested, new and due
soon, moved start date), one row each, so "What changed"'s "View all" pages through an import's
whole list in the database. Imports recorded before it keep the changes their message showed
(the soonest of each kind, from `import_run.what_changed`), copied in here.

A new table only: nothing existing is rebuilt. Downgrading drops it (the messages' "View all"
then finds nothing).

Revision ID: 0012
Revises: 0006
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = ("cancellation", "due_soon", "moved")


def _backfill() -> None:
    runs = sa.table(
        "import_run",
        sa.column("id", sa.Integer()),
        sa.column("workspace_id", sa.Integer()),
        sa.column("what_changed", sa.JSON()),
    )
    changes = sa.table(
        "import_change",
        sa.column("workspace_id", sa.Integer()),
        sa.column("import_run_id", sa.Integer()),
        sa.column("change_id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("moved_from", sa.Date()),
    )
    connection = op.get_bind()
    rows: list[dict[str, Any]] = []
    query = sa.select(runs.c.id, runs.c.workspace_id, runs.c.what_changed).where(
        runs.c.what_changed.is_not(None)
    )
    for run_id, workspace_id, what in connection.execute(query):
        moved = (what or {}).get("moved_from") or {}
        for kind in _KINDS:
            for change_id in ((what or {}).get(kind) or {}).get("change_ids") or []:
                old = moved.get(str(change_id)) if kind == "moved" else None
                rows.append(
                    {
                        "workspace_id": workspace_id,
                        "import_run_id": run_id,
                        "change_id": int(change_id),
                        "kind": kind,
                        "moved_from": date.fromisoformat(old) if old else None,
                    }
                )
    if rows:
        connection.execute(changes.insert(), rows)


def upgrade() -> None:
    op.create_table(
        "import_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("import_run_id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("moved_from", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["import_run_id"], ["import_run.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_import_change_import_run_id"), "import_change", ["import_run_id"], unique=False)
    op.create_index(op.f("ix_import_change_workspace_id"), "import_change", ["workspace_id"], unique=False)
    _backfill()


def downgrade() -> None:
    op.drop_index(op.f("ix_import_change_workspace_id"), table_name="import_change")
    op.drop_index(op.f("ix_import_change_import_run_id"), table_name="import_change")
    op.drop_table("import_change")
