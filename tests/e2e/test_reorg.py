"""Chị Lan applies the departments plan of 1/3/2025 in real Chromium: upload, preview (Sở Kế
hoạch và Đầu tư ends, Sở Tài chính takes its open work), confirm in the dialog, the
summary; then the directory's lineage and "as of" date. At 1280 and 360 px; screenshots
in docs/screenshots/reorg-* (docs/reorganisation.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from agencies.models import Agency, User
from reorg.models import Plan
from reorg.services import plan_apply, plan_from_file

from .conftest import ROOT
from .helpers import DESKTOP, PHONE, assert_accessible, check_page, login, screenshot

PLAN = ROOT / "reorg" / "plans" / "2025-03-01-departments.csv"


def _fits_a_phone(page) -> None:
    page.set_viewport_size(PHONE)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    page.set_viewport_size(DESKTOP)
    assert overflow <= 1, f"{page.url} scrolls sideways by {overflow}px at 360px"


def _upload(page, path: Path) -> None:
    page.goto("/reorganisation/")
    page.get_by_label("Tệp phương án (.csv hoặc .xlsx)").set_input_files(str(path))
    page.get_by_role("button", name="Tải lên và xem trước").click()


def test_the_departments_plan_uploaded_previewed_and_applied(demo, new_page):
    page = new_page()
    login(page, "noivu")
    page.goto("/")
    page.locator(".mainnav").get_by_role("link", name="Sắp xếp cơ quan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sắp xếp cơ quan, đơn vị")
    check_page(page, "/reorganisation/", "reorg-plans")

    _upload(page, PLAN)
    expect(page.get_by_role("heading", level=1)).to_have_text("2025-03-01-departments")
    expect(page.locator(".alert--success")).to_contain_text("chưa áp dụng")
    skhdt = page.locator("details.handover", has_text="Sở Kế hoạch và Đầu tư")
    expect(skhdt.locator("summary")).to_contain_text("Hợp nhất, sáp nhập → Sở Tài chính")
    expect(page.get_by_text("Sở Nông nghiệp và Môi trường").first).to_be_visible()
    assert Agency.objects.get(code="SKHDT").valid_to is None  # the preview changes nothing
    assert_accessible(page)
    _fits_a_phone(page)
    screenshot(page, "reorg-preview")

    page.get_by_role("button", name="Áp dụng phương án").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("không hoàn tác được")
    dialog.get_by_role("button", name="Áp dụng phương án").click()
    expect(page.locator(".alert--success")).to_contain_text("Đã áp dụng phương án")
    expect(page.get_by_role("heading", name="Kết quả áp dụng")).to_be_visible()
    expect(page.get_by_role("button", name="Áp dụng phương án")).to_have_count(0)
    assert Plan.objects.get().is_applied
    assert Agency.objects.get(code="SKHDT").valid_to == dt.date(2025, 2, 28)
    assert_accessible(page)
    _fits_a_phone(page)
    screenshot(page, "reorg-applied")

    # The same file again is refused line by line (its bodies have ended): nothing stored.
    _upload(page, PLAN)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Tệp có lỗi, chưa lưu gì")
    expect(alert).to_contain_text("Dòng 2: SKHDT đã kết thúc ngày 28/02/2025.")
    assert Plan.objects.count() == 1
    assert_accessible(page)
    _fits_a_phone(page)
    screenshot(page, "reorg-upload-errors")


def test_the_directory_shows_lineage_and_the_bodies_of_a_date_on_a_phone(demo, new_page):
    officer = User.objects.get(username="noivu")
    upload = SimpleUploadedFile(PLAN.name, PLAN.read_bytes(), content_type="text/csv")
    plan_apply(plan_from_file(actor=officer, upload=upload), actor=officer)

    page = new_page(**PHONE)
    login(page, "stc")
    page.goto("/agencies/")
    expect(page.get_by_role("link", name="Sở Kế hoạch và Đầu tư")).to_have_count(0)
    page.get_by_label("Danh bạ tại ngày").fill("2025-02-28")
    page.get_by_role("button", name="Xem").click()
    expect(page.get_by_text("Các cơ quan hoạt động ngày 28/02/2025")).to_be_visible()
    page.get_by_role("link", name="Sở Kế hoạch và Đầu tư").click()
    expect(page.get_by_role("heading", name="Quá trình sắp xếp")).to_be_visible()
    page.get_by_role("link", name="Sở Tài chính").click()
    expect(page.get_by_role("heading", name="Tiếp nhận từ")).to_be_visible()
    check_page(page, "/agencies/STC/", "reorg-lineage")
    check_page(page, "/agencies/?on=2025-02-28", "directory-as-of")
