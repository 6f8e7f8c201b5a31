"""`make demo` behaves like production where a user can see it (issue 18, point 22): the
portal's Vietnamese error pages, never Django's debug page; e-mail links that lead back to
the address the demo is served at; demo data without doubled labels or near-duplicates."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.request
from difflib import SequenceMatcher
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from agencies.management.commands.run_demo import demo_environment, site_url
from agencies.models import OutgoingMail, User
from coordination.models import Task
from tests.conftest import login
from tests.coordination_factories import make_task

ROOT = Path(__file__).resolve().parent.parent
DEBUG_PAGE = ["Using the URLconf", "Page not found", "Traceback", "DEBUG = True", "Django"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def demo_server(tmp_path):
    """The demo's web server as `make demo` starts it (run_demo's environment), on a free
    port, over an empty database (an unknown address needs none)."""
    port = _free_port()
    env = demo_environment(f"127.0.0.1:{port}", dict(os.environ))
    env["SQLITE_PATH"] = str(tmp_path / "demo.sqlite3")
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, "the demo server stopped at start"
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(10)


def test_a_mistyped_address_in_the_demo_gets_the_vietnamese_404_page(demo_server):
    status, html = _get(demo_server + "/nhiem-vu-go-nham/")
    assert status == 404
    assert "Không tìm thấy trang" in html
    assert [marker for marker in DEBUG_PAGE if marker in html] == []
    # DEBUG is off, and the page's stylesheet is still served.
    status, css = _get(demo_server + "/static/css/portal.css")
    assert status == 200 and css


def _settings_under(env: dict[str, str]) -> dict:
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: str(getattr(s, k, '')) for k in ("
        "'DEBUG', 'DEMO_MODE', 'SITE_URL', 'EMAIL_BACKEND', 'SESSION_COOKIE_SECURE', "
        "'SECURE_SSL_REDIRECT', 'WHITENOISE_USE_FINDERS', 'ALLOWED_HOSTS')}))"
    )
    env = {**env, "DJANGO_SETTINGS_MODULE": "phuyen_cchc.settings"}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_demo_runs_with_debug_off_over_plain_http_and_links_to_its_port():
    env = demo_environment("127.0.0.1:8302", {"PATH": os.environ.get("PATH", "")})
    assert env["DEBUG"] == "0" and env["DEMO_MODE"] == "1"
    assert len(env["SECRET_KEY"]) >= 50
    demo = _settings_under(env)
    assert demo["DEBUG"] == "False"
    assert demo["SITE_URL"] == "http://127.0.0.1:8302"
    assert demo["SESSION_COOKIE_SECURE"] == "False" and demo["SECURE_SSL_REDIRECT"] in ("", "False")
    assert demo["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert demo["WHITENOISE_USE_FINDERS"] == "True"
    # Production (no DEMO_MODE) keeps its HTTPS-only cookies and redirect.
    production = _settings_under(
        {
            "PATH": os.environ.get("PATH", ""),
            "DEBUG": "0",
            "SECRET_KEY": env["SECRET_KEY"],
            "ALLOWED_HOSTS": "cchc.example.gov.vn",
        }
    )
    assert production["SESSION_COOKIE_SECURE"] == "True"
    assert production["SECURE_SSL_REDIRECT"] == "True"
    assert production["WHITENOISE_USE_FINDERS"] == "False"


@pytest.mark.parametrize(
    "addrport,expected",
    [
        ("127.0.0.1:8302", "http://127.0.0.1:8302"),
        ("8302", "http://127.0.0.1:8302"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("localhost:9000", "http://localhost:9000"),
    ],
)
def test_the_demo_address_is_what_a_browser_opens(addrport, expected):
    assert site_url(addrport) == expected


def test_a_site_url_set_beforehand_is_replaced_by_the_demo_address():
    env = demo_environment("127.0.0.1:8302", {"SITE_URL": "https://cchc.phuyen.gov.vn"})
    assert env["SITE_URL"] == "http://127.0.0.1:8302"


@pytest.mark.django_db
def test_mail_links_lead_to_the_address_the_demo_is_served_at(settings, noivu, contrib_focal):
    settings.SITE_URL = "http://127.0.0.1:8302"
    task = make_task(actor=noivu, contributors=("STC",))
    link = f"http://127.0.0.1:8302{reverse('task_detail', args=[task.pk])}"
    message = OutgoingMail.objects.get(subject__contains="Nhiệm vụ mới")
    assert contrib_focal.email in message.recipients
    assert link in message.body


# --- the demo data ---------------------------------------------------------------------------


def _key(title: str) -> str:
    text = unicodedata.normalize("NFC", title).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def near_duplicates(titles: list[str]) -> list[tuple[str, str]]:
    """Pairs of titles that read as the same thing: one contains the other, or they differ
    by a few characters."""
    keys = [(_key(t), t) for t in titles]
    pairs = []
    for i, (a, title_a) in enumerate(keys):
        for b, title_b in keys[i + 1 :]:
            if a in b or b in a or SequenceMatcher(None, a, b).ratio() > 0.9:
                pairs.append((title_a, title_b))
    return pairs


def test_near_duplicates_are_recognised():
    assert near_duplicates(
        [
            "Tự chấm điểm Chỉ số CCHC năm 2024 của tỉnh Phú Yên",
            "Tự chấm điểm Chỉ số CCHC năm 2024 của tỉnh",
            "Kiểm tra công tác cải cách hành chính năm 2025",
        ]
    ) == [
        (
            "Tự chấm điểm Chỉ số CCHC năm 2024 của tỉnh Phú Yên",
            "Tự chấm điểm Chỉ số CCHC năm 2024 của tỉnh",
        )
    ]


@pytest.fixture
def seeded(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "Mat-khau-thu-nghiem-2024")
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_demo_items_are_distinct(seeded):
    titles = list(Task.objects.values_list("title", flat=True))
    assert len(titles) >= 10
    assert near_duplicates(titles) == []


def test_demo_people_have_distinct_names_and_no_doubled_labels(seeded):
    people = list(User.objects.filter(is_active=True).values_list("full_name", "position"))
    names = [name for name, _position in people]
    assert len(names) == len(set(names)), "two demo people share a name"
    for name, position in people:
        assert not name.startswith("Cán bộ đầu mối"), name  # a name, not a label
        assert _key(position) not in _key(name)
    # The accounts seed_demo prints: "noivu  Cán bộ CCHC Sở Nội vụ", not "… Sở Nội vụ – Nội vụ".
    accounts = [line.strip() for line in seeded.splitlines() if " – " in line]
    assert accounts
    for line in accounts:
        role, _dash, body = line.partition(" – ")
        assert _key(body) not in _key(role), line


DOUBLED = re.compile(r"\(([^()]{3,40})\)\s*\1", re.IGNORECASE)


def test_demo_pages_show_no_doubled_labels(seeded):
    client = login(User.objects.get(username="noivu"))
    for url in (reverse("home"), reverse("task_list"), "/scoring/", "/scoring/criteria/"):
        html = client.get(url).content.decode()
        text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
        assert DOUBLED.findall(text) == [], url
