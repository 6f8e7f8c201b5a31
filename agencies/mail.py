"""The outbox: every e-mail the portal sends leaves after its transaction commits.

``queue()`` writes one ``OutgoingMail`` row inside the caller's transaction (so the
message rolls back with the change and is never lost once the change is committed) and
registers its delivery with ``transaction.on_commit``. ``deliver()`` claims the row with a
conditional update before talking to the mail server, so a message is sent once even when
the after-commit delivery and ``send_pending_mail`` race; a failure is recorded on the row
and never raised. ``send_pending()`` (the ``send_pending_mail`` command) retries pending
and failed rows with exponential backoff.

The outbox knows nothing of the feature apps; they build the message and call ``queue()``.
Moving delivery onto a job queue later only changes what ``queue()`` registers on commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from agencies.models import OutgoingMail

logger = logging.getLogger(__name__)
S = OutgoingMail.Status

DEFAULT_MAX_ATTEMPTS = 8
# A row left "sending" this long belongs to a process that died mid-send: it is retried
# (the only case in which a recipient may get a message twice).
STALE_SENDING = dt.timedelta(minutes=30)


def max_attempts() -> int:
    return getattr(settings, "OUTGOING_MAIL_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)


def queue(*, recipients: Iterable[str], subject: str, body: str) -> OutgoingMail | None:
    """Put one message in the outbox and send it after the current transaction commits
    (at once when there is none). Returns None when there is nobody to send it to."""
    addresses = list(dict.fromkeys(a.strip() for a in recipients if a and a.strip()))
    if not addresses:
        return None
    row = OutgoingMail.objects.create(
        recipients=addresses,
        subject=" ".join(subject.split())[:500],  # a header: no line breaks
        body=body,
    )
    transaction.on_commit(partial(deliver, row.pk), robust=True)
    return row


def deliver(pk: int) -> str:
    """Send one queued message; returns "sent", "failed" or "skipped" (already sent or
    being sent by another process). Never raises."""
    claimed = OutgoingMail.objects.filter(pk=pk, status__in=[S.PENDING, S.FAILED]).update(
        status=S.SENDING, attempts=F("attempts") + 1, last_attempt_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    row = OutgoingMail.objects.get(pk=pk)
    try:
        send_mail(
            row.subject,
            row.body,
            settings.DEFAULT_FROM_EMAIL,
            row.recipients,
            fail_silently=False,
        )
    except Exception as exc:  # any failure of the mail server stays on the row
        logger.warning("Outgoing mail %s not sent (attempt %s): %s", pk, row.attempts, exc)
        OutgoingMail.objects.filter(pk=pk, status=S.SENDING).update(
            status=S.FAILED, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return "failed"
    OutgoingMail.objects.filter(pk=pk, status=S.SENDING).update(
        status=S.SENT, sent_at=timezone.now()
    )
    return "sent"


def retry_due(row: OutgoingMail, now: dt.datetime) -> bool:
    """Backoff: after n attempts, wait 2**n minutes before the next one."""
    if row.last_attempt_at is None:
        return True
    return row.last_attempt_at + dt.timedelta(minutes=2**row.attempts) <= now


def send_pending(*, now: dt.datetime | None = None, attempts: int | None = None) -> dict[str, int]:
    """Retry pending and failed messages whose backoff has passed, up to ``attempts``
    attempts each. Safe to run at any time and concurrently: each row is claimed first."""
    now = now or timezone.now()
    limit = max_attempts() if attempts is None else attempts
    OutgoingMail.objects.filter(status=S.SENDING, last_attempt_at__lt=now - STALE_SENDING).update(
        status=S.FAILED, last_error="Interrupted while sending; delivery unknown."
    )
    counts = {"sent": 0, "failed": 0, "skipped": 0, "waiting": 0}
    rows = (
        OutgoingMail.objects.filter(status__in=[S.PENDING, S.FAILED], attempts__lt=limit)
        .order_by("created_at", "pk")
        .only("pk", "attempts", "last_attempt_at")
    )
    for row in rows.iterator(chunk_size=200):
        if not retry_due(row, now):
            counts["waiting"] += 1
            continue
        counts[deliver(row.pk)] += 1
    counts["given_up"] = OutgoingMail.objects.filter(status=S.FAILED, attempts__gte=limit).count()
    return counts
