"""The digest runner through the outside: real database, the app's WebClient, the fake Slack.

Time is frozen with time-machine; the runner reads the clock itself, as in production.
"""

from __future__ import annotations

import logging
import multiprocessing
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from pydantic import SecretStr
from slack_sdk import WebClient
from sqlalchemy import Engine, event
from sqlmodel import Session

from bot.jobs.digest_runner import Result, run_due, run_subscription
from bot.services import Services, build_services
from store.claims import STALE_CLAIM_AFTER
from store.db import make_engine, session_scope
from store.digest_claims import RunStatus
from store.digest_subscriptions import get_subscription, unsubscribe
from store.models import DigestRun, DigestSubscription
from tests.digest_support import (
    CHANNEL,
    SUBSCRIBER,
    add_subscription,
    posts,
    run_due_in_process,
    runs,
    services_for,
    slow_posts,
    utc,
)
from tests.factories import add_change_due, workspace_row
from tests.fake_slack import FakeSlack, mrkdwn_texts

MONDAY = date(2025, 3, 10)  # London is on GMT (UTC+0) that week
MONDAY_NINE = utc(2025, 3, 10, 9, 0)


@pytest.fixture
def services(fake_slack: FakeSlack, engine: Engine, database_url: str) -> Services:
    return services_for(fake_slack, engine, database_url)


@pytest.fixture
def lite(fake_slack: FakeSlack, sqlite_url: str) -> Iterator[Services]:
    """SQLite only: for Slack-fault tests, where the database is not what is tested."""
    engine = make_engine(sqlite_url)
    yield services_for(fake_slack, engine, sqlite_url)
    engine.dispose()


def _tick(services: Services, at: datetime) -> list:  # type: ignore[type-arg]
    with time_machine.travel(at, tick=False):
        return run_due(services)


def _seed(engine: Engine, count: int = 1, day: date = MONDAY, name: str = "Acme Corp") -> None:
    with session_scope(engine) as session:
        workspace = workspace_row(session)
        for n in range(count):
            add_change_due(
                session,
                workspace,
                name if count == 1 else f"{name} {n:02d}",
                deadline=day + timedelta(days=n % 10),
            )


def _subscription(engine: Engine) -> DigestSubscription:
    with Session(engine) as session:
        workspace = workspace_row(session)
        subscription = get_subscription(workspace.id or 0, CHANNEL, session=session)
        assert subscription is not None
        return subscription


# --- when ------------------------------------------------------------------------------------


def test_a_digest_posts_at_its_local_time_and_only_once_that_day(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    _seed(engine)
    add_subscription(engine, at="09:00", tz="Europe/London")

    assert _tick(services, utc(2025, 3, 10, 8, 59)) == []
    [outcome] = _tick(services, MONDAY_NINE)
    assert outcome.result is Result.POSTED
    assert _tick(services, utc(2025, 3, 10, 9, 1)) == []
    assert _tick(services, utc(2025, 3, 10, 17, 0)) == []

    [post] = posts(fake_slack)
    assert "Acme Corp" in post.params["text"]
    [run] = runs(engine)
    assert (run.local_date, run.status, run.message_ts) == (MONDAY, "posted", outcome.message_ts)


def test_a_digest_follows_the_channel_time_zone(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    _seed(engine)
    add_subscription(engine, at="09:00", tz="America/New_York")  # EDT from 9 March: 13:00 UTC

    assert _tick(services, utc(2025, 3, 10, 12, 59)) == []
    assert [o.result for o in _tick(services, utc(2025, 3, 10, 13, 0))] == [Result.POSTED]
    assert len(posts(fake_slack)) == 1


def test_no_digest_on_weekends_unless_asked(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    _seed(engine, day=date(2025, 3, 15))
    add_subscription(engine, channel="C0WEEKDAYS")
    add_subscription(engine, channel="C0WEEKENDS", weekends=True)

    _tick(services, utc(2025, 3, 15, 10, 0))  # Saturday

    assert posts(fake_slack, "C0WEEKDAYS") == []
    assert len(posts(fake_slack, "C0WEEKENDS")) == 1


@pytest.mark.parametrize(
    ("first_day", "expected_utc_hours"),
    [
        (date(2025, 3, 29), [9, 8, 8]),  # London springs forward on Sunday 30 March
        (date(2025, 10, 25), [8, 9, 9]),  # ... and falls back on Sunday 26 October
    ],
)
def test_across_a_clock_change_each_day_gets_one_digest_at_nine_local(
    services: Services, engine: Engine, fake_slack: FakeSlack, first_day: date, expected_utc_hours: list[int]
) -> None:
    _seed(engine, day=first_day + timedelta(days=5))
    add_subscription(engine, at="09:00", tz="Europe/London", weekends=True)

    now = utc(first_day.year, first_day.month, first_day.day, 0, 0)
    while now < utc(first_day.year, first_day.month, first_day.day, 0, 0) + timedelta(days=3):
        _tick(services, now)
        now += timedelta(minutes=10)

    done = runs(engine)
    assert [r.local_date for r in done] == [first_day + timedelta(days=n) for n in range(3)]
    assert [r.claimed_at.hour for r in done] == expected_utc_hours
    assert all(r.claimed_at.minute == 0 for r in done)
    assert len(posts(fake_slack)) == 3


def test_a_digest_missed_while_the_app_was_down_is_posted_when_it_is_back_the_same_day(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    _seed(engine)
    add_subscription(engine, at="09:00")

    [outcome] = _tick(services, utc(2025, 3, 10, 13, 0))  # first tick after a restart at 13:00

    assert outcome.result is Result.POSTED
    assert [r.local_date for r in runs(engine)] == [MONDAY]
    assert len(posts(fake_slack)) == 1


def test_a_day_missed_entirely_is_not_posted_the_next_day(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    _seed(engine)
    add_subscription(engine, at="09:00")

    assert _tick(services, utc(2025, 3, 11, 8, 0)) == []  # down all Monday, back on Tuesday at 08:00
    assert posts(fake_slack) == []
    _tick(services, utc(2025, 3, 11, 9, 0))
    assert [r.local_date for r in runs(engine)] == [date(2025, 3, 11)]


def test_a_channel_subscribed_after_its_time_starts_the_next_day(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    _seed(engine)
    add_subscription(engine, at="09:00", subscribed_at=utc(2025, 3, 10, 10, 30))

    assert _tick(services, utc(2025, 3, 10, 10, 31)) == []
    assert len(_tick(services, utc(2025, 3, 11, 9, 0))) == 1


def test_a_switched_off_or_paused_digest_is_not_posted(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    _seed(engine)
    add_subscription(engine, channel="C0OFF")
    add_subscription(engine, channel="C0PAUSED")
    with session_scope(engine) as session:
        workspace = workspace_row(session)
        unsubscribe(workspace, "C0OFF", session=session, user_id=SUBSCRIBER)
        paused = get_subscription(workspace.id or 0, "C0PAUSED", session=session)
        assert paused is not None
        paused.paused_reason = "is_archived"

    assert _tick(services, MONDAY_NINE) == []
    assert fake_slack.calls_to("chat.postMessage") == []


# --- what ------------------------------------------------------------------------------------


def test_nothing_to_report_posts_nothing_and_the_day_is_done(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    add_subscription(engine)

    [outcome] = _tick(services, MONDAY_NINE)

    assert outcome.result is Result.EMPTY
    assert fake_slack.calls_to("chat.postMessage") == []
    assert [r.status for r in runs(engine)] == ["empty"]
    assert _tick(services, utc(2025, 3, 10, 9, 1)) == []


def test_an_all_clear_is_posted_when_asked_and_nothing_is_due(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    add_subscription(engine, all_clear=True)

    _tick(services, MONDAY_NINE)

    [post] = posts(fake_slack)
    assert "All clear" in post.params["text"]


def test_a_client_named_channel_mention_is_posted_escaped(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    _seed(engine, name="<!channel>")
    add_subscription(engine)

    _tick(services, MONDAY_NINE)

    [post] = posts(fake_slack)
    sent = post.params["text"] + str(mrkdwn_texts(post.params["blocks"]))
    assert "<!channel>" not in sent
    assert "&lt;!channel&gt;" in post.params["text"]


def test_a_digest_of_more_than_25_is_one_message_of_the_25_most_urgent_posted_once(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    _seed(engine, count=60)
    add_subscription(engine)

    [outcome] = _tick(services, MONDAY_NINE)
    _tick(services, utc(2025, 3, 10, 9, 1))

    [post] = posts(fake_slack)
    assert outcome.messages == 1 and outcome.rows == 60
    assert "thread_ts" not in post.params
    assert str(post.params["blocks"]).count("'Reassign contact'") == 25
    assert "and 35 more needing action ($35,000.00 MRR at stake)" in post.params["text"]
    [run] = runs(engine)
    assert run.status == "posted" and run.parts_posted == 1


def test_a_digest_whose_message_reached_slack_before_a_failure_is_not_posted_again(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    _seed(engine, count=60)
    subscription = add_subscription(engine)
    with time_machine.travel(utc(2025, 3, 10, 9, 0), tick=False):  # the earlier try's first message
        first = WebClient(token="xoxb-test", base_url=fake_slack.api_url).chat_postMessage(
            channel=CHANNEL, text="Renewals digest"
        )
    fake_slack.clear()
    with session_scope(engine) as session:  # an earlier try posted the message, then failed
        session.add(
            DigestRun(
                workspace_id=subscription.workspace_id,
                subscription_id=subscription.id or 0,
                channel_id=CHANNEL,
                local_date=MONDAY,
                status="failed",
                claim_token="old",
                claimed_at=utc(2025, 3, 10, 9, 0),
                finished_at=utc(2025, 3, 10, 9, 0),
                message_ts=first["ts"],
                parts_posted=1,
                error="fatal_error",
            )
        )

    [outcome] = _tick(services, utc(2025, 3, 10, 9, 5))

    assert outcome.result is Result.POSTED
    assert posts(fake_slack) == []
    [run] = runs(engine)
    assert run.status == "posted" and run.message_ts == first["ts"]


def test_channels_of_one_workspace_due_in_one_tick_share_one_content_query(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    _seed(engine, count=30)
    channels = [f"C0SHARE{n}" for n in range(5)]
    for channel in channels:
        add_subscription(engine, channel=channel)
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        outcomes = _tick(services, MONDAY_NINE)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert [o.result for o in outcomes] == [Result.POSTED] * 5
    assert all(len(posts(fake_slack, channel)) == 1 for channel in channels)
    # The content (count, totals, groups, the page's rows) is read once, not once per channel.
    content_reads = [s for s in statements if "FROM contract_change" in s]
    assert content_reads and len(content_reads) == len(set(content_reads)) < 10


# --- exactly once ------------------------------------------------------------------------------


def test_concurrent_runners_post_exactly_once(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    """Eight threads, scheduler ticks and `renewals-bot digest` alike, at the same moment."""
    _seed(engine)
    subscription = add_subscription(engine)
    with Session(engine) as session:
        workspace = workspace_row(session)
    slow_posts(fake_slack)
    start = threading.Barrier(8)
    results: list[Result] = []
    lock = threading.Lock()

    def ticker() -> None:
        start.wait()
        found = run_due(services)
        with lock:
            results.extend(o.result for o in found)

    def command() -> None:
        start.wait()
        outcome = run_subscription(services, subscription, workspace, MONDAY, retry_failed_now=True)
        with lock:
            results.append(outcome.result)

    with time_machine.travel(MONDAY_NINE, tick=False):
        threads = [threading.Thread(target=ticker if n % 2 else command) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert len(posts(fake_slack)) == 1
    assert results.count(Result.POSTED) == 1
    assert set(results) <= {Result.POSTED, Result.IN_PROGRESS, Result.ALREADY_DONE}
    assert [r.status for r in runs(engine)] == ["posted"]


def test_two_processes_on_postgresql_post_exactly_once(postgres_url: str, fake_slack: FakeSlack) -> None:
    from tests.conftest import _empty_tables

    engine = make_engine(postgres_url)
    _empty_tables(engine)
    _seed(engine)
    add_subscription(engine)
    slow_posts(fake_slack)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(3)
    queue = context.Queue()
    processes = [
        context.Process(
            target=run_due_in_process,
            args=(postgres_url, fake_slack.api_url, MONDAY_NINE.isoformat(), barrier, queue),
        )
        for _ in range(3)
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=30)

    assert [p.exitcode for p in processes] == [0, 0, 0]
    assert sorted(r for found in results for r in found).count("posted") == 1
    assert len(posts(fake_slack)) == 1
    assert [r.status for r in runs(engine)] == ["posted"]
    engine.dispose()


def test_a_poster_whose_heartbeat_stopped_for_a_minute_is_taken_over_once(
    services: Services, engine: Engine, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    _seed(engine)
    subscription = add_subscription(engine)
    last_beat = MONDAY_NINE + timedelta(minutes=5)  # it was alive, posting, until then
    with session_scope(engine) as session:
        session.add(
            DigestRun(
                workspace_id=subscription.workspace_id,
                subscription_id=subscription.id or 0,
                channel_id=CHANNEL,
                local_date=MONDAY,
                status="claimed",
                claim_token="dead",
                claimed_at=MONDAY_NINE,
                started_at=MONDAY_NINE,
                heartbeat_at=last_beat,
                claimed_by="old-host:4242",
            )
        )

    assert _tick(services, last_beat + STALE_CLAIM_AFTER - timedelta(seconds=1)) == []  # may still be posting
    with caplog.at_level(logging.WARNING, logger="bot.jobs.digest_runner"):
        [outcome] = _tick(services, last_beat + STALE_CLAIM_AFTER + timedelta(seconds=1))

    assert outcome.result is Result.POSTED
    assert "took over the claim" in caplog.text
    assert len(posts(fake_slack)) == 1
    [run] = runs(engine)
    assert (run.status, run.attempts, run.started_at) == ("posted", 2, MONDAY_NINE)
    assert run.claimed_by != "old-host:4242"


# --- Slack faults ------------------------------------------------------------------------------


def test_a_429_is_waited_out_for_its_retry_after_then_posted_once(
    lite: Services, fake_slack: FakeSlack
) -> None:
    _seed(lite.engine)
    add_subscription(lite.engine)
    fake_slack.fail("chat.postMessage", status=429, retry_after=1)

    started = time.monotonic()
    [outcome] = _tick(lite, MONDAY_NINE)

    assert time.monotonic() - started >= 1.0
    assert outcome.result is Result.POSTED
    assert len(fake_slack.calls_to("chat.postMessage")) == 2  # the 429, then the post
    assert [(r.status, r.attempts) for r in runs(lite.engine)] == [("posted", 1)]


def test_a_500_is_retried_with_back_off_and_posted_once(lite: Services, fake_slack: FakeSlack) -> None:
    _seed(lite.engine)
    add_subscription(lite.engine)
    fake_slack.fail("chat.postMessage", status=500)

    [outcome] = _tick(lite, MONDAY_NINE)

    assert outcome.result is Result.POSTED
    assert len(fake_slack.calls_to("chat.postMessage")) == 2
    assert [r.status for r in runs(lite.engine)] == ["posted"]


def test_a_digest_that_still_fails_is_logged_not_marked_done_and_tried_again(
    lite: Services, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    _seed(lite.engine)
    add_subscription(lite.engine)
    fake_slack.fail("chat.postMessage", status=500, times=3)  # the try and both retries

    with caplog.at_level(logging.ERROR, logger="bot.jobs.digest_runner"):
        [outcome] = _tick(lite, MONDAY_NINE)

    assert outcome.result is Result.FAILED
    assert "failed" in caplog.text and CHANNEL in caplog.text
    [run] = runs(lite.engine)
    assert (run.status, run.attempts) == ("failed", 1)

    assert _tick(lite, utc(2025, 3, 10, 9, 0, 30)) == []  # waits its retry delay
    [again] = _tick(lite, utc(2025, 3, 10, 9, 1))

    assert again.result is Result.POSTED
    [run] = runs(lite.engine)
    assert (run.status, run.attempts, run.error) == ("posted", 2, "fatal_error")
    assert len(fake_slack.calls_to("chat.postMessage")) == 4  # three 500s, one post


def test_a_lost_connection_is_retried_and_a_digest_that_cannot_connect_is_tried_again(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    engine = make_engine(sqlite_url)
    _seed(engine)
    add_subscription(engine)
    with socket.socket() as probe:  # a port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = services_for(SimpleNamespace(api_url=f"http://127.0.0.1:{port}/api/"), engine, sqlite_url)

    [outcome] = _tick(down, MONDAY_NINE)

    assert outcome.result is Result.FAILED
    assert [r.status for r in runs(engine)] == ["failed"]
    [again] = _tick(services_for(fake_slack, engine, sqlite_url), utc(2025, 3, 10, 9, 2))
    assert again.result is Result.POSTED
    assert len(posts(fake_slack)) == 1
    engine.dispose()


@pytest.mark.parametrize("error", ["is_archived", "channel_not_found", "not_in_channel"])
def test_a_channel_the_bot_cannot_post_in_pauses_and_the_subscriber_is_told(
    lite: Services, fake_slack: FakeSlack, error: str
) -> None:
    _seed(lite.engine)
    add_subscription(lite.engine, user=SUBSCRIBER)
    fake_slack.fail("chat.postMessage", error=error)

    [outcome] = _tick(lite, MONDAY_NINE)

    assert outcome.result is Result.PAUSED
    assert _subscription(lite.engine).paused_reason == error
    [opened] = fake_slack.calls_to("conversations.open")
    assert opened.params["users"] == SUBSCRIBER
    dm = [c for c in fake_slack.calls_to("chat.postMessage") if c.params["channel"].startswith("D")]
    assert len(dm) == 1
    assert f"<#{CHANNEL}> is paused" in dm[0].params["text"]
    assert "`/invite` <@U0BOT>" in dm[0].params["text"]
    # Paused: later ticks neither post nor tell the subscriber again.
    assert _tick(lite, utc(2025, 3, 10, 12, 0)) == []
    assert _tick(lite, utc(2025, 3, 11, 9, 0)) == []
    assert len(fake_slack.calls_to("chat.postMessage")) == 2
    assert [r.status for r in runs(lite.engine)] == [RunStatus.FAILED.value]


# --- tokens ------------------------------------------------------------------------------------


def test_each_workspace_posts_its_digest_with_its_own_installation_token(
    fake_slack: FakeSlack, engine: Engine, database_url: str
) -> None:
    """OAuth (multi-workspace) mode: the token comes from the installation store, per team."""
    from slack_sdk.oauth.installation_store import Installation
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    store = SQLAlchemyInstallationStore(client_id="777.digest", engine=engine)
    for team, token in (("T0TEAM1", "xoxb-team-one"), ("T0TEAM2", "xoxb-team-two")):
        store.save(
            Installation(
                app_id="A0APP",
                team_id=team,
                user_id="U0INSTALLER",
                bot_token=token,
                bot_id="B0BOT",
                bot_user_id="U0BOT",
                bot_scopes=["chat:write"],
                installed_at=time.time(),
            )
        )
        with session_scope(engine) as session:
            add_change_due(session, workspace_row(session, team), f"Client of {team}", deadline=MONDAY)
        add_subscription(engine, team_id=team, channel=f"C0{team}")
    settings = services_for(fake_slack, engine, database_url).settings.model_copy(
        update={
            "slack_bot_token": None,
            "slack_client_id": "777.digest",
            "slack_client_secret": SecretStr("s"),
        }
    )

    outcomes = _tick(build_services(settings, engine), MONDAY_NINE)

    assert [o.result for o in outcomes] == [Result.POSTED, Result.POSTED]
    sent = {
        c.params["channel"]: (c.headers.get("Authorization"), c.params["text"]) for c in posts_all(fake_slack)
    }
    assert sent["C0T0TEAM1"][0] == "Bearer xoxb-team-one" and "Client of T0TEAM1" in sent["C0T0TEAM1"][1]
    assert sent["C0T0TEAM2"][0] == "Bearer xoxb-team-two" and "Client of T0TEAM2" in sent["C0T0TEAM2"][1]
    assert "T0TEAM2" not in sent["C0T0TEAM1"][1]


def test_a_workspace_without_an_installation_fails_its_digest_and_says_why(
    fake_slack: FakeSlack, engine: Engine, database_url: str
) -> None:
    _seed(engine)
    add_subscription(engine)
    # A client ID of its own: slack_sdk's tables are not emptied between PostgreSQL tests.
    settings = services_for(fake_slack, engine, database_url).settings.model_copy(
        update={"slack_bot_token": None, "slack_client_id": "999.000", "slack_client_secret": SecretStr("s")}
    )

    [outcome] = _tick(build_services(settings, engine), MONDAY_NINE)

    assert outcome.result is Result.FAILED
    assert "no bot token for team T0TEAM1" in outcome.detail
    assert fake_slack.calls_to("chat.postMessage") == []
    assert [r.status for r in runs(engine)] == ["failed"]


def posts_all(fake: FakeSlack) -> list:  # type: ignore[type-arg]
    return fake.calls_to("chat.postMessage")
