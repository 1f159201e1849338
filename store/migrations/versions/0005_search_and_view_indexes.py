"""search and view indexes

The upcoming-renewals view and client search run in the database:

- `client.name_folded` is filled again from `store.rules.fold(name)` for every existing
  client (search compares it in SQL now, so it must be exactly what the import writes), and on
  PostgreSQL it takes the "C" collation, so it sorts and compares by code point as Python does
  (the view's tie-break on the name, prefix search through its index, whatever the locale);
- clients are found by name through an index that holds everything a search reads (in place
  of the one on names alone), by domain through another, and ended ones and each owner's too;
- contract changes get one index for the view's window and order (deadlines) that also holds
  everything its counts and totals read (type, status, client, amounts and currencies), in place
  of the one on deadlines alone;
- on PostgreSQL, names and domains get trigram (pg_trgm) indexes for substring and typo search;
- the query planner's statistics are gathered (SQLite never does by itself; imports refresh them).

Downgrading drops the indexes and gives `name_folded` the database's default collation back;
the pg_trgm extension stays installed (other objects may use it, and it holds no data).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.bulk_io import refresh_statistics
from store.rules import fold

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5_000


def _refold_names() -> None:
    connection = op.get_bind()
    client = sa.table("client", sa.column("id", sa.Integer), sa.column("name"), sa.column("name_folded"))
    rows = connection.execute(sa.select(client.c.id, client.c.name, client.c.name_folded)).all()
    stale = [{"key": id_, "folded": fold(name)} for id_, name, folded in rows if fold(name) != folded]
    update = (
        client.update().where(client.c.id == sa.bindparam("key")).values(name_folded=sa.bindparam("folded"))
    )
    for start in range(0, len(stale), _BATCH):
        connection.execute(update, stale[start : start + _BATCH])


_SEARCH = ["workspace_id", "name_folded", "domain", "hub_id", "association_ended_at"]
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


def upgrade() -> None:
    _refold_names()
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:  # before the indexes on the column are made
        op.execute('ALTER TABLE client ALTER COLUMN name_folded TYPE VARCHAR(500) COLLATE "C"')
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_index("ix_client_workspace_name")
        batch_op.create_index("ix_client_search", _SEARCH, unique=False)
        batch_op.create_index("ix_client_workspace_domain", ["workspace_id", "domain"], unique=False)
        batch_op.create_index("ix_client_workspace_ended", ["workspace_id", "association_ended_at"], unique=False)
        batch_op.create_index("ix_client_workspace_owner", ["workspace_id", "owner_member_id"], unique=False)
    with op.batch_alter_table("contract_change", schema=None) as batch_op:
        batch_op.drop_index("ix_change_workspace_deadline")
        batch_op.create_index("ix_change_window", _WINDOW, unique=False)
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_client_name_trgm ON client USING gin (name_folded gin_trgm_ops)")
        op.execute("CREATE INDEX ix_client_domain_trgm ON client USING gin (domain gin_trgm_ops)")
    # The planner's statistics, for the new indexes to be chosen (imports refresh them later).
    refresh_statistics(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_client_domain_trgm")
        op.execute("DROP INDEX ix_client_name_trgm")
        op.execute("ALTER TABLE client ALTER COLUMN name_folded TYPE VARCHAR(500) COLLATE pg_catalog.default")
    with op.batch_alter_table("contract_change", schema=None) as batch_op:
        batch_op.drop_index("ix_change_window")
        batch_op.create_index(
            "ix_change_workspace_deadline", ["workspace_id", "renewal_deadline"], unique=False
        )
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_index("ix_client_workspace_owner")
        batch_op.drop_index("ix_client_workspace_ended")
        batch_op.drop_index("ix_client_workspace_domain")
        batch_op.drop_index("ix_client_search")
        batch_op.create_index("ix_client_workspace_name", ["workspace_id", "name_folded"], unique=False)
