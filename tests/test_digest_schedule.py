"""When a digest is due: local time to UTC across daylight-saving changes, digest days, catch-up."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from store.schedule import (
    due_at,
    due_day,
    format_local_time,
    is_digest_day,
    next_due,
    parse_local_time,
    zone,
)

LONDON = zone("Europe/London")
NEW_YORK = zone("America/New_York")
NINE = time(9, 0)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"), [("9:00", time(9)), ("09:05", time(9, 5)), ("23:59", time(23, 59))]
)
def test_local_time_is_read_as_hh_mm(text: str, expected: time) -> None:
    assert parse_local_time(text) == expected
    assert format_local_time(parse_local_time(text)) == f"{expected:%H:%M}"


@pytest.mark.parametrize("text", ["24:00", "9", "9:60", "nine", "", "09:00:00", "-1:00"])
def test_a_local_time_that_is_not_hh_mm_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_local_time(text)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="not a time zone"):
        zone("Mars/Olympus_Mons")


def test_digest_days_are_monday_to_friday_unless_weekends_are_on() -> None:
    week = [date(2025, 3, 3) + timedelta(days=n) for n in range(7)]  # Monday to Sunday
    assert [is_digest_day(d, weekends=False) for d in week] == [True] * 5 + [False] * 2
    assert all(is_digest_day(d, weekends=True) for d in week)


def test_nine_in_london_moves_an_hour_in_utc_across_the_spring_change() -> None:
    # Clocks go forward on Sunday 30 March 2025.
    assert due_at(date(2025, 3, 28), NINE, LONDON) == utc(2025, 3, 28, 9, 0)
    assert due_at(date(2025, 3, 30), NINE, LONDON) == utc(2025, 3, 30, 8, 0)
    assert due_at(date(2025, 3, 31), NINE, LONDON) == utc(2025, 3, 31, 8, 0)


def test_nine_in_london_moves_back_in_utc_across_the_autumn_change() -> None:
    # Clocks go back on Sunday 26 October 2025.
    assert due_at(date(2025, 10, 24), NINE, LONDON) == utc(2025, 10, 24, 8, 0)
    assert due_at(date(2025, 10, 26), NINE, LONDON) == utc(2025, 10, 26, 9, 0)
    assert due_at(date(2025, 10, 27), NINE, LONDON) == utc(2025, 10, 27, 9, 0)


def test_a_local_time_skipped_by_the_clocks_happens_an_hour_later_once() -> None:
    # New York skips 02:00-03:00 on 9 March 2025: 02:30 EST-reading is 07:30 UTC = 03:30 EDT.
    when = due_at(date(2025, 3, 9), time(2, 30), NEW_YORK)
    assert when == utc(2025, 3, 9, 7, 30)
    assert when.astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:30 EDT"


def test_a_local_time_that_happens_twice_is_the_first_one() -> None:
    # New York repeats 01:00-02:00 on 2 November 2025: 01:30 EDT (05:30 UTC) comes first.
    assert due_at(date(2025, 11, 2), time(1, 30), NEW_YORK) == utc(2025, 11, 2, 5, 30)


def test_a_digest_is_due_from_its_local_time_to_the_end_of_that_local_day() -> None:
    def due(now: datetime) -> date | None:
        return due_day(now, local_time=NINE, tz=NEW_YORK, weekends=False)

    # Monday 10 March 2025 in New York (EDT, UTC-4): 09:00 local = 13:00 UTC.
    assert due(utc(2025, 3, 10, 12, 59)) is None
    assert due(utc(2025, 3, 10, 13, 0)) == date(2025, 3, 10)
    assert due(utc(2025, 3, 10, 17, 0)) == date(2025, 3, 10)  # back after downtime: catch up
    assert due(utc(2025, 3, 11, 3, 59)) == date(2025, 3, 10)  # 23:59 local, still Monday there
    # Tuesday 00:00 local: Monday's is no longer due and Tuesday's is not due yet.
    assert due(utc(2025, 3, 11, 4, 0)) is None


def test_no_digest_is_due_on_a_weekend_day_unless_weekends_are_on() -> None:
    saturday_ten = utc(2025, 3, 15, 10, 0)  # London, GMT
    assert due_day(saturday_ten, local_time=NINE, tz=LONDON, weekends=False) is None
    assert due_day(saturday_ten, local_time=NINE, tz=LONDON, weekends=True) == date(2025, 3, 15)


def test_a_day_whose_time_passed_before_subscribing_is_not_due() -> None:
    since = utc(2025, 3, 10, 10, 0)  # subscribed at 10:00 to a 09:00 digest
    assert due_day(utc(2025, 3, 10, 10, 1), local_time=NINE, tz=LONDON, weekends=False, since=since) is None
    assert due_day(utc(2025, 3, 11, 9, 0), local_time=NINE, tz=LONDON, weekends=False, since=since) == date(
        2025, 3, 11
    )
    # Subscribing at 08:59:30 to a 09:00 digest: due the same morning.
    since = utc(2025, 3, 12, 8, 59, 30)
    assert due_day(utc(2025, 3, 12, 9, 0), local_time=NINE, tz=LONDON, weekends=False, since=since) == date(
        2025, 3, 12
    )


def test_the_next_digest_after_friday_is_monday() -> None:
    friday_after = utc(2025, 3, 14, 9, 30)
    assert next_due(friday_after, local_time=NINE, tz=LONDON, weekends=False, done_today=True) == utc(
        2025, 3, 17, 9, 0
    )
    assert next_due(friday_after, local_time=NINE, tz=LONDON, weekends=True, done_today=True) == utc(
        2025, 3, 15, 9, 0
    )
    # Not done yet today: it is due now (catch-up).
    assert next_due(friday_after, local_time=NINE, tz=LONDON, weekends=False) == friday_after
    assert next_due(utc(2025, 3, 14, 8, 0), local_time=NINE, tz=LONDON, weekends=False) == utc(
        2025, 3, 14, 9, 0
    )


@pytest.mark.parametrize(
    ("tz", "local", "change_day"),
    [
        ("Europe/London", time(9, 0), date(2025, 3, 30)),
        ("Europe/London", time(9, 0), date(2025, 10, 26)),
        ("Europe/London", time(1, 30), date(2025, 3, 30)),  # 01:30 does not exist that day
        ("Europe/London", time(1, 30), date(2025, 10, 26)),  # 01:30 happens twice that day
        ("America/New_York", time(2, 30), date(2025, 3, 9)),
        ("America/New_York", time(1, 30), date(2025, 11, 2)),
    ],
)
def test_ticking_every_minute_through_a_clock_change_makes_each_day_due_exactly_once(
    tz: str, local: time, change_day: date
) -> None:
    """A ticker that posts at the first tick a day becomes due: one digest per local day, no gaps."""
    zone_info = zone(tz)
    start = datetime.combine(change_day - timedelta(days=1), time(0, 0), tzinfo=zone_info).astimezone(UTC)
    done: dict[date, datetime] = {}
    now = start
    while now < start + timedelta(hours=72):
        day = due_day(now, local_time=local, tz=zone_info, weekends=True)
        if day is not None and day not in done:
            done[day] = now
        now += timedelta(minutes=1)
    assert sorted(done) == [change_day - timedelta(days=1), change_day, change_day + timedelta(days=1)]
    for day, when in done.items():
        wall = when.astimezone(zone_info)
        assert wall.date() == day
        # The wall-clock time is the chosen one, or an hour later when the clocks skipped it.
        assert (wall.hour, wall.minute) in {(local.hour, local.minute), (local.hour + 1, local.minute)}
        if day != change_day:
            assert (wall.hour, wall.minute) == (local.hour, local.minute)
