"""What the app must never do: show one workspace's rows to another, let user data ping
a channel, or leak a traceback to a person. Also: Enterprise Grid teams and OAuth installs."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import time_machine
from sqlalchemy import text
from sqlmodel import Session, select

from blocks.values import ClientRef, PageRef, encode
from store.models import Workspace
from tests.app_client import SlackAppClient, start_slack_app
from tests.factories import NOON, seed_client
from tests.fake_slack import FakeSlack, escaping_problems
from tests.renewals_data import all_text, client_names, mrkdwn_text, table_rows
from tests.slack_requests import block_actions_payload


@pytest.fixture(autouse=True)
def frozen_day() -> Iterator[None]:
    with time_machine.travel(NOON, tick=True):
        yield


def _everything_sent(fake: FakeSlack) -> str:
    return json.dumps([call.params for call in fake.calls])


def test_another_workspace_never_sees_this_workspaces_rows(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    seed_client(slack_app.engine, "Secret Client One", team_id="T0TEAM1", changes=[{"days": 60}])
    seed_client(slack_app.engine, "Their Own Client", team_id="T0TEAM2", changes=[{"days": 70}])

    # One at a time: replies to concurrent commands may arrive in either order.
    slack_app.command("/renewals", "", team_id="T0TEAM2")
    first = slack_app.wait_for("response_url")
    assert client_names(first) == ["Their Own Client"]
    slack_app.command("/renewals", "secret", team_id="T0TEAM2")
    second = slack_app.wait_for("response_url", count=2)
    assert "No contract changes match" in all_text(second)
    assert "Secret Client One" not in _everything_sent(fake_slack)


def test_a_page_button_naming_another_team_is_refused(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    seed_client(slack_app.engine, "Secret Client One", team_id="T0TEAM1", changes=[{"days": 60}])
    seed_client(slack_app.engine, "Their Own Client", team_id="T0TEAM2", changes=[{"days": 70}])
    forged = encode(PageRef(text="", offset=0, team_id="T0TEAM1"))

    for action_id in ("renewals_next", "renewals_previous", "renewals_share", "renewals_columns"):
        payload = block_actions_payload(action_id, forged, team_id="T0TEAM2", fake=fake_slack)
        assert slack_app.action(payload).status == 200
    slack_app.wait_for("response_url", count=4)
    slack_app.settle()

    replies = fake_slack.calls_to("response_url")
    assert all("another workspace" in all_text(reply) for reply in replies)
    assert all(reply.params.get("replace_original") is False for reply in replies)
    assert all(reply.params.get("response_type") == "ephemeral" for reply in replies)
    assert "Secret Client One" not in _everything_sent(fake_slack)
    assert fake_slack.calls_to("views.open") == []


def test_a_client_picked_with_another_teams_reference_is_refused(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    secret = seed_client(slack_app.engine, "Secret Client One", team_id="T0TEAM1", changes=[{"days": 60}])
    seed_client(slack_app.engine, "Their Own Client", team_id="T0TEAM2", changes=[{"days": 70}])

    for claimed_team in ("T0TEAM1", "T0TEAM2"):  # whatever team the value claims
        value = encode(ClientRef(client_id=secret, team_id=claimed_team))
        payload = block_actions_payload(
            "renewals_open_client",
            None,
            action_type="static_select",
            extra_action={"selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": value}},
            team_id="T0TEAM2",
            fake=fake_slack,
        )
        assert slack_app.action(payload).status == 200
    slack_app.wait_for("response_url", count=2)
    slack_app.settle()

    assert "Secret Client One" not in _everything_sent(fake_slack)
    assert len(fake_slack.calls_to("response_url")) == 2


def test_a_client_named_like_a_broadcast_pings_no_one(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    seed_client(slack_app.engine, "<!channel> & co", changes=[{"days": 60}])

    slack_app.command("/renewals", "<!channel>")
    message = slack_app.wait_for("response_url")

    assert table_rows(message)[1][0] == "<!channel> & co"  # raw_text cells are never parsed as mrkdwn
    assert "<!channel>" not in mrkdwn_text(message)
    assert "&lt;!channel&gt;" in all_text(message)  # the search words, echoed in the filters line


def test_a_broadcast_typed_as_slack_sends_it_finds_the_client_and_is_echoed_escaped(
    slack_app: SlackAppClient,
) -> None:
    # Slack sends typed `<`, `>`, `&` as entities; only real mentions and links keep `<...>`.
    seed_client(slack_app.engine, "<!channel> & co", changes=[{"days": 60}])

    slack_app.command("/renewals", "&lt;!channel&gt; &amp; co")
    message = slack_app.wait_for("response_url")

    assert client_names(message) == ["<!channel> & co"]
    assert "<!channel>" not in mrkdwn_text(message)
    assert "“&lt;!channel&gt; &amp; co”" in all_text(message)


def test_a_search_that_finds_nothing_echoes_the_words_escaped(slack_app: SlackAppClient) -> None:
    seed_client(slack_app.engine, "Acme", changes=[{"days": 60}])

    slack_app.command("/renewals", "<!here> <@U0BOB>")
    message = slack_app.wait_for("response_url")

    assert "<!here>" not in mrkdwn_text(message) and "<@U0BOB>" not in mrkdwn_text(message)


def test_a_bad_filter_value_is_echoed_escaped(slack_app: SlackAppClient) -> None:
    slack_app.command("/renewals", "type:<!everyone>")
    message = slack_app.wait_for("response_url")

    assert "&lt;!everyone&gt;" in all_text(message)
    assert "<!everyone>" not in mrkdwn_text(message)


@pytest.mark.parametrize(
    ("command", "text"),
    [
        ("/renewals", "help"),
        ("/renewals", "type:nonsense"),
        ("/renewals", "digest on whenever"),
        ("/renewals", "digest status"),
        ("/renewals", "digest off"),
        ("/renewal", ""),
        ("/renewal", "   "),
        ("/renewal-owner", ""),
        ("/renewal-owner", "Rocket"),
        ("/renewal-owner", "Rocket nobody"),
        ("/renewal-owner", "default everyone"),
    ],
)
def test_help_and_usage_replies_send_placeholders_escaped(
    slack_app: SlackAppClient, fake_slack: FakeSlack, command: str, text: str
) -> None:
    # Slack reads `<client>` as a link even inside backticks: it must go out as `&lt;client&gt;`.
    slack_app.command(command, text)
    slack_app.wait_for("response_url")

    assert fake_slack.problems == []


@pytest.mark.parametrize(
    ("mrkdwn", "flagged"),
    [
        ("<@U0ALICE> and <@U0BOB|bob> in <#C0CHANNEL>", False),
        ("<!date^1741608000^{date_short_pretty} at {time}|2025-03-10 12:00 UTC>", False),
        ("<https://acme.com|Acme &amp; co> `/renewal &lt;client&gt;`", False),
        ("`/renewal <client>`", True),
        ("<!channel>", True),
        ("Acme & co", True),
        ("<https://acme.com|Acme & co>", True),
    ],
)
def test_the_fake_slack_flags_raw_markup_but_not_mentions_dates_or_links(mrkdwn: str, flagged: bool) -> None:
    assert bool(escaping_problems(mrkdwn)) is flagged


def test_enterprise_grid_click_without_a_team_is_served_for_the_users_team(
    slack_app: SlackAppClient, fake_slack: FakeSlack, session: Session
) -> None:
    # An org-wide install: interactivity payloads carry `team: null`; user.team_id says the team.
    for n in range(25):
        seed_client(slack_app.engine, f"Grid Client {n:02d}", team_id="T0GRID1", changes=[{"days": 46 + n}])
    seed_client(slack_app.engine, "Other Team Client", team_id="T0GRID2", changes=[{"days": 46}])
    value = encode(PageRef(text="", offset=20, team_id="T0GRID1"))
    payload = block_actions_payload(
        "renewals_next", value, team_id=None, user_team_id="T0GRID1", enterprise_id="E0ORG", fake=fake_slack
    )

    assert slack_app.action(payload).status == 200

    page = slack_app.wait_for("response_url")
    assert client_names(page) == [f"Grid Client {n:02d}" for n in range(20, 25)]
    grid = session.exec(select(Workspace).where(Workspace.team_id == "T0GRID1")).one()
    assert grid.enterprise_id == "E0ORG"


def test_a_command_from_an_enterprise_workspace_records_its_enterprise(
    slack_app: SlackAppClient, session: Session
) -> None:
    slack_app.command("/renewals", "", team_id="T0GRID3", enterprise_id="E0ORG")
    slack_app.wait_for("response_url")

    workspace = session.exec(select(Workspace).where(Workspace.team_id == "T0GRID3")).one()
    assert workspace.enterprise_id == "E0ORG"


def test_a_failure_tells_the_person_briefly_and_leaks_no_traceback(
    fake_slack: FakeSlack, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    client, stop = start_slack_app(fake_slack, sqlite_url)
    try:
        with client.engine.begin() as connection:
            connection.execute(text("DROP TABLE contract_change"))
        assert client.command("/renewals", "").status == 200
        reply = client.wait_for("response_url")
    finally:
        stop()

    said = all_text(reply)
    assert "something went wrong" in said
    assert "Traceback" not in said and "contract_change" not in said
    assert reply.params["response_type"] == "ephemeral"
    assert any("/renewals failed" in r.getMessage() and r.exc_info for r in caplog.records)


# --- OAuth (multi-workspace) ------------------------------------------------------------------


def test_oauth_mode_serves_the_install_page_and_keeps_state_in_the_database(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    client, stop = start_slack_app(
        fake_slack, sqlite_url, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="shh"
    )
    try:
        page = client.get("/slack/install")
        with client.engine.connect() as connection:
            states = connection.execute(text("SELECT count(*) FROM slack_oauth_states")).scalar_one()
        redirect = client.get("/slack/oauth_redirect?code=x&state=forged")
    finally:
        stop()

    assert page.status == 200
    body = page.body.decode()
    assert "client_id=111.222" in body
    assert "users%3Aread.email" in body or "users:read.email" in body
    assert states == 1
    assert redirect.status >= 400  # a state the app never issued


def test_oauth_mode_refuses_a_request_from_a_workspace_that_never_installed(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    client, stop = start_slack_app(
        fake_slack, sqlite_url, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="shh"
    )
    try:
        reply = client.command("/renewals", "", team_id="T0NOINSTALL")
        notice = client.wait_for("response_url")
        client.settle(quiet=0.2)
        with Session(client.engine) as session:
            workspaces = session.exec(select(Workspace)).all()
    finally:
        stop()

    assert reply.status == 200
    assert "installation" in notice.params["text"]  # Bolt's own notice; no table, no data
    assert not any(b.get("type") == "table" for b in notice.params.get("blocks") or [])
    assert len(fake_slack.calls_to("response_url")) == 1
    assert workspaces == []  # refused before the app looked at any workspace


def test_a_listener_failing_right_after_ack_still_acks_and_tells_the_person(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    # The listener fails the moment after its ack(). Bolt 1.30 would then answer 404 after
    # 3 s unless the error handler lets the ack go out first.
    client, stop = start_slack_app(fake_slack, sqlite_url)
    try:
        with client.engine.begin() as connection:
            connection.execute(text("DROP TABLE contract_change"))
        statuses = []
        for _ in range(5):
            value = encode(PageRef(text="", offset=20, team_id="T0TEAM1"))
            statuses.append(
                client.action(block_actions_payload("renewals_next", value, fake=fake_slack)).status
            )
        client.wait_for("response_url", count=5)
    finally:
        stop()

    assert statuses == [200] * 5
    assert all("something went wrong" in c.params["text"] for c in fake_slack.calls_to("response_url"))


def test_simultaneous_first_requests_from_a_new_workspace_all_get_answers(
    slack_app: SlackAppClient, fake_slack: FakeSlack, session: Session
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(lambda _: slack_app.command("/renewals", "", team_id="T0BRANDNEW").status, range(8))
        )

    assert statuses == [200] * 8
    slack_app.wait_for("response_url", count=8)
    replies = fake_slack.calls_to("response_url")
    assert all("No contract changes start" in r.params["text"] for r in replies)
    assert len(session.exec(select(Workspace).where(Workspace.team_id == "T0BRANDNEW")).all()) == 1
