"""owner reminders

Personal reminders for communication owners (bot/jobs/reminders.py):

- `reminder_recipient`: a Slack user's reminders on or off, their time zone as Slack last said,
  and whether they can be messaged (no row: on);
- `reminder_run`: the once-per-person-per-local-day claim, as `digest_run`;
- `reminder_sent`: which reminders (7 or 1 days before which deadline) of which contract change
  went out, so each goes out once.

New tables only: existing data is untouched. Downgrading drops them.

Revision ID: 0008
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _workspace() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "workspace_id", sa.Integer(), sa.ForeignKey("workspace.id", ondelete="CASCADE"), nullable=False
    )


def _when(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, store.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "reminder_recipient",
        sa.Column("id", sa.Integer(), primary_key=True),
        _workspace(),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        _when("timezone_checked_at", nullable=True),
        sa.Column("unreachable_error", sa.String(length=100), nullable=True),
        _when("unreachable_at", nullable=True),
        _when("updated_at"),
        sa.UniqueConstraint("workspace_id", "user_id", name="uq_reminder_recipient_user"),
    )
    op.create_index("ix_reminder_recipient_workspace_id", "reminder_recipient", ["workspace_id"])
    op.create_table(
        "reminder_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        _workspace(),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("claimed_at"),
        _when("finished_at", nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.UniqueConstraint("workspace_id", "user_id", "local_date", name="uq_reminder_run_day"),
    )
    op.create_index("ix_reminder_run_workspace_id", "reminder_run", ["workspace_id"])
    op.create_table(
        "reminder_sent",
        sa.Column("id", sa.Integer(), primary_key=True),
        _workspace(),
        sa.Column(
            "change_id", sa.Integer(), sa.ForeignKey("contract_change.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("renewal_deadline", sa.Date(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column(
            "run_id", sa.Integer(), sa.ForeignKey("reminder_run.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        _when("sent_at"),
        sa.UniqueConstraint("change_id", "renewal_deadline", "days_before", name="uq_reminder_sent"),
    )
    op.create_index("ix_reminder_sent_workspace_id", "reminder_sent", ["workspace_id"])
    op.create_index("ix_reminder_sent_run_id", "reminder_sent", ["run_id"])


def downgrade() -> None:
    op.drop_table("reminder_sent")
    op.drop_table("reminder_run")
    op.drop_table("reminder_recipient")
