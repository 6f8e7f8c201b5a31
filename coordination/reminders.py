"""Reminders before, on and after a deadline (once each), manual reminders, recurrence."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import history
from coordination import access, notify
from coordination import timeliness as tl
from coordination.models import Participation, ReminderLog, Task

P = Participation
K = ReminderLog.Kind


def _kind_for(part: Participation, today: dt.date) -> str | None:
    """Which automatic reminder an open part gets today (overdue as the annotation says)."""
    due = part.eff_due
    if part.timeliness == tl.OVERDUE:
        return K.OVERDUE
    if due == today:
        return K.DUE_DAY
    if (due - today).days <= settings.REMINDER_DAYS_BEFORE:
        return K.BEFORE
    return None


MESSAGES = {
    K.BEFORE: "Nhiệm vụ “%(t)s” sẽ đến hạn ngày %(d)s.",
    K.DUE_DAY: "Hôm nay (%(d)s) là hạn của nhiệm vụ “%(t)s”.",
    K.OVERDUE: "Nhiệm vụ “%(t)s” đã quá hạn từ ngày %(d)s, đề nghị khẩn trương thực hiện.",
    K.MANUAL: "Sở Nội vụ đề nghị cơ quan khẩn trương thực hiện nhiệm vụ “%(t)s” (hạn %(d)s).",
}


def _message(kind: str, task: Task, due: dt.date) -> str:
    return _(MESSAGES[kind]) % {"t": task.title, "d": due.strftime("%d/%m/%Y")}


def _deliver(
    part: Participation, kind: str, due: dt.date, sent_by=None, recorded_by=None
) -> ReminderLog:
    """Record one reminder and queue its mail in the same transaction; the mail leaves
    after commit through the outbox (agencies/mail.py), which retries it if refused."""
    with transaction.atomic():
        message = _message(kind, part.task, due)
        users = notify.focal_officers([part.agency_id])
        log = ReminderLog(
            participation=part,
            kind=kind,
            due_date=due,
            sent_by=sent_by,
            message=message,
            recipients=", ".join(u.email for u in users if u.email),
        )
        history.save(log, _("Gửi nhắc việc: %(k)s") % {"k": K(kind).label}, sent_by or recorded_by)
        notify.send(
            users,
            part.task,
            _("[CCHC] Nhắc việc: %(t)s") % {"t": part.task.title},
            message,
        )
    return log


def pending_participations(today: dt.date | None = None):
    """Coordinating and chairing parts still open (on time, due soon or overdue by the
    ``timeliness`` annotation), with ``eff_due``."""
    return tl.in_states(
        tl.with_timeliness(P.objects.exclude(role=P.Role.TRACK), today), tl.OPEN_STATES, today
    ).select_related("task", "agency")


def send_due_reminders(*, today: dt.date | None = None) -> dict[str, int]:
    """Daily job: one reminder per body, kind and deadline; safe to run again."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=settings.REMINDER_DAYS_BEFORE)
    candidates = pending_participations(today).filter(eff_due__lte=horizon)
    already = set(
        ReminderLog.objects.filter(participation__in=candidates)
        .exclude(kind=K.MANUAL)
        .values_list("participation_id", "kind", "due_date")
    )
    system = history.system_actor()  # automatic reminders: looked up once per run
    counts = {"sent": 0, "skipped": 0}
    for part in candidates.iterator(chunk_size=500):
        kind = _kind_for(part, today)
        if kind is None or (part.pk, kind, part.eff_due) in already:
            counts["skipped"] += 1
            continue
        try:
            _deliver(part, kind, part.eff_due, recorded_by=system)
            counts["sent"] += 1
        except IntegrityError:
            counts["skipped"] += 1  # sent by a concurrent run
    return counts


def task_remind(*, actor, task: Task, agency_ids: list[int] | None = None) -> int:
    """An officer or the tracking body reminds the bodies that have not finished."""
    access.require(access.task_actions(actor, task)["remind"])
    parts = pending_participations().filter(task=task)
    if agency_ids:
        parts = parts.filter(agency_id__in=agency_ids)
    count = 0
    for part in parts:
        _deliver(part, K.MANUAL, part.eff_due, sent_by=actor)
        count += 1
    return count


STEP = {
    "monthly": relativedelta(months=1),
    "quarterly": relativedelta(months=3),
    "half_year": relativedelta(months=6),
    "yearly": relativedelta(years=1),
}


def create_due_occurrences(*, today: dt.date | None = None) -> list[Task]:
    """When a recurring item's period comes (its deadline is reached), create the next one."""
    from coordination import services

    today = today or timezone.localdate()
    created = []
    due = (
        Task.objects.filter(next_occurrence__isnull=True, due_date__lte=today)
        .exclude(recurrence="")
        .exclude(status__in=[Task.Status.DRAFT, Task.Status.CANCELLED])
    )
    for task in due.select_related("chair_agency", "tracking_agency", "created_by"):
        created.append(services.task_create_next_occurrence(task=task, step=STEP[task.recurrence]))
    return created
