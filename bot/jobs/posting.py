"""Posting a job's message exactly once, even when Slack's answer is lost.

When chat.postMessage times out, answers 5xx or the connection closes after the request went
out, Slack may well have posted the message. So every message a job posts carries message
metadata naming it (`PartKey`: the app's event type, the run it belongs to, its part), and
before posting again, `post_once` looks in the channel's history since the run began
(conversations.history, or conversations.replies for a thread part, with
`include_all_metadata`) and adopts the message it finds instead of posting a second one.
A run that takes over from a crashed one, or resumes a failed one, looks first
(`look_first`): the earlier try may have posted a part it never lived to record.

Digests (bot/jobs/digest_runner.py), owners' reminder DMs (bot/jobs/reminders.py) and "What
changed" alerts (bot/jobs/import_alerts.py) all post through it.
Needs the channels:history, groups:history and im:history scopes (manifest.yml).
"""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.web_client import SERVER_ERROR_RETRIES, without_blind_retries

logger = logging.getLogger(__name__)

# The app's message metadata event types, one per kind of job message.
DIGEST_EVENT = "renewals_digest"
REMINDER_EVENT = "renewals_reminder"  # an owner's reminder DM; run: its reminder_run id
ALERT_EVENT = "renewals_what_changed"  # an import's "What changed"; run: its import_alert id

# Slack's clock and ours may disagree a little: look back this much further than the run began.
CLOCK_SKEW = timedelta(minutes=5)
# conversations.history / .replies page size, and how many pages are read at most (a busy
# channel since the run began; the run's own message is among the first pages).
HISTORY_PAGE = 200
HISTORY_PAGES = 5
# Slack's own errors that say part of the call may have been carried out (Slack's docs for
# chat.postMessage: "It's possible some aspect of the operation succeeded before the error").
MAYBE_DONE_ERRORS = frozenset({"fatal_error", "internal_error", "service_unavailable"})
# Tries of one post whose answer was lost (the first and the retries), and the wait between.
POST_TRIES = 1 + SERVER_ERROR_RETRIES
RETRY_WAIT_SECONDS = 0.5


@dataclass(frozen=True)
class PartKey:
    """Which message this is: `part` (from 1) of run `run` of the app's `event_type`."""

    event_type: str
    run: int | str
    part: int = 1

    def metadata(self, **extra: str | int | bool) -> dict[str, Any]:
        """Slack message metadata naming this message (`extra`: more for whoever reads it)."""
        return {"event_type": self.event_type, "event_payload": {"run": self.run, "part": self.part, **extra}}

    def names(self, message: dict[str, Any]) -> bool:
        """True when `message` (from conversations.history) is this one."""
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        return (
            metadata.get("event_type") == self.event_type
            and payload.get("run") == self.run
            and payload.get("part") == self.part
        )


@dataclass(frozen=True)
class Posted:
    ts: str
    adopted: bool  # found already in the channel (an earlier try posted it): not posted again


def ambiguous(exc: Exception) -> bool:
    """A failure after which Slack may or may not have posted: 5xx, timeout, lost connection,
    or an error Slack says may come after part of the work was done."""
    if isinstance(exc, SlackApiError):
        return exc.response.status_code >= 500 or exc.response.get("error") in MAYBE_DONE_ERRORS
    return isinstance(exc, OSError | http.client.HTTPException)


def _messages(
    client: WebClient, channel: str, *, oldest: str, thread_ts: str | None
) -> Iterator[dict[str, Any]]:
    cursor = None
    for _ in range(HISTORY_PAGES):
        arguments: dict[str, Any] = {
            "channel": channel,
            "oldest": oldest,
            "include_all_metadata": True,
            "limit": HISTORY_PAGE,
        }
        if cursor:
            arguments["cursor"] = cursor
        if thread_ts is None:
            page = client.conversations_history(**arguments)
        else:
            page = client.conversations_replies(ts=thread_ts, **arguments)
        yield from page.get("messages") or []
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not page.get("has_more") or not cursor:
            return


def find_posted(
    client: WebClient, channel: str, key: PartKey, *, since: datetime, thread_ts: str | None = None
) -> str | None:
    """The ts of the message `key` names in `channel` (or in `thread_ts`'s thread) posted
    since `since`, or None. Slack errors propagate."""
    oldest = f"{(since - CLOCK_SKEW).timestamp():.6f}"
    for message in _messages(client, channel, oldest=oldest, thread_ts=thread_ts):
        if key.names(message):
            return str(message["ts"])
    return None


def _look(
    client: WebClient, channel: str, key: PartKey, *, since: datetime, thread_ts: str | None
) -> str | None:
    """find_posted, except that an app installed before it had the history scopes cannot look:
    it then posts as it did before (warned), rather than never posting at all."""
    try:
        return find_posted(client, channel, key, since=since, thread_ts=thread_ts)
    except SlackApiError as exc:
        if exc.response.get("error") != "missing_scope":
            raise
        logger.warning(
            "cannot look in %s for %s %s part %s: no %s (reinstall it to grant the history scopes)",
            channel,
            key.event_type,
            key.run,
            key.part,
            exc.response.get("needed") or "a history scope",
        )
        return None


def post_once(
    client: WebClient,
    channel: str,
    key: PartKey,
    *,
    since: datetime,
    thread_ts: str | None = None,
    look_first: bool = False,
    **message: Any,
) -> Posted:
    """Post `message` to `channel` (in `thread_ts`'s thread) once, tagged with `key`.

    `since`: when the run this message belongs to began (its earlier tries included).
    `look_first`: an earlier try may have posted it; look before posting.
    After a lost answer (5xx, timeout, closed connection) it looks in the channel and adopts
    the message it finds; only when it is not there is it posted again (up to POST_TRIES in
    all). A clear refusal (an `ok: false` error, a 429 after its Retry-After waits) raises at
    once; so does a lost answer that the history cannot settle.
    """
    careful = without_blind_retries(client)  # no blind re-post on a 5xx or a lost connection
    if look_first:
        found = _look(careful, channel, key, since=since, thread_ts=thread_ts)
        if found is not None:
            logger.info("%s %s part %s: already in %s, adopted", key.event_type, key.run, key.part, channel)
            return Posted(found, adopted=True)
    for attempt in range(1, POST_TRIES + 1):
        try:
            response = careful.chat_postMessage(
                channel=channel, thread_ts=thread_ts, metadata=key.metadata(), **message
            )
            return Posted(str(response["ts"]), adopted=False)
        except Exception as exc:
            if not ambiguous(exc):
                raise
            logger.warning(
                "%s %s part %s: answer lost (%s), looking in %s",
                key.event_type,
                key.run,
                key.part,
                type(exc).__name__,
                channel,
            )
            try:
                found = _look(careful, channel, key, since=since, thread_ts=thread_ts)
            except Exception:
                raise exc from None  # cannot tell whether it went out: fail, the next try looks first
            if found is not None:
                logger.info("%s %s part %s: it was posted, adopted", key.event_type, key.run, key.part)
                return Posted(found, adopted=True)
            if attempt == POST_TRIES:
                raise
            time.sleep(RETRY_WAIT_SECONDS * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover
