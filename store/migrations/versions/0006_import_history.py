"""import history

- `import_run`: every import (command line or Slack): when, who, which file, its counts, the
  changes that matter ("What changed") and when the digest channels were all told;
- `import_alert`: the once-per-(import, channel) claim of a "What changed" message;
- `contract_change.removed_at` / `removed_by_import_id`: a change the export no longer holds
  for a client it lists leaves the view but stays as a row (existing rows: not removed); the
  view's index holds `removed_at` too, so its counts and totals still never visit the table;
- `audit_event.import_id`: which import made a change.

Columns are added to existing tables with plain ALTER TABLE (no table rebuild on SQLite, which
with foreign keys on would delete the rows of tables that reference the rebuilt one).

Downgrading drops them; a change an import had removed is then shown again (the older schema
has no way to hide it), and the import history is lost.

Revision ID: 0006
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = "0006"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WINDOW = [
    "workspace_id",
    "renewal_deadline",
    "contract_type",
    "status",
    "client_id",
    "current_mrr",
    "current_mrr_currency",
    "estimated_new_mrr",
    "estimated_new_mrr_currency",
]


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "import_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", _text(64), nullable=False),
        sa.Column("via", _text(16), nullable=False),
        sa.Column("file_name", _text(255), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in ("rows", "created", "updated", "unchanged", "invalid", "removed", "skipped")
        ),
        sa.Column("what_changed", sa.JSON(), nullable=True),
        sa.Column("alerts_done_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.create_index("ix_import_run_workspace_at", ["workspace_id", "at"], unique=False)
        batch_op.create_index("ix_import_run_alerts", ["alerts_done_at", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_import_run_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "import_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("import_run_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", _text(32), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("claim_token", _text(64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("message_ts", _text(32), nullable=True),
        sa.Column("error", _text(500), nullable=True),
        sa.ForeignKeyConstraint(["import_run_id"], ["import_run.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("import_run_id", "channel_id", name="uq_import_alert_channel"),
    )
    with op.batch_alter_table("import_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_alert_import_run_id"), ["import_run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_import_alert_workspace_id"), ["workspace_id"], unique=False)

    # Plain ALTER TABLE, not batch mode: on SQLite batch mode would copy and drop contract_change,
    # and with foreign keys on that drop deletes every row that references it. So the import's
    # IDs are plain columns (no foreign key, which SQLite cannot add in place).
    op.add_column("contract_change", sa.Column("removed_at", store.types.UTCDateTime(timezone=True), nullable=True))
    op.add_column("contract_change", sa.Column("removed_by_import_id", sa.Integer(), nullable=True))
    op.drop_index("ix_change_window", table_name="contract_change")
    op.create_index("ix_change_window", "contract_change", [*_WINDOW, "removed_at"], unique=False)
    op.add_column("audit_event", sa.Column("import_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_event", "import_id")
    op.drop_index("ix_change_window", table_name="contract_change")
    op.create_index("ix_change_window", "contract_change", _WINDOW, unique=False)
    op.drop_column("contract_change", "removed_by_import_id")
    op.drop_column("contract_change", "removed_at")
    with op.batch_alter_table("import_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_alert_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_import_alert_import_run_id"))
    op.drop_table("import_alert")
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_run_workspace_id"))
        batch_op.drop_index("ix_import_run_alerts")
        batch_op.drop_index("ix_import_run_workspace_at")
    op.drop_table("import_run")
