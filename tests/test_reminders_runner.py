"""Owner reminders through the outside: real database, the app's WebClient, the fake Slack.

Time is frozen with time-machine; each tick is the scheduler's own call (bot.jobs.reminders.run_due).
March 2025: Monday 3, 10, 17, 24; the United States change clocks on Sunday 9, the UK on Sunday 30.
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
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import select

from bot.jobs.posting import REMINDER_EVENT, PartKey
from bot.jobs.reminders import Result, run_due
from bot.metrics import REGISTRY
from bot.services import Services
from store.claims import STALE_CLAIM_AFTER
from store.db import make_engine, session_scope
from store.follow_up import snooze
from store.models import ContractChange, ReminderRun
from store.rules import Status
from store.workspaces import is_paused
from tests.digest_support import services_for, slow_posts, utc
from tests.factories import workspace_row
from tests.fake_slack import FakeSlack
from tests.reminder_support import (
    OWNER,
    add_owned_changes,
    dms,
    recipient,
    reminder_runs,
    sent_reminders,
    tick,
)

MONDAY = date(2025, 3, 10)
MONDAY_NINE = utc(2025, 3, 10, 9, 0)


@pytest.fixture
def services(fake_slack: FakeSlack, engine: Engine, database_url: str) -> Services:
    fake_slack.add_user(OWNER, tz="Europe/London")
    return services_for(fake_slack, engine, database_url)


@pytest.fixture
def lite(fake_slack: FakeSlack, sqlite_url: str) -> Iterator[Services]:
    """SQLite only: for Slack-fault tests, where the database is not what is tested."""
    fake_slack.add_user(OWNER, tz="Europe/London")
    engine = make_engine(sqlite_url)
    yield services_for(fake_slack, engine, sqlite_url)
    engine.dispose()


def _every(start: datetime, end: datetime, step: timedelta) -> Iterator[datetime]:
    while start < end:
        yield start
        start += step


def _sent_at(services: Services, start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """Tick from `start` to `end`; the moments a reminder went out."""
    return [at for at in _every(start, end, step) if any(o.result is Result.SENT for o in tick(services, at))]


# --- when ------------------------------------------------------------------------------------


def test_an_owner_is_reminded_7_days_and_1_day_before_the_deadline_once_each(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    add_owned_changes(engine, [date(2025, 3, 19)])  # a Wednesday

    sent = _sent_at(services, utc(2025, 3, 10, 0, 0), utc(2025, 3, 21, 0, 0), timedelta(minutes=30))

    assert sent == [utc(2025, 3, 12, 9, 0), utc(2025, 3, 18, 9, 0)]
    assert len(dms(fake_slack)) == 2
    assert "Acme Corp" in dms(fake_slack)[0].params["text"]
    assert "in 7 days" in dms(fake_slack)[0].params["text"]
    assert "tomorrow" in dms(fake_slack)[1].params["text"]
    assert sent_reminders(engine) == [(date(2025, 3, 19), 1), (date(2025, 3, 19), 7)]


def test_outside_working_hours_and_on_weekends_nothing_is_sent(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    add_owned_changes(engine, [date(2025, 3, 17)])  # 7 days before: Monday 10 March

    assert tick(services, utc(2025, 3, 10, 8, 59)) == []
    assert tick(services, utc(2025, 3, 10, 17, 0)) == []
    assert tick(services, utc(2025, 3, 15, 10, 0)) == []  # Saturday
    assert fake_slack.calls_to("chat.postMessage") == []

    [outcome] = tick(services, utc(2025, 3, 10, 16, 59))
    assert outcome.result is Result.SENT


def test_a_reminder_due_on_a_weekend_goes_out_the_friday_before(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    add_owned_changes(engine, [date(2025, 3, 17)])  # a Monday: its 1-day reminder falls on Sunday
    tick(services, MONDAY_NINE)  # its 7-day reminder

    sent = _sent_at(services, utc(2025, 3, 11, 0, 0), utc(2025, 3, 18, 0, 0), timedelta(hours=1))

    assert sent == [utc(2025, 3, 14, 9, 0)]  # Friday
    assert sent_reminders(engine) == [(date(2025, 3, 17), 1), (date(2025, 3, 17), 7)]
    assert "in 3 days" in dms(fake_slack)[-1].params["text"]


def test_reminders_follow_the_owner_time_zone_across_a_clock_change(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user(OWNER, tz="America/New_York")  # EST (UTC-5) until Sunday 9 March, then EDT
    add_owned_changes(engine, [date(2025, 3, 14), date(2025, 3, 17)])  # 7 days before: Fri 7, Mon 10

    sent = _sent_at(services, utc(2025, 3, 7, 0, 0), utc(2025, 3, 11, 0, 0), timedelta(minutes=15))

    assert sent == [utc(2025, 3, 7, 14, 0), utc(2025, 3, 10, 13, 0)]  # 09:00 EST, then 09:00 EDT
    assert [run.local_date for run in reminder_runs(engine)] == [date(2025, 3, 7), MONDAY]


def test_a_far_east_and_a_far_west_owner_are_reminded_on_their_own_monday_morning(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0AUCKLAND", tz="Pacific/Auckland")  # UTC+13 in March
    fake_slack.add_user("U0HONOLULU", tz="Pacific/Honolulu")  # UTC-10
    add_owned_changes(engine, [date(2025, 3, 17)], user_id="U0AUCKLAND", client="Kiwi Ltd")
    add_owned_changes(engine, [date(2025, 3, 17)], user_id="U0HONOLULU", client="Aloha Inc")

    assert [o.user_id for o in tick(services, utc(2025, 3, 9, 19, 59)) if o.result is Result.SENT] == []
    assert [o.user_id for o in tick(services, utc(2025, 3, 9, 20, 0)) if o.result is Result.SENT] == [
        "U0AUCKLAND"  # Monday 09:00 in Auckland is Sunday 20:00 UTC
    ]
    assert [o.user_id for o in tick(services, utc(2025, 3, 10, 18, 59)) if o.result is Result.SENT] == []
    assert [o.user_id for o in tick(services, utc(2025, 3, 10, 19, 0)) if o.result is Result.SENT] == [
        "U0HONOLULU"  # Monday 09:00 in Honolulu is Monday 19:00 UTC
    ]
    assert {(run.user_id, run.local_date) for run in reminder_runs(engine)} == {
        ("U0AUCKLAND", MONDAY),
        ("U0HONOLULU", MONDAY),
    }


def test_a_reminder_missed_while_the_app_was_down_goes_out_when_it_is_back(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    add_owned_changes(engine, [date(2025, 3, 17)])  # 7 days before: Monday 10 March

    [outcome] = tick(services, utc(2025, 3, 12, 15, 0))  # down until Wednesday afternoon

    assert outcome.result is Result.SENT
    assert "in 5 days" in dms(fake_slack)[0].params["text"]
    assert sent_reminders(engine) == [(date(2025, 3, 17), 7)]


def test_a_reminder_missed_until_after_the_deadline_is_not_sent(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    add_owned_changes(engine, [date(2025, 3, 12)], status=Status.CANCELLATION_REQUESTED)

    outcomes = tick(services, utc(2025, 3, 13, 10, 0))  # back the day after the deadline

    assert [o.result for o in outcomes] in ([], [Result.NOTHING_DUE])
    assert fake_slack.calls_to("chat.postMessage") == []
    assert reminder_runs(engine) == []


# --- what ------------------------------------------------------------------------------------


def test_one_message_per_owner_per_day_holds_every_change_due(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0OTHER", tz="Europe/London")
    add_owned_changes(engine, [date(2025, 3, 17), date(2025, 3, 11)], client="Acme Corp")
    add_owned_changes(engine, [date(2025, 3, 17)], client="Beta & Co")
    add_owned_changes(engine, [date(2025, 3, 17)], user_id="U0OTHER", client="Other Client")

    outcomes = tick(services, MONDAY_NINE)
    tick(services, utc(2025, 3, 10, 12, 0))

    assert {o.user_id: o.items for o in outcomes} == {OWNER: 3, "U0OTHER": 1}
    [message] = dms(fake_slack)
    assert all(name in message.params["text"] for name in ("Acme Corp", "Beta &amp; Co"))
    assert "Other Client" not in message.params["text"]
    assert str(message.params["blocks"]).count("'Change owner'") == 3
    assert len(dms(fake_slack, "U0OTHER")) == 1


def test_more_changes_than_one_message_holds_continue_the_next_working_day(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    for n in range(30):
        add_owned_changes(engine, [date(2025, 3, 17)], client=f"Client {n:02d}")

    [first] = tick(services, MONDAY_NINE)
    [second] = tick(services, utc(2025, 3, 11, 9, 0))

    assert (first.items, second.items) == (23, 7)
    assert "7 more contract changes in tomorrow's reminder" in dms(fake_slack)[0].params["text"]
    assert len(sent_reminders(engine)) == 30


def test_a_change_that_needs_no_action_or_an_ended_client_is_not_reminded(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    add_owned_changes(engine, [date(2025, 3, 17)], client="Renewed Ltd", status=Status.RENEWED)
    add_owned_changes(engine, [date(2025, 3, 17)], client="Ended Ltd", ended=True)

    assert tick(services, MONDAY_NINE) == []
    assert fake_slack.calls_to("chat.postMessage") == []


def test_a_client_named_like_a_mention_is_sent_escaped(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    add_owned_changes(engine, [date(2025, 3, 17)], client="<!channel>")

    tick(services, MONDAY_NINE)

    [message] = dms(fake_slack)
    assert "<!channel>" not in message.params["text"]
    assert "&lt;!channel&gt;" in message.params["text"]


def test_a_snoozed_change_is_not_reminded_until_its_snooze_ends(
    lite: Services, fake_slack: FakeSlack
) -> None:
    add_owned_changes(lite.engine, [date(2025, 3, 17)])  # 7 days before: Monday 10 March
    with session_scope(lite.engine) as session:
        [change] = session.exec(select(ContractChange)).all()
        snooze(change, session=session, actor="U0OTHER", today=date(2025, 3, 9))  # out until the 12th

    snoozed = tick(lite, MONDAY_NINE)
    posted_while_snoozed = len(fake_slack.calls_to("chat.postMessage"))
    back = tick(lite, utc(2025, 3, 13, 9, 0))

    assert [outcome.result for outcome in snoozed] == [Result.NOTHING_DUE]
    assert posted_while_snoozed == 0
    assert [outcome.result for outcome in back] == [Result.SENT]


# --- who cannot be messaged ----------------------------------------------------------------------


def test_an_owner_who_left_the_workspace_is_recorded_and_not_asked_again(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    add_owned_changes(engine, [date(2025, 3, 17)], user_id="U0GONE")  # users.info: user_not_found

    assert tick(services, MONDAY_NINE) == []
    for at in _every(utc(2025, 3, 10, 9, 1), utc(2025, 3, 12, 0, 0), timedelta(hours=1)):
        tick(services, at)

    gone = recipient(engine, "U0GONE")
    assert gone is not None and gone.unreachable_error == "user_not_found"
    assert len(fake_slack.calls_to("users.info")) == 1
    assert fake_slack.calls_to("conversations.open") == []


def test_a_deactivated_owner_is_recorded_and_not_messaged(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0LEFT")["deleted"] = True
    add_owned_changes(engine, [date(2025, 3, 17)], user_id="U0LEFT")

    assert tick(services, MONDAY_NINE) == []

    left = recipient(engine, "U0LEFT")
    assert left is not None and left.unreachable_error == "deleted"
    assert fake_slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    ("method", "error"),
    [
        ("conversations.open", "cannot_dm_bot"),
        ("conversations.open", "user_not_found"),
        ("conversations.open", "user_disabled"),
    ],
)
def test_an_owner_slack_will_not_let_us_message_is_recorded_and_not_retried(
    lite: Services, fake_slack: FakeSlack, method: str, error: str
) -> None:
    add_owned_changes(lite.engine, [date(2025, 3, 17)])
    fake_slack.fail(method, error=error)

    [outcome] = tick(lite, MONDAY_NINE)
    later = [
        tick(lite, at) for at in _every(utc(2025, 3, 10, 9, 1), utc(2025, 3, 12, 0, 0), timedelta(hours=1))
    ]

    assert outcome.result is Result.UNREACHABLE
    assert all(found == [] for found in later)
    assert len(fake_slack.calls_to(method)) == 1
    owner = recipient(lite.engine)
    assert owner is not None and owner.unreachable_error == error
    assert [(run.status, run.error) for run in reminder_runs(lite.engine)] == [("unreachable", error)]


@pytest.mark.parametrize("error", ["invalid_auth", "account_inactive", "token_revoked"])
def test_a_refused_bot_token_pauses_the_workspace_reminders_instead_of_retrying(
    lite: Services, fake_slack: FakeSlack, error: str
) -> None:
    add_owned_changes(lite.engine, [date(2025, 3, 17)])
    fake_slack.fail("chat.postMessage", error=error)

    [outcome] = tick(lite, MONDAY_NINE)
    later = [
        tick(lite, at) for at in _every(utc(2025, 3, 10, 9, 1), utc(2025, 3, 10, 16, 0), timedelta(hours=1))
    ]

    assert outcome.result is Result.FAILED
    assert all(found == [] for found in later)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    with session_scope(lite.engine) as session:
        assert is_paused(workspace_row(session).id, session=session)
    owner = recipient(lite.engine)
    assert owner is None or owner.unreachable_error is None  # the owner did nothing wrong


# --- exactly once ------------------------------------------------------------------------------


def test_concurrent_runners_send_exactly_once(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    """Eight threads at the same moment, as several copies of the app and the command would."""
    add_owned_changes(engine, [date(2025, 3, 17)])
    tick(services, utc(2025, 3, 10, 8, 0))  # the owner's time zone is known: every thread races on the claim
    slow_posts(fake_slack)
    start = threading.Barrier(8)
    results: list[Result] = []
    lock = threading.Lock()

    def runner() -> None:
        start.wait()
        found = run_due(services, now=MONDAY_NINE)
        with lock:
            results.extend(o.result for o in found)

    threads = [threading.Thread(target=runner) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(dms(fake_slack)) == 1
    assert results.count(Result.SENT) == 1
    assert set(results) <= {Result.SENT, Result.IN_PROGRESS, Result.ALREADY_DONE}
    assert [run.status for run in reminder_runs(engine)] == ["sent"]


def test_two_processes_on_postgresql_send_exactly_once(postgres_url: str, fake_slack: FakeSlack) -> None:
    from tests.conftest import _empty_tables

    fake_slack.add_user(OWNER)
    engine = make_engine(postgres_url)
    _empty_tables(engine)
    add_owned_changes(engine, [date(2025, 3, 17)])
    slow_posts(fake_slack)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(3)
    queue = context.Queue()
    processes = [
        context.Process(
            target=remind_in_process,
            args=(postgres_url, fake_slack.api_url, MONDAY_NINE.isoformat(), barrier, queue),
        )
        for _ in range(3)
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=120) for _ in processes]  # spawned processes start slowly on a busy machine
    for process in processes:
        process.join(timeout=30)

    assert [p.exitcode for p in processes] == [0, 0, 0]
    assert sorted(r for found in results for r in found).count("sent") == 1
    assert len(dms(fake_slack)) == 1
    assert [run.status for run in reminder_runs(engine)] == ["sent"]
    engine.dispose()


def remind_in_process(database_url: str, api_url: str, now_iso: str, barrier: object, queue: object) -> None:
    """Entry point of a separate process: wait for the others, then run one reminder tick at `now`."""

    class _Fake:
        pass

    fake = _Fake()
    fake.api_url = api_url  # type: ignore[attr-defined]
    engine = make_engine(database_url)
    services = services_for(fake, engine, database_url)
    barrier.wait(timeout=30)  # type: ignore[attr-defined]
    outcomes = run_due(services, now=datetime.fromisoformat(now_iso))
    queue.put([outcome.result.value for outcome in outcomes])  # type: ignore[attr-defined]
    engine.dispose()


def test_a_sender_that_died_holding_the_claim_is_taken_over_once_stale(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    add_owned_changes(engine, [date(2025, 3, 17)])
    with session_scope(engine) as session:
        session.add(
            ReminderRun(
                workspace_id=workspace_row(session).id or 0,
                user_id=OWNER,
                local_date=MONDAY,
                status="claimed",
                claim_token="dead",
                claimed_at=MONDAY_NINE,
            )
        )

    silent = MONDAY_NINE + STALE_CLAIM_AFTER  # from its claim: it never beat
    assert [o.result for o in tick(services, silent - timedelta(seconds=1))] == [Result.IN_PROGRESS]
    [outcome] = tick(services, silent + timedelta(seconds=1))

    assert outcome.result is Result.SENT
    assert len(dms(fake_slack)) == 1
    [run] = reminder_runs(engine)
    assert (run.status, run.attempts) == ("sent", 2)


def _takeovers() -> float:
    return REGISTRY.get_sample_value("renewals_claims_taken_over_total", {"job": "reminder"}) or 0.0


def test_a_claim_whose_sender_fell_silent_after_slack_took_the_dm_is_taken_over_and_the_dm_adopted(
    services: Services, engine: Engine, fake_slack: FakeSlack
) -> None:
    add_owned_changes(engine, [date(2025, 3, 17)])
    last_beat = MONDAY_NINE + timedelta(seconds=30)  # alive, sending, until then
    with session_scope(engine) as session:
        run = ReminderRun(
            workspace_id=workspace_row(session).id or 0,
            user_id=OWNER,
            local_date=MONDAY,
            status="claimed",
            claim_token="dead",
            claimed_at=MONDAY_NINE,
            started_at=MONDAY_NINE,
            heartbeat_at=last_beat,
            claimed_by="old-host:4242",
        )
        session.add(run)
        session.flush()
        run_id = run.id or 0
    with time_machine.travel(last_beat, tick=False):  # Slack took its DM; then it died unrecorded
        dead = WebClient(token="xoxb-test", base_url=fake_slack.api_url)
        sent = dead.chat_postMessage(
            channel="D0OWNER", text="Reminder", metadata=PartKey(REMINDER_EVENT, run_id).metadata()
        )
    before = _takeovers()

    assert [o.result for o in tick(services, last_beat + STALE_CLAIM_AFTER - timedelta(seconds=1))] == [
        Result.IN_PROGRESS
    ]
    [outcome] = tick(services, last_beat + STALE_CLAIM_AFTER + timedelta(seconds=1))

    assert outcome.result is Result.SENT
    assert len(dms(fake_slack)) == 1  # the dead sender's only
    [run] = reminder_runs(engine)
    assert (run.status, run.attempts, run.message_ts, run.started_at) == ("sent", 2, sent["ts"], MONDAY_NINE)
    assert run.claimed_by != "old-host:4242"
    assert _takeovers() == before + 1


# --- Slack faults ------------------------------------------------------------------------------


@pytest.mark.parametrize("close", [False, True], ids=["500", "closed connection"])
def test_a_dm_whose_answer_was_lost_is_adopted_not_sent_twice(
    lite: Services, fake_slack: FakeSlack, close: bool
) -> None:
    add_owned_changes(lite.engine, [date(2025, 3, 17)])
    fake_slack.fail_after_posting(close=close)

    [outcome] = tick(lite, MONDAY_NINE)

    assert outcome.result is Result.SENT
    assert len(dms(fake_slack)) == 1
    [held] = fake_slack.held_in("D0OWNER")
    [looked] = fake_slack.calls_to("conversations.history")
    assert looked.params["channel"] == "D0OWNER"
    [run] = reminder_runs(lite.engine)
    assert (run.status, run.attempts, run.message_ts) == ("sent", 1, held.ts)
    assert held.metadata == PartKey(REMINDER_EVENT, run.id or 0).metadata()


def test_a_429_is_waited_out_for_its_retry_after_then_sent_once(
    lite: Services, fake_slack: FakeSlack
) -> None:
    add_owned_changes(lite.engine, [date(2025, 3, 17)])
    fake_slack.fail("chat.postMessage", status=429, retry_after=1)

    started = time.monotonic()
    [outcome] = tick(lite, MONDAY_NINE)

    assert time.monotonic() - started >= 1.0
    assert outcome.result is Result.SENT
    assert len(fake_slack.calls_to("chat.postMessage")) == 2  # the 429, then the message
    assert [(r.status, r.attempts) for r in reminder_runs(lite.engine)] == [("sent", 1)]


def test_a_500_is_retried_with_back_off_and_sent_once(lite: Services, fake_slack: FakeSlack) -> None:
    add_owned_changes(lite.engine, [date(2025, 3, 17)])
    fake_slack.fail("conversations.open", status=500)

    [outcome] = tick(lite, MONDAY_NINE)

    assert outcome.result is Result.SENT
    assert len(fake_slack.calls_to("conversations.open")) == 2
    assert len(dms(fake_slack)) == 1


def test_a_reminder_that_cannot_reach_slack_fails_and_is_sent_once_slack_is_back(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    fake_slack.add_user(OWNER, tz="Europe/London")
    engine = make_engine(sqlite_url)
    add_owned_changes(engine, [date(2025, 3, 17)])
    up = services_for(fake_slack, engine, sqlite_url)
    tick(up, utc(2025, 3, 10, 8, 0))  # the owner's time zone is known from before
    with socket.socket() as probe:  # a port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = services_for(SimpleNamespace(api_url=f"http://127.0.0.1:{port}/api/"), engine, sqlite_url)

    [outcome] = tick(down, MONDAY_NINE)

    assert outcome.result is Result.FAILED
    assert [run.status for run in reminder_runs(engine)] == ["failed"]
    [again] = tick(up, utc(2025, 3, 10, 9, 2))
    assert again.result is Result.SENT
    assert len(dms(fake_slack)) == 1
    engine.dispose()


def test_a_reminder_that_still_fails_is_logged_not_marked_done_and_tried_again(
    lite: Services, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    add_owned_changes(lite.engine, [date(2025, 3, 17)])
    fake_slack.fail("chat.postMessage", status=500, times=3)  # the try and both retries

    with caplog.at_level(logging.ERROR, logger="bot.jobs.reminders"):
        [outcome] = tick(lite, MONDAY_NINE)

    assert outcome.result is Result.FAILED
    assert "failed" in caplog.text and OWNER in caplog.text
    assert sent_reminders(lite.engine) == []
    assert [o.result for o in tick(lite, utc(2025, 3, 10, 9, 0, 30))] == [Result.RETRY_LATER]
    [again] = tick(lite, utc(2025, 3, 10, 9, 1))

    assert again.result is Result.SENT
    [run] = reminder_runs(lite.engine)
    assert (run.status, run.attempts, run.error) == ("sent", 2, "fatal_error")
    assert len(dms(fake_slack)) == 4  # three 500s, one message
    assert recipient(lite.engine) is not None and recipient(lite.engine).unreachable_error is None  # type: ignore[union-attr]
