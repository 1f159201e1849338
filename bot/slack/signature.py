"""Slack's request signature, checked so that it can only answer "valid" or "invalid".

slack_sdk's `SignatureVerifier` raises on headers Slack never sends (a timestamp of `abc` or
`1700000000.5`, a non-ASCII signature), and an exception there reached the app's error handler
with a payload nobody had verified. This check runs first, on the raw request, and anything it
cannot read is simply not signed by Slack.
https://docs.slack.dev/authentication/verifying-requests-from-slack/
"""

from __future__ import annotations

import hashlib
import hmac
import time

# Slack refuses replays older than five minutes; so do we.
MAX_AGE_SECONDS = 60 * 5
# A Unix time in seconds has 10 digits until the year 2286; anything longer is not Slack's.
MAX_TIMESTAMP_DIGITS = 12
VERSION = "v0"
# "v0=" and a hex SHA-256.
SIGNATURE_LENGTH = len(VERSION) + 1 + 64


def is_signed_by_slack(
    secret: str, body: bytes, timestamp: str | None, signature: str | None, *, now: float | None = None
) -> bool:
    """True only for a fresh request whose `v0` HMAC-SHA256 over `v0:{timestamp}:{body}` matches."""
    if not timestamp or not signature:
        return False
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > MAX_TIMESTAMP_DIGITS:
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    if not signature.isascii() or len(signature) != SIGNATURE_LENGTH:
        return False
    base = f"{VERSION}:{timestamp}:".encode() + body
    expected = f"{VERSION}=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode())
