"""The ticker inside `renewals-bot serve`: digests and owner reminders.

APScheduler (3.x) only ticks: once a minute, on the minute, and once at start-up (to
catch up on a digest or reminder missed while the app was down); DIGEST_TICK_SECONDS other
than 60 ticks that often instead (tests, a copy that should notice a dead one's claim sooner).
Each tick asks the database which digests (bot.jobs.digest_runner.run_due) and reminders
(bot.jobs.reminders.run_due) are due and not yet done. Nothing about either lives in the
scheduler, so restarts, several copies of the app, `renewals-bot digest` and `renewals-bot
reminders` all agree through the database's once-per-day claims. Each tick also posts the "What
changed" of imports whose digest channels were not all told yet (bot.jobs.import_alerts.run_pending).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.jobs import reminders
from bot.jobs.digest_runner import run_due
from bot.jobs.import_alerts import run_pending
from bot.services import Services

logger = logging.getLogger(__name__)

JOB_ID = "digest-ticker"


# Reminder outcomes worth a log line (not the people who are done or have nothing due, each minute).
_REMINDER_NEWS = frozenset({reminders.Result.SENT, reminders.Result.FAILED, reminders.Result.UNREACHABLE})


def tick(services: Services) -> None:
    """One tick: post what is due. Never raises (a failed tick must not stop the next one)."""
    try:
        for outcome in run_due(services):
            logger.info("%s", outcome.describe())
    except Exception:
        logger.exception("digest tick failed; trying again next minute")
    try:
        for reminder in reminders.run_due(services):
            if reminder.result in _REMINDER_NEWS:
                logger.info("%s", reminder.describe())
    except Exception:
        logger.exception("reminder tick failed; trying again next minute")
    try:
        # "What changed" of imports whose channels were not all told (the CLI had no bot token).
        run_pending(services)
    except Exception:
        logger.exception("what-changed tick failed; trying again next minute")


def _trigger(every_seconds: float) -> BaseTrigger:
    if every_seconds == 60:
        return CronTrigger(second=0, timezone=UTC)
    return IntervalTrigger(seconds=every_seconds, timezone=UTC)


def start_scheduler(services: Services) -> BackgroundScheduler:
    """Start the ticker in a background thread; call `.shutdown()` on the result to stop it."""
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={
            # A slow tick (Slack asking us to wait) is not stacked up or replayed: the next
            # tick sees everything still due anyway.
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": max(1, int(services.settings.digest_tick_seconds * 5 / 6)),
        },
    )
    scheduler.add_job(
        tick,
        _trigger(services.settings.digest_tick_seconds),
        args=[services],
        id=JOB_ID,
        name="post due digests and reminders",
        next_run_time=datetime.now(UTC),  # catch up at start, then every minute on the minute
    )
    scheduler.start()
    logger.info("digest scheduler started")
    return scheduler
