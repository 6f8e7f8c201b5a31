"""Reads for reports: submission tables, indicator totals and the coordination status
numbers (read-only queries against ``coordination`` models, aggregated in the database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from coordination import timeliness
from coordination.models import Participation, Task
from reports.models import AgencyReport, ReportRound

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


def recent_rounds(rounds: list, today: dt.date | None = None) -> list:
    """The rounds a list shows first (issue 14: what is current): this year's and last
    year's, and any older one still open."""
    year = (today or timezone.localdate()).year
    return [r for r in rounds if r.year >= year - 1 or r.status == ReportRound.Status.OPEN]


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


# --- Is the consolidated draft still what the bodies' reports say? ----------------------


@dataclass(frozen=True)
class ReportChange:
    """One body's report changed after the consolidated draft was compiled."""

    agency: Agency
    when: dt.datetime
    kind: str  # "submitted", "resubmitted", "returned" or "accepted"

    @property
    def label(self) -> str:
        return str(CHANGE_LABELS[self.kind])


CHANGE_LABELS = {
    "submitted": _("gửi báo cáo"),
    "resubmitted": _("gửi lại báo cáo"),
    "returned": _("bị trả lại báo cáo"),
    "accepted": _("được chấp nhận báo cáo"),
}
_CHANGING = {
    AgencyReport.Status.SUBMITTED,
    AgencyReport.Status.RETURNED,
    AgencyReport.Status.ACCEPTED,
}


def _change_kind(status: str, version: int) -> str:
    if status == AgencyReport.Status.SUBMITTED:
        return "resubmitted" if version > 1 else "submitted"
    return str(status)


def consolidated_changes(cons) -> list[ReportChange]:
    """What happened to the bodies' reports since the draft was compiled, oldest first
    (one query over the reports' history): every change of status to submitted,
    returned or accepted, starting from the statuses the compilation saw. An issued
    report is frozen: nothing is out of date."""
    if cons is None or cons.compiled_at is None or cons.is_issued:
        return []
    status = {int(pk): s for pk, s in (cons.compiled_basis or {}).items()}
    changes = []
    records = (
        AgencyReport.history.filter(round_id=cons.round_id, history_date__gt=cons.compiled_at)
        .select_related("agency")
        .order_by("history_date", "history_id")
    )
    for record in records:
        if record.status != status.get(record.id) and record.status in _CHANGING:
            kind = _change_kind(record.status, record.version)
            changes.append(ReportChange(record.agency, record.history_date, kind))
        status[record.id] = record.status
    return changes


def edited_sections(cons, sections: dict) -> list[str]:
    """The labels of the sections whose text (``sections``: on screen, or as saved)
    differs from the text as compiled: what compiling again would replace."""
    compiled = cons.compiled_sections or {}
    return [
        s["label"]
        for s in cons.round.sections
        if (sections.get(s["code"]) or "").strip() != (compiled.get(s["code"]) or "").strip()
    ]


# --- Coordination status ----------------------------------------------------------------
#
# Lateness is ``coordination.timeliness``'s annotation, nothing else: "submitted" (sent,
# awaiting review) is neither done nor overdue and is counted on its own.


def _participations(today: dt.date) -> QuerySet[Participation]:
    """Chair and contributor participations of live items (not draft, not cancelled),
    annotated by ``coordination.timeliness.with_timeliness``."""
    P = Participation
    return timeliness.with_timeliness(
        P.objects.filter(role__in=[P.Role.CHAIR, P.Role.CONTRIBUTE]).exclude(
            task__status__in=[Task.Status.DRAFT, Task.Status.CANCELLED]
        ),
        today,
    )


@dataclass
class AgencyStatus:
    agency: Agency
    chaired: int = 0
    contributed: int = 0
    done_on_time: int = 0
    done_late: int = 0
    submitted: int = 0
    overdue: int = 0
    overdue_items: list = field(default_factory=list)


STATUS_COUNTS = ("chaired", "contributed", "done_on_time", "done_late", "submitted", "overdue")


def coordination_status(
    date_from: dt.date, date_to: dt.date, today: dt.date | None = None
) -> list[AgencyStatus]:
    """Per body, for items whose deadline falls in the period: items chaired and
    contributed, done on time, done late, submitted and awaiting review, overdue, and the
    overdue items (3 queries)."""
    today = today or timezone.localdate()
    parts = _participations(today).filter(eff_due__gte=date_from, eff_due__lte=date_to)
    counts: dict[int, dict] = {}
    for (agency_id, role), states in timeliness.tally(parts, "agency_id", "role").items():
        row = counts.setdefault(agency_id, dict.fromkeys(STATUS_COUNTS, 0))
        row["chaired" if role == Participation.Role.CHAIR else "contributed"] += states.total()
        for name in STATUS_COUNTS[2:]:
            row[name] += states[name]
    overdue = (
        timeliness.in_states(parts, [timeliness.OVERDUE], today)
        .select_related("task", "agency")
        .order_by("agency__sort_order", "eff_due", "task_id")
    )
    agencies = {a.pk: a for a in Agency.objects.filter(pk__in=counts)}
    result = {pk: AgencyStatus(agency=agencies[pk], **c) for pk, c in counts.items()}
    for part in overdue:
        result[part.agency_id].overdue_items.append(part)
    return sorted(result.values(), key=lambda s: (s.agency.sort_order, s.agency.name))


def agency_overdue_items(agency: Agency, today: dt.date | None = None) -> list[Participation]:
    """Every participation of the body that the timeliness annotation calls overdue today
    (the reminder letter's list)."""
    today = today or timezone.localdate()
    return list(
        timeliness.in_states(_participations(today), [timeliness.OVERDUE], today)
        .filter(agency=agency)
        .select_related("task__chair_agency", "agency")
        .order_by("eff_due", "task_id")
    )


def overdue_by_agency(today: dt.date | None = None) -> list[dict]:
    """Bodies with overdue participations today and how many (reminder letters list)."""
    today = today or timezone.localdate()
    return list(
        timeliness.in_states(_participations(today), [timeliness.OVERDUE], today)
        .values("agency__code", "agency__name", "agency__sort_order")
        .annotate(n=Count("pk"))
        .order_by("agency__sort_order", "agency__name")
    )


def due_rounds(today: dt.date | None = None) -> Q:
    """Rounds that are due: their deadline has passed, or they are open now (still
    receiving reports, their data period begun and their deadline not yet passed). A
    round opened ahead of its period is not due yet."""
    today = today or timezone.localdate()
    open_now = Q(status=ReportRound.Status.OPEN, period_start__lte=today, deadline__gte=today)
    return Q(deadline__lt=today) | open_now


def latest_round_missing(user, today: dt.date | None = None) -> dict | None:
    """The latest round that is due (``due_rounds``) and the bodies that have not sent
    their report yet: the leadership's "who has not reported" (two queries)."""
    today = today or timezone.localdate()
    rnd = (
        ReportRound.objects.visible_to(user)
        .filter(due_rounds(today))
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
    return {"round": rnd, "missing": missing, "passed": rnd.deadline < today}
