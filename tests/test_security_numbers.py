"""Numbers (issue 12, point 3): every numeric input is bounded in range and digits;
exponents, NaN, Infinity and signs where none belong are refused with a Vietnamese message,
the form is shown again and nothing is saved. Never a 500."""

from __future__ import annotations

import secrets
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agencies.validators import parse_decimal, parse_integer
from reports.models import AgencyReport
from scoring import services
from scoring.models import Appeal, Assessment, CriteriaSet
from scoring.services import ScoreEntry
from scoring.services.common import validate_value
from tests.conftest import login
from tests.reports_factories import GOOD_VALUES, focal, make_round, report_of
from tests.scoring_factories import (  # noqa: F401 - fast_passwords is an autouse fixture
    assessment_of,
    build_period,
    criterion,
    fast_passwords,
    score,
)

D = Decimal
pytestmark = pytest.mark.django_db

# What was typed -> a fragment of the message the user must see.
BAD_SCORES = {
    "1E+50": "lũy thừa",
    "1e2": "lũy thừa",
    "9" * 29: "quá nhiều chữ số",
    "NaN": "hữu hạn",
    "Infinity": "hữu hạn",
    "-inf": "hữu hạn",
    "-0": "không được là số âm",
    "١٢": "chữ số 0–9",
    "1_0": "chữ số 0–9",
    "1,2,3": "chữ số 0–9",
}


# --- The rule itself ----------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "fragment"), BAD_SCORES.items())
def test_the_number_rule_refuses_with_a_vietnamese_message(raw, fragment):
    with pytest.raises(ValidationError) as exc:
        parse_decimal(raw, max_digits=6, decimal_places=2, minimum=0, maximum=1000)
    assert fragment in " ".join(exc.value.messages)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1,5", D("1.5")), ("1.5", D("1.5")), (" 14,50 ", D("14.50")), ("0", D("0")), ("", None)],
)
def test_the_number_rule_reads_a_comma_or_a_dot(raw, value):
    assert parse_decimal(raw, max_digits=6, decimal_places=2, minimum=0, maximum=1000) == value


def test_the_number_rule_bounds_a_huge_text_before_reading_it():
    with pytest.raises(ValidationError, match="quá nhiều chữ số"):
        parse_decimal("1" * 1_000_000, max_digits=6, decimal_places=2, minimum=0, maximum=10)
    with pytest.raises(ValidationError, match="quá nhiều chữ số"):
        parse_integer("9" * 5000, minimum=0, maximum=100)


def test_integers_take_vietnamese_thousands_and_refuse_fractions():
    assert parse_integer("1.234", minimum=0, maximum=10**6) == 1234
    assert parse_integer("1 234 567", minimum=0, maximum=10**9) == 1234567
    with pytest.raises(ValidationError, match="phải là một số nguyên"):
        parse_integer("1,5", minimum=0, maximum=10)
    with pytest.raises(ValidationError, match="không được là số âm"):
        parse_integer("-3", minimum=0, maximum=10)


@pytest.mark.parametrize("value", ["1E+50", "9" * 29, "NaN", "-Infinity", "-0", "1E-60"])
def test_the_score_check_in_the_services_never_raises(noivu, value):
    stp = assessment_of(build_period(noivu, codes=("STP",)), "STP")
    assert validate_value(criterion(stp, "3"), D(value))  # a message, not an exception


# --- Self-assessment: save and submit --------------------------------------------------


@pytest.fixture
def stp(noivu):
    return assessment_of(build_period(noivu, codes=("STP",)), "STP")


def _sheet(assessment, code: str, value: str, note: str = "") -> dict:
    pk = criterion(assessment, code).pk
    return {f"score_{pk}": value, f"note_{pk}": note}


@pytest.mark.parametrize("action", ["save", "submit"])
@pytest.mark.parametrize(("raw", "fragment"), BAD_SCORES.items())
def test_a_bad_self_score_is_refused_on_the_sheet(stp, chair_focal, action, raw, fragment):
    response = login(chair_focal).post(
        f"/scoring/assessments/{stp.pk}/{action}/", _sheet(stp, "3", raw)
    )
    assert response.status_code == 200
    assert fragment in response.content.decode()
    assert score(stp, "3").self_score is None
    stp.refresh_from_db()
    assert stp.status == Assessment.Status.DRAFT


def test_a_self_score_with_a_comma_is_saved(stp, chair_focal):
    response = login(chair_focal).post(
        f"/scoring/assessments/{stp.pk}/save/", _sheet(stp, "3", "1,5")
    )
    assert response.status_code == 302
    assert score(stp, "3").self_score == D("1.5")


@pytest.mark.parametrize("version", ["²", "9" * 5000, "-1", "1E+3"])
def test_a_forged_version_field_is_refused_not_a_500(stp, chair_focal, version):
    pk = criterion(stp, "3").pk
    data = _sheet(stp, "3", "5") | {f"v_{pk}": version}
    response = login(chair_focal).post(f"/scoring/assessments/{stp.pk}/save/", data)
    assert response.status_code == 200
    assert score(stp, "3").self_score is None


# --- Appraisal and appeals --------------------------------------------------------------


NOTES = {"1.1": "Lưu tại sở", "2.1": "Theo số liệu"}  # evidence and computed criteria


def _submitted(stp, chair_focal):
    values = {"1.1": "4", "1.2": "5.5", "2.1": "14.5", "3": "5"}
    services.score_self_assess(
        actor=chair_focal,
        assessment=stp,
        entries=[
            ScoreEntry(criterion(stp, c).pk, D(v), NOTES.get(c, "")) for c, v in values.items()
        ],
    )
    services.assessment_submit(actor=chair_focal, assessment=stp)
    return values


@pytest.mark.parametrize("action", ["appraise", "appraisal-complete"])
@pytest.mark.parametrize(("raw", "fragment"), BAD_SCORES.items())
def test_a_bad_appraised_score_is_refused(stp, chair_focal, noivu, action, raw, fragment):
    _submitted(stp, chair_focal)
    data = _sheet(stp, "3", raw, "Ý kiến thẩm định")
    response = login(noivu).post(f"/scoring/assessments/{stp.pk}/{action}/", data)
    assert response.status_code == 200
    assert fragment in response.content.decode()
    assert score(stp, "3").appraised_score is None
    stp.refresh_from_db()
    assert stp.status == Assessment.Status.SUBMITTED


def _appeal(stp, chair_focal, noivu) -> Appeal:
    values = _submitted(stp, chair_focal)
    services.score_appraise(
        actor=noivu,
        assessment=stp,
        entries=[ScoreEntry(criterion(stp, c).pk, D(v)) for c, v in values.items()],
    )
    services.assessment_appraisal_complete(actor=noivu, assessment=stp)
    services.assessment_finalise(actor=noivu, assessment=stp)
    return services.appeal_submit(actor=chair_focal, score=score(stp, "1.2"), reason="Đủ hồ sơ")


@pytest.mark.parametrize("raw", ["1E+50", "9" * 29, "NaN", "Infinity", "-0", "1E+0"])
def test_a_bad_decided_score_on_an_appeal_is_refused(stp, chair_focal, noivu, raw):
    appeal = _appeal(stp, chair_focal, noivu)
    response = login(noivu).post(
        reverse("appeal_decide", args=[appeal.pk]),
        {"accept": "1", "decision": "Đồng ý", "new_score": raw},
        follow=True,
    )
    assert response.status_code == 200
    assert "Điểm sau xem xét" in response.content.decode()  # the field's own message
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.PENDING
    assert score(stp, "1.2").final_score == D("5.5")


def test_a_decided_score_with_a_comma_is_taken(stp, chair_focal, noivu):
    appeal = _appeal(stp, chair_focal, noivu)
    login(noivu).post(
        reverse("appeal_decide", args=[appeal.pk]),
        {"accept": "1", "decision": "Đồng ý", "new_score": "5,75"},
    )
    assert score(stp, "1.2").final_score == D("5.75")


# --- Criteria: the set's total and the file's maxima -------------------------------------

CSV = 'code,title,max_points\n1,Lĩnh vực một,"{max}"\n'


def _import(client, total: str, max_points: str = "10"):
    upload = SimpleUploadedFile("tieu-chi.csv", CSV.format(max=max_points).encode())
    return client.post(
        reverse("criteria_set_import"),
        {
            "file": upload,
            "year": "2025",
            "target": "department",
            "title": "Bộ tiêu chí thử",
            "total_points": total,
            "action": "save",
            "once": secrets.token_urlsafe(24),  # the create form's one-time token
        },
    )


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("1E+1", "lũy thừa"),
        ("1E+50", "lũy thừa"),
        ("9" * 29, "quá nhiều chữ số"),
        ("NaN", "hữu hạn"),
        ("-0", "không được là số âm"),
        ("0", "0,01"),
    ],
)
def test_a_bad_criteria_total_is_refused_on_the_form(noivu, raw, fragment):
    response = _import(login(noivu), raw)
    assert response.status_code == 200
    assert fragment in " ".join(response.context["form"].errors["total_points"])
    assert not CriteriaSet.objects.filter(title="Bộ tiêu chí thử").exists()


def test_a_criteria_total_with_a_comma_is_read(noivu):
    response = _import(login(noivu), "10,5", max_points="10,5")
    assert response.status_code == 302
    assert CriteriaSet.objects.get(title="Bộ tiêu chí thử").total_points == D("10.5")


@pytest.mark.parametrize("raw", ["1E+1", "NaN", "١٠", "1_0"])
def test_a_bad_maximum_in_the_criteria_file_is_refused(noivu, raw):
    response = _import(login(noivu), "10", max_points=raw)
    assert response.status_code == 200
    assert response.context["result"].errors
    assert not CriteriaSet.objects.filter(title="Bộ tiêu chí thử").exists()


# --- Report figures ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("1E+50", "lũy thừa"),
        ("9" * 29, "quá nhiều chữ số"),
        ("NaN", "hữu hạn"),
        ("Infinity", "hữu hạn"),
        ("-0", "không được là số âm"),
        ("1,5", "phải là một số nguyên"),
        ("1_000", "phải là một số nguyên"),
        ("١٢", "phải là một số nguyên"),
    ],
)
def test_a_bad_report_figure_is_refused_on_the_form(raw, fragment):
    rnd = make_round()
    report = report_of(rnd, "STP")
    data = {f"ind_{k}": str(v) for k, v in GOOD_VALUES.items()} | {
        "ind_inspections": raw,
        "sec_direction": "Đã ban hành kế hoạch.",
        "action": "submit",
    }
    response = login(focal("STP")).post(reverse("agency_report_edit", args=[report.pk]), data)
    assert response.status_code == 200
    assert fragment in response.content.decode()
    report.refresh_from_db()
    assert (report.status, report.indicators, report.version) == ("draft", {}, 0)


def test_a_report_figure_with_thousands_dots_is_read():
    rnd = make_round()
    report = report_of(rnd, "STP")
    data = {f"ind_{k}": str(v) for k, v in GOOD_VALUES.items()} | {
        "ind_tthc_received": "1.200",
        "sec_direction": "Đã ban hành kế hoạch.",
        "action": "draft",
    }
    response = login(focal("STP")).post(reverse("agency_report_edit", args=[report.pk]), data)
    assert response.status_code == 302
    assert AgencyReport.objects.get(pk=report.pk).indicators["tthc_received"] == 1200


# --- Item form: the working-days count and the hidden version ----------------------------


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("1E+1", "lũy thừa"),
        ("-0", "không được là số âm"),
        ("9" * 29, "quá nhiều"),
        ("NaN", "hữu hạn"),
    ],
)
def test_a_bad_working_days_count_is_refused(noivu, raw, fragment):
    from coordination.models import Task

    before = Task.objects.count()
    response = login(noivu).post(
        reverse("task_create"),
        {
            "title": "Nhiệm vụ thử",
            "category": "other",
            "due_mode": "working_days",
            "due_working_days": raw,
            "chair": "",
            "tracker": "",
        },
    )
    assert response.status_code == 200
    assert fragment in " ".join(response.context["form"].errors["due_working_days"])
    assert Task.objects.count() == before
