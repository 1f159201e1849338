"""client name words (SQLite's typo search)

Two tables let typo search and "did you mean" on SQLite read the few words near the query
through indexes instead of every name of the workspace (store/search.py):

- `client_name_word`: per client, each word of its folded name and the whole name without
  its spaces (the names holding a word, through the key);
- `name_word`: each of those once per workspace, with what it is (`kinds`: 1 a word, 2 a whole
  name, both bits when both) and its second and third letters, each indexed.

Triggers keep both in step with `client.name_folded` on every insert, rename, move and
removal, so every writer (the import, a person's change, the demo, a test's factory) is
covered; a `name_word` row goes when no client holds the word any more. SQLite triggers cannot
use WITH, so a name is split into words with json_each over the name quoted as JSON
(json_quote escapes whatever a name holds; a space is never part of an escape). Existing
clients' words are written here. PostgreSQL has no such tables: pg_trgm does that work there
(migration 0005).

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

WORD, WHOLE = 1, 2  # name_word.kinds bits


def _words(row: str) -> str:
    """The table of the words of `row`'s folded name (json_each's `value`)."""
    return f"json_each('[' || replace(json_quote({row}.name_folded), ' ', '\",\"') || ']')"


def _entries(row: str, source: str = "") -> list[tuple[str, str, int]]:
    """(FROM clause, word, kind) for each word of `row`'s name and for the whole name without
    spaces. `source` is the table `row` is read from, when `row` is not a trigger's NEW/OLD."""
    words_from = f"FROM {source}, {_words(row)}" if source else f"FROM {_words(row)}"
    whole_from = f"FROM {source}" if source else ""
    return [(words_from, "value", WORD), (whole_from, f"replace({row}.name_folded, ' ', '')", WHOLE)]


def _fill(row: str, source: str = "") -> list[str]:
    statements = []
    for from_, word, kind in _entries(row, source):
        statements.append(
            "INSERT OR IGNORE INTO client_name_word (workspace_id, word, client_id) "
            f"SELECT {row}.workspace_id, {word}, {row}.id {from_}"
        )
        statements.append(
            "INSERT INTO name_word (workspace_id, word, kinds, second, third) "
            f"SELECT {row}.workspace_id, {word}, {kind}, substr({word}, 2, 1), substr({word}, 3, 1) {from_} "
            # WHERE true: SQLite's upsert after a SELECT needs one to parse.
            "WHERE true ON CONFLICT (workspace_id, word) DO UPDATE SET kinds = kinds | excluded.kinds"
        )
    return statements


def _forget(row: str) -> list[str]:
    """`row`'s words out of client_name_word, and out of name_word when no other client holds them."""
    words = f"SELECT value FROM {_words(row)} UNION SELECT replace({row}.name_folded, ' ', '')"
    return [
        f"DELETE FROM client_name_word WHERE client_id = {row}.id",
        f"DELETE FROM name_word WHERE workspace_id = {row}.workspace_id AND word IN ({words}) "
        "AND NOT EXISTS (SELECT 1 FROM client_name_word AS held "
        "WHERE held.workspace_id = name_word.workspace_id AND held.word = name_word.word)",
    ]


def _body(statements: list[str]) -> str:
    return "BEGIN " + " ".join(f"{statement};" for statement in statements) + " END"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TABLE client_name_word (workspace_id INTEGER NOT NULL, word VARCHAR NOT NULL, "
        "client_id INTEGER NOT NULL, PRIMARY KEY (workspace_id, word, client_id)) WITHOUT ROWID"
    )
    op.execute("CREATE INDEX ix_client_name_word_client ON client_name_word (client_id)")
    op.execute(
        "CREATE TABLE name_word (workspace_id INTEGER NOT NULL, word VARCHAR NOT NULL, "
        "kinds INTEGER NOT NULL, second VARCHAR NOT NULL, third VARCHAR NOT NULL, "
        "PRIMARY KEY (workspace_id, word)) WITHOUT ROWID"
    )
    # A word near a query word starts with one of its first letters or has one second or third
    # (store/search.py): the first through the key, the others through these.
    for letter in ("second", "third"):
        op.execute(f"CREATE INDEX ix_name_word_{letter} ON name_word (workspace_id, {letter})")
    op.execute(f"CREATE TRIGGER client_name_word_insert AFTER INSERT ON client {_body(_fill('NEW'))}")
    op.execute(
        "CREATE TRIGGER client_name_word_update AFTER UPDATE OF name_folded, workspace_id ON client "
        f"{_body(_forget('OLD') + _fill('NEW'))}"
    )
    op.execute(f"CREATE TRIGGER client_name_word_delete AFTER DELETE ON client {_body(_forget('OLD'))}")
    # The clients already there (the triggers only see what is written from now on).
    for statement in _fill("client", "client"):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER client_name_word_{event}")
    op.execute("DROP TABLE name_word")
    op.execute("DROP TABLE client_name_word")
