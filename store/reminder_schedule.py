"""When an owner's reminders go out: pure functions of dates, times and IANA zones.

A contract change is reminded of 7 days and 1 day before its renewal deadline (`DAYS_BEFORE`),
on a working day (Monday to Friday) between 09:00 and 17:00 in the owner's own time zone. A
reminder whose day falls on a Saturday or Sunday goes out the Friday before. One that was
missed (the app was down, the owner's hours had passed) goes out on the next working day
in hours, until the deadline.

Which reminders went out is the database's business (store/reminders.py); this module only
says which local day it is for a person and how far ahead that day reaches.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from store.schedule import WORKING_DAYS, local_date

DAYS_BEFORE = (7, 1)  # reminders before a renewal deadline, in days
WORKING_HOURS = (time(9, 0), time(17, 0))  # from 09:00, until (not at) 17:00
FRIDAY = 4


def reminder_day(now: datetime, tz: ZoneInfo) -> date | None:
    """The local date whose reminders may go out at `now` in `tz`: a working day, in working hours."""
    local = now.astimezone(tz)
    start, end = WORKING_HOURS
    if local.weekday() not in WORKING_DAYS or not start <= local.time() < end:
        return None
    return local_date(now, tz)


def reached_until(day: date) -> date:
    """The last date whose reminders are due by `day` (a working day): `day` itself, or on a
    Friday the weekend after it too (a reminder due on Saturday or Sunday goes out on Friday)."""
    return day + timedelta(days=2) if day.weekday() == FRIDAY else day


def reminder_date(deadline: date, days_before: int) -> date:
    """The day a reminder `days_before` the deadline goes out: that day, or the Friday before it."""
    day = deadline - timedelta(days=days_before)
    return day - timedelta(days=max(0, day.weekday() - FRIDAY))
