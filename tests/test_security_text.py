"""Text (issue 12, point 4): every text input has a maximum length and refuses NUL and
other control characters (PostgreSQL cannot store NUL; terminals and PDFs misread the
rest), with a Vietnamese message and nothing saved. Line breaks typed as CR LF count once."""

from __future__ import annotations

import secrets
from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agencies.forms import PortalForm
from agencies.once import new_token
from agencies.validators import TextValidator, clean_text
from coordination import services as coordination
from coordination.models import Contribution, Task
from reports.models import AgencyReport
from scoring import services
from scoring.models import Assessment, CriteriaSet
from scoring.services import ScoreEntry
from tests.conftest import login
from tests.coordination_factories import make_task
from tests.reports_factories import focal, make_round, officer, report_of, submit
from tests.scoring_factories import (  # noqa: F401 - fast_passwords is an autouse fixture
    assessment_of,
    build_period,
    criterion,
    fast_passwords,
    score,
)

D = Decimal
pytestmark = pytest.mark.django_db
CONTROL = "chứa ký tự điều khiển"
TOO_LONG = "dài quá"
# NUL, escape (terminal colours), vertical tab, a C1 control, DEL.
BAD_CHARACTERS = ["\x00", "\x1b[31m", "\x0b", "\x85", "\x7f"]
NOTES = {"1.1": "Lưu tại sở", "2.1": "Theo số liệu"}  # evidence and computed criteria


# --- The rule itself ----------------------------------------------------------------------


@pytest.mark.parametrize("bad", [*BAD_CHARACTERS, "\ud800"])
def test_the_text_rule_refuses_control_characters(bad):
    with pytest.raises(ValidationError, match=CONTROL):
        clean_text(f"Ghi chú{bad}thêm", max_length=100, multiline=True)


def test_the_text_rule_keeps_tabs_and_line_breaks_only_where_lines_belong():
    assert clean_text("a\r\n\tb\rc", max_length=10, multiline=True) == "a\n\tb\nc"
    for bad in ("a\nb", "a\tb", "a\rb"):
        with pytest.raises(ValidationError, match=CONTROL):
            clean_text(bad, max_length=10, multiline=False)


def test_the_text_rule_counts_a_typed_line_break_once():
    assert clean_text("ab\r\n" * 5, max_length=14, multiline=True) == ("ab\n" * 5).strip()
    with pytest.raises(ValidationError, match=TOO_LONG):
        clean_text("ab" * 8, max_length=15, multiline=True)


def test_every_text_field_of_a_portal_form_gets_a_limit_and_the_rule():
    class Sample(PortalForm):
        title = forms.CharField()
        body = forms.CharField(widget=forms.Textarea)
        code = forms.CharField(max_length=20)

    form = Sample({"title": "x" * 501, "body": "y\x00", "code": "z" * 21})
    assert not form.is_valid()
    assert TOO_LONG in form.errors["title"][0] and "500" in form.errors["title"][0]
    assert CONTROL in form.errors["body"][0]
    assert len(form.errors["code"]) == 1 and "20" in form.errors["code"][0]
    assert all(
        any(isinstance(v, TextValidator) for v in form.fields[name].validators)
        for name in ("title", "body", "code")
    )
    assert form.fields["body"].max_length == 5000
    assert Sample({"title": "a", "body": "b\r\nc", "code": "d"}).is_valid()
    form = Sample({"title": "a", "body": "b\r\nc", "code": "d"})
    form.is_valid()
    assert form.cleaned_data["body"] == "b\nc"


# --- Scoring: notes and explanations ---------------------------------------------------


@pytest.fixture
def stp(noivu):
    return assessment_of(build_period(noivu, codes=("STP",)), "STP")


def _sheet(assessment, code: str, value: str, note: str) -> dict:
    pk = criterion(assessment, code).pk
    return {f"score_{pk}": value, f"note_{pk}": note}


@pytest.mark.parametrize("action", ["save", "submit"])
@pytest.mark.parametrize(
    ("note", "fragment"),
    [("x" * 100_000, TOO_LONG), *[(f"Theo{c} số liệu", CONTROL) for c in BAD_CHARACTERS]],
)
def test_a_bad_scoring_note_is_refused_and_nothing_saved(stp, chair_focal, action, note, fragment):
    response = login(chair_focal).post(
        f"/scoring/assessments/{stp.pk}/{action}/", _sheet(stp, "3", "5", note)
    )
    assert response.status_code == 200
    assert fragment in response.content.decode()
    saved = score(stp, "3")
    assert (saved.self_score, saved.self_note) == (None, "")
    stp.refresh_from_db()
    assert stp.status == Assessment.Status.DRAFT


def test_a_scoring_note_typed_with_crlf_is_saved_with_plain_line_breaks(stp, chair_focal):
    login(chair_focal).post(
        f"/scoring/assessments/{stp.pk}/save/", _sheet(stp, "3", "5", "Dòng một\r\nDòng hai")
    )
    assert score(stp, "3").self_note == "Dòng một\nDòng hai"


@pytest.mark.parametrize("note", ["x" * 100_000, "Thiếu biên bản\x00", "Thiếu\x1b[0m"])
def test_a_bad_appraisal_note_is_refused(stp, chair_focal, noivu, note):
    values = {"1.1": "4", "1.2": "5.5", "2.1": "14.5", "3": "5"}
    services.score_self_assess(
        actor=chair_focal,
        assessment=stp,
        entries=[
            ScoreEntry(criterion(stp, c).pk, D(v), NOTES.get(c, "")) for c, v in values.items()
        ],
    )
    services.assessment_submit(actor=chair_focal, assessment=stp)
    response = login(noivu).post(
        f"/scoring/assessments/{stp.pk}/appraise/", _sheet(stp, "3", "4", note)
    )
    assert response.status_code == 200
    assert (TOO_LONG if len(note) > 5000 else CONTROL) in response.content.decode()
    assert score(stp, "3").appraised_score is None


def _appraised(stp, chair_focal, noivu):
    """Self-assessed, submitted, appraised lower on criterion 3: the explanation step."""
    values = {"1.1": "4", "1.2": "5.5", "2.1": "14.5", "3": "5"}
    services.score_self_assess(
        actor=chair_focal,
        assessment=stp,
        entries=[
            ScoreEntry(criterion(stp, c).pk, D(v), NOTES.get(c, "")) for c, v in values.items()
        ],
    )
    services.assessment_submit(actor=chair_focal, assessment=stp)
    appraised = values | {"3": "4"}
    notes = {"3": "Thiếu biên bản"}
    services.score_appraise(
        actor=noivu,
        assessment=stp,
        entries=[
            ScoreEntry(criterion(stp, c).pk, D(v), notes.get(c, "")) for c, v in appraised.items()
        ],
    )
    services.assessment_appraisal_complete(actor=noivu, assessment=stp)


@pytest.mark.parametrize(
    "text", ["x" * 100_000, "Đã bổ sung\x00", "Đã bổ sung\x07", "Đã bổ sung\x9b"]
)
def test_a_bad_explanation_is_refused_and_nothing_saved(stp, chair_focal, noivu, text):
    _appraised(stp, chair_focal, noivu)
    pk = criterion(stp, "3").pk
    response = login(chair_focal).post(
        f"/scoring/assessments/{stp.pk}/explain/",
        {f"explanation_{pk}": text, "action": "submit"},
    )
    assert response.status_code == 200
    assert (TOO_LONG if len(text) > 5000 else CONTROL) in response.content.decode()
    assert score(stp, "3").explanation == ""
    stp.refresh_from_db()
    assert stp.status == Assessment.Status.APPRAISED


@pytest.mark.parametrize("key", ["explanation_²", "explanation_" + "9" * 300, "explanation_-1"])
def test_a_forged_explanation_key_is_ignored_not_a_500(stp, chair_focal, noivu, key):
    _appraised(stp, chair_focal, noivu)
    response = login(chair_focal).post(
        f"/scoring/assessments/{stp.pk}/explain/", {key: "Giải trình", "action": "save"}
    )
    assert response.status_code == 302


def test_the_services_refuse_a_control_character_whoever_calls_them(stp, chair_focal):
    with pytest.raises(ValidationError, match=CONTROL):
        services.score_self_assess(
            actor=chair_focal,
            assessment=stp,
            entries=[ScoreEntry(criterion(stp, "3").pk, D("5"), "Ghi chú\x00")],
        )
    assert score(stp, "3").self_note == ""


@pytest.mark.parametrize("bad", BAD_CHARACTERS)
def test_an_appeal_reason_with_a_control_character_is_refused(stp, chair_focal, noivu, bad):
    from scoring.models import Appeal

    values = {"1.1": "4", "1.2": "5.5", "2.1": "14.5", "3": "5"}
    entries = [ScoreEntry(criterion(stp, c).pk, D(v), NOTES.get(c, "")) for c, v in values.items()]
    services.score_self_assess(actor=chair_focal, assessment=stp, entries=entries)
    services.assessment_submit(actor=chair_focal, assessment=stp)
    services.score_appraise(actor=noivu, assessment=stp, entries=entries)
    services.assessment_appraisal_complete(actor=noivu, assessment=stp)
    services.assessment_finalise(actor=noivu, assessment=stp)
    response = login(chair_focal).post(
        reverse("appeal_submit", args=[stp.pk]),
        {"score": score(stp, "3").pk, "reason": f"Xin{bad} xem lại", "once": new_token()},
    )
    assert response.status_code == 302
    assert not Appeal.objects.exists()


# --- Coordination: the item, the contribution, the reasons ------------------------------


@pytest.mark.parametrize("bad", BAD_CHARACTERS)
def test_an_item_description_with_a_control_character_is_refused(noivu, bad):
    before = Task.objects.count()
    response = login(noivu).post(
        reverse("task_create"),
        {
            "title": "Nhiệm vụ thử",
            "category": "plan",
            "description": f"Mô{bad} tả",
            "due_mode": "working_days",
            "due_working_days": "5",
        },
    )
    assert response.status_code == 200
    assert CONTROL in " ".join(response.context["form"].errors["description"])
    assert Task.objects.count() == before


def test_a_line_break_in_a_single_line_title_is_refused(noivu):
    response = login(noivu).post(
        reverse("task_create"), {"title": "Dòng một\r\nDòng hai", "category": "plan"}
    )
    assert CONTROL in " ".join(response.context["form"].errors["title"])


def test_an_item_edit_with_a_control_character_changes_nothing(noivu):
    task = make_task(actor=noivu, contributors=("STC",))
    response = login(noivu).post(
        reverse("task_edit", args=[task.pk]),
        {
            "title": task.title,
            "category": task.category,
            "description": "Mô tả\x1b[2J",
            "due_date": task.due_date.isoformat(),
            "version": task.version,
        },
    )
    assert response.status_code == 200
    assert CONTROL in " ".join(response.context["form"].errors["description"])
    task.refresh_from_db()
    assert "\x1b" not in task.description


@pytest.mark.parametrize("bad", BAD_CHARACTERS)
def test_a_contribution_body_with_a_control_character_is_refused(noivu, contrib_focal, bad):
    task = make_task(actor=noivu, contributors=("STC",))
    response = login(contrib_focal).post(
        reverse("contribution_new", args=[task.pk]),
        {
            "form": "comment",
            "body": f"Thống{bad} nhất",
            "submit": "1",
            "nom-TOTAL_FORMS": "0",
            "nom-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert CONTROL in " ".join(response.context["form"].errors["body"])
    assert not Contribution.objects.exists()


def test_a_nomination_row_with_a_control_character_is_refused(noivu, contrib_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    response = login(contrib_focal).post(
        reverse("contribution_new", args=[task.pk]),
        {
            "form": "nomination",
            "body": "Cử cán bộ",
            "nom-TOTAL_FORMS": "1",
            "nom-INITIAL_FORMS": "0",
            "nom-0-full_name": "Nguyễn Văn\x1b An",
            "nom-0-position": "Chuyên viên",
        },
    )
    assert response.status_code == 200
    assert not Contribution.objects.exists()


@pytest.mark.parametrize("bad", BAD_CHARACTERS)
def test_a_return_reason_with_a_control_character_is_refused(
    noivu, chair_focal, contrib_focal, bad
):
    task = make_task(actor=noivu, contributors=("STC",))
    coordination.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="Thống nhất", submit=True
    )
    part = task.participations.get(agency__code="STC")
    response = login(chair_focal).post(
        reverse("participation_review", args=[task.pk, part.pk]),
        {"decision": "return", "reason": f"Bổ{bad} sung"},
        follow=True,
    )
    assert CONTROL in response.content.decode()
    part.refresh_from_db()
    assert part.status == "submitted" and part.return_reason == ""


@pytest.mark.parametrize("bad", BAD_CHARACTERS)
def test_a_report_return_reason_with_a_control_character_is_refused(bad):
    rnd = make_round()
    submit(rnd, "STP")
    report = report_of(rnd, "STP")
    response = login(officer()).post(
        reverse("agency_report_return", args=[report.pk]),
        {"reason": f"Bổ sung{bad} số liệu"},
        follow=True,
    )
    assert CONTROL in response.content.decode()
    report.refresh_from_db()
    assert report.status == "submitted" and report.return_reason == ""


def test_a_report_section_with_a_control_character_is_refused():
    rnd = make_round()
    report = report_of(rnd, "STP")
    response = login(focal("STP")).post(
        reverse("agency_report_edit", args=[report.pk]),
        {"sec_direction": "Nội dung\x00", "action": "draft"},
    )
    assert response.status_code == 200
    assert CONTROL in response.content.decode()
    assert AgencyReport.objects.get(pk=report.pk).sections == {}


# --- The criteria file ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("1,Lĩnh vực\x00 một,10", CONTROL),
        ("1,Lĩnh vực\x1b một,10", CONTROL),
        ("1," + "x" * 501 + ",10", TOO_LONG),
        ("1" + ".1" * 10 + ",Lĩnh vực một,10", "không hợp lệ"),  # 21 characters
        ("١,Lĩnh vực một,10", "không hợp lệ"),
    ],
)
def test_a_criteria_file_with_bad_text_is_refused_and_nothing_saved(noivu, row, fragment):
    upload = SimpleUploadedFile("tieu-chi.csv", f"code,title,max_points\n{row}\n".encode())
    response = login(noivu).post(
        reverse("criteria_set_import"),
        {
            "file": upload,
            "year": "2025",
            "target": "department",
            "title": "Bộ tiêu chí thử",
            "total_points": "10",
            "action": "save",
            "once": secrets.token_urlsafe(24),
        },
    )
    assert response.status_code == 200
    assert fragment in " ".join(message for _line, message in response.context["result"].errors)
    assert not CriteriaSet.objects.filter(title="Bộ tiêu chí thử").exists()
