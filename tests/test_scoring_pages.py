"""The issue's check, as users do it through the pages: Sở Tư pháp self-assesses with
evidence and submits; the council member appraises lower with a comment; Sở Tư pháp
explains; second appraisal; finalisation; the result, rank and band are right by hand;
Tuy Hòa cannot see Sở Tư pháp's assessment before publication."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from scoring import demo, services
from scoring.models import Assessment, Evidence
from tests.conftest import form_token, login
from tests.scoring_factories import (  # noqa: F401 - fast_passwords is an autouse fixture
    CLOSED,
    assessment_of,
    build_period,
    criterion,
    fast_passwords,
    score,
    set_windows,
)

D = Decimal
PDF = b"%PDF-1.4\n% test\n"


def sheet_post(assessment, values: dict, notes: dict | None = None, prefix="score"):
    data = {}
    for code, value in values.items():
        pk = criterion(assessment, code).pk
        data[f"{prefix}_{pk}"] = value
        data[f"note_{pk}"] = (notes or {}).get(code, "")
    return data


@pytest.mark.django_db
def test_journey_self_assess_appraise_explain_finalise_rank(
    noivu, council, chair_focal, district_focal
):
    period = build_period(noivu, codes=("STP", "STC", "TUYHOA"))
    stp = assessment_of(period, "STP")
    services.assignment_add(actor=noivu, period=period, user=council, assessment=stp)
    focal, member = login(chair_focal), login(council)
    base = f"/scoring/assessments/{stp.pk}"

    # Self-assessment: an out-of-range value is refused, nothing saved, input kept.
    response = focal.post(f"{base}/save/", sheet_post(stp, {"1.2": "7", "3": "5"}))
    assert response.status_code == 200
    assert "nằm ngoài khoảng" in response.content.decode()
    assert score(stp, "3").self_score is None
    values = {"1.1": "4", "1.2": "6", "2.1": "14,5", "3": "5.5"}
    response = focal.post(f"{base}/save/", sheet_post(stp, values, {"2.1": "Theo số liệu"}))
    assert response.status_code == 302
    focal.post(
        f"{base}/evidence/",
        {
            "file": SimpleUploadedFile("kh.pdf", PDF),
            "document_number": "15/KH-STP",
            "document_date": "2024-01-10",
            "section": "Mục II",
            "scores": [score(stp, "1.1").pk, score(stp, "1.2").pk],
            "once": form_token(focal.get(f"{base}/")),
        },
    )
    assert Evidence.objects.get().scores.count() == 2
    assert focal.post(f"{base}/submit/", {"confirmed": "1"}).status_code == 302
    stp.refresh_from_db()
    assert stp.status == Assessment.Status.SUBMITTED

    # Tuy Hòa cannot see it before publication.
    assert login(district_focal).get(f"{base}/").status_code == 404

    # Appraisal: lower score needs a comment; the difference stands out.
    all_values = {"1.1": "4", "1.2": "6", "2.1": "14.5", "3": "5.5"}
    lower = {**all_values, "1.2": "3"}
    response = member.post(f"{base}/appraise/", sheet_post(stp, lower))
    assert "hãy ghi ý kiến" in response.content.decode()
    member.post(f"{base}/appraise/", sheet_post(stp, lower, {"1.2": "Thiếu biên bản kiểm tra"}))
    assert score(stp, "1.2").appraised_score == D("3")
    page = member.get(f"{base}/appraise/").content.decode()
    assert "khác điểm tự chấm" in page
    member.post(f"{base}/appraisal-complete/")

    # Explanation round, second appraisal, finalisation.
    pk12 = criterion(stp, "1.2").pk
    focal.post(
        f"{base}/explain/", {f"explanation_{pk12}": "Đã bổ sung biên bản", "action": "submit"}
    )
    stp.refresh_from_db()
    assert stp.status == Assessment.Status.EXPLANATION
    member.post(f"{base}/appraise/", sheet_post(stp, {"1.2": "4.5"}, {"1.2": "Chấp nhận một phần"}))
    member.post(f"{base}/appraisal-complete/")
    login(noivu).post(f"{base}/finalise/", {"confirmed": "1"})
    stp.refresh_from_db()
    assert stp.status == Assessment.Status.FINALISED
    # By hand: 4 + 4.5 + 14.5 + 5.5 = 28.5 of 30 = 95 % -> A, first among departments.
    response = login(noivu).get(f"/scoring/periods/{period.pk}/results/")
    rows = response.context["groups"][0]["rows"]
    assert rows[0].assessment.agency.code == "STP"
    assert (rows[0].totals.achieved, rows[0].index, rows[0].rank, rows[0].band) == (
        D("28.5"),
        D("95.00"),
        1,
        "A",
    )
    history = focal.get(f"{base}/history/").content.decode()
    assert "Thiếu biên bản kiểm tra" in history or "Thẩm định" in history


@pytest.mark.django_db
def test_window_closed_page_shows_message_and_saves_nothing(noivu, chair_focal):
    period = build_period(noivu, codes=("STP",))
    set_windows(period, self=CLOSED)
    stp = assessment_of(period, "STP")
    response = login(chair_focal).post(
        f"/scoring/assessments/{stp.pk}/save/", sheet_post(stp, {"3": "5"})
    )
    assert "Ngoài thời hạn tự đánh giá" in response.content.decode()
    assert score(stp, "3").self_score is None


def test_export_neutralises_formula_injection():
    from agencies.spreadsheets import FORMULA_STARTS, safe_cell

    # Kept as typed: the writer makes such text a quote-prefixed text cell.
    assert safe_cell("=HYPERLINK(1)") == "=HYPERLINK(1)" and "=" in FORMULA_STARTS
    assert safe_cell("Sở Tư pháp") == "Sở Tư pháp" and safe_cell(5) == 5


@pytest.mark.django_db
def test_results_export_is_a_workbook(noivu):
    import io

    from tests.reports_factories import fetch_document

    period = build_period(noivu, codes=("STP", "TUYHOA"))
    response = fetch_document(login(noivu), f"/scoring/periods/{period.pk}/results.xlsx")
    workbook = load_workbook(io.BytesIO(response.data))
    assert len(workbook.worksheets) == 2
    assert workbook.worksheets[0]["B3"].value == "Sở Tư pháp"


class _Quiet:
    def write(self, *args, **kwargs):
        pass


@pytest.mark.django_db
def test_demo_seed_is_idempotent_and_labelled_illustrative():
    from agencies.demo import seed_users
    from agencies.models import User
    from scoring.models import CriteriaSet, ScoringPeriod
    from scoring.selectors import period_results

    seed_users(password="Mat-khau-thu-nghiem-2024")
    demo.seed(password="x", stdout=_Quiet())
    demo.seed(password="x", stdout=_Quiet())
    assert ScoringPeriod.objects.count() == 2
    sets = CriteriaSet.objects.all()
    assert {s.is_illustrative for s in sets if s.target != "province"} == {True}
    province = sets.get(target="province", year=2024)
    assert province.criteria.count() == 8 and province.criteria.filter(depth=1).count() == 8
    # Last year: published, every body finalised, labelled illustrative.
    previous = ScoringPeriod.objects.get(year=2023)
    assert previous.is_published and "minh họa" in previous.title
    assert set(previous.assessments.values_list("status", flat=True)) == {"finalised"}
    # … the province's own self-assessment too (not ranked, no coordination item).
    past_province = previous.assessments.get(criteria_set__target="province")
    assert past_province.agency.code == "SNV" and past_province.coordination_task is None
    period = ScoringPeriod.objects.get(year=2024)
    statuses = dict(period.assessments.values_list("agency__code", "status"))
    assert statuses["STP"] == "submitted" and statuses["TUYHOA"] == "draft"
    stp = period.assessments.get(agency__code="STP")
    assert stp.scores.filter(appraised_score__isnull=False).count() == 1
    assert period.assignments.filter(user__username="hoidong", assessment=stp).exists()
    stp_user = stp.agency.users.get(username="stp")
    page = login(stp_user).get(f"/scoring/assessments/{stp.pk}/")
    assert "minh họa" in page.content.decode()
    # The province's self-scoring: areas-only set, Sở Tư pháp enters area 2.
    province = period.assessments.get(criteria_set__target="province")
    assert province.coordination_task.category == "province_scoring"
    page = login(stp_user).get(f"/scoring/assessments/{province.pk}/").content.decode()
    area_2 = province.scores.get(criterion__code="2")
    assert f'name="score_{area_2.criterion_id}"' in page and page.count('name="score_') == 1
    # This year against last year: the results compare with the published 2023 period.
    noivu = User.objects.get(username="noivu")
    results = period_results(period, noivu)
    assert results["previous"] == previous
    rows = {r.assessment.agency.code: r for g in results["groups"] for r in g["rows"]}
    assert rows["STC"].change is not None and rows["SONGCAU"].change is not None
    assert rows["STP"].previous_index is None  # one assessment per body in the demo pages


# --- The council member's appraisal work ---------------------------------------------


def _submit(assessment, focal):
    values = {"1.1": "4", "1.2": "6", "2.1": "14.5", "3": "5"}
    entries = [
        services.ScoreEntry(criterion(assessment, c).pk, D(v), "Ghi chú" if c == "1.1" else "")
        for c, v in values.items()
    ]
    services.assessment_submit(actor=focal, assessment=assessment, entries=entries)


@pytest.mark.django_db
def test_a_link_to_an_assessment_not_yet_open_for_appraisal_says_so(noivu, council, chair_focal):
    period = build_period(noivu, codes=("STP",))
    stp = assessment_of(period, "STP")
    services.assignment_add(actor=noivu, period=period, user=council, assessment=stp)
    client = login(council)
    response = client.get(f"/scoring/assessments/{stp.pk}/appraise/")
    assert response.status_code == 302
    assert response["Location"] == f"/scoring/assessments/{stp.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "chưa đến bước thẩm định" in page
    assert "không được phép" not in page
    # Her scoring page lists it without a link she cannot use yet.
    home = client.get("/scoring/").content.decode()
    assert "Chưa đến bước thẩm định: cơ quan chưa gửi bản tự đánh giá." in home
    assert f"/scoring/assessments/{stp.pk}/appraise/" not in home
    # Once sent, the link is there and the page opens.
    _submit(stp, chair_focal)
    home = client.get("/scoring/").content.decode()
    assert f"/scoring/assessments/{stp.pk}/appraise/" in home
    assert client.get(f"/scoring/assessments/{stp.pk}/appraise/").status_code == 200


@pytest.mark.django_db
def test_appraisal_work_lists_her_assessments_those_she_can_act_on_first(
    noivu, council, chair_focal, django_assert_num_queries
):
    from scoring.selectors import appraisal_work

    period = build_period(noivu, codes=("STP", "STC", "TUYHOA"))
    stp, stc = assessment_of(period, "STP"), assessment_of(period, "STC")
    services.assignment_add(actor=noivu, period=period, user=council, assessment=stc)
    services.assignment_add(
        actor=noivu, period=period, user=council, area=criterion(stp, "1")
    )  # area 1 of the department set: STP and STC
    _submit(stp, chair_focal)
    with django_assert_num_queries(2):
        work = appraisal_work(council)
    by_code = {w.assessment.agency.code: w for w in work}
    assert set(by_code) == {"STP", "STC"}  # not Tuy Hòa (district set)
    assert work[0].assessment == stp and work[0].can_act
    assert [a.code for a in by_code["STP"].areas] == ["1"]
    assert by_code["STC"].areas == [] and not by_code["STC"].can_act
    assert "chưa đến bước thẩm định" in by_code["STC"].note.lower()
    assert appraisal_work(chair_focal) == []


@pytest.mark.django_db
def test_appraisal_work_says_when_the_window_is_closed(noivu, council, chair_focal):
    from scoring.selectors import appraisal_work

    period = build_period(noivu, codes=("STP",))
    stp = assessment_of(period, "STP")
    services.assignment_add(actor=noivu, period=period, user=council, assessment=stp)
    _submit(stp, chair_focal)
    set_windows(period, appraisal=CLOSED)
    (work,) = appraisal_work(council)
    assert not work.can_act and "ngoài thời hạn" in work.note
