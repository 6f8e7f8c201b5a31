"""What reports' own documents say, as plain data for their templates: the province's
consolidated report, one body's report, the coordination status report and the reminder
letter.

Dates are passed as dates and formatted by the templates; the administrative frame
(header, type and summary, signature and recipients) is added by ``reports.pdf``, which
renders and stores the document. Bodies are printed with their names on the document's
date (``names_on``).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import prefetch_related_objects

from agencies.lineage import name_on
from agencies.models import Agency
from coordination.models import Participation
from reports.models import AgencyReport, ConsolidatedReport, ReportRound
from reports.selectors import (
    SUBMISSION_LABELS,
    agency_overdue_items,
    coordination_status,
    indicator_totals,
    submission_table,
)


def names_on(agencies, day: dt.date | None) -> dict[int, str]:
    """Each body's name on ``day`` by its id (one query for their former names); a body
    named on many rows is loaded once."""
    bodies = list({a.pk: a for a in agencies if a is not None}.values())
    if not bodies:
        return {}
    prefetch_related_objects(bodies, "former_names")
    return {a.pk: name_on(a, day).name for a in bodies}


# --- a. The province's consolidated report ----------------------------------------------


def consolidated_content(
    rnd: ReportRound, cons: ConsolidatedReport | None, day: dt.date | None = None
) -> dict:
    """The submission table and its counts, the edited sections and the indicator totals
    (frozen at issue once the report is issued); bodies named as on ``day``."""
    issued = cons is not None and cons.is_issued
    totals = cons.indicator_totals if issued else indicator_totals(rnd)
    texts = cons.sections if cons else {}
    table = submission_table(rnd)
    names = names_on([row["agency"] for row in table], day)
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
                "agency": names[row["agency"].pk],
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


def agency_report_content(report: AgencyReport, day: dt.date | None = None) -> dict:
    """One body's report, the body named as on ``day`` (the document's date)."""
    rnd = report.round
    return {
        "draft": report.status in {AgencyReport.Status.DRAFT, AgencyReport.Status.RETURNED},
        "round": {"start": rnd.period_start, "end": rnd.period_end},
        "agency_name": name_on(report.agency, day).name,
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


def _roles() -> dict[str, str]:
    """Each participation role's label in the active language (once per document)."""
    return {value: str(label) for value, label in Participation.Role.choices}


STATUS_COUNTS = ("chaired", "contributed", "done_on_time", "done_late", "submitted", "overdue")


def _part_row(part, today: dt.date, names: dict[int, str], roles: dict[str, str]) -> dict:
    return {
        "task": part.task.title,
        "agency": names.get(part.agency_id, part.agency.name),
        "role": roles[part.role],
        "due": part.eff_due,
        "days": (today - part.eff_due).days,
    }


def coordination_status_content(date_from: dt.date, date_to: dt.date, today: dt.date) -> dict:
    """Counts per body as ``coordination.timeliness`` classifies them; work sent and
    awaiting review has its own column ("Đã gửi, chờ xem xét"), neither done nor overdue."""
    rows = coordination_status(date_from, date_to, today)
    overdue = [p for r in rows for p in r.overdue_items]
    names = names_on([r.agency for r in rows] + [p.agency for p in overdue], today)
    roles = _roles()
    return {
        "period": {"start": date_from, "end": date_to},
        "today": today,
        "rows": [
            {"agency": names[r.agency.pk], **{k: getattr(r, k) for k in STATUS_COUNTS}}
            for r in rows
        ],
        "totals": {k: sum(getattr(r, k) for r in rows) for k in STATUS_COUNTS},
        "overdue": [_part_row(p, today, names, roles) for p in overdue],
    }


# --- d. Reminder letter ----------------------------------------------------------------------


def reminder_content(agency: Agency, today: dt.date) -> dict:
    """The letter lists exactly the body's participations that are overdue today."""
    items = agency_overdue_items(agency, today)
    chairs = [p.task.chair_agency for p in items]
    names = names_on([agency, *chairs, *(p.agency for p in items)], today)
    roles = _roles()
    return {
        "addressee": names[agency.pk],
        "today": today,
        "items": [
            _part_row(p, today, names, roles) | {"chair": names[p.task.chair_agency_id]}
            for p in items
        ],
    }
