"""Safe text for Block Kit: mrkdwn escaping and truncation to Slack's limits."""

from __future__ import annotations

ELLIPSIS = "…"


def escape(text: str) -> str:
    """Escape Slack's three control characters so user data never becomes a mention or link.

    A client named `<!channel>` renders literally and pings nobody.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + ELLIPSIS


def mrkdwn(text: str, limit: int) -> str:
    """Escaped user text, cut so the *escaped* form fits `limit` without splitting an entity."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: max(0, limit - 1)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ELLIPSIS
