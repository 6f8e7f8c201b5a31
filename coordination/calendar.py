"""The Vietnamese working calendar: weekends and public holidays (solar and lunar).

Holidays come from the maintained ``holidays`` library (``holidays.Vietnam``), which
knows Tết, Hùng Kings, 30/4, 1/5, 2/9 and the government's swapped days off. Weekend
days made working days by such a swap are listed in ``settings.EXTRA_WORKING_DAYS``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import holidays
from django.conf import settings


@lru_cache(maxsize=32)
def _holidays_for(year: int) -> holidays.HolidayBase:
    return holidays.Vietnam(years=[year], language="vi")  # names as the portal shows them


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


@dataclass(frozen=True)
class DayOff:
    """A day skipped when counting working days: a weekend day or a public holiday."""

    day: dt.date
    holiday: str | None  # the holiday's name; None for an ordinary Saturday or Sunday


@dataclass(frozen=True)
class WorkingDayCount:
    """``days`` working days counted from ``start`` (not counted itself): the date it
    ends on and the days off skipped on the way."""

    start: dt.date
    days: int
    due: dt.date
    skipped: list[DayOff] = field(default_factory=list)

    @property
    def holidays(self) -> list[DayOff]:
        return [off for off in self.skipped if off.holiday]

    @property
    def weekend_days(self) -> int:
        return sum(1 for off in self.skipped if not off.holiday)


def day_off(day: dt.date) -> DayOff | None:
    """Why ``day`` is not a working day, or None when it is one."""
    if is_working_day(day):
        return None
    return DayOff(day=day, holiday=holiday_name(day))


def count_working_days(start: dt.date, days: int) -> WorkingDayCount:
    """The date ``days`` working days after ``start``, with the days off in between."""
    if days < 0:
        raise ValueError("days must be non-negative")
    current, remaining, skipped = start, days, []
    while remaining > 0:
        current += dt.timedelta(days=1)
        off = day_off(current)
        if off is None:
            remaining -= 1
        else:
            skipped.append(off)
    return WorkingDayCount(start=start, days=days, due=current, skipped=skipped)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (start itself not counted)."""
    return count_working_days(start, days).due


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    count, current = 0, start
    while current < end:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
