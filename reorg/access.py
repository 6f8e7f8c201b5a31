"""Who sees and applies reorganisation plans: Sở Nội vụ's officers and administrators
(the app's half of the access contract, agencies/access.py)."""

from __future__ import annotations

from agencies.access import is_noivu_officer, register_visibility
from reorg.models import Plan


def manages_plans(user) -> bool:
    """Uploading, previewing and applying plans: Nội vụ officers and administrators."""
    return is_noivu_officer(user) or (user.is_authenticated and user.is_superuser)


@register_visibility(Plan)
def _plans(queryset, user):
    return queryset if manages_plans(user) else queryset.none()
