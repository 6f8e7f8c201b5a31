"""The content of scoring's documents: one body's scorecard and the results (ranking) of a
period. Data only (rows, totals, bands, labels); the reports app adds the administrative
header and closing and renders the PDF (``reports.pdf``), the look is in the templates
``reports/pdf/scorecard.html`` and ``reports/pdf/scoring_results.html``."""

from __future__ import annotations

from django.utils.translation import gettext as _

from scoring.figures import Figures, counted_value, figure
from scoring.importing import plain_number
from scoring.models import Assessment, ScoringPeriod
from scoring.selectors import SheetRow, assessment_sheet, period_results

NOT_APPLICABLE = "KAD"  # the document's mark for a criterion that does not apply


def number(value) -> str:
    """A score as documents print it, "–" when there is none."""
    return "–" if value is None else plain_number(value)


def _scorecard_row(r: SheetRow, status: str) -> dict:
    s = r.score
    counted = (
        counted_value(status, s.self_score, s.appraised_score, s.second_score, s.final_score)
        if s and not s.not_applicable
        else None
    )
    return {
        "code": r.criterion.code,
        "title": r.criterion.title,
        "leaf": r.is_leaf,
        "max": number(r.criterion.max_points),
        "self": NOT_APPLICABLE if s and s.not_applicable else number(s.self_score if s else None),
        "appraised": r.appraised_value or "–",
        "final": NOT_APPLICABLE if s and s.not_applicable else number(counted),
    }


def _totals(figures: Figures) -> dict:
    return {
        "self": figure(figures.own.achieved),
        "appraised": figure(figures.appraised.achieved) if figures.appraised_done else "–",
        "current": figure(figures.counted.achieved),
        "max": figure(figures.counted.applicable_max),
        "index": figure(figures.counted.index),
    }


def scorecard_content(assessment: Assessment) -> dict:
    """Areas with their rows and subtotals, the totals and the index of one assessment:
    the figures of ``selectors.Figures``, as on the assessment page."""
    sheet = assessment_sheet(assessment)
    return {
        "summary": _("Chỉ số cải cách hành chính năm %(y)s của %(agency)s")
        % {"y": assessment.period.year, "agency": assessment.agency.name},
        "status": assessment.get_status_display(),
        "counted_label": sheet.figures.label,
        "figures": sheet.figures.summary,
        "areas": [
            {
                "rows": [_scorecard_row(r, assessment.status) for r in area.rows],
                **_totals(area.figures),
            }
            for area in sheet.areas
        ],
        "totals": _totals(sheet.figures),
    }


def _result_row(row) -> dict:
    return {
        "rank": row.rank or "–",
        "agency": row.name,
        "achieved": figure(row.totals.achieved if row.totals.scored and not row.excluded else None),
        "max": figure(row.totals.applicable_max),
        "index": figure(row.index),
        "band": (_("không xếp hạng: %(reason)s") % {"reason": row.excluded})
        if row.excluded
        else (row.band or "–"),
        "previous": figure(row.previous_index),
        "previous_label": row.previous_label,
        "previous_results": [(p.name, figure(p.index)) for p in row.previous_results],
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
            {"label": str(group["label"]), "rows": [_result_row(row) for row in group["rows"]]}
            for group in results["groups"]
        ],
    }
