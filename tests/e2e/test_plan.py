"""Chị Lan enters next year's plan in real Chromium: 40 items from the downloaded template,
and last year's items copied (issue 18, point 1; docs/plan-import.md)."""

from __future__ import annotations

import datetime as dt
import time

from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from coordination import calendar
from coordination.models import Task

from .helpers import DESKTOP, PHONE, assert_accessible, check_page, login, screenshot

BODIES = ["STP", "STC", "TUYHOA", "SKHDT", "STTTT", "VPUBND"]
CATEGORIES = ["Chương trình, kế hoạch CCHC", "Kiểm tra CCHC", "Báo cáo CCHC", "4", "plan"]
TEN_MINUTES = 600


def _working_days(count: int) -> list[dt.date]:
    """``count`` working days from six weeks on, a few days apart, as an officer would pick."""
    days, day = [], timezone.localdate() + dt.timedelta(days=42)
    while len(days) < count:
        if calendar.is_working_day(day):
            days.append(day)
        day += dt.timedelta(days=3)
    return days


def _fits_a_phone(page) -> None:
    page.set_viewport_size(PHONE)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    page.set_viewport_size(DESKTOP)
    assert overflow <= 1, f"{page.url} scrolls sideways by {overflow}px at 360px"


def _fill_template(path, rows: int) -> None:
    """The template as downloaded, with ``rows`` items typed under its example row."""
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    for n, due in enumerate(_working_days(rows), start=1):
        chair = BODIES[n % len(BODIES)]
        others = [b for b in BODIES if b != chair][: 1 + n % 3]
        sheet.append(
            [
                f"Nhiệm vụ kế hoạch CCHC năm sau số {n:02d}",
                CATEGORIES[n % len(CATEGORIES)],
                chair,
                "SNV",
                ", ".join(others),
                due,
                None,
                "Kế hoạch CCHC năm của UBND tỉnh",
                "Thực hiện theo kế hoạch.",
                "",
                "",
            ]
        )
    workbook.save(path)


def test_forty_items_of_a_plan_imported_in_under_ten_minutes(demo, new_page, tmp_path):
    started = time.monotonic()
    before = Task.objects.count()
    page = new_page()
    login(page, "noivu")
    check_page(page, "/tasks/plan/import/", "plan-import")
    page.goto("/tasks/")
    page.get_by_role("link", name="Nhập kế hoạch từ Excel").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nhập kế hoạch năm")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải tệp mẫu (.xlsx)").click()
    path = tmp_path / "ke-hoach-nam-sau.xlsx"
    download.value.save_as(path)
    _fill_template(path, 40)

    page.get_by_label("Tệp kế hoạch (.xlsx)").set_input_files(str(path))
    page.get_by_role("button", name="Xem trước").click()
    expect(page.get_by_role("status")).to_contain_text("Tệp hợp lệ: 40 nhiệm vụ")
    assert Task.objects.count() == before  # the preview saves nothing
    assert_accessible(page)
    _fits_a_phone(page)
    screenshot(page, "plan-import-preview")

    page.get_by_role("button", name="Tạo các nhiệm vụ (40)").click()
    expect(page.locator(".alert--success, .messages").first).to_contain_text("Đã tạo 40 nhiệm vụ")
    created = Task.objects.filter(title__startswith="Nhiệm vụ kế hoạch CCHC năm sau số")
    assert created.count() == 40
    assert set(created.values_list("status", flat=True)) == {Task.Status.DRAFT}
    expect(page.get_by_role("link", name="Nhiệm vụ kế hoạch CCHC năm sau số 01")).to_be_visible()
    elapsed = time.monotonic() - started
    assert elapsed < TEN_MINUTES, f"40 items took {elapsed:.0f} s"
    print(f"\n40 plan items imported through the browser in {elapsed:.1f} s")


def test_last_years_items_copied_as_drafts(demo, new_page):
    year = timezone.localdate().year
    page = new_page()
    login(page, "noivu")
    page.goto("/tasks/")
    page.get_by_role("link", name="Sao chép từ năm trước").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sao chép nhiệm vụ từ năm trước")
    page.get_by_label("Sao chép từ năm").select_option(str(year))
    page.get_by_role("button", name="Xem nhiệm vụ").click()
    page.get_by_role("link", name="Chọn tất cả").click()
    assert_accessible(page)
    _fits_a_phone(page)
    screenshot(page, "plan-copy")
    ticked = page.locator("input[name=task]:checked").count()
    assert ticked > 0
    page.get_by_role("button", name="Xem trước các bản sao").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"sang năm {year + 1}")
    assert_accessible(page)
    _fits_a_phone(page)
    screenshot(page, "plan-copy-preview")
    before = Task.objects.filter(due_date__year=year + 1, status=Task.Status.DRAFT).count()
    page.get_by_role("button", name="bản sao (dự thảo)").click()
    expect(page.locator(".alert--success, .messages").first).to_contain_text("bản sao (dự thảo)")
    after = Task.objects.filter(due_date__year=year + 1, status=Task.Status.DRAFT).count()
    assert after - before == ticked
    copy = Task.objects.filter(due_date__year=year + 1, status=Task.Status.DRAFT).last()
    reasons = copy.history.values_list("history_change_reason", flat=True)
    assert any(r.startswith("Sao chép từ #") for r in reasons)
