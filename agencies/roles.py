"""Roles of the portal as auth groups with their model permissions.

A role's model-level (global) permissions are what the role may do everywhere; what a
body may do on one object comes from django-guardian object permissions granted to the
body's own group (see agencies/access.py).
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext_lazy as _

NOIVU_OFFICER = "noivu_officer"
LEADERSHIP = "leadership"
FOCAL_OFFICER = "focal_officer"
AGENCY_STAFF = "agency_staff"
COUNCIL_MEMBER = "council_member"

ROLE_LABELS = {
    NOIVU_OFFICER: _("Cán bộ CCHC Sở Nội vụ"),
    LEADERSHIP: _("Lãnh đạo"),
    FOCAL_OFFICER: _("Cán bộ đầu mối CCHC"),
    AGENCY_STAFF: _("Công chức cơ quan"),
    COUNCIL_MEMBER: _("Thành viên Hội đồng thẩm định"),
}

_READ_ALL = [
    "agencies.view_agency",
    "agencies.view_user",
    "coordination.view_task",
    "scoring.view_assessment",
    "scoring.view_criteriaset",
    "scoring.view_scoringperiod",
    "reports.view_reportround",
    "reports.view_agencyreport",
]

# Global permissions per role. Entries of apps not installed yet are skipped.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    NOIVU_OFFICER: _READ_ALL
    + [
        "coordination.add_task",
        "coordination.change_task",
        "coordination.assign_task",
        "coordination.remind_task",
        "coordination.review_task",
        "scoring.add_criteriaset",
        "scoring.change_criteriaset",
        "scoring.add_scoringperiod",
        "scoring.change_scoringperiod",
        "scoring.appraise_assessment",
        "reports.add_reportround",
        "reports.change_reportround",
        "reports.review_agencyreport",
    ],
    LEADERSHIP: _READ_ALL + ["reports.download_documents"],
    FOCAL_OFFICER: ["coordination.add_contribution", "reports.add_agencyreport"],
    AGENCY_STAFF: [],
    COUNCIL_MEMBER: ["scoring.view_criteriaset"],
}


def group_name(role: str) -> str:
    return f"role:{role}"


def role_group(role: str) -> Group:
    return Group.objects.get(name=group_name(role))


@transaction.atomic
def ensure_roles() -> None:
    """Create the role groups and set their permissions; safe to run any number of times."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=group_name(role))
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.set(wanted)


def user_roles(user) -> frozenset[str]:
    """The user's roles, computed once per user object."""
    cached = getattr(user, "_portal_roles", None)
    known = getattr(user, "_portal_known", None)
    if cached is None and known is not None:
        user._portal_known = None  # once
        known()  # from the cache with the user's body (agencies.middleware.KnownUserMiddleware)
        cached = getattr(user, "_portal_roles", None)
    if cached is None:
        if not user.is_authenticated:
            cached = frozenset()
        else:
            names = user.groups.filter(name__startswith="role:").values_list("name", flat=True)
            cached = frozenset(n.removeprefix("role:") for n in names)
        user._portal_roles = cached
    return cached
