"""Signal receivers for sign-in events (connected in AgenciesConfig.ready)."""

from __future__ import annotations

from agencies.models import SecurityEvent


def on_logged_in(sender, request, user, **kwargs) -> None:
    from agencies.mfa import mfa_session_mark
    from agencies.security import security_event_record, user_session_start

    if request is None or not hasattr(request, "session"):
        return
    user_session_start(request=request, user=user)
    mfa_session_mark(request, user)
    security_event_record(kind=SecurityEvent.Kind.LOGIN, request=request, user=user)


def on_logged_out(sender, request, user, **kwargs) -> None:
    from agencies.models import UserSession
    from agencies.security import security_event_record

    if request is None or user is None:
        return
    key = request.session.session_key
    if key:
        UserSession.objects.filter(session_key=key).delete()
    security_event_record(kind=SecurityEvent.Kind.LOGOUT, request=request, user=user)


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    from agencies.security import security_event_record

    security_event_record(
        kind=SecurityEvent.Kind.LOGIN_FAILED,
        request=request,
        username=str(credentials.get("username", "")),
    )


def on_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    from agencies.security import security_event_record

    security_event_record(
        kind=SecurityEvent.Kind.LOCKOUT,
        request=request,
        username=str(username or ""),
        detail=f"locked from {ip_address}",
    )


def on_user_saved(sender, instance, created, **kwargs) -> None:
    """Deactivating a user ends all of their sessions."""
    if created or instance.is_active:
        return
    from agencies.security import user_sessions_end

    user_sessions_end(user=instance)
