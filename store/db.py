"""Engine, sessions and schema upgrades.

The database is brought up to date by Alembic on start; a database written by a
newer renewals-bot is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlmodel import Session

from store.models import SQLITE_ONLY

# Any constant works: it only has to be the same in every copy of the app.
_MIGRATION_LOCK_KEY = 7_404_551_230


class SchemaError(Exception):
    """The database cannot be used by this version of the app (one line for a person)."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`, with SQLite set up for several threads and enforced foreign keys."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        # The URL is not echoed: it may hold a password.
        raise SchemaError(
            "DATABASE_URL is not a database URL (like sqlite:///renewals.db or postgresql://user@host/db)"
        ) from None
    try:
        return _create_engine(parsed, **kwargs)
    except ArgumentError as exc:  # NoSuchModuleError too: a database kind SQLAlchemy does not know
        raise SchemaError(f"DATABASE_URL names a database renewals-bot cannot use: {exc}") from None
    except ImportError as exc:  # a known kind whose driver is not installed (mysql://, oracle://…)
        raise SchemaError(
            f"DATABASE_URL needs the {exc.name or 'database'} driver, which is not installed; "
            "use sqlite:///FILE or postgresql://…"
        ) from None


def _create_engine(parsed: URL, **kwargs: Any) -> Engine:
    # A failed statement's error (and so a log line) would otherwise quote its values: tokens of
    # OAuth installations among them.
    kwargs.setdefault("hide_parameters", True)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(parsed, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if parsed.database and parsed.database != ":memory:":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def alembic_config(connection: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("store") / "migrations"))
    config.attributes["connection"] = connection
    return config


def schema_filter(dialect_name: str) -> Callable[..., bool]:
    """Alembic's `include_object` for comparing the models with a database of this kind:
    an index the models mark `only_on` another database (models.POSTGRESQL_ONLY) is not expected."""

    def include(obj: Any, _name: str | None, type_: str, reflected: bool, _compare_to: Any) -> bool:
        # A table the models keep in SQLITE_ONLY (and its indexes) is the migrations' alone.
        table = obj if type_ == "table" else getattr(obj, "table", None)
        if table is not None and table.name in SQLITE_ONLY.tables:
            return False
        return reflected or obj.info.get("only_on", dialect_name) == dialect_name

    return include


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config(None))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the schema up to date; refuse a database newer than this code.

    On PostgreSQL an advisory lock keeps two copies of the app starting at once
    from migrating side by side.
    """
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            config = alembic_config(connection)
            script = ScriptDirectory.from_config(config)
            current = MigrationContext.configure(connection).get_current_revision()
            if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
                raise SchemaError(
                    f"the database is at schema {current}, newer than this renewals-bot knows "
                    f"(newest {script.get_current_head()}): upgrade renewals-bot"
                )
            command.upgrade(config, "head")
    except DBAPIError as exc:  # no server, no such file, or a file that is not a database at all
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise SchemaError(f"cannot open the database: {reason}") from None


def check_database(engine: Engine) -> bool:
    """Whether the database answers (for /healthz)."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
