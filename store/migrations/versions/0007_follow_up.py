"""follow up: snooze and handled

A new table, `follow_up`: one row per contract change a person snoozed ("Snooze 3 days") or
marked handled ("Handled"). No existing table changes, so every row already stored is kept.

Revision ID: 0007
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa

import store.types
from alembic import op

revision: str = "0007"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUS = sa.Enum(
    "pending", "renewed", "confirmed", "cancellation requested", name="status", native_enum=False, length=32
)
_OWNER_KIND = sa.Enum("hubspot", "partner", name="ownerkind", native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("snoozed_by", sa.String(length=64), nullable=True),
        sa.Column("snoozed_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.String(length=64), nullable=True),
        sa.Column("handled_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handled_status", _STATUS, nullable=True),
        sa.Column("handled_deadline", sa.Date(), nullable=True),
        sa.Column("handled_owner_kind", _OWNER_KIND, nullable=True),
        sa.Column("handled_owner_member_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["change_id"], ["contract_change.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "change_id", name="uq_follow_up_change"),
    )
    op.create_index("ix_follow_up_workspace_id", "follow_up", ["workspace_id"])
    op.create_index("ix_follow_up_change_id", "follow_up", ["change_id"])


def downgrade() -> None:
    op.drop_index("ix_follow_up_change_id", table_name="follow_up")
    op.drop_index("ix_follow_up_workspace_id", table_name="follow_up")
    op.drop_table("follow_up")
