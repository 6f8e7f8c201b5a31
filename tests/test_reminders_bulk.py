"""The daily reminders recorded set-based (issue 14: ``send_reminders`` over 100,000 items in
a few seconds): chunks give the same reminders, history, mail and notices as one at a time,
a chunk a concurrent run got to first is redone one reminder at a time, and the queries do
not grow with the number of reminders."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.history import SYSTEM_USERNAME, system_actor
from agencies.models import OutgoingMail
from coordination import reminders
from coordination.models import Notification, ReminderLog
from tests.coordination_factories import make_task
from tests.factories import in_days


@pytest.mark.django_db
def test_chunks_record_every_reminder_with_its_history_mail_and_notices(
    noivu, contrib_focal, district_focal, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(reminders, "CHUNK", 2)
    tasks = [make_task(actor=noivu, due=1, title=f"Nhiệm vụ {n}") for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        counts = reminders.send_due_reminders(today=in_days(0))
    assert counts == {"sent": 9, "skipped": 0}  # chair and two contributors of each item
    logs = ReminderLog.objects.all()
    assert {(log.kind, log.due_date) for log in logs} == {("before", in_days(1))}
    stc = logs.get(participation__task=tasks[1], participation__agency__code="STC")
    assert stc.recipients == contrib_focal.email
    assert stc.message == f"Nhiệm vụ “Nhiệm vụ 1” sẽ đến hạn ngày {in_days(1):%d/%m/%Y}."
    record = ReminderLog.history.get(id=stc.pk)
    assert record.history_change_reason == "Gửi nhắc việc: Sắp đến hạn"
    assert record.history_user.username == SYSTEM_USERNAME
    # One e-mail and one notice per reminder to a body with a focal officer (STC, TUYHOA).
    mails = OutgoingMail.objects.filter(subject__startswith="[CCHC] Nhắc việc")
    assert mails.count() == 6
    assert sorted(m.recipients for m in mails.filter(subject__endswith="Nhiệm vụ 2")) == [
        [contrib_focal.email],
        [district_focal.email],
    ]
    assert f"/tasks/{tasks[2].pk}/" in mails.filter(subject__endswith="Nhiệm vụ 2")[0].body
    assert Notification.objects.filter(user=contrib_focal).count() == 3
    assert Notification.objects.filter(user=district_focal).count() == 3

    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_due_reminders(today=in_days(0)) == {"sent": 0, "skipped": 9}
    assert ReminderLog.objects.count() == 9 and mails.count() == 6


@pytest.mark.django_db
def test_a_chunk_a_concurrent_run_got_to_first_is_redone_one_at_a_time(noivu, monkeypatch):
    make_task(actor=noivu, due=1)
    kind_for = reminders._kind_for
    first = []

    def concurrent_run_sends_the_first(part, today):
        kind = kind_for(part, today)
        if not first:  # another run records this one after this run read what was sent
            first.append(
                ReminderLog.objects.create(participation=part, kind=kind, due_date=part.eff_due)
            )
        return kind

    monkeypatch.setattr(reminders, "_kind_for", concurrent_run_sends_the_first)
    assert reminders.send_due_reminders(today=in_days(0)) == {"sent": 2, "skipped": 1}
    assert ReminderLog.objects.count() == 3  # once per body, kind and deadline


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_number_of_reminders(noivu, contrib_focal):
    make_task(actor=noivu, due=1)
    for n in range(3):
        make_task(actor=noivu, due=11, title=f"Nhiệm vụ {n}")
    system_actor()  # created by the first run that needs it
    with CaptureQueriesContext(connection) as few:
        assert reminders.send_due_reminders(today=in_days(0))["sent"] == 3
    with CaptureQueriesContext(connection) as many:  # 9 before the deadline, 3 overdue
        assert reminders.send_due_reminders(today=in_days(10))["sent"] == 12
    assert len(many) == len(few) == 9
