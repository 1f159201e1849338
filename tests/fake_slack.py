"""The one fixture module for talking to the app the way Slack does.

- `FakeSlack`: a small fake of Slack's Web API on 127.0.0.1 (free port). The app's
  WebClient reaches it through SLACK_API_URL. It records every call, answers the
  methods the app uses, can inject faults (429 with Retry-After, 500, Slack errors),
  and checks every message and view it receives against slack_sdk's block models
  and Slack's published limits, and for a raw `<`, `>` or `&` in mrkdwn (the fallback
  `text` included) that is not a mention, channel, date or link. A test fails at teardown
  if any payload broke them.
- `sign`: Slack's request signing, for sending signed requests to `/slack/events`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

# Slack's published limits (shared/slack-platform.md, section 1 and 2).
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TABLE_ROWS = 100
MAX_TABLE_CELLS = 20
MAX_TABLE_TEXT = 10_000
MAX_TEXT = 40_000
MAX_MODAL_TITLE = 24
MAX_PRIVATE_METADATA = 3000

MESSAGE_METHODS = {
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.update",
    "chat.scheduleMessage",
    "response_url",
}
VIEW_METHODS = {"views.open", "views.update", "views.push", "views.publish"}


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack sends with a request: timestamp and v0 HMAC-SHA256 signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    path: str = ""


@dataclass
class Fault:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def _table_problems(block: dict[str, Any]) -> list[str]:
    rows = block.get("rows") or []
    problems = []
    if len(rows) > MAX_TABLE_ROWS:
        problems.append(f"table has {len(rows)} rows (max {MAX_TABLE_ROWS})")
    text_total = 0
    for row in rows:
        if len(row) > MAX_TABLE_CELLS:
            problems.append(f"table row has {len(row)} cells (max {MAX_TABLE_CELLS})")
        for cell in row:
            text_total += (
                len(json.dumps(cell.get("elements", "")))
                if cell.get("type") == "rich_text"
                else len(str(cell.get("text", "")))
            )
    if text_total > MAX_TABLE_TEXT:
        problems.append(f"table cell text is {text_total} chars (max {MAX_TABLE_TEXT})")
    return problems


def block_problems(blocks: list[dict[str, Any]], *, max_blocks: int) -> list[str]:
    """Everything wrong with a list of blocks, by slack_sdk's models and Slack's limits."""
    problems = []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks (max {max_blocks})")
    tables = [b for b in blocks if b.get("type") in ("table", "data_table")]
    if len(tables) > 1:
        problems.append("more than one table in one message (only_one_table_allowed)")
    block_ids = [b["block_id"] for b in blocks if b.get("block_id")]
    if len(block_ids) != len(set(block_ids)):
        problems.append(f"duplicate block_id in {block_ids}")
    for raw in blocks:
        try:
            parsed = Block.parse(raw)
            if parsed is None:
                problems.append(f"unknown block type {raw.get('type')!r}")
                continue
            parsed.validate_json()
        except Exception as exc:  # slack_sdk raises SlackObjectFormationError and friends
            problems.append(f"{raw.get('type')} block: {exc}")
        if raw.get("type") == "table":
            problems.extend(_table_problems(raw))
    return problems


# What Slack reads as markup in mrkdwn (shared/slack-platform.md section 7): a user or channel
# mention, a date, a link. The group is the label shown, still mrkdwn (so still escaped).
_MARKUP = re.compile(
    r"<(?:@[UW][A-Z0-9]+|#[CGD][A-Z0-9]+|!date\^\d+\^[^|<>]+|(?:https?://|mailto:)[^|<>\s]+)(?:\|([^<>]*))?>"
)
_BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")


def mrkdwn_texts(node: object) -> list[str]:
    """Every mrkdwn text object's text in a payload, however deeply nested."""
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            return [node["text"]]
        return [text for value in node.values() for text in mrkdwn_texts(value)]
    if isinstance(node, list):
        return [text for value in node for text in mrkdwn_texts(value)]
    return []


def escaping_problems(text: str) -> list[str]:
    """A `<`, `>` or `&` in mrkdwn that is not part of a mention, channel, date or link.

    Slack reads `<...>` as markup even inside backticks, so a usage line like
    `/renewal <client>` must be sent as `&lt;client&gt;` (and a `<!channel>` pings everyone).
    """
    rest = _MARKUP.sub(lambda m: m.group(1) or "", text)
    if "<" in rest or ">" in rest or _BARE_AMPERSAND.search(rest):
        return [f"unescaped <, > or & in mrkdwn: {text!r}"]
    return []


def payload_problems(method: str, params: dict[str, Any]) -> list[str]:
    """What Slack would reject (or show badly) in a message or view the app sent."""
    problems: list[str] = []
    if method in MESSAGE_METHODS:
        blocks = params.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        text = params.get("text")
        if not params.get("delete_original"):
            if not text or not str(text).strip():
                problems.append(f"{method}: no plain-text fallback `text`")
            elif len(str(text)) > MAX_TEXT:
                problems.append(f"{method}: text is {len(str(text))} chars (max {MAX_TEXT})")
        if blocks:
            problems.extend(f"{method}: {p}" for p in block_problems(blocks, max_blocks=MAX_MESSAGE_BLOCKS))
        # The fallback `text` is mrkdwn too (notifications, and the message when blocks fail).
        for mrkdwn in ([str(text)] if text else []) + mrkdwn_texts(blocks or []):
            problems.extend(f"{method}: {p}" for p in escaping_problems(mrkdwn))
    if method in VIEW_METHODS:
        view = params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict):
            return [f"{method}: no view"]
        try:
            View(**view).validate_json()
        except Exception as exc:
            problems.append(f"{method}: view: {exc}")
        title = (view.get("title") or {}).get("text", "")
        if len(title) > MAX_MODAL_TITLE:
            problems.append(f"{method}: modal title {title!r} over {MAX_MODAL_TITLE} chars")
        if len(view.get("private_metadata") or "") > MAX_PRIVATE_METADATA:
            problems.append(f"{method}: private_metadata over {MAX_PRIVATE_METADATA} chars")
        problems.extend(
            f"{method}: {p}" for p in block_problems(view.get("blocks") or [], max_blocks=MAX_VIEW_BLOCKS)
        )
        for mrkdwn in mrkdwn_texts(view.get("blocks") or []):
            problems.extend(f"{method}: {p}" for p in escaping_problems(mrkdwn))
    return problems


class FakeSlack:
    """A fake Slack Web API. Base URL for the WebClient: `fake.api_url` (ends with '/')."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.problems: list[str] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.team_id = "T0TEAM1"
        self._overrides: dict[str, dict[str, Any]] = {}
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval: stop() waits for one, at every test's teardown.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- set-up -----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, key: str = "r1") -> str:
        """A response_url the app can post to; calls are recorded as method 'response_url'."""
        return f"{self.base_url}/response/{key}"

    def add_user(
        self,
        user_id: str,
        *,
        email: str | None = None,
        name: str | None = None,
        tz: str = "Europe/London",
        is_admin: bool = False,
        is_owner: bool = False,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        user = {
            "id": user_id,
            "team_id": team_id or self.team_id,
            "name": (name or user_id).lower().replace(" ", "."),
            "real_name": name or user_id,
            "tz": tz,
            "tz_offset": 0,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_bot": False,
            "deleted": False,
            "profile": {"email": email, "real_name": name or user_id, "display_name": name or user_id},
        }
        self.users[user_id] = user
        return user

    def respond(self, method: str, body: dict[str, Any]) -> None:
        """Answer `method` with `body` from now on (instead of the default answer)."""
        self._overrides[method] = body

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` fail: HTTP `status`, or `{"ok": false, "error": error}`."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {"ok": False, "error": error or ("ratelimited" if status == 429 else "fatal_error")}
        with self._lock:
            self._faults.setdefault(method, []).extend(Fault(status, body, headers) for _ in range(times))

    # --- reading what happened --------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def messages(self) -> list[Call]:
        """Every message the app sent or changed (chat.* and response_url posts)."""
        with self._lock:
            return [c for c in self.calls if c.method in MESSAGE_METHODS]

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    # --- the server ---------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _record(
        self, method: str, params: dict[str, Any], headers: dict[str, str], path: str
    ) -> Fault | None:
        problems = payload_problems(method, params)
        with self._lock:
            self.calls.append(Call(method, params, headers, path))
            self.problems.extend(problems)
            queue = self._faults.get(method)
            return queue.pop(0) if queue else None

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method in self._overrides:
            return self._overrides[method]
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        channel = params.get("channel", "C0CHANNEL")
        users = self.users
        match method:
            case "auth.test":
                return {
                    "ok": True,
                    "team_id": self.team_id,
                    "user_id": "U0BOT",
                    "bot_id": "B0BOT",
                    "team": "Team",
                }
            case "chat.postMessage" | "chat.update":
                return {"ok": True, "channel": channel, "ts": params.get("ts") or ts, "message": {"ts": ts}}
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            case "chat.delete":
                return {"ok": True, "channel": channel, "ts": params.get("ts")}
            case "views.open" | "views.update" | "views.push" | "views.publish":
                view = params.get("view")
                view = json.loads(view) if isinstance(view, str) else view
                return {"ok": True, "view": {**(view or {}), "id": f"V{next(self._ts):08d}", "hash": ts}}
            case "users.info":
                user = users.get(params.get("user", ""))
                return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
            case "users.lookupByEmail":
                email = (params.get("email") or "").lower()
                for user in users.values():
                    if (user["profile"].get("email") or "").lower() == email:
                        return {"ok": True, "user": user}
                return {"ok": False, "error": "users_not_found"}
            case "conversations.info":
                info = self.channels.get(channel, {"id": channel, "is_member": True, "is_archived": False})
                return {"ok": True, "channel": info}
            case "conversations.open":
                return {"ok": True, "channel": {"id": "D" + str(params.get("users", "U")).split(",")[0][1:]}}
            case "conversations.join":
                return {"ok": True, "channel": {"id": channel}}
            case _:
                return {"ok": True}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                headers = {k: v for k, v in self.headers.items()}
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype:
                    params = json.loads(raw or b"{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                if self.path.startswith("/response/"):
                    method = "response_url"
                else:
                    method = self.path.removeprefix("/api/").split("?")[0]
                for key in ("blocks", "view", "attachments"):
                    if isinstance(params.get(key), str):
                        with contextlib.suppress(ValueError):
                            params[key] = json.loads(params[key])
                fault = fake._record(method, params, headers, self.path)
                if fault is not None:
                    self._send(fault.status, fault.body, fault.headers)
                    return
                body = {"ok": True} if method == "response_url" else fake._answer(method, params)
                self._send(200, body, {})

            def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST  # noqa: N815

        return Handler


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A running fake Slack; fails the test if the app sent anything Slack would reject."""
    fake = FakeSlack().start()
    try:
        yield fake
    finally:
        fake.stop()
    assert fake.problems == [], "the app sent payloads Slack would reject:\n" + "\n".join(fake.problems)


# --- the app under test, over real HTTP --------------------------------------------------------
#
# Usage (any test module; the fixtures come from this plugin via tests/conftest.py):
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
# `start_slack_app(fake, database_url, **settings)` builds one with other settings.

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
TEAM_ID = "T0TEAM1"
USER_ID = "U0ALICE"
CHANNEL_ID = "C0CHANNEL"
_trigger_ids = itertools.count(1)
_response_keys = itertools.count(1)
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

    def get(self, path: str) -> Reply:
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(f"{self.base_url}{path}", timeout=10) as response:
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
        trigger_id: str | None = None,
        response_url: str | None = None,
        timestamp: int | None = None,
    ) -> Reply:
        """A slash command as Slack posts it (form fields); response_url points at the fake."""
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
            "is_enterprise_install": "false",
            "response_url": response_url or self.fake.response_url(f"cmd{next(_response_keys)}"),
            "trigger_id": trigger_id or f"trigger-{next(_trigger_ids)}",
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
        timestamp: int | None = None,
    ) -> Reply:
        """An Events API delivery as Slack sends it: a signed JSON `event_callback` wrapping `event`."""
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
                    "team_id": team_id,
                    "user_id": "U0BOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
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


def block_actions_payload(
    action_id: str,
    value: str | None = None,
    *,
    user_id: str = USER_ID,
    team_id: str | None = TEAM_ID,
    user_team_id: str | None = None,
    enterprise_id: str | None = None,
    channel_id: str = CHANNEL_ID,
    block_id: str = "b1",
    response_url: str | None = "auto",
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    action_type: str = "button",
    extra_action: dict[str, Any] | None = None,
    trigger_id: str | None = None,
    fake: FakeSlack | None = None,
) -> dict[str, Any]:
    """A realistic `block_actions` payload for a click on `action_id` carrying `value`.

    From a message by default (with a response_url on `fake`, which is required then);
    pass `view=` for a click inside a modal (no response_url). `team_id=None` mimics an
    org-wide Enterprise Grid install, where `team` is null and `user.team_id` tells the team.
    """
    ts = f"{int(time.time())}.000100"
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": ts,
    }
    if value is not None:
        action["value"] = value
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": action_id, "emoji": True}
    action.update(extra_action or {})
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": user_team_id or team_id or TEAM_ID,
        },
        "api_app_id": "A0APP",
        "token": "deprecated",
        "trigger_id": trigger_id or f"trigger-{next(_trigger_ids)}",
        "team": {"id": team_id, "domain": team_id.lower()} if team_id else None,
        "enterprise": {"id": enterprise_id, "name": "Org"} if enterprise_id else None,
        "is_enterprise_install": team_id is None,
        "actions": [action],
        "state": {"values": {}},
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "V0VIEW")}
        base = {"id": "V0VIEW", "team_id": team_id, "type": "modal", "state": {"values": {}}}
        payload["view"] = {**base, **view}
    else:
        payload["container"] = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel_id,
            "is_ephemeral": True,
        }
        payload["channel"] = {"id": channel_id, "name": "renewals"}
        payload["message"] = message or {"type": "message", "text": "", "ts": ts, "blocks": []}
        if response_url == "auto":
            if fake is None:
                raise ValueError("pass fake= (the FakeSlack) for a message click's response_url")
            response_url = fake.response_url(f"act{next(_response_keys)}")
        if response_url:
            payload["response_url"] = response_url
    return payload


def checkboxes(values: list[str]) -> dict[str, Any]:
    """The state of a checkboxes input with `values` ticked (for view_submission_payload)."""
    return {
        "type": "checkboxes",
        "selected_options": [{"text": {"type": "plain_text", "text": v}, "value": v} for v in values],
    }


def static_select(value: str | None) -> dict[str, Any]:
    selected = None if value is None else {"text": {"type": "plain_text", "text": value}, "value": value}
    return {"type": "static_select", "selected_option": selected}


def external_select(value: str | None) -> dict[str, Any]:
    selected = None if value is None else {"text": {"type": "plain_text", "text": value}, "value": value}
    return {"type": "external_select", "selected_option": selected}


def users_select(user_id: str | None) -> dict[str, Any]:
    return {"type": "users_select", "selected_user": user_id}


def plain_text_input(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def view_submission_payload(
    view: dict[str, Any],
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    user_id: str = USER_ID,
    team_id: str | None = TEAM_ID,
    user_team_id: str | None = None,
    enterprise_id: str | None = None,
) -> dict[str, Any]:
    """A `view_submission` of `view` (e.g. the one the app sent to views.open) with input `values`.

    `values` is `view.state.values`: {block_id: {action_id: element state}}; build element
    states with `checkboxes`, `static_select`, `external_select`, `users_select`, `plain_text_input`.
    """
    submitted = {
        "id": view.get("id", "V0VIEW"),
        "team_id": team_id,
        "type": "modal",
        "callback_id": view.get("callback_id", ""),
        "private_metadata": view.get("private_metadata", ""),
        "title": view.get("title"),
        "blocks": view.get("blocks", []),
        "state": {"values": values},
        "hash": "1.hash",
        "app_id": "A0APP",
        "bot_id": "B0BOT",
        "app_installed_team_id": team_id,
    }
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_id.lower()} if team_id else None,
        "enterprise": {"id": enterprise_id, "name": "Org"} if enterprise_id else None,
        "is_enterprise_install": team_id is None,
        "user": {"id": user_id, "username": user_id.lower(), "team_id": user_team_id or team_id or TEAM_ID},
        "api_app_id": "A0APP",
        "token": "deprecated",
        "trigger_id": f"trigger-{next(_trigger_ids)}",
        "view": submitted,
        "response_urls": [],
    }


def block_suggestion_payload(
    action_id: str,
    query: str,
    *,
    block_id: str = "b1",
    user_id: str = USER_ID,
    team_id: str | None = TEAM_ID,
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `block_suggestion` (options load of an external select) for `query`."""
    payload: dict[str, Any] = {
        "type": "block_suggestion",
        "user": {"id": user_id, "username": user_id.lower(), "team_id": team_id or TEAM_ID},
        "team": {"id": team_id, "domain": team_id.lower()} if team_id else None,
        "api_app_id": "A0APP",
        "token": "deprecated",
        "action_id": action_id,
        "block_id": block_id,
        "value": query,
        "container": {"type": "view", "view_id": "V0VIEW"},
    }
    if view is not None:
        payload["view"] = {"id": "V0VIEW", "team_id": team_id, "type": "modal", **view}
    return payload


def find_element(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    """The interactive element with `action_id` in `blocks` (buttons in actions/sections)."""
    for block in blocks:
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no element {action_id!r} in blocks {[b.get('type') for b in blocks]}")


def button_value(call: Call, action_id: str) -> str:
    """The `value` of button `action_id` in the message of `call`."""
    return find_element(call.params.get("blocks") or [], action_id)["value"]


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


def start_slack_app(fake: FakeSlack, database_url: str, **settings: Any) -> tuple[SlackAppClient, Any]:
    """Build the app with test Settings (override any field) and serve it; returns (client, stop).

    The WSGI app is the one `renewals-bot serve` runs (bot.slack.server.make_wsgi_app); here it is
    served by the standard library's threaded server, which stops cleanly between tests.
    """
    from bot.services import build_services
    from bot.settings import Settings
    from bot.slack.app import build_app
    from bot.slack.server import make_wsgi_app
    from store.db import make_engine

    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_app_token": None,
        "slack_client_id": None,
        "slack_client_secret": None,
        "slack_api_url": fake.api_url,
        "database_url": database_url,
        "renewals_admins": frozenset(),
        **settings,
    }
    built = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    engine = make_engine(built.database_url)
    app = build_app(build_services(built, engine))
    base_url, stop_server = serve_wsgi(make_wsgi_app(app, engine, built))
    client = SlackAppClient(base_url, fake, app, engine, built)

    def stop() -> None:
        stop_server()
        engine.dispose()

    return client, stop


@pytest.fixture
def slack_app(fake_slack: FakeSlack, database_url: str) -> Iterator[SlackAppClient]:
    """The app, served over HTTP, talking to `fake_slack` and the test database."""
    client, stop = start_slack_app(fake_slack, database_url)
    try:
        yield client
    finally:
        stop()
