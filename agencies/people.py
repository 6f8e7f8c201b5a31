"""Who holds a role: the one lookup of users by role, for form choices and recipients (no
other module looks roles up by group name)."""

from __future__ import annotations

from django.db.models import QuerySet

from agencies.models import User
from agencies.roles import group_name


def members(*role_codes: str) -> QuerySet[User]:
    """Active users holding any of ``role_codes`` (one query)."""
    names = [group_name(code) for code in role_codes]
    return User.objects.filter(is_active=True, groups__name__in=names).distinct()


def director_of(agency) -> User | None:
    """The person who signs for ``agency``: its first active user whose position names a
    director ("Giám đốc", "Phó Giám đốc"), or None (one query)."""
    return (
        agency.users.filter(is_active=True, position__icontains="giám đốc").order_by("pk").first()
    )
