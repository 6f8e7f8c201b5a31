"""E-mail and in-app notifications to the focal officers of participating bodies."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _

from agencies.models import User
from agencies.roles import FOCAL_OFFICER, group_name


def focal_officers(agency_ids) -> list[User]:
    return list(
        User.objects.filter(
            agency_id__in=list(agency_ids),
            is_active=True,
            groups__name=group_name(FOCAL_OFFICER),
        ).distinct()
    )


def send(users, task, subject: str, message: str, *, fail_silently: bool = True) -> list[str]:
    """Notify users in the portal and by e-mail; returns the addresses mailed."""
    from coordination.models import Notification

    Notification.objects.bulk_create(
        Notification(user=u, task=task, message=message[:500]) for u in users
    )
    recipients = [u.email for u in users if u.email]
    if recipients:
        link = settings.SITE_URL + reverse("task_detail", args=[task.pk]) if task else ""
        send_mail(
            subject,
            f"{message}\n\n{link}",
            settings.DEFAULT_FROM_EMAIL,
            recipients,
            fail_silently=fail_silently,
        )
    return recipients


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
