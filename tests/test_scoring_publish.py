"""Publishing a ranking: the province's own self-assessment never blocks it; bodies not
finalised are named and left out with a reason each (history, results page, PDF content,
Excel); publishing asks first, saying what will happen; refusals change nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from scoring import services
from scoring.documents import results_content
from scoring.exports import results_workbook
from scoring.models import Assessment, ScoringPeriod, Target
from scoring.selectors import period_results
from scoring.services import ScoreEntry
from tests.conftest import login
from tests.factories import agency
from tests.scoring_factories import (  # noqa: F401 - fast_passwords is an autouse fixture
    assessment_of,
    build_set,
    criterion,
    fast_passwords,
    windows,
)

D = Decimal
VALUES = {"1.1": "4", "1.2": "5.5", "2.1": "14.5", "3": "5"}
PUBLISH_PAGE_QUERIES = 8  # with the data version and the kept roles (issue 14)
REASON = "Chưa hoàn thành thẩm định lại do thay đổi nhân sự"


def finalise(assessment: Assessment, focal, noivu) -> None:
    entries = [
        ScoreEntry(criterion(assessment, c).pk, D(v), "Ghi chú" if c == "1.1" else "")
        for c, v in VALUES.items()
    ]
    services.assessment_submit(actor=focal, assessment=assessment, entries=entries)
    services.assessment_appraisal_complete(
        actor=noivu,
        assessment=assessment,
        entries=[ScoreEntry(e.criterion_id, e.value) for e in entries],
    )
    services.assessment_finalise(actor=noivu, assessment=assessment)


@pytest.fixture
def period(noivu):
    """STP and STC assessed, with the province's self-assessment (Sở Nội vụ's, in draft)."""
    return services.period_create(
        actor=noivu,
        year=2024,
        title="Đợt chấm điểm 2024",
        windows=windows(),
        agencies=[agency("STP"), agency("STC")],
        department_set=build_set(),
        district_set=build_set(target=Target.DISTRICT),
        province_set=build_set(target=Target.PROVINCE),
    )


@pytest.fixture
def stp_final(period, chair_focal, noivu):
    stp = assessment_of(period, "STP")
    finalise(stp, chair_focal, noivu)
    return stp


def publish_url(period) -> str:
    return reverse("period_publish", args=[period.pk])


def reason_field(period, code: str) -> str:
    return f"reason_{assessment_of(period, code).pk}"


def state(period) -> tuple:
    period.refresh_from_db()
    return (
        period.published_at,
        tuple(period.assessments.order_by("pk").values_list("ranking_excluded_reason")),
        ScoringPeriod.history.count(),
        Assessment.history.count(),
    )


@pytest.mark.django_db
def test_the_province_self_assessment_never_blocks_the_ranking(period, stp_final, noivu):
    stc = assessment_of(period, "STC")
    finalise(stc, login_user(stc), noivu)
    province = period.assessments.get(criteria_set__target=Target.PROVINCE)
    assert province.status == Assessment.Status.DRAFT
    page = login(noivu).get(publish_url(period)).content.decode()
    assert "Mọi cơ quan được xếp hạng đã chốt kết quả" in page
    assert "reason_" not in page
    response = login(noivu).post(publish_url(period), {"confirmed": "1"})
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.is_published
    assert ScoringPeriod.history.latest("history_date").history_change_reason == "Công bố kết quả"


def login_user(assessment):
    from agencies import roles
    from tests.factories import UserFactory

    return UserFactory(
        username=f"f_{assessment.agency.code.lower()}",
        agency=assessment.agency,
        roles=[roles.FOCAL_OFFICER],
    )


@pytest.mark.django_db
def test_publish_page_names_each_body_not_finalised_and_asks_a_reason(period, stp_final, noivu):
    page = login(noivu).get(publish_url(period)).content.decode()
    assert "1 cơ quan chưa chốt kết quả" in page
    assert f'name="{reason_field(period, "STC")}"' in page
    assert "Sở Tài chính" in page and "Đang tự đánh giá" in page
    assert f'name="{reason_field(period, "STP")}"' not in page  # finalised
    assert page.count('name="reason_') == 1  # not the province's either


@pytest.mark.django_db
def test_publishing_without_a_reason_is_refused_naming_the_body_and_changes_nothing(
    period, stp_final, noivu
):
    before = state(period)
    response = login(noivu).post(publish_url(period), {"confirmed": "1"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Sở Tài chính chưa chốt kết quả: hãy ghi lý do không xếp hạng." in page
    assert state(period) == before


@pytest.mark.django_db
def test_a_reason_with_control_characters_is_refused_and_kept_on_screen(period, stp_final, noivu):
    before = state(period)
    data = {reason_field(period, "STC"): "Lý do\x00", "confirmed": "1"}
    response = login(noivu).post(publish_url(period), data)
    assert response.status_code == 200
    assert state(period) == before


@pytest.mark.django_db
def test_publishing_asks_first_saying_what_will_happen_and_changes_nothing(
    period, stp_final, noivu
):
    before = state(period)
    data = {reason_field(period, "STC"): REASON}
    response = login(noivu).post(publish_url(period), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Công bố kết quả Đợt chấm điểm 2024?" in page
    assert "Mọi cơ quan trong đợt thấy toàn bộ bảng xếp hạng" in page
    assert f"Sở Tài chính không được xếp hạng, ghi “không xếp hạng: {REASON}”" in page
    assert "Bản tự chấm điểm của tỉnh không xếp hạng cùng các cơ quan." in page
    assert 'name="confirmed" value="1"' in page and REASON in page  # re-posts the reason
    assert state(period) == before


@pytest.mark.django_db
def test_confirmed_publication_records_the_reason_and_every_channel_shows_it(
    period, stp_final, noivu
):
    data = {reason_field(period, "STC"): f"  {REASON}  ", "confirmed": "1"}
    response = login(noivu).post(publish_url(period), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("period_results", args=[period.pk])
    period.refresh_from_db()
    assert period.is_published
    stc = assessment_of(period, "STC")
    assert stc.ranking_excluded_reason == REASON
    record = stc.history.latest("history_date")
    assert record.history_user == noivu
    assert record.history_change_reason == f"Không xếp hạng khi công bố kết quả: {REASON}"
    step = ScoringPeriod.history.latest("history_date")
    assert step.history_change_reason.startswith("Công bố kết quả; không xếp hạng:")
    assert stc.agency.short_name in step.history_change_reason
    # The ranking: STP ranked, STC left out with its reason.
    rows = {r.assessment.agency.code: r for g in period_results(period, noivu)["groups"]
            for r in g["rows"]}  # fmt: skip
    assert rows["STP"].rank == 1 and rows["STC"].rank is None
    assert rows["STC"].index is None and rows["STC"].excluded == REASON
    # Results page, results document content, Excel export.
    page = login(noivu).get(reverse("period_results", args=[period.pk])).content.decode()
    assert f"không xếp hạng: {REASON}" in page
    content = results_content(period, noivu)
    bands = [r["band"] for g in content["groups"] for r in g["rows"]]
    assert f"không xếp hạng: {REASON}" in bands
    sheet = load_workbook(io.BytesIO(results_workbook(period, period_results(period, noivu))))
    cells = [c.value for ws in sheet.worksheets for row in ws.iter_rows() for c in row]
    assert f"không xếp hạng: {REASON}" in cells
    # The body itself sees why on its assessment page.
    stc_page = login(login_user(stc)).get(reverse("assessment_detail", args=[stc.pk]))
    assert f"Không xếp hạng: {REASON}" in stc_page.content.decode()


@pytest.mark.django_db
def test_a_published_period_is_not_published_again(period, stp_final, noivu):
    data = {reason_field(period, "STC"): REASON, "confirmed": "1"}
    login(noivu).post(publish_url(period), data)
    before = state(period)
    response = login(noivu).post(publish_url(period), data)
    assert response.status_code == 302
    assert state(period) == before
    with pytest.raises(Exception, match="đã được công bố"):
        services.period_publish(actor=noivu, period=period, exclusions={})


@pytest.mark.django_db
@pytest.mark.parametrize("member", ["leader", "council", "chair_focal", "contrib_focal"])
def test_only_a_noivu_officer_may_publish(request, period, stp_final, member):
    before = state(period)
    client = login(request.getfixturevalue(member))
    data = {reason_field(period, "STC"): REASON, "confirmed": "1"}
    assert client.get(publish_url(period)).status_code == 403
    assert client.post(publish_url(period), data).status_code == 403
    assert state(period) == before


@pytest.mark.django_db
def test_publish_page_queries_do_not_grow_with_the_bodies_left_out(
    noivu, django_assert_num_queries
):
    counts = []
    for codes in (("STP",), ("STP", "STC", "SYT", "SKHCN", "TUYHOA")):
        period = services.period_create(
            actor=noivu,
            year=2024,
            title=f"Đợt {len(codes)}",
            windows=windows(),
            agencies=[agency(c) for c in codes],
            department_set=build_set(),
            district_set=build_set(target=Target.DISTRICT),
        )
        client = login(noivu)
        client.get(publish_url(period))  # session and caches warm
        with CaptureQueriesContext(connection) as queries:
            assert client.get(publish_url(period)).status_code == 200
        counts.append(len(queries))
    # session, user, period, the bodies left out (with their agencies), messages …
    assert counts == [PUBLISH_PAGE_QUERIES, PUBLISH_PAGE_QUERIES]
    with django_assert_num_queries(PUBLISH_PAGE_QUERIES):
        client.get(publish_url(period))
