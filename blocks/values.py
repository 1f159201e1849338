"""What a button carries in its `value` (and a modal in `private_metadata`).

Small versioned pydantic models, encoded and decoded only here. Slack keeps old
messages forever, so a payload from an older version must still decode (or fail
cleanly with `StaleValueError`), never crash a listener.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from blocks.limits import BUTTON_VALUE_CHARS

# Row IDs are 32-bit on PostgreSQL (SERIAL): a larger one names no row, and the driver would
# refuse it with an error rather than find nothing.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


class StaleValueError(Exception):
    """A button or modal value this version cannot read (too old, tampered or truncated)."""


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ClientRef(_Value):
    """Which client a button or modal acts on. The team is checked against the request's own."""

    v: Literal[1] = 1
    client_id: RowId
    team_id: str


class ChangeRef(_Value):
    """Which contract change a "Snooze 3 days" / "Handled" button (or its undo) acts on."""

    v: Literal[1] = 1
    change_id: RowId
    team_id: str


class PageRef(_Value):
    """A page of /renewals: the same search and filters, from `offset`."""

    v: Literal[1] = 1
    text: str = Field(default="", max_length=1500)  # the command text the person typed
    offset: int = Field(default=0, ge=0)
    team_id: str


class DigestListRef(_Value):
    """A digest's whole list ("View all", then Next / Previous): the workspace, the digest's local
    day and window, and the page's `offset`; never the list itself (the database reads it again,
    within the request's own workspace). No channel: every channel of a workspace with the same
    day and window shows the same list, so their digests are built once and shared."""

    v: Literal[1] = 1
    team_id: str
    day: date
    days: int = Field(ge=1, le=366)
    offset: int = Field(default=0, ge=0, le=MAX_ROW_ID)


class ImportChangesRef(_Value):
    """An import's whole list of changes that matter ("View all" under "What changed", then Next /
    Previous): the workspace, the import and the page's `offset`; never the list (read again,
    within the request's own workspace)."""

    v: Literal[1] = 1
    team_id: str
    import_id: RowId
    offset: int = Field(default=0, ge=0, le=MAX_ROW_ID)


class ClientModalRef(_Value):
    """A client modal's `private_metadata`: the client, and where to report back after submission.

    `response_url` is the one of the message whose button opened the modal; `refresh` says that
    message is the client's own detail (replace it with the new detail) rather than a table or a
    digest (leave it alone and confirm ephemerally).
    """

    v: Literal[1] = 1
    client_id: RowId
    team_id: str
    response_url: str | None = Field(default=None, max_length=2000)
    refresh: bool = False
    # "Add a reason": the ending the person was looking at, so a reason never lands on a later one.
    ended_at: datetime | None = None
    # Opened from the App Home tab (which has no response_url): publish it again after the change.
    # None rather than False, so metadata from anywhere else is not even a few characters longer.
    home: bool | None = None


class ImportUploadRef(_Value):
    """The upload modal's `private_metadata`: which team it was opened for."""

    v: Literal[1] = 1
    team_id: str


class ImportPreviewRef(_Value):
    """The import preview's `private_metadata`: what the person saw, to check again on "Import".

    The file (Slack's ID, and the SHA-256 of the bytes previewed) and the workspace's data
    version then: when either differs at "Import", the preview no longer says what would happen.
    """

    v: Literal[1] = 1
    team_id: str
    file_id: str = Field(min_length=1, max_length=64)
    name: str = Field(max_length=255)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    data_version: int = Field(ge=0)
    invalid: int = Field(default=0, ge=0)  # invalid rows: "Import" needs "Skip invalid rows" then


V = TypeVar("V", bound=_Value)


def encode(value: _Value, *, limit: int = BUTTON_VALUE_CHARS) -> str:
    text = value.model_dump_json(exclude_none=True)
    if len(text) > limit:
        raise ValueError(f"encoded value is {len(text)} chars (limit {limit})")
    return text


def decode(kind: type[V], raw: str | None) -> V:
    if not raw:
        raise StaleValueError("empty value")
    try:
        return kind.model_validate_json(raw)
    except ValidationError as exc:
        raise StaleValueError(str(exc.errors()[0]["msg"])) from None
