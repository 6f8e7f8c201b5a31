"""The report-round and body-report endpoints of the API: reads through ``visible_to``
(another body's report is 404), filling and submitting through the report page's form and
``reports.services.report_save`` (same Vietnamese messages, same history), constant
query counts for the lists."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from reports.models import AgencyReport, AgencyReportVersion, ReportRound
from tests.factories import agency
from tests.reports_factories import GOOD_SECTIONS, GOOD_VALUES, make_round, report_of, submit

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def rounds_url() -> str:
    return reverse("api:report-round-list")


def report_url(report: AgencyReport, action: str = "detail") -> str:
    return reverse(f"api:agency-report-{action}", args=[report.pk])


def messages_of(response) -> str:
    """Every message of an error answer, as one text (whatever its nesting)."""
    return str(response.json())


def state(report: AgencyReport) -> tuple:
    report.refresh_from_db()
    return (
        report.status,
        report.sections,
        report.indicators,
        report.version,
        report.history.count(),
        AgencyReportVersion.objects.filter(report=report).count(),
    )


@pytest.fixture
def rnd(noivu):
    return make_round(actor=noivu, codes=("STP", "STC", "TUYHOA"))


# --- Report rounds ------------------------------------------------------------------------


def test_a_body_lists_only_the_rounds_it_owes(noivu, chair_focal, unrelated_focal, rnd):
    other = make_round(actor=noivu, codes=("SYT",), year=2023)
    ids = [r["id"] for r in api(chair_focal).get(rounds_url()).json()["results"]]
    assert ids == [rnd.pk]
    ids = [r["id"] for r in api(unrelated_focal).get(rounds_url()).json()["results"]]
    assert ids == [other.pk]
    assert (
        api(unrelated_focal).get(reverse("api:report-round-detail", args=[rnd.pk])).status_code
        == 404
    )


def test_rounds_newest_first_and_filtered(noivu, leader):
    q1 = make_round(actor=noivu, period="Q1", year=2025)
    h1 = make_round(actor=noivu, period="H1", year=2025)
    old = make_round(actor=noivu, period="Y", year=2024)
    ReportRound.objects.filter(pk=old.pk).update(status=ReportRound.Status.CLOSED)
    client = api(leader)

    def ids(**params):
        response = client.get(rounds_url(), params)
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert ids() == [h1.pk, q1.pk, old.pk]
    assert ids(year=2025) == [h1.pk, q1.pk]
    assert ids(period="Q1") == [q1.pk]
    assert ids(status="closed") == [old.pk]
    assert ids(status="open", year=2024) == []


def test_round_detail_says_what_to_fill(chair_focal, rnd):
    data = api(chair_focal).get(reverse("api:report-round-detail", args=[rnd.pk])).json()
    assert data["title"] == rnd.title and data["status"] == "open"
    assert data["deadline"] == rnd.deadline.isoformat()
    assert [s["code"] for s in data["sections"]] == rnd.section_codes
    indicator = data["indicators"][0]
    assert indicator["code"] == "documents_issued" and indicator["min"] == 0
    assert indicator["max"] == 999_999_999
    assert {"parts": ["tthc_on_time", "tthc_late"], "total": "tthc_received"} in data["checks"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "khong-co"}, "status"), ({"year": "1,5"}, "year"), ({"year": "9" * 30}, "year")],
)
def test_a_bad_filter_is_refused_with_a_message(leader, rnd, params, field):
    response = api(leader).get(rounds_url(), params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation" and list(error["fields"]) == [field]


# --- Reports: reading --------------------------------------------------------------------


def test_a_body_sees_its_own_report_and_404_for_another(chair_focal, noivu, rnd):
    own, other = report_of(rnd, "STP"), report_of(rnd, "STC")
    client = api(chair_focal)
    ids = [r["id"] for r in client.get(reverse("api:agency-report-list")).json()["results"]]
    assert ids == [own.pk]
    assert client.get(report_url(other)).status_code == 404
    assert client.patch(report_url(other), {}, format="json").status_code == 404
    assert client.post(report_url(other, "submit"), {}, format="json").status_code == 404
    everyone = api(noivu).get(reverse("api:agency-report-list")).json()
    assert everyone["count"] == 3


def test_report_detail_has_texts_figures_and_flags(chair_focal, chair_staff, rnd):
    report = submit(rnd, "STP", user=chair_focal)
    data = api(chair_focal).get(report_url(report)).json()
    assert data["status"] == "submitted" and data["submission_state"] == "on_time"
    assert data["agency"]["code"] == "STP" and data["round"]["id"] == rnd.pk
    assert data["submitted_by_name"] == str(chair_focal)
    figures = {i["code"]: i["value"] for i in data["indicators"]}
    assert figures == GOOD_VALUES
    texts = {s["code"]: s["text"] for s in data["sections"]}
    assert texts["direction"] == GOOD_SECTIONS["direction"] and texts["institutions"] == ""
    assert data["actions"] == {"write": True, "edit": False, "review": False}
    assert api(chair_staff).get(report_url(report)).json()["actions"]["write"] is False


def test_reports_filtered_by_round_agency_and_status(noivu, rnd):
    submit(rnd, "STC")
    client = api(noivu)

    def codes(**params):
        response = client.get(reverse("api:agency-report-list"), params)
        return sorted(r["agency"]["code"] for r in response.json()["results"])

    assert codes(round=rnd.pk) == ["STC", "STP", "TUYHOA"]
    assert codes(status="submitted") == ["STC"]
    assert codes(agency=agency("TUYHOA").pk) == ["TUYHOA"]
    assert codes(round=rnd.pk + 1000) == []


# --- Reports: filling and submitting -------------------------------------------------------


def test_a_draft_keeps_what_is_not_sent_and_is_in_history(contrib_focal, rnd):
    report = report_of(rnd, "STC")
    client = api(contrib_focal)
    first = {"sections": {"direction": "Đã ban hành kế hoạch."}, "indicators": {"inspections": 3}}
    assert client.patch(report_url(report), first, format="json").status_code == 200
    response = client.patch(
        report_url(report), {"indicators": {"tthc_received": "1.200"}}, format="json"
    )
    assert response.status_code == 200, response.content
    report.refresh_from_db()
    assert report.status == AgencyReport.Status.DRAFT
    assert report.indicators == {"inspections": 3, "tthc_received": 1200}
    assert report.sections == {"direction": "Đã ban hành kế hoạch."}
    last = report.history.first()
    assert last.history_user == contrib_focal
    assert last.history_change_reason == "Lưu bản nháp báo cáo"
    figures = {i["code"]: i["value"] for i in response.json()["indicators"]}
    assert figures["tthc_received"] == 1200


def test_a_figure_can_be_cleared(contrib_focal, rnd):
    report = report_of(rnd, "STC")
    client = api(contrib_focal)
    client.patch(report_url(report), {"indicators": {"inspections": 3}}, format="json")
    client.patch(report_url(report), {"indicators": {"inspections": None}}, format="json")
    report.refresh_from_db()
    assert report.indicators == {}


def test_submit_saves_and_submits_in_one_step(contrib_focal, rnd):
    report = report_of(rnd, "STC")
    body = {"sections": GOOD_SECTIONS, "indicators": GOOD_VALUES}
    response = api(contrib_focal).post(report_url(report, "submit"), body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    report.refresh_from_db()
    assert report.status == AgencyReport.Status.SUBMITTED and report.version == 1
    assert report.submitted_by == contrib_focal and not report.is_late
    assert report.versions.get().indicators == GOOD_VALUES
    last = report.history.first()
    assert last.history_user == contrib_focal and last.history_change_reason == "Gửi báo cáo"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-5, "không được là số âm"),
        ("-5", "không được là số âm"),
        ("1,5", "số nguyên"),
        (1.5, "số nguyên"),
        ("mười", "số nguyên"),
        (True, "số nguyên"),
        (10**12, "chữ số"),
    ],
)
def test_a_bad_figure_is_refused_with_a_vietnamese_message(contrib_focal, rnd, value, message):
    report = report_of(rnd, "STC")
    before = state(report)
    response = api(contrib_focal).patch(
        report_url(report), {"indicators": {"inspections": value}}, format="json"
    )
    assert response.status_code == 400
    assert "Số cuộc kiểm tra CCHC đã thực hiện" in messages_of(response)
    assert message in messages_of(response)
    assert state(report) == before


def test_figures_over_their_total_are_refused(contrib_focal, rnd):
    report = report_of(rnd, "STC")
    before = state(report)
    values = GOOD_VALUES | {"tthc_on_time": 1300}
    response = api(contrib_focal).post(
        report_url(report, "submit"),
        {"sections": GOOD_SECTIONS, "indicators": values},
        format="json",
    )
    assert response.status_code == 400
    assert "vượt quá" in messages_of(response)
    assert state(report) == before


def test_an_incomplete_report_is_not_submitted(contrib_focal, rnd):
    report = report_of(rnd, "STC")
    before = state(report)
    response = api(contrib_focal).post(
        report_url(report, "submit"), {"indicators": {"inspections": 2}}, format="json"
    )
    assert response.status_code == 400
    assert "Chưa nhập" in messages_of(response)
    assert state(report) == before


def test_unknown_codes_and_too_long_texts_are_refused(contrib_focal, rnd):
    report = report_of(rnd, "STC")
    before = state(report)
    client = api(contrib_focal)
    response = client.patch(report_url(report), {"indicators": {"khong_co": 1}}, format="json")
    assert response.status_code == 400 and "khong_co" in messages_of(response)
    response = client.patch(
        report_url(report), {"sections": {"direction": "x" * 20001}}, format="json"
    )
    assert response.status_code == 400 and "20000" in messages_of(response).replace(".", "")
    response = client.patch(
        report_url(report), {"sections": {"direction": "a\x00b"}}, format="json"
    )
    assert response.status_code == 400
    assert state(report) == before


def test_a_submitted_report_is_not_changed_until_returned(contrib_focal, rnd):
    report = submit(rnd, "STC", user=contrib_focal)
    before = state(report)
    response = api(contrib_focal).patch(
        report_url(report), {"indicators": {"inspections": 9}}, format="json"
    )
    assert response.status_code == 400
    assert "Báo cáo đã được gửi" in messages_of(response)
    assert state(report) == before


def test_only_the_bodys_focal_officer_fills_while_the_round_is_open(
    chair_staff, chair_focal, noivu, rnd
):
    report = report_of(rnd, "STP")
    before = state(report)
    body = {"indicators": {"inspections": 1}}
    for user in (chair_staff, noivu):
        assert api(user).patch(report_url(report), body, format="json").status_code == 403
        assert api(user).post(report_url(report, "submit"), body, format="json").status_code == 403
    ReportRound.objects.filter(pk=rnd.pk).update(status=ReportRound.Status.CLOSED)
    assert api(chair_focal).patch(report_url(report), body, format="json").status_code == 403
    assert state(report) == before


def test_a_late_submission_is_marked_late(contrib_focal, noivu):
    rnd = make_round(actor=noivu, deadline=dt.date.today() - dt.timedelta(days=1))
    report = report_of(rnd, "STC")
    body = {"sections": GOOD_SECTIONS, "indicators": GOOD_VALUES}
    data = api(contrib_focal).post(report_url(report, "submit"), body, format="json").json()
    assert data["is_late"] is True and data["submission_state"] == "late"


def test_the_page_shows_what_the_api_submitted(contrib_focal, rnd):
    report = report_of(rnd, "STC")
    client = api(contrib_focal)
    body = {"sections": GOOD_SECTIONS, "indicators": GOOD_VALUES}
    assert client.post(report_url(report, "submit"), body, format="json").status_code == 200
    page = client.get(reverse("agency_report_detail", args=[report.pk])).content.decode()
    assert "Đã gửi" in page and GOOD_SECTIONS["direction"] in page


def test_fill_and_submit_by_token_is_on_the_page_and_in_history(contrib_focal, rnd):
    from api import tokens
    from tests.conftest import login
    from tests.factories import in_days

    _token, key = tokens.token_create(
        user=contrib_focal, name="Phần mềm một cửa", scope="write", expires_at=in_days(30)
    )
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")
    report = report_of(rnd, "STC")
    draft = {"sections": GOOD_SECTIONS, "indicators": {"inspections": 2}}
    assert client.patch(report_url(report), draft, format="json").status_code == 200
    response = client.post(report_url(report, "submit"), {"indicators": GOOD_VALUES}, format="json")
    assert response.status_code == 200, response.content
    assert client.get(report_url(report_of(rnd, "STP"))).status_code == 404
    report.refresh_from_db()
    assert report.status == AgencyReport.Status.SUBMITTED
    reasons = [(h.history_user, h.history_change_reason) for h in report.history.all()[:2]]
    assert reasons == [(contrib_focal, "Gửi báo cáo"), (contrib_focal, "Lưu bản nháp báo cáo")]
    page = login(contrib_focal).get(reverse("agency_report_detail", args=[report.pk]))
    text = page.content.decode()
    assert "Đã gửi" in text and "Lần 1:" in text and str(contrib_focal) in text


def test_a_read_only_token_cannot_fill(contrib_focal, rnd):
    from api import tokens
    from tests.factories import in_days

    _token, key = tokens.token_create(
        user=contrib_focal, name="Chỉ đọc", scope="read", expires_at=in_days(30)
    )
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")
    report = report_of(rnd, "STC")
    before = state(report)
    assert client.get(report_url(report)).status_code == 200
    body = {"indicators": {"inspections": 2}}
    assert client.patch(report_url(report), body, format="json").status_code == 403
    assert state(report) == before


# --- Query counts -------------------------------------------------------------------------


def _count_queries(django_assert_num_queries, client, url: str, n: int, expected: int) -> None:
    client.get(url)  # the user's roles and body kept for this data version (issue 14)
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    assert response.json()["count"] == n


# Every API request: the session and its user (2), the rate limit's counter in the
# database cache (6: read, count, savepoint, read, write, release), the data version and the
# user's roles and body kept for it (2: agencies.middleware.KnownUserMiddleware); then the
# list: its count and its rows (2), whatever the number of rows.
PER_REQUEST = 10
ROUNDS_QUERIES = PER_REQUEST + 2
REPORTS_QUERIES = PER_REQUEST + 2
# A body's user reads the archive of the bodies before its own (Agency.archive_ids): the
# user's body is kept with their roles on a session; a token loads it with the user.
ARCHIVE = {"noivu": 0, "chair_focal": 0}


@pytest.mark.parametrize("who", ["noivu", "chair_focal"])
def test_round_list_queries_are_constant(request, django_assert_num_queries, noivu, who):
    user = request.getfixturevalue(who)
    client = api(user)
    expected = ROUNDS_QUERIES + ARCHIVE[who]
    make_round(actor=noivu, codes=("STP",), year=2021)
    _count_queries(django_assert_num_queries, client, rounds_url(), 1, expected)
    make_round(actor=noivu, codes=("STP",), year=2022)
    make_round(actor=noivu, codes=("STP",), year=2023)
    _count_queries(django_assert_num_queries, client, rounds_url(), 3, expected)


@pytest.mark.parametrize("who", ["noivu", "chair_focal"])
def test_report_list_queries_are_constant(request, django_assert_num_queries, noivu, who):
    user = request.getfixturevalue(who)
    client = api(user)
    url = reverse("api:agency-report-list")
    first = make_round(actor=noivu, codes=("STP",), year=2021)
    submit(first, "STP")
    expected = REPORTS_QUERIES + ARCHIVE[who]
    _count_queries(django_assert_num_queries, client, url, 1, expected)
    make_round(actor=noivu, codes=("STP",), year=2022)
    make_round(actor=noivu, codes=("STP",), year=2023)
    _count_queries(django_assert_num_queries, client, url, 3, expected)
