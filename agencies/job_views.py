"""The background jobs page: what is queued, running, done and failed, and "Thử lại".

Nội vụ officers and administrators (``agencies.access.sees_jobs``) see every job of the
database backend (django-tasks-db), newest first, 50 a page, without counting the table;
administrators also read a failed job's traceback. Under the RQ backend the page says where
RQ's own job lists are (docs/jobs-page.md).
"""

from __future__ import annotations

import dataclasses
import json
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from agencies import jobs
from agencies.access import require, sees_jobs

PER_PAGE = 50
MAX_PAGE = 2000
S = TaskResultStatus
STATUS_FILTERS = {
    "ready": (S.READY, gettext_lazy("Đang chờ"), "pending"),
    "running": (S.RUNNING, gettext_lazy("Đang chạy"), "under_review"),
    "successful": (S.SUCCESSFUL, gettext_lazy("Đã xong"), "done"),
    "failed": (S.FAILED, gettext_lazy("Thất bại"), "overdue"),
}
_BY_STATUS = {status: (label, state) for status, label, state in STATUS_FILTERS.values()}


@dataclasses.dataclass
class JobRow:
    """One job as the page shows it (the template reads these, nothing else)."""

    job: DBTaskResult
    label: str
    status_label: str
    state: str
    attempts: int
    error: str
    waits_until: object
    retry_of: dict | None
    retried_as: dict | None

    @property
    def may_retry(self) -> bool:
        return self.job.status == S.FAILED and self.retried_as is None


def error_line(job: DBTaskResult) -> str:
    """What went wrong, in one line: recovery's own words, else the traceback's last line."""
    attempts = jobs.worker_lost_attempts(job)
    if attempts is not None:
        return _("Tiến trình xử lý dừng giữa chừng; đã bỏ sau %(n)s lần chạy không xong.") % {
            "n": attempts
        }
    lines = [line for line in (job.traceback or "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def job_row(job: DBTaskResult) -> JobRow:
    label, state = _BY_STATUS.get(job.status, (job.status, "draft"))
    waits = job.run_after if job.status == S.READY and job.run_after != get_date_max() else None
    return JobRow(
        job=job,
        label=jobs.task_label(job.task_path),
        status_label=str(label),
        state=state,
        attempts=len(job.worker_ids or []),
        error=error_line(job) if job.status == S.FAILED else "",
        waits_until=waits if waits and waits > timezone.now() else None,
        retry_of=job.args_kwargs.get(jobs.RETRY_OF),
        retried_as=job.args_kwargs.get(jobs.RETRIED_AS),
    )


def _page_number(request: HttpRequest) -> int:
    try:
        return min(max(int(request.GET.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        return 1


def _job_or_404(pk: str) -> DBTaskResult:
    try:
        return DBTaskResult.objects.get(pk=uuid.UUID(pk))
    except (ValueError, DBTaskResult.DoesNotExist) as exc:
        raise Http404 from exc


def _backend_kind() -> str:
    """ "database" (the jobs are listed here), "rq" (RQ keeps its own lists) or "other"."""
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if isinstance(backend, DatabaseBackend):
        return "database"
    return "rq" if type(backend).__module__.startswith("django_tasks_rq") else "other"


@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    require(sees_jobs(request.user))
    status = request.GET.get("status", "")
    rows = DBTaskResult.objects.defer("return_value").order_by("-enqueued_at", "-pk")
    if status in STATUS_FILTERS:
        rows = rows.filter(status=STATUS_FILTERS[status][0])
    else:
        status = ""
    number = _page_number(request)
    start = (number - 1) * PER_PAGE
    found = list(rows[start : start + PER_PAGE + 1])  # one more says a next page exists
    return render(
        request,
        "agencies/jobs.html",
        {
            "rows": [job_row(job) for job in found[:PER_PAGE]],
            "status": status,
            "statuses": [(key, label) for key, (_s, label, _c) in STATUS_FILTERS.items()],
            "page": number,
            "has_next": len(found) > PER_PAGE,
            "backend": _backend_kind(),
        },
    )


@require_GET
def job_detail(request: HttpRequest, pk: str) -> HttpResponse:
    require(sees_jobs(request.user))
    job = _job_or_404(pk)
    arguments = {key: job.args_kwargs.get(key) for key in ("args", "kwargs")}
    return render(
        request,
        "agencies/jobs_detail.html",
        {
            "row": job_row(job),
            "arguments": json.dumps(arguments, ensure_ascii=False, indent=2),
            "shows_traceback": request.user.is_staff or request.user.is_superuser,
        },
    )


@require_POST
def job_retry(request: HttpRequest, pk: str) -> HttpResponse:
    require(sees_jobs(request.user))
    job = _job_or_404(pk)
    try:
        retry = jobs.job_retry(actor=request.user, job_id=job.pk)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("job_detail", pk=str(job.pk))
    messages.success(request, _("Đã xếp việc vào hàng đợi để thử lại."))
    return redirect("job_detail", pk=str(retry.pk))
