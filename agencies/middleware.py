"""Security middleware: session timeouts, the second-factor gate and the security audit."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from agencies import fragments
from agencies.models import SecurityEvent, User
from agencies.roles import user_roles
from agencies.security import security_event_record, user_requires_mfa

# Activity is written to the session at most this often (seconds), to spare the database.
ACTIVITY_WRITE_INTERVAL = 60


# What the user's roles and body are read from (their version moves when either changes).
KNOWN_USER_APPS = ("auth", "agencies")


class KnownUserMiddleware:
    """The signed-in user's roles and body, read with the page's cached parts (issue 14).

    Most pages ask them (the menu, the access rules); instead of two queries per request
    they are kept in the shared cache per user and data version of ``auth`` and
    ``agencies`` (``agencies.fragments.kept``): a change of the user's groups, of the user
    or of any body is a new version, read afresh. Read when the roles are first asked
    (``agencies.roles.user_roles``): a request that needs neither (a job's status as JSON)
    reads nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user._portal_known = lambda: _known_user(request, user)
        return self.get_response(request)


def _known_user(request: HttpRequest, user) -> None:
    roles, agency = fragments.kept(
        request,
        "user",
        apps_read=KNOWN_USER_APPS,
        build=lambda: (user_roles(user), user.agency if user.agency_id else None),
    )
    user._portal_roles = roles  # agencies.roles.user_roles's own memo
    if agency is not None and agency.pk == user.agency_id:
        User.agency.field.set_cached_value(user, agency)


class SessionTimeoutMiddleware:
    """Signs a user out after SESSION_IDLE_TIMEOUT idle seconds or SESSION_COOKIE_AGE in all.

    The absolute limit counts from sign-in and is not extended by activity.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and self._expired(request):
            logout(request)
            messages.info(request, _("Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại."))
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    @staticmethod
    def _expired(request: HttpRequest) -> bool:
        session = request.session
        now = time.time()
        login_at = session.get("_login_at")
        last = session.get("_last_activity")
        if login_at is not None and now - login_at > settings.SESSION_COOKIE_AGE:
            return True
        idle = settings.SESSION_IDLE_TIMEOUT
        if idle and last is not None and now - last > idle:
            return True
        if last is None or now - last > ACTIVITY_WRITE_INTERVAL:
            session["_last_activity"] = now
        return False


class MFARequiredMiddleware:
    """The second-factor gate, in front of every view (the Django admin included).

    A user who has a confirmed device reaches nothing but the verify page and sign-out
    until this session has passed the second factor — whatever MFA_REQUIRED says, so a
    stolen password alone opens nothing (and cannot turn two-factor off, add a device or
    change the password). A second factor the identity provider asserted at this sign-in
    (``agencies.mfa.mfa_session_asserted``) counts as passed. Public pages
    (``login_not_required``: the language switcher, the verification page of issued
    documents) stay open. When MFA_REQUIRED is on, users whose role needs a second factor
    and have none yet are sent to set one up."""

    ALWAYS_OPEN = frozenset({"mfa_verify", "logout", "login"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        name = match.url_name if match is not None and not match.namespace else None
        if name in self.ALWAYS_OPEN:
            return None
        if not getattr(view_func, "login_required", True):
            return None  # a public page (login_not_required) asks no second factor either
        from agencies.mfa import mfa_session_asserted_by, mfa_session_needs_code

        if mfa_session_needs_code(request):
            return redirect(f"{_url('mfa_verify')}?next={_quote(request.get_full_path())}")
        if name == "mfa_setup" or not settings.MFA_REQUIRED or not user_requires_mfa(user):
            return None
        if mfa_session_asserted_by(request):
            return None  # the identity provider verified a second factor at this sign-in
        return redirect(f"{_url('mfa_setup')}?next={_quote(request.get_full_path())}")


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


class SecurityAuditMiddleware:
    """Records permission refusals from the access layer and every document download."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        disposition = response.get("Content-Disposition", "")
        if response.status_code == 200 and disposition.startswith("attachment"):
            security_event_record(
                kind=SecurityEvent.Kind.DOWNLOAD, request=request, detail=disposition
            )
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, PermissionDenied | Http404):
            status = 403 if isinstance(exception, PermissionDenied) else 404
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                security_event_record(
                    kind=SecurityEvent.Kind.DENIED, request=request, detail=str(status)
                )
        return None


class VietnameseFirstMiddleware:
    """The portal speaks Vietnamese unless the user chose English (language cookie from the
    switcher): the browser's Accept-Language is ignored, since many officers' browsers are
    set to English. Sits just before Django's LocaleMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
