"""A request Slack signed but the app cannot use gets 200 or 400, changes nothing, calls no one
and logs one line: never a 500, never a traceback."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest

from blocks.values import ClientRef, PageRef, encode
from tests.app_client import SIGNING_SECRET, SlackAppClient
from tests.factories import seed_client
from tests.fake_slack import FakeSlack, sign
from tests.slack_requests import TEAM_ID, block_actions_payload


def _form(fields: dict[str, Any]) -> bytes:
    return urlencode(fields).encode()


def _payload(payload: dict[str, Any]) -> bytes:
    return _form({"payload": json.dumps(payload)})


def _click(**changes: Any) -> dict[str, Any]:
    payload = block_actions_payload("renewals_next", encode(PageRef(team_id=TEAM_ID)), response_url=None)
    return {**payload, **changes}


def _command(**changes: Any) -> dict[str, str]:
    fields = {
        "command": "/renewals",
        "text": "",
        "team_id": TEAM_ID,
        "user_id": "U0ALICE",
        "channel_id": "C0CHANNEL",
        "trigger_id": "trigger-1",
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


MALFORMED: dict[str, bytes] = {
    "payload-empty": b"payload=",
    "payload-half-json": b"payload=%7B",
    "payload-null": b"payload=null",
    "payload-list": b"payload=%5B%5D",
    "payload-number": b"payload=123",
    "payload-string": b"payload=%22hello%22",
    "payload-invalid-utf8": b"payload=%FF%FE",
    "body-invalid-utf8": b"\xff\xfe=1",
    "body-neither-command-nor-payload": b"hello=world",
    "payload-without-type": _payload({"user": {"id": "U0ALICE"}}),
    "actions-empty": _payload(_click(actions=[])),
    "actions-null": _payload(_click(actions=None)),
    "action-without-action-id": _payload(_click(actions=[{"type": "button", "value": "x"}])),
    "state-values-a-string": _payload(_click(state={"values": "x"})),
    "view-a-string": _payload(_click(view="x")),
    "user-a-string": _payload(_click(user="U0ALICE")),
    "no-team-anywhere": _payload(_click(team=None, user={"id": "U0ALICE"})),
    "view-submission-view-a-string": _payload(
        {"type": "view_submission", "user": {"id": "U0ALICE", "team_id": TEAM_ID}, "view": "x"}
    ),
    "view-submission-without-view": _payload(
        {"type": "view_submission", "user": {"id": "U0ALICE", "team_id": TEAM_ID}}
    ),
    "suggestion-without-action-id": _payload(
        {"type": "block_suggestion", "user": {"id": "U0ALICE", "team_id": TEAM_ID}, "value": "a"}
    ),
    "interactive-message": _payload(
        {
            "type": "interactive_message",
            "callback_id": "x",
            "team": {"id": TEAM_ID},
            "user": {"id": "U0ALICE"},
            "actions": [{"name": "a"}],
        }
    ),
    "workflow-step-edit": _payload(
        {"type": "workflow_step_edit", "callback_id": "x", "team": {"id": TEAM_ID}, "user": {"id": "U0ALICE"}}
    ),
    "command-without-user-id": _form(_command(user_id=None)),
    "command-without-team-id": _form(_command(team_id=None)),
    "renewal-without-user-id": _form(_command(command="/renewal", text="acme", user_id=None)),
    "renewal-owner-without-team-id": _form(_command(command="/renewal-owner", team_id=None)),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_signed_request_of_a_shape_slack_never_sends_is_refused_quietly(
    slack_app: SlackAppClient, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    body = MALFORMED[case]
    fake_slack.clear()  # the app's own start-up auth.test
    caplog.set_level(logging.INFO)

    reply = slack_app.post(
        body, {"Content-Type": "application/x-www-form-urlencoded", **sign(SIGNING_SECRET, body)}
    )
    slack_app.settle(quiet=0.3)

    assert reply.status in (200, 400)
    assert fake_slack.calls == []
    assert [r for r in caplog.records if r.exc_info] == []


def test_a_json_delivery_that_is_not_an_object_is_refused(slack_app: SlackAppClient) -> None:
    body = b"[1, 2]"

    reply = slack_app.post(body, {"Content-Type": "application/json", **sign(SIGNING_SECRET, body)})

    assert reply.status == 400


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info]


def test_a_client_button_with_an_id_beyond_any_row_says_the_client_is_gone(
    slack_app: SlackAppClient, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    seed_client(slack_app.engine, "Acme Corp", changes=[{"days": 60}])
    huge = json.dumps({"v": 1, "client_id": 10**30, "team_id": TEAM_ID})

    for action_id in ("client_reassign_contact", "client_change_owner", "client_end_association"):
        payload = block_actions_payload(action_id, huge, fake=fake_slack)
        assert slack_app.action(payload).status == 200
    slack_app.wait_for("response_url", count=3)
    slack_app.settle()

    assert _tracebacks(caplog) == []
    assert fake_slack.calls_to("views.open") == []


@pytest.mark.parametrize(
    "value",
    [encode(ClientRef(client_id=1, team_id=TEAM_ID)), "42", '{"v": 1, "client_id": 1}', "not json"],
    ids=["client-ref", "bare-number", "client-ref-without-team", "not-json"],
)
def test_the_columns_button_carrying_another_buttons_value_fails_no_request(
    slack_app: SlackAppClient, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    reply = slack_app.action(block_actions_payload("renewals_columns", value, fake=fake_slack))

    assert reply.status == 200
    slack_app.settle()
    assert _tracebacks(caplog) == []


def test_a_button_no_listener_takes_is_acked_with_nothing_done(
    slack_app: SlackAppClient, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.clear()
    caplog.set_level(logging.INFO)

    reply = slack_app.action(block_actions_payload("a_button_from_an_older_version", "x", response_url=None))
    slack_app.settle(quiet=0.3)

    assert reply.status == 200
    assert fake_slack.calls == []
    assert _tracebacks(caplog) == []
    assert any("no listener" in r.getMessage() for r in caplog.records)


def test_a_slash_command_no_listener_takes_is_acked_with_nothing_done(
    slack_app: SlackAppClient, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.clear()

    reply = slack_app.command("/someone-elses-command", "hello")
    slack_app.settle(quiet=0.3)

    assert reply.status == 200
    assert fake_slack.calls == []
    assert _tracebacks(caplog) == []


def test_an_event_no_listener_takes_is_acked(
    slack_app: SlackAppClient, caplog: pytest.LogCaptureFixture
) -> None:
    reply = slack_app.event({"type": "app_mention", "user": "U0ALICE", "text": "hi", "channel": "C0CHANNEL"})

    assert reply.status == 200
    assert _tracebacks(caplog) == []
