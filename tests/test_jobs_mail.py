"""The outbox as a job against a real SMTP server (aiosmtpd, started by the test on a free
port) that refuses and then accepts: the change is committed once, the message is
delivered once, every attempt is recorded on the row (agencies/mail.py, agencies/tasks.py).

The worker tests commit, so they are transactional (and run last, tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
from email import policy
from email.parser import BytesParser
from io import StringIO

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus

from agencies import mail as outbox
from agencies import tasks
from agencies.models import OutgoingMail
from coordination import services
from coordination.models import ReminderLog, Task
from tests.coordination_factories import make_task
from tests.test_jobs_backends import DB_TASKS, results, run_db_worker, transactional

S = OutgoingMail.Status
SEND_MAIL = "agencies.tasks.send_mail"


class MailServer:
    """A local SMTP server that answers "451 try later" to the first ``refuse`` messages,
    then accepts; ``start``/``stop`` make it reachable or not (connection refused)."""

    def __init__(self, refuse: int = 0):
        self.refuse = refuse
        self.refused = 0
        self.received: list[dict] = []
        self.port = _free_port()
        self._controller: Controller | None = None
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self._lock:
            if self.refused < self.refuse:
                self.refused += 1
                return "451 4.3.0 Try again later"
            message = BytesParser(policy=policy.default).parsebytes(envelope.content)
            subject = " ".join(str(message["subject"]).split())  # unfolded
            self.received.append({"to": sorted(envelope.rcpt_tos), "subject": subject})
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None

    def subjects(self, prefix: str) -> list[dict]:
        return [m for m in self.received if m["subject"].startswith(prefix)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    server = MailServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.OUTGOING_MAIL_BACKOFF_SECONDS = 0.05  # retries after 0.1 s, 0.2 s, 0.4 s …
    yield server
    server.stop()


def sent_once(row: OutgoingMail) -> bool:
    row.refresh_from_db()
    return row.status == S.SENT


@transactional
def test_assignment_mail_is_retried_by_its_job_and_delivered_once(
    noivu, chair_focal, contrib_focal, smtp, settings
):
    settings.TASKS = DB_TASKS
    smtp.refuse = 2
    smtp.start()
    task = make_task(actor=noivu, assign=False)

    services.task_assign(actor=noivu, task=task)  # commits; the job waits for a worker

    row = OutgoingMail.objects.get(subject__contains="Nhiệm vụ mới")
    assert (row.status, smtp.received) == (S.PENDING, [])
    run_db_worker(until=lambda: sent_once(row))

    assert smtp.refused == 2
    assert smtp.subjects("[CCHC] Nhiệm vụ mới") == [
        {"to": sorted([chair_focal.email, contrib_focal.email]), "subject": row.subject}
    ]
    assert row.attempts == 3 and row.sent_at is not None
    assert "451" in row.last_error and "Try again later" in row.last_error  # kept for admins
    jobs = results(SEND_MAIL)
    outcomes = [j.return_value["outcome"] for j in jobs if j.args_kwargs["args"] == [row.pk]]
    assert outcomes == ["failed", "failed", "sent"]  # the job enqueued its own retries
    assert {j.status for j in jobs} == {TaskResultStatus.SUCCESSFUL}
    task.refresh_from_db()
    assert task.status == Task.Status.ASSIGNED
    assert Task.history.filter(id=task.pk, status=Task.Status.ASSIGNED).count() == 1

    call_command("send_pending_mail", stdout=StringIO())  # the sweeper finds nothing
    run_db_worker()
    assert len(smtp.subjects("[CCHC] Nhiệm vụ mới")) == 1


@transactional
def test_a_reminder_sent_while_the_server_is_down_arrives_once_when_it_is_back(
    noivu, contrib_focal, smtp, settings
):
    settings.TASKS = DB_TASKS
    settings.OUTGOING_MAIL_BACKOFF_SECONDS = 0.5  # first retry one second after the failure
    make_task(actor=noivu, due=1)
    call_command("send_reminders", stdout=StringIO())
    run_db_worker()  # the day's job, then every mail job: the server is not listening

    row = OutgoingMail.objects.get(subject__startswith="[CCHC] Nhắc việc")
    assert ReminderLog.objects.count() == 3
    assert (row.status, row.attempts) == (S.FAILED, 1)
    assert "Connection" in row.last_error

    smtp.start()
    run_db_worker(until=lambda: sent_once(row))
    call_command("send_reminders", stdout=StringIO())  # the trigger fires again that day
    call_command("send_pending_mail", stdout=StringIO())
    run_db_worker()

    assert smtp.subjects("[CCHC] Nhắc việc") == [
        {"to": [contrib_focal.email], "subject": row.subject}
    ]
    assert ReminderLog.objects.count() == 3
    assert row.attempts == 2


@transactional
def test_the_sweeper_finds_what_no_job_carries(smtp, settings):
    settings.TASKS = DB_TASKS
    smtp.start()
    now = timezone.now()
    lost = OutgoingMail.objects.create(  # committed, but its enqueue never happened
        recipients=["a@example.vn"], subject="Mất hàng đợi", body="…"
    )
    interrupted = OutgoingMail.objects.create(  # a worker died while sending it
        recipients=["b@example.vn"],
        subject="Gửi dở",
        body="…",
        status=S.SENDING,
        attempts=1,
        last_attempt_at=now - dt.timedelta(hours=2),
    )
    waiting = OutgoingMail.objects.create(  # refused a moment ago: its retry is not due
        recipients=["c@example.vn"], subject="Chờ", body="…", status=S.FAILED, attempts=3
    )
    OutgoingMail.objects.filter(pk=waiting.pk).update(last_attempt_at=now)

    out = StringIO()
    call_command("send_pending_mail", stdout=out)
    assert "Đã đưa 2 thư" in out.getvalue() and "1 thư chờ" in out.getvalue()
    run_db_worker()

    assert sorted(m["subject"] for m in smtp.received) == ["Gửi dở", "Mất hàng đợi"]
    assert sent_once(lost) and sent_once(interrupted)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts) == (S.FAILED, 3)


@transactional
def test_two_jobs_for_one_message_send_it_once(smtp, settings):
    settings.TASKS = DB_TASKS
    smtp.start()
    row = OutgoingMail.objects.create(recipients=["a@example.vn"], subject="Một lần", body="…")
    tasks.send_mail.enqueue(row.pk)
    tasks.send_mail.enqueue(row.pk)
    run_db_worker()
    assert len(smtp.received) == 1
    assert sorted(j.return_value["outcome"] for j in results(SEND_MAIL)) == ["sent", "skipped"]
    row.refresh_from_db()
    assert row.attempts == 1


@transactional
def test_a_message_refused_to_the_last_attempt_fails_visibly_and_can_be_retried(smtp, settings):
    settings.TASKS = DB_TASKS
    settings.OUTGOING_MAIL_MAX_ATTEMPTS = 2
    smtp.refuse = 99
    smtp.start()
    row = OutgoingMail.objects.create(recipients=["a@example.vn"], subject="Bỏ cuộc", body="…")
    tasks.send_mail.enqueue(row.pk)
    run_db_worker(until=lambda: results(SEND_MAIL)[-1].status == TaskResultStatus.FAILED)

    row.refresh_from_db()
    assert (row.status, row.attempts, smtp.received) == (S.FAILED, 2, [])
    last = results(SEND_MAIL)[-1]
    assert last.exception_class_path == "agencies.tasks.MailNotSent"
    assert "given up after 2 attempts" in last.traceback
    assert outbox.send_pending() == {"enqueued": 0, "waiting": 0, "recovered": 0, "given_up": 1}

    smtp.refuse = 0  # the server is repaired; an administrator retries the failed job
    tasks.send_mail.enqueue(row.pk)
    run_db_worker()
    assert sent_once(row) and len(smtp.received) == 1 and row.attempts == 3


@pytest.mark.django_db
def test_a_job_before_its_backoff_does_nothing_and_enqueues_nothing(smtp, settings):
    """A duplicate job (the sweeper's, a retry from the jobs page) finds the message not
    yet due: no attempt, no second chain of retries."""
    settings.OUTGOING_MAIL_BACKOFF_SECONDS = 60
    smtp.start()
    row = OutgoingMail.objects.create(
        recipients=["a@example.vn"],
        subject="Chưa đến lượt",
        body="…",
        status=S.FAILED,
        attempts=1,
        last_attempt_at=timezone.now(),
    )
    result = tasks.send_mail.enqueue(row.pk)  # the immediate backend: runs here
    assert result.return_value == {"mail": row.pk, "outcome": "waiting"}
    row.refresh_from_db()
    assert (row.status, row.attempts, smtp.received) == (S.FAILED, 1, [])


@pytest.mark.django_db
def test_an_attempt_made_by_another_worker_meanwhile_is_not_repeated(smtp, monkeypatch):
    """The claim holds only for the state the job read: another worker that made an attempt
    between this job's read and its claim wins, and this job sends nothing."""
    smtp.start()
    row = OutgoingMail.objects.create(recipients=["a@example.vn"], subject="Tranh chấp", body="…")
    read_then_raced = tasks.retry_due

    def another_worker_attempts_first(read_row, now):
        OutgoingMail.objects.filter(pk=read_row.pk).update(
            status=S.FAILED, attempts=1, last_attempt_at=now, last_error="451"
        )
        return read_then_raced(read_row, now)

    monkeypatch.setattr(tasks, "retry_due", another_worker_attempts_first)
    assert tasks.deliver(row.pk) == "skipped"
    row.refresh_from_db()
    assert (row.status, row.attempts, smtp.received) == (S.FAILED, 1, [])
