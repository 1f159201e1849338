"""What a request to /slack/events is, as two metric labels: its kind and its name.

Only values the app defines (a command it serves and the subcommand word, an ID from
blocks/ids.py) or Slack defines (an event type) become a name; anything else is `other`,
so what a person types never becomes a label.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs

from blocks.ids import ActionId, ViewId

COMMANDS = frozenset({"/renewals", "/renewal", "/renewal-owner"})
# The first word of a command's text that picks a subcommand; any other text is a query.
SUBCOMMANDS = frozenset({"help", "columns", "digest", "default", "remind", "reminders", "alerts"})
ACTION_IDS = frozenset(ActionId)
VIEW_IDS = frozenset(ViewId)
# Slack's event types are its own fixed catalogue (app_home_opened, tokens_revoked, …).
_EVENT_TYPE = re.compile(r"^[a-z][a-z_]{0,39}$")
OTHER = "other"

_INTERACTION_KINDS = {
    "block_actions": "block_action",
    "block_suggestion": "options",
    "view_submission": "view_submission",
    "view_closed": "view_closed",
}


def _known(value: object, known: frozenset[str]) -> str:
    return value if isinstance(value, str) and value in known else OTHER


def _command_name(form: dict[str, str]) -> str:
    command = form.get("command", "")
    if command not in COMMANDS:
        return OTHER
    words = form.get("text", "").split()
    if not words:
        return command
    first = words[0].lower()
    return f"{command} {first if first in SUBCOMMANDS else 'query'}"


def _interaction(payload: dict[str, Any]) -> tuple[str, str]:
    kind = payload.get("type")
    label = _INTERACTION_KINDS.get(kind) if isinstance(kind, str) else None
    if label is None:
        return "interaction", OTHER
    if kind == "block_actions":
        actions = payload.get("actions") or [{}]
        first = actions[0] if isinstance(actions[0], dict) else {}
        return label, _known(first.get("action_id"), ACTION_IDS)
    if kind == "block_suggestion":
        return label, _known(payload.get("action_id"), ACTION_IDS)
    view = payload.get("view")
    return label, _known(view.get("callback_id") if isinstance(view, dict) else None, VIEW_IDS)


def _load(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def request_kind(body: bytes, content_type: str) -> tuple[str, str]:
    """(kind, name) of a signed request the shape check passed (`check_request`), for the metrics."""
    text = body.decode("utf-8", errors="replace")
    if "application/json" in content_type:
        envelope = _load(text)
        if envelope.get("type") != "event_callback":
            return "url_verification", ""  # the only other JSON delivery the shape check passes
        event = envelope.get("event")
        event_type = event.get("type") if isinstance(event, dict) else None
        name = event_type if isinstance(event_type, str) and _EVENT_TYPE.match(event_type) else OTHER
        return "event", name
    form = {key: values[-1] for key, values in parse_qs(text).items()}
    if "payload" in form:
        return _interaction(_load(form["payload"]))
    if "command" in form:
        return "command", _command_name(form)
    if form.get("ssl_check"):
        return "ssl_check", ""
    return OTHER, ""
