"""Sign-in against the province's LDAP directory (docs/sso.md, "LDAP directory").

django-auth-ldap finds the user with the read-only service account and checks the password
by binding as them. This backend then reads the entry into an `Identity` — roles from the
groups in LDAP_ROLE_GROUPS, the body from the entry's LDAP_AGENCY_ATTR or else from a group
in LDAP_AGENCY_GROUPS, name and e-mail from their attributes — and lets
`sso.identity.apply_identity` write the user, at every sign-in. It sits after the lockout
(django-axes) and the portal's own passwords in AUTHENTICATION_BACKENDS, so a locked-out
(username, address) pair never reaches the directory and every refusal counts as a failed
sign-in; the portal's second factor then applies as to anyone.

Refused even with the right directory password, with the reason on the sign-in page, in the
log and in the security audit: a user in no mapped group, a body the entry does not name or
the portal does not know, a portal account that was deactivated, and the portal's
administrators (staff or superuser), who sign in with the portal's own password only.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_auth_ldap.backend import LDAPBackend

from agencies.models import SecurityEvent, User
from agencies.security import security_event_record
from sso.identity import Identity, IdentityRefused, apply_identity
from sso.ldap_config import dn_key

logger = logging.getLogger(__name__)


class PortalLDAPBackend(LDAPBackend):
    """django-auth-ldap with the portal's mapping of a directory entry to a body and roles."""

    _request: HttpRequest | None = None

    def authenticate(self, request, username=None, password=None, **kwargs):
        self._request = request  # Django makes a backend object for each attempt
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        """The session's user, unless deactivated since (as Django's ModelBackend does)."""
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def get_or_build_user(self, username: str, ldap_user) -> tuple[User, bool]:
        """Called once the directory accepted the password: find or build the portal user
        and apply the entry; returns built=False since the user is saved already."""
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            user = User(username=username.lower())
        try:
            _check_may_use_directory(user)
            apply_identity(user, directory_identity(user.username, ldap_user))
        except IdentityRefused as refusal:
            _refuse(self._request, user, str(refusal))
            raise PermissionDenied(str(refusal)) from refusal
        return user, False


def directory_identity(username: str, ldap_user) -> Identity:
    """The portal identity the directory entry asserts; IdentityRefused when it maps to no
    role or to no single body."""
    groups = {dn_key(dn) for dn in ldap_user.group_dns}
    roles = frozenset().union(*(settings.LDAP_ROLE_GROUPS.get(dn, ()) for dn in groups))
    if not roles:
        raise IdentityRefused(
            _("Tài khoản không thuộc nhóm nào trên thư mục được cấp vai trò trong cổng.")
        )
    attrs = ldap_user.attrs or {}
    email = _first_value(attrs, [settings.LDAP_EMAIL_ATTR])
    return Identity(
        username=username,
        full_name=_first_value(attrs, settings.LDAP_NAME_ATTRS)[:150],
        email=email if len(email) <= 254 else "",
        agency_code=_agency_code(attrs, groups),
        roles=roles,
        source="ldap",
    )


def _first_value(attrs, names) -> str:
    return next((v.strip() for name in names for v in attrs.get(name, ()) if v.strip()), "")


def _agency_code(attrs, groups: set[str]) -> str:
    """The body code: the entry's attribute, else the body groups the user is in."""
    attr = settings.LDAP_AGENCY_ATTR
    codes = {v.strip() for v in (attrs.get(attr, ()) if attr else ()) if v.strip()}
    if not codes:
        codes = set().union(*(settings.LDAP_AGENCY_GROUPS.get(dn, ()) for dn in groups))
    if not codes:
        raise IdentityRefused(_("Thư mục không cho biết cơ quan công tác của tài khoản."))
    if len(codes) > 1:
        raise IdentityRefused(
            _("Thư mục ghi nhiều cơ quan cho tài khoản: %(codes)s.")
            % {"codes": ", ".join(sorted(codes))}
        )
    return codes.pop()


def _check_may_use_directory(user: User) -> None:
    if user.pk is not None and not user.is_active:
        raise IdentityRefused(_("Tài khoản đã bị vô hiệu hóa trên cổng."))
    if user.is_staff or user.is_superuser:
        raise IdentityRefused(
            _("Tài khoản quản trị chỉ đăng nhập bằng mật khẩu của cổng, không qua thư mục.")
        )


def _refuse(request: HttpRequest | None, user: User, reason: str) -> None:
    """Say why on the sign-in page, and keep it in the log and the security audit."""
    logger.warning("LDAP sign-in of %s refused: %s", user.username, reason)
    security_event_record(
        kind=SecurityEvent.Kind.DENIED,
        request=request,
        user=user if user.pk is not None else None,
        username=user.username,
        detail=f"LDAP: {reason}",
    )
    if request is not None:
        messages.error(
            request,
            _(
                "Thư mục đã xác nhận mật khẩu nhưng cổng không cho tài khoản “%(username)s” "
                "đăng nhập: %(reason)s Đề nghị liên hệ Sở Nội vụ."
            )
            % {"username": user.username, "reason": reason},
            fail_silently=True,
        )
