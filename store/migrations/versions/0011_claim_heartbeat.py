"""digest run heartbeat

A claimed digest run renews `heartbeat_at` while it posts, so a run whose poster died is taken
over within about a minute instead of ten; `claimed_by` (host and process id) says who holds it;
`started_at` is when the run was first claimed, the point from which a takeover looks in the
channel for what was already posted. Existing runs start with `started_at` = `claimed_at`.

Revision ID: 0011
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = "0011"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not batch mode (see 0009): nothing references digest_run today, but a
# batch rebuild is never needed to add nullable columns.


def upgrade() -> None:
    op.add_column("digest_run", sa.Column("started_at", store.types.UTCDateTime(timezone=True), nullable=True))
    op.add_column(
        "digest_run", sa.Column("heartbeat_at", store.types.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "digest_run", sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
    )
    op.execute("UPDATE digest_run SET started_at = claimed_at")


def downgrade() -> None:
    op.drop_column("digest_run", "claimed_by")
    op.drop_column("digest_run", "heartbeat_at")
    op.drop_column("digest_run", "started_at")
