import datetime as dt

import pytest

from bot.cases.hours import WorkingHours, parse_weekdays

BAKU = dt.timezone(dt.timedelta(hours=4))


@pytest.fixture
def hours():
    return WorkingHours(dt.time(9), dt.time(18), {0, 1, 2, 3, 4}, {dt.date(2026, 3, 30)})


def test_open_on_a_working_day(hours):
    assert hours.is_open(dt.datetime(2026, 11, 25, 10, 0, tzinfo=BAKU))
    assert not hours.is_open(dt.datetime(2026, 11, 25, 18, 0, tzinfo=BAKU))
    assert not hours.is_open(dt.datetime(2026, 11, 28, 11, 0, tzinfo=BAKU))  # Saturday


def test_fixed_and_configured_holidays(hours):
    assert hours.is_holiday(dt.date(2027, 3, 21))  # Novruz, every year
    assert hours.is_holiday(dt.date(2026, 3, 30))  # configured (a movable holiday)
    assert not hours.is_holiday(dt.date(2026, 3, 31))


def test_next_open_skips_weekend_and_holidays(hours):
    friday_evening = dt.datetime(2026, 11, 6, 19, 0, tzinfo=BAKU)
    # Sat 7, Sun 8 (Victory Day), Mon 9 (Flag Day) → Tuesday 10 at 09:00
    assert hours.next_open(friday_evening) == dt.datetime(2026, 11, 10, 9, 0, tzinfo=hours.tz)
    early = dt.datetime(2026, 11, 25, 7, 30, tzinfo=BAKU)
    assert hours.next_open(early).hour == 9 and hours.next_open(early).day == 25


def test_other_time_zones_are_converted(hours):
    utc_morning = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)  # 10:00 in Baku
    assert hours.is_open(utc_morning)


def test_config_checked():
    assert parse_weekdays("0-4") == {0, 1, 2, 3, 4} and parse_weekdays("5,6") == {5, 6}
    with pytest.raises(ValueError):
        WorkingHours(dt.time(18), dt.time(9), {0}, set())
    with pytest.raises(ValueError):
        WorkingHours(dt.time(9), dt.time(18), {9}, set())
