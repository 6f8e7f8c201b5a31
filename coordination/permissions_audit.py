"""Grants that should exist (from participations) versus grants that do (guardian)."""

from __future__ import annotations

from django.contrib.auth.models import Permission

from coordination.access import TASK_GRANTS
from coordination.models import Participation, TaskGroupObjectPermission

GRANTED_CODENAMES = sorted({c for codes in TASK_GRANTS.values() for c in codes})


def _expected() -> set[tuple[int, int, str]]:
    rows = Participation.objects.values_list("task_id", "agency__group_id", "role")
    return {(task, group, code) for task, group, role in rows for code in TASK_GRANTS[role]}


def _actual() -> set[tuple[int, int, str]]:
    rows = TaskGroupObjectPermission.objects.filter(
        permission__codename__in=GRANTED_CODENAMES, group__agency__isnull=False
    ).values_list("content_object_id", "group_id", "permission__codename")
    return set(rows)


def audit_task_grants():
    expected, actual = _expected(), _actual()
    return sorted(expected - actual), sorted(actual - expected)


def repair_task_grants(missing, extra) -> None:
    perms = {
        p.codename: p
        for p in Permission.objects.filter(
            content_type__app_label="coordination", codename__in=GRANTED_CODENAMES
        )
    }
    TaskGroupObjectPermission.objects.bulk_create(
        [
            TaskGroupObjectPermission(content_object_id=t, group_id=g, permission=perms[c])
            for t, g, c in missing
        ],
        ignore_conflicts=True,
    )
    for t, g, c in extra:
        TaskGroupObjectPermission.objects.filter(
            content_object_id=t, group_id=g, permission=perms[c]
        ).delete()
