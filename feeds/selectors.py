"""Reads of calendar feeds: the feed of a secret, and the deadlines it lists.

A feed lists the deadlines of its user's body that are still to meet, as the body's home
page lists its work (``coordination.selectors.agency_work``):

- items: the body's participations (chairing, contributing, tracking) read through
  ``Participation.objects.visible_to(user)`` and the timeliness annotation
  (``coordination.timeliness``), kept only in an open state (on time, due soon, overdue:
  not sent, accepted, exempted, and not of a draft, done or cancelled item), on the body's
  own deadline (else the item's);
- report rounds: the body's report (``AgencyReport.objects.visible_to(user)``) in an open
  round that it has not sent yet (being written, or returned for a fix), on the round's
  deadline.

The same rule for every role: a Nội vụ officer, who reads every body's records, gets Sở
Nội vụ's own deadlines (the items it chairs, contributes to or tracks, and its reports),
not the whole province's. Deadlines more than ``WINDOW_DAYS`` days past are left out, so
the feed stays small. Three queries, whatever the number of deadlines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import own_body
from coordination import timeliness as tl
from coordination.models import Participation
from feeds.models import SECRET_SHAPE, CalendarFeed, digest_of
from reports.models import AgencyReport, ReportRound

WINDOW_DAYS = 90


@dataclass(frozen=True)
class Deadline:
    """One obligation of the body: an event of the calendar."""

    uid: str  # stable per obligation, so calendar programs update the event
    day: dt.date
    summary: str
    details: list[str]  # lines of the description, before the link
    path: str  # the page of the obligation


def feed_by_secret(secret: str) -> CalendarFeed | None:
    """The feed of an address secret, with its user and body; None for an unknown,
    regenerated or revoked secret, and for a deactivated user (one query)."""
    if not SECRET_SHAPE.match(secret or ""):
        return None
    return (
        CalendarFeed.objects.select_related("user__agency")
        .filter(digest=digest_of(secret), user__is_active=True)
        .first()
    )


def _date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _item_deadlines(user, today: dt.date, since: dt.date) -> list[Deadline]:
    parts = tl.in_states(
        tl.with_timeliness(
            own_body(Participation.objects.visible_to(user), user).select_related(
                "agency", "task__chair_agency"
            ),
            today,
        ),
        tl.OPEN_STATES,
        today,
    ).filter(eff_due__gte=since)
    return [
        Deadline(
            uid=f"participation-{p.pk}",
            day=p.eff_due,
            summary=_("Hạn: %(title)s") % {"title": p.task.title},
            details=[
                _("Nhiệm vụ: %(title)s") % {"title": p.task.title},
                _("Vai trò của %(body)s: %(role)s")
                % {"body": p.agency.name, "role": p.get_role_display().lower()},
                _("Cơ quan chủ trì: %(body)s") % {"body": p.task.chair_agency.name},
                _("Hạn: %(date)s (%(state)s)")
                % {"date": _date(p.eff_due), "state": tl.LABELS[p.timeliness]},
            ],
            path=reverse("task_detail", args=[p.task_id]),
        )
        for p in parts.order_by("eff_due", "task_id", "pk")
    ]


def _report_deadlines(user, since: dt.date) -> list[Deadline]:
    reports = (
        own_body(AgencyReport.objects.visible_to(user), user)
        .filter(
            round__status=ReportRound.Status.OPEN,
            status__in=[AgencyReport.Status.DRAFT, AgencyReport.Status.RETURNED],
            round__deadline__gte=since,
        )
        .select_related("round", "agency")
        .order_by("round__deadline", "pk")
    )
    return [
        Deadline(
            uid=f"agency-report-{r.pk}",
            day=r.round.deadline,
            summary=_("Hạn báo cáo: %(title)s") % {"title": r.round.title},
            details=[
                _("Kỳ báo cáo: %(title)s") % {"title": r.round.title},
                _("Vai trò của %(body)s: cơ quan gửi báo cáo") % {"body": r.agency.name},
                _("Tình trạng: %(status)s") % {"status": r.get_status_display()},
                _("Hạn gửi báo cáo: %(date)s") % {"date": _date(r.round.deadline)},
            ],
            path=reverse("agency_report_detail", args=[r.pk]),
        )
        for r in reports
    ]


def body_deadlines(user, today: dt.date | None = None) -> list[Deadline]:
    """The deadlines of the user's body still to meet, from ``WINDOW_DAYS`` days ago on,
    in date order (items, then reports, on the same day)."""
    today = today or timezone.localdate()
    since = today - dt.timedelta(days=WINDOW_DAYS)
    deadlines = _item_deadlines(user, today, since) + _report_deadlines(user, since)
    return sorted(deadlines, key=lambda d: d.day)
