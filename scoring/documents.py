"""The content of scoring's documents: one body's scorecard and the results (ranking) of a
period. Data only (rows, totals, bands, labels); the reports app adds the administrative
header and closing and renders the PDF (``reports.pdf``), the look is in the templates
``reports/pdf/scorecard.html`` and ``reports/pdf/scoring_results.html``."""

from __future__ import annotations

from django.utils.translation import gettext as _

from scoring.importing import plain_number
from scoring.models import Assessment, ScoringPeriod
from scoring.selectors import SheetRow, assessment_sheet, period_results

NOT_APPLICABLE = "KAD"  # the document's mark for a criterion that does not apply


def number(value) -> str:
    """A score as documents print it, "–" when there is none."""
    return "–" if value is None else plain_number(value)


def _scorecard_row(r: SheetRow) -> dict:
    s = r.score
    return {
        "code": r.criterion.code,
        "title": r.criterion.title,
        "leaf": r.is_leaf,
        "max": number(r.criterion.max_points),
        "self": NOT_APPLICABLE if s and s.not_applicable else number(s.self_score if s else None),
        "appraised": r.appraised_value or "–",
        "final": number(s.final_score if s else None),
    }


def scorecard_content(assessment: Assessment) -> dict:
    """Areas with their rows and subtotals, the totals and the index of one assessment."""
    sheet = assessment_sheet(assessment)
    return {
        "summary": _("Chỉ số cải cách hành chính năm %(y)s của %(agency)s")
        % {"y": assessment.period.year, "agency": assessment.agency.name},
        "status": assessment.get_status_display(),
        "areas": [
            {
                "rows": [_scorecard_row(r) for r in area.rows],
                "self": number(area.self_totals.achieved),
                "appraised": number(area.appraised_totals.achieved),
                "current": number(area.current_totals.achieved),
                "max": number(
                    area.self_totals.applicable_max or area.current_totals.applicable_max
                ),
            }
            for area in sheet.areas
        ],
        "totals": {
            "self": number(sheet.self_totals.achieved),
            "appraised": number(sheet.appraised_totals.achieved),
            "current": number(sheet.current_totals.achieved),
            "max": number(sheet.current_totals.applicable_max or sheet.self_totals.applicable_max),
            "index": number(sheet.current_totals.index),
        },
    }


def results_content(period: ScoringPeriod, user) -> dict:
    """Ranking tables by group with index, band and last year's index, as the user may see
    them (``selectors.period_results``)."""
    results = period_results(period, user)
    return {
        "summary": _("Kết quả xác định Chỉ số cải cách hành chính năm %(y)s") % {"y": period.year},
        "period_title": period.title,
        "published": period.published_at is not None,
        "groups": [
            {
                "label": str(group["label"]),
                "rows": [
                    {
                        "rank": row.rank or "–",
                        "agency": row.assessment.agency.name,
                        "achieved": number(row.totals.achieved if row.totals.scored else None),
                        "max": number(row.totals.applicable_max),
                        "index": number(row.index),
                        "band": row.band or "–",
                        "previous": number(row.previous_index),
                    }
                    for row in group["rows"]
                ],
            }
            for group in results["groups"]
        ],
    }
