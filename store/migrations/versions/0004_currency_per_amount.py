"""currency per amount

Each money cell keeps its own currency (a client may move from EUR to GBP at renewal), so
the one `currency` of a contract change becomes `current_mrr_currency` and
`estimated_new_mrr_currency`. Every stored amount keeps the currency it had: the old column
is copied to the currency of each amount there is (USD where none was stored, as the app
showed it), then dropped.

Downgrading goes back to one currency per change: the current MRR's (else the estimated
new MRR's). An estimated new MRR in another currency than the current one cannot be held
there and is cleared rather than shown in the wrong currency.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contract_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("current_mrr_currency", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("estimated_new_mrr_currency", sa.String(length=3), nullable=True))
    op.execute(
        "UPDATE contract_change SET "
        "current_mrr_currency = CASE WHEN current_mrr IS NOT NULL THEN COALESCE(currency, 'USD') END, "
        "estimated_new_mrr_currency = CASE WHEN estimated_new_mrr IS NOT NULL THEN COALESCE(currency, 'USD') END"
    )
    with op.batch_alter_table("contract_change", schema=None) as batch_op:
        batch_op.drop_column("currency")


def downgrade() -> None:
    with op.batch_alter_table("contract_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
    op.execute(
        "UPDATE contract_change SET estimated_new_mrr = NULL "
        "WHERE current_mrr_currency <> estimated_new_mrr_currency"
    )
    op.execute(
        "UPDATE contract_change SET currency = COALESCE(current_mrr_currency, estimated_new_mrr_currency)"
    )
    with op.batch_alter_table("contract_change", schema=None) as batch_op:
        batch_op.drop_column("estimated_new_mrr_currency")
        batch_op.drop_column("current_mrr_currency")
