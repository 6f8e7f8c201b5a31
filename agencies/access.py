"""Who may do what: the one place where access is decided.

Reads go through ``visible_to(user)`` queryset methods that call ``scope_by_grants``
(one indexed subquery on a direct foreign-key django-guardian permission table) and
through ``get_visible_or_404``. Object permissions are granted and revoked only by the
services that change who takes part (e.g. ``coordination.services.task_set_participants``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404

from agencies import roles
from agencies.roles import user_roles

__all__ = [
    "has_role",
    "is_noivu_officer",
    "reads_everything",
    "scope_by_grants",
    "get_visible_or_404",
    "require",
    "nav_for",
]


def has_role(user, role: str) -> bool:
    return user.is_authenticated and (role in user_roles(user))


def is_noivu_officer(user) -> bool:
    return user.is_authenticated and (user.is_superuser or has_role(user, roles.NOIVU_OFFICER))


def is_leadership(user) -> bool:
    return has_role(user, roles.LEADERSHIP)


def is_council_member(user) -> bool:
    return has_role(user, roles.COUNCIL_MEMBER)


def is_focal_officer(user) -> bool:
    return has_role(user, roles.FOCAL_OFFICER)


def reads_everything(user) -> bool:
    """Nội vụ officers, leadership and administrators read every body's records."""
    return user.is_authenticated and (
        user.is_superuser or bool(user_roles(user) & {roles.NOIVU_OFFICER, roles.LEADERSHIP})
    )


def scope_by_grants(
    queryset: models.QuerySet, user, *, group_perm_model, codename: str
) -> models.QuerySet:
    """Objects on which the user's body group holds ``codename`` (one subquery)."""
    if not user.is_authenticated or not user.agency_id:
        return queryset.none()
    granted = group_perm_model.objects.filter(
        group__agency__pk=user.agency_id, permission__codename=codename
    ).values("content_object_id")
    return queryset.filter(pk__in=granted)


def get_visible_or_404(queryset: models.QuerySet, user, **lookup):
    """Fetch through the model's ``visible_to``: 404 when the user's body has no part."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def require(allowed: bool) -> None:
    """403 for an action the user's role may not take on an object they can see."""
    if not allowed:
        raise PermissionDenied


def nav_for(user) -> dict[str, bool]:
    """Which menu entries the user's role may use (computed once per request)."""
    if not user.is_authenticated:
        return {}
    everything = reads_everything(user)
    return {
        "tasks": True,
        "overview": everything,
        "task_create": is_noivu_officer(user),
        "scoring": True,
        "reports": True,
        "agencies": True,
        "admin": user.is_staff,
    }


# --- Coordination items -------------------------------------------------------------

TASK_GRANTS = {
    "chair": ("view_task", "change_task", "consolidate_task"),
    "track": ("view_task", "remind_task", "review_task"),
    "contribute": ("view_task", "contribute_task"),
}


def task_object_perms(user, task) -> set[str]:
    """Codenames the user holds on one task: global (role) plus their body's grants."""
    from guardian.core import ObjectPermissionChecker

    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return {"view_task", "change_task", "assign_task", "remind_task", "review_task"}
    global_perms = {
        p.split(".", 1)[1] for p in user.get_all_permissions() if p.startswith("coordination.")
    }
    return global_perms | set(ObjectPermissionChecker(user).get_perms(task))


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
        and user.agency_id is not None,
    }


# --- Reports ------------------------------------------------------------------------


def reports_rounds_scope(queryset: models.QuerySet, user) -> models.QuerySet:
    """Rounds a user may see: all for read-everything roles, else those their body owes."""
    if reads_everything(user):
        return queryset
    if not user.is_authenticated or not user.agency_id:
        return queryset.none()
    return queryset.filter(required_agencies__pk=user.agency_id)


def reports_agency_reports_scope(queryset: models.QuerySet, user) -> models.QuerySet:
    """A body sees its own reports; officers and leadership see every body's."""
    if reads_everything(user):
        return queryset
    if not user.is_authenticated or not user.agency_id:
        return queryset.none()
    return queryset.filter(agency_id=user.agency_id)


def reports_province_documents(user) -> bool:
    """Province-wide documents (consolidated report, status report, submission table)."""
    return reads_everything(user)


def reports_manage(user) -> bool:
    """Open rounds, consolidate and issue: Nội vụ CCHC officers."""
    return is_noivu_officer(user)


def reports_actions(user, report) -> dict[str, bool]:
    """What the user may do on one body's report they can already see."""
    own = user.is_authenticated and user.agency_id == report.agency_id
    officer = is_noivu_officer(user)
    round_open = report.round.status == "open"
    return {
        "edit": own and is_focal_officer(user) and round_open and report.is_editable,
        "review": officer and round_open and report.status == "submitted",
    }


def reports_dossier_shows_all_bodies(user, task) -> bool:
    """An item's dossier lists every body's contributions only for read-everything roles
    and the chairing and tracking bodies; a contributing body's copy shows its own."""
    involved = {task.chair_agency_id, task.tracking_agency_id}
    return reads_everything(user) or (user.is_authenticated and user.agency_id in involved)


# --- Scoring ------------------------------------------------------------------------
# A body works on its own assessment; a council member (or Nội vụ officer) on the
# assessments and areas assigned to them; Nội vụ and leadership read all. Published
# results are visible to every body; before publication a body sees only its own.


def manages_scoring(user) -> bool:
    """Nội vụ officers run criteria sets, periods, assignments and publication."""
    return is_noivu_officer(user)


def scope_assessments(queryset: models.QuerySet, user) -> models.QuerySet:
    """Assessments the user may open: own body's, assigned ones, or all (one query)."""
    if not user.is_authenticated:
        return queryset.none()
    if reads_everything(user):
        return queryset
    from django.db.models import Exists, OuterRef, Q

    from scoring.models import AppraiserAssignment, Criterion

    assigned = AppraiserAssignment.objects.filter(user_id=user.pk)
    by_area = assigned.filter(
        period_id=OuterRef("period_id"), area__criteria_set_id=OuterRef("criteria_set_id")
    )
    # The province's self-assessment: each body answers for the areas it is responsible for.
    answering = Criterion.objects.filter(
        criteria_set__target="province", depth=1, responsible_agency_id=user.agency_id
    )
    return queryset.filter(
        Q(agency_id=user.agency_id)
        | Q(pk__in=assigned.filter(assessment__isnull=False).values("assessment_id"))
        | Q(Exists(by_area))
        | Q(criteria_set__in=answering.values("criteria_set_id"))
    )


def self_assess_area_ids(user, assessment) -> set[int] | None:
    """Areas the user's body may self-assess: None = all (its own assessment), else the
    areas of the province's set it is responsible for (possibly none)."""
    if user.agency_id == assessment.agency_id:
        return None
    if assessment.criteria_set.target != "province" or not user.agency_id:
        return set()
    from scoring.models import Criterion

    return set(
        Criterion.objects.filter(
            criteria_set_id=assessment.criteria_set_id,
            depth=1,
            responsible_agency_id=user.agency_id,
        ).values_list("pk", flat=True)
    )


def appraisal_area_ids(user, assessment, assignments) -> set[int] | None:
    """Areas the user may appraise on this assessment: None = all, empty set = none.

    ``assignments`` is the user's AppraiserAssignment rows for the period (fetched once).
    """
    if is_noivu_officer(user):
        return None
    mine = [a for a in assignments if a.user_id == user.pk]
    if any(a.assessment_id == assessment.pk for a in mine):
        return None
    return {
        a.area_id
        for a in mine
        if a.area_id and a.area.criteria_set_id == assessment.criteria_set_id
    }


def may_finalise(user, period) -> bool:
    return is_noivu_officer(user) or (
        period.council_chair_id is not None and period.council_chair_id == user.pk
    )


def assessment_actions(user, assessment, *, area_ids: set[int] | None | bool = False) -> dict:
    """What the user may do on an assessment they can see (flags for views and templates).

    ``area_ids`` is the result of ``appraisal_area_ids`` (pass it when already computed).
    """
    from scoring.models import Assessment

    status = assessment.status
    s = Assessment.Status
    own = user.agency_id == assessment.agency_id and is_focal_officer(user)
    self_areas = self_assess_area_ids(user, assessment) if is_focal_officer(user) else set()
    if area_ids is False:
        area_ids = appraisal_area_ids(
            user, assessment, list(assessment.period.assignments.select_related("area"))
        )
    appraiser = area_ids is None or bool(area_ids)
    return {
        "self_assess": (self_areas is None or bool(self_areas)) and status == s.DRAFT,
        "submit": own and status == s.DRAFT,
        "self_area_ids": self_areas,
        "explain": own and status == s.APPRAISED,
        "appeal": own and status == s.FINALISED,
        "appraise": appraiser and status in {s.SUBMITTED, s.EXPLANATION},
        "complete_appraisal": appraiser and status in {s.SUBMITTED, s.EXPLANATION},
        "finalise": may_finalise(user, assessment.period)
        and status in {s.APPRAISED, s.REAPPRAISED},
        "decide_appeal": may_finalise(user, assessment.period),
        "appraisal_area_ids": area_ids,
    }


def results_visible_to(user, period) -> str:
    """'all' when every body's result may be shown, 'own' for the user's body only."""
    if reads_everything(user) or period.is_published:
        return "all"
    return "own"
