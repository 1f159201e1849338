"""Schema: built by Alembic from an empty database, in step with the models, newer ones refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from store.db import SchemaError, current_revision, head_revision, make_engine, migrate


def test_migrations_build_every_table_from_an_empty_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    migrate(engine)
    assert current_revision(engine) == head_revision()
    assert set(SQLModel.metadata.tables) <= set(inspect(engine).get_table_names())


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'twice.db'}")
    migrate(engine)
    migrate(engine)
    assert current_revision(engine) == head_revision()


def test_migrations_match_the_models(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    # Tables owned by slack_sdk's installation store are not ours to describe.
    ours = [d for d in differences if "slack_" not in repr(d)]
    assert ours == []


def test_a_database_newer_than_the_app_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'newer.db'}")
    migrate(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(SchemaError, match="newer than this renewals-bot"):
        migrate(engine)


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")
    with pytest.raises(SchemaError, match="cannot open the database"):
        migrate(engine)


def test_a_bad_database_url_is_one_line() -> None:
    with pytest.raises(SchemaError, match="not a database URL"):
        make_engine("not a url")


def test_every_migration_downgrades_and_upgrades_again(database_url: str) -> None:
    from alembic import command

    from store.db import alembic_config

    engine = make_engine(database_url)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()
