"""A claim's heartbeat: a background thread that renews it while its job works.

A job that holds a claim (a digest run, a reminder, a "What changed" alert) renews it every
`every` seconds, so a live holder keeps it however slow Slack answers, and a dead one (killed,
its machine gone) falls silent and is taken over once its claim's takeover interval passes. When a beat finds
the claim lost (taken over), `lost` is set: the job stops posting.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType

from bot import metrics
from bot.settings import Settings
from store.claims import STALE_CLAIM_AFTER

logger = logging.getLogger(__name__)


class Heartbeat:
    """`with Heartbeat(beat, every=20):` calls `beat()` every `every` seconds until the block ends.

    `beat` renews the claim and returns False once it is no longer held.
    """

    def __init__(self, beat: Callable[[], bool], *, every: float, name: str = "claim") -> None:
        self.lost = threading.Event()
        self._beat = beat
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat {name}", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                if not self._beat():
                    self.lost.set()
                    return
            except Exception as exc:  # a database hiccup: the next beat may get through
                logger.warning("heartbeat %s failed: %s", self._thread.name, type(exc).__name__)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def takeover_after(settings: Settings) -> timedelta:
    """How long a claim's holder may be silent before another copy takes it over."""
    if settings.claim_takeover_seconds is None:
        return STALE_CLAIM_AFTER
    return timedelta(seconds=settings.claim_takeover_seconds)


def holder_name() -> str:
    """Who holds a claim: this host and process (shown to whoever finds the claim taken)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def claim_taken_over(job: metrics.Job, what: str, attempts: int) -> None:
    """A claim whose holder had fallen silent was taken over: logged and counted."""
    logger.warning("%s %s: took over the claim of a silent holder (attempt %d)", job.value, what, attempts)
    metrics.record_takeover(job)
