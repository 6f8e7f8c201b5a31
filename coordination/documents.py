"""What an item's documents say, as plain data for their templates.

The dossier reads through the same selectors as the item page: timeliness from the
annotation, contributions through ``Contribution.objects.visible_to`` and the timeline
from ``task_timeline(task, user)``. How it looks is the template's (``reports/pdf.py``
adds the administrative header and renders it).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from coordination import access, selectors
from coordination import timeliness as tl
from coordination.history import task_timeline
from coordination.models import Contribution, Participation, Task


def _date(day: dt.date | dt.datetime | None) -> str:
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = timezone.localdate(day)
    return day.strftime("%d/%m/%Y")


def _person(user) -> str:
    if user is None:
        return _("Hệ thống")
    return getattr(user, "display_name", "") or str(user)


def _task_facts(task: Task, today: dt.date) -> dict:
    return {
        "category": task.get_category_display(),
        "legal_basis": task.legal_basis,
        "description": task.description,
        "chair": task.chair_agency.name,
        "tracker": task.tracking_agency.name,
        "due": _date(task.due_date),
        "status": task.get_status_display(),
        "timeliness": str(tl.LABELS[selectors.task_state(task, today)]),
    }


def _participant(p: Participation) -> dict:
    return {
        "agency": p.agency.name,
        "role": p.get_role_display(),
        "due": _date(p.eff_due),
        "status": p.get_status_display(),
        "submitted": _date(p.submitted_at),
        "timeliness": str(p.state_label),
    }


def _contribution(c: Contribution) -> dict:
    return {
        "agency": c.participation.agency.name,
        "form": c.get_form_display(),
        "version": c.version,
        "number": c.document_number,
        "draft": c.submitted_at is None,
        "at": _date(c.submitted_at),
        "by": _person(c.submitted_by),
        "body": c.body,
        "nominations": [
            f"{n.full_name}, {n.position}, {n.agency_name} – {n.get_team_display()}"
            for n in c.nominations.all()
        ],
    }


def _history_rows(task: Task, user) -> list[dict]:
    return [
        {
            "at": timezone.localtime(e.when).strftime("%d/%m/%Y %H:%M"),
            "by": _person(e.user),
            "subject": e.subject,
            "what": e.reason or e.kind,
            "changes": [f"{label}: {old} → {new}" for label, old, new in e.changes],
        }
        for e in reversed(task_timeline(task, user))
    ]


def task_dossier_content(task: Task, user) -> dict:
    """What the item's dossier says to ``user``: facts, bodies, contributions, history."""
    today = timezone.localdate()
    contributions = sorted(
        selectors.task_contributions(task, user),
        key=lambda c: (c.participation.agency.sort_order, c.version),
    )
    return {
        "partial": not access.sees_every_submission(user, task),
        "task": _task_facts(task, today),
        "participants": [_participant(p) for p in selectors.task_participants(task, today)],
        "contributions": [_contribution(c) for c in contributions],
        "history": _history_rows(task, user),
    }
