"""`renewals-bot reminders [--now YYYY-MM-DDTHH:MMZ] [--dry-run]`: the scheduler's own path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.cli.main import main
from store.db import make_engine
from tests.digest_support import services_for, utc
from tests.fake_slack import FakeSlack
from tests.reminder_support import OWNER, add_owned_changes, dms, recipient, reminder_runs, tick


@pytest.fixture
def db(
    sqlite_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Engine]:
    """The environment `renewals-bot` reads, pointing at a test database and the fake Slack."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    for name in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    fake_slack.add_user(OWNER, tz="Europe/London")
    engine = make_engine(sqlite_url)
    add_owned_changes(engine, [date(2025, 3, 17)], client="Acme Corp")  # 7 days before: Monday 10 March
    yield engine
    engine.dispose()


def cli(*args: str) -> int:
    with pytest.raises(SystemExit) as exited:
        main(["reminders", *args])
    return int(exited.value.code or 0)


def test_reminders_sends_what_is_due_then_a_second_run_says_it_is_done(
    db: Engine, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("--now", "2025-03-10T09:30Z") == 0
    assert f"{OWNER} (T0TEAM1) 2025-03-10: sent a reminder of 1 contract change" in capsys.readouterr().out

    assert cli("--now", "2025-03-10T11:00Z") == 0
    assert "already done for this day (sent), nothing sent" in capsys.readouterr().out
    assert len(dms(fake_slack)) == 1


def test_the_command_and_the_ticker_share_the_once_a_day_rule(db: Engine, fake_slack: FakeSlack) -> None:
    tick(services_for(fake_slack, db, str(db.url)), utc(2025, 3, 10, 9, 0))

    assert cli("--now", "2025-03-10T10:00Z") == 0
    assert len(dms(fake_slack)) == 1


def test_outside_the_owner_working_hours_nothing_is_sent_and_it_says_so(
    db: Engine, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("--now", "2025-03-10T18:00Z") == 0

    assert "No reminder is due at 2025-03-10T18:00Z." in capsys.readouterr().out
    assert fake_slack.calls_to("chat.postMessage") == []


def test_dry_run_prints_the_reminder_and_sends_and_records_nothing(
    db: Engine, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("--dry-run", "--now", "2025-03-10T09:30Z") == 0

    out = capsys.readouterr().out
    assert f"Reminder for {OWNER} (T0TEAM1) · 2025-03-10 · Europe/London" in out
    assert "1 contract change you own needs action before the renewal deadline" in out
    assert "Acme Corp" in out and "2025-03-17 (in 7 days)" in out
    assert fake_slack.calls_to("chat.postMessage") == [] and fake_slack.calls_to("conversations.open") == []
    assert reminder_runs(db) == []
    assert recipient(db) is None  # not even the time zone Slack gave is kept


def test_a_failed_reminder_exits_1(
    db: Engine, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_slack.fail("chat.postMessage", status=500, times=3)

    assert cli("--now", "2025-03-10T09:30Z") == 1
    assert "failed (fatal_error)" in capsys.readouterr().out


@pytest.mark.parametrize("now", ["2025-03-10", "2025-03-10T09:30", "2025-13-10T09:30Z", "tomorrow"])
def test_a_bad_now_is_one_line_and_exit_2(db: Engine, capsys: pytest.CaptureFixture[str], now: str) -> None:
    assert cli("--now", now) == 2

    [line] = capsys.readouterr().err.strip().splitlines()
    assert "is not a UTC moment as YYYY-MM-DDTHH:MMZ" in line


def test_sending_without_a_bot_token_is_one_line_and_exit_1(
    db: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN")

    assert cli("--now", "2025-03-10T09:30Z") == 1

    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err
