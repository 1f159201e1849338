"""A small fake of Slack's Web API, for the app's WebClient to talk to.

- `FakeSlack`: serves on 127.0.0.1 (free port); the app's WebClient reaches it through
  SLACK_API_URL. It records every call, answers the methods the app uses, can inject faults
  (429 with Retry-After, 500, Slack errors), and checks every message and view it receives
  against slack_sdk's block models and Slack's published limits, and for a raw `<`, `>` or `&`
  in mrkdwn (the fallback `text` included) that is not a mention, channel, date or link.
  The `fake_slack` fixture (tests/app_client.py) fails a test at teardown if any payload broke them.
  Messages posted with chat.postMessage are held per channel (`held`) and served back by
  `conversations.history` and `conversations.replies` (the `oldest` filter, metadata only with
  `include_all_metadata`), as Slack does. Lost answers: `fail_after_posting` holds the message,
  then answers 500 or closes the connection without a word; `delay_answer` holds it and answers
  late (a slow Slack, a window to kill the app in).
  OAuth: `grant` a code that `oauth.v2.access` exchanges (once) for a workspace's bot token
  (or an org-wide install's); `auth.test` answers for the token it is given; `refuse_token`
  makes Slack refuse a token from then on (`invalid_auth`, `account_inactive`, ...).
  Files go through Slack's external upload flow: `files.getUploadURLExternal` gives an upload URL
  on the fake itself, the bytes POSTed there are kept, `files.completeUploadExternal` shares them;
  `fake.uploaded()` reads back what was shared (`Upload`: filename, title, channel, bytes).
- `sign`: Slack's request signing, for sending signed requests to `/slack/events`.

The app under test, served over signed HTTP, is in tests/app_client.py; the payloads Slack
sends it (clicks, submissions, type-ahead) are built in tests/slack_requests.py.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

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
MAX_FILE_INPUT_BYTES = 10 * 1024 * 1024  # the file input element's limit

# The bot token the app under test is configured with (tests/app_client.py); downloads of a
# file's private URL need it, as Slack's need a token with files:read.
BOT_TOKEN = "xoxb-test-token"

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
class Upload:
    """A file uploaded through the external upload flow."""

    file_id: str
    filename: str
    length: int  # as announced to files.getUploadURLExternal
    data: bytes | None = None  # the bytes POSTed to the upload URL
    title: str | None = None
    channel_id: str | None = None  # set by files.completeUploadExternal
    initial_comment: str | None = None

    @property
    def text(self) -> str:
        assert self.data is not None
        return self.data.decode("utf-8")


@dataclass
class Fault:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    after: bool = False  # the call is carried out first (the message posted), then this answers
    close: bool = False  # no answer at all: the connection is closed


@dataclass
class Held:
    """A message Slack holds in a channel (top level, or a reply in `thread_ts`'s thread)."""

    channel: str
    ts: str
    text: str
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None

    def as_message(self, *, with_metadata: bool) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "message", "user": "U0BOT", "bot_id": "B0BOT"}
        message.update(ts=self.ts, text=self.text)
        if self.thread_ts is not None:
            message["thread_ts"] = self.thread_ts
        if with_metadata and self.metadata is not None:
            message["metadata"] = self.metadata
        return message


# What Slack accepts as message metadata: an event type of letters, digits and underscores
# (https://docs.slack.dev/messaging/message-metadata), a JSON object as payload.
_EVENT_TYPE = re.compile(r"^[A-Za-z0-9_]{1,255}$")


def metadata_problems(method: str, metadata: object) -> list[str]:
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return [f"{method}: metadata is not JSON"]
    if not isinstance(metadata, dict):
        return [f"{method}: metadata is not an object"]
    problems = []
    if not _EVENT_TYPE.match(str(metadata.get("event_type") or "")):
        problems.append(f"{method}: metadata event_type {metadata.get('event_type')!r}")
    if not isinstance(metadata.get("event_payload"), dict):
        problems.append(f"{method}: metadata event_payload is not an object")
    return problems


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
        if "metadata" in params:
            problems.extend(metadata_problems(method, params["metadata"]))
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
        if method == "views.update" and not (params.get("view_id") or params.get("external_id")):
            problems.append("views.update: neither view_id nor external_id")
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
        self.tokens: dict[str, dict[str, Any]] = {}  # bot token -> who auth.test says it is
        self.client_credentials: tuple[str, str] | None = None  # checked by oauth.v2.access when set
        self._grants: dict[str, dict[str, Any]] = {}  # OAuth code -> oauth.v2.access answer
        self._refused: dict[str, str] = {}  # token -> the error every call with it gets
        self.bot_token = BOT_TOKEN  # the token a file download must carry
        self.files: dict[str, dict[str, Any]] = {}  # files.info answers, by file ID
        self._file_bodies: dict[str, bytes] = {}
        self.download_delay = 0.0  # seconds a file download takes (a big file, a slow network)
        self._overrides: dict[str, dict[str, Any]] = {}
        self._faults: dict[str, list[Fault | None]] = {}  # None: that call goes through
        self._delays: dict[str, list[float]] = {}  # method -> seconds each next call waits to answer
        self.held: list[Held] = []  # every message posted, in order
        self.uploads: dict[str, Upload] = {}
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

    def add_file(
        self,
        file_id: str,
        content: bytes,
        *,
        name: str = "export.csv",
        filetype: str = "csv",
        size: int | None = None,
    ) -> dict[str, Any]:
        """A file a person uploaded: files.info describes it, its private URL serves `content`.

        Returns the file object as Slack puts it in a file input's state (`file_input(...)`).
        `size` is what Slack reports (the content's length unless given).
        """
        where = f"{self.base_url}/files-pri/{self.team_id}-{file_id}"
        info = {
            "id": file_id,
            "created": int(time.time()),
            "timestamp": int(time.time()),
            "name": name,
            "title": name,
            "mimetype": "text/csv" if filetype == "csv" else "application/octet-stream",
            "filetype": filetype,
            "pretty_type": filetype.upper(),
            "user": "U0ALICE",
            "user_team": self.team_id,
            "size": len(content) if size is None else size,
            "mode": "hosted",
            "is_external": False,
            "is_public": False,
            "url_private": f"{where}/{quote(name)}",
            "url_private_download": f"{where}/download/{quote(name)}",
            "permalink": f"{self.base_url}/files/U0ALICE/{file_id}/{name}",
        }
        with self._lock:
            self.files[file_id] = info
            self._file_bodies[file_id] = content
        return info

    def may_read_files(self, authorization: str) -> bool:
        """Whether `Authorization: Bearer <token>` may download this team's files (files:read)."""
        token = authorization.removeprefix("Bearer ")
        if not authorization.startswith("Bearer ") or token in self._refused:
            return False
        installed = self.tokens.get(token)
        return token == self.bot_token or (installed is not None and installed.get("team_id") == self.team_id)

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

    def fail_after_posting(
        self,
        method: str = "chat.postMessage",
        *,
        status: int = 500,
        close: bool = False,
        times: int = 1,
        skip: int = 0,
    ) -> None:
        """After `skip` more calls of `method` answered as usual, the next `times` are carried out
        (the message posted), then answer HTTP `status`, or with `close` nothing at all (the
        connection is closed): a lost answer."""
        body = {"ok": False, "error": "fatal_error"}
        with self._lock:
            queue = self._faults.setdefault(method, [])
            queue.extend([None] * skip)
            queue.extend(Fault(status, body, after=True, close=close) for _ in range(times))

    def delay_answer(self, method: str = "chat.postMessage", seconds: float = 30.0, *, skip: int = 0) -> None:
        """After `skip` more calls of `method`, the next one is carried out at once and answered
        `seconds` later (Slack answering slowly)."""
        with self._lock:
            self._delays[method] = [0.0] * skip + [seconds]

    def held_in(self, channel: str, *, thread_ts: str | None = None) -> list[Held]:
        """The messages held in `channel`: top-level ones, or the replies in `thread_ts`'s thread."""
        with self._lock:
            if thread_ts is None:
                return [m for m in self.held if m.channel == channel and m.thread_ts is None]
            return [m for m in self.held if m.channel == channel and m.thread_ts == thread_ts]

    def grant(
        self,
        code: str,
        *,
        token: str,
        team_id: str | None,
        enterprise_id: str | None = None,
        installer: str = "U0INSTALLER",
    ) -> None:
        """Let `oauth.v2.access` exchange `code` (once) for `token`: an install in `team_id`, or,
        with `team_id` None, an org-wide install of `enterprise_id` (Enterprise Grid)."""
        org_wide = team_id is None
        self.tokens[token] = {
            "team_id": team_id or "",
            "enterprise_id": enterprise_id,
            "is_enterprise_install": org_wide,
        }
        self._grants[code] = {
            "ok": True,
            "access_token": token,
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": "U0BOT",
            "app_id": "A0APP",
            "team": None if org_wide else {"id": team_id, "name": f"Team {team_id}"},
            "enterprise": {"id": enterprise_id, "name": f"Org {enterprise_id}"} if enterprise_id else None,
            "authed_user": {"id": installer},
            "is_enterprise_install": org_wide,
        }

    def refuse_token(self, token: str, error: str = "invalid_auth") -> None:
        """From now on every call made with `token` gets `{"ok": false, "error": error}`."""
        self._refused[token] = error

    # --- reading what happened --------------------------------------------------------------

    def tokens_used(self) -> set[str]:
        """The bearer tokens of every Web API call so far (response_url posts carry none)."""
        with self._lock:
            headers = [c.headers.get("Authorization", "") for c in self.calls]
        return {h.removeprefix("Bearer ") for h in headers if h.startswith("Bearer ")}

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def messages(self) -> list[Call]:
        """Every message the app sent or changed (chat.* and response_url posts)."""
        with self._lock:
            return [c for c in self.calls if c.method in MESSAGE_METHODS]

    def uploaded(self) -> list[Upload]:
        """The files shared so far (completed uploads), in the order they were completed."""
        with self._lock:
            return [u for u in self.uploads.values() if u.channel_id is not None]

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
    ) -> tuple[Fault | None, float]:
        """Record the call; the fault it meets, and how long its answer waits."""
        problems = payload_problems(method, params)
        with self._lock:
            self.calls.append(Call(method, params, headers, path))
            self.problems.extend(problems)
            queue = self._faults.get(method)
            delays = self._delays.get(method)
            return (queue.pop(0) if queue else None), (delays.pop(0) if delays else 0.0)

    def _hold(self, channel: str, params: dict[str, Any], ts: str) -> None:
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        thread_ts = params.get("thread_ts") or None
        held = Held(channel, ts, str(params.get("text") or ""), thread_ts, metadata)
        with self._lock:
            self.held.append(held)

    def _history(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """conversations.history (top level) or .replies (a thread), newest first for history."""
        channel = str(params.get("channel") or "")
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        oldest = float(params.get("oldest") or 0)
        inclusive = str(params.get("inclusive", "")).lower() in ("1", "true")
        with self._lock:
            in_channel = [m for m in self.held if m.channel == channel]
        if method == "conversations.history":
            found = [m for m in reversed(in_channel) if m.thread_ts is None]
        else:
            parent = str(params.get("ts") or "")
            if not any(m.ts == parent for m in in_channel):
                return {"ok": False, "error": "thread_not_found"}
            found = [m for m in in_channel if m.ts == parent or m.thread_ts == parent]
        found = [m for m in found if float(m.ts) > oldest or (inclusive and float(m.ts) == oldest)]
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 100)
        page = found[start : start + limit]
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": [m.as_message(with_metadata=with_metadata) for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _authenticate(
        self, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> dict[str, Any] | None:
        """The answer when the caller's credentials decide it (OAuth, auth.test, a refused token)."""
        authorization = headers.get("Authorization", "")
        if method == "oauth.v2.access":
            if self.client_credentials is not None:
                expected = base64.b64encode(":".join(self.client_credentials).encode()).decode()
                if authorization != f"Basic {expected}":
                    return {"ok": False, "error": "invalid_client_id"}
            with self._lock:
                grant = self._grants.pop(str(params.get("code")), None)
            return grant or {"ok": False, "error": "invalid_code"}
        token = authorization.removeprefix("Bearer ")
        if token in self._refused:
            return {"ok": False, "error": self._refused[token]}
        if method == "auth.test" and token in self.tokens:
            who = self.tokens[token]
            return {"ok": True, "user_id": "U0BOT", "bot_id": "B0BOT", "team": "Team", **who}
        return None

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
            case "chat.postMessage":
                self._hold(channel, params, ts)
                return {"ok": True, "channel": channel, "ts": ts, "message": {"ts": ts}}
            case "chat.update":
                return {"ok": True, "channel": channel, "ts": params.get("ts") or ts, "message": {"ts": ts}}
            case "conversations.history" | "conversations.replies":
                return self._history(method, params)
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
            case "files.getUploadURLExternal":
                return self._upload_ticket(params)
            case "files.completeUploadExternal":
                return self._complete_upload(params)
            case "files.info":
                info = self.files.get(params.get("file", ""))
                return {"ok": True, "file": info} if info else {"ok": False, "error": "file_not_found"}
            case _:
                return {"ok": True}

    def _upload_ticket(self, params: dict[str, Any]) -> dict[str, Any]:
        filename, length = params.get("filename"), str(params.get("length") or "")
        if not filename or not length.isdigit() or int(length) <= 0:
            # Slack's own answer to a missing filename or a length of 0.
            return {"ok": False, "error": "missing_argument"}
        file_id = f"F{next(self._ts):08d}"
        with self._lock:
            self.uploads[file_id] = Upload(file_id, filename, int(length))
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _receive_upload(self, file_id: str, data: bytes) -> int:
        """The bytes POSTed to an upload URL; HTTP 404 for a URL it never gave."""
        with self._lock:
            upload = self.uploads.get(file_id)
            if upload is None:
                return 404
            upload.data = data
            if len(data) != upload.length:
                self.problems.append(f"upload {file_id}: {len(data)} bytes sent, {upload.length} announced")
        return 200

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        shared = []
        with self._lock:
            for entry in files:
                upload = self.uploads.get(str(entry.get("id")))
                if upload is None or upload.data is None:
                    return {"ok": False, "error": "file_not_found"}
                upload.title = entry.get("title") or upload.filename
                upload.channel_id = params.get("channel_id") or ""
                upload.initial_comment = params.get("initial_comment")
                shared.append({"id": upload.file_id, "name": upload.filename, "title": upload.title})
        return {"ok": True, "files": shared}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                headers = {k: v for k, v in self.headers.items()}
                if self.path.startswith("/upload/"):  # an upload URL: the file's bytes, as they are
                    fake._record("upload", {"path": self.path, "length": len(raw)}, headers, self.path)
                    status = fake._receive_upload(self.path.removeprefix("/upload/"), raw)
                    self._send(status, {"ok": status == 200}, {})
                    return
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype:
                    params = json.loads(raw or b"{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                # GET methods (conversations.history) carry their arguments in the query string.
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                params = {**query, **params}
                if self.path.startswith("/response/"):
                    method = "response_url"
                else:
                    method = self.path.removeprefix("/api/").split("?")[0]
                for key in ("blocks", "view", "attachments", "metadata"):
                    if isinstance(params.get(key), str):
                        with contextlib.suppress(ValueError):
                            params[key] = json.loads(params[key])
                fault, delay = fake._record(method, params, headers, self.path)
                if fault is not None and not fault.after:
                    self._send(fault.status, fault.body, fault.headers)
                    return
                if method == "response_url":
                    body = {"ok": True}
                else:
                    body = fake._authenticate(method, params, headers) or fake._answer(method, params)
                if delay:
                    time.sleep(delay)
                if fault is not None and fault.close:
                    self.close_connection = True  # carried out, and not a byte of answer
                    return
                if fault is not None:
                    self._send(fault.status, fault.body, fault.headers)
                    return
                self._send(200, body, {})

            def do_GET(self) -> None:
                if self.path.startswith("/files-pri/"):
                    self._download()
                elif self.path.startswith("/signin"):
                    self._raw(200, b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>", "text/html")
                else:
                    self.do_POST()

            def _download(self) -> None:
                """A file's private URL: the file for the bot token; Slack's sign-in page otherwise."""
                headers = {k: v for k, v in self.headers.items()}
                fake._record("files.download", {"path": self.path}, headers, self.path)
                if fake.download_delay:
                    time.sleep(fake.download_delay)
                file_id = self.path.removeprefix("/files-pri/").split("/")[0].removeprefix(f"{fake.team_id}-")
                body = fake._file_bodies.get(file_id)
                if not fake.may_read_files(self.headers.get("Authorization", "")) or body is None:
                    # What Slack does without a token that may read the file: off to the sign-in page.
                    self.send_response(302)
                    self.send_header("Location", f"{fake.base_url}/signin?redir={self.path}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._raw(200, body, "text/csv")

            def _raw(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the caller hung up (killed while Slack was slow): as Slack, shrug
                    self.close_connection = True

        return Handler
