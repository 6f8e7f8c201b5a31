"""What the copy and the import share: deadlines a year on, bodies on a date, and the
item service's own checks run without writing."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

from coordination import calendar, services
from coordination.models import Task


def next_working_day(day: dt.date) -> dt.date:
    """``day`` itself when it is a working day, else the next one (coordination.calendar)."""
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def same_day_next_year(day: dt.date) -> dt.date:
    """The same date a year later; 29/02 becomes 28/02."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def a_year_later(day: dt.date) -> dt.date:
    """The same date a year later, moved to the next working day when it is not one."""
    return next_working_day(same_day_next_year(day))


def service_errors(*, due_date: dt.date, spec: services.ParticipantSpec, **fields) -> list[str]:
    """What ``services.task_create`` would refuse in this item, found without writing: the
    service's own checks (it runs them again when it creates the item)."""
    errors: list[str] = []
    task = Task(due_date=due_date, chair_agency=spec.chair, tracking_agency=spec.tracker, **fields)
    checks = (
        lambda: services.check_due_date(due_date),
        lambda: services.validate_participants(spec, due_date),
        lambda: task.full_clean(
            exclude=["chair_agency", "tracking_agency", "parent", "created_by"]
        ),
    )
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            errors.extend(exc.messages)
    return errors


def day_text(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")
