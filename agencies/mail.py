"""The outbox: every e-mail the portal sends leaves after its transaction commits, by a job.

``queue()`` writes one ``OutgoingMail`` row inside the caller's transaction (so the message
rolls back with the change and is never lost once the change is committed) and registers,
on commit, the enqueue of the job that sends it (``agencies.tasks.send_mail``). The job
claims the row before talking to the mail server, records a failure on the row and enqueues
its own retry with exponential backoff; see agencies/tasks.py.

``send_pending()`` (the ``send_pending_mail`` command, every few minutes from cron or a
systemd timer) is the sweeper that makes "never lost" hold whatever happened to a job: it
enqueues a job for every message whose next attempt is due (its enqueue failed, its retry
job was lost, or the backend cannot defer a retry) and takes back a message left "sending"
by a worker that died mid-send. A job it enqueues for a message already in hand finds the
row claimed or not yet due and does nothing.

The outbox knows nothing of the feature apps; they build the message and call ``queue()``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agencies import tasks
from agencies.models import OutgoingMail

logger = logging.getLogger(__name__)
S = OutgoingMail.Status

# A row left "sending" this long belongs to a worker that died mid-send: it is retried
# (the only case in which a recipient may get a message twice).
STALE_SENDING = dt.timedelta(minutes=30)


def absolute_url(path: str) -> str:
    """A portal path as a link in an e-mail: ``SITE_URL`` (the address users reach the portal
    at; ``make demo PORT=8302`` sets it to http://127.0.0.1:8302) followed by the path."""
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def _row(recipients: Iterable[str], subject: str, body: str) -> OutgoingMail | None:
    """The outbox row of one message (not saved): each address once, the subject on one
    line (a header); None when there is nobody to send it to."""
    addresses = list(dict.fromkeys(a.strip() for a in recipients if a and a.strip()))
    if not addresses:
        return None
    return OutgoingMail(recipients=addresses, subject=" ".join(subject.split())[:500], body=body)


def queue(*, recipients: Iterable[str], subject: str, body: str) -> OutgoingMail | None:
    """Put one message in the outbox; its job is enqueued after the current transaction
    commits (at once when there is none). Returns None when there is nobody to send it to."""
    row = _row(recipients, subject, body)
    if row is None:
        return None
    row.save()
    # robust: a queue that cannot be reached must not turn the committed change into an
    # error page; the row stays "pending" and the sweeper enqueues it.
    transaction.on_commit(partial(tasks.send_mail.enqueue, row.pk), robust=True)
    return row


def queue_many(messages: Iterable[tuple[Iterable[str], str, str]]) -> list[OutgoingMail]:
    """``queue`` for many (recipients, subject, body) messages at once (the daily
    reminders): one insert for all their rows; after commit, their jobs are enqueued
    together (``_enqueue_all``)."""
    rows = [row for message in messages if (row := _row(*message)) is not None]
    rows = OutgoingMail.objects.bulk_create(rows)
    if rows:
        transaction.on_commit(partial(_enqueue_all, [row.pk for row in rows]), robust=True)
    return rows


def _enqueue_all(pks: list[int]) -> None:
    """Enqueue the send job of each row in one transaction: with the database queue, one
    commit for all instead of one each. If it fails, the rows stay "pending" and the sweeper
    enqueues them, as for a failed enqueue in ``queue``."""
    with transaction.atomic():
        for pk in pks:
            tasks.send_mail.enqueue(pk)


def send_pending(*, now: dt.datetime | None = None, attempts: int | None = None) -> dict[str, int]:
    """The sweeper: enqueue a send job for each pending or failed message whose next
    attempt is due, up to ``attempts`` attempts each, after taking back messages left
    "sending" too long. Safe to run at any time and concurrently (jobs claim the row)."""
    now = now or timezone.now()
    limit = tasks.max_attempts() if attempts is None else attempts
    recovered = OutgoingMail.objects.filter(
        status=S.SENDING, last_attempt_at__lt=now - STALE_SENDING
    ).update(status=S.FAILED, last_error="Interrupted while sending; delivery unknown.")
    counts = {"enqueued": 0, "waiting": 0, "recovered": recovered}
    rows = list(
        OutgoingMail.objects.filter(status__in=[S.PENDING, S.FAILED], attempts__lt=limit)
        .order_by("created_at", "pk")
        .only("pk", "attempts", "last_attempt_at")
    )
    for row in rows:
        due = tasks.next_attempt_at(row)
        if due is not None and due > now:
            counts["waiting"] += 1
            continue
        tasks.send_mail.enqueue(row.pk)
        counts["enqueued"] += 1
    counts["given_up"] = OutgoingMail.objects.filter(status=S.FAILED, attempts__gte=limit).count()
    return counts
