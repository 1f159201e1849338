"""workspace data version

`workspace.data_version` changes, in the same transaction, whenever a contract change, a
client or a partner member of the workspace is written (inserted, updated or deleted), by
triggers: so every writer is covered (the import, a person's change, the demo, a test's
factory) and none has to remember it. What a view counts and totals is then kept per data
version (store/view_cache.py) and Next / Previous need not count it all again.

The new value is random rather than one more, so that a workspace made again after its rows
were emptied (and its ID reused) never meets a version of the old one. 0 means "nothing was
ever written", which is true of a new workspace.

SQLite runs a trigger per row; PostgreSQL once per statement (a bulk COPY bumps once), with
the statement's rows as a transition table. The import pauses SQLite's inside its own
transaction and changes the version once (store.bulk_io.one_version_change). The bump holds the workspace row's lock until the
writing transaction ends, so on PostgreSQL writes to one workspace wait for one another (a
person's change waits for an import into the same workspace to commit); other workspaces and
all reads go on.

Beware: a later migration that rebuilds one of these tables on SQLite (`batch_alter_table`
that cannot ALTER in place) drops its triggers; it must make them again (`_create_sqlite`).
tests/test_view_cache.py fails when they are missing.

Revision ID: 0010
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("contract_change", "client", "partner_member")
_EVENTS = ("insert", "update", "delete")
_FUNCTION = "bump_workspace_data_version"
_RANDOM_PG = "floor((random() - 0.5) * 1.8e19)::bigint"  # any BIGINT, as SQLite's random()


def _create_sqlite(table: str) -> None:
    for event in _EVENTS:
        rows = {"insert": ["NEW"], "update": ["OLD", "NEW"], "delete": ["OLD"]}[event]
        ids = ", ".join(f"{row}.workspace_id" for row in rows)
        op.execute(
            f"CREATE TRIGGER {table}_data_version_{event} AFTER {event.upper()} ON {table} "
            f"BEGIN UPDATE workspace SET data_version = random() WHERE id IN ({ids}); END"
        )


def _create_postgresql(table: str) -> None:
    for event in _EVENTS:
        rows = "OLD" if event == "delete" else "NEW"  # an update never moves a row to another workspace
        op.execute(
            f"CREATE TRIGGER {table}_data_version_{event} AFTER {event.upper()} ON {table} "
            f"REFERENCING {rows} TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()"
        )


def upgrade() -> None:
    op.add_column("workspace", sa.Column("data_version", sa.BigInteger(), nullable=False, server_default="0"))
    postgresql = op.get_bind().dialect.name == "postgresql"
    # Workspaces that already hold rows get a version of their own (0 is for none ever written).
    op.execute(f"UPDATE workspace SET data_version = {_RANDOM_PG if postgresql else 'random()'}")
    if postgresql:
        op.execute(
            f"CREATE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"UPDATE workspace SET data_version = {_RANDOM_PG} "
            "WHERE id IN (SELECT DISTINCT workspace_id FROM changed_rows); "
            "RETURN NULL; END $$"
        )
        for table in TABLES:
            _create_postgresql(table)
    else:
        for table in TABLES:
            _create_sqlite(table)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        for event in _EVENTS:
            op.execute(f"DROP TRIGGER {table}_data_version_{event}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        op.execute(f"DROP FUNCTION {_FUNCTION}()")
    # In place (SQLite 3.35+ can): rebuilding `workspace` on SQLite would delete every row that
    # cascades from it.
    op.execute("ALTER TABLE workspace DROP COLUMN data_version")
