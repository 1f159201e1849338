"""Logging, set up in one place: text or one JSON object per line, secrets redacted.

The app never logs a token, secret or password on purpose (settings hold them as SecretStr); the
redactor is defence in depth against a library or an exception message that does: Slack tokens
(xoxb-, xoxp-, xapp-, …), the password of any URL, and the exact secret values of the settings.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

from bot.settings import Settings

REDACTED = "[redacted]"
# Slack's token kinds: bot, user, app-level, configuration, refresh, legacy workspace tokens.
_SLACK_TOKEN = re.compile(r"\b(?:xox[abeoprs]|xapp)-[A-Za-z0-9-]+")
# scheme://user:password@host: the password, up to the last @ before the host.
_URL_PASSWORD = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^/\s]*(@)")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with Slack tokens, URL passwords and each of `secrets` replaced by [redacted]."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    text = _SLACK_TOKEN.sub(REDACTED, text)
    return _URL_PASSWORD.sub(rf"\1{REDACTED}\2", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message and traceback with `redact` before any handler formats it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._plain = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format call: the handler reports it, this must not raise at the caller
            return True
        record.msg, record.args = redact(message, self._secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._plain.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings, *, verbose: bool = False) -> None:
    """Send every log record to stderr in LOG_FORMAT, redacted.

    Like `logging.basicConfig`, it leaves alone logging that something else set up first (a test
    runner, a program embedding the app); its own earlier set-up it replaces.
    """
    root = logging.getLogger()
    if any(not isinstance(handler, _AppHandler) for handler in root.handlers):
        return
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = _AppHandler()
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT))
    # On the handler, not a logger: a logger's filters skip records its children propagate.
    handler.addFilter(RedactingFilter(settings.secrets()))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # Alembic announces every check at INFO; an up-to-date database is not news.
    logging.getLogger("alembic").setLevel(logging.DEBUG if verbose else logging.WARNING)


class _AppHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The app's own handler: writes to stderr as it is when a record comes."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr


def logs_as_json() -> bool:
    """Whether `configure_logging` set up JSON lines (a command's last error line follows suit)."""
    return any(isinstance(handler.formatter, JsonFormatter) for handler in logging.getLogger().handlers)
