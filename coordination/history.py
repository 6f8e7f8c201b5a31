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


def _contribution_records(task: Task, user, own_part_ids: set[int]):
    visible = Contribution.objects.visible_to(user).filter(participation__task=task)
    return Contribution.history.filter(id__in=visible.values("pk")).filter(
        Q(submitted_at__isnull=False) | Q(participation_id__in=own_part_ids)
    )


def task_timeline(task: Task, user) -> list[Entry]:
    """Newest first; a fixed number of queries whatever the depth of history."""
    agencies = dict(Agency.objects.values_list("pk", "name"))
    names = {name: agencies for name in AGENCY_FIELDS}
    part_records = list(
        Participation.history.filter(task_id=task.pk).select_related("history_user")
    )
    part_agency = {r.id: agencies.get(r.agency_id, "") for r in part_records}
    own_part_ids = {r.id for r in part_records if r.agency_id == user.agency_id}
    contribution_records = _contribution_records(task, user, own_part_ids).select_related(
        "history_user"
    )
    attachment_records = Attachment.history.filter(
        id__in=Attachment.objects.visible_to(user).filter(task=task).values("pk")
    ).select_related("history_user")
    entries = [
        *timeline_entries(
            Task.history.filter(id=task.pk).select_related("history_user"),
            lambda r: _("Nhiệm vụ"),
            names,
        ),
        *timeline_entries(
            part_records,
            lambda r: f"{_('Cơ quan tham gia')}: {agencies.get(r.agency_id, '')}",
            names,
        ),
        *timeline_entries(
            contribution_records,
            lambda r: (
                f"{_('Nội dung phối hợp')} #{r.version}: {part_agency.get(r.participation_id, '')}"
            ),
            names,
        ),
        *timeline_entries(
            attachment_records, lambda r: f"{_('Tệp đính kèm')}: {r.original_name}", names
        ),
    ]
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries
