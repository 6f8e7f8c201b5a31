"""The same jobs on the two real backends (docs/jobs.md): the database backend with a real
``db_worker``, and RQ on Redis with a burst ``rqworker``. The rest of the suite runs jobs
on the immediate backend (tests/conftest.py).

These tests commit (a worker reads only committed rows), so they are transactional and run
last; ``serialized_rollback`` gives the tests after them the migrated bodies back.
"""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Callable
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from agencies import mail as outbox
from agencies import tasks as agency_tasks
from agencies.models import OutgoingMail
from coordination.models import ReminderLog
from coordination.tasks import send_reminders_job
from tests.coordination_factories import make_task

QUEUES = ["default", "documents", "mail"]
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}
REDIS_HOST, REDIS_PORT, REDIS_TEST_DB = "127.0.0.1", 6379, 13
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_TEST_DB}"
RQ_TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": QUEUES}}
RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60} for name in QUEUES}

transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@contextmanager
def _signals_kept():
    """db_worker installs its own SIGINT/SIGTERM handlers; give pytest its own back."""
    kept = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        yield
    finally:
        for sig, handler in kept.items():
            signal.signal(sig, handler)


def run_db_worker(*, until: Callable[[], bool] | None = None, timeout: float = 30) -> None:
    """Run ``manage.py db_worker --batch`` on every queue until nothing is ready; with
    ``until``, run it again (deferred retries become ready) until ``until()`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        with _signals_kept():
            call_command(
                "db_worker",
                "--batch",
                "--no-reload",
                "--no-startup-delay",
                "--queue-name",
                ",".join(QUEUES),
                "--worker-id",
                "pytest-worker",
                stdout=StringIO(),
            )
        if until is None or until():
            return
        assert time.monotonic() < deadline, "the worker did not finish the work in time"
        time.sleep(0.05)


def results(task_path: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=task_path).order_by("enqueued_at"))


def reminder_mail() -> list:
    return [m for m in mail.outbox if m.subject.startswith("[CCHC] Nhắc việc")]


# --- database backend, real worker ------------------------------------------------------


@transactional
def test_database_backend_jobs_wait_for_the_worker_and_run_once(noivu, contrib_focal, settings):
    settings.TASKS = DB_TASKS
    make_task(actor=noivu, due=1)  # assigned: its mail is queued and its job enqueued
    call_command("send_reminders", stdout=StringIO())
    call_command("send_reminders", stdout=StringIO())  # the trigger fired twice

    assert ReminderLog.objects.count() == 0 and mail.outbox == []  # nothing ran yet
    daily = results("coordination.tasks.send_reminders_job")
    assert [r.status for r in daily] == [TaskResultStatus.READY] * 2
    assert {r.queue_name for r in results("agencies.tasks.send_mail")} == {"mail"}

    run_db_worker()

    assert ReminderLog.objects.count() == 3  # chair and two contributors, once each
    assert [r.return_value["reminders_sent"] for r in results(daily[0].task_path)] == [3, 0]
    sent = results("agencies.tasks.send_mail")
    assert sent and {r.status for r in sent} == {TaskResultStatus.SUCCESSFUL}
    assert OutgoingMail.objects.exclude(status=OutgoingMail.Status.SENT).count() == 0
    assert len(reminder_mail()) == 1 and reminder_mail()[0].to == [contrib_focal.email]
    assert len(mail.outbox) == OutgoingMail.objects.count()  # each message once

    run_db_worker()
    call_command("send_pending_mail", stdout=StringIO())
    run_db_worker()
    assert len(mail.outbox) == OutgoingMail.objects.count()


@transactional
def test_a_worker_takes_only_its_queues(settings):
    settings.TASKS = DB_TASKS
    with transaction.atomic():
        row = outbox.queue(recipients=["a@example.vn"], subject="Thử", body="…")
    with _signals_kept():
        call_command(
            "db_worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            "--queue-name",
            "default",
            stdout=StringIO(),
        )
    assert mail.outbox == []
    (job,) = results("agencies.tasks.send_mail")
    assert job.status == TaskResultStatus.READY and job.args_kwargs["args"] == [row.pk]
    run_db_worker()
    job.refresh_from_db()
    assert job.status == TaskResultStatus.SUCCESSFUL and len(mail.outbox) == 1


@transactional
def test_send_reminders_now_runs_in_the_command_without_a_worker(noivu, settings):
    settings.TASKS = DB_TASKS
    make_task(actor=noivu, due=1)
    out = StringIO()
    call_command("send_reminders", "--now", stdout=out)
    assert "Đã ghi 3 nhắc việc" in out.getvalue()
    assert ReminderLog.objects.count() == 3
    assert not results("coordination.tasks.send_reminders_job")
    call_command("send_reminders", "--now", stdout=out)
    assert ReminderLog.objects.count() == 3


# --- RQ on Redis ------------------------------------------------------------------------


def _redis_reachable() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def rq_backend(settings):
    """The RQ backend on a Redis database of its own (13), emptied before and after."""
    if not _redis_reachable():
        pytest.skip(f"Redis is not running at {REDIS_HOST}:{REDIS_PORT} (CI starts it: .ci/run)")
    import django_rq

    settings.RQ_QUEUES = RQ_QUEUES
    settings.RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
    settings.TASKS = RQ_TASKS
    connection = django_rq.get_connection("default")
    connection.flushdb()
    yield connection
    connection.flushdb()


def run_rq_worker() -> None:
    """``manage.py rqworker default documents mail --burst``, without forking (the test
    database lives in this process)."""
    from django_rq.management.commands.rqworker import Command as RQWorker

    call_command(
        RQWorker(),
        *QUEUES,
        "--burst",
        "--with-scheduler",
        "--worker-class",
        "rq.worker.SimpleWorker",
        stdout=StringIO(),
    )


@transactional
def test_rq_backend_runs_the_same_jobs(rq_backend, noivu, contrib_focal):
    make_task(actor=noivu, due=1)
    result = send_reminders_job.enqueue("2000-01-01")  # a day with nothing to do
    call_command("send_reminders", stdout=StringIO())
    assert ReminderLog.objects.count() == 0 and mail.outbox == []
    assert rq_backend.llen("rq:queue:mail") >= 1 and rq_backend.llen("rq:queue:default") == 2

    run_rq_worker()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value["reminders_sent"] == 0
    assert ReminderLog.objects.count() == 3
    assert OutgoingMail.objects.exclude(status=OutgoingMail.Status.SENT).count() == 0
    assert len(reminder_mail()) == 1 and reminder_mail()[0].to == [contrib_focal.email]
    assert len(mail.outbox) == OutgoingMail.objects.count()


@transactional
def test_rq_backend_defers_a_retry_until_its_time(rq_backend, settings):
    settings.OUTGOING_MAIL_BACKOFF_SECONDS = 0.5  # first retry one second later
    settings.EMAIL_BACKEND = "tests.test_side_effects.FailingBackend"
    row = OutgoingMail.objects.create(recipients=["a@example.vn"], subject="Thử", body="…")
    first = agency_tasks.send_mail.enqueue(row.pk)
    run_rq_worker()
    first.refresh()
    assert first.return_value["outcome"] == "failed"
    scheduled = django_rq_scheduled("mail")
    assert len(scheduled) == 1  # the retry, not yet due

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time.sleep(1.1)
    run_rq_worker()
    row.refresh_from_db()
    assert (row.status, row.attempts, len(mail.outbox)) == (OutgoingMail.Status.SENT, 2, 1)


def django_rq_scheduled(queue_name: str) -> list[str]:
    import django_rq
    from rq.registry import ScheduledJobRegistry

    return ScheduledJobRegistry(queue=django_rq.get_queue(queue_name)).get_job_ids()
