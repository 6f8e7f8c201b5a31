"""Scoring figures agree: one maximum (the applicable maximum after "không áp dụng", survey
criteria included), one score (the body's own until the appraisal is complete, then the
appraisal, then the final score), the same on the assessment page, the period page, the
results page, the results PDF and the scorecard; labels only for what has happened."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from reports import catalog
from scoring import selectors, services
from scoring.models import Assessment, Target
from scoring.services import ScoreEntry
from tests.conftest import login
from tests.reports_factories import document
from tests.scoring_factories import (  # noqa: F401 - fast_passwords is an autouse fixture
    assessment_of,
    build_period,
    build_set,
    criterion,
    fast_passwords,
)

D = Decimal
# 35 points: four self-scored leaves (29 points) and a 5-point survey criterion that only
# the appraisers score, and a 1-point criterion the body marks "không áp dụng".
TREE = [
    ("1", "10", "range", [], False, ""),
    ("1.1", "4", "range", [], False, ""),
    ("1.2", "6", "range", [], False, ""),
    ("2", "15.5", "range", [], False, ""),
    ("2.1", "14.5", "range", [], False, ""),
    ("2.2", "1", "range", [], False, ""),
    ("3", "5.5", "range", [], False, ""),
    ("4", "5", "range", [], False, ""),
    ("4.1", "5", "survey", [], False, ""),
]
LABEL = '<span class="stat__label">%s</span>'
SELF = {"1.1": "4", "1.2": "5.5", "2.1": "14.5", "3": "5"}  # 29 of 35 applicable


@pytest.fixture
def stp(noivu, chair_focal):
    sets = (build_set(TREE), build_set(TREE, target=Target.DISTRICT))
    period = build_period(noivu, codes=("STP", "STC"), sets=sets)
    stp = assessment_of(period, "STP")
    entries = [ScoreEntry(criterion(stp, c).pk, D(v)) for c, v in SELF.items()]
    entries.append(ScoreEntry(criterion(stp, "2.2").pk, None, "Không có", not_applicable=True))
    services.assessment_submit(actor=chair_focal, assessment=stp, entries=entries)
    return stp


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def renderings(assessment: Assessment, reader) -> dict[str, str]:
    """The same assessment on every page and document that shows its figures."""
    client = login(reader)
    period = assessment.period
    return {
        "assessment page": client.get(reverse("assessment_detail", args=[assessment.pk])),
        "period page": client.get(reverse("period_detail", args=[period.pk])),
        "results page": client.get(reverse("period_results", args=[period.pk])),
        "results PDF": pdf_text(document(catalog.scoring_results(period, reader), reader)),
        "scorecard": pdf_text(document(catalog.scorecard(assessment), reader)),
    }


def texts(assessment, reader) -> dict[str, str]:
    result = {}
    for name, value in renderings(assessment, reader).items():
        if not isinstance(value, str):
            assert value.status_code == 200, name
            value = value.content.decode()
        result[name] = " ".join(value.split())  # a PDF wraps text in narrow columns
    return result


def assert_everywhere(found: dict[str, str], *figures: str) -> None:
    for name, text in found.items():
        for figure in figures:
            assert figure in text, f"{figure} missing from the {name}"


@pytest.mark.django_db
def test_one_maximum_and_one_score_everywhere_before_the_appraisal_completes(stp, council, noivu):
    # A one-point appraisal change while the appraisal is under way does not move the
    # figures: the appraiser's scores count once the round is complete.
    services.assignment_add(actor=noivu, period=stp.period, user=council, assessment=stp)
    services.score_appraise(
        actor=council,
        assessment=stp,
        entries=[ScoreEntry(criterion(stp, "1.2").pk, D("4.5"), "Thiếu biên bản")],
    )
    figures = selectors.assessment_sheet(stp).figures
    assert (figures.counted.achieved, figures.counted.applicable_max) == (D("29"), D("35"))
    assert figures.counted.index == D("82.86")
    found = texts(stp, noivu)
    assert_everywhere(found, "29,00", "35,00", "82,86")
    for name in ("assessment page", "period page"):
        assert "29,00/35,00 (82,86%)" in found[name], name
    # 4 of the 4 criteria the body scores (not the survey, not the one not applicable).
    assert "(4/4 tiêu chí)" in found["assessment page"]
    assert ">4/4<" in found["period page"].replace(" ", "")
    # Labels only for what has happened: no "after appraisal" figure yet.
    for name, text in found.items():
        assert "sau thẩm định" not in text.lower(), name
    assert "30,00" not in found["assessment page"] and "36,00" not in found["assessment page"]


@pytest.mark.django_db
def test_after_the_appraisal_the_appraised_score_counts_everywhere(stp, noivu):
    appraisal = {**SELF, "1.2": "4.5", "4.1": "4"}  # one point less; the survey scored
    services.assessment_appraisal_complete(
        actor=noivu,
        assessment=stp,
        entries=[
            ScoreEntry(criterion(stp, c).pk, D(v), "Thiếu biên bản" if c in {"1.2", "4.1"} else "")
            for c, v in appraisal.items()
        ],
    )
    stp.refresh_from_db()
    # 4 + 4.5 + 14.5 + 5 + 4 = 32 of 35 -> 91.43; the body's own 29 of the same 35.
    found = texts(stp, noivu)
    assert_everywhere(found, "32,00", "35,00", "91,43")
    assert "32,00/35,00 (91,43%)" in found["assessment page"]
    assert "32,00/35,00 (91,43%)" in found["period page"]
    assert "29,00/35,00 (82,86%)" in found["assessment page"]  # the body's own, same max
    assert LABEL % "Điểm sau thẩm định" in found["assessment page"]
    assert "Điểm sau thẩm định" in found["scorecard"]
    assert LABEL % "Điểm chính thức" not in found["assessment page"]

    services.assessment_finalise(actor=noivu, assessment=stp)
    stp.refresh_from_db()
    found = texts(stp, noivu)
    assert_everywhere(found, "32,00", "35,00", "91,43")
    assert LABEL % "Điểm chính thức" in found["assessment page"]
    assert "Điểm chính thức" in found["scorecard"]


@pytest.mark.django_db
def test_a_draft_shows_only_the_self_assessment(noivu, chair_focal):
    sets = (build_set(TREE), build_set(TREE, target=Target.DISTRICT))
    stp = assessment_of(build_period(noivu, codes=("STP",), sets=sets), "STP")
    services.score_self_assess(
        actor=chair_focal,
        assessment=stp,
        entries=[ScoreEntry(criterion(stp, "1.1").pk, D("4"))],
    )
    page = login(chair_focal).get(reverse("assessment_detail", args=[stp.pk])).content.decode()
    assert "Điểm tự đánh giá" in page
    assert "4,00/36,00 (11,11%)" in page  # all 36 points apply until one is marked not
    assert "(1/5 tiêu chí)" in page
    assert "sau thẩm định" not in page.lower() and "Điểm chính thức" not in page


@pytest.mark.django_db
def test_figures_of_many_assessments_match_the_sheet(stp, noivu):
    other = assessment_of(stp.period, "STC")
    many = selectors.figures_of([stp, other])
    sheet = selectors.assessment_sheet(stp).figures
    assert many[stp.pk].summary == sheet.summary == "29,00/35,00 (82,86%)"
    assert (many[stp.pk].self_done, many[stp.pk].self_required) == (4, 4)
    assert many[other.pk].counted.index is None
