"""The access contract every feature app implements (the ground floor).

``agencies`` holds the roles and the shared pieces; it imports no feature app. Each app's
``access.py`` registers, for every model a user can reach by a URL, the rule that decides
which rows a user may see (``register_visibility``) and computes its action flags. Every
read goes through ``Model.objects.visible_to(user)`` (a ``VisibleQuerySet``) and
``get_visible_or_404``; an action the role may not take is refused with ``require``.

404 when the user's body has no part in an object, 403 when it is visible but the role may
not act (NetBox's ``RestrictedQuerySet.restrict()``, pretix's 404-not-403).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.http import Http404

from agencies import roles
from agencies.roles import user_roles

__all__ = [
    "VisibleQuerySet",
    "get_visible_or_404",
    "has_role",
    "is_agency_staff",
    "is_council_member",
    "is_focal_officer",
    "is_leadership",
    "is_noivu_officer",
    "nav_for",
    "reads_everything",
    "register_visibility",
    "require",
    "scope_by_grants",
    "sees_jobs",
    "visibility_rules",
]

VisibilityRule = Callable[[models.QuerySet, object], models.QuerySet]
_RULES: dict[str, VisibilityRule] = {}


def register_visibility(model: type[models.Model]):
    """Decorator: ``rule(queryset, user)`` decides which rows of ``model`` a user sees.

    Each app's ``access.py`` registers its rules; its ``AppConfig.ready`` imports it."""

    def decorator(rule: VisibilityRule) -> VisibilityRule:
        _RULES[model._meta.label] = rule
        return rule

    return decorator


def visibility_rules() -> dict[str, VisibilityRule]:
    """Registered rules by model label (for the completeness test and the docs)."""
    return dict(_RULES)


class VisibleQuerySet(models.QuerySet):
    """Queryset base of every model a user can reach: ``visible_to(user)`` is one
    indexed filter (a subquery, never a Python loop) decided by the owning app."""

    def visible_to(self, user) -> VisibleQuerySet:
        rule = _RULES.get(self.model._meta.label)
        if rule is None:
            raise ImproperlyConfigured(
                f"{self.model._meta.label} has no visibility rule: register one in its "
                "app's access.py"
            )
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return rule(self, user)


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


def is_agency_staff(user) -> bool:
    return has_role(user, roles.AGENCY_STAFF)


def reads_everything(user) -> bool:
    """Nội vụ officers, leadership and administrators read every body's records."""
    return user.is_authenticated and (
        user.is_superuser or bool(user_roles(user) & {roles.NOIVU_OFFICER, roles.LEADERSHIP})
    )


def sees_jobs(user) -> bool:
    """The background jobs page (agencies/job_views.py): Nội vụ officers and administrators."""
    return is_noivu_officer(user) or (user.is_authenticated and user.is_staff)


def own_body(queryset: models.QuerySet, user, field: str = "agency_id") -> models.QuerySet:
    """Rows of the user's own body (none for a user without a body)."""
    if not user.agency_id:
        return queryset.none()
    return queryset.filter(**{field: user.agency_id})


def scope_by_grants(
    queryset: models.QuerySet, user, *, group_perm_model, codename: str, field: str = "pk"
) -> models.QuerySet:
    """Rows whose ``field`` points at an object on which the user's body group holds
    ``codename`` (one subquery on a direct foreign-key guardian table)."""
    if not user.is_authenticated or not user.agency_id:
        return queryset.none()
    granted = group_perm_model.objects.filter(
        group__agency__pk=user.agency_id, permission__codename=codename
    ).values("content_object_id")
    return queryset.filter(**{f"{field}__in": granted})


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
        "jobs": sees_jobs(user),
        # Reorganisation plans (reorg.access.manages_plans: Nội vụ officers, administrators).
        "reorg": is_noivu_officer(user),
        "admin": user.is_staff,
    }
