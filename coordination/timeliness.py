"""Timeliness: the one definition of on time, due soon, overdue, submitted, done on time
and done late, as queryset annotations (one for participations, one for items).

Every page, document, reminder and computed criterion reads these annotations; nothing
else decides whether a body or an item is late.

A participation is
- ``done_on_time`` / ``done_late``: its work is closed — accepted or exempted, or the item
  is done. Late when accepted late (``accepted_late``, decided by the reviewing service),
  when the chair's item was completed late, or, for a body whose part was never accepted
  before the item closed, when it sent nothing by its deadline; an exemption is never late;
- ``submitted``: sent and awaiting the chair's or tracker's review (not overdue);
- ``overdue``: still open after its deadline (its own, else the item's);
- ``due_soon``: open, deadline within ``DUE_SOON_DAYS`` days;
- ``on_time``: open, deadline further away.
A tracker's participation follows the item. Items are the same, with ``submitted`` meaning
the chair's result awaits review, plus ``draft`` and ``cancelled``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DUE_SOON_DAYS = 7

ON_TIME = "on_time"
DUE_SOON = "due_soon"
OVERDUE = "overdue"
SUBMITTED = "submitted"
DONE_ON_TIME = "done_on_time"
DONE_LATE = "done_late"
DRAFT = "draft"
CANCELLED = "cancelled"

OPEN_STATES = (ON_TIME, DUE_SOON, OVERDUE)
DONE_STATES = (DONE_ON_TIME, DONE_LATE)

LABELS = {
    ON_TIME: _("Trong hạn"),
    DUE_SOON: _("Sắp đến hạn"),
    OVERDUE: _("Quá hạn"),
    SUBMITTED: _("Đã gửi, chờ xem xét"),
    DONE_ON_TIME: _("Hoàn thành đúng hạn"),
    DONE_LATE: _("Hoàn thành trễ hạn"),
    DRAFT: _("Dự thảo"),
    CANCELLED: _("Đã hủy"),
}

_TEXT = CharField()


def _by_deadline(due: str, today: dt.date) -> list[When]:
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    return [
        When(**{f"{due}__lt": today}, then=Value(OVERDUE)),
        When(**{f"{due}__lte": soon}, then=Value(DUE_SOON)),
    ]


def task_states(prefix: str, today: dt.date) -> Case:
    """The item's state as an expression over the item's fields at ``prefix``."""
    status = f"{prefix}status"
    return Case(
        When(**{status: "cancelled"}, then=Value(CANCELLED)),
        When(**{status: "draft"}, then=Value(DRAFT)),
        When(**{status: "done", f"{prefix}completed_late": True}, then=Value(DONE_LATE)),
        When(**{status: "done"}, then=Value(DONE_ON_TIME)),
        When(**{status: "under_review"}, then=Value(SUBMITTED)),
        *_by_deadline(f"{prefix}due_date", today),
        default=Value(ON_TIME),
        output_field=_TEXT,
    )


def with_task_timeliness(queryset: QuerySet, today: dt.date | None = None) -> QuerySet:
    """Items annotated with ``timeliness``."""
    today = today or timezone.localdate()
    return queryset.annotate(timeliness=task_states("", today))


def with_timeliness(queryset: QuerySet, today: dt.date | None = None) -> QuerySet:
    """Participations annotated with ``eff_due`` (own deadline, else the item's) and
    ``timeliness``."""
    today = today or timezone.localdate()
    sent_on_time = Q(submitted_date__isnull=False, submitted_date__lte=F("eff_due"))
    return queryset.annotate(
        eff_due=Coalesce("due_date", "task__due_date", output_field=DateField()),
        submitted_date=TruncDate("submitted_at", tzinfo=timezone.get_current_timezone()),
    ).annotate(
        timeliness=Case(
            When(role="track", then=task_states("task__", today)),
            When(task__status="cancelled", then=Value(CANCELLED)),
            When(task__status="draft", then=Value(DRAFT)),
            # The chair's work is the item's result.
            When(
                role="chair", task__status="done", task__completed_late=True, then=Value(DONE_LATE)
            ),
            When(role="chair", task__status="done", then=Value(DONE_ON_TIME)),
            When(status="exempt", then=Value(DONE_ON_TIME)),
            When(status="accepted", accepted_late=True, then=Value(DONE_LATE)),
            When(status="accepted", then=Value(DONE_ON_TIME)),
            # The item closed before this body's work was accepted: what it sent counts.
            When(Q(task__status="done") & sent_on_time, then=Value(DONE_ON_TIME)),
            When(task__status="done", then=Value(DONE_LATE)),
            When(status="submitted", then=Value(SUBMITTED)),
            *_by_deadline("eff_due", today),
            default=Value(ON_TIME),
            output_field=_TEXT,
        )
    )


def in_states(queryset: QuerySet, states, today: dt.date | None = None) -> QuerySet:
    """Participations (annotated by ``with_timeliness``) in ``states``, for open states
    first narrowed by plain column conditions the database can use an index for.

    The narrowing is implied by the annotation, never a second definition: an open
    participation (on time, due soon, overdue) has a live item (not draft, done or
    cancelled) and is neither sent, accepted nor exempted; an overdue one is also past its
    deadline. The annotation still decides; the narrowing only lets the database skip
    finished rows before evaluating it (five years of history made it scan them all)."""
    today = today or timezone.localdate()
    states = set(states)
    if states <= set(OPEN_STATES):
        queryset = queryset.exclude(task__status__in=["draft", "done", "cancelled"]).exclude(
            status__in=["submitted", "accepted", "exempt"]
        )
        if states == {OVERDUE}:
            queryset = queryset.filter(eff_due__lt=today)
    return queryset.filter(timeliness__in=states)


def tally(queryset: QuerySet, *fields: str) -> dict[tuple, Counter]:
    """Counts by ``fields`` and state of an annotated queryset: {(values…): {state: n}}.

    One GROUP BY, so the database evaluates the annotation once per row (counting each
    state with its own filtered COUNT evaluated it once per state)."""
    result: dict[tuple, Counter] = defaultdict(Counter)
    rows = queryset.values(*fields, "timeliness").annotate(n=Count("pk")).order_by()
    for row in rows:
        result[tuple(row[f] for f in fields)][row["timeliness"]] += row["n"]
    return result
