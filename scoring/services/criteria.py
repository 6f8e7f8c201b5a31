"""Criteria sets: import from a file, publish, copy to a new year."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from scoring import access, importing
from scoring.models import CriteriaSet, Criterion
from scoring.services.common import _raise_if


def _next_version(year: int, target: str) -> int:
    current = CriteriaSet.objects.filter(year=year, target=target).aggregate(v=Max("version"))
    return (current["v"] or 0) + 1


@transaction.atomic
def criteria_set_import(
    *,
    actor,
    file,
    year: int,
    target: str,
    commit: bool,
    title: str = "",
    total_points: Decimal = Decimal("100"),
    is_illustrative: bool = False,
    source_note: str = "",
) -> tuple[importing.ImportResult, CriteriaSet | None]:
    """Parse a .xlsx/.csv criteria file; save a new draft set only when ``commit`` and valid."""
    access.require(access.manages_scoring(actor))
    content = file.read()
    result = importing.parse_criteria_file(file.name, content, total_points)
    if not commit or not result.ok:
        return result, None
    criteria_set = CriteriaSet.objects.create(
        year=year,
        target=target,
        version=_next_version(year, target),
        title=title or _("Bộ tiêu chí năm %(year)s") % {"year": year},
        total_points=total_points,
        is_illustrative=is_illustrative,
        source_note=source_note,
        created_by=actor,
    )
    _create_criteria(criteria_set, result.rows)
    return result, criteria_set


def _create_criteria(criteria_set: CriteriaSet, rows: list) -> None:
    created: dict[str, Criterion] = {}
    for order, row in enumerate(rows, start=1):
        created[row.code] = Criterion.objects.create(
            criteria_set=criteria_set,
            parent=created.get(row.parent_code),
            code=row.code,
            depth=row.depth,
            title=row.title,
            max_points=row.max_points,
            method=row.method,
            options=row.options,
            computed_source=row.computed_source,
            evidence_required=row.evidence_required,
            responsible_agency=row.agency,
            applies_to=row.applies_to,
            sort_order=order,
        )


@dataclass
class _Node:
    line: int
    code: str
    parent_code: str
    max_points: Decimal


def criteria_set_errors(criteria_set: CriteriaSet) -> list[str]:
    criteria = list(criteria_set.criteria.select_related("parent"))
    nodes = [_Node(0, c.code, c.parent.code if c.parent else "", c.max_points) for c in criteria]
    errors = [msg for _line, msg in importing.tree_errors(nodes, criteria_set.total_points)]
    if not criteria:
        errors.append(_("Bộ tiêu chí chưa có tiêu chí nào."))
    return errors


@transaction.atomic
def criteria_set_publish(*, actor, criteria_set: CriteriaSet) -> CriteriaSet:
    access.require(access.manages_scoring(actor))
    _raise_if(criteria_set_errors(criteria_set))
    criteria_set.status = CriteriaSet.Status.PUBLISHED
    criteria_set.save(update_fields=["status"])
    return criteria_set


@transaction.atomic
def criteria_set_copy(*, actor, source: CriteriaSet, year: int) -> CriteriaSet:
    """Start next year's set from an existing one (a new draft with the same tree)."""
    access.require(access.manages_scoring(actor))
    copy = CriteriaSet.objects.create(
        year=year,
        target=source.target,
        version=_next_version(year, source.target),
        title=source.title.replace(str(source.year), str(year)),
        total_points=source.total_points,
        is_illustrative=source.is_illustrative,
        source_note=source.source_note,
        copied_from=source,
        created_by=actor,
    )
    mapping: dict[int, Criterion] = {}
    for old in source.criteria.order_by("depth", "sort_order", "pk"):
        new = Criterion.objects.get(pk=old.pk)
        new.pk = None
        new.criteria_set = copy
        new.parent = mapping.get(old.parent_id)
        new.save()
        mapping[old.pk] = new
    return copy
