"""Subscriptions, services and readers for the digest tests (tests/test_digest_*.py).

Clients and contract changes are written as real rows (tests/factories.py); the runner talks to
the fake Slack over real HTTP with the app's own WebClient (retry handlers included).
"""

from __future__ import annotations

import time as time_module
from collections import Counter
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.services import Services, build_services
from store.db import make_engine, session_scope
from store.digest_subscriptions import DigestOptions, subscribe
from store.models import DigestRun, DigestSubscription
from tests.app_client import app_settings
from tests.factories import TEAM, workspace_row

CHANNEL = "C0DIGEST"
SUBSCRIBER = "U0ALICE"


def services_for(fake: Any, engine: Engine, database_url: str) -> Services:
    return build_services(app_settings(fake, database_url), engine)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def add_subscription(
    engine: Engine,
    *,
    channel: str = CHANNEL,
    team_id: str = TEAM,
    at: str = "09:00",
    tz: str = "Europe/London",
    days: int = 14,
    weekends: bool = False,
    all_clear: bool = False,
    user: str = SUBSCRIBER,
    subscribed_at: datetime | None = None,
) -> DigestSubscription:
    """Subscribe `channel` (recorded as made long ago unless `subscribed_at` is given)."""
    hh, mm = (int(part) for part in at.split(":"))
    with session_scope(engine) as session:
        workspace = workspace_row(session, team_id)
        return subscribe(
            workspace,
            channel,
            DigestOptions(
                local_time=time(hh, mm), timezone=tz, days_ahead=days, weekends=weekends, all_clear=all_clear
            ),
            session=session,
            user_id=user,
            now=subscribed_at or utc(2000, 1, 1),
        )


def runs(engine: Engine) -> list[DigestRun]:
    with Session(engine) as session:
        return list(session.exec(select(DigestRun).order_by(DigestRun.local_date)))


def posts(fake: Any, channel: str = CHANNEL) -> list[Any]:
    return [c for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == channel]


def parts_held(fake: Any, channel: str = CHANNEL) -> Counter[tuple[Any, Any]]:
    """How many times each (run, part) of a digest is in `channel`, top level and threads alike."""
    return Counter(
        (m.metadata["event_payload"]["run"], m.metadata["event_payload"]["part"])
        for m in fake.held
        if m.channel == channel and m.metadata and m.metadata.get("event_type") == "renewals_digest"
    )


def slow_posts(fake: Any, seconds: float = 0.5) -> None:
    """Make the fake Slack take `seconds` to answer chat.postMessage: a wide window for races."""
    answer = fake._answer

    def slow(method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage":
            time_module.sleep(seconds)
        return answer(method, params)

    fake._answer = slow


def run_due_in_process(database_url: str, api_url: str, now_iso: str, barrier: Any, queue: Any) -> None:
    """Entry point of a separate process: wait for the others, then run one tick at `now`."""
    from bot.jobs.digest_runner import run_due

    class _Fake:
        pass

    fake = _Fake()
    fake.api_url = api_url  # type: ignore[attr-defined]
    engine = make_engine(database_url)
    services = services_for(fake, engine, database_url)
    barrier.wait(timeout=30)
    outcomes = run_due(services, now=datetime.fromisoformat(now_iso))
    queue.put([outcome.result.value for outcome in outcomes])
    engine.dispose()
