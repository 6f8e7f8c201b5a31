"""Background jobs: the one way the portal hands work to a worker, and the jobs' safety net.

Jobs are Django Tasks (the django-tasks backport; ``settings.TASKS``): the database backend
by default, RQ on Redis as an option, the immediate backend in tests. A feature app defines
its jobs in its own ``tasks.py`` with ``@task`` and enqueues them through ``enqueue`` here,
which waits for the caller's transaction to commit, so a job never sees data that was rolled
back and never runs before the rows it reads exist. Every job is idempotent: running it
twice (a retry, a worker killed mid-job and its job picked up again) has the effect of
running it once.

The database backend has no heartbeat: a job whose worker was killed stays RUNNING.
``jobs_recover`` puts such a job back in the queue when it has been running longer than
``JOB_STALE_AFTER`` (or at once when its own worker restarts under the same id), and marks
it failed, visibly, after ``JOB_MAX_ATTEMPTS`` runs. ``job_retry`` runs a failed job again
as a new job and writes who asked into both rows. The page is ``agencies/job_views.py``;
each app names its jobs with ``register_label``. See docs/jobs-page.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules, import_string
from django.utils.translation import gettext as _
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task_backends
from django_tasks.exceptions import TaskResultDoesNotExist
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from agencies.access import require, sees_jobs

logger = logging.getLogger("agencies.jobs")

DEFAULT_STALE_AFTER = dt.timedelta(minutes=15)
DEFAULT_MAX_ATTEMPTS = 3
WORKER_LOST = "agencies.jobs.WorkerLost"
RETRY_OF = "retry_of"  # keys the portal adds beside "args" and "kwargs" in args_kwargs
RETRIED_AS = "retried_as"


class WorkerLost(Exception):
    """The worker running a job stopped without finishing it (the reason recovery gives)."""


def enqueue(task, *args, **kwargs) -> None:
    """Enqueue ``task`` with these arguments once the current transaction commits (at once
    when there is none). ``task`` is a Task or its dotted path: a service that a task module
    itself calls enqueues by path, so the two modules do not import each other."""
    transaction.on_commit(partial(_enqueue_now, task, args, kwargs), robust=False)


def _enqueue_now(task, args: tuple, kwargs: dict) -> None:
    if isinstance(task, str):
        task = import_string(task)
    task.enqueue(*args, **kwargs)


def job_failed(result_id: str) -> bool:
    """Whether the job with this result id has failed, on any backend that keeps results
    (database, RQ); False when it is unknown or the backend keeps none (immediate)."""
    if not result_id:
        return False
    try:
        result = task_backends[DEFAULT_TASK_BACKEND_ALIAS].get_result(result_id)
    except (NotImplementedError, TaskResultDoesNotExist, ValidationError, ValueError):
        return False
    return result.status == TaskResultStatus.FAILED


# --- What each job is called ---------------------------------------------------------------

_LABELS: dict[str, str] = {}
_discovered = False


def register_label(task, label) -> None:
    """Name a job in words for the jobs page: ``register_label(build_document,
    _("Tạo văn bản"))`` in the app's ``tasks.py`` (a Task or its dotted path)."""
    path = task if isinstance(task, str) else task.module_path
    _LABELS[path] = label


def task_label(path: str) -> str:
    """The registered words for a task path (each app's ``tasks.py`` is imported once, as
    the admin discovers ``admin.py``); the function's name when none is registered."""
    global _discovered
    if path not in _LABELS and not _discovered:
        _discovered = True
        autodiscover_modules("tasks")
    label = _LABELS.get(path)
    return str(label) if label is not None else path.rsplit(".", 1)[-1]


# --- Recovery of jobs whose worker stopped -------------------------------------------------


def stale_after() -> dt.timedelta:
    """``JOB_STALE_AFTER``: a timedelta or seconds (default 15 minutes)."""
    value = getattr(settings, "JOB_STALE_AFTER", DEFAULT_STALE_AFTER)
    return value if isinstance(value, dt.timedelta) else dt.timedelta(seconds=float(value))


def max_attempts() -> int:
    """``JOB_MAX_ATTEMPTS``: runs of one job before recovery gives up (default 3)."""
    return max(1, int(getattr(settings, "JOB_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)))


@dataclasses.dataclass(frozen=True)
class Stale:
    """A RUNNING job as recovery saw it: the update below applies only if it is unchanged."""

    pk: object
    started_at: dt.datetime | None
    attempts: int


@dataclasses.dataclass
class Recovery:
    requeued: list = dataclasses.field(default_factory=list)
    failed: list = dataclasses.field(default_factory=list)


def stale_jobs(*, worker_id: str | None = None, now: dt.datetime | None = None) -> list[Stale]:
    """RUNNING database jobs started before ``now - JOB_STALE_AFTER``, and, when
    ``worker_id`` is given, every RUNNING job last claimed by that worker (it is starting
    again, so it runs nothing)."""
    cutoff = (now or timezone.now()) - stale_after()
    running = DBTaskResult.objects.running().order_by()
    if worker_id is None:
        running = running.filter(Q(started_at__lt=cutoff) | Q(started_at=None))
    return [
        Stale(pk, started_at, len(worker_ids or []))
        for pk, started_at, worker_ids in running.values_list("pk", "started_at", "worker_ids")
        if started_at is None
        or started_at < cutoff
        or (worker_id is not None and worker_ids and worker_ids[-1] == worker_id)
    ]


def recover_one(job: Stale, *, now: dt.datetime | None = None) -> str | None:
    """Requeue one stale job, or mark it failed after ``JOB_MAX_ATTEMPTS`` runs.

    A compare-and-set on (status, started_at): a job another recoverer already moved, or
    that a worker claimed again since it was seen, is left alone (``None``). Works the same
    on SQLite and PostgreSQL, with any number of recoverers at once."""
    unchanged = DBTaskResult.objects.filter(
        pk=job.pk, status=TaskResultStatus.RUNNING, started_at=job.started_at
    )
    if job.attempts >= max_attempts():
        done = unchanged.update(
            status=TaskResultStatus.FAILED,
            finished_at=now or timezone.now(),
            return_value=None,
            exception_class_path=WORKER_LOST,
            traceback=f"{WORKER_LOST}: worker stopped; gave up after {job.attempts} attempts\n",
        )
        return "failed" if done else None
    done = unchanged.update(status=TaskResultStatus.READY, started_at=None)
    return "requeued" if done else None


def jobs_recover(*, worker_id: str | None = None, now: dt.datetime | None = None) -> Recovery:
    """Recover every stale job (``stale_jobs``); safe to run from several places at once."""
    recovery = Recovery()
    for job in stale_jobs(worker_id=worker_id, now=now):
        outcome = recover_one(job, now=now)
        if outcome is not None:
            getattr(recovery, outcome).append(job.pk)
            logger.warning("job %s %s after %s attempt(s)", job.pk, outcome, job.attempts)
    return recovery


def worker_lost_attempts(result: DBTaskResult) -> int | None:
    """How many runs recovery gave a job it marked failed (None for any other failure)."""
    if result.status == TaskResultStatus.FAILED and result.exception_class_path == WORKER_LOST:
        return len(result.worker_ids or [])
    return None


# --- Running a failed job again --------------------------------------------------------------


def _task_of(original: DBTaskResult):
    try:
        task = original.task
    except (ImportError, SuspiciousOperation) as exc:
        raise ValidationError(
            _("Không còn việc này trong phần mềm hiện tại nên không thử lại được.")
        ) from exc
    if not isinstance(task.get_backend(), DatabaseBackend):
        raise ValidationError(_("Hàng đợi của việc này không còn là cơ sở dữ liệu."))
    return dataclasses.replace(task, run_after=None)


@transaction.atomic
def job_retry(*, actor, job_id) -> DBTaskResult:
    """Enqueue a failed job again, with the same task and arguments, as a new job; the
    new row says which job it repeats and who asked, the old one which job repeated it, so
    a second click does not run it a third time. The new row is written in this
    transaction, so no worker sees it before the marks are saved."""
    require(sees_jobs(actor))
    original = DBTaskResult.objects.select_for_update().get(pk=job_id)
    if original.status != TaskResultStatus.FAILED:
        raise ValidationError(_("Chỉ thử lại được việc đã thất bại."))
    if RETRIED_AS in original.args_kwargs:
        raise ValidationError(_("Việc này đã được thử lại."))
    args_kwargs = original.args_kwargs
    result = _task_of(original).enqueue(*args_kwargs["args"], **args_kwargs["kwargs"])
    mark = {"by": actor.pk, "by_name": actor.get_username(), "at": timezone.now().isoformat()}
    retry = DBTaskResult.objects.get(pk=result.id)
    retry.args_kwargs = {**retry.args_kwargs, RETRY_OF: {**mark, "id": str(original.pk)}}
    retry.save(update_fields=["args_kwargs"])
    original.args_kwargs = {**args_kwargs, RETRIED_AS: {**mark, "id": str(retry.pk)}}
    original.save(update_fields=["args_kwargs"])
    logger.info("job %s retried as %s by %s", original.pk, retry.pk, actor.get_username())
    return retry
