"""`renewals-bot digest [--channel C] [--date YYYY-MM-DD] [--dry-run]`: the same path as the ticker."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from rich.console import Console
from sqlalchemy import Engine
from sqlmodel import select

from bot.cli.digest_command import print_digest_preview
from bot.cli.main import main
from bot.jobs.digest_runner import run_due
from store.db import make_engine, session_scope
from store.models import DigestSubscription
from store.workspaces import pause_workspaces
from tests.digest_support import CHANNEL, add_subscription, posts, runs, services_for, utc
from tests.factories import TEAM, add_change_due, workspace_row
from tests.fake_slack import FakeSlack

MONDAY = utc(2025, 3, 10, 12, 0).date()


@pytest.fixture
def db(sqlite_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Engine:
    """The environment `renewals-bot` reads, pointing at a test database and the fake Slack."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    for name in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        workspace = workspace_row(session)
        add_change_due(session, workspace, "Acme Corp", deadline=MONDAY + timedelta(days=2), mrr="2500")
        add_change_due(session, workspace, "Far Away Ltd", deadline=MONDAY + timedelta(days=40))
    add_subscription(engine)
    yield engine
    engine.dispose()


def cli(*args: str) -> int:
    with pytest.raises(SystemExit) as exited:
        main(["digest", *args])
    return int(exited.value.code or 0)


def test_digest_posts_once_and_a_second_run_says_nothing_was_posted(
    db: Engine, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("--date", "2025-03-10") == 0
    assert f"{CHANNEL} ({TEAM}) 2025-03-10: posted 1 contract change in 1 message" in capsys.readouterr().out

    assert cli("--date", "2025-03-10", "--channel", CHANNEL) == 0
    out = capsys.readouterr().out
    assert "already done for this day" in out and "nothing posted" in out

    [post] = posts(fake_slack)
    assert "Acme Corp" in post.params["text"] and "Far Away" not in post.params["text"]
    assert [(r.local_date, r.status) for r in runs(db)] == [(MONDAY, "posted")]


def test_the_command_and_the_ticker_share_the_once_a_day_rule(db: Engine, fake_slack: FakeSlack) -> None:
    with time_machine.travel(utc(2025, 3, 10, 9, 0), tick=False):
        assert len(run_due(services_for(fake_slack, db, str(db.url)))) == 1
    assert cli("--date", "2025-03-10") == 0
    assert len(posts(fake_slack)) == 1


def test_dry_run_prints_the_digest_and_records_nothing(
    db: Engine, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("--dry-run", "--date", "2025-03-10") == 0

    out = capsys.readouterr().out
    assert "Renewals digest · Monday 10 March 2025" in out
    assert "Deadline this week (1)" in out
    assert "Acme Corp" in out and "2025-03-12 (in 2 days)" in out and "$2,500.00" in out
    assert "Far Away" not in out
    assert "Reassign contact · Change owner · End association" in out
    assert runs(db) == []
    assert fake_slack.calls == []


def test_dry_run_shows_user_data_as_typed_not_as_terminal_markup(
    db: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    with session_scope(db) as session:
        add_change_due(session, workspace_row(session), "[bold red]Loud[/] <!channel>", deadline=MONDAY)

    assert cli("--dry-run", "--date", "2025-03-10") == 0

    assert "[bold red]Loud[/] <!channel>" in capsys.readouterr().out


def test_a_day_that_is_not_a_digest_day_is_skipped_and_said(
    db: Engine, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("--date", "2025-03-15") == 0

    assert "Saturday is not a digest day for this channel (weekends off)" in capsys.readouterr().out
    assert fake_slack.calls_to("chat.postMessage") == []


def test_a_failed_digest_exits_1_and_the_next_run_retries_it_at_once(
    db: Engine, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_slack.fail("chat.postMessage", status=500, times=3)
    assert cli("--date", "2025-03-10") == 1
    assert "failed (fatal_error)" in capsys.readouterr().out

    assert cli("--date", "2025-03-10") == 0
    assert "posted 1 contract change" in capsys.readouterr().out
    assert [(r.status, r.attempts) for r in runs(db)] == [("posted", 2)]


def test_a_paused_digest_is_not_posted(
    db: Engine, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    with session_scope(db) as session:
        for row in session.exec(select(DigestSubscription)):
            row.paused_reason = "is_archived"

    assert cli("--date", "2025-03-10") == 0

    assert "paused: the channel was archived" in capsys.readouterr().out
    assert fake_slack.calls_to("chat.postMessage") == []


def test_a_digest_of_a_paused_workspace_is_not_posted_and_says_what_resumes_it(
    db: Engine, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    with session_scope(db) as session:
        pause_workspaces(session=session, reason="app_uninstalled", actor="slack", team_id=TEAM)

    assert cli("--date", "2025-03-10") == 0

    out = capsys.readouterr().out
    assert "paused: the app was uninstalled from the workspace" in out
    assert "installing the app there again resumes it" in out
    assert fake_slack.calls_to("chat.postMessage") == []


def test_an_unknown_channel_is_one_line_and_exit_1(db: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("--channel", "C0NOPE") == 1

    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (
        "renewals-bot: channel C0NOPE has no digest subscription (run `/renewals digest on` in that channel)"
    )


def test_posting_without_a_bot_token_is_one_line_and_exit_1(
    db: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN")

    assert cli("--date", "2025-03-10") == 1

    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err


def test_a_bad_date_is_one_line_and_exit_2(db: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("--date", "10/03/2025") == 2
    assert "is not a date as YYYY-MM-DD" in capsys.readouterr().err


def test_the_preview_without_a_subscription_shows_what_a_default_one_would_post(db: Engine) -> None:
    with session_scope(db) as session:
        for row in session.exec(select(DigestSubscription)):
            session.delete(row)
    console = Console(record=True, width=160)

    shown = print_digest_preview(db, team_id=TEAM, day=MONDAY, console=console)

    out = console.export_text()
    assert shown == 1
    assert "No channel subscribes yet" in out and "Acme Corp" in out


def test_the_preview_on_a_narrow_console_that_is_no_terminal_keeps_each_row_on_one_line(db: Engine) -> None:
    console = Console(record=True, width=40)  # a caller's own console, not make_console's

    print_digest_preview(db, team_id=TEAM, day=MONDAY, console=console)

    [line] = [line for line in console.export_text().splitlines() if "Acme Corp" in line]
    assert "2025-03-12 (in 2 days)" in line and line.endswith("$2,500.00")


def test_dry_run_prints_a_client_name_with_a_line_break_on_one_line(
    db: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    with session_scope(db) as session:
        add_change_due(session, workspace_row(session), "Harbor\nand Pine", deadline=MONDAY, mrr="18933.73")

    assert cli("--dry-run", "--date", "2025-03-10") == 0

    [line] = [line for line in capsys.readouterr().out.splitlines() if "Harbor" in line]
    assert line.startswith("Harbor and Pine | ") and "2025-03-10 (today)" in line and "$18,933.73" in line
