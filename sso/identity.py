"""The one rule for a user who signs in through the province's identity provider or
directory (docs/sso.md): which body and roles the portal gives them.

Both sign-in routes (`sso.oidc`, `sso.ldap`) read their own source (token claims, directory
groups) into an `Identity` and call `apply_identity`; neither writes users by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from agencies import history, roles
from agencies.models import Agency, User


class IdentityRefused(Exception):
    """The provider's or directory's answer maps to no body or role the portal knows."""


@dataclass(frozen=True)
class Identity:
    username: str
    full_name: str = ""
    email: str = ""
    agency_code: str | None = None  # None: keep the body the user already has
    roles: frozenset[str] | None = None  # None: keep the user's roles
    source: str = "oidc"  # "oidc" or "ldap", named in the history entry


def _agency(code: str) -> Agency:
    agency = Agency.objects.filter(code=code).first()
    if agency is None or not agency.is_active:
        raise IdentityRefused(
            _("Cơ quan “%(code)s” không có hoặc đã ngừng hoạt động.") % {"code": code}
        )
    return agency


@transaction.atomic
def apply_identity(user: User, identity: Identity) -> User:
    """Give `user` (saved or not) the body, roles, name and e-mail the source asserts.

    Raises IdentityRefused for an unknown body or role; nothing is saved then."""
    unknown = sorted((identity.roles or frozenset()) - set(roles.ROLE_PERMISSIONS))
    if unknown:
        raise IdentityRefused(
            _("Vai trò không có trong cổng: %(roles)s.") % {"roles": ", ".join(unknown)}
        )
    agency = _agency(identity.agency_code) if identity.agency_code else None
    changed = user.pk is None
    for field, value in (
        ("full_name", identity.full_name),
        ("email", identity.email),
        ("agency", agency),
    ):
        if value and getattr(user, field) != value:
            setattr(user, field, value)
            changed = True
    if user.pk is None:
        user.set_unusable_password()
    if changed:
        reason = _("Cập nhật từ %(source)s khi đăng nhập") % {"source": identity.source.upper()}
        history.save(user, reason, actor=user if user.pk else None)
    if identity.roles is not None:
        wanted = {roles.role_group(role) for role in identity.roles}
        current = set(user.groups.filter(name__startswith="role:"))
        if wanted != current:
            user.groups.remove(*(current - wanted))
            user.groups.add(*(wanted - current))
            user._portal_roles = None
    return user
