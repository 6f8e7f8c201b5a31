"""The user guide as a user meets it (issue 18, point 25): "Hướng dẫn" in the header of any
page opens the guide of the user's role, with its pictures and the other roles' guides; the
"?" help on a form opens in place. Accessibility, 360 px width and screenshots as in
test_pages.py."""

from __future__ import annotations

from playwright.sync_api import expect

from scoring.models import ScoringPeriod

from .helpers import PHONE, assert_accessible, check_page, login, screenshot


def test_the_header_opens_the_guide_of_each_role(demo, new_page):
    for username, heading in (
        ("noivu", "Hướng dẫn cho cán bộ CCHC Sở Nội vụ"),
        ("stp", "Hướng dẫn cho cán bộ đầu mối CCHC"),
        ("hoidong", "Hướng dẫn cho thành viên Hội đồng thẩm định"),
    ):
        page = new_page()
        login(page, username)
        page.goto("/tasks/")
        page.locator(".userbox").get_by_role("link", name="Hướng dẫn").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        # Every picture of the guide loads (they are the browser tests' own screenshots).
        pictures = page.locator(".guide img")
        assert pictures.count() >= 2
        for index in range(pictures.count()):
            picture = pictures.nth(index)
            picture.scroll_into_view_if_needed()
            expect(picture).to_have_js_property("complete", True)
            assert picture.evaluate("img => img.naturalWidth") > 300
        check_page(page, page.url, f"help-{username}" if username == "noivu" else None)
    # The other roles' guides are one click away.
    page.get_by_role("link", name="Lãnh đạo", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hướng dẫn cho lãnh đạo")


def test_help_on_the_score_bands_opens_in_place(demo, new_page):
    period = ScoringPeriod.objects.order_by("-year").first()
    page = new_page()
    login(page, "noivu")
    page.goto(f"/scoring/periods/{period.pk}/edit/")
    tip = page.locator("details.help-tip")
    expect(tip).not_to_have_attribute("open", "")
    page.get_by_text("Cách ghi xếp loại").focus()
    page.keyboard.press("Enter")  # keyboard users open it too
    expect(tip.get_by_text("nối liền nhau từ 0% đến 100%")).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1
    tip.scroll_into_view_if_needed()
    screenshot(page, "help-tip-bands")
    page.get_by_role("link", name="Xem hướng dẫn đầy đủ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hướng dẫn cho cán bộ CCHC Sở Nội vụ")
