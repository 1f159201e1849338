"""The APScheduler ticker inside `serve`: it only ticks; the database decides what goes out."""

from __future__ import annotations

import time

import time_machine
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from bot.jobs.scheduler import JOB_ID, start_scheduler, tick
from bot.services import build_services
from store.db import session_scope
from tests.digest_support import add_subscription, posts, runs, services_for, utc
from tests.factories import add_change_due, workspace_row
from tests.fake_slack import FakeSlack

MONDAY_AFTER_NINE = utc(2025, 3, 10, 9, 0, 30)  # London, GMT


def _wait_for(predicate, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_the_scheduler_posts_a_due_digest_at_start_up_then_ticks_every_minute(
    fake_slack: FakeSlack, engine: Engine, database_url: str
) -> None:
    with session_scope(engine) as session:
        add_change_due(session, workspace_row(session), "Acme Corp", deadline=MONDAY_AFTER_NINE.date())
    add_subscription(engine, at="09:00")
    services = services_for(fake_slack, engine, database_url)

    with time_machine.travel(MONDAY_AFTER_NINE, tick=True):
        scheduler = start_scheduler(services)
        try:
            assert _wait_for(lambda: len(posts(fake_slack)) == 1)
            job = scheduler.get_job(JOB_ID)
            assert isinstance(job.trigger, CronTrigger)
            assert job.next_run_time == utc(2025, 3, 10, 9, 1, 0)  # on the next minute
        finally:
            scheduler.shutdown()

    assert [r.status for r in runs(engine)] == ["posted"]
    assert len(posts(fake_slack)) == 1


def test_two_schedulers_side_by_side_post_once(
    fake_slack: FakeSlack, engine: Engine, database_url: str
) -> None:
    """Two copies of the app running `serve` against the same database."""
    with session_scope(engine) as session:
        add_change_due(session, workspace_row(session), "Acme Corp", deadline=MONDAY_AFTER_NINE.date())
    add_subscription(engine, at="09:00")

    with time_machine.travel(MONDAY_AFTER_NINE, tick=True):
        first = start_scheduler(services_for(fake_slack, engine, database_url))
        second = start_scheduler(services_for(fake_slack, engine, database_url))
        try:
            assert _wait_for(lambda: [r.status for r in runs(engine)] == ["posted"])
            time.sleep(0.3)  # let the slower one finish its tick too
        finally:
            first.shutdown()
            second.shutdown()

    assert len(posts(fake_slack)) == 1


def test_a_tick_that_breaks_is_logged_and_does_not_raise(fake_slack: FakeSlack, caplog) -> None:  # type: ignore[no-untyped-def]
    from bot.settings import Settings
    from store.db import make_engine

    broken = make_engine("sqlite:////nonexistent/folder/renewals.db")
    services = build_services(Settings(_env_file=None, slack_api_url=fake_slack.api_url), broken)  # type: ignore[call-arg]

    tick(services)

    assert "digest tick failed" in caplog.text
    broken.dispose()
