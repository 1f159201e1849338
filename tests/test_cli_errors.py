"""Every command, run as a process, with a setting it cannot use: one line on stderr, a non-zero exit.

contract.md: "a bad argument or a missing setting is a one-line error and a non-zero exit,
never a traceback". These run the real console entry point so that whatever reaches stderr
(log records included) is what a person would see.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from tests.cli_support import run_piped
from tests.fake_slack import FakeSlack

EXPORT = "Client name,Hub ID,Contract type,Status,Renewal start date\nAcme,1001,Renewal,Pending,2027-03-01\n"
COMMANDS = {
    "import": ["import", "export.csv", "--team", "T0TEAM1"],
    "digest": ["digest", "--dry-run"],
    "demo": ["demo"],
}


def run(folder: Path, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    (folder / "export.csv").write_text(EXPORT, encoding="utf-8")
    return run_piped(folder, args, **env)


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("command", ["import", "demo"])
def test_a_database_url_whose_driver_is_not_installed(tmp_path: Path, command: str) -> None:
    line = one_line(run(tmp_path, COMMANDS[command], DATABASE_URL="mysql://user@127.0.0.1/renewals"))
    assert "DATABASE_URL" in line and "not installed" in line


@pytest.mark.parametrize("url", ["nosuch://host/db", "postgresql://user@host:notaport/db"])
def test_a_database_url_renewals_bot_cannot_use(tmp_path: Path, url: str) -> None:
    assert "DATABASE_URL" in one_line(run(tmp_path, COMMANDS["digest"], DATABASE_URL=url))


@pytest.mark.parametrize("command", ["digest", "demo"])
def test_a_sqlite_file_that_is_not_a_database(tmp_path: Path, command: str) -> None:
    (tmp_path / "notes.txt").write_text("not a database, just some text\n" * 200)
    done = run(tmp_path, COMMANDS[command], DATABASE_URL=f"sqlite:///{tmp_path}/notes.txt")
    assert "cannot open the database" in one_line(done)


def test_a_dotenv_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"SLACK_BOT_TOKEN=xoxb-caf\xe9\n")
    assert ".env" in one_line(run(tmp_path, COMMANDS["import"]))


def test_serve_with_slack_unreachable_is_one_line(tmp_path: Path) -> None:
    done = run(
        tmp_path,
        ["serve", "--no-scheduler"],
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=f"http://127.0.0.1:{closed_port()}/api/",
    )
    assert "cannot reach Slack" in one_line(done)


def test_import_with_slack_unreachable_and_no_team_is_one_line(tmp_path: Path) -> None:
    done = run(
        tmp_path,
        ["import", "export.csv"],
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_API_URL=f"http://127.0.0.1:{closed_port()}/api/",
    )
    assert "cannot reach Slack" in one_line(done)
    assert not (tmp_path / "renewals.db").exists()  # the file is checked, nothing is written


def test_serve_on_a_port_already_taken_is_one_line(tmp_path: Path, fake_slack: FakeSlack) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run(
            tmp_path,
            ["serve", "--no-scheduler", "--host", "127.0.0.1", "--port", str(port)],
            SLACK_BOT_TOKEN="xoxb-1",
            SLACK_SIGNING_SECRET="s",
            SLACK_API_URL=fake_slack.api_url,
        )
    assert f"cannot listen on 127.0.0.1:{port}" in one_line(done)
