"""Safe text for Block Kit: mrkdwn escaping, truncation to Slack's limits, and Slack's dates."""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo

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


def slack_date(moment: datetime, *, fallback: str | None = None, day_only: bool = False) -> str:
    """`<!date^…>`: each reader sees `moment` in their own time zone and language.

    'Mar 10, 2025 at 9:00 AM' (or just the day with `day_only`); `fallback` (escaped here;
    by default the UTC date and time) is what shows where Slack cannot render a date.
    """
    token = "{date_short_pretty}" if day_only else "{date_short_pretty} at {time}"
    if fallback is None:
        fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{token}|{escape(fallback)}>"


def slack_day(day: date, zone: tzinfo) -> str:
    """A calendar day as `slack_date`: noon in `zone` keeps the same date for nearly every reader."""
    return slack_date(
        datetime.combine(day, time(12, 0), tzinfo=zone), fallback=day.isoformat(), day_only=True
    )


_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")


def who(actor: str | None) -> str:
    """A Slack user as a mention; anything else (`cli:import`) as escaped text."""
    if not actor:
        return "someone"
    if _USER_ID.match(actor):
        return f"<@{actor}>"
    return escape(actor)
