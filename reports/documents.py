"""What reports' own documents say, as plain data for their templates: the province's
consolidated report, one body's report, the coordination status report and the reminder
letter.

Dates are passed as dates and formatted by the templates; the administrative frame
(header, type and summary, signature and recipients) is added by ``reports.pdf``, which
renders and stores the document.
"""

from __future__ import annotations

import datetime as dt

from agencies.models import Agency
from reports.models import AgencyReport, ConsolidatedReport, ReportRound
from reports.selectors import (
    SUBMISSION_LABELS,
    agency_overdue_items,
    coordination_status,
    indicator_totals,
    submission_table,
)

# --- a. The province's consolidated report ----------------------------------------------


def consolidated_content(rnd: ReportRound, cons: ConsolidatedReport | None) -> dict:
    """The submission table and its counts, the edited sections and the indicator totals
    (frozen at issue once the report is issued)."""
    issued = cons is not None and cons.is_issued
    totals = cons.indicator_totals if issued else indicator_totals(rnd)
    texts = cons.sections if cons else {}
    table = submission_table(rnd)
    return {
        "round": {
            "title": rnd.title,
            "start": rnd.period_start,
            "end": rnd.period_end,
            "deadline": rnd.deadline,
        },
        "illustrative": rnd.illustrative,
        "submissions": [
            {
                "agency": row["agency"].name,
                "date": row["report"].first_submitted_at,
                "state": str(SUBMISSION_LABELS[row["state"]]),
            }
            for row in table
        ],
        "counts": _count_states(table),
        "sections": [
            {"label": s["label"], "text": (texts.get(s["code"]) or "").strip()}
            for s in rnd.sections
        ],
        "indicators": [
            {"label": i["label"], "total": totals.get(i["code"], 0)} for i in rnd.indicators
        ],
    }


def _count_states(table: list[dict]) -> dict[str, int]:
    counts = {"on_time": 0, "late": 0, "missing": 0, "returned": 0, "required": len(table)}
    for row in table:
        counts[row["state"]] += 1
    return counts


# --- b. One body's report ------------------------------------------------------------------


def agency_report_content(report: AgencyReport) -> dict:
    rnd = report.round
    return {
        "draft": report.status in {AgencyReport.Status.DRAFT, AgencyReport.Status.RETURNED},
        "round": {"start": rnd.period_start, "end": rnd.period_end},
        "agency_name": report.agency.name,
        "illustrative": rnd.illustrative,
        "sections": [
            {"label": s["label"], "text": (report.sections.get(s["code"]) or "").strip()}
            for s in rnd.sections
        ],
        "indicators": [
            {"label": i["label"], "value": report.indicators.get(i["code"])} for i in rnd.indicators
        ],
        "sent": {
            "version": report.version,
            "at": report.submitted_at,
            "by": str(report.submitted_by) if report.submitted_by_id else "",
        },
    }


# --- c. Coordination status for a period -----------------------------------------------------

STATUS_COUNTS = ("chaired", "contributed", "done_on_time", "done_late", "submitted", "overdue")


def _part_row(part, today: dt.date) -> dict:
    return {
        "task": part.task.title,
        "agency": part.agency.name,
        "role": part.get_role_display(),
        "due": part.eff_due,
        "days": (today - part.eff_due).days,
    }


def coordination_status_content(date_from: dt.date, date_to: dt.date, today: dt.date) -> dict:
    """Counts per body as ``coordination.timeliness`` classifies them; work sent and
    awaiting review has its own column ("Đã gửi, chờ xem xét"), neither done nor overdue."""
    rows = coordination_status(date_from, date_to, today)
    return {
        "period": {"start": date_from, "end": date_to},
        "today": today,
        "rows": [
            {"agency": r.agency.name, **{k: getattr(r, k) for k in STATUS_COUNTS}} for r in rows
        ],
        "totals": {k: sum(getattr(r, k) for r in rows) for k in STATUS_COUNTS},
        "overdue": [_part_row(p, today) for r in rows for p in r.overdue_items],
    }


# --- d. Reminder letter ----------------------------------------------------------------------


def reminder_content(agency: Agency, today: dt.date) -> dict:
    """The letter lists exactly the body's participations that are overdue today."""
    items = agency_overdue_items(agency, today)
    return {
        "addressee": agency.name,
        "today": today,
        "items": [_part_row(p, today) | {"chair": p.task.chair_agency.name} for p in items],
    }
