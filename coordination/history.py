"""The item's timeline: who changed what, when, field by field (django-simple-history)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from coordination.models import Contribution, Participation, Task

HIDDEN_FIELDS = {"version", "updated_at", "id", "next_occurrence"}
TYPE_LABELS = {"+": _("Tạo mới"), "~": _("Thay đổi"), "-": _("Xóa")}


@dataclass
class Entry:
    when: object
    user: object
    subject: str
    kind: str
    reason: str
    changes: list[tuple[str, str, str]]


def _display(record, field_name: str, value) -> str:
    field = record.instance_type._meta.get_field(field_name)
    if value in (None, ""):
        return "—"
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        return str(value)
    if isinstance(value, bool):
        return str(_("Có") if value else _("Không"))
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y %H:%M" if hasattr(value, "hour") else "%d/%m/%Y")
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _entries(records, subject_for, agencies: dict) -> list[Entry]:
    by_object = defaultdict(list)
    for r in records:
        by_object[r.id].append(r)
    entries = []
    for object_records in by_object.values():
        object_records.sort(key=lambda r: (r.history_date, r.history_id))
        previous = None
        for r in object_records:
            changes = []
            if previous is not None and r.history_type == "~":
                for name in (f.name for f in r.instance_type._meta.fields):
                    if name in HIDDEN_FIELDS:
                        continue
                    attr = (
                        name + "_id" if r.instance_type._meta.get_field(name).is_relation else name
                    )
                    old, new = getattr(previous, attr, None), getattr(r, attr, None)
                    if old != new:
                        label = str(r.instance_type._meta.get_field(name).verbose_name)
                        if attr.endswith("_id") and name in {
                            "chair_agency",
                            "tracking_agency",
                            "agency",
                        }:
                            old, new = agencies.get(old, old), agencies.get(new, new)
                        changes.append((label, _display(r, name, old), _display(r, name, new)))
                if not changes and not r.history_change_reason:
                    previous = r
                    continue
            entries.append(
                Entry(
                    when=r.history_date,
                    user=r.history_user,
                    subject=subject_for(r),
                    kind=str(TYPE_LABELS.get(r.history_type, "")),
                    reason=r.history_change_reason or "",
                    changes=changes,
                )
            )
            previous = r
    return entries


def task_timeline(task: Task) -> list[Entry]:
    from agencies.models import Agency

    agencies = {a.pk: a.name for a in Agency.objects.only("pk", "name")}
    task_records = Task.history.filter(id=task.pk).select_related("history_user")
    part_records = list(
        Participation.history.filter(task_id=task.pk).select_related("history_user")
    )
    part_ids = {r.id for r in part_records}
    contribution_records = Contribution.history.filter(
        participation_id__in=part_ids
    ).select_related("history_user")
    part_agency = {r.id: agencies.get(r.agency_id, "") for r in part_records}
    entries = (
        _entries(task_records, lambda r: str(_("Nhiệm vụ")), agencies)
        + _entries(
            part_records,
            lambda r: f"{_('Cơ quan tham gia')}: {agencies.get(r.agency_id, '')}",
            agencies,
        )
        + _entries(
            contribution_records,
            lambda r: (
                f"{_('Nội dung phối hợp')} #{r.version}: {part_agency.get(r.participation_id, '')}"
            ),
            agencies,
        )
    )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries
