"""Reads for coordination pages. Every list runs a fixed number of queries.

Timeliness comes only from the annotations of ``coordination.timeliness``; contributions
and related items only through ``visible_to``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from agencies.access import own_body, reads_everything
from agencies.models import Agency
from coordination import timeliness as tl
from coordination.models import Contribution, Participation, Task

P = Participation
CLOSED_TASK = [Task.Status.DRAFT, Task.Status.CANCELLED, Task.Status.DONE]


def _labelled(parts: list) -> list:
    for p in parts:
        p.state = p.timeliness
        p.state_label = tl.LABELS[p.timeliness]
    return parts


def agency_work(user, today: dt.date | None = None) -> dict:
    """The user's body's work on the home page, most urgent first. One list of the
    body's live parts (one query); every tile is the length of the rows it links to, each
    a filter of that list by the ``timeliness`` annotation — never a second count."""
    today = today or timezone.localdate()
    parts = _labelled(
        list(
            tl.with_timeliness(
                own_body(P.objects.visible_to(user), user)
                # Closed items are not loaded at all (five years of a body's done items
                # made the home page grow with history).
                .exclude(task__status__in=CLOSED_TASK)
                .select_related("task", "task__chair_agency"),
                today,
            ).order_by("eff_due", "task_id")
        )
    )
    # Work still to do or awaiting review; a part accepted or exempted is finished.
    live = [p for p in parts if p.timeliness in (*tl.OPEN_STATES, tl.SUBMITTED)]
    _attach_contributors(live)
    work = {
        "returned": [
            p for p in live if p.status == P.Status.RETURNED and p.timeliness in tl.OPEN_STATES
        ],
        "overdue": [p for p in live if p.timeliness == tl.OVERDUE],
        "due_soon": [p for p in live if p.timeliness == tl.DUE_SOON],
        "to_review": [
            p for p in live if p.role == P.Role.TRACK and p.task.status == Task.Status.UNDER_REVIEW
        ],
        "chaired": [p for p in live if p.role == P.Role.CHAIR],
        "contributing": [p for p in live if p.role == P.Role.CONTRIBUTE],
        "tracking": [p for p in live if p.role == P.Role.TRACK],
        "open": live,
    }
    work["counts"] = {name: len(rows) for name, rows in work.items()}
    return work


def _attach_contributors(parts: list) -> None:
    """On the items the body chairs: the coordinating bodies and their status (one query)."""
    contributors = defaultdict(list)
    for other in (
        P.objects.filter(
            task_id__in=[p.task_id for p in parts if p.role == P.Role.CHAIR],
            role=P.Role.CONTRIBUTE,
        )
        .select_related("agency")
        .order_by("agency__sort_order")
    ):
        contributors[other.task_id].append(other)
    for p in parts:
        p.contributors = contributors.get(p.task_id, [])


@dataclass
class AgencyRow:
    agency: Agency
    chaired: int = 0
    contributed: int = 0
    on_time: int = 0
    due_soon: int = 0
    overdue: int = 0
    submitted: int = 0
    done_on_time: int = 0
    done_late: int = 0
    extra: dict = field(default_factory=dict)

    COUNTED = ("on_time", "due_soon", "overdue", "submitted", "done_on_time", "done_late")

    @property
    def total(self) -> int:
        return sum(getattr(self, name) for name in self.COUNTED)

    def pct(self, value: int) -> float:
        return round(100 * value / self.total, 1) if self.total else 0.0

    @property
    def bar(self) -> list[tuple[str, float, float]]:
        """Stacked bar segments as (css class, x offset, width) in percent."""
        segments, x = [], 0.0
        for cls, value in (
            # Sent and awaiting review is not late: drawn with the on-time work.
            ("seg-ok", self.on_time + self.submitted + self.done_on_time),
            ("seg-soon", self.due_soon),
            ("seg-late", self.done_late),
            ("seg-over", self.overdue),
        ):
            width = self.pct(value)
            if width:
                segments.append((cls, round(x, 1), width))
            x += width
        return segments


def current_items(prefix: str = "", today: dt.date | None = None) -> Q:
    """What is current (issue 14: lists default to it): the items still open, whatever
    their year, and those due this year. ``prefix`` reaches the item (``"task__"``)."""
    year_start = (today or timezone.localdate()).replace(month=1, day=1)
    closed = [Task.Status.DONE, Task.Status.CANCELLED]
    return ~Q(**{f"{prefix}status__in": closed}) | Q(**{f"{prefix}due_date__gte": year_start})


def overview_scope(value: str, today: dt.date | None = None) -> str:
    """The overview's scope from its ``?year=`` value: ``"current"`` (the default: what is
    open and this year's), a year (items due that year) or ``"all"``."""
    today = today or timezone.localdate()
    if value == "all":
        return "all"
    if value.isdigit() and len(value) == 4 and 2000 <= int(value) <= today.year + 1:
        return value
    return "current"


def scope_filter(scope: str, prefix: str = "", today: dt.date | None = None) -> Q:
    """The items a scope selects (``overview_scope``): what is current, a year, or all."""
    today = today or timezone.localdate()
    if scope == "current":
        return current_items(prefix, today)
    if scope.isdigit():
        return Q(**{f"{prefix}due_date__year": int(scope)})
    return Q()


def province_overview(
    *,
    today: dt.date | None = None,
    date_from=None,
    date_to=None,
    limit=None,
    task_counts=True,
    scope: str = "all",
) -> dict:
    """Per body: its parts by timeliness (one query), and the items by timeliness (one
    more, unless ``task_counts=False``: the home page has its own tiles, ``task_tiles``).
    ``scope`` narrows both to the items it selects (``overview_scope``). Long: the rows,
    their totals and the item counts are built in one pass here."""
    today = today or timezone.localdate()
    parts = P.objects.exclude(role=P.Role.TRACK).exclude(
        task__status__in=[Task.Status.DRAFT, Task.Status.CANCELLED]
    )
    parts = parts.filter(scope_filter(scope, "task__", today))
    if date_from:
        parts = parts.filter(task__due_date__gte=date_from)
    if date_to:
        parts = parts.filter(task__due_date__lte=date_to)
    agencies = {a.pk: a for a in Agency.objects.order_by("sort_order")}
    rows: dict[int, AgencyRow] = {}
    for (agency_id, role), states in tl.tally(
        tl.with_timeliness(parts, today), "agency_id", "role"
    ).items():
        row = rows.setdefault(agency_id, AgencyRow(agency=agencies[agency_id]))
        if role == P.Role.CHAIR:
            row.chaired += states.total()
        else:
            row.contributed += states.total()
        for name in AgencyRow.COUNTED:
            setattr(row, name, getattr(row, name) + states[name])
    names = ("chaired", "contributed", *AgencyRow.COUNTED)
    result = list(rows.values())
    result.sort(key=lambda r: (-r.overdue, r.agency.sort_order))
    totals = AgencyRow(agency=None)
    for r in result:
        for name in names:
            setattr(totals, name, getattr(totals, name) + getattr(r, name))
    return {
        "rows": result[:limit] if limit else result,
        "totals": totals,
        "task_counts": _task_counts(today, scope_filter(scope, "", today)) if task_counts else None,
    }


TILE_STATES = (tl.OVERDUE, tl.DUE_SOON, tl.ON_TIME, tl.SUBMITTED, tl.DONE_ON_TIME, tl.DONE_LATE)


def task_tiles(user, today: dt.date | None = None) -> list[dict]:
    """The current items by timeliness (open, or due this year), each count read from the
    query of the item list it links to (``listed_tasks`` in its default scope, filtered by
    ``timeliness``, as ``/tasks/?timeliness=…`` does): one query. Each tile: ``state``,
    ``label``, ``count``."""
    states = tl.tally(listed_tasks(user, today).filter(scope_filter("current", "", today)))[()]
    return [{"state": s, "label": tl.LABELS[s], "count": states[s]} for s in TILE_STATES]


def _task_counts(today: dt.date, items: Q | None = None) -> dict:
    states = tl.tally(tl.with_task_timeliness(Task.objects.filter(items or Q()), today))[()]
    return {
        "open": sum(states[s] for s in (*tl.OPEN_STATES, tl.SUBMITTED)),
        "overdue": states[tl.OVERDUE],
        "done": sum(states[s] for s in tl.DONE_STATES),
        "draft": states[tl.DRAFT],
    }


def listed_tasks(user, today: dt.date | None = None):
    """The items of the list page and of its Excel export: those the user sees (drafts only
    for read-everything roles), with the timeliness annotation."""
    tasks = tl.with_task_timeliness(Task.objects.visible_to(user), today)
    if not reads_everything(user):
        tasks = tasks.exclude(status=Task.Status.DRAFT)
    return tasks


def task_participants(task: Task, today: dt.date | None = None) -> list[Participation]:
    """The item's bodies with ``eff_due``, ``timeliness`` and its label (one query)."""
    return _labelled(
        list(
            tl.with_timeliness(task.participations.select_related("agency"), today).order_by(
                "role", "agency__sort_order"
            )
        )
    )


def task_state(task: Task, today: dt.date | None = None) -> str:
    """The item's timeliness; read from the annotation when the item was loaded with it."""
    state = getattr(task, "timeliness", None)
    if isinstance(state, str):
        return state
    return (
        tl.with_task_timeliness(Task.objects.filter(pk=task.pk), today)
        .values_list("timeliness", flat=True)
        .get()
    )


def task_contributions(task: Task, user) -> list[Contribution]:
    """The item's contributions the user may see (``Contribution.objects.visible_to``)."""
    return list(
        Contribution.objects.visible_to(user)
        .filter(participation__task=task)
        .select_related("participation__agency", "submitted_by")
        .prefetch_related("nominations", "attachments")
        .order_by("participation__role", "participation__agency__sort_order", "-version")
    )


def contributions_side_by_side(contributions: list[Contribution]) -> list:
    """Per participating body: its draft (only ever the user's own body's, as
    ``visible_to`` decided), its latest submitted version and earlier ones."""
    by_part: dict[int, list[Contribution]] = defaultdict(list)
    for c in contributions:
        by_part[c.participation_id].append(c)
    columns = []
    for items in by_part.values():
        items.sort(key=lambda c: -c.version)
        sent = [c for c in items if c.submitted_at is not None]
        columns.append(
            {
                "participation": items[0].participation,
                "draft": next((c for c in items if c.submitted_at is None), None),
                "latest": sent[0] if sent else None,
                "older": sent[1:],
            }
        )
    columns.sort(
        key=lambda col: (
            col["participation"].role != P.Role.CHAIR,
            col["participation"].agency.sort_order,
        )
    )
    return columns


def task_family(task: Task, user) -> dict:
    """The parent and the children of an item, only those the user may see (one query)."""
    related = list(
        Task.objects.visible_to(user)
        .filter(Q(parent_id=task.pk) | Q(pk=task.parent_id or 0))
        .order_by("due_date", "pk")
    )
    children = [t for t in related if t.parent_id == task.pk]
    parent = next((t for t in related if t.pk == task.parent_id), None)
    done = sum(1 for c in children if c.status == Task.Status.DONE)
    return {"parent": parent, "children": children, "done": done, "total": len(children)}
