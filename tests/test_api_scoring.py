"""The scoring-period endpoints of the API: periods through ``visible_to`` (404 for a body
with no part), results exactly as the results page shows them (before publication a body
sees its own row only, unranked; once published every body of the period sees the ranking),
constant query counts for the list."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from scoring import services
from scoring.models import Assessment, ScoringPeriod
from tests.scoring_factories import assessment_of, build_period, criterion

pytestmark = pytest.mark.django_db
D = Decimal


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def results_url(period: ScoringPeriod) -> str:
    return reverse("api:scoring-period-results", args=[period.pk])


def _score_all(actor, assessment, values: dict[str, str]) -> None:
    entries = [
        services.ScoreEntry(
            criterion(assessment, code).pk, D(value), "Ghi chú" if code == "2.1" else "", False
        )
        for code, value in values.items()
    ]
    services.score_self_assess(actor=actor, assessment=assessment, entries=entries)


FULL = {"1.1": "4", "1.2": "6", "2.1": "14.5", "3": "5.5"}  # 30 of 30: 100 %
PART = {"1.1": "2", "1.2": "3", "2.1": "14.5", "3": "4.5"}  # 24 of 30: 80 %


@pytest.fixture
def period(noivu, chair_focal, contrib_focal, district_focal):
    period = build_period(noivu, codes=("STP", "STC", "TUYHOA"))
    _score_all(chair_focal, assessment_of(period, "STP"), FULL)
    _score_all(contrib_focal, assessment_of(period, "STC"), PART)
    _score_all(district_focal, assessment_of(period, "TUYHOA"), PART)
    return period


def publish(noivu, period, **exclusions) -> ScoringPeriod:
    """Publish; bodies named in ``exclusions`` stay unfinalised and are left out."""
    excluded = {assessment_of(period, code).pk: reason for code, reason in exclusions.items()}
    Assessment.objects.filter(period=period).exclude(pk__in=excluded).update(status="finalised")
    services.period_publish(actor=noivu, period=period, exclusions=excluded)
    period.refresh_from_db()
    return period


def rows(data: dict) -> dict[str, dict]:
    return {r["agency"]["code"]: r for g in data["groups"] for r in g["rows"]}


# --- Periods ------------------------------------------------------------------------------


def test_periods_are_those_the_body_takes_part_in(period, chair_focal, unrelated_focal, leader):
    url = reverse("api:scoring-period-list")
    assert [p["id"] for p in api(chair_focal).get(url).json()["results"]] == [period.pk]
    assert api(unrelated_focal).get(url).json()["results"] == []
    assert [p["id"] for p in api(leader).get(url).json()["results"]] == [period.pk]
    detail = reverse("api:scoring-period-detail", args=[period.pk])
    assert api(unrelated_focal).get(detail).status_code == 404
    assert api(unrelated_focal).get(results_url(period)).status_code == 404


def test_period_detail(period, chair_focal):
    data = api(chair_focal).get(reverse("api:scoring-period-detail", args=[period.pk])).json()
    assert data["title"] == period.title and data["year"] == 2024
    assert data["is_published"] is False and data["published_at"] is None
    assert data["self_from"] == period.self_from.isoformat()
    assert data["bands"][0] == {"label": "A", "min": "90.00"}


def test_periods_filtered_by_year_and_publication(noivu, period):
    later = build_period(noivu, codes=("STP",), year=2025)
    publish(noivu, period)
    client = api(noivu)
    url = reverse("api:scoring-period-list")

    def ids(**params):
        response = client.get(url, params)
        assert response.status_code == 200, response.content
        return [p["id"] for p in response.json()["results"]]

    assert ids() == [later.pk, period.pk]
    assert ids(year=2024) == [period.pk]
    assert ids(published="true") == [period.pk]
    assert ids(published="false") == [later.pk]


# --- Results ------------------------------------------------------------------------------


def test_before_publication_a_body_sees_only_its_own_row_unranked(period, contrib_focal):
    data = api(contrib_focal).get(results_url(period)).json()
    assert data["scope"] == "own" and data["published"] is False
    assert list(rows(data)) == ["STC"]
    row = rows(data)["STC"]
    assert row["rank"] is None and row["index"] == "80.00" and row["band"] == "B"


def test_before_publication_noivu_sees_every_body_ranked(period, noivu):
    data = api(noivu).get(results_url(period)).json()
    assert data["scope"] == "all"
    by_code = rows(data)
    assert set(by_code) == {"STP", "STC", "TUYHOA"}
    assert by_code["STP"]["rank"] == 1 and by_code["STC"]["rank"] == 2
    assert by_code["TUYHOA"]["rank"] == 1  # districts are ranked apart
    assert [g["target"] for g in data["groups"]] == ["department", "district"]


def test_published_results_are_seen_by_every_body_of_the_period(noivu, period, contrib_focal):
    publish(noivu, period, TUYHOA="Chưa hoàn thành giải trình")
    data = api(contrib_focal).get(results_url(period)).json()
    assert data["scope"] == "all" and data["published"] is True
    by_code = rows(data)
    assert by_code["STP"]["rank"] == 1 and by_code["STP"]["index"] == "100.00"
    assert by_code["STP"]["band"] == "A" and by_code["STP"]["achieved"] == "30.00"
    assert by_code["STC"]["rank"] == 2 and by_code["STC"]["applicable_max"] == "30.00"
    area = next(a for a in by_code["STC"]["area_scores"] if a["area"] == "1")
    assert area == {"area": "1", "achieved": "5.00", "applicable_max": "10.00"}
    assert [a["code"] for a in data["groups"][0]["areas"]] == ["1", "2", "3"]
    left_out = by_code["TUYHOA"]
    assert left_out["excluded"] is True
    assert left_out["excluded_reason"] == "Chưa hoàn thành giải trình"
    assert left_out["rank"] is None and left_out["index"] is None
    assert left_out["achieved"] is None and left_out["band"] == ""
    assert all(a["achieved"] is None for a in left_out["area_scores"])


def test_results_compare_with_last_years_published_period(noivu, period, contrib_focal):
    publish(noivu, period)
    later = build_period(noivu, codes=("STP", "STC"), year=2025)
    data = api(noivu).get(results_url(later)).json()
    assert data["previous_period"] == {"year": 2024, "title": period.title}
    assert rows(data)["STC"]["previous_index"] == "80.00"


def test_an_appraiser_whose_body_is_not_assessed_sees_no_unpublished_rows(noivu, period, council):
    services.assignment_add(
        actor=noivu, period=period, user=council, assessment=assessment_of(period, "STP")
    )
    response = api(council).get(results_url(period))
    assert response.status_code == 200
    assert response.json()["scope"] == "own" and response.json()["groups"] == []


# --- Query counts -------------------------------------------------------------------------

PERIODS_QUERIES = 10 + 2  # every request's 10 (tests/test_api_reports.py); count, rows
# A body's officer reads the archive of the bodies before hers: her body, one query.
ARCHIVE = {"noivu": 0, "chair_focal": 0}  # the body kept with the roles (issue 14)


@pytest.mark.parametrize("who", ["noivu", "chair_focal"])
def test_period_list_queries_are_constant(request, django_assert_num_queries, noivu, who):
    client = api(request.getfixturevalue(who))
    url = reverse("api:scoring-period-list")
    build_period(noivu, codes=("STP",), year=2021)
    client.get(url)  # the user's roles and body kept for this data version (issue 14)
    with django_assert_num_queries(PERIODS_QUERIES + ARCHIVE[who]):
        assert client.get(url).json()["count"] == 1
    build_period(noivu, codes=("STP",), year=2022)
    build_period(noivu, codes=("STP",), year=2023)
    client.get(url)
    with django_assert_num_queries(PERIODS_QUERIES + ARCHIVE[who]):
        assert client.get(url).json()["count"] == 3


RESULTS_QUERIES = 10 + 8  # every request's 10 (tests/test_api_reports.py); the period, then
# (scoring.selectors.period_results) this year's assessments, last year's with their period
# (none here, so the period of the year before is looked for by itself), both years' bodies'
# former names, the criteria, the scores


def test_results_queries_do_not_grow_with_the_bodies(django_assert_num_queries, noivu):
    small = build_period(noivu, codes=("STP",), year=2021)
    large = build_period(noivu, codes=("STP", "STC", "SYT", "TUYHOA"), year=2022)
    client = api(noivu)
    for period, bodies in ((small, 1), (large, 4)):
        client.get(results_url(period))  # the user's roles and body kept (issue 14)
        with django_assert_num_queries(RESULTS_QUERIES):
            data = client.get(results_url(period)).json()
        assert len(rows(data)) == bodies
