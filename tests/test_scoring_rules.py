"""One rule, one place (scoring): a button submits what is on screen, in one transaction;
computed criteria count only what was due by the period's cut-off; every record that
decides an outcome keeps its history with the acting user and a reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from coordination.models import Participation, Task
from scoring import computed, selectors, services
from scoring.models import (
    AppraiserAssignment,
    Assessment,
    CriteriaSet,
    Criterion,
    Score,
    ScoringPeriod,
    Target,
)
from tests.conftest import login
from tests.factories import agency
from tests.scoring_factories import assessment_of, build_period, build_set, criterion, score

D = Decimal

# Five leaves: 1.1 (options), 1.2, 2.1 (computed), 3.1, 3.2; 30 points in all.
RULES_TREE = [
    ("1", "10", "range", [], False, ""),
    ("1.1", "4", "options", [("Kịp thời", "4"), ("Chậm", "2"), ("Không", "0")], False, ""),
    ("1.2", "6", "range", [], False, ""),
    ("2", "14.5", "range", [], False, ""),
    ("2.1", "14.5", "computed", [], False, "tasks_on_time"),
    ("3", "5.5", "range", [], False, ""),
    ("3.1", "2.5", "range", [], False, ""),
    ("3.2", "3", "range", [], False, ""),
]
TYPED = {"1.1": "4", "1.2": "5,5", "2.1": "12", "3.1": "2", "3.2": "2.75"}
SAVED = {"1.1": D("4"), "1.2": D("5.5"), "2.1": D("12"), "3.1": D("2"), "3.2": D("2.75")}


@pytest.fixture
def period(noivu):
    sets = (build_set(RULES_TREE), build_set(RULES_TREE, target=Target.DISTRICT))
    return build_period(noivu, codes=("STC", "STP"), sets=sets)


@pytest.fixture
def stc(period):
    return assessment_of(period, "STC")


def sheet(assessment, values: dict, notes: dict | None = None) -> dict:
    data = {}
    for code, value in values.items():
        pk = criterion(assessment, code).pk
        data[f"score_{pk}"] = value
        data[f"note_{pk}"] = (notes or {}).get(code, "")
    return data


def self_scores(assessment) -> dict:
    return {s.criterion.code: s.self_score for s in assessment.scores.select_related("criterion")}


def history_count() -> int:
    return sum(
        model.history.count()
        for model in (ScoringPeriod, AppraiserAssignment, CriteriaSet, Criterion, Assessment, Score)
    )


# --- A button submits what is on screen -------------------------------------------------


@pytest.mark.django_db
def test_submit_without_saving_first_keeps_all_five_typed_scores(stc, contrib_focal):
    response = login(contrib_focal).post(
        f"/scoring/assessments/{stc.pk}/submit/",
        {**sheet(stc, TYPED, {"2.1": "Theo số liệu"}), "confirmed": "1"},
    )
    assert response.status_code == 302
    stc.refresh_from_db()
    assert stc.status == Assessment.Status.SUBMITTED
    assert self_scores(stc) == SAVED
    record = Score.history.filter(id=score(stc, "3.2").pk).latest("history_date")
    assert (record.history_user, record.history_change_reason) == (contrib_focal, "Tự đánh giá")
    step = stc.history.latest("history_date")
    assert (step.history_user, step.history_change_reason) == (contrib_focal, "Gửi bản tự đánh giá")


@pytest.mark.django_db
def test_submit_with_an_invalid_value_saves_nothing_and_shows_what_was_typed(stc, contrib_focal):
    before = history_count()
    typed = {**TYPED, "1.2": "7"}
    response = login(contrib_focal).post(
        f"/scoring/assessments/{stc.pk}/submit/", {**sheet(stc, typed), "confirmed": "1"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Chưa lưu được, không có thay đổi nào" in page and "nằm ngoài khoảng" in page
    assert 'value="7"' in page and 'value="2.75"' in page  # the typed values, re-shown
    stc.refresh_from_db()
    assert stc.status == Assessment.Status.DRAFT
    assert set(self_scores(stc).values()) == {None}
    assert history_count() == before


@pytest.mark.django_db
def test_submit_refused_for_a_missing_score_rolls_back_the_typed_ones(stc, contrib_focal):
    before = history_count()
    typed = {k: v for k, v in TYPED.items() if k != "3.2"}
    response = login(contrib_focal).post(
        f"/scoring/assessments/{stc.pk}/submit/", {**sheet(stc, typed), "confirmed": "1"}
    )
    assert response.status_code == 200
    assert "3.2 chưa có điểm" in response.content.decode()
    assert set(self_scores(stc).values()) == {None}
    assert Assessment.objects.get(pk=stc.pk).status == Assessment.Status.DRAFT
    assert history_count() == before


@pytest.mark.django_db
def test_computed_rule_is_the_services_own_whatever_the_view_passes(stc, contrib_focal):
    # 1 of 2 items on time -> suggestion 14.5 / 2 = 7.25; 12 without a reason is refused.
    for due, late in ((dt.date(2024, 3, 1), False), (dt.date(2024, 5, 1), True)):
        _item("STC", due=due, status=Participation.Status.ACCEPTED, late=late)
    with pytest.raises(ValidationError, match="khác điểm gợi ý 7,25"):
        services.assessment_submit(
            actor=contrib_focal,
            assessment=stc,
            entries=[services.ScoreEntry(criterion(stc, "2.1").pk, D("12"))],
        )
    response = login(contrib_focal).post(
        f"/scoring/assessments/{stc.pk}/submit/", {**sheet(stc, TYPED), "confirmed": "1"}
    )
    assert response.status_code == 200 and "khác điểm gợi ý" in response.content.decode()
    assert set(self_scores(stc).values()) == {None}


@pytest.mark.django_db
def test_appraisal_complete_keeps_the_typed_appraisal(stc, contrib_focal, noivu):
    services.assessment_submit(
        actor=contrib_focal,
        assessment=stc,
        entries=[
            services.ScoreEntry(criterion(stc, c).pk, v, "Theo số liệu") for c, v in SAVED.items()
        ],
    )
    client, url = login(noivu), f"/scoring/assessments/{stc.pk}/appraisal-complete/"
    typed = {**TYPED, "3.2": "1.5"}
    before = history_count()
    response = client.post(url, sheet(stc, {**typed, "3.1": ""}, {"3.2": "Thiếu biên bản"}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Còn tiêu chí chưa thẩm định: 3.1" in page and 'value="1.5"' in page
    assert history_count() == before
    response = client.post(url, sheet(stc, typed, {"3.2": "Thiếu biên bản"}))
    assert response.status_code == 302
    stc.refresh_from_db()
    assert stc.status == Assessment.Status.APPRAISED
    appraised = {
        s.criterion.code: s.appraised_score for s in stc.scores.select_related("criterion")
    }
    assert appraised == {**SAVED, "3.2": D("1.5")}
    assert score(stc, "3.2").appraisal_note == "Thiếu biên bản"


@pytest.mark.django_db
def test_refused_explanation_saves_nothing_and_keeps_the_text(stc, contrib_focal, noivu):
    entries = [services.ScoreEntry(criterion(stc, c).pk, v, "x") for c, v in SAVED.items()]
    services.assessment_submit(actor=contrib_focal, assessment=stc, entries=entries)
    services.assessment_appraisal_complete(actor=noivu, assessment=stc, entries=entries)
    pk11, pk12 = criterion(stc, "1.1").pk, criterion(stc, "1.2").pk
    data = {f"explanation_{pk11}": "Đã bổ sung", f"explanation_{pk12}": "y" * 5001}
    response = login(contrib_focal).post(
        f"/scoring/assessments/{stc.pk}/explain/", {**data, "action": "submit"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "dài quá 5000 ký tự" in page and "Đã bổ sung" in page
    assert score(stc, "1.1").explanation == ""
    assert Assessment.objects.get(pk=stc.pk).status == Assessment.Status.APPRAISED


@pytest.mark.django_db
def test_explanation_message_says_saved_or_sent_by_the_button_pressed(stc, contrib_focal, noivu):
    entries = [services.ScoreEntry(criterion(stc, c).pk, v, "x") for c, v in SAVED.items()]
    services.assessment_submit(actor=contrib_focal, assessment=stc, entries=entries)
    services.assessment_appraisal_complete(actor=noivu, assessment=stc, entries=entries)
    client, url = login(contrib_focal), f"/scoring/assessments/{stc.pk}/explain/"
    data = {f"explanation_{criterion(stc, '1.2').pk}": "Đã bổ sung biên bản"}
    page = client.post(url, {**data, "action": "save"}, follow=True).content.decode()
    assert "Đã lưu giải trình." in page and "Đã gửi giải trình." not in page
    assert Assessment.objects.get(pk=stc.pk).status == Assessment.Status.APPRAISED
    page = client.post(url, {**data, "action": "submit"}, follow=True).content.decode()
    assert "Đã gửi giải trình." in page and "Đã lưu giải trình." not in page
    assert Assessment.objects.get(pk=stc.pk).status == Assessment.Status.EXPLANATION


# --- Irreversible acts ask first, saying what will happen ----------------------------


@pytest.mark.django_db
def test_submit_without_confirmation_changes_nothing_and_says_what_will_happen(stc, contrib_focal):
    before = history_count()
    response = login(contrib_focal).post(
        f"/scoring/assessments/{stc.pk}/submit/", sheet(stc, TYPED, {"2.1": "Theo số liệu"})
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Gửi bản tự đánh giá của Sở Tài chính?" in page
    assert "Sau khi gửi, cơ quan không sửa được điểm tự chấm" in page
    assert "đang hiện trên trang được lưu và gửi" in page
    # The confirm page re-posts what was typed, so confirming submits exactly that.
    assert 'name="confirmed" value="1"' in page and 'value="5,5"' in page
    assert history_count() == before
    assert Assessment.objects.get(pk=stc.pk).status == Assessment.Status.DRAFT
    assert set(self_scores(stc).values()) == {None}


@pytest.mark.django_db
def test_the_sheet_marks_submit_and_finalise_to_ask_in_the_browser(stc, contrib_focal, noivu):
    page = login(contrib_focal).get(f"/scoring/assessments/{stc.pk}/").content.decode()
    assert 'data-confirm="Gửi bản tự đánh giá của Sở Tài chính?"' in page
    entries = [services.ScoreEntry(criterion(stc, c).pk, v, "x") for c, v in SAVED.items()]
    services.assessment_submit(actor=contrib_focal, assessment=stc, entries=entries)
    services.assessment_appraisal_complete(actor=noivu, assessment=stc, entries=entries)
    page = login(noivu).get(f"/scoring/assessments/{stc.pk}/").content.decode()
    assert 'data-confirm="Chốt kết quả của Sở Tài chính?"' in page


@pytest.mark.django_db
def test_finalise_asks_first_then_fixes_the_final_scores(stc, contrib_focal, noivu):
    entries = [services.ScoreEntry(criterion(stc, c).pk, v, "x") for c, v in SAVED.items()]
    services.assessment_submit(actor=contrib_focal, assessment=stc, entries=entries)
    services.assessment_appraisal_complete(actor=noivu, assessment=stc, entries=entries)
    url = f"/scoring/assessments/{stc.pk}/finalise/"
    before = history_count()
    response = login(noivu).post(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Chốt kết quả của Sở Tài chính?" in page
    assert "Điểm chính thức của từng tiêu chí được chốt" in page
    assert "Cơ quan chỉ còn kiến nghị được, từ" in page
    assert history_count() == before
    assert Assessment.objects.get(pk=stc.pk).status == Assessment.Status.APPRAISED
    assert login(noivu).post(url, {"confirmed": "1"}).status_code == 302
    assert Assessment.objects.get(pk=stc.pk).status == Assessment.Status.FINALISED
    assert score(stc, "3.2").final_score == D("2.75")


@pytest.mark.django_db
def test_a_refused_submit_asks_nothing_and_says_what_is_wrong(stc, contrib_focal):
    typed = {**TYPED, "1.2": "abc"}
    response = login(contrib_focal).post(
        f"/scoring/assessments/{stc.pk}/submit/", sheet(stc, typed)
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Chưa lưu được" in page
    assert 'name="confirmed"' not in page


# --- Computed criteria: only what was due by the cut-off -----------------------------


def _item(code, *, due, status, late=False, task_status=Task.Status.IN_PROGRESS, sent=None):
    task = Task.objects.create(
        title="Nhiệm vụ thử nghiệm",
        category="plan",
        chair_agency=agency("SNV"),
        tracking_agency=agency("VPUBND"),
        due_date=due,
        status=task_status,
    )
    return Participation.objects.create(
        task=task,
        agency=agency(code),
        role=Participation.Role.CONTRIBUTE,
        status=status,
        accepted_late=late,
        submitted_at=timezone.make_aware(dt.datetime.combine(sent, dt.time(9))) if sent else None,
    )


def test_cutoff_is_the_earlier_of_year_end_and_the_self_assessment_deadline():
    assert ScoringPeriod(year=2024, self_to=dt.date(2025, 1, 15)).cutoff == dt.date(2024, 12, 31)
    assert ScoringPeriod(year=2024, self_to=dt.date(2024, 6, 30)).cutoff == dt.date(2024, 6, 30)


@pytest.mark.django_db
def test_computed_criterion_ignores_what_is_not_yet_due_by_the_cutoff(stc):
    ScoringPeriod.objects.filter(pk=stc.period_id).update(self_to=dt.date(2024, 6, 30))
    stc = assessment_of(stc.period, "STC")
    s = Participation.Status
    _item("STC", due=dt.date(2024, 3, 1), status=s.ACCEPTED)  # done on time
    _item("STC", due=dt.date(2024, 5, 1), status=s.ACCEPTED, late=True)  # done late
    _item("STC", due=dt.date(2024, 4, 10), status=s.SUBMITTED, sent=dt.date(2024, 4, 1))  # in time
    _item("STC", due=dt.date(2024, 6, 15), status=s.PENDING)  # overdue: counts against
    _item("STC", due=dt.date(2024, 9, 1), status=s.PENDING)  # due after the cut-off
    _item("STC", due=dt.date(2024, 12, 1), status=s.ACCEPTED)  # due after the cut-off
    _item("STC", due=dt.date(2023, 12, 1), status=s.ACCEPTED)  # other year
    _item("STC", due=dt.date(2024, 2, 1), status=s.PENDING, task_status=Task.Status.CANCELLED)
    crit = criterion(stc, "2.1")
    suggestion = selectors.computed_suggestions(stc, [crit])[crit.pk]
    assert (suggestion.on_time, suggestion.total) == (2, 4)
    assert suggestion.score == D("7.25")


@pytest.mark.django_db
def test_other_sources_come_from_the_registry_over_the_period_to_its_cutoff(stc, monkeypatch):
    crit = criterion(stc, "2.1")
    Criterion.objects.filter(pk=crit.pk).update(computed_source="reports_on_time")
    crit.refresh_from_db()
    monkeypatch.delitem(computed._SOURCES, "reports_on_time", raising=False)
    assert selectors.computed_suggestions(stc, [crit])[crit.pk].label == "unavailable"
    calls = []

    def rounds(*, agency_id, date_from, date_to):
        calls.append((agency_id, date_from, date_to))
        return 3, 4

    monkeypatch.setitem(computed._SOURCES, "reports_on_time", rounds)
    suggestion = selectors.computed_suggestions(stc, [crit])[crit.pk]
    assert (suggestion.on_time, suggestion.total, suggestion.score) == (3, 4, D("10.88"))
    assert calls == [(stc.agency_id, dt.date(2024, 1, 1), stc.period.cutoff)]


# --- History on periods, assignments, criteria sets and criteria -----------------------


def latest(model, pk):
    record = model.history.filter(id=pk).latest("history_date", "history_id")
    return record.history_user, record.history_change_reason


@pytest.mark.django_db
def test_period_and_assignment_changes_are_recorded_with_user_and_reason(period, noivu, council):
    assert latest(ScoringPeriod, period.pk) == (noivu, "Mở đợt chấm điểm")
    windows = {
        f"{s}_{e}": getattr(period, f"{s}_{e}") for s in period.STEPS for e in ("from", "to")
    }
    windows["self_to"] += dt.timedelta(days=7)
    services.period_update(
        actor=noivu, period=period, title=period.title, windows=windows, council_chair=council
    )
    assert latest(ScoringPeriod, period.pk) == (noivu, "Sửa đợt chấm điểm")
    record = ScoringPeriod.history.filter(id=period.pk).latest("history_date", "history_id")
    assert record.council_chair_id == council.pk and record.self_to == windows["self_to"]
    stc = assessment_of(period, "STC")
    assignment = services.assignment_add(actor=noivu, period=period, user=council, assessment=stc)
    assert latest(AppraiserAssignment, assignment.pk) == (noivu, "Phân công thẩm định")


@pytest.mark.django_db
def test_criteria_set_and_criteria_changes_are_recorded_with_user_and_reason(period, noivu):
    source = period.department_set
    copy = services.criteria_set_copy(actor=noivu, source=source, year=2025)
    reason = "Sao chép từ bộ tiêu chí năm 2024"
    assert latest(CriteriaSet, copy.pk) == (noivu, reason)
    copied = list(copy.criteria.all())
    assert len(copied) == len(RULES_TREE)
    assert all(latest(Criterion, c.pk) == (noivu, reason) for c in copied)
    services.criteria_set_publish(actor=noivu, criteria_set=copy)
    assert latest(CriteriaSet, copy.pk) == (noivu, "Ban hành bộ tiêu chí")
    csv = "code,title,max_points\n1,Lĩnh vực một,60\n1.1,Tiêu chí,60\n2,Lĩnh vực hai,40\n"
    _result, imported = services.criteria_set_import(
        actor=noivu,
        file=SimpleUploadedFile("bo.csv", csv.encode()),
        year=2026,
        target=Target.DEPARTMENT,
        commit=True,
    )
    assert latest(CriteriaSet, imported.pk) == (noivu, "Nhập bộ tiêu chí từ tệp bo.csv")
    assert {latest(Criterion, c.pk) for c in imported.criteria.all()} == {
        (noivu, "Nhập bộ tiêu chí từ tệp bo.csv")
    }


@pytest.mark.django_db
def test_refused_period_assignment_and_criteria_changes_record_nothing(
    period, noivu, council, contrib_focal
):
    before = history_count()
    windows = {
        f"{s}_{e}": getattr(period, f"{s}_{e}") for s in period.STEPS for e in ("from", "to")
    }
    with pytest.raises(PermissionDenied):
        services.period_update(actor=contrib_focal, period=period, title="x", windows=windows)
    with pytest.raises(ValidationError, match="kết thúc trước ngày bắt đầu"):
        bad = {**windows, "self_to": windows["self_from"] - dt.timedelta(days=1)}
        services.period_update(actor=noivu, period=period, title="x", windows=bad)
    with pytest.raises(ValidationError):
        services.assignment_add(actor=noivu, period=period, user=contrib_focal, area=None)
    with pytest.raises(PermissionDenied):
        services.criteria_set_copy(actor=contrib_focal, source=period.department_set, year=2025)
    assert history_count() == before
    empty = CriteriaSet.objects.create(year=2030, target=Target.DEPARTMENT, title="Trống")
    before = history_count()
    with pytest.raises(ValidationError, match="chưa có tiêu chí"):
        services.criteria_set_publish(actor=noivu, criteria_set=empty)
    assert history_count() == before
    assert ScoringPeriod.objects.get(pk=period.pk).title == period.title
    assert not AppraiserAssignment.objects.exists()
    assert CriteriaSet.objects.get(pk=empty.pk).status == CriteriaSet.Status.DRAFT
