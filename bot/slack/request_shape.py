"""What a signed Slack request must look like before Bolt and the listeners see it.

Slack's own requests always have these shapes; a request that does not (an empty or broken
`payload`, `actions: []`, a `view` that is a string, a command without `user_id`, …) is
answered here with 400 and one log line, instead of failing deep inside Bolt or a listener
with a traceback and a 500. Interaction types the app has no listener for get a plain 200:
well-formed, just nothing to do.

Only the fields Bolt and the listeners index directly are required; everything else is free.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

# The interaction and event types this app has listeners for.
HANDLED_INTERACTIONS = frozenset({"block_actions", "block_suggestion", "view_submission", "view_closed"})
HANDLED_ENVELOPES = frozenset({"event_callback", "url_verification"})


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class _User(_Loose):
    id: str = Field(min_length=1)
    team_id: str | None = None


class _Team(_Loose):
    id: str | None = None


class _State(_Loose):
    values: dict[str, dict[str, dict[str, Any]]]


class _View(_Loose):
    id: str | None = None
    team_id: str | None = None
    callback_id: str | None = None
    private_metadata: str | None = None
    state: _State | None = None


class _Action(_Loose):
    action_id: str = Field(min_length=1)
    block_id: str | None = None
    value: str | None = None


class _Interaction(_Loose):
    user: _User
    team: _Team | None = None
    view: _View | None = None
    response_url: str | None = None
    trigger_id: str | None = None

    def team_id(self) -> str | None:
        return (
            (self.team.id if self.team else None)
            or self.user.team_id
            or (self.view.team_id if self.view else None)
        )


class _BlockActions(_Interaction):
    type: Literal["block_actions"]
    trigger_id: str = Field(min_length=1)  # modals open with it
    actions: list[_Action] = Field(min_length=1)
    state: _State | None = None


class _BlockSuggestion(_Interaction):
    type: Literal["block_suggestion"]
    action_id: str = Field(min_length=1)
    value: str = ""


class _ViewSubmission(_Interaction):
    type: Literal["view_submission", "view_closed"]
    view: _View


_INTERACTION = TypeAdapter(
    Annotated[_BlockActions | _BlockSuggestion | _ViewSubmission, Field(discriminator="type")]
)


class _Command(_Loose):
    command: str = Field(min_length=2)
    team_id: str = Field(min_length=1)
    user_id: str = Field(min_length=1)
    trigger_id: str = Field(min_length=1)
    text: str = ""
    channel_id: str | None = None
    response_url: str | None = None


class _Event(_Loose):
    type: str


class _EventCallback(_Loose):
    type: Literal["event_callback"]
    team_id: str = Field(min_length=1)
    event: _Event


@dataclass(frozen=True)
class Verdict:
    """What to do with a request: pass it on (`status` None), or answer `status` and log `reason`."""

    status: int | None = None
    reason: str = ""


PASS = Verdict()


def _bad(reason: str) -> Verdict:
    return Verdict(400, reason)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "payload"
    return f"{where}: {error['msg']}"


def check_request(body: bytes, content_type: str) -> Verdict:
    """Judge a request Slack signed: pass it on, refuse it as malformed (400), or skip it (200)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _bad("body is not UTF-8")
    if "application/json" in content_type:
        return _check_json(text)
    try:
        form = {key: values[-1] for key, values in parse_qs(text, errors="strict").items()}
    except (UnicodeDecodeError, ValueError):
        return _bad("form body is not UTF-8")
    if "payload" in form:
        return _check_interaction(form["payload"])
    if "command" in form:
        try:
            _Command.model_validate(form)
        except ValidationError as exc:
            return _bad(f"slash command {_first_error(exc)}")
        return PASS
    if form.get("ssl_check"):
        return PASS
    return _bad("neither a slash command nor an interaction payload")


def _load_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _check_interaction(raw: str) -> Verdict:
    payload = _load_object(raw)
    if payload is None:
        return _bad("payload is not a JSON object")
    kind = payload.get("type")
    if not isinstance(kind, str):
        return _bad("payload has no type")
    if kind not in HANDLED_INTERACTIONS:
        return Verdict(200, f"{kind} payloads are not used by this app")
    try:
        interaction = _INTERACTION.validate_python(payload)
    except ValidationError as exc:
        return _bad(f"{kind} {_first_error(exc)}")
    if not interaction.team_id():
        return _bad(f"{kind} names no team")
    return PASS


def _check_json(text: str) -> Verdict:
    envelope = _load_object(text)
    if envelope is None:
        return _bad("body is not a JSON object")
    kind = envelope.get("type")
    if kind not in HANDLED_ENVELOPES:
        return Verdict(200, f"{kind!s:.40} deliveries are not used by this app")
    if kind == "url_verification":
        return (
            PASS if isinstance(envelope.get("challenge"), str) else _bad("url_verification has no challenge")
        )
    try:
        _EventCallback.model_validate(envelope)
    except ValidationError as exc:
        return _bad(f"event_callback {_first_error(exc)}")
    return PASS
