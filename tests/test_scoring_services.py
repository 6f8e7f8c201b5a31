"""Scoring rules in the services: bounds and options, windows (nothing saved outside
them), the submission lock and evidence rule, appraisal, explanation, finalisation,
appeals and the history of every score change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from scoring import services
from scoring.models import Appeal, Assessment, Score
from scoring.services import ScoreEntry
from tests.scoring_factories import (
    CLOSED,
    assessment_of,
    build_period,
    criterion,
    participation,
    score,
    set_windows,
)

D = Decimal
PDF = b"%PDF-1.4\n% test\n"


@pytest.fixture
def period(noivu):
    return build_period(noivu)


@pytest.fixture
def stp(period, chair_focal):
    return assessment_of(period, "STP")


def entry(assessment, code, value, note="", na=False):
    return ScoreEntry(criterion(assessment, code).pk, None if value is None else D(value), note, na)


def fill(actor, assessment, **overrides):
    values = {"1.1": "4", "1.2": "5.5", "2.1": "14.5", "3": "5"}
    values.update(overrides)
    notes = {"2.1": "Theo số liệu"}
    services.score_self_assess(
        actor=actor,
        assessment=assessment,
        entries=[entry(assessment, c, v, notes.get(c, "")) for c, v in values.items()],
    )


def test_self_score_within_range_and_decimals_is_saved(stp, chair_focal):
    services.score_self_assess(
        actor=chair_focal, assessment=stp, entries=[entry(stp, "2.1", "14.5")]
    )
    assert score(stp, "2.1").self_score == D("14.5")


@pytest.mark.parametrize("value", ["14.51", "-1", "6.001"])
def test_self_score_out_of_bounds_is_refused_and_nothing_saved(stp, chair_focal, value):
    code = "1.2" if value == "6.001" else "2.1"
    with pytest.raises(ValidationError) as exc:
        services.score_self_assess(
            actor=chair_focal,
            assessment=stp,
            entries=[entry(stp, "3", "5"), entry(stp, code, value)],
        )
    assert code in str(exc.value)
    assert score(stp, "3").self_score is None  # the valid entry in the same batch is not saved


def test_options_criterion_accepts_only_listed_points(stp, chair_focal):
    with pytest.raises(ValidationError, match="không thuộc các mức"):
        services.score_self_assess(
            actor=chair_focal, assessment=stp, entries=[entry(stp, "1.1", "3")]
        )
    services.score_self_assess(actor=chair_focal, assessment=stp, entries=[entry(stp, "1.1", "2")])
    assert score(stp, "1.1").self_score == D("2")


def test_not_applicable_needs_a_reason(stp, chair_focal):
    with pytest.raises(ValidationError, match="không áp dụng"):
        services.score_self_assess(
            actor=chair_focal, assessment=stp, entries=[entry(stp, "1.2", None, na=True)]
        )
    services.score_self_assess(
        actor=chair_focal,
        assessment=stp,
        entries=[entry(stp, "1.2", None, "Không có TTHC", na=True)],
    )
    assert score(stp, "1.2").not_applicable is True


def test_other_body_cannot_self_assess(stp, contrib_focal):
    with pytest.raises(PermissionDenied):
        services.score_self_assess(
            actor=contrib_focal, assessment=stp, entries=[entry(stp, "3", "1")]
        )


@pytest.mark.parametrize("step,call", [("self", "self"), ("self", "submit")])
def test_closed_self_window_refuses_with_message_and_saves_nothing(
    period, stp, chair_focal, step, call
):
    fill(chair_focal, stp, **{"1.1": "4"})
    services.evidence_add(
        actor=chair_focal,
        assessment=stp,
        upload=SimpleUploadedFile("a.pdf", PDF),
        score_ids=[score(stp, "1.1").pk],
    )
    set_windows(period, self=CLOSED)
    stp.refresh_from_db()
    with pytest.raises(ValidationError, match="Ngoài thời hạn tự đánh giá"):
        if call == "self":
            services.score_self_assess(
                actor=chair_focal, assessment=stp, entries=[entry(stp, "3", "1")]
            )
        else:
            services.assessment_submit(actor=chair_focal, assessment=stp)
    stp.refresh_from_db()
    assert stp.status == Assessment.Status.DRAFT
    assert score(stp, "3").self_score == D("5")


def test_submit_requires_every_score_and_evidence_or_explanation(stp, chair_focal):
    fill(chair_focal, stp, **{"1.2": None})
    with pytest.raises(ValidationError) as exc:
        services.assessment_submit(actor=chair_focal, assessment=stp)
    messages = " ".join(exc.value.messages)
    assert "1.2 chưa có điểm" in messages
    assert "1.1 yêu cầu tài liệu kiểm chứng" in messages
    fill(chair_focal, stp)
    services.score_self_assess(
        actor=chair_focal, assessment=stp, entries=[entry(stp, "1.1", "4", "Văn bản đang trình ký")]
    )
    services.assessment_submit(actor=chair_focal, assessment=stp)
    stp.refresh_from_db()
    assert stp.status == Assessment.Status.SUBMITTED
    with pytest.raises(ValidationError):  # locked after submission
        services.score_self_assess(
            actor=chair_focal, assessment=stp, entries=[entry(stp, "3", "1")]
        )


def test_one_evidence_file_backs_several_criteria(stp, chair_focal):
    evidence = services.evidence_add(
        actor=chair_focal,
        assessment=stp,
        upload=SimpleUploadedFile("kh.pdf", PDF),
        score_ids=[score(stp, "1.1").pk, score(stp, "1.2").pk],
        document_number="15/KH-STP",
        section="Mục II",
    )
    assert {s.criterion.code for s in evidence.scores.select_related("criterion")} == {"1.1", "1.2"}


def test_computed_score_different_from_suggestion_needs_explanation(stp, chair_focal):
    # The service works the suggestion out itself: 1 of 2 items on time -> 14.5 / 2 = 7.25.
    participation("STP", role="chair", accepted_on=dt.date(2024, 3, 1))
    participation("STP", role="chair", accepted_on=dt.date(2024, 6, 1), late=True)
    crit = criterion(stp, "2.1")
    with pytest.raises(ValidationError, match="khác điểm gợi ý"):
        services.score_self_assess(
            actor=chair_focal, assessment=stp, entries=[ScoreEntry(crit.pk, D("14.5"))]
        )
    services.score_self_assess(
        actor=chair_focal, assessment=stp, entries=[ScoreEntry(crit.pk, D("7.25"))]
    )
    assert score(stp, "2.1").self_score == D("7.25")


def submitted(actor, assessment):
    fill(actor, assessment)
    services.score_self_assess(
        actor=actor, assessment=assessment, entries=[entry(assessment, "1.1", "4", "Lưu tại sở")]
    )
    services.assessment_submit(actor=actor, assessment=assessment)
    assessment.refresh_from_db()
    return assessment


def test_full_flow_appraisal_explanation_second_round_finalise_appeal(
    period, stp, chair_focal, noivu
):
    submitted(chair_focal, stp)
    with pytest.raises(ValidationError, match="ghi ý kiến"):
        services.score_appraise(actor=noivu, assessment=stp, entries=[entry(stp, "1.2", "3")])
    services.score_appraise(
        actor=noivu,
        assessment=stp,
        entries=[
            entry(stp, c, v, "Thiếu biên bản" if c == "1.2" else "")
            for c, v in {"1.1": "4", "1.2": "3", "2.1": "14.5", "3": "5"}.items()
        ],
    )
    services.assessment_appraisal_complete(actor=noivu, assessment=stp)
    services.assessment_explain(
        actor=chair_focal,
        assessment=stp,
        explanations={criterion(stp, "1.2").pk: "Đã bổ sung biên bản"},
        submit=True,
    )
    services.score_appraise(
        actor=noivu, assessment=stp, entries=[entry(stp, "1.2", "4.5", "Chấp nhận một phần")]
    )
    services.assessment_appraisal_complete(actor=noivu, assessment=stp)
    services.assessment_finalise(actor=noivu, assessment=stp)
    stp.refresh_from_db()
    assert stp.status == Assessment.Status.FINALISED
    assert score(stp, "1.2").final_score == D("4.5")
    assert score(stp, "3").final_score == D("5")

    appeal = services.appeal_submit(actor=chair_focal, score=score(stp, "1.2"), reason="Đủ hồ sơ")
    services.appeal_decide(
        actor=noivu, appeal=appeal, accept=True, decision="Đồng ý", new_score=D("5.5")
    )
    assert score(stp, "1.2").final_score == D("5.5")
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.ACCEPTED and appeal.decided_by == noivu


def test_appraisal_window_closed_saves_nothing(period, stp, chair_focal, noivu):
    submitted(chair_focal, stp)
    set_windows(period, appraisal=CLOSED)
    stp.refresh_from_db()
    with pytest.raises(ValidationError, match="Ngoài thời hạn thẩm định"):
        services.score_appraise(actor=noivu, assessment=stp, entries=[entry(stp, "3", "5")])
    assert score(stp, "3").appraised_score is None


def test_appeal_outside_window_is_refused(period, stp, chair_focal, noivu):
    submitted(chair_focal, stp)
    services.score_appraise(
        actor=noivu,
        assessment=stp,
        entries=[
            entry(stp, c, v) for c, v in {"1.1": "4", "1.2": "5.5", "2.1": "14.5", "3": "5"}.items()
        ],
    )
    services.assessment_appraisal_complete(actor=noivu, assessment=stp)
    services.assessment_finalise(actor=noivu, assessment=stp)
    set_windows(period, appeal=CLOSED)
    with pytest.raises(ValidationError, match="Ngoài thời hạn kiến nghị"):
        services.appeal_submit(actor=chair_focal, score=score(stp, "3"), reason="Xin xem lại")
    assert not Appeal.objects.exists()


def test_area_appraiser_only_scores_assigned_area(period, stp, chair_focal, noivu, council):
    submitted(chair_focal, stp)
    services.assignment_add(actor=noivu, period=period, user=council, area=criterion(stp, "1"))
    services.score_appraise(actor=council, assessment=stp, entries=[entry(stp, "1.2", "5.5")])
    with pytest.raises(ValidationError, match="không thuộc lĩnh vực"):
        services.score_appraise(actor=council, assessment=stp, entries=[entry(stp, "3", "5")])


def test_unassigned_council_member_cannot_appraise(stp, chair_focal, council):
    submitted(chair_focal, stp)
    with pytest.raises(PermissionDenied):
        services.score_appraise(actor=council, assessment=stp, entries=[entry(stp, "3", "5")])


def test_history_keeps_who_old_new_and_reason(stp, chair_focal, noivu):
    submitted(chair_focal, stp)
    services.score_appraise(
        actor=noivu, assessment=stp, entries=[entry(stp, "1.2", "3", "Thiếu biên bản")]
    )
    records = list(Score.history.filter(id=score(stp, "1.2").pk).order_by("history_date"))
    last, before = records[-1], records[-2]
    assert last.history_change_reason == "Thẩm định"
    assert (before.appraised_score, last.appraised_score) == (None, D("3"))
    assert last.self_score == D("5.5")
    assert Assessment.history.filter(
        id=stp.pk, history_change_reason="Gửi bản tự đánh giá"
    ).exists()


def test_history_user_recorded_through_the_page(stp, chair_focal):
    from tests.conftest import login

    client = login(chair_focal)
    crit = criterion(stp, "3")
    client.post(f"/scoring/assessments/{stp.pk}/save/", {f"score_{crit.pk}": "2,5"})
    record = Score.history.filter(id=score(stp, "3").pk).latest("history_date")
    assert record.self_score == D("2.5")
    assert record.history_user == chair_focal
    assert record.history_change_reason == "Tự đánh giá"


def test_period_create_refuses_unpublished_set(noivu):
    from scoring.models import CriteriaSet
    from tests.scoring_factories import build_set

    draft = build_set(status=CriteriaSet.Status.DRAFT)
    with pytest.raises(ValidationError, match="chưa được ban hành"):
        build_period(noivu, codes=("STP",), sets=(draft, None))


def test_stale_form_does_not_overwrite_someone_elses_change(stp, chair_focal):
    from tests.conftest import login

    crit = criterion(stp, "3")
    opened = score(stp, "3").version
    services.score_self_assess(actor=chair_focal, assessment=stp, entries=[entry(stp, "3", "4")])
    response = login(chair_focal).post(
        f"/scoring/assessments/{stp.pk}/save/", {f"score_{crit.pk}": "1", f"v_{crit.pk}": opened}
    )
    assert "vừa được người khác sửa" in response.content.decode()
    assert score(stp, "3").self_score == D("4")


def test_extending_a_closed_window_through_the_page_lets_the_step_through(
    period, stp, chair_focal, noivu
):
    from tests.conftest import login
    from tests.scoring_factories import windows

    set_windows(period, self=CLOSED)
    form = {"title": period.title, "bands-0-label": "A", "bands-0-from": "0", "bands-0-to": "100"}
    form.update({k: v.isoformat() for k, v in windows().items()})
    form["self_to"] = "2000-01-01"
    response = login(noivu).post(f"/scoring/periods/{period.pk}/edit/", form)
    assert "ngày kết thúc trước ngày bắt đầu" in response.content.decode()
    form["self_to"] = windows()["self_to"].isoformat()
    assert login(noivu).post(f"/scoring/periods/{period.pk}/edit/", form).status_code == 302
    stp.refresh_from_db()
    services.score_self_assess(actor=chair_focal, assessment=stp, entries=[entry(stp, "3", "1")])
    assert score(stp, "3").self_score == D("1")


def test_area_assignment_makes_assessments_of_that_set_visible_only(period, council, noivu):
    from scoring.models import Assessment as Model

    assert not Model.objects.visible_to(council).exists()
    stp = assessment_of(period, "STP")
    services.assignment_add(actor=noivu, period=period, user=council, area=criterion(stp, "1"))
    visible = set(Model.objects.visible_to(council).values_list("agency__code", flat=True))
    assert visible == {"STP", "STC"}  # the department set; Tuy Hòa uses the district set
