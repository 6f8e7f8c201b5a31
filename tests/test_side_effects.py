"""Side effects leave after commit (STYLE.md rule 17): a failing mail server neither rolls
back the change nor loses the message; a rolled-back change notifies nobody."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from agencies import mail as outbox
from agencies import tasks
from agencies.management.commands.send_pending_mail import Command as SendPendingMail
from agencies.models import OutgoingMail
from coordination import reminders, services
from coordination.models import Notification, ReminderLog, Task
from tests.conftest import login
from tests.coordination_factories import make_task
from tests.factories import UserFactory, agency, in_days

FAILING = "tests.test_side_effects.FailingBackend"
S = OutgoingMail.Status


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses every connection."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP down")


def assigned_mail() -> OutgoingMail:
    return OutgoingMail.objects.get(subject__contains="Nhiệm vụ mới")


def backdate(row: OutgoingMail, minutes: int) -> None:
    OutgoingMail.objects.filter(pk=row.pk).update(
        last_attempt_at=timezone.now() - dt.timedelta(minutes=minutes)
    )


@pytest.mark.django_db
def test_failing_mail_server_keeps_the_change_and_the_message(
    noivu, chair_focal, contrib_focal, settings, django_capture_on_commit_callbacks
):
    task = make_task(actor=noivu, assign=False)
    settings.EMAIL_BACKEND = FAILING
    with django_capture_on_commit_callbacks(execute=True):
        response = login(noivu).post(reverse("task_assign", args=[task.pk]), {"confirmed": "1"})

    assert response.status_code == 302  # no exception reaches the user
    task.refresh_from_db()
    assert task.status == "assigned"
    assert Task.history.filter(id=task.pk, status="assigned").exists()
    row = assigned_mail()
    assert (row.status, row.attempts, row.sent_at) == (S.FAILED, 1, None)
    assert "SMTP down" in row.last_error
    assert set(row.recipients) == {chair_focal.email, contrib_focal.email}
    assert Notification.objects.filter(task=task, user=contrib_focal).count() == 1
    assert mail.outbox == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("send_pending_mail", stdout=StringIO())
    assert mail.outbox == []  # backoff: tried a moment ago, next try after 2 minutes

    backdate(row, minutes=3)
    call_command("send_pending_mail", stdout=StringIO())
    assert len(mail.outbox) == 1
    assert "Nhiệm vụ mới" in mail.outbox[0].subject
    assert sorted(mail.outbox[0].to) == sorted(row.recipients)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.SENT, 2) and row.sent_at is not None

    backdate(row, minutes=600)
    call_command("send_pending_mail", stdout=StringIO())
    assert len(mail.outbox) == 1  # sent exactly once


@pytest.mark.django_db
def test_nothing_leaves_before_commit(noivu, contrib_focal, django_capture_on_commit_callbacks):
    task = make_task(actor=noivu, assign=False)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.task_assign(actor=noivu, task=task)
        assert mail.outbox == []
        assert not Notification.objects.filter(task=task).exists()
        assert assigned_mail().status == S.PENDING  # queued with the change
    assert len(mail.outbox) == 1 and contrib_focal.email in mail.outbox[0].to
    assert assigned_mail().status == S.SENT
    assert Notification.objects.filter(task=task, user=contrib_focal).exists()


@pytest.mark.django_db
def test_rolled_back_change_notifies_nobody(
    noivu, contrib_focal, django_capture_on_commit_callbacks
):
    task = make_task(actor=noivu, assign=False)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.task_assign(actor=noivu, task=task)
        raise RuntimeError("a later step fails")
    assert callbacks == []
    task.refresh_from_db()
    assert task.status == "draft"
    assert not Notification.objects.filter(task=task).exists()
    assert not OutgoingMail.objects.filter(subject__contains="Nhiệm vụ mới").exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_reminders_are_recorded_and_their_mail_retried_when_the_server_is_down(
    noivu, contrib_focal, settings, django_capture_on_commit_callbacks
):
    make_task(actor=noivu, due=1)
    settings.EMAIL_BACKEND = FAILING
    with django_capture_on_commit_callbacks(execute=True):
        counts = reminders.send_due_reminders(today=in_days(0))
    assert counts["sent"] == 3
    assert ReminderLog.objects.filter(participation__agency__code="STC").exists()
    row = OutgoingMail.objects.get(subject__startswith="[CCHC] Nhắc việc")
    assert row.recipients == [contrib_focal.email]  # the only body with a focal officer
    assert row.status == S.FAILED and "SMTP down" in row.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_due_reminders(today=in_days(0))["sent"] == 0  # recorded once
    backdate(row, minutes=3)
    outbox.send_pending()
    reminder_mail = [m for m in mail.outbox if m.subject.startswith("[CCHC] Nhắc việc")]
    assert len(reminder_mail) == 1 and reminder_mail[0].to == [contrib_focal.email]


@pytest.mark.django_db
def test_a_claimed_message_is_not_sent_again(db):
    row = OutgoingMail.objects.create(recipients=["a@example.vn"], subject="Thử", body="Nội dung")
    assert tasks.deliver(row.pk) == "sent"
    assert tasks.deliver(row.pk) == "skipped"
    # Being sent by another process: left alone until it is stale.
    other = OutgoingMail.objects.create(
        recipients=["b@example.vn"],
        subject="Đang gửi",
        body="…",
        status=S.SENDING,
        attempts=1,
        last_attempt_at=timezone.now(),
    )
    assert outbox.send_pending()["enqueued"] == 0
    assert len(mail.outbox) == 1
    backdate(other, minutes=120)
    assert outbox.send_pending()["recovered"] == 1  # taken back, then enqueued and sent
    assert len(mail.outbox) == 2
    other.refresh_from_db()
    assert (other.status, other.attempts) == (S.SENT, 2)


@pytest.mark.django_db
def test_retries_stop_after_the_last_attempt(settings):
    settings.EMAIL_BACKEND = FAILING
    row = OutgoingMail.objects.create(recipients=["a@example.vn"], subject="Thử", body="…")
    for _attempt in range(3):
        backdate(row, minutes=10_000)
        outbox.send_pending(attempts=3)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.FAILED, 3)
    backdate(row, minutes=10_000)
    assert outbox.send_pending(attempts=3) == {
        "enqueued": 0,
        "waiting": 0,
        "recovered": 0,
        "given_up": 1,
    }


@pytest.mark.django_db
def test_administrators_read_the_outbox_but_cannot_change_it(noivu):
    OutgoingMail.objects.create(
        recipients=["a@example.vn"], subject="Thư thử", body="…", last_error="SMTP down"
    )
    admin = UserFactory(username="quan_tri", agency=agency("SNV"), is_staff=True)
    admin.is_superuser = True
    admin.save()
    client = login(admin)
    response = client.get(reverse("admin:agencies_outgoingmail_changelist"))
    assert response.status_code == 200 and "Thư thử" in response.content.decode()
    assert client.get(reverse("admin:agencies_outgoingmail_add")).status_code == 403
    assert login(noivu).get(reverse("admin:agencies_outgoingmail_changelist")).status_code == 302


def test_queue_ignores_missing_addresses(db):
    assert outbox.queue(recipients=["", None], subject="Thử", body="…") is None
    assert not OutgoingMail.objects.exists()


def test_command_help_is_vietnamese():
    text = SendPendingMail().create_parser("manage.py", "send_pending_mail").format_help()
    assert "Đưa vào hàng đợi gửi" in text and "Số lần gửi tối đa" in text
