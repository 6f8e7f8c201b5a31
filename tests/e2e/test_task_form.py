"""The item form in the browser (issue 18, points 2, 3, 18, 19), as Nội vụ's officer:
choosing bodies with the grouped picker by keyboard, a working-day deadline counted from a
start date before Tết with its preview, a date the browser cannot read, and pages that do
not scroll sideways with a 125-letter word in them."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page, expect

from agencies.models import Agency
from coordination.models import Contribution, Task
from reports.models import AgencyReport, ReportRound

from .helpers import DESKTOP, PHONE, assert_accessible, login, screenshot

LONG_WORD = ("Quanlyhanhchinhnhanuoc" * 6)[:122] + "Phu"  # 125 letters, no break opportunity
assert len(LONG_WORD) == 125


def sideways(page: Page) -> int:
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def tables_sideways(page: Page) -> int:
    """How far the widest table scrolls inside its frame (a table may scroll there, but
    not because of one long word)."""
    return page.evaluate(
        """() => Math.max(0, ...Array.from(document.querySelectorAll('.table-wrap'))
            .map(t => t.scrollWidth - t.clientWidth))"""
    )


def picker(page: Page):
    return page.locator("[data-picker]")


def test_noivu_chooses_bodies_by_keyboard_and_counts_a_deadline_over_tet(demo, new_page):
    page = new_page()
    login(page, "noivu")
    page.goto("/tasks/new/")
    page.get_by_label("Tên nhiệm vụ").fill("Kế hoạch CCHC năm 2027 (lập trước Tết)")
    page.get_by_label("Cơ quan chủ trì").select_option(label="Sở Tư pháp")
    box = picker(page)
    count = box.locator("[data-picker-count]")
    expect(count).to_have_text("0")

    # Search ignores accents; Enter does not send the form; Space ticks the focused box.
    search = box.get_by_label("Tìm cơ quan theo tên")
    search.fill("tai chinh")
    search.press("Enter")
    assert page.url.endswith("/tasks/new/") and page.locator(".errorlist").count() == 0
    visible = box.locator("[data-picker-item]:visible")
    expect(visible).to_have_count(1)
    expect(visible).to_contain_text("Sở Tài chính")
    search.press("Tab")
    for _ in range(3):  # the group's "Chọn tất cả" comes before its bodies
        if page.evaluate("() => document.activeElement.type") == "checkbox":
            break
        page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.closest('label').textContent")
    assert focused.strip() == "Sở Tài chính"
    page.keyboard.press("Space")
    expect(count).to_have_text("1")
    search.fill("")
    search.press("Escape")
    expect(box.locator("[data-picker-item]:visible")).to_have_count(Agency.objects.active().count())

    # "Chọn tất cả" for the district and commune level, then one body less.
    local = box.locator("fieldset", has_text="UBND cấp huyện, cấp xã")
    local_total = local.locator("input[type=checkbox]").count()
    local.get_by_role("button", name="Chọn tất cả: UBND cấp huyện, cấp xã").click()
    expect(count).to_have_text(str(1 + local_total))
    expect(
        local.get_by_role("button", name="Bỏ chọn tất cả: UBND cấp huyện, cấp xã")
    ).to_be_visible()
    local.get_by_label("Ủy ban nhân dân thị xã Đông Hòa").uncheck()
    expect(count).to_have_text(str(local_total))

    # Five working days from Monday 1 February 2027: Tết and the weekend are skipped.
    page.get_by_label("Số ngày làm việc kể từ một ngày (mặc định hôm nay)").check()
    expect(page.locator("#id_due_date")).to_be_hidden()
    page.locator("#id_due_working_days").fill("5")
    page.get_by_label("Tính từ ngày").fill("2027-02-01")
    preview = page.locator("[data-deadline-preview]")
    expect(preview).to_contain_text("Hạn xử lý: Thứ 2, 15/02/2027")
    expect(preview).to_contain_text("Bỏ qua 9 ngày nghỉ")
    expect(preview).to_contain_text("Tết Nguyên Đán")
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    assert sideways(page) <= 1
    page.set_viewport_size(DESKTOP)
    box.scroll_into_view_if_needed()
    screenshot(page, "task-create-picker")

    page.get_by_role("button", name="Tạo nhiệm vụ").click()
    expect(page.locator(".alert--success")).to_contain_text("15/02/2027")
    task = Task.objects.get(title="Kế hoạch CCHC năm 2027 (lập trước Tết)")
    assert task.due_date == dt.date(2027, 2, 15)
    contributors = set(
        task.participations.filter(role="contribute").values_list("agency__code", flat=True)
    )
    assert "STC" in contributors and len(contributors) == local_total


def test_the_picker_on_a_phone(demo, new_page):
    page = new_page(**PHONE)
    login(page, "noivu")
    task = Task.objects.exclude(status__in=["done", "cancelled"]).order_by("pk").first()
    page.goto(f"/tasks/{task.pk}/participants/")
    box = picker(page)
    expect(box.locator("[data-picker-count]")).not_to_have_text("0")  # the item's bodies
    box.get_by_label("Tìm cơ quan theo tên").fill("tuy hoa")
    item = box.locator("[data-picker-item]:visible").first
    expect(item).to_contain_text("Tuy Hòa")
    assert item.bounding_box()["height"] >= 24  # a target a finger can hit
    assert sideways(page) <= 1
    assert_accessible(page)
    screenshot(page, "task-participants-picker")


def test_a_date_the_browser_cannot_read_is_refused_and_kept(demo, new_page):
    page = new_page()
    login(page, "noivu")
    page.goto("/tasks/new/")
    page.get_by_label("Tên nhiệm vụ").fill("Ngày gõ sai")
    page.get_by_label("Cơ quan chủ trì").select_option(label="Sở Tư pháp")
    due = page.locator("#id_due_date")
    due.click()
    page.keyboard.type("31")  # a day and nothing else: not a date
    assert due.evaluate("el => el.validity.badInput")
    page.get_by_role("button", name="Tạo nhiệm vụ").click()
    message = page.locator(".bad-date")
    expect(message).to_contain_text("Ngày không hợp lệ")
    expect(due).to_have_attribute("aria-invalid", "true")
    assert due.evaluate("el => el.validity.badInput")  # what was typed is still there
    active = page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
    assert "due_date" in active, active
    assert page.url.endswith("/tasks/new/")
    assert not Task.objects.filter(title="Ngày gõ sai").exists()
    assert_accessible(page)
    screenshot(page, "task-create-bad-date")
    # Corrected, the message goes and the form is sent.
    due.fill("2027-03-15")
    due.blur()
    expect(message).to_have_count(0)
    page.get_by_role("button", name="Tạo nhiệm vụ").click()
    expect(page.locator(".alert--success")).to_be_visible()
    assert Task.objects.get(title="Ngày gõ sai").due_date == dt.date(2027, 3, 15)


def test_a_long_word_does_not_widen_any_page(demo, new_page):
    task = (
        Task.objects.filter(chair_agency__code="STP")
        .exclude(status__in=["draft", "done", "cancelled"])
        .order_by("pk")
        .first()
    )
    Task.objects.filter(pk=task.pk).update(
        title=f"Nhiệm vụ {LONG_WORD}", description=f"Mô tả {LONG_WORD} hết."
    )
    Contribution.objects.filter(participation__task=task).update(body=f"Ý kiến {LONG_WORD}")
    report = AgencyReport.objects.order_by("pk").first()
    ReportRound.objects.filter(pk=report.round_id).update(title=f"Báo cáo {LONG_WORD}")
    AgencyReport.objects.filter(pk=report.pk).update(
        sections={k: f"{LONG_WORD} {LONG_WORD}" for k in (report.sections or {"a": ""})}
    )
    pages = {
        "noivu": [
            f"/tasks/{task.pk}/",
            "/tasks/",
            f"/tasks/?q={LONG_WORD[:20]}",
            f"/tasks/{task.pk}/history/",
            f"/reports/rounds/{report.round_id}/",
            f"/reports/submissions/{report.pk}/",
            "/reports/",
        ],
        "stp": [f"/tasks/{task.pk}/", f"/tasks/{task.pk}/contribute/", "/"],
    }
    for username, paths in pages.items():
        page = new_page()
        login(page, username)
        for path in paths:
            for size in (DESKTOP, PHONE):
                page.set_viewport_size(size)
                response = page.goto(path)
                assert response is not None and response.ok, path
                width = sideways(page)
                assert width <= 1, f"{path} as {username} scrolls sideways by {width}px"
                inner = tables_sideways(page)
                assert inner <= 1, f"a table of {path} as {username} scrolls by {inner}px"
                assert page.locator("main").bounding_box()["width"] <= size["width"]
            page.set_viewport_size(DESKTOP)
    page = new_page()
    login(page, "noivu")
    page.goto(f"/tasks/{task.pk}/")
    screenshot(page, "task-detail-long-word")


def test_the_reminder_letter_from_the_overview_and_the_item_page(demo, new_page):
    task = (
        Task.objects.filter(chair_agency__code="STP")
        .exclude(status__in=["draft", "done", "cancelled", "under_review"])
        .order_by("pk")
        .first()
    )
    Task.objects.filter(pk=task.pk).update(due_date=dt.date.today() - dt.timedelta(days=5))
    page = new_page()
    login(page, "noivu")
    page.goto("/tasks/overview/")
    link = page.get_by_role("link", name="Công văn đôn đốc (PDF): Sở Tư pháp")
    expect(link).to_be_visible()
    assert sideways(page) <= 1
    with page.expect_download() as info:
        link.click()
    with open(info.value.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    assert info.value.suggested_filename == "cong-van-don-doc-stp.pdf"
    page.goto(f"/tasks/{task.pk}/")
    row = page.locator("tr", has_text="Sở Tư pháp")
    expect(row.get_by_role("link", name="Công văn đôn đốc (PDF): Sở Tư pháp")).to_be_visible()
    assert_accessible(page)

    reader = new_page()
    login(reader, "lanhdao")
    reader.goto("/tasks/overview/")
    expect(reader.locator("a.reminder-letter")).to_have_count(0)
    reader.goto(f"/tasks/{task.pk}/")
    expect(reader.locator("a.reminder-letter")).to_have_count(0)
