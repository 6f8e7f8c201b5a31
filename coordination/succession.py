"""Bodies over time in coordination: which bodies may take part on an item's dates
(``bodies_absent``, the rule of the item services and pickers), and what a body that ends
hands over: its part in every open item (``agencies.handover``, the contract with the
reorganisation service).

An item is open until it is done or cancelled (a draft is open). The ending body's
participation on an open item passes to its successor with the grants that go with the
role, and the item's chairing or tracking body follows. A coordinating body's part already
accepted or exempted is finished work: it stays with the ended body, as closed items do.

When the successor already takes part in the item (two bodies merged on one item) there is
no second row: the successor's participation stays and takes the stronger of the two roles
(chair > track > contribute). The ended body's participation is deleted when it holds no
contribution; otherwise it stays with the ended body (it holds what that body sent) as a
coordinating part marked exempt, with a note naming the successor and the legal basis.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import history
from agencies.handover import Handover, HandoverLine
from agencies.models import Agency
from coordination import access
from coordination.models import Participation, Task

P = Participation
CLOSED_TASK = (Task.Status.DONE, Task.Status.CANCELLED)
CLOSED_PART = (P.Status.ACCEPTED, P.Status.EXEMPT)
RANK = {P.Role.CHAIR: 0, P.Role.TRACK: 1, P.Role.CONTRIBUTE: 2}


def participant_day(due_date: dt.date | None = None) -> dt.date:
    """The day a body must exist on to take part in an item due on ``due_date``: that
    day, or today once it has passed (an overdue item's work goes on today); today for a
    new item whose deadline is not known yet."""
    return max(due_date or dt.date.min, timezone.localdate())


def bodies_absent(agencies, due_date: dt.date | None) -> list[str]:
    """Why any of ``agencies`` may not take part in an item due on ``due_date`` (none
    when all may): each must exist on ``participant_day(due_date)``."""
    day = participant_day(due_date)
    return [
        (
            _("Cơ quan %(name)s không còn hoạt động vào ngày %(date)s.")
            if agency.valid_to and agency.valid_to < day
            else _("Cơ quan %(name)s chưa hoạt động vào ngày %(date)s.")
        )
        % {"name": agency.name, "date": day.strftime("%d/%m/%Y")}
        for agency in agencies
        if not agency.exists_on(day)
    ]


def participant_bodies(due_date: dt.date | None = None, keep=()):
    """The bodies an item's pickers offer: those that may take part on its dates, plus
    ``keep`` (the bodies already on the item, so the form shows them; the service says
    if they no longer may)."""
    bodies = Agency.objects.active(on=participant_day(due_date))
    if keep:
        bodies = Agency.objects.filter(Q(pk__in=bodies.values("pk")) | Q(pk__in=keep))
    return bodies.order_by("sort_order")


# --- The handover -------------------------------------------------------------------


def _open_parts(agency: Agency):
    """The body's parts that move: on items not closed, except a coordinating part
    already accepted or exempted."""
    return (
        P.objects.filter(agency=agency)
        .exclude(task__status__in=CLOSED_TASK)
        .exclude(role=P.Role.CONTRIBUTE, status__in=CLOSED_PART)
        .select_related("task")
        .order_by("task__due_date", "task_id")
    )


def key_for(task_id: int) -> str:
    return f"task:{task_id}"


def handover_preview(handover: Handover) -> list[HandoverLine]:
    """One line per part of the ending body that moves (one query)."""
    return [
        HandoverLine(
            key=key_for(part.task_id),
            kind=_("Nhiệm vụ"),
            label=part.task.title,
            detail=part.get_role_display(),
            successor=handover.successor_for(key_for(part.task_id)),
            choosable=handover.is_split,
            url=reverse("task_detail", args=[part.task_id]),
        )
        for part in _open_parts(handover.ending)
    ]


def handover_apply(handover: Handover) -> int:
    """Move the ending body's open parts to their successors (inside the caller's
    transaction); returns how many parts were handed over."""
    parts = list(_open_parts(handover.ending).select_related("agency__group"))
    if not parts:
        return 0
    task_ids = [part.task_id for part in parts]
    tasks = {t.pk: t for t in Task.objects.select_for_update().filter(pk__in=task_ids)}
    successor_ids = [a.pk for a in handover.successors]
    present = {
        (p.task_id, p.agency_id): p
        for p in P.objects.filter(task_id__in=task_ids, agency_id__in=successor_ids)
        .select_related("agency__group")
        .order_by("task_id")
    }
    for part in parts:
        task, ended = tasks[part.task_id], part.agency
        successor = handover.successor_for(key_for(task.pk))
        theirs = present.get((task.pk, successor.pk))
        if theirs is None:
            _move(part, successor, handover)
        else:
            _merge(part, theirs, handover)
        _follow(task, ended, successor, handover)
    return len(parts)


def _move(part: Participation, successor: Agency, handover: Handover) -> None:
    """The successor takes the part as it is (status, deadline, contributions)."""
    access.task_revoke(part.task, part.agency.group, part.role)
    part.agency = successor
    history.save(part, handover.reason)
    access.task_grant(part.task, successor.group, part.role)


def _merge(part: Participation, theirs: Participation, handover: Handover) -> None:
    """The successor already takes part: its row stays with the stronger role, carrying
    on the role's work where the ended body left it; the ended body's row is deleted, or
    kept exempt when it holds contributions. The ended body's row gives up its role
    before the successor's row takes it (one chair and one tracker per item)."""
    task, ended = part.task, part.agency
    role, status, submitted_at, returned = (
        part.role,
        part.status,
        part.submitted_at,
        part.return_reason,
    )
    access.task_revoke(task, ended.group, role)
    if part.contributions.exists():
        note = _("%(reason)s: %(name)s tiếp tục phần việc") % {
            "reason": handover.reason,
            "name": theirs.agency.name,
        }
        part.role, part.status, part.return_reason = P.Role.CONTRIBUTE, P.Status.EXEMPT, note
        history.save(part, note)
        access.task_grant(task, ended.group, P.Role.CONTRIBUTE)
    else:
        history.delete(part, handover.reason)
    if RANK[role] < RANK[theirs.role]:
        access.task_revoke(task, theirs.agency.group, theirs.role)
        theirs.role, theirs.due_date = role, None
        theirs.status, theirs.submitted_at, theirs.return_reason = status, submitted_at, returned
        history.save(theirs, handover.reason)
        access.task_grant(task, theirs.agency.group, role)


def _follow(task: Task, ended: Agency, successor: Agency, handover: Handover) -> None:
    """The item's chairing and tracking bodies follow their parts (a successor that
    already chaired and takes over the tracking holds both: the participants page then
    asks for another tracker)."""
    changed = False
    if task.chair_agency_id == ended.pk:
        task.chair_agency = successor
        changed = True
    if task.tracking_agency_id == ended.pk:
        task.tracking_agency = successor
        changed = True
    if changed:
        task.version += 1
        history.save(task, handover.reason)
