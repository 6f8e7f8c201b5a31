"""Measurements that need Django, run in a child process by bench/run.py.

``measure.py pages N``: queries, median and p95 server time of each key page, as the
user who opens it (Django test client in process, same settings as gunicorn).
``measure.py pdf URL USERNAME``: one PDF kind: seconds, pages, peak memory, repeat.
``measure.py scoring``: computing a whole period's results.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from agencies.models import Agency, User  # noqa: E402
from coordination.models import Contribution, Participation, Task  # noqa: E402
from reports.models import AgencyReport, ReportRound  # noqa: E402
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


def pages(samples: int) -> dict:
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
    result = {key: _page(url, user, samples) for key, (url, user) in rows.items()}
    return {"pages": result, "items": Task.objects.count(), "pdf_kinds": pdf_kinds(c)}


def _page(url: str, user: User, samples: int) -> dict:
    client = _client(user)
    for _ in range(2):
        assert client.get(url).status_code == 200, url
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        client.get(url)
        times.append(1000 * (time.perf_counter() - started))
    times.sort()
    name = settings.SESSION_COOKIE_NAME
    return {
        "url": url,
        "user": user.username,
        "queries": len(executed),
        "bytes": len(response.content),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
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


def _warm_weasyprint() -> None:
    from weasyprint import HTML

    HTML(string="<p>Khởi động</p>").write_pdf()


def pdf(url: str, username: str) -> dict:
    from io import BytesIO

    from pypdf import PdfReader

    client = _client(User.objects.get(username=username))
    client.get("/")  # warm: templates, connections
    started = time.perf_counter()
    _warm_weasyprint()  # a worker pays this once, on its first PDF
    warm_s = time.perf_counter() - started
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    response = client.get(url)
    seconds = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    data = b"".join(response.streaming_content) if response.streaming else response.content
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pages = len(PdfReader(BytesIO(data)).pages)
    started = time.perf_counter()
    again = client.get(url)
    repeat_ms = 1000 * (time.perf_counter() - started)
    assert again.status_code == 200
    return {
        "url": url,
        "seconds": round(seconds, 2),
        "pages": pages,
        "pages_per_s": round(pages / seconds, 1),
        "peak_mb": round(peak_mb, 1),
        "base_mb": round(base_mb, 1),
        "first_in_process_extra_s": round(warm_s, 2),
        "repeat_ms": round(repeat_ms, 1),
        "bytes": len(data),
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


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    if mode == "pages":
        out = pages(int(rest[0]))
    elif mode == "pdf":
        out = pdf(rest[0], rest[1])
    else:
        out = scoring()
    print(json.dumps(out, ensure_ascii=False))
