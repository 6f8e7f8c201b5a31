"""Reads for coordination pages. Every list runs a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, DateField, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from agencies.models import Agency
from coordination.models import (
    DUE_SOON_DAYS,
    TIMELINESS_LABELS,
    Contribution,
    Participation,
    Task,
)

P = Participation
OPEN_TASK = ~Q(task__status__in=[Task.Status.DRAFT, Task.Status.DONE, Task.Status.CANCELLED])
OPEN_PART = ~Q(status__in=[P.Status.ACCEPTED, P.Status.EXEMPT, P.Status.SUBMITTED])


def _with_effective_due(qs):
    return qs.annotate(eff_due=Coalesce("due_date", "task__due_date", output_field=DateField()))


def agency_work(user, today: dt.date | None = None) -> dict:
    """The user's body's work on the home page, most urgent first."""
    today = today or timezone.localdate()
    parts = list(
        _with_effective_due(
            P.objects.filter(agency_id=user.agency_id)
            # Every list below leaves out closed items: finished ones are not loaded at all
            # (five years of a body's done items made the home page grow with history).
            .exclude(task__status__in=[Task.Status.DRAFT, Task.Status.CANCELLED, Task.Status.DONE])
            .filter(task__in=Task.objects.visible_to(user))
            .select_related("task", "task__chair_agency")
        ).order_by("eff_due", "task_id")
    )
    chaired_ids = [p.task_id for p in parts if p.role == P.Role.CHAIR]
    contributors = defaultdict(list)
    for other in (
        P.objects.filter(task_id__in=chaired_ids, role=P.Role.CONTRIBUTE)
        .select_related("agency", "task")
        .order_by("agency__sort_order")
    ):
        contributors[other.task_id].append(other)
    open_parts = [
        p for p in parts if not p.task.is_closed and p.status not in {"accepted", "exempt"}
    ]
    for p in parts:
        p.state = p.timeliness(today)
        p.state_label = TIMELINESS_LABELS[p.state]
        p.contributors = contributors.get(p.task_id, [])
    return {
        "returned": [p for p in open_parts if p.status == P.Status.RETURNED],
        "overdue": [p for p in open_parts if p.eff_due < today and p.status != P.Status.SUBMITTED],
        "due_soon": [
            p
            for p in open_parts
            if today <= p.eff_due <= today + dt.timedelta(days=DUE_SOON_DAYS)
            and p.status != P.Status.SUBMITTED
        ],
        "to_review": [
            p for p in parts if p.role == P.Role.TRACK and p.task.status == "under_review"
        ],
        "chaired": [p for p in parts if p.role == P.Role.CHAIR and not p.task.is_closed],
        "contributing": [p for p in parts if p.role == P.Role.CONTRIBUTE and not p.task.is_closed],
        "counts": {
            "open": len(open_parts),
            "overdue": sum(1 for p in open_parts if p.eff_due < today),
        },
    }


@dataclass
class AgencyRow:
    agency: Agency
    chaired: int = 0
    contributed: int = 0
    on_time: int = 0
    due_soon: int = 0
    overdue: int = 0
    done_on_time: int = 0
    done_late: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.on_time + self.due_soon + self.overdue + self.done_on_time + self.done_late

    def pct(self, value: int) -> float:
        return round(100 * value / self.total, 1) if self.total else 0.0

    @property
    def bar(self) -> list[tuple[str, float, float]]:
        """Stacked bar segments as (css class, x offset, width) in percent."""
        segments, x = [], 0.0
        for cls, value in (
            ("seg-ok", self.on_time + self.done_on_time),
            ("seg-soon", self.due_soon),
            ("seg-late", self.done_late),
            ("seg-over", self.overdue),
        ):
            width = self.pct(value)
            if width:
                segments.append((cls, round(x, 1), width))
            x += width
        return segments


def province_overview(
    *, today: dt.date | None = None, date_from=None, date_to=None, limit: int | None = None
) -> dict:
    """Per body: items on time, due soon, overdue, done on time and late (one query)."""
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    parts = _with_effective_due(
        P.objects.exclude(role=P.Role.TRACK).exclude(
            task__status__in=[Task.Status.DRAFT, Task.Status.CANCELLED]
        )
    )
    if date_from:
        parts = parts.filter(task__due_date__gte=date_from)
    if date_to:
        parts = parts.filter(task__due_date__lte=date_to)
    closed = Q(status__in=[P.Status.ACCEPTED, P.Status.EXEMPT]) | Q(task__status=Task.Status.DONE)
    submitted = Q(status=P.Status.SUBMITTED)
    finished = closed | submitted
    late_done = finished & (
        Q(accepted_late=True) | Q(submitted_at__date__gt=Coalesce("due_date", "task__due_date"))
    )
    rows = parts.values("agency_id").annotate(
        chaired=Count("pk", filter=Q(role=P.Role.CHAIR)),
        contributed=Count("pk", filter=Q(role=P.Role.CONTRIBUTE)),
        overdue=Count("pk", filter=~finished & Q(eff_due__lt=today)),
        due_soon=Count("pk", filter=~finished & Q(eff_due__gte=today, eff_due__lte=soon)),
        on_time=Count("pk", filter=~finished & Q(eff_due__gt=soon)),
        done_late=Count("pk", filter=late_done),
        done_all=Count("pk", filter=finished),
    )
    agencies = {a.pk: a for a in Agency.objects.order_by("sort_order")}
    result = []
    for row in rows:
        result.append(
            AgencyRow(
                agency=agencies[row["agency_id"]],
                chaired=row["chaired"],
                contributed=row["contributed"],
                on_time=row["on_time"],
                due_soon=row["due_soon"],
                overdue=row["overdue"],
                done_on_time=row["done_all"] - row["done_late"],
                done_late=row["done_late"],
            )
        )
    result.sort(key=lambda r: (-r.overdue, r.agency.sort_order))
    totals = AgencyRow(agency=None)
    for r in result:
        for name in ("chaired", "contributed", "on_time", "due_soon", "overdue"):
            setattr(totals, name, getattr(totals, name) + getattr(r, name))
        totals.done_on_time += r.done_on_time
        totals.done_late += r.done_late
    task_counts = Task.objects.aggregate(
        open=Count("pk", filter=~Q(status__in=["draft", "done", "cancelled"])),
        overdue=Count(
            "pk", filter=~Q(status__in=["draft", "done", "cancelled"]) & Q(due_date__lt=today)
        ),
        done=Count("pk", filter=Q(status="done")),
        draft=Count("pk", filter=Q(status="draft")),
    )
    return {
        "rows": result[:limit] if limit else result,
        "totals": totals,
        "task_counts": task_counts,
    }


def task_participants(task: Task) -> list[Participation]:
    parts = list(
        _with_effective_due(task.participations.select_related("agency")).order_by(
            "role", "agency__sort_order"
        )
    )
    today = timezone.localdate()
    for p in parts:
        p.state = p.timeliness(today)
        p.state_label = TIMELINESS_LABELS[p.state]
    return parts


def task_contributions(task: Task) -> list[Contribution]:
    return list(
        Contribution.objects.filter(participation__task=task)
        .select_related("participation__agency", "submitted_by")
        .prefetch_related("nominations", "attachments")
        .order_by("participation__role", "participation__agency__sort_order", "-version")
    )


def contributions_side_by_side(task: Task, contributions: list[Contribution], user) -> list:
    """Per participating body: its latest submitted version and earlier ones."""
    by_part: dict[int, list[Contribution]] = defaultdict(list)
    for c in contributions:
        if c.submitted_at is None and c.participation.agency_id != user.agency_id:
            continue  # another body's unsent draft is theirs alone
        by_part[c.participation_id].append(c)
    columns = []
    for items in by_part.values():
        items.sort(key=lambda c: -c.version)
        columns.append(
            {
                "participation": items[0].participation,
                "draft": next((c for c in items if c.submitted_at is None), None),
                "latest": next((c for c in items if c.submitted_at is not None), None),
                "older": [c for c in items if c.submitted_at is not None][1:],
            }
        )
    columns.sort(
        key=lambda col: (
            col["participation"].role != "chair",
            col["participation"].agency.sort_order,
        )
    )
    return columns


def task_rollup(task: Task) -> dict:
    children = list(task.children.order_by("due_date"))
    done = sum(1 for c in children if c.status == Task.Status.DONE)
    return {"children": children, "done": done, "total": len(children)}
