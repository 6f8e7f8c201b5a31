"""Every spreadsheet the portal writes goes through one safe-cell writer (issue 12, point 5):
text is a text cell shown exactly as typed, never a formula, with the quote-prefix style when
it starts like one; numbers and dates stay typed; a stored control character breaks nothing."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from agencies.spreadsheets import safe_cell
from coordination.models import Task
from tests.conftest import login
from tests.coordination_factories import make_task
from tests.factories import agency
from tests.reports_factories import fetch_document
from tests.scoring_factories import build_period

ROOT = Path(__file__).resolve().parent.parent
HYPERLINK = '=HYPERLINK("http://x","y")'
FORMULAS = {
    "chair": HYPERLINK,
    "tracker": "+SUM(1,2)",
    "contributor": "@SUM(1,2)",
    "title": "-2+3",
    "legal_basis": "=1+1",
}


def _cells(content: bytes) -> list:
    sheet = load_workbook(io.BytesIO(content)).active
    return [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]


def _the_cell(cells: list, value: str):
    found = [c for c in cells if c.value == value]
    assert found, f"{value!r} is not shown as typed"
    return found[0]


def _rename(code: str, **fields) -> None:
    body = agency(code)
    for name, value in fields.items():
        setattr(body, name, value)
    body.save()


@pytest.fixture
def hostile_item(noivu):
    """An item whose title, basis and bodies (renamed in the admin) all start like formulas."""
    _rename("STP", name=FORMULAS["chair"])
    _rename("SNV", name=FORMULAS["tracker"])
    _rename("STC", short_name=FORMULAS["contributor"])
    task = make_task(actor=noivu, contributors=("STC",), title=FORMULAS["title"])
    Task.objects.filter(pk=task.pk).update(legal_basis=FORMULAS["legal_basis"])
    return task


@pytest.mark.django_db
def test_item_export_shows_formula_like_text_as_typed_and_never_evaluates_it(noivu, hostile_item):
    response = fetch_document(login(noivu), reverse("task_export"))
    assert response.status_code == 200
    cells = _cells(response.data)
    for value in FORMULAS.values():
        cell = _the_cell(cells, value)
        assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    assert not [c for c in cells if c.data_type == "f"]
    assert not [c for c in cells if isinstance(c.value, str) and c.value.startswith("'")]


@pytest.mark.django_db
def test_item_export_keeps_numbers_and_dates_typed(noivu, hostile_item):
    sheet = load_workbook(
        io.BytesIO(fetch_document(login(noivu), reverse("task_export")).data)
    ).active
    assert sheet["A2"].value == 1 and sheet["A2"].data_type == "n"
    assert sheet["H2"].is_date and sheet["H2"].value.date() == hostile_item.due_date
    assert not sheet["B1"].quotePrefix  # ordinary text gets no special style


@pytest.mark.django_db
def test_an_error_code_title_stays_text(noivu):
    make_task(actor=noivu, title="#N/A")
    cells = _cells(fetch_document(login(noivu), reverse("task_export")).data)
    assert _the_cell(cells, "#N/A").data_type == "s"


@pytest.mark.django_db
def test_a_stored_control_character_does_not_break_the_export(noivu):
    task = make_task(actor=noivu, title="Báo cáo quý")
    # \x1f, not NUL: PostgreSQL cannot store NUL, and the rule now refuses both on input.
    Task.objects.filter(pk=task.pk).update(title="Báo cáo\x01 quý\x0b", legal_basis="\x1f=1+1")
    response = fetch_document(login(noivu), reverse("task_export"))
    assert response.status_code == 200
    cells = _cells(response.data)
    assert _the_cell(cells, "Báo cáo quý").data_type == "s"
    assert _the_cell(cells, "=1+1").quotePrefix


@pytest.mark.django_db
def test_results_export_shows_body_names_and_titles_as_typed(noivu):
    period = build_period(noivu, codes=("STP", "TUYHOA"))
    _rename("STP", name=HYPERLINK)
    period.title = "=1+2"
    period.save()
    response = fetch_document(login(noivu), f"/scoring/periods/{period.pk}/results.xlsx")
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[0]
    for cell in (sheet["A1"], sheet["B3"]):
        assert cell.data_type == "s" and cell.quotePrefix
    assert (sheet["A1"].value, sheet["B3"].value) == ("=1+2", HYPERLINK)
    assert sheet["D3"].data_type == "n" and isinstance(sheet["D3"].value, int | float)
    cells = [c for s in workbook.worksheets for row in s.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]


@pytest.mark.django_db
def test_criteria_template_is_text_and_numbers_only(noivu):
    response = login(noivu).get(reverse("criteria_set_template"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value not in (None, "")]
    assert {c.data_type for c in cells} == {"s", "n"}
    assert sheet["C3"].value == "Công tác chỉ đạo, điều hành CCHC" and sheet["D3"].value == 3


def test_no_module_builds_a_workbook_but_the_one_writer():
    """One rule, one place: only ``agencies.spreadsheets`` creates openpyxl workbooks."""
    offenders = []
    for package in ("agencies", "coordination", "scoring", "reports", "phuyen_cchc"):
        for path in (ROOT / package).rglob("*.py"):
            if path.relative_to(ROOT).as_posix() == "agencies/spreadsheets.py":
                continue
            offenders += [
                str(path.relative_to(ROOT))
                for node in ast.walk(ast.parse(path.read_text()))
                if isinstance(node, ast.ImportFrom)
                and (node.module or "").startswith("openpyxl")
                and any(alias.name == "Workbook" for alias in node.names)
            ]
    assert not offenders, offenders


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+1", "-1", "@A1", "\t=1+1", "\r=1+1", "\n=1+1", "＝1+1", "＋1", "－1", "＠A1"],
)
def test_formula_starts_are_kept_as_typed(value):
    assert safe_cell(value) == value


def test_safe_cell_keeps_types_and_drops_what_a_workbook_cannot_hold():
    assert safe_cell(5) == 5 and safe_cell(Decimal("9.5")) == Decimal("9.5")
    assert safe_cell(True) is True and safe_cell(None) is None
    assert safe_cell(float("nan")) is None and safe_cell(Decimal("Infinity")) is None
    assert safe_cell(dt.date(2025, 1, 2)) == dt.date(2025, 1, 2)
    aware = timezone.make_aware(dt.datetime(2025, 1, 2, 9, 30))
    assert safe_cell(aware) == dt.datetime(2025, 1, 2, 9, 30)
    assert safe_cell("a\x00b\x1fc\ufffe") == "abc" and safe_cell("x" * 40_000) == "x" * 32_767
    assert safe_cell("dòng 1\ndòng 2\tcột") == "dòng 1\ndòng 2\tcột"


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(not SOFFICE, reason="LibreOffice is not installed")
@pytest.mark.django_db
def test_libreoffice_shows_the_text_without_evaluating_it_or_an_apostrophe(
    noivu, hostile_item, tmp_path
):
    source = tmp_path / "export.xlsx"
    source.write_bytes(fetch_document(login(noivu), reverse("task_export")).data)
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    shown = {v for row in csv.reader((tmp_path / "export.csv").open()) for v in row}
    assert set(FORMULAS.values()) <= shown  # not "y", "2" or "'=1+1"
