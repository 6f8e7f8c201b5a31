"""Coordination's jobs: the day's reminders (docs/jobs.md).

``send_reminders_job(day_iso)`` is the daily work that ``manage.py send_reminders`` enqueues
(or runs at once with ``--now``): comment rounds closed by silence, the next occurrences of
recurring items, and reminders before, on and after deadlines. It is idempotent, so a second
run for the same day (the trigger fired twice, a worker died mid-job and the job ran again)
changes nothing: one reminder per body, kind and deadline (the unique ``ReminderLog``), an
occurrence is created once (``next_occurrence``), agreement by silence is recorded once.
Reminders are recorded in chunks, one transaction each (a chunk a concurrent run got to
first is redone one reminder at a time); their mail leaves through the outbox.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from coordination import reminders, services
from coordination.models import Task


@task(queue_name="default")
def send_reminders_job(day_iso: str) -> dict[str, int]:
    """The daily reminders for ``day_iso`` (YYYY-MM-DD, the day the trigger fired, so a job
    that runs after midnight still does that day's work)."""
    today = dt.date.fromisoformat(day_iso)
    silent = 0
    open_rounds = Task.objects.filter(silence_means_agreement=True).exclude(
        status__in=[Task.Status.DRAFT, Task.Status.DONE, Task.Status.CANCELLED]
    )
    for item in open_rounds:
        silent += services.task_apply_silence(task=item, today=today)
    created = reminders.create_due_occurrences(today=today)
    counts = reminders.send_due_reminders(today=today)
    return {
        "reminders_sent": counts["sent"],
        "reminders_skipped": counts["skipped"],
        "agreed_by_silence": silent,
        "occurrences_created": len(created),
    }
