"""Every Prometheus metric the app keeps, in one registry served at GET /metrics.

Labels are small fixed sets the app chooses (a request's kind, an ID from blocks/ids.py, a Slack
method and error code, a job's result), never what a person typed, so a series cannot leak a
secret or grow without bound.

Each `renewals-bot serve` process keeps its own counts (waitress serves with threads, one process):
with several copies, Prometheus scrapes each one and sums them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)

REGISTRY = CollectorRegistry()
process_collector.ProcessCollector(registry=REGISTRY)
platform_collector.PlatformCollector(registry=REGISTRY)
gc_collector.GCCollector(registry=REGISTRY)

# --- requests ------------------------------------------------------------------------------------

REQUESTS = Counter(
    "renewals_requests",
    "HTTP requests answered, by kind (command, block_action, view_submission, options, event, …), "
    "name (the command and subcommand, action ID, view callback ID or event type) and status",
    ["kind", "name", "status"],
    registry=REGISTRY,
)
# Slack waits 3 s for an ack: buckets are dense below that.
REQUEST_SECONDS = Histogram(
    "renewals_request_seconds",
    "Time to answer a request (Bolt's ack; listeners may go on after it), by kind and name",
    ["kind", "name"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
    registry=REGISTRY,
)

# --- what the jobs post --------------------------------------------------------------------------


class Job(StrEnum):
    DIGEST = "digest"
    REMINDER = "reminder"
    ALERT = "alert"


class Delivery(StrEnum):
    POSTED = "posted"
    FAILED = "failed"


DIGESTS = Counter(
    "renewals_digests",
    "Digest runs by result (posted, failed, empty, paused, in_progress, already_done, retry_later, skipped)",
    ["result"],
    registry=REGISTRY,
)
REMINDERS = Counter(
    "renewals_reminders",
    "Reminder runs by result (posted, failed, nothing_due, unreachable, ...)",
    ["result"],
    registry=REGISTRY,
)
ALERTS = Counter("renewals_alerts", "Import alerts by result (posted, failed)", ["result"], registry=REGISTRY)
CLAIMS_TAKEN_OVER = Counter(
    "renewals_claims_taken_over",
    "Claims taken over from a copy whose heartbeat stopped, by job (digest, reminder, alert)",
    ["job"],
    registry=REGISTRY,
)

_BY_JOB = {Job.DIGEST: DIGESTS, Job.REMINDER: REMINDERS, Job.ALERT: ALERTS}


# A reminder's "sent" is what the other jobs call "posted": one label for a message that went out.
_SAME_AS = {"sent": Delivery.POSTED.value}


def record_delivery(job: Job, result: Delivery | str) -> None:
    """Count one digest, reminder or alert by its result (a `Delivery`, or a job's own `Result`)."""
    label = _label(str(result))
    _BY_JOB[job].labels(result=_SAME_AS.get(label, label)).inc()


class _HasResult(Protocol):
    @property
    def result(self) -> Any: ...


_Run = TypeVar("_Run", bound=Callable[..., _HasResult])


def counted(job: Job) -> Callable[[_Run], _Run]:
    """Decorate the function that runs one job and returns its outcome: each outcome's `result` is counted."""

    def decorate(run: _Run) -> _Run:
        @functools.wraps(run)
        def wrapper(*args: Any, **kwargs: Any) -> _HasResult:
            outcome = run(*args, **kwargs)
            record_delivery(job, outcome.result)
            return outcome

        return wrapper  # type: ignore[return-value]

    return decorate


def record_takeover(job: Job) -> None:
    """Count a claim taken over from a copy that stopped (whoever takes it calls this)."""
    CLAIMS_TAKEN_OVER.labels(job=job.value).inc()


# --- the Slack Web API ---------------------------------------------------------------------------

SLACK_API_ERRORS = Counter(
    "renewals_slack_api_errors",
    "Failed Slack Web API attempts (retries included), by method and error "
    "(Slack's error code, http_<status>, or the connection error's type)",
    ["method", "error"],
    registry=REGISTRY,
)

_METHOD = re.compile(r"^[a-zA-Z]+(\.[a-zA-Z]+)+$")
_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,59}$")
OTHER = "other"


def _label(value: str) -> str:
    """A result or error code as a label: lowercase words joined by `_`."""
    return value.strip().lower().replace(" ", "_")


def record_slack_error(method: str, error: str) -> None:
    """Count one failed Web API attempt; anything not shaped like a method or an error code is `other`."""
    SLACK_API_ERRORS.labels(
        method=method if _METHOD.match(method) else OTHER,
        error=error if _WORD.match(error) else OTHER,
    ).inc()


# Every job's posted and failed series exist from the start, so a dashboard shows 0, not "no data".
for _job, _counter in _BY_JOB.items():
    for _delivery in Delivery:
        _counter.labels(result=_delivery.value)
    CLAIMS_TAKEN_OVER.labels(job=_job.value)


def exposition() -> tuple[bytes, str]:
    """The registry in Prometheus' text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
