"""The requests Slack sends the app, as payloads: clicks, modal submissions, type-ahead.

Send them with the `slack_app` client (tests/app_client.py): `slack_app.action(block_actions_payload(...))`,
`slack_app.view_submission(view_submission_payload(view, state))`, `slack_app.suggestion(...)`.
`find_element` and `button_value` read a button out of what the app sent, to click it next.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.fake_slack import Call, FakeSlack

TEAM_ID = "T0TEAM1"
USER_ID = "U0ALICE"
CHANNEL_ID = "C0CHANNEL"
_trigger_ids = itertools.count(1)
_response_keys = itertools.count(1)


def new_trigger_id() -> str:
    """A trigger_id not used before in this test session (Slack gives each interaction its own)."""
    return f"trigger-{next(_trigger_ids)}"


def new_response_url(fake: FakeSlack, prefix: str) -> str:
    """A response_url on `fake` not used before in this test session, named `prefix` + a number."""
    return fake.response_url(f"{prefix}{next(_response_keys)}")


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
        "trigger_id": trigger_id or new_trigger_id(),
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
            response_url = new_response_url(fake, "act")
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
        "trigger_id": new_trigger_id(),
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


def file_input(*files: dict[str, Any]) -> dict[str, Any]:
    """The state of a file input holding `files` (file objects, as `FakeSlack.add_file` returns them)."""
    return {"type": "file_input", "files": list(files)}


def view_closed_payload(
    view: dict[str, Any], *, user_id: str = USER_ID, team_id: str = TEAM_ID
) -> dict[str, Any]:
    """A `view_closed`: the person pressed Cancel or closed the modal (sent with notify_on_close)."""
    payload = view_submission_payload(view, {}, user_id=user_id, team_id=team_id)
    payload["type"] = "view_closed"
    payload["is_cleared"] = False
    del payload["trigger_id"], payload["response_urls"]
    return payload
