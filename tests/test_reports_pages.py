"""The journeys through the report pages: submit, refuse bad figures, return, consolidate,
issue, re-download exactly."""

from __future__ import annotations

import pytest
from django.test import TestCase
from django.urls import reverse

from agencies.once import new_token
from reports.models import AgencyReport, ConsolidatedReport, GeneratedDocument
from tests.conftest import login
from tests.reports_factories import (
    GOOD_VALUES,
    fetch_document,
    focal,
    make_round,
    report_of,
    submit,
)

pytestmark = pytest.mark.django_db


def _form(values: dict, action: str = "submit") -> dict:
    data = {f"ind_{k}": str(v) for k, v in values.items()}
    return data | {"sec_direction": "Đã ban hành kế hoạch.", "action": action}


def test_bad_figures_are_refused_on_the_page_and_nothing_is_saved():
    rnd = make_round()
    report = report_of(rnd, "STP")
    client = login(focal("STP"))
    url = reverse("agency_report_edit", args=[report.pk])
    response = client.post(url, _form(GOOD_VALUES | {"tthc_on_time": 1300}))
    assert response.status_code == 200
    assert "vượt quá" in response.content.decode()
    report.refresh_from_db()
    assert report.status == "draft" and report.indicators == {} and report.version == 0


def test_focal_officer_submits_and_officer_returns_then_accepts(noivu):
    rnd = make_round(actor=noivu)
    report = report_of(rnd, "STC")
    client = login(focal("STC"))
    response = client.post(reverse("agency_report_edit", args=[report.pk]), _form(GOOD_VALUES))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "submitted" and report.indicators["tthc_received"] == 1200
    officer = login(noivu)
    officer.post(reverse("agency_report_return", args=[report.pk]), {"reason": "Bổ sung số liệu"})
    report.refresh_from_db()
    assert report.status == "returned"
    page = client.get(reverse("agency_report_detail", args=[report.pk])).content.decode()
    assert "Bổ sung số liệu" in page
    client.post(reverse("agency_report_edit", args=[report.pk]), _form(GOOD_VALUES))
    officer.post(reverse("agency_report_accept", args=[report.pk]), {"confirmed": "1"})
    report.refresh_from_db()
    assert report.status == "accepted" and report.versions.count() == 2


def test_officer_consolidates_issues_and_redownloads_the_same_bytes(noivu, leader):
    rnd = make_round(actor=noivu)
    submit(rnd, "STP")
    officer = login(noivu)
    officer.post(reverse("consolidated_edit", args=[rnd.pk]), {"action": "create"})
    cons = ConsolidatedReport.objects.get(round=rnd)
    data = {
        "action": "save",
        "signer_title": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
        "signer_name": "Nguyễn Văn An",
    } | {f"sec_{c}": f"Nội dung {c}" for c in rnd.section_codes}
    assert officer.post(reverse("consolidated_edit", args=[rnd.pk]), data).status_code == 302
    with TestCase.captureOnCommitCallbacks(execute=True):  # the freezing job runs
        issue = reverse("consolidated_issue", args=[rnd.pk])
        assert officer.post(issue, {"confirmed": "1"}).status_code == 302
    cons.refresh_from_db()
    assert cons.number == 1 and cons.is_issued
    first = fetch_document(login(leader), reverse("consolidated_pdf", args=[rnd.pk])).data
    AgencyReport.objects.filter(round=rnd).update(indicators=GOOD_VALUES | {"inspections": 99})
    again = fetch_document(login(leader), reverse("consolidated_pdf", args=[rnd.pk])).data
    assert again == first and first.startswith(b"%PDF-")
    assert GeneratedDocument.objects.get(kind="consolidated").frozen


def test_officer_opens_the_year_schedule_from_the_reports_page(noivu):
    client = login(noivu)
    assert (
        client.post(
            reverse("rounds_create_year"), {"year": "2025", "once": new_token()}
        ).status_code
        == 302
    )
    page = client.get(reverse("reports_home")).content.decode()
    assert "quý I năm 2025" in page and "6 tháng đầu năm 2025" in page
