"""Data sources of computed criteria (``Criterion.method = "computed"``).

A source is a function ``fn(*, agency_id, date_from, date_to) -> (on_time, total) | None``
registered under the code that criteria name in ``computed_source``. It counts only the
items whose deadline falls between ``date_from`` and ``date_to`` (the period's cut-off,
``ScoringPeriod.cutoff``), so nothing that is not yet due is held against a body.

Dependencies point one way: scoring reads coordination, so the ``tasks_on_time`` source is
registered here. Apps that scoring must not import (reports) register their own source from
their side, e.g. in ``AppConfig.ready()``::

    from scoring.computed import register_source

    @register_source("reports_on_time")
    def reports_on_time(*, agency_id, date_from, date_to): ...

When no source is registered under a code, ``figures`` returns None and the criterion's
suggestion is shown as unavailable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import Count, F, Q

Figures = tuple[int, int]
Source = Callable[..., Figures | None]

_SOURCES: dict[str, Source] = {}


def register_source(code: str) -> Callable[[Source], Source]:
    """Register ``fn`` as the data source of computed criteria with ``computed_source=code``."""

    def decorator(fn: Source) -> Source:
        _SOURCES[code] = fn
        return fn

    return decorator


def figures(code: str, *, agency_id: int, date_from: dt.date, date_to: dt.date) -> Figures | None:
    """(on time, total) from the source registered under ``code``, or None when none is."""
    source = _SOURCES.get(code)
    if source is None:
        return None
    return source(agency_id=agency_id, date_from=date_from, date_to=date_to)


@register_source("tasks_on_time")
def tasks_on_time(*, agency_id: int, date_from: dt.date, date_to: dt.date) -> Figures:
    """The body's coordination work due in the range (as chair or contributor), by the one
    timeliness annotation: on time when done on time, or sent by its deadline and awaiting
    review; every other participation due in the range counts in the total (overdue,
    done late, still open). Cancelled and draft items are nobody's work and not counted."""
    from coordination import timeliness
    from coordination.models import Participation

    sent_in_time = Q(timeliness=timeliness.SUBMITTED, submitted_date__lte=F("eff_due"))
    result = (
        timeliness.with_timeliness(
            Participation.objects.filter(
                agency_id=agency_id,
                role__in=[Participation.Role.CHAIR, Participation.Role.CONTRIBUTE],
            )
        )
        .filter(eff_due__gte=date_from, eff_due__lte=date_to)
        .exclude(timeliness__in=[timeliness.CANCELLED, timeliness.DRAFT])
        .aggregate(
            total=Count("pk"),
            on_time=Count("pk", filter=Q(timeliness=timeliness.DONE_ON_TIME) | sent_in_time),
        )
    )
    return result["on_time"], result["total"]
