"""`renewals-bot import` from the outside: exit codes, one-line errors, the summary, Slack linking."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func
from sqlmodel import Session, select

from bot.cli.main import main
from store.columns import Column
from store.db import make_engine, session_scope
from store.models import Client, Contact, ContractChange, PartnerMember, Workspace
from store.preferences import save_columns
from store.workspaces import ensure_workspace
from tests.app_client import SlackAppClient
from tests.client_support import blocks_text
from tests.factories import NOON
from tests.fake_slack import Call, FakeSlack
from tests.renewals_data import all_text, table_rows
from tests.slack_requests import USER_ID

GOOD = (
    "Client name,Hub ID,Communication owner,Contract type,Status,Renewal start date,Current MRR,Notes\n"
    "Acme,1001,sam@agency.example,Renewal,Pending,2027-03-01,$100.00,x\n"
    "Café Núñez,1002,HubSpot,Email overage,Confirmed,2027-04-01,€50,y\n"
)
BAD = (
    "Client name,Hub ID,Contract type,Status,Renewal start date\n"
    "Acme,1001,Renewal,Pending,2027-03-01\n"
    "Broken,12x,Renewal,Pending,2027-03-01\n"
    "Other,1003,Renewal,Maybe,2027-03-01\n"
)
SLACK_SETTINGS = (
    "SLACK_BOT_TOKEN",
    "SLACK_API_URL",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
)


@pytest.fixture
def folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    """A working folder with no .env, no Slack settings, and DATABASE_URL at the test database."""
    monkeypatch.chdir(tmp_path)
    for name in SLACK_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    return tmp_path


def cli(*args: str) -> int:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    code = exited.value.code
    assert isinstance(code, int)
    return code


def write(folder: Path, text: str, name: str = "export.csv") -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def count(database_url: str, model: type) -> int:
    engine = make_engine(database_url)
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(model)).one()
    engine.dispose()
    return total


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_a_good_file_exits_0_with_a_summary(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("import", write(folder, GOOD), "--team", "T0TEAM1") == 0
    out = capsys.readouterr().out
    assert "Imported export.csv into workspace T0TEAM1: 2 rows" in out
    assert "2 created, 0 updated, 0 unchanged, 0 invalid, 0 removed, 0 warnings" in out
    assert "unknown columns (ignored): Notes" in out


def test_importing_again_reports_everything_unchanged(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(folder, GOOD)
    assert cli("import", path, "--team", "T0TEAM1") == 0
    capsys.readouterr()
    assert cli("import", path, "--team", "T0TEAM1") == 0
    out = capsys.readouterr().out
    assert "0 created, 0 updated, 2 unchanged, 0 invalid" in out and "nothing changed" in out


def test_invalid_rows_exit_1_list_every_line_and_write_nothing(
    folder: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("import", write(folder, BAD), "--team", "T0TEAM1") == 1
    captured = capsys.readouterr()
    assert "line 3: Hub ID: '12x' is not digits" in captured.out
    assert "line 4: Status: 'Maybe' is not a status" in captured.out
    assert "0 created" in captured.out and "2 invalid" in captured.out
    error = one_error_line(captured.err)
    assert error.startswith("renewals-bot: 2 invalid rows (line 3, 4): nothing was imported")
    assert count(database_url, ContractChange) == 0 and count(database_url, Workspace) == 0


def test_skip_invalid_writes_the_valid_rows_and_exits_0(
    folder: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("import", write(folder, BAD), "--team", "T0TEAM1", "--skip-invalid") == 0
    out = capsys.readouterr().out
    assert "Skipped rows (2):" in out and "line 3:" in out and "line 4:" in out
    assert "1 created, 0 updated, 0 unchanged, 2 invalid" in out
    assert count(database_url, ContractChange) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "is empty"),
        (b"\xef\xbb\xbf", "is empty"),
        (b"Client name,Hub ID\nCaf\xe9,1\n", "is not UTF-8 text"),
        (b"Acme,1,Renewal,Pending,2027-01-01\n", "has no header row"),
        (b"Client name,Hub ID\nAcme,1\n", "missing required columns"),
    ],
    ids=["missing", "empty", "bom-only", "latin-1", "no-header", "missing-columns"],
)
def test_an_unusable_file_is_one_line_and_a_non_zero_exit(
    folder: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = folder / "file.csv"
    if content is not None:
        path.write_bytes(content)
    assert cli("import", str(path), "--team", "T0TEAM1") == 1
    assert message in one_error_line(capsys.readouterr().err)


def test_a_folder_is_not_a_file(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("import", str(folder), "--team", "T0TEAM1") == 1
    assert "is a folder" in one_error_line(capsys.readouterr().err)


def test_without_team_or_token_it_says_what_to_do(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("import", write(folder, GOOD)) == 1
    error = one_error_line(capsys.readouterr().err)
    assert "--team" in error and "SLACK_BOT_TOKEN" in error


def test_a_bad_team_id_is_refused(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("import", write(folder, GOOD), "--team", "acme corp") == 1
    assert "is not a Slack team ID" in one_error_line(capsys.readouterr().err)


@pytest.fixture
def slack_env(folder: Path, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> FakeSlack:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    return fake_slack


def test_the_team_defaults_to_the_bot_tokens_workspace(
    slack_env: FakeSlack, folder: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    slack_env.team_id = "T0BOTTEAM"
    assert cli("import", write(folder, GOOD)) == 0
    assert "into workspace T0BOTTEAM" in capsys.readouterr().out
    engine = make_engine(database_url)
    with Session(engine) as session:
        assert session.exec(select(Workspace.team_id)).all() == ["T0BOTTEAM"]
    engine.dispose()


def test_a_refused_token_is_one_line(
    slack_env: FakeSlack, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slack_env.fail("auth.test", error="invalid_auth")
    assert cli("import", write(folder, GOOD)) == 1
    error = one_error_line(capsys.readouterr().err)
    assert "invalid_auth" in error and "--team" in error


def test_partner_members_are_linked_to_their_slack_users(
    slack_env: FakeSlack, folder: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    slack_env.add_user("U0SAM", email="Sam@Agency.example", name="Sam Okafor")
    assert cli("import", write(folder, GOOD), "--team", "T0TEAM1") == 0
    assert "linked to Slack: sam@agency.example" in capsys.readouterr().out
    engine = make_engine(database_url)
    with Session(engine) as session:
        (member,) = session.exec(select(PartnerMember)).all()
        assert (member.slack_user_id, member.name) == ("U0SAM", "Sam Okafor")
        owners = session.exec(select(Client.owner_member_id).where(Client.hub_id == "1001")).all()
        assert owners == [member.id]
    engine.dispose()
    # Linked members are not looked up again.
    slack_env.clear()
    assert cli("import", write(folder, GOOD), "--team", "T0TEAM1") == 0
    assert slack_env.calls_to("users.lookupByEmail") == []


@pytest.mark.parametrize("error", ["users_not_found", "missing_scope"])
def test_a_failed_lookup_is_a_warning_not_a_failure(
    slack_env: FakeSlack, folder: Path, database_url: str, capsys: pytest.CaptureFixture[str], error: str
) -> None:
    slack_env.fail("users.lookupByEmail", error=error)
    assert cli("import", write(folder, GOOD), "--team", "T0TEAM1") == 0
    out = capsys.readouterr().out
    assert "warning:" in out and "sam@agency.example" in out
    assert count(database_url, ContractChange) == 2


def test_no_lookups_for_another_workspace_than_the_tokens(
    slack_env: FakeSlack, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slack_env.add_user("U0SAM", email="sam@agency.example")
    assert cli("import", write(folder, GOOD), "--team", "T0ELSEWHERE") == 0
    assert "not linked to Slack" in capsys.readouterr().out
    assert slack_env.calls_to("users.lookupByEmail") == []


def test_with_team_given_a_refused_token_only_skips_linking(
    slack_env: FakeSlack, folder: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    slack_env.fail("auth.test", error="invalid_auth")
    assert cli("import", write(folder, GOOD), "--team", "T0TEAM1") == 0
    assert "warning: partner members not linked to Slack" in capsys.readouterr().out
    assert count(database_url, ContractChange) == 2


@pytest.mark.parametrize(
    "cell",
    ["Jane Doe <jane@acme.example>, Bob Roe <bob@acme.example>", "jane@acme.example, bob@acme.example"],
    ids=["named", "bare"],
)
def test_contacts_separated_by_commas_are_each_a_contact_not_run_together(
    folder: Path, database_url: str, capsys: pytest.CaptureFixture[str], cell: str
) -> None:
    # A name may not hold `<`: "Jane Doe <jane@…>, Bob Roe" is two people, not one named so.
    text = (
        "Client name,Hub ID,Contract type,Status,Renewal start date,Contacts\n"
        f'Acme,1001,Renewal,Pending,2027-03-01,"{cell}"\n'
    )
    assert cli("import", write(folder, text), "--team", "T0TEAM1") == 0
    assert "0 warnings" in capsys.readouterr().out
    engine = make_engine(database_url)
    with Session(engine) as session:
        emails = sorted(session.exec(select(Contact.email)).all())
    engine.dispose()
    assert emails == ["bob@acme.example", "jane@acme.example"]


def test_a_primary_contact_holding_two_addresses_is_ignored_with_a_warning(
    folder: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "Client name,Hub ID,Contract type,Status,Renewal start date,Primary client contact\n"
        "Acme,1001,Renewal,Pending,2027-03-01,Jane <jane@acme.example> <bob@acme.example>\n"
    )
    assert cli("import", write(folder, text), "--team", "T0TEAM1") == 0
    out = capsys.readouterr().out
    assert "line 2: Primary client contact:" in out and "the cell is ignored" in out
    assert count(database_url, ContractChange) == 1 and count(database_url, Contact) == 0


# --- money in several currencies, from the file to Slack ----------------------------------------

MIXED = (
    "Client name,Hub ID,Contract type,Status,Renewal start date,Current MRR,Estimated new MRR\n"
    "Mixed Co,3001,Renewal,Pending,2026-05-01,€9311.75,GBP 2368.68\n"
    "Dollar Inc,3002,Renewal,Pending,2026-05-10,$100.00,\n"
)


@pytest.fixture
def mixed(folder: Path, slack_app: SlackAppClient) -> Iterator[SlackAppClient]:
    """The app, on "today" NOON, after the CLI imported a client whose renewal moves from EUR to GBP."""
    with time_machine.travel(NOON, tick=True):
        assert cli("import", write(folder, MIXED), "--team", "T0TEAM1") == 0
        yield slack_app


def reply_to(app: SlackAppClient, command: str, text: str = "") -> Call:
    before = len(app.fake.calls_to("response_url"))
    assert app.command(command, text).status == 200
    return app.wait_for("response_url", count=before + 1)


def test_a_row_in_two_currencies_imports_and_again_is_unchanged(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(folder, MIXED)
    assert cli("import", path, "--team", "T0TEAM1") == 0
    assert "2 created, 0 updated, 0 unchanged, 0 invalid, 0 removed, 0 warnings" in capsys.readouterr().out
    assert cli("import", path, "--team", "T0TEAM1") == 0
    assert "0 created, 0 updated, 2 unchanged, 0 invalid, 0 removed, 0 warnings" in capsys.readouterr().out


def test_the_renewals_table_shows_each_amount_in_its_currency_and_totals_per_currency(
    mixed: SlackAppClient,
) -> None:
    with session_scope(mixed.engine) as session:
        workspace = ensure_workspace("T0TEAM1", session=session)
        assert workspace.id is not None
        save_columns(
            workspace.id, USER_ID, [Column.CURRENT_MRR.value, Column.ESTIMATED_NEW_MRR.value], session=session
        )

    message = reply_to(mixed, "/renewals")

    rows = table_rows(message)
    assert rows[0][-2:] == ["Current MRR", "Estimated new MRR"]
    assert [row[-2:] for row in rows[1:]] == [["€9,311.75", "£2,368.68"], ["$100.00", "–"]]
    assert "€9,311.75 + $100.00* MRR at stake" in all_text(message)


def test_the_client_detail_shows_each_amount_in_its_currency(mixed: SlackAppClient) -> None:
    text = blocks_text(reply_to(mixed, "/renewal", "Mixed Co").params["blocks"])

    assert "*Current MRR*\n€9,311.75" in text and "*Estimated new MRR*\n£2,368.68" in text
