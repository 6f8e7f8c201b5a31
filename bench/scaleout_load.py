"""The mixed load of ``make scaleout`` (bench/scaleout.py): people using the portal through
two app servers at once.

Each simulated person is a thread with its own cookies that sends every request to the
next server in turn, so a session started on one server is used on the other, a file
uploaded through one is downloaded through the other and a document built by a worker is
fetched from both. The driver reads the database only to pick its targets (which
participation is waiting for review, which file was just stored); every change goes
through the portal's own forms with their CSRF tokens.
"""

from __future__ import annotations

import hashlib
import http.client
import itertools
import json
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import psycopg

JOBS = "django_tasks_database_dbtaskresult"  # django-tasks-db's table
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# A tiny valid PDF; each upload gets a unique comment line so its bytes can be recognised.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Stats:
    """Counters shared by every thread (one lock; the load is I/O bound)."""

    requests: int = 0
    errors: int = 0
    samples: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    documents: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, ok: bool, what: str) -> None:
        with self.lock:
            self.requests += 1
            if not ok:
                self._error(what)

    def error(self, what: str) -> None:
        with self.lock:
            self._error(what)

    def _error(self, what: str) -> None:
        self.errors += 1
        if len(self.samples) < 15:
            self.samples.append(what)

    def count(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + n


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    port: int

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def token(self) -> str:
        found = TOKEN.search(self.text)
        return found.group(1) if found else ""


class Browser:
    """One person: a cookie jar and a turn-by-turn choice of app server. Every request is
    a new connection (no keep-alive), so a server's idle timeout never looks like an error."""

    def __init__(self, ports: list[int], stats: Stats, username: str):
        self.ports = ports
        self.turn = itertools.cycle(random.sample(ports, len(ports)))
        self.stats = stats
        self.username = username
        self.cookies: dict[str, str] = {}

    def request(self, method, path, *, port=None, body=None, headers=None, expect=(200,)):
        """Send one request; an unexpected status or a broken connection is an error.
        Returns the response, or None after a connection failure."""
        port = port or next(self.turn)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers["Connection"] = "close"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            response = Response(raw.status, raw.headers, raw.read(), port)
        except OSError as exc:
            self.stats.hit(False, f"{self.username} {method} {path} :{port} → {exc!r}")
            return None
        finally:
            conn.close()
        self._keep(response.headers.get_all("Set-Cookie") or [])
        ok = response.status in expect
        detail = _gist(response.text) if response.status >= 400 else ""
        self.stats.hit(ok, f"{self.username} {method} {path} :{port} → {response.status} {detail}")
        return response

    def _keep(self, set_cookies: list[str]) -> None:
        for header in set_cookies:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data: dict, *, files=(), **kwargs):
        if files:
            body, ctype = multipart(data, files)
        else:
            body, ctype = urlencode(data).encode(), "application/x-www-form-urlencoded"
        kwargs.setdefault("expect", (302, 303))
        headers = {"Content-Type": ctype}
        return self.request("POST", path, body=body, headers=headers, **kwargs)

    def sign_in(self, password: str) -> bool:
        page = self.get("/accounts/login/")
        if page is None:
            return False
        form = {"username": self.username, "password": password}
        done = self.post("/accounts/login/", {**form, "csrfmiddlewaretoken": page.token()})
        self.stats.count("sign-ins")
        if done is not None and done.status == 302:
            return True
        time.sleep(1)  # not signed in: the error is counted; do not hammer the server
        return False

    def sign_out(self) -> None:
        page = self.get("/")
        if page is not None:
            self.post("/accounts/logout/", {"csrfmiddlewaretoken": page.token()})
        self.cookies.clear()


def _gist(html: str) -> str:
    """The title and first heading of an error page, for the error samples."""
    found = re.findall(r"<(?:title|h1)[^>]*>(.*?)</(?:title|h1)>", html, re.S)
    return " / ".join(" ".join(f.split()) for f in found)[:200] or html[:200]


def multipart(data: dict, files) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in data.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    body = "".join(parts).encode()
    for name, filename, content in files:
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        body += content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Db:
    """Read-only lookups of the driver (its own connection per thread)."""

    def __init__(self, url: str):
        self.url = url
        self.local = threading.local()

    def rows(self, sql: str, *params) -> list[tuple]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = psycopg.connect(self.url, autocommit=True)
        return conn.execute(sql, params).fetchall()

    def one(self, sql: str, *params):
        found = self.rows(sql, *params)
        return found[0][0] if found else None


# --- Documents -------------------------------------------------------------------------


def fetch_document(b: Browser, url: str, stats: Stats, *, deadline: float) -> None:
    """Ask for a document as a user does: the PDF link answers the file when it is stored
    or small, else 303 to the document's status page; poll its JSON status until the job
    is done, then download the file from every app server and record whether the bytes
    are the same."""
    started = time.perf_counter()
    asked = b.get(url, expect=(303, 302, 200))
    if asked is None or asked.status not in (303, 302, 200):
        return
    stats.count("documents asked")
    if asked.status == 200:  # built in the request (no job): still compare both servers
        record_document(b, stats, url, url, started, asked.body)
        return
    stats.count("documents built by a job")
    status_url = _path(asked.headers["Location"])
    page = b.get(status_url)
    if page is None:
        return
    json_url = _json_url(page, status_url)
    while time.perf_counter() < deadline:
        state = b.get(json_url)
        if state is None:
            return
        try:
            info = json.loads(state.body)
        except ValueError:
            stats.error(f"{b.username} {json_url}: not JSON ({state.body[:80]!r})")
            return
        if info.get("done") and info.get("download"):
            record_document(b, stats, url, _path(info["download"]), started, None)
            return
        if info.get("failed"):
            stats.error(f"{b.username} {url}: document job failed ({info.get('error')})")
            stats.count("documents failed")
            return
        time.sleep(0.3)
    stats.error(f"{b.username} {url}: document not ready before the deadline")
    stats.count("documents not ready")


def _json_url(page: Response, status_url: str) -> str:
    """The status page names its JSON status (``data-document-job``), which its script
    polls; so does this driver."""
    found = re.search(r'data-document-job="([^"]+)"', page.text)
    return _path(found.group(1).replace("&amp;", "&")) if found else status_url + "status/"


def record_document(b, stats, url, download, started, first_body) -> None:
    ready_s = time.perf_counter() - started
    digests = {}
    for port in b.ports:
        got = b.get(download, port=port)
        if got is None:
            return
        if not got.body.startswith(b"%PDF"):
            stats.error(f"{b.username} {download} :{port}: not a PDF")
        digests[port] = hashlib.sha256(got.body).hexdigest()
    if first_body is not None:
        digests["request"] = hashlib.sha256(first_body).hexdigest()
    same = len(set(digests.values())) == 1
    if not same:
        stats.error(f"{b.username} {download}: different bytes from the servers {digests}")
    with stats.lock:
        stats.documents.append(
            {"url": url, "download": download, "same": same, "ready_s": round(ready_s, 2)}
        )


def _path(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- The people ------------------------------------------------------------------------

OPEN = ("pending", "in_progress", "returned")
FORMSET = {
    "nom-TOTAL_FORMS": "0",
    "nom-INITIAL_FORMS": "0",
    "nom-MIN_NUM_FORMS": "0",
    "nom-MAX_NUM_FORMS": "20",
}


@dataclass
class Plan:
    """What the load works on, read from the seeded demo."""

    task: int  # the item the contributing bodies answer and the chair returns
    parts: dict[str, int]  # contributor username → participation id
    reviewer: str
    overdue: list[int]  # items the officer sends reminders for
    letter: str  # body code of a reminder letter
    year: int


@dataclass
class Load:
    ports: list[int]
    password: str
    db: Db
    plan: Plan
    stats: Stats = field(default_factory=Stats)
    stop: threading.Event = field(default_factory=threading.Event)
    deadline: float = 0.0

    def browser(self, username: str) -> Browser:
        return Browser(self.ports, self.stats, username)

    def pause(self, low: float = 0.3, high: float = 1.0) -> None:
        self.stop.wait(random.uniform(low, high))


def make_plan(db: Db) -> Plan:
    """The demo item "in progress" with the most contributing bodies, chaired by a body
    whose focal officer reviews; the overdue items; a body with open work."""
    task = db.one(
        "SELECT t.id FROM coordination_task t JOIN coordination_participation p "
        "ON p.task_id = t.id AND p.role = 'contribute' WHERE t.status = 'in_progress' "
        "GROUP BY t.id ORDER BY count(*) DESC, t.id LIMIT 1"
    )
    parts = db.rows(
        "SELECT lower(a.code), p.id FROM coordination_participation p "
        "JOIN agencies_agency a ON a.id = p.agency_id "
        "WHERE p.task_id = %s AND p.role = 'contribute' ORDER BY a.code",
        task,
    )
    chair = db.one(
        "SELECT lower(a.code) FROM coordination_task t JOIN agencies_agency a "
        "ON a.id = t.chair_agency_id WHERE t.id = %s",
        task,
    )
    overdue = db.rows(
        "SELECT id FROM coordination_task WHERE due_date < current_date "
        "AND status NOT IN ('done', 'cancelled', 'draft') ORDER BY id"
    )
    return Plan(
        task=task,
        parts=dict(parts),
        reviewer=chair,
        overdue=[row[0] for row in overdue],
        letter=parts[0][0].upper(),
        year=time.localtime().tm_year,
    )


def contributor(load: Load, username: str) -> None:
    """A contributing body's focal officer: answers the item whenever it is open to them
    (first time, or after the chair returned it) with a text and a file, checks that the
    file comes back intact from the other server, and signs in again now and then."""
    b, part, rounds = load.browser(username), load.plan.parts[username], 0
    b.sign_in(load.password)
    while not load.stop.is_set():
        status = load.db.one("SELECT status FROM coordination_participation WHERE id = %s", part)
        if status in OPEN:
            _submit(load, b, part, rounds)
        else:
            b.get("/")
            b.get(f"/tasks/{load.plan.task}/")
        rounds += 1
        if rounds % 6 == 0:
            b.sign_out()
            b.sign_in(load.password)
        load.pause()


def _submit(load: Load, b: Browser, part: int, n: int) -> None:
    task = load.plan.task
    page = b.get(f"/tasks/{task}/contribute/")
    if page is None:
        return
    content = PDF + f"% scaleout {b.username} {n} {uuid.uuid4()}\n".encode()
    data = {
        "csrfmiddlewaretoken": page.token(),
        "form": "comment",
        "body": f"Ý kiến lần {n + 1} của {b.username.upper()}.",
        "document_number": "",
        "submit": "1",
        **FORMSET,
    }
    sent = b.post(f"/tasks/{task}/contribute/", data, files=[("files", f"y-kien-{n}.pdf", content)])
    if sent is None or sent.status != 302:
        return
    load.stats.count("contributions")
    file_id = load.db.one(
        "SELECT a.id FROM coordination_attachment a JOIN coordination_contribution c "
        "ON c.id = a.contribution_id WHERE c.participation_id = %s ORDER BY a.id DESC LIMIT 1",
        part,
    )
    got = b.get(f"/tasks/files/{file_id}/", port=_other(load, sent.port))
    if got is not None and got.body != content:
        load.stats.error(f"{b.username}: file {file_id} differs when read from :{got.port}")


def _other(load: Load, port: int) -> int:
    return next(p for p in load.ports if p != port)


def reviewer(load: Load, username: str) -> None:
    """The chairing body's focal officer: returns every submitted answer with a reason,
    which mails the contributing body."""
    b, task = load.browser(username), load.plan.task
    b.sign_in(load.password)
    while not load.stop.is_set():
        submitted = load.db.rows(
            "SELECT id FROM coordination_participation WHERE task_id = %s "
            "AND role = 'contribute' AND status = 'submitted' ORDER BY id",
            task,
        )
        for (part,) in submitted:
            page = b.get(f"/tasks/{task}/")
            if page is None:
                continue
            data = {
                "csrfmiddlewaretoken": page.token(),
                "decision": "return",
                "reason": "Đề nghị bổ sung số liệu.",
            }
            done = b.post(f"/tasks/{task}/participations/{part}/review/", data)
            if done is not None and done.status == 302:
                load.stats.count("returns (mail)")
        b.get("/")
        load.pause(0.5, 1.5)


def officer(load: Load, username: str) -> None:
    """A Nội vụ officer: lists, the overview and reports; every few rounds a manual
    reminder on an overdue item (mail to its open bodies) and a document."""
    b, plan, rounds = load.browser(username), load.plan, 0
    b.sign_in(load.password)
    pages = ["/tasks/", "/tasks/overview/", "/reports/", f"/tasks/{plan.task}/history/"]
    while not load.stop.is_set():
        b.get(random.choice(pages))
        if rounds % 8 == 3 and plan.overdue:
            item = plan.overdue[(rounds // 8) % len(plan.overdue)]
            page = b.get(f"/tasks/{item}/")
            token = {"csrfmiddlewaretoken": page.token() if page else ""}
            done = b.post(f"/tasks/{item}/remind/", token)
            if done is not None and done.status == 302:
                load.stats.count("manual reminders")
        if rounds % 10 == 5:
            doc = random.choice(
                [f"/reports/tasks/{plan.task}/dossier.pdf", f"/reports/reminders/{plan.letter}.pdf"]
            )
            fetch_document(b, doc, load.stats, deadline=load.deadline)
        rounds += 1
        load.pause()


def leader(load: Load, username: str) -> None:
    """Leadership: the home page, then the year's coordination status document (its
    data changes as the bodies answer, so most requests build a new one)."""
    b, year = load.browser(username), load.plan.year
    b.sign_in(load.password)
    url = f"/reports/coordination-status.pdf?from={year}-01-01&to={year}-12-31"
    while not load.stop.is_set():
        b.get("/")
        fetch_document(b, url, load.stats, deadline=load.deadline)
        load.pause(1.0, 3.0)


def reader(load: Load, usernames: list[str]) -> None:
    """Focal officers of other bodies in turn: sign in, a few pages, sign out."""
    for username in itertools.cycle(usernames):
        if load.stop.is_set():
            return
        b = load.browser(username)
        if b.sign_in(load.password):
            for path in ("/", "/tasks/", "/tasks/notifications/", "/accounts/security/"):
                b.get(path)
                load.pause(0.1, 0.4)
            b.sign_out()
