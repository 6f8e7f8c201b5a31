"""The Vietnamese working calendar: weekends and public holidays (solar and lunar).

Holidays come from the maintained ``holidays`` library (``holidays.Vietnam``), which
knows Tết, Hùng Kings, 30/4, 1/5, 2/9 and the government's swapped days off. Weekend
days made working days by such a swap are listed in ``settings.EXTRA_WORKING_DAYS``.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
from django.conf import settings


@lru_cache(maxsize=32)
def _holidays_for(year: int) -> holidays.HolidayBase:
    return holidays.Vietnam(years=[year])


def _extra_working_days() -> frozenset[dt.date]:
    return frozenset(dt.date.fromisoformat(d) for d in settings.EXTRA_WORKING_DAYS)


def is_working_day(day: dt.date) -> bool:
    if day in _extra_working_days():
        return True
    if day.weekday() >= 5:
        return False
    return day not in _holidays_for(day.year)


def holiday_name(day: dt.date) -> str | None:
    return _holidays_for(day.year).get(day)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (start itself not counted)."""
    if days < 0:
        raise ValueError("days must be non-negative")
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    count, current = 0, start
    while current < end:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
