"""`renewals-bot demo`: the sample goes in through the importer, repeatably, and the terminal shows
the same rows and cell texts as the Slack table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func
from sqlmodel import Session, col, select

from blocks.format import cell_text, money
from blocks.renewals import PAGE_SIZE
from bot.cli.demo import CLIENTS, DEMO_TEAM, ENDED, run_demo
from bot.cli.main import main
from bot.cli.terminal import SEPARATOR, renewals_header
from bot.settings import Settings
from store.columns import visible_columns
from store.db import make_engine
from store.models import AuditEvent, Client, Contact, ContractChange, PartnerMember
from store.rules import ContractType, Status, effective_status
from store.upcoming import RenewalQuery, upcoming_view
from store.workspaces import get_workspace

TODAY = date(2026, 11, 24)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=database_url, slack_bot_token=None)  # type: ignore[call-arg]


@pytest.fixture
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(datetime(2026, 11, 24, 9, 30, tzinfo=UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def counts(session: Session) -> dict[str, int]:
    session.expire_all()
    return {
        model.__name__: session.exec(select(func.count()).select_from(model)).one()
        for model in (Client, Contact, ContractChange, PartnerMember, AuditEvent)
    }


def test_the_demo_prints_the_renewals_table_from_the_shared_view_model(
    settings: Settings, session: Session, frozen: time_machine.Coordinates, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_demo(settings) == 0
    out = capsys.readouterr().out

    workspace = get_workspace(DEMO_TEAM, session=session)
    assert workspace is not None
    view = upcoming_view(workspace, RenewalQuery(), session=session, today=TODAY, page_size=PAGE_SIZE)
    columns = visible_columns(None)
    assert len(view.rows) == PAGE_SIZE and view.total > PAGE_SIZE
    assert renewals_header(view) in out
    # Not a terminal (captured): a line naming the columns, then one line per contract change.
    lines = out.splitlines()
    header = lines.index(SEPARATOR.join(column.label for column in columns))
    assert lines[header + 1 : header + 1 + len(view.rows)] == [
        SEPARATOR.join(cell_text(column, row) for column in columns) for row in view.rows
    ]
    assert "Renewals digest" in out
    for name in ENDED:
        assert name not in out


def test_piped_the_demo_prints_a_long_client_name_its_deadline_and_mrr_whole_on_one_line(
    settings: Settings,
    session: Session,
    frozen: time_machine.Coordinates,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    long_name = "Newhaven Pharma Co International Holdings and Research Partners Group"
    monkeypatch.setattr("bot.cli.demo.CLIENTS", ((long_name, "US"), *CLIENTS[1:]))
    monkeypatch.setenv("COLUMNS", "80")

    assert run_demo(settings) == 0

    out = capsys.readouterr().out
    workspace = get_workspace(DEMO_TEAM, session=session)
    assert workspace is not None
    view = upcoming_view(workspace, RenewalQuery(), session=session, today=TODAY, page_size=PAGE_SIZE)
    [renewal] = [
        row for row in view.rows if row.client_name == long_name and row.contract_type is ContractType.RENEWAL
    ]
    amount = money(renewal.mrr_at_stake)
    assert "," in amount  # thousands, where a folded cell used to break it
    [digest_line] = [line for line in out.splitlines() if long_name in line and amount in line]
    assert renewal.renewal_deadline.isoformat() in digest_line


def test_the_demo_runs_twice_without_duplicating_anything(
    settings: Settings, session: Session, frozen: time_machine.Coordinates, capsys: pytest.CaptureFixture[str]
) -> None:
    run_demo(settings)
    first = counts(session)
    capsys.readouterr()
    assert run_demo(settings) == 0
    assert counts(session) == first
    assert "0 contract changes created, 0 updated" in capsys.readouterr().out


def test_on_a_later_day_the_sample_moves_instead_of_growing(
    settings: Settings, session: Session, frozen: time_machine.Coordinates, capsys: pytest.CaptureFixture[str]
) -> None:
    run_demo(settings)
    first = counts(session)
    frozen.shift(timedelta(days=3))
    capsys.readouterr()
    run_demo(settings)
    assert counts(session)["ContractChange"] == first["ContractChange"]
    assert counts(session)["Client"] == len(CLIENTS)
    assert "from an earlier day's sample removed" in capsys.readouterr().out


def test_the_sample_has_every_kind_of_row(
    settings: Settings, session: Session, frozen: time_machine.Coordinates
) -> None:
    run_demo(settings)
    changes = session.exec(select(ContractChange)).all()
    assert {c.contract_type for c in changes} == set(ContractType)
    assert {c.status for c in changes} == set(Status)
    assert {c.current_mrr_currency for c in changes} == {"USD", "EUR"}
    deadlines = [c.renewal_deadline for c in changes]
    assert any(0 <= (d - TODAY).days <= 3 for d in deadlines)  # some deadlines are close
    assert any(
        c.status is Status.PENDING
        and effective_status(c.contract_type, c.status, c.renewal_start_date, TODAY) is Status.RENEWED
        for c in changes
    )  # some pending renewals have passed their deadline
    ended = session.exec(select(Client.name).where(col(Client.association_ended_at).is_not(None))).all()
    assert sorted(ended) == sorted(ENDED)
    assert any(name != name.encode("ascii", "ignore").decode() for (name, _country) in CLIENTS)
    assert session.exec(select(func.count()).select_from(Contact)).one() >= len(CLIENTS)


def test_renewals_bot_demo_needs_no_slack_token(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    frozen: time_machine.Coordinates,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    with pytest.raises(SystemExit) as exited:
        main(["demo"])
    assert exited.value.code == 0
    assert "Upcoming renewals" in capsys.readouterr().out
