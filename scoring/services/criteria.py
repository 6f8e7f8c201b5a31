"""Criteria sets: import from a file, publish, copy to a new year."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from agencies import history
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
    criteria_set = CriteriaSet(
        year=year,
        target=target,
        version=_next_version(year, target),
        title=title or _("Bộ tiêu chí năm %(year)s") % {"year": year},
        total_points=total_points,
        is_illustrative=is_illustrative,
        source_note=source_note,
        created_by=actor,
    )
    reason = _("Nhập bộ tiêu chí từ tệp %(name)s") % {"name": file.name}
    history.save(criteria_set, reason, actor)
    _create_criteria(actor, criteria_set, result.rows, reason)
    return result, criteria_set


def _create_criteria(actor, criteria_set: CriteriaSet, rows: list, reason: str) -> None:
    created: dict[str, Criterion] = {}
    for order, row in enumerate(rows, start=1):
        created[row.code] = Criterion(
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
        history.save(created[row.code], reason, actor)


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
    history.save(criteria_set, _("Ban hành bộ tiêu chí"), actor, update_fields=["status"])
    return criteria_set


@transaction.atomic
def criteria_set_copy(*, actor, source: CriteriaSet, year: int) -> CriteriaSet:
    """Start next year's set from an existing one (a new draft with the same tree)."""
    access.require(access.manages_scoring(actor))
    copy = CriteriaSet(
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
    reason = _("Sao chép từ bộ tiêu chí năm %(year)s") % {"year": source.year}
    history.save(copy, reason, actor)
    mapping: dict[int, Criterion] = {}
    for node in source.criteria.order_by("depth", "sort_order", "pk"):
        old_pk, old_parent_id = node.pk, node.parent_id
        node.pk = None  # saved as a new row of the copy
        node.criteria_set = copy
        node.parent = mapping.get(old_parent_id)
        history.save(node, reason, actor)
        mapping[old_pk] = node
    return copy
