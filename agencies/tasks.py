"""The ground floor's jobs: sending one message from the outbox (agencies/mail.py).

``send_mail(pk)`` is enqueued by ``mail.queue()`` once the business transaction commits, and
by the ``send_pending_mail`` sweeper for a message whose retry is due. It makes one attempt
(``deliver``): the row is claimed with a conditional update on the state it was read in
before the mail server is contacted, so two jobs for one message make one attempt and a
message is sent once. When the server refuses, the error and the attempt are recorded on the
row and the job enqueues its own retry after an exponential backoff (``backoff``), until
``max_attempts()``; then the message stays "failed" in the admin's "Thư đi" list and the job
fails, so the jobs page shows it too. A backend that cannot defer a job (the immediate one)
leaves the retry to the sweeper.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core import mail as django_mail
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from agencies.models import OutgoingMail

logger = logging.getLogger(__name__)
S = OutgoingMail.Status

DEFAULT_MAX_ATTEMPTS = 8
# After n failed attempts the next one waits BASE * 2**n (2, 4, 8 … minutes by default).
DEFAULT_BACKOFF_SECONDS = 60


class MailNotSent(Exception):
    """The message was refused on its last allowed attempt (it stays "failed")."""


def max_attempts() -> int:
    return getattr(settings, "OUTGOING_MAIL_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after ``attempts`` failed attempts before the next one."""
    base = getattr(settings, "OUTGOING_MAIL_BACKOFF_SECONDS", DEFAULT_BACKOFF_SECONDS)
    return dt.timedelta(seconds=base * 2**attempts)


def next_attempt_at(row: OutgoingMail) -> dt.datetime | None:
    """When the next attempt is due (None: never tried, due now)."""
    if row.last_attempt_at is None:
        return None
    return row.last_attempt_at + backoff(row.attempts)


def retry_due(row: OutgoingMail, now: dt.datetime) -> bool:
    """Whether a job may make the next attempt now: never tried, backoff passed, or given up
    (a message past its last attempt is tried again only when someone asks, by retrying its
    failed job; the sweeper leaves it alone)."""
    due = next_attempt_at(row)
    return due is None or due <= now or row.attempts >= max_attempts()


def deliver(pk: int, *, now: dt.datetime | None = None) -> str:
    """Make one attempt to send a message; returns "sent", "failed", "waiting" (its backoff
    has not passed) or "skipped" (sent, being sent, or claimed by another job). Never raises
    for the mail server."""
    now = now or timezone.now()
    row = OutgoingMail.objects.filter(pk=pk).only("status", "attempts", "last_attempt_at").first()
    if row is None or row.status not in (S.PENDING, S.FAILED):
        return "skipped"
    if not retry_due(row, now):
        return "waiting"
    claimed = OutgoingMail.objects.filter(pk=pk, status=row.status, attempts=row.attempts).update(
        status=S.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
    )
    if not claimed:
        return "skipped"
    row = OutgoingMail.objects.get(pk=pk)
    try:
        django_mail.send_mail(
            row.subject, row.body, settings.DEFAULT_FROM_EMAIL, row.recipients, fail_silently=False
        )
    except Exception as exc:  # any failure of the mail server stays on the row
        logger.warning("Mail %s not sent (attempt %s): %s", pk, row.attempts, exc)
        OutgoingMail.objects.filter(pk=pk, status=S.SENDING).update(
            status=S.FAILED, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return "failed"
    OutgoingMail.objects.filter(pk=pk, status=S.SENDING).update(
        status=S.SENT, sent_at=timezone.now()
    )
    logger.info("Mail %s sent (attempt %s)", pk, row.attempts)
    return "sent"


@task(queue_name="mail")
def send_mail(pk: int) -> dict:
    """One attempt to send outbox message ``pk``; on failure, enqueue the next attempt."""
    outcome = deliver(pk)
    if outcome != "failed":
        return {"mail": pk, "outcome": outcome}
    row = OutgoingMail.objects.only("attempts", "last_attempt_at", "last_error").get(pk=pk)
    if row.attempts >= max_attempts():
        raise MailNotSent(f"Mail {pk}: given up after {row.attempts} attempts. {row.last_error}")
    retry_at = next_attempt_at(row)
    if send_mail.get_backend().supports_defer:
        send_mail.using(run_after=retry_at).enqueue(pk)
    return {"mail": pk, "outcome": outcome, "attempts": row.attempts, "retry_at": str(retry_at)}
