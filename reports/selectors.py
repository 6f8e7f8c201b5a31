"""Reads for reports: submission tables, indicator totals and the coordination status
numbers (read-only queries against ``coordination`` models, aggregated in the database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from coordination.models import Participation, Task
from reports.models import AgencyReport, ReportRound

B = BooleanField()
COUNTED = [AgencyReport.Status.SUBMITTED, AgencyReport.Status.ACCEPTED]


def counted_reports(rnd: ReportRound) -> QuerySet[AgencyReport]:
    """Reports that count for consolidation: submitted or accepted."""
    return (
        AgencyReport.objects.filter(round=rnd, status__in=COUNTED)
        .select_related("agency")
        .order_by("agency__sort_order", "agency__name")
    )


def indicator_totals(rnd: ReportRound) -> dict[str, int]:
    totals = dict.fromkeys(rnd.indicator_codes, 0)
    for values in counted_reports(rnd).values_list("indicators", flat=True):
        for code in totals:
            totals[code] += int(values.get(code) or 0)
    return totals


def rounds_with_counts(user) -> QuerySet[ReportRound]:
    """Rounds visible to the user with submission counts (constant queries)."""
    return ReportRound.objects.visible_to(user).annotate(
        n_required=Count("reports", distinct=True),
        n_submitted=Count("reports", filter=Q(reports__status__in=COUNTED), distinct=True),
        n_late=Count(
            "reports",
            filter=Q(reports__is_late=True, reports__first_submitted_at__isnull=False),
            distinct=True,
        ),
    )


def submission_state(report: AgencyReport) -> str:
    """on_time / late / missing (never submitted) / returned (sent back, awaiting a fix)."""
    if report.first_submitted_at is None:
        return "missing"
    if report.status == AgencyReport.Status.RETURNED:
        return "returned"
    return "late" if report.is_late else "on_time"


SUBMISSION_LABELS = {
    "on_time": _("Đúng hạn"),
    "late": _("Trễ hạn"),
    "missing": _("Chưa gửi"),
    "returned": _("Bị trả lại"),
}


def submission_table(rnd: ReportRound) -> list[dict]:
    reports = (
        AgencyReport.objects.filter(round=rnd)
        .select_related("agency")
        .order_by("agency__sort_order", "agency__name")
    )
    return [{"report": r, "agency": r.agency, "state": submission_state(r)} for r in reports]


def agency_report_timeliness(
    agency: Agency, date_from: dt.date, date_to: dt.date
) -> tuple[int, int]:
    """(reports submitted on time, reports required) for rounds due in [date_from, date_to].

    Used by scoring for the computed criterion "reports sent on time".
    """
    row = AgencyReport.objects.filter(
        agency=agency, round__deadline__gte=date_from, round__deadline__lte=date_to
    ).aggregate(
        required=Count("pk"),
        on_time=Count("pk", filter=Q(first_submitted_at__isnull=False, is_late=False)),
    )
    return row["on_time"], row["required"]


# --- Coordination status ----------------------------------------------------------------


_DONE = Q(role=Participation.Role.CHAIR, task__status=Task.Status.DONE) | Q(
    role=Participation.Role.CONTRIBUTE,
    status__in=[
        Participation.Status.SUBMITTED,
        Participation.Status.ACCEPTED,
        Participation.Status.EXEMPT,
    ],
)


def _participations(today: dt.date) -> QuerySet[Participation]:
    """Chair and contributor participations annotated with their due date and whether
    they are done, done late, or overdue on ``today``."""
    P, S = Participation, Task.Status
    chair_done = Q(role=P.Role.CHAIR, task__status=S.DONE)
    contrib_done = Q(
        role=P.Role.CONTRIBUTE,
        status__in=[P.Status.SUBMITTED, P.Status.ACCEPTED, P.Status.EXEMPT],
    )
    done = chair_done | contrib_done
    return (
        Participation.objects.filter(role__in=[P.Role.CHAIR, P.Role.CONTRIBUTE])
        .exclude(task__status__in=[S.DRAFT, S.CANCELLED])
        .annotate(
            eff_due=Coalesce("due_date", "task__due_date", output_field=DateField()),
            submitted_date=TruncDate("submitted_at", tzinfo=timezone.get_current_timezone()),
        )
        .annotate(
            is_done=Case(When(done, then=Value(True)), default=Value(False), output_field=B),
            is_late=Case(
                When(chair_done, then="task__completed_late"),
                When(Q(role=P.Role.CONTRIBUTE, status=P.Status.EXEMPT), then=Value(False)),
                When(contrib_done & Q(accepted_late=True), then=Value(True)),
                When(contrib_done & Q(submitted_date__gt=F("eff_due")), then=Value(True)),
                default=Value(False),
                output_field=B,
            ),
            is_overdue=Case(
                When(done, then=Value(False)),
                When(eff_due__lt=today, then=Value(True)),
                default=Value(False),
                output_field=B,
            ),
        )
    )


@dataclass
class AgencyStatus:
    agency: Agency
    chaired: int = 0
    contributed: int = 0
    done_on_time: int = 0
    done_late: int = 0
    overdue: int = 0
    overdue_items: list = field(default_factory=list)


def coordination_status(
    date_from: dt.date, date_to: dt.date, today: dt.date | None = None
) -> list[AgencyStatus]:
    """Per body, for items whose deadline falls in the period: items chaired and
    contributed, done on time, done late, overdue, and the overdue items (2 queries)."""
    today = today or timezone.localdate()
    parts = _participations(today).filter(eff_due__gte=date_from, eff_due__lte=date_to)
    P = Participation.Role
    rows = parts.values("agency_id").annotate(
        chaired=Count("pk", filter=Q(role=P.CHAIR)),
        contributed=Count("pk", filter=Q(role=P.CONTRIBUTE)),
        done_on_time=Count("pk", filter=Q(is_done=True, is_late=False)),
        done_late=Count("pk", filter=Q(is_done=True, is_late=True)),
        overdue=Count("pk", filter=Q(is_overdue=True)),
    )
    counts = {r.pop("agency_id"): r for r in rows}
    overdue = (
        parts.filter(is_overdue=True)
        .select_related("task", "agency")
        .order_by("agency__sort_order", "eff_due", "task_id")
    )
    agencies = {a.pk: a for a in Agency.objects.filter(pk__in=counts)}
    result = {pk: AgencyStatus(agency=agencies[pk], **c) for pk, c in counts.items()}
    for part in overdue:
        result[part.agency_id].overdue_items.append(part)
    return sorted(result.values(), key=lambda s: (s.agency.sort_order, s.agency.name))


def agency_overdue_items(agency: Agency, today: dt.date | None = None) -> list[Participation]:
    """Every open item where the body is late today (the reminder letter's list)."""
    today = today or timezone.localdate()
    return list(
        _participations(today)
        .filter(agency=agency, is_overdue=True)
        .select_related("task__chair_agency")
        .order_by("eff_due", "task_id")
    )


def overdue_by_agency(today: dt.date | None = None) -> list[dict]:
    """Bodies with overdue items today and how many (for the reminder letters list)."""
    today = today or timezone.localdate()
    return list(
        _participations(today)
        # The plain conditions behind is_overdue (not done, past due) let the database skip
        # finished rows before evaluating the annotations: same rows, a third less time.
        .filter(~_DONE, eff_due__lt=today)
        .filter(is_overdue=True)
        .values("agency__code", "agency__name", "agency__sort_order")
        .annotate(n=Count("pk"))
        .order_by("agency__sort_order", "agency__name")
    )


def latest_round_missing(user, today: dt.date | None = None) -> dict | None:
    """The latest round already due (or due within a month) and the bodies that have not
    sent their report yet: the leadership's "who has not reported" (two queries)."""
    today = today or timezone.localdate()
    rnd = (
        ReportRound.objects.visible_to(user)
        .filter(deadline__lte=today + dt.timedelta(days=30))
        .order_by("-deadline", "-pk")
        .first()
    )
    if rnd is None:
        return None
    missing = [
        r.agency
        for r in AgencyReport.objects.filter(round=rnd, first_submitted_at__isnull=True)
        .select_related("agency")
        .order_by("agency__sort_order")
    ]
    return {"round": rnd, "missing": missing}
