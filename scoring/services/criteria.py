"""Criteria sets: import from a file (in the request, or by a job for a large file),
publish, copy to a new year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies import history, jobs
from scoring import access, importing
from scoring.models import CriteriaSet, Criterion, ImportJob
from scoring.services.common import _raise_if

# The jobs (scoring/tasks.py calls the two job bodies below, so they are named by path).
CHECK_TASK = "scoring.tasks.criteria_import_check"
APPLY_TASK = "scoring.tasks.criteria_import_apply"
KEEP_IMPORT_JOBS = dt.timedelta(days=2)


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


def _import_kwargs(params: dict) -> dict:
    """An import job's stored form values as ``criteria_set_import``'s arguments."""
    return {**params, "total_points": Decimal(params["total_points"])}


def _job_params(params: dict) -> dict:
    return {**params, "total_points": str(params["total_points"])}


@transaction.atomic
def criteria_import_start(*, actor, file, params: dict, language: str) -> ImportJob:
    """Keep a large criteria file and have a job check it (``criteria_import_check``).
    ``params`` are the form's year, target, title, total_points, is_illustrative and
    source_note. Import jobs older than two days are deleted."""
    access.require(access.manages_scoring(actor))
    ImportJob.objects.filter(created_at__lt=timezone.now() - KEEP_IMPORT_JOBS).delete()
    job = ImportJob.objects.create(
        created_by=actor,
        file_name=file.name[:255],
        content=file.read(),
        language=language,
        params=_job_params(params),
    )
    jobs.enqueue(CHECK_TASK, job.pk)
    return job


def import_job_running(*, import_job_id: int, task_id: str) -> None:
    """Note which job is working on the file, before it starts: the page can then tell a
    job that failed from one still under way."""
    ImportJob.objects.filter(pk=import_job_id).update(task_id=task_id[:64])


def criteria_import_check(*, import_job_id: int) -> None:
    """The check job: read the stored file as the inline preview does and keep the result.
    Idempotent: a file already checked (or gone) is left as it is."""
    job = ImportJob.objects.filter(pk=import_job_id, status=ImportJob.Status.CHECKING).first()
    if job is None:
        return
    with translation.override(job.language):
        result = importing.parse_criteria_file(
            job.file_name, bytes(job.content), Decimal(job.params["total_points"])
        )
        preview = importing.result_data(result)
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKING).update(
        status=ImportJob.Status.CHECKED, preview=preview
    )


def _move(job: ImportJob, to: str, params: dict) -> None:
    """CHECKED -> ``to`` with the form's current values, once: a second click or a second
    tab finds the file no longer checked and is told so."""
    moved = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED).update(
        status=to, params=_job_params(params)
    )
    if not moved:
        raise ValidationError(_("Tệp này đã được lưu hoặc đang được xử lý."))


@transaction.atomic
def criteria_import_recheck(*, actor, import_job: ImportJob, params: dict) -> None:
    """Check the same file again with other form values (another total, say)."""
    access.require(access.manages_scoring(actor))
    _move(import_job, ImportJob.Status.CHECKING, params)
    jobs.enqueue(CHECK_TASK, import_job.pk)


@transaction.atomic
def criteria_import_save(*, actor, import_job: ImportJob, params: dict) -> None:
    """Have a job save a checked file as a new draft set (``criteria_import_apply``)."""
    access.require(access.manages_scoring(actor))
    preview = import_job.preview or {}
    if preview.get("errors") or not preview.get("rows"):
        raise ValidationError(_("Tệp có lỗi nên chưa lưu được; hãy sửa tệp và tải lên lại."))
    _move(import_job, ImportJob.Status.SAVING, params)
    jobs.enqueue(APPLY_TASK, import_job.pk)


@transaction.atomic
def criteria_import_apply(*, import_job_id: int) -> None:
    """The save job: ``criteria_set_import`` as the officer who uploaded the file, in one
    transaction with the job's new state, so it saves once however often it runs. A file
    that no longer passes (an agency code removed since) goes back to its preview."""
    job = (
        ImportJob.objects.select_for_update(of=("self",))
        .filter(pk=import_job_id, status=ImportJob.Status.SAVING)
        .select_related("created_by")
        .first()
    )
    if job is None:
        return
    with translation.override(job.language):
        result, created = criteria_set_import(
            actor=job.created_by,
            file=ContentFile(bytes(job.content), name=job.file_name),
            commit=True,
            **_import_kwargs(job.params),
        )
        job.preview = importing.result_data(result)
    job.status = ImportJob.Status.CHECKED if created is None else ImportJob.Status.SAVED
    job.criteria_set = created
    job.save(update_fields=["status", "preview", "criteria_set"])


def _create_criteria(actor, criteria_set: CriteriaSet, rows: list, reason: str) -> None:
    """Create the rows level by level (a parent's depth is below its children's), each level
    in one insert with its history rows: ten thousand criteria in seconds, not minutes."""
    created: dict[str, Criterion] = {}
    order = {row.code: position for position, row in enumerate(rows, start=1)}
    for depth in sorted({row.depth for row in rows}):
        level = [
            Criterion(
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
                sort_order=order[row.code],
            )
            for row in rows
            if row.depth == depth
        ]
        created.update((c.code, c) for c in history.bulk_create(Criterion, level, reason, actor))


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
