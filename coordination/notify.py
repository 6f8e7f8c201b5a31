"""E-mail and in-app notifications to the focal officers of participating bodies.

Both leave after the caller's transaction commits (DESIGN.md "Side effects after commit"):
the e-mail goes through the outbox (agencies/mail.py) and the in-app notices are written by
an on-commit callback, so a rolled-back change notifies nobody and a slow or failing mail
server neither holds a row lock nor undoes the change.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from agencies import mail
from agencies.models import User
from agencies.people import members
from agencies.roles import FOCAL_OFFICER
from coordination.models import Notification


def focal_officers(agency_ids) -> list[User]:
    return list(members(FOCAL_OFFICER).filter(agency_id__in=list(agency_ids)))


def send(users, task, subject: str, message: str) -> list[str]:
    """Notify users in the portal and by e-mail once the current transaction commits;
    returns the addresses queued. The outbox's job sends the e-mail; a refusal is recorded
    on its row and retried (agencies/tasks.py); nothing here raises for the mail server."""
    users = list(users)
    user_ids = [u.pk for u in users]
    task_id = task.pk if task else None
    if user_ids:
        transaction.on_commit(
            lambda: _create_notifications(user_ids, task_id, message[:500]), robust=True
        )
    recipients, subject, body = _mail(users, task, subject, message)
    if recipients:
        mail.queue(recipients=recipients, subject=subject, body=body)
    return recipients


def _mail(users, task, subject: str, message: str) -> tuple[list[str], str, str]:
    """The e-mail of a notice: its recipients, subject and body with the item's link."""
    link = mail.absolute_url(reverse("task_detail", args=[task.pk])) if task else ""
    return [u.email for u in users if u.email], subject, f"{message}\n\n{link}"


def _create_notifications(user_ids: list[int], task_id: int | None, message: str) -> None:
    Notification.objects.bulk_create(
        Notification(user_id=pk, task_id=task_id, message=message) for pk in user_ids
    )


def send_many(messages) -> None:
    """``send`` for many (users, task, subject, message) at once, with the same effects: the
    in-app notices in one insert after commit, the e-mails in one outbox insert (their jobs
    enqueued after commit). Used by the daily reminders (one per body and item)."""
    notices, mails = [], []
    for users, task, subject, message in messages:
        notices += [(u.pk, task.pk, message[:500]) for u in users]
        mails.append(_mail(users, task, subject, message))
    if notices:
        transaction.on_commit(lambda: _create_many(notices), robust=True)
    mail.queue_many(mails)


def _create_many(notices: list[tuple[int, int, str]]) -> None:
    Notification.objects.bulk_create(
        Notification(user_id=user_id, task_id=task_id, message=message)
        for user_id, task_id, message in notices
    )


def task_assigned(task) -> None:
    ids = task.participations.values_list("agency_id", flat=True)
    send(
        focal_officers(ids),
        task,
        _("[CCHC] Nhiệm vụ mới: %(t)s") % {"t": task.title},
        _("Cơ quan của anh/chị được giao tham gia nhiệm vụ “%(t)s”, hạn %(d)s.")
        % {"t": task.title, "d": task.due_date.strftime("%d/%m/%Y")},
    )


def participants_changed(task) -> None:
    ids = task.participations.values_list("agency_id", flat=True)
    send(
        focal_officers(ids),
        task,
        _("[CCHC] Thay đổi cơ quan tham gia: %(t)s") % {"t": task.title},
        _("Danh sách cơ quan tham gia nhiệm vụ “%(t)s” đã thay đổi.") % {"t": task.title},
    )


def task_submitted_for_review(task) -> None:
    send(
        focal_officers([task.tracking_agency_id]),
        task,
        _("[CCHC] Chờ xem xét: %(t)s") % {"t": task.title},
        _("Cơ quan chủ trì đã gửi kết quả tổng hợp nhiệm vụ “%(t)s”.") % {"t": task.title},
    )


def participation_returned(part) -> None:
    send(
        focal_officers([part.agency_id]),
        part.task,
        _("[CCHC] Bị trả lại: %(t)s") % {"t": part.task.title},
        _("Nội dung của cơ quan cho nhiệm vụ “%(t)s” bị trả lại. Lý do: %(r)s")
        % {"t": part.task.title, "r": part.return_reason},
    )
