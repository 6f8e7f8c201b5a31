"""Permission matrix of the report-round, body-report and scoring-period endpoints of the
API: every URL × routed method × cast member (STYLE.md rule 11).

anonymous → 401; a body with no part in the object → 404; visible but the role may not act
→ 403; allowed → 200, and an allowed write changes the report while a refused one changes
nothing. ``API_COVERED`` is read by the API's completeness test, ``COVERED_URL_METHODS`` by
the pages' (tests/test_permissions.py); ``test_every_route_is_covered`` fails when a
route of these endpoints is missing here."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api import reports_api, scoring_api
from reports.models import AgencyReport, AgencyReportVersion
from tests.conftest import CAST
from tests.reports_factories import GOOD_SECTIONS, GOOD_VALUES, make_round, report_of
from tests.scoring_factories import build_period

ANONYMOUS = 401


def expect(default: int, **overrides: int) -> dict[str, int]:
    codes = dict.fromkeys(CAST, default)
    codes.update(overrides)
    codes["anonymous"] = ANONYMOUS
    return codes


EVERYONE = expect(200)
# The round and the period involve STP (chair_focal, chair_staff), STC (contrib_focal) and
# Tuy Hòa; Sở Nội vụ's focal officer and council member and Sở Y tế have no part in them.
INVOLVED = expect(200, council=404, tracker_focal=404, unrelated_focal=404)
# STP's report: its own body, Nội vụ and leadership see it.
STP_REPORT = expect(404, noivu=200, leader=200, chair_focal=200, chair_staff=200)
# Only STP's focal officer fills and submits it; the others who see it may not.
FILL_STP = expect(404, chair_focal=200, noivu=403, leader=403, chair_staff=403)

FILL = {"indicators": {"inspections": 3}, "sections": {"direction": "Đã ban hành kế hoạch."}}
SUBMIT = {"indicators": GOOD_VALUES, "sections": GOOD_SECTIONS}

# (url name, object, method, body, expected status per cast member)
MATRIX = [
    ("api:report-round-list", None, "get", None, EVERYONE),
    ("api:report-round-detail", "round", "get", None, INVOLVED),
    ("api:agency-report-list", None, "get", None, EVERYONE),
    ("api:agency-report-detail", "stp_report", "get", None, STP_REPORT),
    ("api:agency-report-detail", "stp_report", "patch", FILL, FILL_STP),
    ("api:agency-report-submit", "stp_report", "post", SUBMIT, FILL_STP),
    ("api:scoring-period-list", None, "get", None, EVERYONE),
    ("api:scoring-period-detail", "period", "get", None, INVOLVED),
    ("api:scoring-period-results", "period", "get", None, INVOLVED),
]

API_COVERED = {(name, method) for name, _key, method, _body, _codes in MATRIX}
COVERED_URL_METHODS = API_COVERED


@pytest.fixture
def world(db, noivu):
    rnd = make_round(actor=noivu, codes=("STP", "STC", "TUYHOA"))
    period = build_period(noivu, codes=("STP", "STC", "TUYHOA"))
    return {
        "round": rnd.pk,
        "stp_report": report_of(rnd, "STP").pk,
        "period": period.pk,
    }


def snapshot() -> tuple:
    return (
        list(
            AgencyReport.objects.order_by("pk").values_list(
                "status", "sections", "indicators", "version"
            )
        ),
        AgencyReport.history.count(),
        AgencyReportVersion.objects.count(),
    )


def client_for(request, who: str) -> APIClient:
    client = APIClient()
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    return client


CASES = [
    pytest.param(name, key, method, body, who, codes[who], id=f"{name}-{method}-{who}")
    for name, key, method, body, codes in MATRIX
    for who in CAST
]


@pytest.mark.parametrize(("name", "key", "method", "body", "who", "status"), CASES)
def test_permission_matrix(request, world, name, key, method, body, who, status):
    url = reverse(name, args=[world[key]] if key else None)
    client = client_for(request, who)
    before = snapshot()
    response = getattr(client, method)(url, body, format="json") if body else client.get(url)
    assert response.status_code == status, response.content
    if status != 200:
        assert set(response.json()) == {"error"}
    if who == "anonymous":
        assert response["WWW-Authenticate"].startswith("Bearer")
    if method != "get":
        if status == 200:
            assert snapshot() != before, "an allowed write must change the report"
        else:
            assert snapshot() == before, "a refused write must change nothing"


def _routes() -> set[tuple[str, str]]:
    """(url name, method) of every route these endpoints' viewsets register."""
    from rest_framework.routers import SimpleRouter

    router = SimpleRouter()
    reports_api.register(router)
    scoring_api.register(router)
    routes = set()
    for pattern in router.urls:
        for method in pattern.callback.actions:
            routes.add((f"api:{pattern.name}", method))
    return routes


def test_every_route_is_covered():
    assert _routes() == API_COVERED


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_methods_not_routed_answer_405_and_change_nothing(request, world, method):
    client = client_for(request, "noivu")
    before = snapshot()
    for name, key, _method, _body, _codes in MATRIX:
        url = reverse(name, args=[world[key]] if key else None)
        if (name, method) in API_COVERED:
            continue
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 405, (name, method, response.status_code)
        assert response.json()["error"]["code"] == "method_not_allowed"
    assert snapshot() == before
