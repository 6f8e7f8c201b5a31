"""The first screen, as the demo users meet it (issue 18, points 5, 12, 14, 15, 16).

- ``lanhdao`` on a 360 px phone: the province's figures come first (the item tiles in the
  first screen, before the bodies' bars); each tile opens the item list with as many rows
  as it says; this year's PAR self-score beside last year's official result; the round that
  is due now, not an old one.
- ``stp``: every tile jumps to the rows it counts.
- ``hoidong``: her appraisal assignments first; a link only where she can appraise, and it
  opens the appraisal page (no 403).
- ``noivu``: a report returned after the consolidated draft was compiled marks the draft
  out of date; issuing it asks first, naming the change.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from reports.models import AgencyReport, ConsolidatedReport

from .helpers import PHONE, assert_accessible, login, screenshot


def _tiles(page) -> list[tuple[str, int]]:
    return [
        (a.get_attribute("href"), int(a.get_attribute("data-tile")))
        for a in page.locator("a[data-tile]").all()
    ]


def test_leadership_sees_the_province_first_on_a_phone(demo, new_page):
    page = new_page(**PHONE)
    login(page, "lanhdao")
    page.goto("/")
    province = page.locator("#province")
    expect(province).to_be_visible()
    # The figures are in the first screen, before the bodies' bars and the body's own work.
    box = province.locator("a[data-tile]").first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"]
    order = page.evaluate(
        """() => ['#province', '#par', '#reporting', '#by-body', '.home-work']
             .map(s => document.querySelector(s))
             .map(e => e ? e.getBoundingClientRect().top + window.scrollY : null)"""
    )
    present = [y for y in order if y is not None]
    assert present == sorted(present), order
    # This year's self-score against last year's official result.
    par = page.locator("#par")
    expect(par).to_contain_text("Tỉnh tự chấm năm")
    expect(par).to_contain_text("Kết quả chính thức năm")
    # The round due now, not an old 2024 one.
    expect(page.locator("#h-reporting")).not_to_contain_text("2024")
    assert_accessible(page)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1
    screenshot(page, "home-lanhdao")
    # Each tile opens the item list with as many items as it says.
    for href, count in _tiles(page):
        if href.startswith("?show="):  # the body's own work, on the home page
            continue
        page.goto(href)
        rows = page.locator("table tbody tr").count()
        assert rows == min(count, 25), (href, count, rows)


def test_a_bodys_tiles_jump_to_the_rows_they_count(demo, new_page):
    page = new_page()
    login(page, "stp")
    page.goto("/")
    for href, count in _tiles(page):
        assert href.startswith("?show=")  # the whole section, however long (issue 14)
        page.goto("/" + href)
        section = page.locator("#" + href.split("#")[1])
        expect(section).to_be_in_viewport()
        assert section.locator("tr[data-row]").count() == count, href
    screenshot(page, "home-stp")


def test_the_council_member_sees_her_appraisals_first(demo, new_page):
    page = new_page()
    login(page, "hoidong")
    page.goto("/")
    first = page.locator("main h2").first
    expect(first).to_have_text("Việc thẩm định của anh/chị")
    expect(page.locator("#h-work")).to_have_count(0)  # not Sở Nội vụ's coordination work
    appraisals = page.locator("#appraisals")
    links = appraisals.locator("a[href*='/appraise/']")
    assert links.count() >= 1
    screenshot(page, "home-hoidong")
    links.first.click()
    expect(page).to_have_url(re.compile(r"/appraise/$"))
    expect(page.locator("h1")).not_to_contain_text("403")
    assert_accessible(page)


def test_an_out_of_date_consolidated_draft_asks_before_issuing(demo, new_page):
    cons = ConsolidatedReport.objects.select_related("round").get(
        round__year=2024, round__period="Q1"
    )
    rnd = cons.round
    sent = AgencyReport.objects.filter(round=rnd, status="submitted").select_related("agency")
    report = sent.order_by("agency__sort_order").first()
    page = new_page()
    login(page, "noivu")
    page.goto(f"/reports/submissions/{report.pk}/")
    page.get_by_label("Lý do trả lại").fill("Số liệu chưa khớp với hệ thống một cửa.")
    page.get_by_role("button", name="Trả lại báo cáo").click()
    page.goto(f"/reports/rounds/{rnd.pk}/consolidated/")
    stale = page.locator("#consolidated-stale")
    expect(stale).to_contain_text("Bản tổng hợp đã cũ.")
    expect(stale).to_contain_text(f"{report.agency.name} bị trả lại báo cáo")
    page.get_by_role("button", name="Ban hành báo cáo").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Ban hành báo cáo tổng hợp đã cũ?")
    expect(dialog).to_contain_text("số văn bản tiếp theo")
    expect(dialog).to_contain_text(f"{report.agency.name} bị trả lại báo cáo")
    screenshot(page, "consolidated-stale-issue")
    dialog.get_by_role("button", name="Quay lại").click()
    cons.refresh_from_db()
    assert not cons.is_issued
