"""When a digest is due: local time to UTC across daylight-saving changes, digest days.

Pure functions of dates, times and IANA zones: no database, no Slack. The ticker asks
`due_day` every minute; the database (store.digest_claims) decides whether that day's
digest already went out.

Daylight-saving days, as a person would expect them:
- a local time that does not exist that day (the clocks jump from 02:00 to 03:00 and
  the digest is set for 02:30) happens an hour later in wall-clock terms (03:30), once;
- a local time that happens twice (the clocks go back over 01:30) is the first one.
Either way the digest is due once per local day, because it is keyed by local date.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_LOCAL_TIME = time(9, 0)
# Monday to Friday (date.weekday() numbers), the default digest days.
WORKING_DAYS = frozenset(range(5))
ALL_DAYS = frozenset(range(7))

_HH_MM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_local_time(text: str) -> time:
    """'9:00', '09:00' or '17:30' as a time; ValueError for anything else."""
    match = _HH_MM.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a time as HH:MM (00:00 to 23:59)")
    return time(int(match.group(1)), int(match.group(2)))


def format_local_time(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`; ValueError when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone") from None


def digest_days(*, weekends: bool) -> frozenset[int]:
    return ALL_DAYS if weekends else WORKING_DAYS


def is_digest_day(day: date, *, weekends: bool) -> bool:
    return day.weekday() in digest_days(weekends=weekends)


def local_date(now: datetime, tz: ZoneInfo) -> date:
    """The date it is in `tz` at the aware instant `now`."""
    _require_aware(now)
    return now.astimezone(tz).date()


def due_at(day: date, local_time: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of `local_time` on `day` in `tz` (see the module docstring for DST days).

    zoneinfo reads a wall-clock time with fold=0 as: the first of two occurrences, and,
    for a time inside a gap, the offset in force before the gap (so 02:30 becomes 03:30).
    """
    return datetime.combine(day, local_time, tzinfo=tz).astimezone(UTC)


def due_day(
    now: datetime,
    *,
    local_time: time,
    tz: ZoneInfo,
    weekends: bool,
    since: datetime | None = None,
) -> date | None:
    """The local date whose digest is due at `now`, or None.

    Due from its local time until the end of that local day (so a digest missed while
    the app was down goes out when it comes back, the same day, never the next day).
    A day whose time had passed before `since` (when the subscription was made) is not due:
    subscribing at 10:00 to a 09:00 digest starts tomorrow.
    """
    today = local_date(now, tz)
    if not is_digest_day(today, weekends=weekends):
        return None
    when = due_at(today, local_time, tz)
    if now < when:
        return None
    if since is not None and when < _minute_floor(since):
        return None
    return today


def next_due(
    now: datetime,
    *,
    local_time: time,
    tz: ZoneInfo,
    weekends: bool,
    since: datetime | None = None,
    done_today: bool = False,
) -> datetime:
    """The UTC instant the next digest is due, from `now` on.

    Today's counts while it is still due (even if its time has passed, see `due_day`)
    unless it is already done.
    """
    today = local_date(now, tz)
    for offset in range(8):
        day = today + timedelta(days=offset)
        if not is_digest_day(day, weekends=weekends):
            continue
        when = due_at(day, local_time, tz)
        if since is not None and when < _minute_floor(since):
            continue
        if offset == 0:
            if done_today:
                continue
            return max(when, now) if when <= now else when
        return when
    raise AssertionError("every week has a digest day")


def _minute_floor(value: datetime) -> datetime:
    _require_aware(value)
    return value.replace(second=0, microsecond=0)


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None:
        raise ValueError("naive datetime: use an aware one (UTC)")
