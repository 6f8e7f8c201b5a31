"""Security services: the audit of security events, sessions, lockouts and two-factor.

Signal receivers (connected in ``AgenciesConfig.ready``) record sign-ins, failures and
lockouts and keep the list of a user's sessions; everything else calls these functions.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from agencies import roles
from agencies.models import SecurityEvent, User, UserSession
from agencies.roles import user_roles

MFA_ROLES = frozenset({roles.NOIVU_OFFICER, roles.LEADERSHIP, roles.COUNCIL_MEMBER})


def client_ip(request: HttpRequest) -> str | None:
    """The client address: REMOTE_ADDR, or the address the trusted proxies saw."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def security_event_record(
    *,
    kind: str,
    request: HttpRequest | None = None,
    user: User | None = None,
    username: str = "",
    detail: str = "",
) -> SecurityEvent:
    """Record one security event; who/where come from the request when not given."""
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        if candidate is not None and candidate.is_authenticated:
            user = candidate
    return SecurityEvent.objects.create(
        kind=kind,
        user=user,
        username=(username or (user.get_username() if user else ""))[:150],
        ip=client_ip(request) if request is not None else None,
        path=(request.get_full_path() if request is not None else "")[:500],
        detail=str(detail)[:500],
    )


def security_events_prune(*, days: int | None = None) -> int:
    """Delete events older than the retention period; returns how many were deleted."""
    keep = settings.SECURITY_EVENT_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=keep)
    deleted, _by_model = SecurityEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- Sessions -----------------------------------------------------------------------------


def user_session_start(*, request: HttpRequest, user: User) -> None:
    """Remember a new signed-in session (called on sign-in, after the key was cycled)."""
    session = request.session
    session["_login_at"] = timezone.now().timestamp()
    session["_last_activity"] = session["_login_at"]
    if session.session_key is None:
        session.save()
    UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "ip": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:255],
        },
    )


def user_sessions_active(*, user: User) -> list[UserSession]:
    """The user's sessions that still exist and have not expired."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return list(UserSession.objects.filter(user=user, session_key__in=live).order_by("-created_at"))


@transaction.atomic
def user_sessions_end(
    *, user: User, session_keys: list[str] | None = None, actor: User | None = None
) -> int:
    """End the given sessions of ``user`` (all of them when ``session_keys`` is None)."""
    rows = UserSession.objects.filter(user=user)
    if session_keys is not None:
        rows = rows.filter(session_key__in=session_keys)
    keys = list(rows.values_list("session_key", flat=True))
    if not keys:
        return 0
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:  # from the cache too (sessions are read from it: settings)
        store(session_key=key).delete()
    rows.delete()
    security_event_record(
        kind=SecurityEvent.Kind.SESSION_ENDED,
        user=user,
        detail=f"{len(keys)} session(s) ended by {actor.get_username() if actor else 'system'}",
    )
    return len(keys)


# --- Lockouts -----------------------------------------------------------------------------


def user_lockouts_locked() -> list:
    """Current lockouts: (username, IP) pairs at or over the failure limit."""
    from axes.models import AccessAttempt

    return list(
        AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-attempt_time")
        .values("id", "username", "ip_address", "failures_since_start", "attempt_time")
    )


def user_lockout_release(*, attempt_id: int, actor: User) -> bool:
    """Unlock one (username, IP) pair; recorded as a security event."""
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.filter(pk=attempt_id).first()
    if attempt is None:
        return False
    attempt.delete()
    security_event_record(
        kind=SecurityEvent.Kind.UNLOCK,
        user=actor,
        detail=f"unlocked {attempt.username} from {attempt.ip_address}",
    )
    return True


def may_unlock(user) -> bool:
    return user.is_authenticated and (user.is_superuser or roles.NOIVU_OFFICER in user_roles(user))


# --- Two-factor ---------------------------------------------------------------------------


def user_requires_mfa(user) -> bool:
    """Nội vụ officers, leadership, council members and administrators need a second factor."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or user.is_staff or bool(user_roles(user) & MFA_ROLES)
