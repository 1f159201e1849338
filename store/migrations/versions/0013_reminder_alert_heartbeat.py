"""reminder and alert claim heartbeat

Reminder runs and "What changed" alerts get the digest run's claim columns (0011): `heartbeat_at`
renewed while their holder posts, so a silent one is taken over within the takeover interval
instead of ten minutes; `claimed_by` (host and process id); `started_at`, when first claimed, the
point from which a takeover looks in Slack for what was already posted. Existing rows start
with `started_at` = `claimed_at`.

Revision ID: 0013
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = "0013"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("reminder_run", "import_alert")


# Plain ALTER TABLE, not batch mode (see 0009): adding nullable columns needs no table rebuild.


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("started_at", store.types.UTCDateTime(timezone=True), nullable=True))
        op.add_column(table, sa.Column("heartbeat_at", store.types.UTCDateTime(timezone=True), nullable=True))
        op.add_column(table, sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        op.execute(f"UPDATE {table} SET started_at = claimed_at")  # one of TABLES, not input


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "claimed_by")
        op.drop_column(table, "heartbeat_at")
        op.drop_column(table, "started_at")
