"""The item's timeline: who changed what, when, field by field (django-simple-history).

Built on ``agencies.history.timeline_entries``. It shows only what the user may see: the
records of contributions and files the user may see through ``visible_to``, and of
another body's contribution only from its submission on (its unsent draft text was that
body's alone).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from agencies.history import Entry, timeline_entries
from agencies.models import Agency
from coordination.models import Attachment, Contribution, Participation, Task

AGENCY_FIELDS = ("chair_agency", "tracking_agency", "agency")


def _contribution_records(task: Task, user, part_ids: set[int], own_part_ids: set[int]):
    # The visible ids are read first (a small list by item): as a subquery inside the
    # history query the database scanned every historical contribution.
    visible = list(
        Contribution.objects.visible_to(user)
        .filter(participation__task=task)
        .values_list("pk", flat=True)
    )
    return Contribution.history.filter(participation_id__in=part_ids, id__in=visible).filter(
        Q(submitted_at__isnull=False) | Q(participation_id__in=own_part_ids)
    )


def _attachment_records(task: Task, user):
    visible = list(
        Attachment.objects.visible_to(user).filter(task=task).values_list("pk", flat=True)
    )
    return Attachment.history.filter(task_id=task.pk, id__in=visible).select_related("history_user")


def task_timeline(task: Task, user) -> list[Entry]:
    """Newest first; a fixed number of queries whatever the depth of history."""
    agencies = dict(Agency.objects.values_list("pk", "name"))
    names = {name: agencies for name in AGENCY_FIELDS}
    parts = list(Participation.history.filter(task_id=task.pk).select_related("history_user"))
    part_agency = {r.id: agencies.get(r.agency_id, "") for r in parts}
    own = {r.id for r in parts if r.agency_id == user.agency_id}
    contributions = _contribution_records(task, user, set(part_agency), own).select_related(
        "history_user"
    )
    entries = [
        *timeline_entries(
            Task.history.filter(id=task.pk).select_related("history_user"),
            lambda r: _("Nhiệm vụ"),
            names,
        ),
        *timeline_entries(
            parts, lambda r: f"{_('Cơ quan tham gia')}: {part_agency.get(r.id, '')}", names
        ),
        *timeline_entries(
            contributions,
            lambda r: (
                f"{_('Nội dung phối hợp')} #{r.version}: {part_agency.get(r.participation_id, '')}"
            ),
            names,
        ),
        *timeline_entries(
            _attachment_records(task, user),
            lambda r: f"{_('Tệp đính kèm')}: {r.original_name}",
            names,
        ),
    ]
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries
