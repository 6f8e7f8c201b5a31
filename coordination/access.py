"""Who sees and does what on coordination items (the app's half of the access contract).

Visibility rules are registered for every model of the app a user can reach by a URL;
``task_grant``/``task_revoke`` are the only code that writes the item grant table
(``TaskGroupObjectPermission``, django-guardian with direct foreign keys), called by the
service that changes who takes part. Action flags are computed once per request.
"""

from __future__ import annotations

from django.db.models import Q
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import assign_perm, remove_perm

from agencies.access import (  # noqa: F401  (re-exported for the app's views)
    get_visible_or_404,
    is_agency_staff,
    is_focal_officer,
    is_noivu_officer,
    reads_everything,
    register_visibility,
    require,
    scope_by_grants,
)
from agencies.lineage import readable_agency_ids
from coordination.models import (
    Attachment,
    Contribution,
    Notification,
    Participation,
    Task,
    TaskGroupObjectPermission,
)

# --- Grants -------------------------------------------------------------------------

TASK_GRANTS = {
    "chair": ("view_task", "change_task", "consolidate_task"),
    "track": ("view_task", "remind_task", "review_task"),
    "contribute": ("view_task", "contribute_task"),
}


def task_grant(task: Task, group, role: str) -> None:
    for codename in TASK_GRANTS[role]:
        assign_perm(f"coordination.{codename}", group, task)


def task_revoke(task: Task, group, role: str) -> None:
    for codename in TASK_GRANTS[role]:
        remove_perm(f"coordination.{codename}", group, task)


# --- Visibility ---------------------------------------------------------------------


@register_visibility(Task)
def _tasks(queryset, user):
    """Items on which the user's body, or a body before it (the archive a successor
    inherits, ``agencies.lineage.readable_agency_ids``), holds ``view_task``: one
    subquery. Reading only: acting goes by the user's own groups (``task_object_perms``)."""
    if reads_everything(user):
        return queryset
    readable = readable_agency_ids(user) if user.is_authenticated else []
    if not readable:
        return queryset.none()
    granted = TaskGroupObjectPermission.objects.filter(
        group__agency__pk__in=readable, permission__codename="view_task"
    ).values("content_object_id")
    # A draft is Sở Nội vụ's working copy until it is assigned.
    return queryset.filter(pk__in=granted).exclude(status=Task.Status.DRAFT)


@register_visibility(Participation)
def _participations(queryset, user):
    return queryset.filter(task__in=Task.objects.visible_to(user))


def contribution_rule(user, prefix: str = "") -> Q:
    """The one visibility policy for contributions, as a condition on ``prefix`` rows.

    An unsent draft is its own body's alone. A submitted contribution is seen by its
    body, the item's chairing and tracking bodies, Nội vụ officers and leadership, and
    not by the other coordinating bodies. "Its body" and "chairing and tracking" include
    the bodies before the user's (``readable_agency_ids``): a successor reads what its
    predecessors sent and saw, and acts only as itself."""
    readable = readable_agency_ids(user) or [0]
    own = Q(**{f"{prefix}participation__agency_id__in": readable})
    sent = Q(**{f"{prefix}submitted_at__isnull": False})
    if reads_everything(user):
        return own | sent
    leads = Q(**{f"{prefix}participation__task__chair_agency_id__in": readable}) | Q(
        **{f"{prefix}participation__task__tracking_agency_id__in": readable}
    )
    return own | (sent & leads)


def sees_every_submission(user, task) -> bool:
    """Whether the user sees every body's submitted contributions on ``task`` (the
    chairing and tracking bodies, or the bodies before them, and read-everything roles),
    as ``contribution_rule``."""
    if reads_everything(user):
        return True
    readable = set(readable_agency_ids(user))
    return bool(readable & {task.chair_agency_id, task.tracking_agency_id})


@register_visibility(Contribution)
def _contributions(queryset, user):
    queryset = queryset.filter(contribution_rule(user))
    if reads_everything(user):
        return queryset
    return queryset.filter(participation__task__in=Task.objects.visible_to(user))


@register_visibility(Attachment)
def _attachments(queryset, user):
    """The item's own files with the item; a contribution's files with the contribution."""
    queryset = queryset.filter(
        Q(contribution__isnull=True) | contribution_rule(user, prefix="contribution__")
    )
    if reads_everything(user):
        return queryset
    return queryset.filter(task__in=Task.objects.visible_to(user))


@register_visibility(Notification)
def _notifications(queryset, user):
    return queryset.filter(user_id=user.pk)


# --- Action flags -------------------------------------------------------------------


def task_object_perms(user, task) -> set[str]:
    """Codenames the user holds on one task: global (role) plus their body's grants."""
    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return {"view_task", "change_task", "assign_task", "remind_task", "review_task"}
    global_perms = {
        p.split(".", 1)[1] for p in user.get_all_permissions() if p.startswith("coordination.")
    }
    return global_perms | set(ObjectPermissionChecker(user).get_perms(task))


def works_for_body(user) -> bool:
    """Whether the user may write in their body's name on items it takes part in: save
    contribution drafts (docs/permissions.md). Nội vụ officers and focal officers act for
    their body; agency staff draft for their focal officer. Leadership and council members
    read and appraise; they never write a body's contribution."""
    return is_noivu_officer(user) or is_focal_officer(user) or is_agency_staff(user)


def task_actions(user, task, perms: set[str] | None = None) -> dict[str, bool]:
    """What the user may do on this task, as flags for views and templates."""
    perms = task_object_perms(user, task) if perms is None else perms
    officer = is_noivu_officer(user)
    acts = officer or is_focal_officer(user)
    status = task.status
    open_ = status not in {"done", "cancelled"}
    return {
        "view": "view_task" in perms,
        "edit": open_ and "change_task" in perms and acts,
        "edit_all_fields": officer and open_,
        "assign": officer and status == "draft",
        "set_participants": officer and open_,
        "cancel": officer and open_,
        "remind": open_ and status != "draft" and "remind_task" in perms and acts,
        "review": status == "under_review" and "review_task" in perms and acts,
        "review_contributions": open_
        and bool({"review_task", "consolidate_task"} & perms)
        and acts,
        "exempt": open_ and officer,
        "consolidate": open_
        and status in {"assigned", "in_progress", "returned"}
        and "consolidate_task" in perms
        and acts,
        "contribute": open_ and status != "draft" and "contribute_task" in perms and acts,
        "draft": open_
        and status != "draft"
        and bool({"contribute_task", "consolidate_task"} & perms)
        and user.agency_id is not None
        and works_for_body(user),
    }


def may_create_tasks(user) -> bool:
    return is_noivu_officer(user)


def sees_overview(user) -> bool:
    """The province-wide overview of every body's work."""
    return reads_everything(user)
