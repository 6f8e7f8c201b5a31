"""Importing criteria sets from .csv and .xlsx: preview, line-numbered Vietnamese errors,
nothing saved on error; the template download; copy to next year; publishing checks."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from scoring import importing, services
from scoring.models import CriteriaSet, Criterion
from tests.conftest import form_token, login

D = Decimal
DATA = Path(__file__).resolve().parent.parent / "scoring" / "data"

GOOD = """code,parent_code,title,max_points,options,evidence_required,responsible_agency
1,,"Công tác chỉ đạo, điều hành",10,,,SNV
1.1,1,"Ban hành kế hoạch",4,"Kịp thời=4|Chậm=2|Không=0",có,
1.2,1,"Báo cáo",6,,,
2,,"Cải cách TTHC",14.5,,,
2.1,2,"Công khai TTHC",14,5,,,
"""


def csv_file(text: str, name="tieu-chi.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"))


def run(actor, text, *, commit, total="24.5"):
    return services.criteria_set_import(
        actor=actor,
        file=csv_file(text),
        year=2025,
        target="department",
        commit=commit,
        title="Bộ tiêu chí 2025",
        total_points=D(total),
    )


@pytest.mark.django_db
def test_valid_csv_previews_without_saving_then_saves(noivu):
    text = GOOD.replace('"Công khai TTHC",14,5', '"Công khai TTHC","14,5"')
    result, created = run(noivu, text, commit=False)
    assert result.ok and created is None and not CriteriaSet.objects.exists()
    result, created = run(noivu, text, commit=True)
    assert created is not None
    c11 = Criterion.objects.get(criteria_set=created, code="1.1")
    assert c11.method == "options" and c11.evidence_required and c11.parent.code == "1"
    assert c11.options[1] == {"label": "Chậm", "points": "2"}
    assert Criterion.objects.get(criteria_set=created, code="2.1").max_points == D("14.5")
    assert Criterion.objects.get(criteria_set=created, code="1").responsible_agency.code == "SNV"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad_line,replacement,line,fragment",
    [
        ('1.2,1,"Báo cáo",6,,,', '1.2,1,"Báo cáo",sáu,,,', 4, "điểm tối đa"),
        ('1.2,1,"Báo cáo",6,,,', '1.2,1,"Báo cáo",6,,,XYZ', 4, "không có cơ quan mã"),
        ('1.2,1,"Báo cáo",6,,,', '1.2,1,"Báo cáo",6,,hơi có,', 4, "evidence_required"),
        ('1.2,1,"Báo cáo",6,,,', '1.x,1,"Báo cáo",6,,,', 4, "mã tiêu chí"),
        ('1.2,1,"Báo cáo",6,,,', '1.2,1,"Báo cáo",5,,,', 2, "tổng điểm các tiêu chí con"),
        ('1.2,1,"Báo cáo",6,,,', '1.1,1,"Báo cáo",6,,,', 4, "trùng với dòng 3"),
        ('1.2,1,"Báo cáo",6,,,', '1.2,1,"Báo cáo",6,"Tốt=7",,', 4, "ngoài khoảng"),
    ],
)
def test_bad_row_is_refused_with_its_line_number_and_nothing_saved(
    noivu, bad_line, replacement, line, fragment
):
    text = GOOD.replace('"Công khai TTHC",14,5', '"Công khai TTHC","14,5"').replace(
        bad_line, replacement
    )
    result, created = run(noivu, text, commit=True)
    assert created is None
    assert not CriteriaSet.objects.exists() and not Criterion.objects.exists()
    assert any(err_line == line and fragment in message for err_line, message in result.errors), (
        result.errors
    )


@pytest.mark.django_db
def test_set_total_is_checked(noivu):
    text = GOOD.replace('"Công khai TTHC",14,5', '"Công khai TTHC","14,5"')
    result, created = run(noivu, text, commit=True, total="100")
    assert created is None
    assert any("khác tổng điểm của bộ tiêu chí" in m for _line, m in result.errors)


@pytest.mark.django_db
def test_missing_required_column_is_reported_on_line_1(noivu):
    result, _created = run(noivu, "code,title\n1,Lĩnh vực\n", commit=True)
    assert result.errors == [(1, "thiếu cột bắt buộc: “Điểm tối đa” (max_points).")]


@pytest.mark.django_db
def test_published_province_areas_file_imports(noivu):
    content = (DATA / "province_2948_2017_areas.csv").read_bytes()
    result = importing.parse_criteria_file("areas.csv", content, D("100"))
    assert result.ok
    assert [r.max_points for r in result.rows][2] == D("14.50")


@pytest.mark.django_db
def test_partial_sample_file_is_refused_for_its_area_sum(noivu):
    content = (DATA / "sample_department_rules.csv").read_bytes()
    result = importing.parse_criteria_file("sample.csv", content, D("20"))
    assert (2, "tổng điểm các tiêu chí con của “1” là 7, khác điểm tối đa 20.") in result.errors


@pytest.mark.django_db
def test_xlsx_import_through_the_page_with_preview_then_save(noivu):
    client = login(noivu)
    template = client.get("/scoring/criteria/template.xlsx")
    assert template.status_code == 200
    sheet = load_workbook(io.BytesIO(template.content)).active
    # Vietnamese headings on line 1, the column codes on line 2 (scoring/importing.py).
    assert [c.value for c in sheet[1]][:4] == [
        "Mã tiêu chí",
        "Mã tiêu chí cha",
        "Nội dung tiêu chí",
        "Điểm tối đa",
    ]
    assert [c.value for c in sheet[2]][:4] == ["code", "parent_code", "title", "max_points"]
    form = {"year": "2025", "target": "department", "title": "Bộ 2025", "total_points": "100"}
    upload = SimpleUploadedFile("mau.xlsx", template.content)
    preview = client.post(
        "/scoring/criteria/import/", {**form, "file": upload, "action": "preview"}
    )
    assert preview.status_code == 200 and not CriteriaSet.objects.exists()
    payload = preview.context["payload"]
    assert payload
    saved = client.post(
        "/scoring/criteria/import/",
        {
            **form,
            "payload": payload,
            "payload_name": "mau.xlsx",
            "action": "save",
            "once": form_token(preview),
        },
    )
    assert saved.status_code == 302
    assert CriteriaSet.objects.get().criteria.count() == 4


@pytest.mark.django_db
def test_xlsx_with_bad_row_shows_line_number_on_page(noivu):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "title", "max_points"])
    sheet.append(["1", "Lĩnh vực", 100])
    sheet.append(["1.1", "", 100])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = login(noivu).post(
        "/scoring/criteria/import/",
        {
            "year": "2025",
            "target": "district",
            "title": "X",
            "total_points": "100",
            "file": SimpleUploadedFile("x.xlsx", buffer.getvalue()),
            "action": "save",
        },
    )
    assert response.status_code == 200
    assert "Dòng 3" in response.content.decode() and "thiếu nội dung" in response.content.decode()
    assert not CriteriaSet.objects.exists()


@pytest.mark.django_db
def test_copy_last_year_set_and_publish_checks_totals(noivu):
    from tests.scoring_factories import build_set

    source = build_set(year=2024)
    copy = services.criteria_set_copy(actor=noivu, source=source, year=2025)
    assert copy.status == CriteriaSet.Status.DRAFT and copy.year == 2025
    assert copy.criteria.count() == source.criteria.count()
    assert copy.criteria.get(code="1.1").parent.criteria_set_id == copy.pk
    services.criteria_set_publish(actor=noivu, criteria_set=copy)
    broken = services.criteria_set_copy(actor=noivu, source=source, year=2025)
    assert broken.version == copy.version + 1
    broken.criteria.filter(code="1.2").update(max_points=D("1"))
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="1.2|tiêu chí con"):
        services.criteria_set_publish(actor=noivu, criteria_set=broken)
    broken.refresh_from_db()
    assert broken.status == CriteriaSet.Status.DRAFT


@pytest.mark.django_db
def test_import_criteria_command_checks_then_saves(noivu, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "areas.csv"
    path.write_bytes((DATA / "province_2948_2017_areas.csv").read_bytes())
    args = [str(path), "--year", "2017", "--target", "province", "--user", noivu.username]
    out = io.StringIO()
    call_command("import_criteria", *args, stdout=out)
    assert "8 tiêu chí" in out.getvalue() and not CriteriaSet.objects.exists()
    call_command("import_criteria", *args, "--save", stdout=out)
    assert CriteriaSet.objects.get().criteria.count() == 8
    bad = tmp_path / "bad.csv"
    bad.write_text("code,title,max_points\n1,Lĩnh vực,abc\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_criteria", str(bad), *args[1:], "--save", stderr=err)
    assert "Dòng 2" in err.getvalue()
    assert CriteriaSet.objects.count() == 1
