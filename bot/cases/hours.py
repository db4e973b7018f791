"""Operators' working hours with Azerbaijan's public holidays.

Fixed-date holidays are built in (month, day); the Ramazan and Qurban holidays move with the lunar
calendar, so their dates — and the extra days off the Cabinet of Ministers announces each year —
are set in configuration (``HELPDESK_HOLIDAYS``, a JSON list of dates).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

# New Year (1–2 Jan), Women's Day (8 Mar), Novruz (20–24 Mar), Victory over Fascism (9 May),
# Independence Day (28 May), National Salvation Day (15 Jun), Armed Forces Day (26 Jun),
# Victory Day (8 Nov), Flag Day (9 Nov), Solidarity of World Azerbaijanis (31 Dec).
FIXED_HOLIDAYS = frozenset(
    {
        (1, 1),
        (1, 2),
        (3, 8),
        (3, 20),
        (3, 21),
        (3, 22),
        (3, 23),
        (3, 24),
        (5, 9),
        (5, 28),
        (6, 15),
        (6, 26),
        (11, 8),
        (11, 9),
        (12, 31),
    }
)


class WorkingHours:
    def __init__(
        self, start: dt.time, end: dt.time, weekdays: set[int], holidays: set[dt.date], tz: str = "Asia/Baku"
    ) -> None:
        if end <= start:
            raise ValueError("working hours must end after they start")
        if not weekdays or not weekdays <= set(range(7)):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        self.start, self.end, self.weekdays = start, end, weekdays
        self.holidays = set(holidays)
        self.tz = ZoneInfo(tz)

    def is_holiday(self, day: dt.date) -> bool:
        return day in self.holidays or (day.month, day.day) in FIXED_HOLIDAYS

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() in self.weekdays and not self.is_holiday(day)

    def is_open(self, when: dt.datetime | None = None) -> bool:
        local = (when or dt.datetime.now(self.tz)).astimezone(self.tz)
        return self.is_working_day(local.date()) and self.start <= local.time() < self.end

    def next_open(self, when: dt.datetime | None = None) -> dt.datetime:
        """When operators are next at work (``when`` itself if they are now)."""
        local = (when or dt.datetime.now(self.tz)).astimezone(self.tz)
        if self.is_open(local):
            return local
        day = local.date()
        if self.is_working_day(day) and local.time() < self.start:
            return dt.datetime.combine(day, self.start, self.tz)
        for _ in range(60):
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                return dt.datetime.combine(day, self.start, self.tz)
        raise ValueError("no working day in the next 60 days: check the calendar")


def parse_weekdays(spec: str) -> set[int]:
    """'0-4' (Monday to Friday) or '0,1,2,3,4,5'."""
    days: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            a, b = part.split("-", 1)
            days |= set(range(int(a), int(b) + 1))
        elif part:
            days.add(int(part))
    return days
