"""Reports' data source for scoring's computed criteria (registered with
``scoring.computed``; scoring never imports reports). Imported by ``ReportsConfig.ready``."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from reports.models import AgencyReport
from scoring.computed import register_source


@register_source("reports_on_time")
def reports_on_time(*, agency_id: int, date_from: dt.date, date_to: dt.date) -> tuple[int, int]:
    """(reports sent on time, reports required) of the body in rounds whose deadline falls
    in [date_from, date_to]; the caller passes the period's cut-off as ``date_to``, so a
    round not yet due is not counted. On time: first sent by the round's deadline (the
    ``is_late`` that ``services.report_save`` decides at the first submission)."""
    row = AgencyReport.objects.filter(
        agency_id=agency_id, round__deadline__gte=date_from, round__deadline__lte=date_to
    ).aggregate(
        required=Count("pk"),
        on_time=Count("pk", filter=Q(first_submitted_at__isnull=False, is_late=False)),
    )
    return row["on_time"], row["required"]
