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


# Reminders recorded per transaction by the daily job: one insert of logs, one of their
# history, one of outbox rows and one of notices per chunk, whatever its size.
CHUNK = 500


def _deliver(entries, *, sent_by=None, recorded_by=None) -> list[ReminderLog]:
    """Record reminders ((part, kind) with ``eff_due``) and queue their mail in the caller's
    transaction, set-based: the focal officers of every body in one query, the logs with
    their history in one insert each. The mail leaves after commit through the outbox
    (agencies/mail.py), which retries it if refused; the in-app notices after commit too."""
    if not entries:
        return []
    actor = sent_by or recorded_by or history.system_actor()
    users_of: dict[int, list] = {}
    for user in notify.focal_officers({part.agency_id for part, _kind in entries}):
        users_of.setdefault(user.agency_id, []).append(user)
    logs, messages = [], []
    for part, kind in entries:
        users = users_of.get(part.agency_id, [])
        message = _message(kind, part.task, part.eff_due)
        log = ReminderLog(
            participation=part,
            kind=kind,
            due_date=part.eff_due,
            sent_by=sent_by,
            message=message,
            recipients=", ".join(u.email for u in users if u.email),
        )
        history.mark(log, _("Gửi nhắc việc: %(k)s") % {"k": K(kind).label}, actor)
        logs.append(log)
        subject = _("[CCHC] Nhắc việc: %(t)s") % {"t": part.task.title}
        messages.append((users, part.task, subject, message))
    history.bulk_create(ReminderLog, logs, "", actor)
    notify.send_many(messages)
    return logs


def pending_participations(today: dt.date | None = None):
    """Coordinating and chairing parts still open (on time, due soon or overdue by the
    ``timeliness`` annotation), with ``eff_due``."""
    return tl.in_states(
        tl.with_timeliness(P.objects.exclude(role=P.Role.TRACK), today), tl.OPEN_STATES, today
    ).select_related("task", "agency")


def _record(entries, system, counts: dict[str, int]) -> None:
    """One chunk of the day's reminders in one transaction. When a concurrent run recorded
    some of them first (the unique ``ReminderLog`` refuses the insert), the chunk is redone
    one reminder at a time, skipping those."""
    if not entries:
        return
    try:
        with transaction.atomic():
            _deliver(entries, recorded_by=system)
        counts["sent"] += len(entries)
        return
    except IntegrityError:
        pass
    for entry in entries:
        try:
            with transaction.atomic():
                _deliver([entry], recorded_by=system)
            counts["sent"] += 1
        except IntegrityError:
            counts["skipped"] += 1  # sent by a concurrent run


def send_due_reminders(*, today: dt.date | None = None) -> dict[str, int]:
    """Daily job: one reminder per body, kind and deadline; safe to run again. Recorded in
    chunks of ``CHUNK`` (issue 14: 100,000 items in a few seconds)."""
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
    chunk = []
    for part in candidates.iterator(chunk_size=CHUNK):
        kind = _kind_for(part, today)
        if kind is None or (part.pk, kind, part.eff_due) in already:
            counts["skipped"] += 1
            continue
        chunk.append((part, kind))
        if len(chunk) == CHUNK:
            _record(chunk, system, counts)
            chunk = []
    _record(chunk, system, counts)
    return counts


def task_remind(*, actor, task: Task, agency_ids: list[int] | None = None) -> int:
    """An officer or the tracking body reminds the bodies that have not finished."""
    access.require(access.task_actions(actor, task)["remind"])
    parts = pending_participations().filter(task=task)
    if agency_ids:
        parts = parts.filter(agency_id__in=agency_ids)
    with transaction.atomic():
        return len(_deliver([(part, K.MANUAL) for part in parts], sent_by=actor))


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
