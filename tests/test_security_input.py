"""Bad input: random data never causes a 500 or a save; user text is escaped everywhere;
every form of the apps goes through the portal's text and number rules, and random text in
every number field of the portal is answered, never a 500."""

from __future__ import annotations

import importlib
import inspect
import io
from decimal import Decimal
from pathlib import Path

import django_filters
import pytest
from django import forms
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from agencies.forms import BoundedFormMixin
from agencies.models import Agency
from coordination.models import Contribution, Task
from scoring.importing import parse_criteria_file
from tests.conftest import login
from tests.coordination_factories import make_task
from tests.reports_factories import fetch_document

FUZZ = settings(
    max_examples=30,
    database=None,  # no .hypothesis/ folder in the working tree
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text that a form might get: random unicode, over-long strings, numbers, dates and ids.
junk = st.one_of(
    st.text(max_size=40),
    st.text(min_size=301, max_size=400),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
    st.sampled_from(["", " ", "0", "-1", "99999999", "31/02/2025", "2025-13-01", "abc", "\x00"]),
)


task_data = st.fixed_dictionaries(
    {
        "title": junk,
        "category": st.one_of(junk, st.just("other")),
        "legal_basis": junk,
        "description": junk,
        "due_mode": st.one_of(junk, st.sampled_from(["date", "working_days"])),
        "due_date": junk,
        "due_working_days": junk,
        "contributor_due_date": junk,
        "chair": junk,
        "tracker": junk,
        "contributors": st.lists(junk, max_size=3),
        "parent": junk,
        "recurrence": junk,
    }
)


@pytest.mark.django_db
@FUZZ
@given(data=task_data)
def test_random_input_to_the_task_form_never_fails_or_saves_invalid_data(noivu, data):
    client = login(noivu)
    before = Task.objects.count()
    response = client.post(reverse("task_create"), data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert Task.objects.count() == before


@pytest.mark.django_db
@FUZZ
@given(
    data=st.fixed_dictionaries(
        {
            "form": st.one_of(junk, st.sampled_from(["comment", "report", "opinion"])),
            "document_number": junk,
            "body": st.one_of(junk, st.text(min_size=1, max_size=5).map(lambda s: s * 50001)),
            "submit": st.sampled_from(["", "1"]),
        }
    )
)
def test_random_input_to_the_contribution_form_never_fails(noivu, contrib_focal, data):
    task = Task.objects.first() or make_task(actor=noivu, contributors=("STC",))
    client = login(contrib_focal)
    before = Contribution.objects.count()
    response = client.post(reverse("contribution_new", args=[task.pk]), data)
    assert response.status_code in (200, 302, 403)
    if response.status_code != 302:
        assert Contribution.objects.count() == before


csv_cell = st.one_of(st.text(max_size=12).map(lambda s: s.replace(",", " ")), junk)


@pytest.mark.django_db
@FUZZ
@given(
    content=st.one_of(
        st.binary(max_size=2000),
        st.lists(st.lists(csv_cell, max_size=8), max_size=8).map(
            lambda rows: "\n".join(",".join(r) for r in rows).encode("utf-8", "surrogatepass")
        ),
        st.lists(st.lists(csv_cell, min_size=7, max_size=7), max_size=6).map(
            lambda rows: (
                "code,parent_code,title,max_points,method,options,responsible_agency\n"
                + "\n".join(",".join(r) for r in rows)
            ).encode("utf-8", "surrogatepass")
        ),
    ),
    name=st.sampled_from(["tieu-chi.csv", "tieu-chi.xlsx", "tieu-chi.txt"]),
)
def test_random_files_to_the_criteria_importer_are_reported_not_raised(content, name):
    before = Agency.objects.count()
    result = parse_criteria_file(name, content, Decimal("100"))
    assert result.errors or result.rows is not None
    assert Agency.objects.count() == before


XSS = "<script>alert(1)</script>"


@pytest.mark.django_db
def test_a_script_title_is_escaped_on_the_page_in_excel_and_in_the_pdf(noivu):
    task = make_task(actor=noivu, contributors=("STC",), title=XSS)
    client = login(noivu)
    page = client.get(reverse("task_detail", args=[task.pk])).content.decode()
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    export = fetch_document(client, reverse("task_export"))
    sheet = load_workbook(io.BytesIO(export.data)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == XSS]
    assert cells and all(c.data_type == "s" for c in cells)

    pdf = fetch_document(client, reverse("task_dossier_pdf", args=[task.pk]))
    assert pdf.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "<script>alert(1)</script>" in text.replace("\n", "")


@pytest.mark.django_db
def test_an_excel_title_starting_with_equals_opens_as_text(noivu):
    make_task(actor=noivu, contributors=("STC",), title='=HYPERLINK("http://x","y")')
    export = fetch_document(login(noivu), reverse("task_export"))
    sheet = load_workbook(io.BytesIO(export.data)).active
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(c.data_type == "f" for c in cells)
    title = next(c for c in cells if c.value == '=HYPERLINK("http://x","y")')
    assert title.data_type == "s" and title.quotePrefix


@pytest.mark.django_db
def test_script_in_a_comment_and_a_file_name_is_escaped_on_the_item_page(noivu, contrib_focal):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from coordination import services

    task = make_task(actor=noivu, contributors=("STC",))
    services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body=XSS, submit=True
    )
    services.attachment_add(
        actor=noivu,
        task=task,
        upload=SimpleUploadedFile(
            '"><img src=x onerror=alert(1)>.pdf', b"%PDF-1.4\n%x\n", "application/pdf"
        ),
    )
    page = login(noivu).get(reverse("task_detail", args=[task.pk])).content.decode()
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x onerror" not in page


# --- Every form goes through the portal's rules (issue 12) ------------------------------

ROOT = Path(__file__).resolve().parent.parent
FEATURE_APPS = ("agencies", "coordination", "scoring", "reports")


def _project_modules():
    for app in FEATURE_APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            yield importlib.import_module(name.removesuffix(".__init__"))


def _project_classes(base: type) -> list[type]:
    found = {
        cls
        for module in _project_modules()
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, base) and cls.__module__ == module.__name__
    }
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


FORMS = _project_classes(forms.BaseForm)


def test_every_form_of_the_apps_applies_the_text_and_number_rules():
    """A new form cannot skip the rules: it must be a PortalForm or PortalModelForm."""
    assert len(FORMS) > 15
    skipping = [
        f"{c.__module__}.{c.__name__}" for c in FORMS if not issubclass(c, BoundedFormMixin)
    ]
    assert not skipping, skipping


def test_every_filter_form_applies_the_text_and_number_rules():
    filters = _project_classes(django_filters.FilterSet)
    assert filters
    skipping = [f.__name__ for f in filters if not issubclass(f._meta.form, BoundedFormMixin)]
    assert not skipping, skipping


def test_a_form_that_overrides_clean_still_runs_the_rules_clean():
    """The rules' clean() stores line breaks as LF: an override must call super().clean()."""
    silent = [
        c.__name__
        for c in FORMS
        if "clean" in vars(c) and "super().clean()" not in inspect.getsource(vars(c)["clean"])
    ]
    assert not silent, silent


# Random text for a number box: digits, signs, separators, exponents, NaN and Infinity in
# their spellings, digits of other scripts, superscripts, and very long runs of digits.
numberish = st.one_of(
    st.from_regex(r"\A[+-]?[0-9]{0,35}([.,][0-9]{0,8})?([eE][+-]?[0-9]{1,5})?\Z"),
    st.sampled_from(
        [
            "nan",
            "NaN",
            "-nan",
            "sNaN",
            "inf",
            "-Infinity",
            "∞",
            "1E+50",
            "9" * 29,
            "-0",
            "1,5",
            "1.000",
            "1.000,5",
            "١٢",
            "²",
            "1_000",
            "0x10",
            " 5 ",
            "5.",
            ".5",
            ",",
            "1e999999999",
            "",
            "\x00",
            "1\x00",
            "٫5",
        ]
    ),  # fmt: skip
    st.text(
        alphabet=st.one_of(
            st.sampled_from("0123456789.,+-eE _"), st.characters(categories=["Nd", "No"])
        ),
        max_size=30,
    ),
    st.integers(min_value=30, max_value=200_000).map(lambda n: "9" * n),
    st.text(max_size=30),
)
NUMBER_FUZZ = settings(
    max_examples=40,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _criteria_import(get, field):
    data = {"year": "2025", "target": "department", "title": "Bộ tiêu chí", "total_points": "10"}
    return login(get("noivu")), reverse("criteria_set_import"), data, field


def _criteria_copy(get, field):
    from tests.scoring_factories import build_set

    url = reverse("criteria_set_copy", args=[build_set().pk])
    return login(get("noivu")), url, {}, field


def _period(get, field, *, edit: bool):
    from tests.scoring_factories import build_period

    period = build_period(get("noivu"), codes=("STP",))
    url = reverse("period_edit", args=[period.pk]) if edit else reverse("period_create")
    return login(get("noivu")), url, {"title": "Đợt chấm", "bands": "[]"}, field


def _appeal(get, field):
    from tests.scoring_factories import assessment_of, build_period
    from tests.test_security_numbers import _appeal as appeal_for

    stp = assessment_of(build_period(get("noivu"), codes=("STP",)), "STP")
    appeal = appeal_for(stp, get("chair_focal"), get("noivu"))
    data = {"accept": "1", "decision": "Đồng ý"}
    return login(get("noivu")), reverse("appeal_decide", args=[appeal.pk]), data, field


def _task_create(get, field):
    data = {"title": "Nhiệm vụ", "category": "plan", "due_mode": "working_days"}
    return login(get("noivu")), reverse("task_create"), data, field


def _task_edit(get, field):
    task = make_task(actor=get("noivu"), contributors=("STC",))
    data = {"title": task.title, "category": task.category, "due_date": task.due_date}
    return login(get("noivu")), reverse("task_edit", args=[task.pk]), data, field


def _reports(get, field):
    return login(get("noivu")), reverse(field), {"kind": "ad_hoc", "title": "Kỳ"}, "year"


def _agency_report(get, field):
    from tests.reports_factories import focal, make_round, report_of

    report = report_of(make_round(), "STP")
    url = reverse("agency_report_edit", args=[report.pk])
    return login(focal("STP")), url, {"sec_direction": "Nội dung", "action": "draft"}, field


def _sheet(get, field):
    from tests.scoring_factories import assessment_of, build_period, criterion

    stp = assessment_of(build_period(get("noivu"), codes=("STP",)), "STP")
    pk = criterion(stp, "3").pk
    data = {f"score_{pk}": "5", f"note_{pk}": ""}
    url = reverse("assessment_save", args=[stp.pk])
    return login(get("chair_focal")), url, data, f"{field}_{pk}"


# (form, field) -> how to reach it through its page. Fields made in a form's __init__ or
# parsed by hand are listed with "*".
NUMBER_TARGETS = {
    ("CriteriaImportForm", "year"): (_criteria_import, "year"),
    ("CriteriaImportForm", "total_points"): (_criteria_import, "total_points"),
    ("CopyForm", "year"): (_criteria_copy, "year"),
    ("PeriodForm", "year"): (lambda get, f: _period(get, f, edit=False), "year"),
    ("PeriodEditForm", "year"): (lambda get, f: _period(get, f, edit=True), "year"),
    ("AppealDecideForm", "new_score"): (_appeal, "new_score"),
    ("TaskCreateForm", "due_working_days"): (_task_create, "due_working_days"),
    ("TaskEditForm", "version"): (_task_edit, "version"),
    ("RoundForm", "year"): (_reports, "round_create"),
    ("YearForm", "year"): (_reports, "rounds_create_year"),
    ("AgencyReportForm", "ind_*"): (_agency_report, "ind_inspections"),
    ("scoring sheet", "score_*"): (_sheet, "score"),
    ("scoring sheet", "v_*"): (_sheet, "v"),
}
NUMBER_FIELDS = (forms.IntegerField, forms.DecimalField, forms.FloatField)


def test_every_number_field_of_the_portal_is_fuzzed():
    declared = {
        (c.__name__, name)
        for c in FORMS
        for name, field in c.base_fields.items()
        if isinstance(field, NUMBER_FIELDS)
    }
    assert declared - set(NUMBER_TARGETS) == set()
    assert {k for k in NUMBER_TARGETS if not k[1].endswith("*")} <= declared  # none stale


@pytest.mark.django_db
@pytest.mark.parametrize("target", sorted(NUMBER_TARGETS), ids=lambda t: ".".join(t))
def test_random_text_in_any_number_field_is_answered_never_a_500(request, target):
    build, key = NUMBER_TARGETS[target]
    client, url, data, field = build(request.getfixturevalue, key)

    @NUMBER_FUZZ
    @given(raw=numberish)
    def post(raw):
        # The test client re-raises any uncaught exception in the view.
        response = client.post(url, {**data, field: raw})
        assert response.status_code in (200, 302)

    post()
