"""`make demo` as a user meets it (issue 18, point 22): a mistyped address in the demo's own
web server (run_demo's environment: DEBUG off) shows the portal's Vietnamese 404 page, styled,
with a way home; never Django's debug page listing every route."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.test_demo_like_production import DEBUG_PAGE, demo_server  # noqa: F401 (fixture)

from .helpers import assert_accessible, screenshot


def test_a_mistyped_address_in_the_demo_shows_the_vietnamese_404_page(browser, demo_server):  # noqa: F811
    context = browser.new_context(base_url=demo_server, locale="vi-VN")
    try:
        page = context.new_page()
        response = page.goto("/nhiem-vu/go-nham/")
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", name="Không tìm thấy trang")).to_be_visible()
        body = page.content()
        assert [marker for marker in DEBUG_PAGE if marker in body] == []
        # Styled (DEBUG off, static files still served) and the way home works.
        font = page.evaluate("() => getComputedStyle(document.body).fontFamily")
        assert font and "Times" not in font
        assert_accessible(page)
        screenshot(page, "demo-404")
        page.get_by_role("link", name="Về trang chủ").click()
        expect(page).to_have_url(f"{demo_server}/accounts/login/?next=/")
        expect(page.get_by_role("button", name="Đăng nhập")).to_be_visible()
    finally:
        context.close()
