"""OAuth (multi-workspace) from the outside: install through /slack/install and the redirect,
each workspace served with its own token, uninstall and revoked tokens, refused tokens in jobs,
Enterprise Grid org-wide installs.

The app runs with SLACK_CLIENT_ID / SLACK_CLIENT_SECRET and no bot token; the fake Slack
exchanges OAuth codes at `oauth.v2.access` (`FakeSlack.grant`) and knows each token's team.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from bot.jobs.digest_runner import Result, run_due
from bot.services import build_services
from bot.slack.installations import installation_store
from store.db import session_scope
from store.models import AuditEvent, Workspace
from store.workspaces import ensure_workspace
from tests.app_client import Reply, SlackAppClient, serving
from tests.digest_support import add_subscription, utc
from tests.factories import NOON, TEAM, add_change_due, seed_client
from tests.fake_slack import FakeSlack
from tests.renewals_data import client_names
from tests.slack_requests import block_actions_payload

CLIENT_ID = "111.oauth"
CLIENT_SECRET = "oauth-client-secret"
T1, T2 = "T0ONE", "T0TWO"
TOKEN_1, TOKEN_2 = "xoxb-team-one", "xoxb-team-two"
ORG, GRID_1, GRID_2, ORG_TOKEN = "E0ORG", "T0GRID1", "T0GRID2", "xoxb-org-wide"
MONDAY = date(2025, 3, 10)  # London is on GMT (UTC+0) that week
MONDAY_NINE = utc(2025, 3, 10, 9, 0)


@pytest.fixture
def frozen_day() -> Iterator[None]:
    """For the /renewals tables: `days` in tests/factories.py counts from this day.
    tick=True: the app's threads and Slack's signature window still see time pass."""
    with time_machine.travel(NOON, tick=True):
        yield


@pytest.fixture
def oauth_app(fake_slack: FakeSlack, database_url: str) -> Iterator[SlackAppClient]:
    """The app in OAuth mode; the fake checks the client credentials it exchanges codes with."""
    fake_slack.client_credentials = (CLIENT_ID, CLIENT_SECRET)
    with serving(
        fake_slack,
        database_url,
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
    ) as client:
        yield client


def install(
    app: SlackAppClient,
    *,
    code: str,
    token: str,
    team_id: str | None,
    enterprise_id: str | None = None,
) -> Reply:
    """A person installs the app: the install page, Slack's consent, the redirect back with code+state."""
    app.fake.grant(code, token=token, team_id=team_id, enterprise_id=enterprise_id)
    page = app.get("/slack/install")
    assert page.status == 200
    found = re.search(r"[?&]state=([^&\"']+)", page.body.decode())
    assert found is not None, "the install page links to Slack with a state"
    # The browser brings back the cookie the install page set: the state must be its own.
    headers = {name.lower(): value for name, value in page.headers.items()}
    cookie = headers["set-cookie"].split(";")[0]
    return app.get(f"/slack/oauth_redirect?code={code}&state={found.group(1)}", headers={"Cookie": cookie})


def install_two_teams(app: SlackAppClient) -> None:
    assert install(app, code="code-1", token=TOKEN_1, team_id=T1).status == 200
    assert install(app, code="code-2", token=TOKEN_2, team_id=T2).status == 200


def stored_token(engine: Engine, team_id: str | None, enterprise_id: str | None = None) -> str | None:
    from bot.settings import Settings

    settings = Settings(_env_file=None, slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET)  # type: ignore[call-arg]
    bot = installation_store(settings, engine).find_bot(
        enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=team_id is None
    )
    return None if bot is None else bot.bot_token


def workspace(engine: Engine, team_id: str) -> Workspace:
    with Session(engine) as session:
        return session.exec(select(Workspace).where(Workspace.team_id == team_id)).one()


def subscribe_with_news(engine: Engine, team_id: str, enterprise_id: str | None = None) -> str:
    """A channel of `team_id` subscribed to a digest with one contract change due; its ID."""
    with session_scope(engine) as session:
        row = ensure_workspace(team_id, session=session, enterprise_id=enterprise_id)
        add_change_due(session, row, f"Client of {team_id}", deadline=MONDAY)
    channel = f"C0{team_id}"
    add_subscription(engine, team_id=team_id, channel=channel)
    return channel


def tick(app: SlackAppClient, at: datetime) -> list:  # type: ignore[type-arg]
    with time_machine.travel(at, tick=False):
        return run_due(build_services(app.settings, app.engine))


def digest_tokens(fake: FakeSlack) -> dict[str, str]:
    """Each channel's digest post, by the token it was posted with."""
    return {
        c.params["channel"]: c.headers.get("Authorization", "").removeprefix("Bearer ")
        for c in fake.calls_to("chat.postMessage")
    }


def send_event(app: SlackAppClient, event: dict, **where: object) -> None:  # type: ignore[type-arg]
    """An Events API delivery; waits until its listener has run (Bolt acks events first)."""
    before = _audit_count(app.engine)
    assert app.event(event, **where).status == 200  # type: ignore[arg-type]
    deadline = time.monotonic() + 10
    while _audit_count(app.engine) == before and time.monotonic() < deadline:
        time.sleep(0.02)


def _audit_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM audit_event")).scalar_one()


# --- install ----------------------------------------------------------------------------------


def test_installing_exchanges_the_code_and_keeps_the_workspace_token(
    oauth_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    done = install(oauth_app, code="code-1", token=TOKEN_1, team_id=T1)

    assert done.status == 200
    [exchange] = fake_slack.calls_to("oauth.v2.access")
    assert exchange.params["code"] == "code-1"
    assert stored_token(oauth_app.engine, T1) == TOKEN_1
    with oauth_app.engine.connect() as connection:  # the state was used up
        assert connection.execute(text("SELECT count(*) FROM slack_oauth_states")).scalar_one() == 0


def test_a_redirect_without_the_browser_that_started_the_install_installs_nothing(
    oauth_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    fake_slack.grant("code-1", token=TOKEN_1, team_id=T1)
    page = oauth_app.get("/slack/install")
    state = re.search(r"[?&]state=([^&\"']+)", page.body.decode())
    assert state is not None

    done = oauth_app.get(f"/slack/oauth_redirect?code=code-1&state={state.group(1)}")  # no cookie

    assert done.status == 400
    assert fake_slack.calls_to("oauth.v2.access") == []
    assert stored_token(oauth_app.engine, T1) is None


def test_installing_in_a_team_of_an_enterprise_records_its_enterprise_for_its_jobs(
    oauth_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    install(oauth_app, code="code-grid", token="xoxb-grid-team", team_id=GRID_1, enterprise_id=ORG)
    channel = subscribe_with_news(oauth_app.engine, GRID_1)  # no request from the team yet

    [outcome] = tick(oauth_app, MONDAY_NINE)

    assert workspace(oauth_app.engine, GRID_1).enterprise_id == ORG
    assert outcome.result is Result.POSTED
    assert digest_tokens(fake_slack) == {channel: "xoxb-grid-team"}


# --- each workspace its own token -------------------------------------------------------------


@pytest.mark.usefixtures("frozen_day")
def test_each_workspace_s_command_is_served_with_its_own_token_and_data(
    oauth_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    install_two_teams(oauth_app)
    seed_client(oauth_app.engine, "One's Client", team_id=T1)
    seed_client(oauth_app.engine, "Two's Client", team_id=T2)
    fake_slack.clear()

    oauth_app.command("/renewals", "", team_id=T1)
    from_one = oauth_app.wait_for("response_url")
    oauth_app.settle()
    tokens_for_one = fake_slack.tokens_used()
    fake_slack.clear()
    oauth_app.command("/renewals", "", team_id=T2)
    from_two = oauth_app.wait_for("response_url")
    oauth_app.settle()

    assert tokens_for_one == {TOKEN_1}
    assert fake_slack.tokens_used() == {TOKEN_2}
    assert client_names(from_one) == ["One's Client"]
    assert client_names(from_two) == ["Two's Client"]


def test_a_digest_posts_with_its_own_workspace_s_token(
    oauth_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    install_two_teams(oauth_app)
    one = subscribe_with_news(oauth_app.engine, T1)
    two = subscribe_with_news(oauth_app.engine, T2)

    outcomes = tick(oauth_app, MONDAY_NINE)

    assert [o.result for o in outcomes] == [Result.POSTED, Result.POSTED]
    assert digest_tokens(fake_slack) == {one: TOKEN_1, two: TOKEN_2}


# --- uninstall, revoked tokens, reinstall -----------------------------------------------------


def test_app_uninstalled_removes_that_workspace_s_installation_and_pauses_its_digests(
    oauth_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    install_two_teams(oauth_app)
    subscribe_with_news(oauth_app.engine, T1)
    two = subscribe_with_news(oauth_app.engine, T2)

    send_event(oauth_app, {"type": "app_uninstalled"}, team_id=T1)
    outcomes = tick(oauth_app, MONDAY_NINE)

    assert stored_token(oauth_app.engine, T1) is None
    assert stored_token(oauth_app.engine, T2) == TOKEN_2
    assert workspace(oauth_app.engine, T1).paused_reason == "app_uninstalled"
    assert workspace(oauth_app.engine, T2).paused_at is None
    assert [(o.channel_id, o.result) for o in outcomes] == [(two, Result.POSTED)]
    assert digest_tokens(fake_slack) == {two: TOKEN_2}


def test_a_revoked_bot_token_removes_the_installation_and_pauses_the_workspace(
    oauth_app: SlackAppClient,
) -> None:
    install_two_teams(oauth_app)
    subscribe_with_news(oauth_app.engine, T1)

    send_event(oauth_app, {"type": "tokens_revoked", "tokens": {"bot": ["U0BOT"]}}, team_id=T1)

    assert stored_token(oauth_app.engine, T1) is None
    assert workspace(oauth_app.engine, T1).paused_reason == "tokens_revoked"
    assert tick(oauth_app, MONDAY_NINE) == []


@pytest.mark.usefixtures("frozen_day")
def test_a_command_after_uninstall_is_told_to_reinstall_and_sees_no_data(
    oauth_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    install_two_teams(oauth_app)
    seed_client(oauth_app.engine, "One's Client", team_id=T1)
    send_event(oauth_app, {"type": "app_uninstalled"}, team_id=T1)
    fake_slack.clear()

    oauth_app.command("/renewals", "", team_id=T1)
    notice = oauth_app.wait_for("response_url")

    assert "reinstall" in notice.params["text"]
    assert "One's Client" not in str(notice.params)


def test_reinstalling_resumes_the_workspace_s_digests_with_the_new_token(
    oauth_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    install_two_teams(oauth_app)
    one = subscribe_with_news(oauth_app.engine, T1)
    send_event(oauth_app, {"type": "app_uninstalled"}, team_id=T1)

    assert install(oauth_app, code="code-again", token="xoxb-team-one-new", team_id=T1).status == 200
    outcomes = tick(oauth_app, MONDAY_NINE)

    assert workspace(oauth_app.engine, T1).paused_at is None
    assert Result.POSTED in [o.result for o in outcomes if o.channel_id == one]
    assert digest_tokens(fake_slack)[one] == "xoxb-team-one-new"
    with Session(oauth_app.engine) as session:
        history = session.exec(
            select(AuditEvent.actor, AuditEvent.action)
            .where(col(AuditEvent.action).startswith("workspace_"))
            .order_by(col(AuditEvent.id))
        ).all()
    assert history == [("slack", "workspace_paused"), ("U0INSTALLER", "workspace_resumed")]


@pytest.mark.parametrize("error", ["invalid_auth", "account_inactive", "token_revoked"])
def test_a_token_slack_refuses_pauses_the_workspace_logs_once_and_is_not_retried(
    oauth_app: SlackAppClient, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture, error: str
) -> None:
    install_two_teams(oauth_app)
    one = subscribe_with_news(oauth_app.engine, T1)
    fake_slack.refuse_token(TOKEN_1, error)

    with caplog.at_level(logging.INFO):
        first = tick(oauth_app, MONDAY_NINE)
        # A minute later, and past the retry delay of a failed digest: no new attempt.
        later = tick(oauth_app, utc(2025, 3, 10, 9, 1)) + tick(oauth_app, utc(2025, 3, 10, 12, 0))

    assert [(o.channel_id, o.result) for o in first] == [(one, Result.PAUSED)]
    assert later == []
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert workspace(oauth_app.engine, T1).paused_reason == error
    logged = [r for r in caplog.records if error in r.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.WARNING


def test_a_refused_token_stops_the_workspace_s_other_digests_in_the_same_tick(
    oauth_app: SlackAppClient, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    install_two_teams(oauth_app)
    subscribe_with_news(oauth_app.engine, T1)
    add_subscription(oauth_app.engine, team_id=T1, channel="C0SECOND")
    fake_slack.refuse_token(TOKEN_1, "invalid_auth")

    with caplog.at_level(logging.INFO):
        outcomes = tick(oauth_app, MONDAY_NINE)

    assert [o.result for o in outcomes] == [Result.PAUSED]
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert len([r for r in caplog.records if "invalid_auth" in r.getMessage()]) == 1


# --- with SLACK_BOT_TOKEN (one workspace) -----------------------------------------------------


def test_with_a_bot_token_app_uninstalled_pauses_the_workspace_s_digests(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    subscribe_with_news(slack_app.engine, TEAM)

    send_event(slack_app, {"type": "app_uninstalled"}, team_id=TEAM)

    assert workspace(slack_app.engine, TEAM).paused_reason == "app_uninstalled"
    assert tick(slack_app, MONDAY_NINE) == []
    assert fake_slack.calls_to("chat.postMessage") == []


# --- Enterprise Grid org-wide installs --------------------------------------------------------


def install_org_wide(app: SlackAppClient) -> None:
    assert install(app, code="code-org", token=ORG_TOKEN, team_id=None, enterprise_id=ORG).status == 200


def test_an_org_wide_install_is_kept_for_the_org_without_a_team(oauth_app: SlackAppClient) -> None:
    install_org_wide(oauth_app)

    assert stored_token(oauth_app.engine, None, ORG) == ORG_TOKEN


@pytest.mark.usefixtures("frozen_day")
def test_a_command_from_a_team_of_an_org_wide_install_uses_the_org_token(
    oauth_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    install_org_wide(oauth_app)
    seed_client(oauth_app.engine, "Grid Client", team_id=GRID_1)
    seed_client(oauth_app.engine, "Other Team Client", team_id=GRID_2)
    fake_slack.clear()

    oauth_app.command("/renewals", "", team_id=GRID_1, enterprise_id=ORG, is_enterprise_install=True)
    reply = oauth_app.wait_for("response_url")
    oauth_app.settle()

    assert fake_slack.tokens_used() == {ORG_TOKEN}
    assert client_names(reply) == ["Grid Client"]
    assert workspace(oauth_app.engine, GRID_1).enterprise_id == ORG


@pytest.mark.usefixtures("frozen_day")
def test_a_click_without_a_team_under_an_org_wide_install_uses_the_org_token(
    oauth_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    from blocks.values import PageRef, encode

    install_org_wide(oauth_app)
    for n in range(25):
        seed_client(oauth_app.engine, f"Grid Client {n:02d}", team_id=GRID_1, changes=[{"days": 46 + n}])
    value = encode(PageRef(text="", offset=20, team_id=GRID_1))
    payload = block_actions_payload(
        "renewals_next", value, team_id=None, user_team_id=GRID_1, enterprise_id=ORG, fake=fake_slack
    )
    payload["is_enterprise_install"] = True
    fake_slack.clear()

    assert oauth_app.action(payload).status == 200
    page = oauth_app.wait_for("response_url")
    oauth_app.settle()

    assert fake_slack.tokens_used() == {ORG_TOKEN}
    assert client_names(page) == [f"Grid Client {n:02d}" for n in range(20, 25)]


def test_a_digest_of_a_team_of_an_org_wide_install_posts_with_the_org_token(
    oauth_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    install_org_wide(oauth_app)
    channel = subscribe_with_news(oauth_app.engine, GRID_1, enterprise_id=ORG)

    [outcome] = tick(oauth_app, MONDAY_NINE)

    assert outcome.result is Result.POSTED
    assert digest_tokens(fake_slack) == {channel: ORG_TOKEN}


def test_uninstalling_an_org_wide_install_pauses_every_team_of_the_org(oauth_app: SlackAppClient) -> None:
    install_org_wide(oauth_app)
    subscribe_with_news(oauth_app.engine, GRID_1, enterprise_id=ORG)
    subscribe_with_news(oauth_app.engine, GRID_2, enterprise_id=ORG)
    subscribe_with_news(oauth_app.engine, "T0ELSEWHERE")

    send_event(
        oauth_app, {"type": "app_uninstalled"}, team_id=ORG, enterprise_id=ORG, is_enterprise_install=True
    )

    assert stored_token(oauth_app.engine, None, ORG) is None
    assert workspace(oauth_app.engine, GRID_1).paused_reason == "app_uninstalled"
    assert workspace(oauth_app.engine, GRID_2).paused_reason == "app_uninstalled"
    assert workspace(oauth_app.engine, "T0ELSEWHERE").paused_at is None
