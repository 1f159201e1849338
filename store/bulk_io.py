"""Bulk reads and writes for big imports, dialect by dialect.

SQLAlchemy's per-row ORM bookkeeping is skipped: rows go to the driver in chunks (COPY on
PostgreSQL, the driver's executemany on SQLite, SQLAlchemy's executemany elsewhere),
with values converted exactly as SQLAlchemy would convert them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import chain, islice
from typing import Any, Protocol

from sqlalchemy import JSON, Connection, bindparam, text, update
from sqlmodel import Session, SQLModel

from store.models import Workspace
from store.types import ExactDecimal

CHUNK = 2000  # rows per bulk statement: big enough to be fast, small enough to show progress


class ImportProgress(Protocol):
    """Where an import reports how far it got (a progress bar, or nothing)."""

    def phase(self, description: str, total: int) -> None: ...

    def advance(self, amount: int) -> None: ...


def streamed(session: Session, query: Any) -> Any:
    """Rows a few thousand at a time: a big workspace is never buffered whole as raw rows too."""
    return session.execute(query.execution_options(yield_per=CHUNK))


def _converters(session: Session, table: Any, names: list[str]) -> list[Callable[[Any], Any] | None]:
    """SQLAlchemy's own Python -> driver conversions of these columns (enums, JSON, UTC times…).

    The bulk paths below hand rows to the driver directly, skipping SQLAlchemy's per-row
    bookkeeping, so they convert values exactly as it would. Repeated values (the import's
    timestamp, dates, enums) are converted once; money is not cached, so `1.50` stays `1.50`.
    """
    dialect = session.get_bind().dialect
    converters = []
    for name in names:
        column_type = table.c[name].type
        convert = column_type.dialect_impl(dialect).bind_processor(dialect)
        if convert is not None and not isinstance(column_type, ExactDecimal | JSON):
            convert = _remembering(convert)
        converters.append(convert)
    return converters


def _remembering(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    known: dict[Any, Any] = {}

    def converted(value: Any) -> Any:
        try:
            return known[value]
        except KeyError:
            result = known[value] = convert(value)
            return result

    return converted


def _driver_rows(
    session: Session, table: Any, names: list[str], rows: Iterable[dict[str, Any]]
) -> Iterator[list[Any]]:
    pairs = list(zip(names, _converters(session, table, names), strict=True))
    for row in rows:
        yield [row[name] if convert is None else convert(row[name]) for name, convert in pairs]


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _executemany(
    session: Session, statement: str, rows: Iterator[list[Any]], progress: ImportProgress
) -> None:
    driver = session.connection().connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        while chunk := list(islice(rows, CHUNK)):
            cursor.executemany(statement, chunk)
            progress.advance(len(chunk))
    finally:
        cursor.close()


def _copy(
    session: Session, target: str, names: list[str], rows: Iterator[list[Any]], progress: ImportProgress
) -> None:
    """PostgreSQL's COPY: by far its fastest way in for many rows."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    done = 0
    with driver.cursor() as cursor, cursor.copy(f'COPY "{target}" ({_quoted(names)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            done += 1
            if done % CHUNK == 0:
                progress.advance(CHUNK)
    progress.advance(done % CHUNK)


def insert_rows(
    session: Session, model: type[SQLModel], rows: Iterable[dict[str, Any]], progress: ImportProgress
) -> None:
    """Insert many rows fast: COPY on PostgreSQL, the driver's executemany on SQLite.

    `rows` may be a generator (nothing is held but a chunk); every dict has the same keys.
    """
    table = model.__table__  # type: ignore[attr-defined]
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    names = list(first)
    every = chain((first,), rows)
    values = _driver_rows(session, table, names, every)
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        _copy(session, table.name, names, values, progress)
    elif dialect.paramstyle == "qmark":
        placeholders = ", ".join("?" for _ in names)
        _executemany(
            session,
            f'INSERT INTO "{table.name}" ({_quoted(names)}) VALUES ({placeholders})',
            values,
            progress,
        )
    else:  # another database: SQLAlchemy's own executemany
        while chunk := list(islice(every, CHUNK)):
            session.execute(table.insert(), chunk)
            progress.advance(len(chunk))


def update_rows(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]], progress: ImportProgress
) -> None:
    """Update rows by primary key; every dict has `id` and the same other keys.

    On PostgreSQL the new values are COPYed into a temporary table and applied with one
    UPDATE … FROM (a statement per row would cost a round trip each).
    """
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]
    names = [name for name in rows[0] if name != "id"]
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        connection = session.connection()
        scratch = f"import_{table.name}"
        connection.exec_driver_sql(
            f'CREATE TEMPORARY TABLE "{scratch}" ON COMMIT DROP AS '
            f'SELECT {_quoted(["id", *names])} FROM "{table.name}" WITH NO DATA'
        )
        _copy(session, scratch, ["id", *names], _driver_rows(session, table, ["id", *names], rows), progress)
        # Fresh statistics, or the planner may take the just-filled tables for empty ones
        # and join them row by row.
        connection.exec_driver_sql(f'ANALYZE "{scratch}"')
        assignments = ", ".join(f'"{name}" = scratch."{name}"' for name in names)
        connection.exec_driver_sql(
            f'UPDATE "{table.name}" SET {assignments} FROM "{scratch}" AS scratch '
            f'WHERE "{table.name}".id = scratch.id'
        )
        connection.exec_driver_sql(f'DROP TABLE "{scratch}"')
    elif dialect.paramstyle == "qmark":
        assignments = ", ".join(f'"{name}" = ?' for name in names)
        _executemany(
            session,
            f'UPDATE "{table.name}" SET {assignments} WHERE id = ?',
            _driver_rows(session, table, [*names, "id"], rows),
            progress,
        )
    else:
        statement = (
            update(table)
            .where(table.c.id == bindparam("p_id"))
            .values({name: bindparam(f"p_{name}") for name in names})
        )
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            session.execute(statement, [{f"p_{key}": value for key, value in row.items()} for row in chunk])
            progress.advance(len(chunk))


@contextmanager
def one_version_change(session: Session, team_id: str) -> Iterator[None]:
    """Bulk writes to the workspace of `team_id` in this transaction, with its data version
    changed once rather than by a trigger per written row.

    Only SQLite needs it: its triggers (migration 0010) run per row, about 2 s of CPU for an
    import of 100,000 rows; PostgreSQL's run once per statement. They are dropped and made again
    from their own stored SQL inside this transaction (SQLite's DDL is transactional), so no
    other connection ever sees them missing, and a failed write rolls them back too.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    mine = update(Workspace).where(Workspace.team_id == team_id)
    # A write first: the driver opens the transaction only before one, and the DDL must be in it.
    session.execute(mine.values(data_version=_new_version()))
    triggers = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name GLOB '*_data_version_*'"
    ).all()
    for name, _sql in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    for _name, sql in triggers:
        connection.exec_driver_sql(sql)
    session.execute(mine.values(data_version=_new_version()))  # the workspace may be new


def _new_version() -> int:
    # Any BIGINT, as the triggers choose (random, so that a version is never met again).
    return random.getrandbits(64) - 2**63


def refresh_statistics(connection: Connection) -> None:
    """Tell the query planner what a big write changed, so it picks the indexes that fit.

    SQLite never gathers statistics by itself: without them it takes `workspace_id = ?` for a
    rare value and reads a whole workspace through that index where a client's or a name's would
    do. Sampled (analysis_limit), so it stays quick at any size. PostgreSQL's autovacuum would
    get there too, but later.
    """
    if connection.dialect.name == "sqlite":
        connection.execute(text("PRAGMA analysis_limit=1000"))
        connection.execute(text("ANALYZE"))
    elif connection.dialect.name == "postgresql":
        connection.execute(text("ANALYZE client, contact, contract_change, partner_member"))
