"""Every PDF kind renders from the demo data as a Vietnamese administrative document:
it parses, carries the national motto and correct Vietnamese names (NFC, diacritics
intact) and embeds its fonts."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

import pytest
from django.urls import reverse
from pypdf import PdfReader

from agencies.demo import seed_users
from agencies.models import User
from coordination import demo as coordination_demo
from coordination.models import Task
from reports import catalog, pdf
from reports import demo as reports_demo
from reports.models import AgencyReport, ReportRound
from scoring import demo as scoring_demo
from scoring.models import Assessment, ScoringPeriod
from tests.conftest import login
from tests.reports_factories import document, fetch_document

MOTTO = "Độc lập - Tự do - Hạnh phúc"
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"


class _Quiet:
    def write(self, *args, **kwargs):
        pass


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def embedded_fonts(data: bytes) -> set[str]:
    """Names of fonts whose program is embedded (FontFile/FontFile2/FontFile3)."""
    reader = PdfReader(io.BytesIO(data))
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descendants = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for desc in descendants:
                descriptor = desc.get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    names.add(str(descriptor["/FontName"]))
    return names


def assert_document(data: bytes, *expected: str) -> str:
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert unicodedata.normalize("NFC", text) == text, "text layer is not NFC"
    for phrase in (MOTTO, NATION, "UBND TỈNH PHÚ YÊN", *expected):
        assert phrase in text, phrase
    fonts = embedded_fonts(data)
    assert fonts and all("Liberation" in f for f in fonts), fonts
    return text


@pytest.fixture
def demo(db):
    seed_users(password="Mat-khau-thu-nghiem-2024")
    coordination_demo.seed(password="x", stdout=_Quiet())
    scoring_demo.seed(password="x", stdout=_Quiet())
    reports_demo.seed(password="x", stdout=_Quiet())


def test_leadership_downloads_every_kind_from_demo_data(demo):
    client = login(User.objects.get(username="lanhdao"))
    q1 = ReportRound.objects.get(year=2024, period="Q1")
    stp = AgencyReport.objects.get(round=q1, agency__code="STP")
    task = Task.objects.exclude(status="draft").order_by("pk").first()
    period = ScoringPeriod.objects.order_by("pk").first()
    stp_card = Assessment.objects.get(period=period, agency__code="STP")
    today = dt.date.today()
    downloads = {
        "consolidated": (reverse("consolidated_pdf", args=[q1.pk]), ["BÁO CÁO", "Sở Tư pháp"]),
        "agency_report": (reverse("agency_report_pdf", args=[stp.pk]), ["SỞ TƯ PHÁP"]),
        "coordination_status": (
            reverse("coordination_status_pdf") + f"?from={today.year}-01-01&to={today.year}-12-31",
            ["Tình hình thực hiện các nhiệm vụ phối hợp", "Sở Nội vụ"],
        ),
        "task_dossier": (reverse("task_dossier_pdf", args=[task.pk]), [task.title[:30]]),
        "scoring_results": (
            reverse("scoring_results_pdf", args=[period.pk]),
            ["Kết quả xác định Chỉ số cải cách hành chính", "Sở Tư pháp", "Sở Tài chính"],
        ),
        "scorecard": (
            reverse("scorecard_pdf", args=[stp_card.pk]),
            ["BẢNG ĐIỂM", "Sở Tư pháp", "Tổng cộng", "điểm thẩm định hoặc tự chấm"],
        ),
    }
    for kind, (url, expected) in downloads.items():
        response = fetch_document(client, url)
        assert response.status_code == 200, kind
        assert response["Content-Type"] == "application/pdf"
        assert_document(response.data, *expected)


def test_officer_downloads_reminder_letter_with_overdue_items(demo):
    client = login(User.objects.get(username="noivu"))
    from reports.selectors import overdue_by_agency

    body = overdue_by_agency()[0]
    response = fetch_document(client, reverse("reminder_letter_pdf", args=[body["agency__code"]]))
    assert response.status_code == 200
    text = assert_document(response.data, "Kính gửi:", "V/v đôn đốc", "/SNV-CCHC")
    assert body["agency__name"].split()[-1] in text


def test_consolidated_totals_equal_sum_of_submissions(demo):
    q1 = ReportRound.objects.get(year=2024, period="Q1")
    counted = AgencyReport.objects.filter(round=q1, status__in=["submitted", "accepted"])
    expected = sum(r.indicators["tthc_received"] for r in counted)
    context = pdf.consolidated_context(q1)
    totals = {row["label"]: row["total"] for row in context["indicators"]}
    assert totals["Số hồ sơ thủ tục hành chính đã tiếp nhận"] == expected
    text = pdf_text(document(catalog.consolidated(q1)))
    assert f"{expected}" in text


def test_district_report_header_and_decomposed_input_is_normalised(demo):
    q1 = ReportRound.objects.get(year=2024, period="Q1")
    report = AgencyReport.objects.get(round=q1, agency__code="TUYHOA")
    decomposed = unicodedata.normalize("NFD", "Kết quả cải cách ở Tuy Hòa")
    report.sections = dict(report.sections, direction=decomposed)
    report.save()
    text = pdf_text(document(catalog.agency_report(report)))
    assert "Kết quả cải cách ở Tuy Hòa" in text
    assert "ỦY BAN NHÂN DÂN" in text and "THÀNH PHỐ TUY HÒA" in text


def test_first_page_has_no_page_number_and_later_pages_do(demo):
    q1 = ReportRound.objects.get(year=2024, period="Q1")
    reader = PdfReader(io.BytesIO(document(catalog.consolidated(q1))))
    assert len(reader.pages) >= 2
    lines = [[ln.strip() for ln in page.extract_text().splitlines()] for page in reader.pages]
    assert "2" in lines[1]
    assert "1" not in lines[0]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2024, 3, 5), "ngày 05 tháng 3 năm 2024"),
        (dt.date(2024, 2, 9), "ngày 09 tháng 02 năm 2024"),
        (dt.date(2024, 1, 15), "ngày 15 tháng 01 năm 2024"),
        (dt.date(2024, 12, 20), "ngày 20 tháng 12 năm 2024"),
    ],
)
def test_vietnamese_date_follows_leading_zero_rules(day, expected):
    assert pdf.vn_date(day) == expected


def test_number_line_pads_numbers_below_ten():
    assert pdf.number_line(5, "BC-SNV") == "Số: 05/BC-SNV"
    assert pdf.number_line(123, "SNV-CCHC") == "Số: 123/SNV-CCHC"
    assert pdf.number_line(None, "BC-SNV").endswith("/BC-SNV")


def test_tuyhoa_cannot_download_another_bodys_scorecard_before_publication(demo):
    period = ScoringPeriod.objects.order_by("pk").first()
    assert period.published_at is None
    client = login(User.objects.get(username="tuyhoa"))
    stp = Assessment.objects.get(period=period, agency__code="STP")
    own = Assessment.objects.get(period=period, agency__code="TUYHOA")
    assert client.get(reverse("scorecard_pdf", args=[stp.pk])).status_code == 404
    assert fetch_document(client, reverse("scorecard_pdf", args=[own.pk])).status_code == 200
    assert client.get(reverse("scoring_results_pdf", args=[period.pk])).status_code == 403
