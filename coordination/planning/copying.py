"""Copying items of an earlier year into the next one, as drafts (docs/plan-import.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from agencies import history
from agencies.lineage import body_on, default_successors
from agencies.models import Agency
from coordination import access, services
from coordination.models import Participation, Task
from coordination.planning.common import (
    a_year_later,
    day_text,
    same_day_next_year,
    service_errors,
)

P = Participation


@dataclass
class CopyCandidate:
    """One item of the source year and what its copy would be."""

    task: Task
    new_due: dt.date
    spec: services.ParticipantSpec | None
    replaced: list[tuple[Agency, Agency]] = field(default_factory=list)  # (gone, successor)
    dropped: list[Agency] = field(default_factory=list)  # gone, no successor on the new date
    errors: list[str] = field(default_factory=list)  # why it cannot be copied

    @property
    def copyable(self) -> bool:
        return not self.errors

    @property
    def shifted(self) -> bool:
        """The new deadline is not the same day a year later (a weekend or holiday)."""
        return self.new_due != same_day_next_year(self.task.due_date)


def plan_years(actor) -> list[int]:
    """Years that have items the user sees, newest first (one query)."""
    days = Task.objects.visible_to(actor).dates("due_date", "year", order="DESC")
    return [day.year for day in days]


def _source_items(actor, year: int, *, ids=None, query: str = "", category: str = ""):
    contributors = P.objects.filter(role=P.Role.CONTRIBUTE).select_related("agency")
    items = (
        Task.objects.visible_to(actor)
        .filter(due_date__year=year)
        .exclude(status=Task.Status.CANCELLED)
        .select_related("chair_agency", "tracking_agency")
        .prefetch_related(Prefetch("participations", contributors, to_attr="contributor_parts"))
        .order_by("due_date", "pk")
    )
    if ids is not None:
        items = items.filter(pk__in=ids)
    if query:
        items = items.filter(title__icontains=query)
    if category:
        items = items.filter(category=category)
    return items


class Successors:
    """Every ended body's default successor, read once per copy run and only when a body
    is gone on a new deadline (one query, whatever the number of items)."""

    def __init__(self) -> None:
        self._map: dict[int, Agency] | None = None

    def body_on(self, agency: Agency, day: dt.date) -> Agency | None:
        if agency.exists_on(day):
            return agency
        if self._map is None:
            self._map = default_successors()
        return body_on(agency, day, successors=self._map)


def _contributors(
    task: Task, candidate: CopyCandidate, taken, successors: Successors
) -> tuple[list, dict]:
    """The coordinating bodies on the new deadline (successors for bodies gone, bodies gone
    without one noted as dropped) and their own deadlines a year later."""
    contributors, due_dates = [], {}
    for part in task.contributor_parts:
        new = successors.body_on(part.agency, candidate.new_due)
        if new is None:
            candidate.dropped.append(part.agency)
            continue
        if new != part.agency:
            candidate.replaced.append((part.agency, new))
        if new in contributors or new in taken:
            continue  # two old bodies merged into one that already takes part
        contributors.append(new)
        due_dates[new.pk] = a_year_later(part.due_date) if part.due_date else None
    return contributors, due_dates


def _candidate(task: Task, successors: Successors) -> CopyCandidate:
    """The copy of one item: bodies as they are on the new deadline, and what stops it."""
    new_due = a_year_later(task.due_date)
    candidate = CopyCandidate(task=task, new_due=new_due, spec=None)
    chair = successors.body_on(task.chair_agency, new_due)
    tracker = successors.body_on(task.tracking_agency, new_due)
    for old, new in ((task.chair_agency, chair), (task.tracking_agency, tracker)):
        if new is None:
            candidate.errors.append(
                _("%(name)s không còn hoạt động vào ngày %(day)s và không có cơ quan kế thừa.")
                % {"name": old.name, "day": day_text(new_due)}
            )
        elif new != old:
            candidate.replaced.append((old, new))
    contributors, due_dates = _contributors(task, candidate, (chair, tracker), successors)
    if chair is not None and tracker is not None:
        candidate.spec = services.ParticipantSpec(
            chair=chair,
            tracker=tracker,
            contributors=contributors,
            contributor_due_dates=due_dates,
        )
        candidate.errors += service_errors(
            due_date=new_due,
            spec=candidate.spec,
            title=task.title,
            category=task.category,
            legal_basis=task.legal_basis,
            description=task.description,
            recurrence=task.recurrence,
        )
    return candidate


def copy_candidates(
    *, actor, year: int, ids=None, query: str = "", category: str = ""
) -> list[CopyCandidate]:
    """The items of ``year`` (not cancelled) with their copies' deadlines and bodies.

    Two queries whatever the number of items (items with their bodies, coordinating
    bodies with theirs), and one more when a body is gone on a new deadline (the
    successions, ``agencies.lineage.default_successors``)."""
    access.require(access.may_create_tasks(actor))
    items = _source_items(actor, year, ids=ids, query=query, category=category)
    successors = Successors()
    return [_candidate(task, successors) for task in items]


def _parents_first(candidates: list[CopyCandidate]) -> list[CopyCandidate]:
    """Copied parents before their copied children, so a child copy hangs under the copy."""
    chosen = {c.task.pk for c in candidates}
    ordered, done, pending = [], set(), list(candidates)
    while pending:
        ready = [c for c in pending if c.task.parent_id not in chosen - done]
        ready = ready or pending  # a loop cannot happen; never spin
        for candidate in ready:
            ordered.append(candidate)
            done.add(candidate.task.pk)
        pending = [c for c in pending if c not in ready]
    return ordered


def copy_reason(candidate: CopyCandidate) -> str:
    """The history line of a copy: where it comes from, and every body changed or left out."""
    task = candidate.task
    reason = _("Sao chép từ #%(number)s “%(title)s” năm %(year)s") % {
        "number": task.pk,
        "title": task.title,
        "year": task.due_date.year,
    }
    if candidate.replaced:
        reason += "; " + _("cơ quan kế thừa: %(list)s") % {
            "list": ", ".join(
                f"{old.short_name} → {new.short_name}" for old, new in candidate.replaced
            )
        }
    if candidate.dropped:
        reason += "; " + _("không còn hoạt động nên không sao chép: %(list)s") % {
            "list": ", ".join(a.short_name for a in candidate.dropped)
        }
    return reason


@transaction.atomic
def plan_copy(*, actor, year: int, ids: list[int]) -> list[Task]:
    """Copy the chosen items of ``year`` into the next year as drafts, all or none."""
    access.require(access.may_create_tasks(actor))
    candidates = copy_candidates(actor=actor, year=year, ids=ids)
    if not ids or len(candidates) != len(set(ids)):
        raise ValidationError(
            _("Hãy chọn ít nhất một nhiệm vụ của năm %(year)s (nhiệm vụ đã hủy không sao chép).")
            % {"year": year}
        )
    refused = [f"#{c.task.pk} {c.task.title}: {' '.join(c.errors)}" for c in candidates if c.errors]
    if refused:
        raise ValidationError(refused)
    copies: dict[int, Task] = {}
    for candidate in _parents_first(candidates):
        copies[candidate.task.pk] = _copy_one(actor, candidate, copies)
    return [copies[c.task.pk] for c in candidates]


def _copy_one(actor, candidate: CopyCandidate, copies: dict[int, Task]) -> Task:
    source = candidate.task
    copy = services.task_create(
        actor=actor,
        title=source.title,
        category=source.category,
        legal_basis=source.legal_basis,
        description=source.description,
        due_date=candidate.new_due,
        spec=candidate.spec,
        parent=copies.get(source.parent_id),
        recurrence=source.recurrence,
        silence_means_agreement=source.silence_means_agreement,
    )
    history.save(copy, copy_reason(candidate), actor)
    return copy
