"""The app under test, served over real HTTP, driven with signed requests as Slack sends them.

A pytest plugin (registered in tests/conftest.py): the `fake_slack` and `slack_app` fixtures.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.fake_slack import Call, FakeSlack, sign
from tests.slack_requests import CHANNEL_ID, TEAM_ID, USER_ID, new_response_url, new_trigger_id

if TYPE_CHECKING:
    from bot.settings import Settings

# Usage (any test module; the fixtures come from this plugin via tests/conftest.py, the payload
# builders from tests/slack_requests.py):
#
#     def test_something(slack_app, fake_slack):
#         reply = slack_app.command("/renewals", "type:renewal", user_id="U1")
#         assert reply.status == 200                      # Bolt acked
#         message = slack_app.wait_for("response_url")    # the answer sent to response_url
#         blocks = message.params["blocks"]
#
#         value = button_value(message, "renewals_next")  # a button in that message
#         slack_app.action(block_actions_payload("renewals_next", value, user_id="U1"))
#         slack_app.wait_for("response_url", count=2)
#
#         slack_app.command("/renewals", "columns", trigger_id="T-1")
#         view = slack_app.wait_for("views.open").params["view"]
#         state = {"columns_input": {"columns_checkboxes": checkboxes(["website"])}}
#         reply = slack_app.view_submission(view_submission_payload(view, state))
#
# `slack_app` runs the real WSGI app (bot.slack.server.make_wsgi_app) in a threaded server on a
# free port, with Settings pointing at `fake_slack` and at the `database_url` fixture (so every
# test using it runs on SQLite and, with TEST_DATABASE_URL, PostgreSQL). Requests are
# signed with SIGNING_SECRET exactly as Slack signs them; `slack_app.post(...)` sends a
# raw body with any headers, for tests of the signature check itself.
# `start_slack_app(fake, database_url, **settings)` builds one with other settings (`serving(...)`
# in a `with` block); `admin_app` is one with RENEWALS_ADMINS=U0LISTED.


SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
ADMIN_ID = "U0LISTED"  # in RENEWALS_ADMINS of the `admin_app` fixture
_event_ids = itertools.count(1)


@dataclass
class Reply:
    """The HTTP answer of the app to one request (Bolt's ack, or an error)."""

    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body.strip() else {}


class SlackAppClient:
    """Sends Slack-shaped signed requests to the running app and waits for what it sends back."""

    def __init__(self, base_url: str, fake: FakeSlack, app: Any, engine: Any, settings: Any) -> None:
        self.base_url = base_url
        self.events_url = f"{base_url}/slack/events"
        self.fake = fake
        self.app = app
        self.engine = engine
        self.settings = settings

    # --- sending ----------------------------------------------------------------------------

    def post(self, body: bytes, headers: dict[str, str], path: str = "/slack/events") -> Reply:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(f"{self.base_url}{path}", data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Reply(response.status, response.read(), dict(response.headers.items()))
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.read(), dict(exc.headers.items()))

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(f"{self.base_url}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Reply(response.status, response.read(), dict(response.headers.items()))
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.read(), dict(exc.headers.items()))

    def send_form(self, fields: dict[str, str], *, timestamp: int | None = None) -> Reply:
        from urllib.parse import urlencode

        body = urlencode(fields).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **sign(SIGNING_SECRET, body, timestamp),
        }
        return self.post(body, headers)

    def command(
        self,
        name: str,
        text: str = "",
        *,
        user_id: str = USER_ID,
        team_id: str = TEAM_ID,
        channel_id: str = CHANNEL_ID,
        enterprise_id: str | None = None,
        is_enterprise_install: bool = False,
        trigger_id: str | None = None,
        response_url: str | None = None,
        timestamp: int | None = None,
    ) -> Reply:
        """A slash command as Slack posts it (form fields); response_url points at the fake.

        `is_enterprise_install`: the app is installed org-wide in `enterprise_id`'s Grid org."""
        fields = {
            "token": "deprecated",
            "team_id": team_id,
            "team_domain": team_id.lower(),
            "channel_id": channel_id,
            "channel_name": "renewals",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": name,
            "text": text,
            "api_app_id": "A0APP",
            "is_enterprise_install": "true" if is_enterprise_install else "false",
            "response_url": response_url or new_response_url(self.fake, "cmd"),
            "trigger_id": trigger_id or new_trigger_id(),
        }
        if enterprise_id:
            fields["enterprise_id"] = enterprise_id
        return self.send_form(fields, timestamp=timestamp)

    def interactive(self, payload: dict[str, Any], *, timestamp: int | None = None) -> Reply:
        """Any interactivity payload, sent as Slack does: form field `payload=<json>`."""
        return self.send_form({"payload": json.dumps(payload)}, timestamp=timestamp)

    def action(self, payload: dict[str, Any]) -> Reply:
        return self.interactive(payload)

    def view_submission(self, payload: dict[str, Any]) -> Reply:
        return self.interactive(payload)

    def suggestion(self, payload: dict[str, Any]) -> Reply:
        return self.interactive(payload)

    def event(
        self,
        event: dict[str, Any],
        *,
        team_id: str = TEAM_ID,
        enterprise_id: str | None = None,
        is_enterprise_install: bool = False,
        timestamp: int | None = None,
    ) -> Reply:
        """An Events API delivery as Slack sends it: a signed JSON `event_callback` wrapping `event`.

        `is_enterprise_install`: for an org-wide install, whose authorization names no team."""
        body = {
            "token": "deprecated",
            "team_id": team_id,
            "enterprise_id": enterprise_id,
            "api_app_id": "A0APP",
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{next(_event_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": enterprise_id,
                    "team_id": None if is_enterprise_install else team_id,
                    "user_id": "U0BOT",
                    "is_bot": True,
                    "is_enterprise_install": is_enterprise_install,
                }
            ],
            "is_ext_shared_channel": False,
        }
        raw = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **sign(SIGNING_SECRET, raw, timestamp)}
        return self.post(raw, headers)

    # --- waiting for what the app sent ------------------------------------------------------

    def wait_for(
        self,
        method: str,
        *,
        count: int = 1,
        # Generous: only a failing test waits this long, and CI shares two cores.
        timeout: float = 15.0,
        where: Callable[[Call], bool] | None = None,
    ) -> Call:
        """The `count`-th call of `method` (matching `where`) the app made; fails after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            calls = [c for c in self.fake.calls_to(method) if where is None or where(c)]
            if len(calls) >= count:
                return calls[count - 1]
            if time.monotonic() > deadline:
                seen = [c.method for c in self.fake.calls]
                raise AssertionError(f"no call #{count} of {method} within {timeout}s; calls seen: {seen}")
            time.sleep(0.01)

    def settle(self, quiet: float = 0.2, timeout: float = 5.0) -> None:
        """Wait until the app has made no Web API call for `quiet` seconds (for 'nothing else sent')."""
        deadline = time.monotonic() + timeout
        seen = len(self.fake.calls)
        last_change = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.02)
            now = len(self.fake.calls)
            if now != seen:
                seen, last_change = now, time.monotonic()
            elif time.monotonic() - last_change >= quiet:
                return


def serve_wsgi(wsgi: Any) -> tuple[str, Callable[[], None]]:
    """Serve a WSGI app on 127.0.0.1 (free port) in a thread per request; returns (base URL, stop)."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, wsgi, server_class=ThreadingWSGIServer, handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://127.0.0.1:{server.server_address[1]}", stop


def app_settings(fake: Any, database_url: str, **overrides: Any) -> Settings:
    """The app's Settings for a test: the fake Slack at `fake.api_url`, the test database, no .env."""
    from bot.settings import Settings

    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_app_token": None,
        "slack_client_id": None,
        "slack_client_secret": None,
        "slack_api_url": fake.api_url,
        "database_url": database_url,
        "renewals_admins": frozenset(),
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def start_slack_app(fake: FakeSlack, database_url: str, **settings: Any) -> tuple[SlackAppClient, Any]:
    """Build the app with test Settings (override any field) and serve it; returns (client, stop).

    The WSGI app is the one `renewals-bot serve` runs (bot.slack.server.make_wsgi_app); here it is
    served by the standard library's threaded server, which stops cleanly between tests.
    """
    from bot.services import build_services
    from bot.slack.app import build_app
    from bot.slack.server import make_wsgi_app
    from store.db import make_engine

    built = app_settings(fake, database_url, **settings)
    engine = make_engine(built.database_url)
    app = build_app(build_services(built, engine))
    base_url, stop_server = serve_wsgi(make_wsgi_app(app, engine, built))
    client = SlackAppClient(base_url, fake, app, engine, built)

    def stop() -> None:
        stop_server()
        # Let listeners still running finish while the fake Slack is up, so nothing this test
        # started logs into the next test (or calls a fake that is gone).
        app.listener_runner.listener_executor.shutdown(wait=True)
        engine.dispose()

    return client, stop


@contextmanager
def serving(fake: FakeSlack, database_url: str, **settings: Any) -> Iterator[SlackAppClient]:
    """`start_slack_app` for a `with` block (or a fixture): the app is stopped when it ends."""
    client, stop = start_slack_app(fake, database_url, **settings)
    try:
        yield client
    finally:
        stop()


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A running fake Slack; fails the test if the app sent anything Slack would reject."""
    fake = FakeSlack().start()
    try:
        yield fake
    finally:
        fake.stop()
    assert fake.problems == [], "the app sent payloads Slack would reject:\n" + "\n".join(fake.problems)


@pytest.fixture
def slack_app(fake_slack: FakeSlack, database_url: str) -> Iterator[SlackAppClient]:
    """The app, served over HTTP, talking to `fake_slack` and the test database."""
    with serving(fake_slack, database_url) as client:
        yield client


@pytest.fixture
def admin_app(fake_slack: FakeSlack, database_url: str) -> Iterator[SlackAppClient]:
    """The app with RENEWALS_ADMINS=U0LISTED (ADMIN_ID)."""
    with serving(fake_slack, database_url, renewals_admins=frozenset({ADMIN_ID})) as client:
        yield client
