"""Signature verification answers only "valid" or "invalid": a request whose signature is not
verified gets 401 and makes the app call nobody, whatever its headers hold."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.app_client import SIGNING_SECRET, SlackAppClient, serve_wsgi
from tests.fake_slack import FakeSlack, sign
from tests.slack_requests import block_actions_payload


class Bystander:
    """A stand-in listener on another port: whatever reaches it is an outbound call the app made."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.url, self._stop = serve_wsgi(self._wsgi)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.hits.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    def stop(self) -> None:
        self._stop()


@pytest.fixture
def bystander() -> Iterator[Bystander]:
    listener = Bystander()
    yield listener
    listener.stop()


def _command_body(response_url: str) -> bytes:
    return urlencode(
        {
            "team_id": "T0TEAM1",
            "user_id": "U0ALICE",
            "channel_id": "C0CHANNEL",
            "command": "/renewals",
            "text": "",
            "response_url": response_url,
            "trigger_id": "trigger-x",
        }
    ).encode()


def _click_body(response_url: str) -> bytes:
    payload = block_actions_payload("renewals_next", "{}", response_url=response_url)
    return urlencode({"payload": json.dumps(payload)}).encode()


def _good_signature(body: bytes) -> str:
    return sign(SIGNING_SECRET, body)["X-Slack-Signature"]


NOW = str(int(time.time()))

# (timestamp header, signature header); None leaves the header out. The signature
# "good" is computed for the body at the current time, so only the named header is wrong.
MALFORMED_HEADERS: dict[str, tuple[str | None, str | None]] = {
    "timestamp-not-a-number": ("abc", "good"),
    "timestamp-fractional": ("1700000000.5", "good"),
    "timestamp-negative": ("-1", "good"),
    "timestamp-huge": ("9" * 400, "good"),
    "timestamp-empty": ("", "good"),
    "timestamp-with-spaces": (f" {NOW} ", "good"),
    "timestamp-non-ascii-digits": ("١٧٠٠٠٠٠٠٠٠", "good"),
    "timestamp-missing": (None, "good"),
    "signature-non-ascii": (NOW, "v0=ünïcödé"),
    "signature-empty": (NOW, ""),
    "signature-missing": (NOW, None),
    "signature-wrong-version": (NOW, "v1=" + "0" * 64),
    "signature-huge": (NOW, "v0=" + "a" * 60_000),  # under the test server's 64 KiB line limit
    "signature-wrong": (NOW, "v0=" + "0" * 64),
}


def _send(slack_app: SlackAppClient, body: bytes, timestamp: str | None, signature: str | None) -> int:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if timestamp is not None:
        # http.client sends header values as latin-1: non-ASCII goes out as raw UTF-8 bytes instead.
        headers["X-Slack-Request-Timestamp"] = timestamp.encode().decode("latin-1")
    if signature is not None:
        value = _good_signature(body) if signature == "good" else signature
        headers["X-Slack-Signature"] = value.encode().decode("latin-1")
    return slack_app.post(body, headers).status


@pytest.mark.parametrize("shape", ["command", "click"])
@pytest.mark.parametrize("case", sorted(MALFORMED_HEADERS))
def test_an_unverified_request_gets_401_and_makes_no_outbound_call(
    slack_app: SlackAppClient, fake_slack: FakeSlack, bystander: Bystander, case: str, shape: str
) -> None:
    timestamp, signature = MALFORMED_HEADERS[case]
    body = (_command_body if shape == "command" else _click_body)(f"{bystander.url}/x")
    fake_slack.clear()  # the app's own start-up auth.test

    assert _send(slack_app, body, timestamp, signature) == 401
    slack_app.settle(quiet=0.3)

    assert bystander.hits == []
    assert fake_slack.calls == []


def test_a_request_signed_with_a_timestamp_older_than_five_minutes_gets_401(
    slack_app: SlackAppClient, bystander: Bystander
) -> None:
    body = _command_body(f"{bystander.url}/x")
    old = int(time.time()) - 301

    reply = slack_app.post(
        body, {"Content-Type": "application/x-www-form-urlencoded", **sign(SIGNING_SECRET, body, old)}
    )

    assert reply.status == 401
    slack_app.settle(quiet=0.3)
    assert bystander.hits == []


def test_a_correctly_signed_request_still_gets_through(
    slack_app: SlackAppClient, bystander: Bystander
) -> None:
    body = _command_body(f"{bystander.url}/x")

    assert _send(slack_app, body, str(int(time.time())), "good") == 200

    slack_app.settle(quiet=0.3)
    assert bystander.hits == ["POST /x"]
