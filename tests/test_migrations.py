"""Schema: built by Alembic from an empty database, in step with the models, newer ones refused."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, text
from sqlmodel import SQLModel

from store.db import SchemaError, current_revision, head_revision, make_engine, migrate, schema_filter


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
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": False, "include_object": schema_filter(connection.dialect.name)},
        )
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


def _at_revision(engine: Engine, revision: str) -> None:
    from alembic import command

    from store.db import alembic_config

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def _add_changes(connection: Connection, changes: list[dict[str, str | None]]) -> None:
    """One client's renewals, written with plain SQL as the schema in place has them."""
    connection.execute(
        text(
            "INSERT INTO workspace (team_id, partner_owns_all, created_at, updated_at) "
            "VALUES ('T0MIGRATE', FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    )
    connection.execute(
        text(
            "INSERT INTO client (workspace_id, hub_id, name, name_folded, products, created_at, updated_at) "
            "SELECT id, '1', 'Acme', 'acme', '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM workspace"
        )
    )
    for month, figures in enumerate(changes, start=1):
        names, values = ", ".join(figures), ", ".join(f":{name}" for name in figures)
        connection.execute(
            text(
                "INSERT INTO contract_change (workspace_id, client_id, contract_type, status, "
                f"renewal_start_date, renewal_deadline, created_at, updated_at, {names}) "
                "SELECT workspace_id, id, 'renewal', 'pending', :start, :start, "
                f"CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, {values} FROM client"
            ),
            {"start": date(2027, month, 1), **figures},
        )


def _exact(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))  # text on SQLite, NUMERIC on PostgreSQL


def _amounts(connection: Connection, *columns: str) -> list[tuple[object, ...]]:
    """Each change's (amount, currency, …) for `columns`, in start-date order, amounts exact."""
    rows = connection.execute(
        text(f"SELECT {', '.join(columns)} FROM contract_change ORDER BY renewal_start_date")
    ).all()
    return [
        tuple(_exact(v) if c.endswith("_mrr") else v for c, v in zip(columns, row, strict=True))
        for row in rows
    ]


def test_existing_amounts_keep_their_currency_through_the_upgrade(database_url: str) -> None:
    engine = make_engine(database_url)
    _at_revision(engine, "0003")
    try:
        with engine.begin() as connection:
            _add_changes(
                connection,
                [
                    {"currency": "EUR", "current_mrr": "1200.50", "estimated_new_mrr": "1300.75"},
                    {"currency": "GBP", "current_mrr": "99.99", "estimated_new_mrr": None},
                    {"currency": "CAD", "current_mrr": None, "estimated_new_mrr": "5"},
                    {"currency": None, "current_mrr": "10", "estimated_new_mrr": None},  # the app showed USD
                    {"currency": None, "current_mrr": None, "estimated_new_mrr": None},
                ],
            )
    finally:
        migrate(engine)
    with engine.connect() as connection:
        amounts = _amounts(
            connection,
            "current_mrr",
            "current_mrr_currency",
            "estimated_new_mrr",
            "estimated_new_mrr_currency",
        )
    engine.dispose()
    assert amounts == [
        (Decimal("1200.50"), "EUR", Decimal("1300.75"), "EUR"),
        (Decimal("99.99"), "GBP", None, None),
        (None, None, Decimal(5), "CAD"),
        (Decimal(10), "USD", None, None),
        (None, None, None, None),
    ]


def test_a_downgrade_keeps_one_currency_and_drops_an_amount_it_cannot_hold(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as connection:
        _add_changes(
            connection,
            [
                {
                    "current_mrr": "9311.75",
                    "current_mrr_currency": "EUR",
                    "estimated_new_mrr": "2368.68",
                    "estimated_new_mrr_currency": "GBP",
                },
                {"current_mrr": None, "estimated_new_mrr": "5", "estimated_new_mrr_currency": "CAD"},
            ],
        )
    _at_revision(engine, "0003")
    try:
        with engine.connect() as connection:
            amounts = _amounts(connection, "current_mrr", "estimated_new_mrr", "currency")
    finally:
        migrate(engine)
        engine.dispose()
    assert amounts == [(Decimal("9311.75"), None, "EUR"), (None, Decimal(5), "CAD")]


def test_contract_changes_stay_in_the_view_through_the_import_history_upgrade(database_url: str) -> None:
    engine = make_engine(database_url)
    _at_revision(engine, "0005")
    try:
        with engine.begin() as connection:
            _add_changes(connection, [{"current_mrr": "10.50", "current_mrr_currency": "EUR"}])
    finally:
        migrate(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT renewal_start_date, current_mrr, removed_at, removed_by_import_id "
                "FROM contract_change"
            )
        ).all()
        imports = connection.execute(text("SELECT COUNT(*) FROM import_run")).scalar_one()
    engine.dispose()
    assert [(str(start), _exact(mrr), removed, by) for start, mrr, removed, by in rows] == [
        ("2027-01-01", Decimal("10.50"), None, None)
    ]
    assert imports == 0


def test_existing_workspaces_keep_their_data_and_start_unpaused_when_pausing_arrives(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    _at_revision(engine, "0005")  # before the workspace's paused_at / paused_reason
    try:
        with engine.begin() as connection:
            _add_changes(connection, [{"current_mrr": "10", "current_mrr_currency": "USD"}])
    finally:
        migrate(engine)
    with engine.connect() as connection:
        workspaces = connection.execute(text("SELECT team_id, paused_at, paused_reason FROM workspace")).all()
        amounts = _amounts(connection, "current_mrr", "current_mrr_currency")
    engine.dispose()
    assert [tuple(row) for row in workspaces] == [("T0MIGRATE", None, None)]
    assert amounts == [(Decimal(10), "USD")]


def test_a_downgrade_past_pausing_keeps_every_workspace_and_its_rows(database_url: str) -> None:
    # On SQLite, rebuilding the workspace table would delete every row that references it.
    engine = make_engine(database_url)
    with engine.begin() as connection:
        _add_changes(connection, [{"current_mrr": "10", "current_mrr_currency": "USD"}])
    _at_revision(engine, "0005")
    try:
        with engine.connect() as connection:
            counts = [
                connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("workspace", "client", "contract_change")
            ]
    finally:
        migrate(engine)
        engine.dispose()
    assert counts == [1, 1, 1]


def test_snoozes_of_contract_changes_survive_the_import_history_upgrade_and_downgrade(
    database_url: str,
) -> None:
    # On SQLite, rebuilding contract_change (batch mode) would delete the follow-ups that reference it.
    engine = make_engine(database_url)
    _at_revision(engine, "0008")
    try:
        with engine.begin() as connection:
            _add_changes(connection, [{"current_mrr": "10", "current_mrr_currency": "USD"}])
            connection.execute(
                text(
                    "INSERT INTO follow_up (workspace_id, change_id, snoozed_until, updated_at) "
                    "SELECT workspace_id, id, '2027-01-05', CURRENT_TIMESTAMP FROM contract_change"
                )
            )
    finally:
        migrate(engine)
    with engine.connect() as connection:
        after_upgrade = connection.execute(text("SELECT count(*) FROM follow_up")).scalar_one()
    _at_revision(engine, "0008")
    try:
        with engine.connect() as connection:
            after_downgrade = connection.execute(text("SELECT count(*) FROM follow_up")).scalar_one()
    finally:
        migrate(engine)
        engine.dispose()
    assert (after_upgrade, after_downgrade) == (1, 1)


def test_an_import_recorded_before_the_whole_list_keeps_the_changes_its_message_showed(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    _at_revision(engine, "0006")  # before import_change
    try:
        with engine.begin() as connection:
            _add_changes(connection, [{"current_mrr": "10"}, {"current_mrr": "20"}])
            first, second = connection.execute(text("SELECT id FROM contract_change ORDER BY id")).scalars()
            what = {
                "due_soon": {"count": 3, "mrr_at_stake": {"USD": "30"}, "change_ids": [first]},
                "moved": {"count": 1, "mrr_at_stake": {"USD": "20"}, "change_ids": [second]},
                "moved_from": {str(second): "2026-12-01"},
            }
            connection.execute(
                text(
                    "INSERT INTO import_run (workspace_id, at, actor, via, file_name, rows, created, "
                    "updated, unchanged, invalid, removed, skipped, what_changed) "
                    "SELECT id, CURRENT_TIMESTAMP, 'cli:import', 'command_line', 'x.csv', 2, 2, 0, 0, 0, "
                    "0, 0, :what FROM workspace"
                ),
                {"what": json.dumps(what)},
            )
    finally:
        migrate(engine)
    with engine.connect() as connection:
        kept = connection.execute(
            text("SELECT change_id, kind, moved_from FROM import_change ORDER BY change_id")
        ).all()
    engine.dispose()
    assert [(c, k, None if m is None else str(m)) for c, k, m in kept] == [
        (first, "due_soon", None),
        (second, "moved", "2026-12-01"),
    ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_existing_clients_get_their_name_words_in_the_upgrade(database_url: str) -> None:
    engine = make_engine(database_url)
    _at_revision(engine, "0013")  # before client_name_word
    try:
        with engine.begin() as connection:
            _add_changes(connection, [{"current_mrr": "10", "current_mrr_currency": "USD"}])
            connection.execute(text("UPDATE client SET name = 'Acme Corp', name_folded = 'acme corp'"))
    finally:
        migrate(engine)
    with engine.connect() as connection:
        words = connection.execute(text("SELECT word FROM client_name_word ORDER BY word")).scalars().all()
    engine.dispose()
    assert words == ["acme", "acmecorp", "corp"]
