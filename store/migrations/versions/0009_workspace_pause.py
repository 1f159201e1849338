"""workspace pause

A workspace whose installation was removed (app_uninstalled, tokens_revoked) or whose token
Slack refuses is paused: `paused_at` and `paused_reason` say since when and why, and jobs skip
it until it is installed again. Existing workspaces start unpaused.

Revision ID: 0009
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = "0009"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not batch mode: on SQLite batch mode would copy and drop the workspace
# table, and with foreign keys on that drop deletes every row that references it (SQLite has
# had ADD and DROP COLUMN since 3.35).


def upgrade() -> None:
    op.add_column("workspace", sa.Column("paused_at", store.types.UTCDateTime(timezone=True), nullable=True))
    op.add_column(
        "workspace", sa.Column("paused_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("workspace", "paused_reason")
    op.drop_column("workspace", "paused_at")
