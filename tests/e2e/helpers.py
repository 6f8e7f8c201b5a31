"""What the browser tests do again and again: sign in, check accessibility, take screenshots."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect

from .conftest import DEMO_PASSWORD, SCREENSHOTS

AXE_URL = "/static/vendor/axe/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def login(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form, as a person does."""
    page.goto("/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator(".userbox")).to_be_visible()


def axe_violations(page: Page) -> list[dict]:
    """Run the vendored axe-core on the current page; return serious and critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)
            }));
        }""",
        AXE_TAGS,
    )
    return [v for v in result if v["impact"] in BLOCKING]


def assert_accessible(page: Page) -> None:
    found = axe_violations(page)
    assert not found, f"axe on {page.url}:\n" + json.dumps(found, ensure_ascii=False, indent=1)


def _save(page: Page, path: Path, max_height: int) -> None:
    height = page.evaluate("() => document.documentElement.scrollHeight")
    width = page.viewport_size["width"]
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, max_height)}
    page.screenshot(path=path, full_page=True, clip=clip, animations="disabled")
    # A 256-colour palette keeps the committed pictures small and still crisp.
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def screenshot(page: Page, name: str) -> None:
    """Save the page at desktop and at phone width into docs/screenshots/ (PNG, top part of
    very long pages only)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(DESKTOP)
    _save(page, SCREENSHOTS / f"{name}-desktop.png", 2200)
    page.set_viewport_size(PHONE)
    _save(page, SCREENSHOTS / f"{name}-phone.png", 2600)
    page.set_viewport_size(DESKTOP)


def check_page(page: Page, path: str, name: str | None = None) -> None:
    """Open a page, assert it loads and has no serious accessibility problem, photograph it."""
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    page.set_viewport_size(DESKTOP)
    assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at 360px"
    if name:
        screenshot(page, name)
