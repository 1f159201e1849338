"""client name words (SQLite's typo search)

`client_name_word` holds, per client, each word of its folded name and the name without its
spaces, so that typo search and "did you mean" on SQLite read the few words near the query
(through the table's key) instead of every name of the workspace (store/search.py).

Triggers keep it in step with `client.name_folded` on every insert, rename and removal, so
every writer (the import, a person's change, the demo, a test's factory) is covered. SQLite
triggers cannot use WITH, so a name is split into words with json_each over the name quoted
as JSON (json_quote escapes whatever a name holds; a space is never part of an escape).
Existing clients' words are written here. PostgreSQL has no such table: pg_trgm does that
work there (migration 0005).

Plain CREATE statements only: rebuilding `client` in batch mode would drop the data-version
triggers of migration 0010.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_INSERT = "INSERT OR IGNORE INTO client_name_word (workspace_id, word, client_id)"


def _words(row: str) -> str:
    """The table of the words of `row`'s folded name (json_each's `value`)."""
    return f"json_each('[' || replace(json_quote({row}.name_folded), ' ', '\",\"') || ']')"


def _fill(row: str, source: str = "") -> list[str]:
    """Inserts of (workspace_id, word, client_id) for each word of `row`'s folded name and for the
    name without spaces (for a one-word name, that word again: ignored). `source` is the table
    `row` is read from, when `row` is not a trigger's NEW."""
    from_source = f"FROM {source}" if source else ""
    words_from = f"FROM {source}, {_words(row)}" if source else f"FROM {_words(row)}"
    return [
        f"{_INSERT} SELECT {row}.workspace_id, value, {row}.id {words_from}",
        f"{_INSERT} SELECT {row}.workspace_id, replace({row}.name_folded, ' ', ''), {row}.id {from_source}",
    ]


def _on_change(statements: list[str]) -> str:
    return " ".join(f"{statement};" for statement in statements)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TABLE client_name_word (workspace_id INTEGER NOT NULL, word VARCHAR NOT NULL, "
        "client_id INTEGER NOT NULL, PRIMARY KEY (workspace_id, word, client_id)) WITHOUT ROWID"
    )
    op.execute("CREATE INDEX ix_client_name_word_client ON client_name_word (client_id)")
    op.execute(
        "CREATE TRIGGER client_name_word_insert AFTER INSERT ON client BEGIN "
        f"{_on_change(_fill('NEW'))} END"
    )
    op.execute(
        "CREATE TRIGGER client_name_word_update AFTER UPDATE OF name_folded, workspace_id ON client BEGIN "
        f"DELETE FROM client_name_word WHERE client_id = OLD.id; {_on_change(_fill('NEW'))} END"
    )
    op.execute(
        "CREATE TRIGGER client_name_word_delete AFTER DELETE ON client BEGIN "
        "DELETE FROM client_name_word WHERE client_id = OLD.id; END"
    )
    # The clients already there (the triggers only see what is written from now on).
    for statement in _fill("client", "client"):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER client_name_word_{event}")
    op.execute("DROP TABLE client_name_word")
