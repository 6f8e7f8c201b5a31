"""Vietnamese everywhere (issue 18, point 17): what Django, django-filter and our own code
show a user on refused input is Vietnamese, and PDFs print numbers as the pages do."""

from __future__ import annotations

import html as html_lib
import importlib
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import login
from tests.coordination_factories import make_task

# English a user must never meet (Django's and django-filter's own words).
ENGLISH = [
    "descending",
    "Please submit",
    "Null characters",
    "This field is required",
    "Enter a valid",
    "password",
    "Password",
    "Ensure this value",
    "Select a valid choice",
    "ManagementForm",
    "characters.",
    "too similar",
    "too common",
    "too short",
    "entirely numeric",
    "didn’t match",
]


def english_in(html: str) -> list[str]:
    # Only what a user reads: text, not attribute values, names or scripts.
    text = re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return [word for word in ENGLISH if word in text]


@pytest.mark.django_db
def test_the_item_list_sort_menu_is_vietnamese(noivu):
    html = login(noivu).get(reverse("task_list")).content.decode()
    options = re.findall(r'<option value="-?(?:due_date|created_at|title)"[^>]*>([^<]*)<', html)
    assert len(options) == 6, options
    assert "Hạn xử lý (muộn nhất trước)" in options
    assert english_in(html) == []
    # Bad filter input is refused in Vietnamese too.
    bad = {"ordering": "khong-co", "due_from": "32/13/2025", "q": "a\x00b"}
    html = login(noivu).get(reverse("task_list"), bad).content.decode()
    assert english_in(html) == []


@pytest.mark.django_db
def test_too_many_nomination_rows_are_refused_in_vietnamese(noivu, contrib_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    rows = {}
    for i in range(21):
        rows |= {
            f"nom-{i}-full_name": f"Cán bộ {i}",
            f"nom-{i}-position": "Chuyên viên",
            f"nom-{i}-agency_name": "Sở Tài chính",
            f"nom-{i}-team": "inspection_team",
        }
    payload = {"nom-TOTAL_FORMS": "21", "nom-INITIAL_FORMS": "0", "document_number": ""}
    response = login(contrib_focal).post(
        reverse("contribution_new", args=[task.pk]),
        payload | rows | {"form": "nomination", "body": "Cử cán bộ", "save": "1"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert english_in(html) == []


@pytest.mark.django_db
def test_a_nul_character_at_sign_in_is_refused_in_vietnamese(noivu):
    response = Client().post(reverse("login"), {"username": "t_no\x00ivu", "password": "x\x00"})
    assert english_in(response.content.decode()) == []


@pytest.mark.django_db
def test_the_password_change_page_speaks_vietnamese(noivu):
    client = login(noivu)
    for new in ("1234567890", "t_noivu_tran", "ngan"):
        response = client.post(
            reverse("password_change"),
            {"old_password": "sai", "new_password1": new, "new_password2": new + "x\x00"},
        )
        assert english_in(response.content.decode()) == []


# --- formsets ---------------------------------------------------------------------------------


def test_every_formset_has_the_vietnamese_messages():
    """Django's formset messages ("Please submit at most 20 forms.") are English in its own
    catalog: every formset of the apps starts from ``agencies.forms.PortalFormSet``."""
    from django.forms import BaseFormSet

    from agencies.forms import PortalFormSet

    modules = [
        importlib.import_module(f"{app}.forms") for app in ("coordination", "scoring", "reports")
    ]
    formsets = {
        obj
        for module in modules
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, BaseFormSet) and obj is not PortalFormSet
    }
    assert formsets, "no formset found"
    assert [f for f in formsets if not issubclass(f, PortalFormSet)] == []
    from coordination.forms import NominationFormSet

    messages = NominationFormSet(data={}).error_messages
    assert messages["too_many_forms"] % {"num": 20} == "Chỉ được gửi tối đa 20 dòng."


# --- Django's error pages ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_mistyped_address_and_a_stale_form_get_vietnamese_pages(noivu):
    client = login(noivu)
    response = client.get("/khong-co-trang-nay/")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(noivu)
    response = strict.post(reverse("task_create"), {"title": "x"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "Không gửi được biểu mẫu" in html
    assert [w for w in ("Forbidden", "CSRF verification failed") if w in html] == []


# --- the criteria import: Vietnamese headings, old files still read ------------------------------

OLD_FILE = """code,parent_code,title,max_points,method,options,evidence_required
1,,"Công tác chỉ đạo, điều hành",10,,,
1.1,1,"Ban hành kế hoạch",4,options,"Kịp thời=4|Chậm=2|Không=0",có
1.2,1,"Báo cáo",6,range,,
"""

VIETNAMESE_FILE = (
    "Mã tiêu chí,Mã tiêu chí cha,Nội dung tiêu chí,Điểm tối đa,Cách chấm,Các mức điểm,"
    "Cần tài liệu kiểm chứng\n"
    """1,,"Công tác chỉ đạo, điều hành",10,,,
1.1,1,"Ban hành kế hoạch",4,Chọn một mức,"Kịp thời=4|Chậm=2|Không=0",có
1.2,1,"Báo cáo",6,Chấm điểm trong khoảng,,
"""
)


def _codes_of(result):
    return [(r.line, r.code, r.method) for r in result.rows]


@pytest.mark.django_db
def test_the_criteria_template_has_vietnamese_headings_and_reads_back():
    from openpyxl import load_workbook

    from scoring import importing

    content = importing.template_workbook()
    sheet = load_workbook(io.BytesIO(content)).active
    headings = [c.value for c in sheet[1]]
    assert headings[:5] == [
        "Mã tiêu chí",
        "Mã tiêu chí cha",
        "Nội dung tiêu chí",
        "Điểm tối đa",
        "Cách chấm",
    ]
    assert [c.value for c in sheet[2]] == importing.COLUMNS  # the codes, second row
    methods = {row[4].value for row in sheet.iter_rows(min_row=3) if row[4].value}
    assert methods == {"Chọn một mức", "Tính từ dữ liệu của Cổng", "Chấm điểm trong khoảng"}
    result = importing.parse_criteria_file("mau.xlsx", content, Decimal("100"))
    assert result.ok, result.errors
    assert [r.line for r in result.rows] == [3, 4, 5, 6]  # line numbers as the file shows
    assert [r.method for r in result.rows][1:3] == ["options", "computed"]


@pytest.mark.django_db
def test_an_old_file_with_code_headers_and_a_vietnamese_one_read_the_same():
    from scoring import importing

    old = importing.parse_criteria_file("cu.csv", OLD_FILE.encode(), Decimal("10"))
    new = importing.parse_criteria_file("moi.csv", VIETNAMESE_FILE.encode(), Decimal("10"))
    assert old.ok and new.ok, (old.errors, new.errors)
    assert (
        _codes_of(old)
        == _codes_of(new)
        == [
            (2, "1", "range"),
            (3, "1.1", "options"),
            (4, "1.2", "range"),
        ]
    )
    assert new.rows[1].method_label == "Chọn một mức"


@pytest.mark.django_db
def test_import_errors_name_the_columns_and_methods_in_vietnamese():
    from scoring import importing

    bad = VIETNAMESE_FILE.replace("Chấm điểm trong khoảng", "tự do").replace(",có\n", ",hơi có\n")
    result = importing.parse_criteria_file("moi.csv", bad.encode(), Decimal("10"))
    messages = {line: message for line, message in result.errors}
    assert "“Chọn một mức”" in messages[4] and "tự do" in messages[4]
    assert "“Cần tài liệu kiểm chứng”" in messages[3]
    missing = importing.parse_criteria_file(
        "thieu.csv", "Mã tiêu chí,Nội dung tiêu chí\n1,Lĩnh vực\n".encode(), Decimal("10")
    )
    assert missing.errors == [(1, "thiếu cột bắt buộc: “Điểm tối đa” (max_points).")]


# --- numbers in PDFs as on the pages --------------------------------------------------------------


@pytest.mark.django_db
def test_pdf_numbers_are_written_as_the_pages_write_them(noivu):
    from pypdf import PdfReader

    from reports import pdf
    from scoring.models import Score
    from tests.scoring_factories import assessment_of, build_period

    period = build_period(noivu)
    assessment = assessment_of(period, "STP")
    Score.objects.filter(assessment=assessment, criterion__code="1.2").update(
        self_score=Decimal("2.5")
    )
    data = pdf.render_pdf("reports/pdf/scorecard.html", pdf.scorecard_context(assessment))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "2,50" in text and "14,50" in text  # a score and a maximum (14.5)
    assert "2.5" not in text and "14.5" not in text
    assert stray_spaces(text) == []


def test_the_pdf_number_filter_is_the_pages_format():
    from django.template.defaultfilters import floatformat
    from django.utils import translation

    from reports.templatetags.figures import figure

    with translation.override("vi"):
        assert figure("90.5") == floatformat(Decimal("90.5"), 2) == "90,50"
        assert figure(Decimal("86.7")) == "86,70"
        assert [figure(v) for v in ("–", "KAD", None)] == ["–", "KAD", "–"]


# --- no stray space before a period or a comma ----------------------------------------------


def stray_spaces(text: str) -> list[str]:
    """ " ." or " ," inside text (an ellipsis or a lone dot in a number column aside)."""
    return [m.group(0) for m in re.finditer(r"\S{2,} +[.,](?=\s|$)", text)]


@pytest.mark.django_db
def test_pages_have_no_space_before_a_period_or_a_comma(noivu, contrib_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    urls = [
        reverse("home"),
        reverse("task_list"),
        reverse("task_detail", args=[task.pk]),
        reverse("contribution_new", args=[task.pk]),
        reverse("password_change"),
    ]
    for user in (noivu, contrib_focal):
        client = login(user)
        for url in urls:
            response = client.get(url)
            if response.status_code != 200:
                continue
            text = re.sub(
                r"<script.*?</script>|<style.*?</style>", "", response.content.decode(), flags=re.S
            )
            text = html_lib.unescape(re.sub(r"<[^>]+>", "", text))
            assert stray_spaces(text) == [], url
