"""Totals, index, ranking, bands, year-over-year change, and computed criteria from real
coordination participations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from scoring import computed, selectors, services
from scoring.models import Assessment, ScoringPeriod, Target
from scoring.selectors import Totals
from tests.scoring_factories import (
    assessment_of,
    build_period,
    build_set,
    criterion,
    participation,
)

D = Decimal


def test_index_excludes_not_applicable_criteria_from_both_sides():
    totals = Totals()
    totals.add(D("14.5"), D("14.5"), False)
    totals.add(D("10"), D("7.25"), False)
    totals.add(D("5.5"), None, True)  # not applicable: neither achieved nor maximum
    assert totals.achieved == D("21.75")
    assert totals.applicable_max == D("24.5")
    assert totals.index == D("88.78")  # 21.75 / 24.5 * 100 = 88.7755...


def test_index_is_none_when_nothing_applies_or_nothing_scored():
    assert Totals().index is None
    totals = Totals()
    totals.add(D("3"), None, False)
    assert totals.index is None


def test_bands_from_period_configuration():
    period = ScoringPeriod(
        bands=[
            {"label": "Tốt", "min": 90},
            {"label": "Khá", "min": 80},
            {"label": "Trung bình", "min": 50},
            {"label": "Yếu", "min": 0},
        ]
    )
    assert period.band_for(D("90")) == "Tốt"
    assert period.band_for(D("89.99")) == "Khá"
    assert period.band_for(D("80")) == "Khá"
    assert period.band_for(D("12")) == "Yếu"
    assert period.band_for(None) == ""


def test_competition_ranking_with_ties():
    class R:
        def __init__(self, index):
            self.index, self.rank = index, None

    rows = [R(D("80")), R(D("95")), R(D("80")), R(None), R(D("70"))]
    selectors.ranked(rows)
    assert [r.rank for r in rows] == [2, 1, 2, None, 4]


def _score_all(actor, assessment, values: dict[str, str], na: tuple = ()):
    entries = [
        services.ScoreEntry(
            criterion(assessment, code).pk,
            None if code in na else D(value),
            "Ghi chú" if code in na or code == "2.1" else "",
            code in na,
        )
        for code, value in values.items()
    ]
    services.score_self_assess(actor=actor, assessment=assessment, entries=entries)


@pytest.mark.django_db
def test_results_totals_ranking_and_groups(noivu, chair_focal, contrib_focal, district_focal):
    period = build_period(noivu, codes=("STP", "STC", "SYT", "TUYHOA"))
    stp, stc, tuy = (assessment_of(period, c) for c in ("STP", "STC", "TUYHOA"))
    # STP: 4 + 6 + 14.5 + 5.5 = 30 of 30 -> 100 %
    _score_all(chair_focal, stp, {"1.1": "4", "1.2": "6", "2.1": "14.5", "3": "5.5"})
    # STC: 1.2 not applicable; 2 + 14.5 + 2.75 = 19.25 of 24 -> 80.21 %
    _score_all(
        contrib_focal, stc, {"1.1": "2", "1.2": "0", "2.1": "14.5", "3": "2.75"}, na=("1.2",)
    )
    # Tuy Hòa (district group): 0 + 3 + 7.25 + 5.5 = 15.75 of 30 -> 52.5 %
    _score_all(district_focal, tuy, {"1.1": "0", "1.2": "3", "2.1": "7.25", "3": "5.5"})

    results = selectors.period_results(period, noivu)
    groups = {g["target"]: g["rows"] for g in results["groups"]}
    departments = {r.assessment.agency.code: r for r in groups[Target.DEPARTMENT]}
    assert departments["STP"].index == D("100.00") and departments["STP"].rank == 1
    assert departments["STC"].totals.applicable_max == D("24")
    assert departments["STC"].index == D("80.21") and departments["STC"].rank == 2
    assert departments["STC"].band == "B"
    assert departments["SYT"].index is None and departments["SYT"].rank is None
    district = groups[Target.DISTRICT][0]
    assert district.index == D("52.50") and district.rank == 1  # ranked apart from departments
    area_1 = criterion(stc, "1").pk
    assert departments["STC"].area_totals[area_1].achieved == D("2")
    assert departments["STC"].area_totals[area_1].applicable_max == D("4")


@pytest.mark.django_db
def test_before_publication_a_body_sees_only_its_own_result(noivu, chair_focal, district_focal):
    period = build_period(noivu, codes=("STP", "TUYHOA"))
    results = selectors.period_results(period, district_focal)
    codes = [r.assessment.agency.code for g in results["groups"] for r in g["rows"]]
    assert results["scope"] == "own" and codes == ["TUYHOA"]
    assert results["groups"][0]["rows"][0].rank is None
    Assessment.objects.filter(period=period).update(status="finalised")
    services.period_publish(actor=noivu, period=period)
    period.refresh_from_db()
    results = selectors.period_results(period, district_focal)
    codes = {r.assessment.agency.code for g in results["groups"] for r in g["rows"]}
    assert codes == {"STP", "TUYHOA"}


@pytest.mark.django_db
def test_year_over_year_change(noivu, chair_focal):
    sets = (build_set(year=2023), build_set(year=2023, target=Target.DISTRICT))
    last = build_period(noivu, codes=("STP",), year=2023, sets=sets)
    _score_all(
        chair_focal, assessment_of(last, "STP"), {"1.1": "2", "1.2": "6", "2.1": "7.25", "3": "5.5"}
    )  # 20.75 / 30 = 69.17
    Assessment.objects.filter(period=last).update(status="finalised")
    services.period_publish(actor=noivu, period=last)
    this = build_period(noivu, codes=("STP",), year=2024)
    _score_all(
        chair_focal, assessment_of(this, "STP"), {"1.1": "4", "1.2": "6", "2.1": "14.5", "3": "2.5"}
    )  # 27 / 30 = 90
    row = selectors.period_results(this, noivu)["groups"][0]["rows"][0]
    assert row.previous_index == D("69.17")
    assert row.index == D("90.00") and row.band == "A"
    assert row.change == D("20.83")


# --- Computed criteria from real coordination data ---------------------------------


@pytest.mark.django_db
def test_tasks_on_time_counts_chair_and_contribute_participations_due_in_year(noivu):
    participation("STP", role="chair", accepted_on=dt.date(2024, 3, 1))
    participation("STP", role="contribute", accepted_on=dt.date(2024, 6, 1))
    participation("STP", role="contribute", accepted_on=dt.date(2024, 9, 1), late=True)
    participation("STP", role="chair", accepted_on=dt.date(2024, 11, 1), late=True)
    participation("STP", role="chair", accepted_on=dt.date(2023, 12, 1))  # other year
    participation("STP", role="chair", accepted_on=None)  # not accepted yet
    participation("STC", role="chair", accepted_on=dt.date(2024, 3, 1), late=True)  # other body
    from tests.factories import agency

    figures = computed.tasks_on_time(
        agency_id=agency("STP").pk, date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 12, 31)
    )
    assert figures == (2, 4)


@pytest.mark.django_db
def test_computed_suggestion_is_proportional_and_shown_with_figures(noivu, chair_focal):
    for late in (False, False, True):
        participation("STP", role="chair", accepted_on=dt.date(2024, 5, 5), late=late)
    period = build_period(noivu, codes=("STP",))
    stp = assessment_of(period, "STP")
    crit = criterion(stp, "2.1")
    suggestion = selectors.computed_suggestions(stp, [crit])[crit.pk]
    assert (suggestion.on_time, suggestion.total) == (2, 3)
    assert suggestion.score == D("9.67")  # 14.5 * 2 / 3
    from tests.conftest import login

    # Criterion 2.1 is in the second area: the page opens it on request.
    page = login(chair_focal).get(f"/scoring/assessments/{stp.pk}/?area=all").content.decode()
    assert "2/3 đúng hạn" in page and "9,67" in page


@pytest.mark.django_db
def test_computed_suggestion_without_data_suggests_nothing(noivu):
    period = build_period(noivu, codes=("STP",))
    stp = assessment_of(period, "STP")
    crit = criterion(stp, "2.1")
    assert selectors.computed_suggestions(stp, [crit])[crit.pk].score is None
