"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Every test here is skipped when /usr/bin/chromium (or the playwright package) is missing, so
`make test` stays green on a machine without a browser; CI installs Chromium (`.ci/system-deps`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "PhuYen@CCHC2024"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE_JS = ROOT / "static" / "vendor" / "axe" / "axe.min.js"

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - dev extra not installed
    sync_playwright = None

MISSING = None
if sync_playwright is None:
    MISSING = "playwright is not installed (pip install -e '.[dev]'): browser tests skipped"
elif not CHROMIUM.exists():
    MISSING = f"{CHROMIUM} not found (./.ci/system-deps installs it): browser tests skipped"

# Playwright's sync API keeps an event loop in the test thread; the ORM calls made by the
# tests themselves (seeding, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    # Live server + real browser: every test needs a real, committed database and must leave
    # the migration-seeded agencies in place for the rest of the suite.
    for item in items:
        if "tests/e2e/" not in str(item.fspath).replace(os.sep, "/"):
            continue
        item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))
        if MISSING:
            item.add_marker(pytest.mark.skip(reason=MISSING))


@pytest.fixture(scope="session")
def browser() -> Iterator:
    # launch() gives Chromium a fresh temporary profile of its own each time.
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo(settings, monkeypatch):
    """The demo data set, as `make demo` shows it, with the demo password."""
    monkeypatch.setenv("DEMO_PASSWORD", DEMO_PASSWORD)
    for name in ("MFA_REQUIRED", "TWO_FACTOR_REQUIRED", "OTP_REQUIRED"):
        if hasattr(settings, name):
            setattr(settings, name, False)
    if hasattr(settings, "AXES_ENABLED"):
        settings.AXES_ENABLED = False
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture
def new_page(browser, live_server):
    """Factory for pages in fresh browser contexts (one per signed-in user)."""
    contexts = []

    def make(width: int = 1280, height: int = 900):
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": height},
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
