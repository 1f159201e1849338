"""Exactly once even when Slack's answer is lost, and after a poster is killed (SIGKILL).

The fake Slack holds every message it accepts and serves them back through
conversations.history / conversations.replies; `fail_after_posting` accepts a post, then answers
500 or closes the connection. The killed poster is the real `renewals-bot digest` process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session

from blocks.digest import digest_messages
from bot.jobs.digest_runner import Outcome, Result, run_due, run_subscription
from bot.jobs.posting import DIGEST_EVENT, PartKey, post_once
from bot.services import Services, build_services
from store.db import make_engine, session_scope
from store.digest_content import subscription_digest
from store.digest_subscriptions import get_subscription
from tests.app_client import app_settings
from tests.cli_support import CLI, cli_env, run_piped
from tests.digest_support import CHANNEL, add_subscription, parts_held, runs, services_for, utc
from tests.factories import add_change_due, workspace_row
from tests.fake_slack import FakeSlack

MONDAY = date(2025, 3, 10)
MONDAY_NINE = utc(2025, 3, 10, 9, 0)
# The takeover interval the killed-poster tests run with (a minute in production).
# Long enough that a second `renewals-bot digest` started right after the kill still finds the
# claim fresh on a busy machine (a CLI start can take seconds there), short enough for a test.
TAKEOVER_SECONDS = 12
REMINDER = "renewals_reminder"  # another job's event type: post_once is not the digest's alone


@pytest.fixture
def lite(fake_slack: FakeSlack, sqlite_url: str) -> Services:
    engine = make_engine(sqlite_url)
    yield services_for(fake_slack, engine, sqlite_url)
    engine.dispose()


def _seed(engine: Engine, count: int) -> None:
    with session_scope(engine) as session:
        workspace = workspace_row(session)
        for n in range(count):
            add_change_due(session, workspace, f"Client {n:02d}", deadline=MONDAY + timedelta(days=n % 10))
    add_subscription(engine)


def _parts(engine: Engine) -> int:
    """How many messages the app's digest of MONDAY is (a thread exists only when over one)."""
    with Session(engine) as session:
        workspace = workspace_row(session)
        subscription = get_subscription(workspace.id or 0, CHANNEL, session=session)
        assert subscription is not None
        return len(digest_messages(subscription_digest(subscription, workspace, session=session, day=MONDAY)))


def _tick(services: Services) -> list:  # type: ignore[type-arg]
    with time_machine.travel(MONDAY_NINE, tick=False):
        return run_due(services)


def _assert_each_part_once(fake: FakeSlack, parts: int) -> None:
    held = parts_held(fake)
    assert sorted(part for _, part in held) == list(range(1, parts + 1))
    assert set(held.values()) == {1}
    assert len(fake.held_in(CHANNEL)) == 1  # one top-level digest; the rest is in its thread


# --- a lost answer, in process ------------------------------------------------------------------


@pytest.mark.parametrize("lost", ["500", "closed connection", "200 fatal_error"])
def test_a_first_message_whose_answer_was_lost_is_adopted_not_posted_again(
    lite: Services, fake_slack: FakeSlack, lost: str
) -> None:
    _seed(lite.engine, count=1)
    fake_slack.fail_after_posting(status=200 if "200" in lost else 500, close=lost == "closed connection")

    [outcome] = _tick(lite)

    assert outcome.result is Result.POSTED
    [message] = fake_slack.held_in(CHANNEL)
    assert outcome.message_ts == message.ts
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    [looked] = fake_slack.calls_to("conversations.history")
    assert looked.params["include_all_metadata"] in ("1", "true", "True")
    [run] = runs(lite.engine)
    assert (run.status, run.message_ts, run.parts_posted) == ("posted", message.ts, 1)


def test_a_thread_part_whose_answer_was_lost_is_adopted_not_posted_again(
    lite: Services, fake_slack: FakeSlack
) -> None:
    _seed(lite.engine, count=60)
    parts = _parts(lite.engine)
    if parts < 2:
        pytest.skip("the digest is one message: it has no thread part")
    fake_slack.fail_after_posting(close=True, skip=1)  # the first reply in the thread

    [outcome] = _tick(lite)

    assert outcome.result is Result.POSTED
    _assert_each_part_once(fake_slack, parts)
    assert len(fake_slack.calls_to("chat.postMessage")) == parts
    looked = fake_slack.calls_to("conversations.replies")
    assert looked and all(call.params["ts"] == outcome.message_ts for call in looked)


@pytest.mark.parametrize(("status", "error"), [(500, None), (200, "internal_error")])
def test_a_message_slack_did_not_post_after_all_is_posted_again(
    lite: Services, fake_slack: FakeSlack, status: int, error: str | None
) -> None:
    _seed(lite.engine, count=1)
    fake_slack.fail("chat.postMessage", status=status, error=error)  # failed before posting

    [outcome] = _tick(lite)

    assert outcome.result is Result.POSTED
    assert len(fake_slack.calls_to("conversations.history")) == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 2
    assert len(fake_slack.held_in(CHANNEL)) == 1


def test_every_digest_message_carries_its_run_and_part_as_metadata(
    lite: Services, fake_slack: FakeSlack
) -> None:
    _seed(lite.engine, count=60)
    parts = _parts(lite.engine)

    _tick(lite)

    [run] = runs(lite.engine)
    sent = [call.params["metadata"] for call in fake_slack.calls_to("chat.postMessage")]
    assert [m["event_type"] for m in sent] == [DIGEST_EVENT] * parts
    assert [(m["event_payload"]["run"], m["event_payload"]["part"]) for m in sent] == [
        (run.id, n) for n in range(1, parts + 1)
    ]


# --- the heartbeat ---------------------------------------------------------------------------------


def test_a_live_poster_that_slack_answers_slowly_keeps_its_claim_past_the_takeover_interval(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    engine = make_engine(sqlite_url)
    _seed(engine, count=1)
    services = build_services(app_settings(fake_slack, sqlite_url, claim_takeover_seconds=1), engine)
    with Session(engine) as session:
        workspace = workspace_row(session)
        subscription = get_subscription(workspace.id or 0, CHANNEL, session=session)
    assert subscription is not None
    fake_slack.delay_answer("chat.postMessage", 2.5)
    first: list[Outcome] = []
    slow = threading.Thread(
        target=lambda: first.append(run_subscription(services, subscription, workspace, MONDAY))
    )
    slow.start()
    _wait_until(lambda: len(fake_slack.held) == 1)

    time.sleep(1.5)  # past the takeover interval, waiting for Slack: its heartbeat beats meanwhile
    second = run_subscription(services, subscription, workspace, MONDAY, retry_failed_now=True)
    slow.join(timeout=30)

    assert second.result is Result.IN_PROGRESS
    assert "last seen" in second.describe() and "can be taken over from" in second.describe()
    assert [o.result for o in first] == [Result.POSTED]
    assert len(fake_slack.held_in(CHANNEL)) == 1
    engine.dispose()


# --- post_once, the piece reminders and alerts share ---------------------------------------------


def test_post_once_adopts_a_reply_whose_answer_was_lost(fake_slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake_slack.api_url)
    since = utc(2025, 3, 10, 9, 0)
    with time_machine.travel(since, tick=False):
        parent = post_once(client, "D0DM", PartKey(REMINDER, "r-7", 1), since=since, text="Reminder")
        fake_slack.fail_after_posting(close=True)
        reply = post_once(
            client, "D0DM", PartKey(REMINDER, "r-7", 2), since=since, thread_ts=parent.ts, text="More"
        )

    assert reply.adopted and not parent.adopted
    [held] = fake_slack.held_in("D0DM", thread_ts=parent.ts)
    assert held.ts == reply.ts


def test_post_once_after_a_timeout_finds_the_message_slack_posted_late(fake_slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake_slack.api_url, timeout=1)
    since = utc(2025, 3, 10, 9, 0)
    fake_slack.delay_answer("chat.postMessage", 2)

    with time_machine.travel(since, tick=False):
        posted = post_once(client, "C0ALERTS", PartKey("renewals_alert", 3), since=since, text="Failed")

    assert posted.adopted
    assert [m.ts for m in fake_slack.held_in("C0ALERTS")] == [posted.ts]


def test_post_once_looking_first_posts_nothing_when_an_earlier_try_posted_it(fake_slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake_slack.api_url)
    since = utc(2025, 3, 10, 9, 0)
    key = PartKey(DIGEST_EVENT, 41, 1)
    with time_machine.travel(since, tick=False):
        first = post_once(client, CHANNEL, key, since=since, text="Digest")
        again = post_once(client, CHANNEL, key, since=since, look_first=True, text="Digest")
        other = post_once(client, CHANNEL, PartKey(DIGEST_EVENT, 42), since=since, look_first=True, text="D")

    assert (again.ts, again.adopted) == (first.ts, True)
    assert not other.adopted
    assert len(fake_slack.held_in(CHANNEL)) == 2


def test_post_once_without_the_history_scope_posts_as_before_and_says_why(
    fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    client = WebClient(token="xoxb-test", base_url=fake_slack.api_url)
    fake_slack.fail("conversations.history", error="missing_scope")  # installed before the scope

    key = PartKey(DIGEST_EVENT, 7)
    posted = post_once(client, CHANNEL, key, since=MONDAY_NINE, look_first=True, text="D")

    assert not posted.adopted
    assert len(fake_slack.held_in(CHANNEL)) == 1
    assert "reinstall it to grant the history scopes" in caplog.text


# --- a poster killed with SIGKILL, as a process ----------------------------------------------------


def _digest(folder: Path, fake: FakeSlack, database_url: str) -> subprocess.CompletedProcess[str]:
    return run_piped(folder, ["digest", "--date", MONDAY.isoformat()], **_env(fake, database_url))


def _env(fake: FakeSlack, database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_API_URL": fake.api_url,
        "CLAIM_TAKEOVER_SECONDS": str(TAKEOVER_SECONDS),
    }


def _wait_until(condition: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("part", [1, 2], ids=["after the first message", "after a thread part"])
def test_a_digest_killed_after_slack_took_a_message_is_continued_once_after_takeover(
    fake_slack: FakeSlack, sqlite_url: str, tmp_path: Path, part: int
) -> None:
    engine = make_engine(sqlite_url)
    _seed(engine, count=60)
    parts = _parts(engine)
    if part > parts:
        pytest.skip("the digest is one message: it has no thread part")
    fake_slack.delay_answer("chat.postMessage", 60, skip=part - 1)  # Slack takes it, answers slowly
    env = cli_env(tmp_path, **_env(fake_slack, sqlite_url))
    poster = subprocess.Popen([*CLI, "digest", "--date", MONDAY.isoformat()], cwd=tmp_path, env=env)
    try:
        _wait_until(lambda: len(parts_held(fake_slack)) == part)
    finally:
        os.kill(poster.pid, signal.SIGKILL)
        poster.wait(timeout=10)

    refused = _digest(tmp_path, fake_slack, sqlite_url)  # straight away: its heartbeat is recent

    assert refused.returncode == 1
    assert "another copy of the app is posting it right now" in refused.stdout
    assert "last seen" in refused.stdout and "can be taken over from" in refused.stdout
    assert len(parts_held(fake_slack)) == part

    time.sleep(TAKEOVER_SECONDS + 0.5)
    done = _digest(tmp_path, fake_slack, sqlite_url)

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"({part} already there from an earlier try, not posted again)" in done.stdout
    _assert_each_part_once(fake_slack, parts)
    [run] = runs(engine)
    assert (run.status, run.parts_posted, run.attempts) == ("posted", parts, 2)
    engine.dispose()
