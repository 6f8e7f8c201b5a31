"""Measurements that need Django, run in a child process by bench/run.py.

``measure.py pages N``: queries, HTML size, median and p95 server time of each key page, as
the user who opens it (Django test client in process, same settings as gunicorn), and the
queries and time of its first request with the shared cache emptied (issue 14).
``measure.py pdf URL USERNAME``: one PDF kind: seconds, pages, peak memory, repeat. A
document the view hands to a job (303 to its status page) is built in this process by
django-tasks-db's own worker loop, so its time and memory are measured here as before.
``measure.py document_job URL USERNAME WARM_URL WARM_USERNAME``: issue 13's figure: time
from asking to a ready document with a real worker process (``manage.py jobs_worker``),
and pages per second of its job.
``measure.py scoring``: computing a whole period's results.
``measure.py signing``: issue 16's figure: what signing adds to issuing a document (a
reminder letter issued and stored by its job, with and without the lead body's
certificate, alternately), and the first signature of a process.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from agencies.models import Agency, User  # noqa: E402
from bench.report import LONG_TABLE_PAGES  # noqa: E402
from bench.run import TURN  # noqa: E402
from coordination.models import Contribution, Participation, Task  # noqa: E402
from reports.models import AgencyReport, DocumentJob, GeneratedDocument, ReportRound  # noqa: E402
from scoring.models import Assessment, ScoringPeriod  # noqa: E402


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _focal(agency_id: int) -> User:
    return User.objects.filter(agency_id=agency_id, groups__name="role:focal_officer").first()


def cast() -> dict:
    """The users and objects each page is opened with (the busiest of each)."""
    lead = Agency.objects.get(kind=Agency.Kind.LEAD)
    busiest = (
        Participation.objects.exclude(agency=lead)
        .values("agency_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["agency_id"]
    )
    task_id = (
        Contribution.objects.filter(participation__task__chair_agency_id=busiest)
        .values("participation__task_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["participation__task_id"]
    )
    current = ScoringPeriod.objects.order_by("-year").first()
    published = ScoringPeriod.objects.filter(published_at__isnull=False).order_by("-year").first()
    return {
        "noivu": User.objects.get(username="snv.0"),
        "leader": User.objects.get(username="snv.8"),
        "focal": _focal(busiest),
        "task": Task.objects.get(pk=task_id),
        "current": Assessment.objects.filter(period=current).order_by("agency__sort_order")[0],
        "published": published or current,
        "round": ReportRound.objects.order_by("-deadline").first(),
    }


def pages(samples: int, *, in_step: bool = False) -> dict:
    """Every key page's figures. ``in_step``: before each part of a page's measurement
    (its cold request, then a few requests at a time), wait for the run's word
    (``bench.run.pages_in_step``): the other data set's process measures the same part of
    the same page just before or after, so the two figures of a page are taken in the same
    moments."""
    c = cast()
    entry = c["current"]
    rows = {
        "work_list_home": ("/", c["focal"]),
        "work_list_tasks": ("/tasks/", c["focal"]),
        "task_list_officer": ("/tasks/", c["noivu"]),
        "item_history": (f"/tasks/{c['task'].pk}/history/", c["focal"]),
        "item_detail": (f"/tasks/{c['task'].pk}/", c["focal"]),
        "officer_overview": ("/tasks/overview/", c["noivu"]),
        "scoring_entry": (f"/scoring/assessments/{entry.pk}/", _focal(entry.agency_id)),
        "results_ranking": (f"/scoring/periods/{entry.period_id}/results/", c["noivu"]),
        "reports_home": ("/reports/", c["noivu"]),
        "report_round": (f"/reports/rounds/{c['round'].pk}/", c["noivu"]),
    }
    result = {}
    for key, (url, user) in rows.items():
        turn = (lambda step, key=key: _wait_for_turn(f"{key} {step}")) if in_step else None
        result[key] = _page(url, user, samples, cold=True, turn=turn)
    return {"pages": result, "items": Task.objects.count(), "pdf_kinds": pdf_kinds(c)}


def _wait_for_turn(key: str) -> None:
    """Say which page is next and wait for the word to measure it."""
    print(f"{TURN}{key}", flush=True)
    if not sys.stdin.readline():
        raise SystemExit("the bench run ended")


def _counted(client: Client, url: str):
    """One request: (its response, its SQL queries, its milliseconds)."""
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        response = client.get(url)
    ms = 1000 * (time.perf_counter() - started)
    assert response.status_code == 200, (url, response.status_code)
    return response, len(executed), ms


# Requests of a page measured in one turn when two processes take turns (``turn``).
SLICE = 5


def _page(url: str, user: User, samples: int, *, cold: bool = False, turn=None) -> dict:
    """Queries (of a request after two others), HTML bytes, median and p95 of ``samples``
    requests. ``cold``: first the request that finds the shared cache empty (as after any
    change of the data its fragments show): its queries and time (``queries_cold``,
    ``cold_ms``); the bench's cache is its own, so emptying it disturbs nobody. ``turn``
    (called with the step's name: ``cold``, ``warm``, then before each ``SLICE`` samples)
    waits for this process's turn; the other process's cold request, in between, empties
    the cache again, so the warm-up requests come after it."""
    turn = turn or (lambda step: None)
    client = _client(user)
    first = {}
    if cold:
        turn("cold")
        cache.clear()
        _response, queries, ms = _counted(client, url)
        first = {"queries_cold": queries, "cold_ms": round(ms, 1)}
    turn("warm")
    for _ in range(2):
        assert client.get(url).status_code == 200, url
    response, queries, _ms = _counted(client, url)
    times = []
    for done in range(samples):
        if done % SLICE == 0:
            turn(f"slice {done // SLICE}")
        started = time.perf_counter()
        client.get(url)
        times.append(1000 * (time.perf_counter() - started))
    times.sort()
    name = settings.SESSION_COOKIE_NAME
    return {
        "url": url,
        "user": user.username,
        "queries": queries,
        "bytes": len(response.content),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        **first,
        "cookie": f"{name}={client.cookies[name].value}",
    }


def pdf_kinds(c: dict) -> dict:
    year = c["round"].year
    report = AgencyReport.objects.filter(round=c["round"]).order_by("agency__sort_order")[0]
    overdue = (
        Participation.objects.exclude(task__status__in=["done", "cancelled", "draft"])
        .exclude(role="track")
        .values("agency__code")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["agency__code"]
    )
    final = Assessment.objects.filter(period=c["published"]).first()
    return {
        "consolidated": (f"/reports/rounds/{c['round'].pk}/consolidated.pdf", "snv.0"),
        "agency_report": (f"/reports/submissions/{report.pk}/report.pdf", "snv.0"),
        "coordination_status_year": (
            f"/reports/coordination-status.pdf?from={year}-01-01&to={year}-12-31",
            "snv.8",
        ),
        "reminder": (f"/reports/reminders/{overdue}.pdf", "snv.0"),
        "task_dossier": (f"/reports/tasks/{c['task'].pk}/dossier.pdf", c["focal"].username),
        "scoring_results": (f"/reports/scoring/{c['published'].pk}/results.pdf", "snv.0"),
        "scorecard": (f"/reports/scoring/assessments/{final.pk}/scorecard.pdf", "snv.0"),
    }


def _warm_like_a_worker() -> None:
    """This process starts as ``jobs_worker`` does (its warm-ups: WeasyPrint, the fonts,
    the signing keys; then ``gc.freeze``): a worker pays this once, before its first job."""
    from agencies.management.commands.jobs_worker import start_up

    start_up()


def _run_queued_jobs() -> None:
    """Run the queued document jobs in this process, as ``db_worker`` does (its loop)."""
    import logging

    from django_tasks_db.management.commands.db_worker import Worker

    for name in ("django.tasks", "django_tasks", "django_tasks_db"):  # its per-job lines
        logging.getLogger(name).setLevel(logging.WARNING)
    Worker(
        queue_names=["documents"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="bench-in-process",
        excluded_queue_names=[],
    ).run()


def _job_id(response) -> int:
    """The document job a 303 points to (``/reports/documents/<id>/``)."""
    return int(response["Location"].rstrip("/").rsplit("/", 1)[-1])


def _job_figures(job_id: int, pages: int) -> dict:
    job = DocumentJob.objects.get(pk=job_id)
    job_s = (job.finished_at - job.started_at).total_seconds()
    return {
        "job_s": round(job_s, 2),
        "queue_wait_s": round((job.started_at - job.created_at).total_seconds(), 2),
        "job_pages_per_s": round(pages / job_s, 1),
    }


def _ask_here(client: Client, url: str):
    """Ask for ``url``; when a job builds it (303 to its status page), run the job in this
    process, then download. Returns (the file's response, ask ms, job id or None, the
    seconds the worker went on after the file was ready: its collection of the layout's
    garbage, ``reports.tasks.build_document``, and the task queue's bookkeeping — a user's
    status page shows the file from the moment the job is done)."""
    started = time.perf_counter()
    response = client.get(url)
    ask_ms = 1000 * (time.perf_counter() - started)
    if response.status_code != 303:
        return response, ask_ms, None, 0.0
    job_id = _job_id(response)
    _run_queued_jobs()
    returned = time.time()
    ready = DocumentJob.objects.get(pk=job_id).finished_at.timestamp()
    state = client.get(reverse("document_job_status", args=[job_id])).json()
    assert state["done"], (url, state)
    return client.get(state["download"]), ask_ms, job_id, max(0.0, returned - ready)


@contextmanager
def _split_peak():
    """The peak memory of a long table's second layout process (``reports.split`` logs it
    as the document is written), read off the log while the block runs."""
    seen = SimpleNamespace(second_peak_mb=None)

    class Handler(logging.Handler):
        def emit(self, record):
            seen.second_peak_mb = getattr(record, "second_peak_mb", None) or seen.second_peak_mb

    handler, split_log = Handler(logging.INFO), logging.getLogger("reports.split")
    level = split_log.level
    split_log.addHandler(handler)
    split_log.setLevel(logging.INFO)
    try:
        yield seen
    finally:
        split_log.removeHandler(handler)
        split_log.setLevel(level)


# A long table's build is timed this many times (the median is its figure): on a machine
# whose speed moves ±30 % from one second to the next, one build measured the moment.
LONG_TABLE_ROUNDS = 3


def _forget_documents() -> None:
    """Remove stored documents and their jobs (not issued ones): the next ask builds."""
    DocumentJob.objects.filter(freeze=False).delete()
    GeneratedDocument.objects.filter(frozen=False).delete()


def _build(client: Client, url: str) -> tuple[object, float, int | None, float]:
    """Ask for ``url`` until its file is downloaded: (response, ask ms, job id, seconds),
    the seconds without what the worker did after the file was ready (``_ask_here``)."""
    started = time.perf_counter()
    response, ask_ms, job_id, after_ready = _ask_here(client, url)
    seconds = time.perf_counter() - started - after_ready
    assert response.status_code == 200, (url, response.status_code)
    return response, ask_ms, job_id, seconds


def pdf(url: str, username: str) -> dict:
    """Long: one kind's figures. A long table (``LONG_TABLE_PAGES`` or more) is built
    ``LONG_TABLE_ROUNDS`` times, the stored file removed in between; its seconds and pages
    per second are the median build's, every round listed."""
    from io import BytesIO

    from pypdf import PdfReader

    _forget_documents()
    client = _client(User.objects.get(username=username))
    client.get("/")  # warm: templates, connections
    started = time.perf_counter()
    _warm_like_a_worker()
    warm_s = time.perf_counter() - started
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with _split_peak() as split:
        response, ask_ms, job_id, seconds = _build(client, url)
    data = b"".join(response.streaming_content) if response.streaming else response.content
    pages = len(PdfReader(BytesIO(data)).pages)
    # (seconds, the job's figures, read before the next round removes the job)
    builds = [(seconds, _job_figures(job_id, pages) if job_id else {})]
    while pages >= LONG_TABLE_PAGES and len(builds) < LONG_TABLE_ROUNDS:
        _forget_documents()
        with _split_peak() as again_split:
            _response, _ask, again_job, again_s = _build(client, url)
        builds.append((again_s, _job_figures(again_job, pages) if again_job else {}))
        split.second_peak_mb = max(split.second_peak_mb or 0, again_split.second_peak_mb or 0)
    seconds, job = sorted(builds, key=lambda build: build[0])[len(builds) // 2]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    repeats = _repeats(client, url)
    return {
        "url": url,
        "seconds": round(seconds, 2),
        "pages": pages,
        "pages_per_s": round(pages / seconds, 1),
        **({"rounds_s": [round(s, 2) for s, _job in builds]} if len(builds) > 1 else {}),
        "peak_mb": round(peak_mb, 1),
        "base_mb": round(base_mb, 1),
        **({"second_peak_mb": split.second_peak_mb} if split.second_peak_mb else {}),
        "first_in_process_extra_s": round(warm_s, 2),
        "repeat_ms": statistics.median(repeats),
        "repeats_ms": repeats,
        "bytes": len(data),
        "ask_ms": round(ask_ms, 1),
        "by_job": job_id is not None,
        **job,
    }


# A stored document is downloaded again this many times; the median is its figure.
REPEATS = 5


def _repeats(client: Client, url: str) -> list[float]:
    """Milliseconds of each download of the stored document, the first one first (it may
    check the data exactly, ``reports.freshness``; the others find that check remembered)."""
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        again = client.get(url)
        times.append(round(1000 * (time.perf_counter() - started), 1))
        assert again.status_code == 200, again.status_code
    return times


def _until_ready(client: Client, url: str, poll_s: float = 0.1) -> tuple[float, float, int, bytes]:
    """Ask for ``url`` and poll its job's status (as the status page's script does, more
    often) until the file is ready: (ask ms, asking → downloaded s, job id, bytes)."""
    started = time.perf_counter()
    response = client.get(url)
    ask_ms = 1000 * (time.perf_counter() - started)
    assert response.status_code == 303, (url, response.status_code)
    job_id = _job_id(response)
    status = reverse("document_job_status", args=[job_id])
    while not (state := client.get(status).json())["finished"]:
        time.sleep(poll_s)
    assert state["done"], (url, state)
    got = client.get(state["download"])
    data = b"".join(got.streaming_content) if got.streaming else got.content
    return ask_ms, time.perf_counter() - started, job_id, data


def _peak_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM), read before it exits."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _start_worker() -> subprocess.Popen:
    """A document worker as docs/deployment.md runs it."""
    cmd = [sys.executable, "manage.py", "jobs_worker", "--queue-name", "documents"]
    cmd += ["--worker-id", "bench-documents", "--interval", "0.5", "--no-startup-delay"]
    root = Path(__file__).resolve().parent.parent
    return subprocess.Popen([*cmd, "--no-reload", "-v0"], cwd=root, env=os.environ)


def document_job(url: str, username: str, warm_url: str, warm_username: str) -> dict:
    """Issue 13's figure: asking for ``url`` until its file is downloaded, with a real
    worker process (``jobs_worker``, polling every 0.5 s as docs/deployment.md runs it)
    that has built one document before (a worker's WeasyPrint import is paid once), and
    the pages per second of the job itself: the median of ``LONG_TABLE_ROUNDS`` asks, the
    stored file removed before each (stored documents and jobs, not issued ones), so both
    are built every time."""
    from io import BytesIO

    from pypdf import PdfReader

    _forget_documents()
    worker = _start_worker()
    try:
        warm = _until_ready(_client(User.objects.get(username=warm_username)), warm_url)
        client = _client(User.objects.get(username=username))
        client.get("/")
        rounds = []  # (ready s, ask ms, the job's figures): the median round is the figure
        for _ in range(LONG_TABLE_ROUNDS):
            if rounds:
                _forget_documents()
            ask_ms, ready_s, job_id, data = _until_ready(client, url)
            pages = len(PdfReader(BytesIO(data)).pages)
            rounds.append((ready_s, ask_ms, _job_figures(job_id, pages)))
        peak_mb = _peak_mb(worker.pid)
    finally:
        worker.terminate()
        worker.wait(60)
    ready_s, ask_ms, job = sorted(rounds, key=lambda r: r[0])[len(rounds) // 2]
    repeats = _repeats(client, url)
    return {
        "url": url,
        "items": Task.objects.count(),
        "ask_ms": round(ask_ms, 1),
        "ready_s": round(ready_s, 2),
        "pages": pages,
        "worker_peak_mb": peak_mb,
        "repeat_ms": statistics.median(repeats),
        "repeats_ms": repeats,
        "warm_up_ready_s": round(warm[1], 2),
        "rounds_ready_s": [round(r[0], 2) for r in rounds],
        **job,
    }


def scoring() -> dict:
    from scoring.selectors import period_results

    period = ScoringPeriod.objects.filter(published_at__isnull=False).order_by("-year").first()
    period = period or ScoringPeriod.objects.order_by("-year").first()
    officer = User.objects.get(username="snv.0")
    times = []
    for _ in range(5):
        started = time.perf_counter()
        result = period_results(period, officer)
        times.append(time.perf_counter() - started)
    rows = sum(len(g["rows"]) for g in result["groups"])
    return {"seconds": round(statistics.median(times), 3), "assessments": rows}


def _issue_and_store(late: Agency, officer: User) -> float:
    """Issue a reminder letter to ``late`` and run its job here; seconds for the job."""
    from reports import issuing
    from reports.tasks import _produce

    row = issuing.reminder_issue(actor=officer, agency=late)
    job = DocumentJob.objects.get(kind=row.kind, object_key=row.object_key)
    started = time.perf_counter()
    _produce(job)
    return time.perf_counter() - started


def signing(rounds: int = 5) -> dict:
    """Median job time of an issued reminder letter signed (PKCS#12, B-B, the Decree 30
    appearance) and unsigned (no active credential), alternately, in a worker warmed as
    ``jobs_worker`` warms it; and the first signature of a process not warmed (what the
    warm-up takes once, at the worker's start)."""
    from agencies.people import director_of
    from reports.issuing import reminder_preview, reminder_problems
    from signing import demo
    from signing.models import SigningCredential
    from signing.sign import Placement, sign_pdf, warm_up

    lead = Agency.objects.lead()
    director = director_of(lead) or User.objects.create(
        username="bench-signer", agency=lead, full_name="Người Ký Thử", position="Phó Giám đốc"
    )  # the scale data has no director: the signer of the lead body's letters
    demo.seed_lead(lead, signer_names=[director.full_name])
    officer = User.objects.get(username="snv.0")
    late = next(a for a in Agency.objects.active() if not reminder_problems(reminder_preview(a)))
    credential = SigningCredential.objects.get(agency=lead, active=True)
    page, box = _one_page(), Placement(page=0, x=300, y=400, width=220, height=110)
    first_started = time.perf_counter()
    sign_pdf(page, agency=lead, signer_name=director.full_name, placement=box)
    first_ms = (time.perf_counter() - first_started) * 1000
    warm_up()  # what jobs_worker does when it starts
    signed, unsigned = [], []
    for _ in range(rounds):
        SigningCredential.objects.filter(pk=credential.pk).update(active=False)
        unsigned.append(_issue_and_store(late, officer))
        SigningCredential.objects.filter(pk=credential.pk).update(active=True)
        signed.append(_issue_and_store(late, officer))
    return {
        "body": late.name,
        "unsigned_ms": round(statistics.median(unsigned) * 1000, 1),
        "signed_ms": round(statistics.median(signed) * 1000, 1),
        "added_ms": round((statistics.median(signed) - statistics.median(unsigned)) * 1000, 1),
        "first_signature_ms": round(first_ms, 1),
    }


def _one_page() -> bytes:
    from weasyprint import HTML

    return HTML(string="<p>Khởi động chữ ký số</p>").write_pdf()


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    if mode == "pages":
        out = pages(int(rest[0]), in_step="--in-step" in rest)
    elif mode == "pdf":
        out = pdf(rest[0], rest[1])
    elif mode == "document_job":
        out = document_job(*rest)
    elif mode == "signing":
        out = signing()
    else:
        out = scoring()
    print(json.dumps(out, ensure_ascii=False))
