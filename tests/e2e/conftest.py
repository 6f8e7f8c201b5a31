"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Without /usr/bin/chromium (or the playwright package) the browser tests cannot run. That is
never silent: they are reported as not run in a summary line, and the run FAILS (exit 1) unless
E2E_OPTIONAL=1 says a run without the browser tests is acceptable. `make test` installs
Chromium first when it can (`.ci/system-deps test`), or stops with the command to run.
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
    MISSING = "playwright is not installed (pip install -e '.[dev]')"
elif not CHROMIUM.exists():
    MISSING = f"{CHROMIUM} not found (install it: sudo apt-get install -y chromium)"
OPTIONAL = os.environ.get("E2E_OPTIONAL", "").strip().lower() in {"1", "true", "yes", "on"}
NOT_RUN_EXIT = 1
NOT_RUN = pytest.StashKey[int]()  # how many browser tests were collected but cannot run

# Playwright's sync API keeps an event loop in the test thread; the ORM calls made by the
# tests themselves (seeding, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    # Live server + real browser: every test needs a real, committed database and must leave
    # the migration-seeded agencies in place for the rest of the suite.
    browser_items = [
        item for item in items if "tests/e2e/" in str(item.fspath).replace(os.sep, "/")
    ]
    for item in browser_items:
        item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))
        if MISSING:
            item.add_marker(pytest.mark.skip(reason=f"browser tests NOT RUN: {MISSING}"))
    if browser_items and MISSING:
        config.stash[NOT_RUN] = len(browser_items)


def not_run_message(count: int) -> str:
    consequence = (
        "allowed by E2E_OPTIONAL=1"
        if OPTIONAL
        else "the run fails; set E2E_OPTIONAL=1 to accept a run without them"
    )
    return f"{count} browser tests NOT RUN: {MISSING}; {consequence}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    count = config.stash.get(NOT_RUN, 0)
    if count:
        terminalreporter.write_sep("!", not_run_message(count), red=True, bold=True)


def pytest_sessionfinish(session, exitstatus):
    if session.config.stash.get(NOT_RUN, 0) and not OPTIONAL and exitstatus == 0:
        session.exitstatus = NOT_RUN_EXIT


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
