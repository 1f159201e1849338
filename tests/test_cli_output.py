"""What the commands print, run as processes: piped, one whole line per contract change; at a terminal,
rich tables.

contract.md: "Output that is piped or redirected (not a terminal) shows every client name, date and
amount whole on one line: no cell wrapped mid-word."
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.terminal import SEPARATOR
from tests.cli_support import run_in_terminal, run_piped

LONG_NAME = "Newhaven Pharma Co International Holdings and Research Partners Group"
EXPORT = (
    "Client name,Hub ID,Contract type,Status,Renewal start date,Current MRR,Estimated new MRR\n"
    f'{LONG_NAME},1001,Renewal,Pending,2025-04-26,"$18,933.73","$18,933.73"\n'
)
DIGEST = ["digest", "--dry-run", "--date", "2025-03-10"]  # the renewal deadline is 2025-03-12
TABLE_HEADER = "┃ Client name"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A working folder whose SQLite database holds LONG_NAME's renewal."""
    (tmp_path / "export.csv").write_text(EXPORT, encoding="utf-8")
    done = run_piped(tmp_path, ["import", "export.csv", "--team", "T0TEAM1"])
    assert done.returncode == 0, done.stderr
    return tmp_path


def test_a_piped_digest_dry_run_prints_each_contract_change_whole_on_one_line(folder: Path) -> None:
    done = run_piped(folder, DIGEST, COLUMNS="80")

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    [line] = [line for line in lines if "Newhaven" in line]
    assert LONG_NAME in line and "2025-03-12" in line and "$18,933.73" in line
    assert line.split(SEPARATOR)[0] == LONG_NAME
    assert lines[lines.index(line) - 1].startswith(f"Client name{SEPARATOR}Contract type{SEPARATOR}")


def test_forcing_colours_does_not_bring_tables_into_a_pipe(folder: Path) -> None:
    done = run_piped(folder, DIGEST, FORCE_COLOR="1")

    assert TABLE_HEADER not in done.stdout and "\x1b[" not in done.stdout
    assert any(line.startswith(LONG_NAME + SEPARATOR) for line in done.stdout.splitlines())


def test_at_a_terminal_the_digest_dry_run_is_still_a_table(folder: Path) -> None:
    out = run_in_terminal(folder, DIGEST, columns=200)

    assert TABLE_HEADER in out
    assert f"│ {LONG_NAME} │" in out  # wide enough: the cell is whole
    assert SEPARATOR not in out


def test_at_a_terminal_the_demo_still_shows_its_tables(tmp_path: Path) -> None:
    out = run_in_terminal(tmp_path, ["demo"], columns=200)

    assert out.count(TABLE_HEADER) >= 2  # /renewals and at least one digest group
    assert f"Client name{SEPARATOR}" not in out
