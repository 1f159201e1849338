"""Several copies of `renewals-bot serve` on one PostgreSQL database, as behind a load balancer.

Two real `serve` processes, both with the scheduler on (ticking every half second here), share
one PostgreSQL database and the fake Slack. Requests go to both alternately: a modal opened on one
is submitted on the other, and paging moves between them (every piece of a conversation is in the
request, its buttons and modals, or the database: nothing lives in one process's memory but the
users.info cache). Every digest due is posted once; a copy killed with SIGKILL while posting is
taken over by the other, which finishes the digest without posting any part twice. An owner's
reminder DM and an import's "What changed" due while both copies tick also go out once each.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.jobs.posting import ALERT_EVENT, REMINDER_EVENT
from store.db import make_engine, session_scope
from store.models import DigestRun, ImportAlert, ReminderRun
from store.rules import OwnerKind
from tests.app_client import BOT_TOKEN, SIGNING_SECRET, SlackAppClient
from tests.cli_support import CLI, cli_env, run_piped
from tests.client_support import CHANGE_OWNER, click, detail, events, opened_view, reload, seed
from tests.conftest import _empty_tables
from tests.digest_support import add_subscription, parts_held
from tests.factories import TEAM, add_change_due, workspace_row
from tests.fake_slack import FakeSlack
from tests.reminder_support import OWNER, add_owned_changes
from tests.renewals_data import client_names
from tests.slack_requests import USER_ID, block_actions_payload, button_value, view_submission_payload

pytestmark = pytest.mark.postgres

TICK_SECONDS = 0.5
TAKEOVER_SECONDS = 3
CHANNELS = ("C0DIGESTA", "C0DIGESTB", "C0DIGESTC")
CLIENTS = 45  # three pages of /renewals (20 a page), and a digest of over one message today


@dataclass
class Copy:
    process: subprocess.Popen[bytes]
    app: SlackAppClient
    log: Path

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(condition: Callable[[], bool], what: str, timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def _shifted_cli(seconds: float) -> list[str]:
    """`renewals-bot` whose clock runs `seconds` off this one's (time-machine, ticking on)."""
    travel = (
        "import datetime, time_machine; time_machine.travel(datetime.datetime.now(datetime.UTC)"
        f" + datetime.timedelta(seconds={seconds!r}), tick=True).start()"
    )
    return [sys.executable, "-c", f"{travel}; from bot.cli.main import main; main()"]


@contextmanager
def _copies(
    count: int, fake: FakeSlack, url: str, engine: Engine, folder: Path, *, shift: float = 0.0
) -> Iterator[list[Copy]]:
    """`count` copies of `renewals-bot serve` (scheduler on), started together, once all are healthy.
    With `shift`, their clocks run that many seconds off (no Slack request can reach them then:
    its signature's time would be off)."""
    cli = _shifted_cli(shift) if shift else CLI
    env = cli_env(
        folder,
        DATABASE_URL=url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        DIGEST_TICK_SECONDS=str(TICK_SECONDS),
        CLAIM_TAKEOVER_SECONDS=str(TAKEOVER_SECONDS),
    )
    with ExitStack() as stack:
        copies = []
        for n in range(count):
            port = _free_port()
            log = folder / f"serve-{n}.log"
            handle = stack.enter_context(log.open("wb"))
            process = subprocess.Popen(
                [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=folder,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
            stack.callback(_stop, process)
            app = SlackAppClient(f"http://127.0.0.1:{port}", fake, None, engine, None)
            copies.append(Copy(process, app, log))
        for copy in copies:
            port = int(copy.app.base_url.rsplit(":", 1)[1])
            _wait(lambda p=port, c=copy: _healthy(p) or c.process.poll() is not None, "/healthz", 60)
            assert copy.process.poll() is None, copy.tail()
        yield copies


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _midday_zone() -> str:
    """A fixed-offset zone where it is about noon now: a digest at 00:00 there is due all test long."""
    offset = (12 - datetime.now(UTC).hour + 12) % 24 - 12  # -11 … +12 hours from UTC
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-5 is UTC+5


def _seed(engine: Engine, zone: str, channels: tuple[str, ...]) -> None:
    today = datetime.now(ZoneInfo(zone)).date()
    with session_scope(engine) as session:
        workspace = workspace_row(session)
        for n in range(CLIENTS):
            add_change_due(session, workspace, f"Client {n:02d}", deadline=today + timedelta(days=1 + n % 10))
    for channel in channels:
        add_subscription(engine, channel=channel, at="00:00", tz=zone, weekends=True)


def _runs(engine: Engine) -> dict[str, DigestRun]:
    with Session(engine) as session:
        return {run.channel_id: run for run in session.exec(select(DigestRun))}


def _each_part_once(fake: FakeSlack, channel: str, run: DigestRun) -> None:
    held = parts_held(fake, channel)
    assert sorted(part for _, part in held) == list(range(1, run.parts_posted + 1)), held
    assert set(held.values()) == {1}, held
    assert len(fake.held_in(channel)) == 1  # one digest in the channel, the rest in its thread


def _page(app: SlackAppClient, message: Any) -> Any:
    """Click Next on `message`, sent to `app`: the page it answers with."""
    before = len(app.fake.calls_to("response_url"))
    payload = block_actions_payload(
        "renewals_next", button_value(message, "renewals_next"), fake=app.fake, block_id="renewals_paging"
    )
    assert app.action(payload).status == 200
    return app.wait_for("response_url", count=before + 1)


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    _empty_tables(engine)
    yield engine
    engine.dispose()


def test_two_copies_answer_any_request_and_post_each_due_digest_once(
    fake_slack: FakeSlack, engine: Engine, postgres_url: str, tmp_path: Path
) -> None:
    _seed(engine, _midday_zone(), CHANNELS)
    fake_slack.add_user(USER_ID, name="Alice", tz="UTC")
    fake_slack.delay_answer("chat.postMessage", 0.3)  # the first post slow: both copies tick meanwhile

    with _copies(2, fake_slack, postgres_url, engine, tmp_path) as (one, two):
        # Paging across both: /renewals on one, Next on the other, Next on the first again.
        before = len(fake_slack.calls_to("response_url"))
        one.app.command("/renewals")
        first = one.app.wait_for("response_url", count=before + 1)
        second = _page(two.app, first)
        third = _page(one.app, second)
        # A modal opened on one copy and submitted on the other.
        client_id = seed(one.app)
        click(one.app, CHANGE_OWNER, detail(one.app))
        hubspot = {"type": "radio_buttons", "selected_option": {"value": "hubspot"}}
        reply = two.app.view_submission(
            view_submission_payload(opened_view(one.app), {"owner_kind_input": {"owner_kind": hubspot}})
        )
        assert reply.status == 200 and reply.json() == {}

        _wait(
            lambda: all(r.status == "posted" for r in _runs(engine).values()) and len(_runs(engine)) == 3,
            "digests",
        )
        time.sleep(3 * TICK_SECONDS)  # a few more ticks of both: nothing more goes out
        for copy in (one, two):
            assert copy.process.poll() is None, copy.tail()

    seen = [
        name for page in (first, second, third) for name in client_names(page) if name.startswith("Client ")
    ]
    assert sorted(seen) == [f"Client {n:02d}" for n in range(CLIENTS)]  # every row once, across both
    assert reload(engine, client_id).owner_kind is OwnerKind.HUBSPOT
    assert [event.actor for event in events(engine, "change_owner")] == [USER_ID]
    runs = _runs(engine)
    assert sorted(runs) == sorted(CHANNELS)
    for channel, run in runs.items():
        assert (run.status, run.attempts) == ("posted", 1)
        _each_part_once(fake_slack, channel, run)


def test_a_copy_killed_while_posting_a_digest_is_taken_over_and_the_digest_finished_once(
    fake_slack: FakeSlack, engine: Engine, postgres_url: str, tmp_path: Path
) -> None:
    channel = CHANNELS[0]
    _seed(engine, _midday_zone(), (channel,))
    fake_slack.delay_answer("chat.postMessage", 60)  # Slack takes the first message, answers late

    with _copies(2, fake_slack, postgres_url, engine, tmp_path) as copies:
        _wait(lambda: len(parts_held(fake_slack, channel)) == 1, "the first message")
        holder = _runs(engine)[channel].claimed_by or ""
        [killed] = [c for c in copies if holder.endswith(f":{c.process.pid}")]
        [survivor] = [c for c in copies if c is not killed]
        os.kill(killed.process.pid, signal.SIGKILL)
        killed.process.wait(timeout=10)

        _wait(lambda: _runs(engine)[channel].status == "posted", "the takeover", timeout=30)
        assert survivor.process.poll() is None, survivor.tail()

    run = _runs(engine)[channel]
    assert run.attempts == 2 and run.claimed_by == holder.rsplit(":", 1)[0] + f":{survivor.process.pid}"
    assert run.parts_posted >= 1
    _each_part_once(fake_slack, channel, run)


def _last_wednesday_noon() -> datetime:
    """The latest Wednesday 12:00 UTC before now: a working day and hour for an owner in UTC."""
    now = datetime.now(UTC)
    noon = (now - timedelta(days=(now.weekday() - 2) % 7)).replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon < now else noon - timedelta(days=7)


def _held(fake: FakeSlack, channel: str, event_type: str) -> list[Any]:
    return [m for m in fake.held_in(channel) if m.metadata and m.metadata.get("event_type") == event_type]


def test_two_copies_send_each_due_reminder_and_what_changed_once(
    fake_slack: FakeSlack, engine: Engine, postgres_url: str, tmp_path: Path
) -> None:
    # The copies' clock reads a Wednesday noon (reminders go out on working days, in working hours).
    wednesday = _last_wednesday_noon()
    add_owned_changes(engine, [wednesday.date() + timedelta(days=1)])  # reminded the day before
    fake_slack.add_user(OWNER, tz="UTC")
    channel = CHANNELS[0]
    add_subscription(engine, channel=channel, at="23:59", tz="UTC")  # told what changed; no digest yet
    start = (datetime.now(UTC) + timedelta(days=50)).date()  # new, and due within 14 days
    (tmp_path / "export.csv").write_text(
        "Client name,Hub ID,Contract type,Status,Renewal start date,Current MRR\n"
        f"Gamma,1003,Renewal,Pending,{start.isoformat()},$300\n",
        encoding="utf-8",
    )
    imported = run_piped(tmp_path, ["import", "export.csv", "--team", TEAM], DATABASE_URL=postgres_url)
    assert imported.returncode == 0, imported.stdout + imported.stderr  # no token: left to the app
    fake_slack.delay_answer("chat.postMessage", 0.3)  # the first post slow: both copies tick meanwhile

    shift = (wednesday - datetime.now(UTC)).total_seconds()
    with _copies(2, fake_slack, postgres_url, engine, tmp_path, shift=shift) as copies:

        def done() -> bool:
            with Session(engine) as session:
                reminders = [r.status for r in session.exec(select(ReminderRun))]
                alerts = [a.status for a in session.exec(select(ImportAlert))]
            return reminders == ["sent"] and alerts == ["posted"]

        _wait(done, "the reminder and the alert")
        time.sleep(3 * TICK_SECONDS)  # a few more ticks of both: nothing more goes out
        for copy in copies:
            assert copy.process.poll() is None, copy.tail()

    [dm] = _held(fake_slack, "D" + OWNER[1:], REMINDER_EVENT)
    [alert] = _held(fake_slack, channel, ALERT_EVENT)
    with Session(engine) as session:
        [reminder_run] = session.exec(select(ReminderRun)).all()
        [alert_row] = session.exec(select(ImportAlert)).all()
    assert (reminder_run.attempts, reminder_run.message_ts) == (1, dm.ts)
    assert (alert_row.attempts, alert_row.message_ts) == (1, alert.ts)
    assert len(fake_slack.calls_to("chat.postMessage")) == 2  # one DM, one alert: nothing else
