"""Two-factor authentication with django-otp: one TOTP device and recovery codes per user."""

from __future__ import annotations

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from agencies.models import SecurityEvent, User, UserSession
from agencies.security import security_event_record, user_sessions_end

PENDING_NAME = "pending"
DEVICE_NAME = "authenticator"
RECOVERY_NAME = "recovery"
PENDING_SESSION_KEY = "mfa_pending_key"
# Whether the signed-in user had a confirmed device when this session began (or when it was
# first asked): read by the second-factor gate on every request without a query.
DEVICE_SESSION_KEY = "_mfa_device"
# Set when the sign-in's own source asserted a second factor (the province's identity
# provider, through `mfa_session_asserted`): the portal then asks no code of its own.
ASSERTED_SESSION_KEY = "_mfa_asserted_by"


def mfa_enabled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def mfa_session_mark(request: HttpRequest, user: User) -> None:
    """Remember in the session whether its user has a second factor (called at sign-in)."""
    request.session[DEVICE_SESSION_KEY] = mfa_enabled(user)


def mfa_session_asserted(request: HttpRequest, source: str) -> None:
    """Record that `source` (e.g. "oidc") verified a second factor for this session's sign-in.

    Called by the sign-in route right after it signed the user in; the gate then treats the
    session as verified, and the portal's own code is neither asked nor required to be set up.
    The assertion belongs to this sign-in only (its `_login_at`): a later sign-in in the same
    session, by any route, starts without it."""
    request.session[ASSERTED_SESSION_KEY] = [source, request.session.get("_login_at")]
    security_event_record(
        kind=SecurityEvent.Kind.MFA_VERIFIED, request=request, detail=f"asserted by {source}"
    )


def mfa_session_asserted_by(request: HttpRequest) -> str | None:
    """The source that asserted a second factor for this session's sign-in, or None."""
    asserted = request.session.get(ASSERTED_SESSION_KEY)
    if not asserted or asserted[1] is None or asserted[1] != request.session.get("_login_at"):
        return None
    return asserted[0]


def mfa_session_verified(request: HttpRequest) -> bool:
    """True when this session passed a second factor: the portal's own or the provider's."""
    return request.user.is_verified() or bool(mfa_session_asserted_by(request))


def mfa_session_needs_code(request: HttpRequest) -> bool:
    """True when this session's user has a second factor and the session has not passed it.

    Every session is marked at sign-in; a session older than the mark is marked on its
    first request. Turning two-factor on ends the user's other sessions, so no session
    marked "no device" outlives the device's creation."""
    user = request.user
    if mfa_session_verified(request):
        return False
    has_device = request.session.get(DEVICE_SESSION_KEY)
    if has_device is None:
        has_device = mfa_enabled(user)
        request.session[DEVICE_SESSION_KEY] = has_device
    return has_device


def mfa_pending_key(request: HttpRequest) -> str:
    """The secret offered during setup: kept in the session, nothing is stored on GET."""
    key = request.session.get(PENDING_SESSION_KEY)
    if not key:
        key = random_hex(20)
        request.session[PENDING_SESSION_KEY] = key
    return key


def mfa_pending_device(*, user: User, key: str) -> TOTPDevice:
    """The device being set up: the stored row once a code was tried, else unsaved."""
    stored = TOTPDevice.objects.filter(user=user, confirmed=False, key=key).first()
    return stored or TOTPDevice(user=user, name=PENDING_NAME, key=key, confirmed=False)


def mfa_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code (no script, no style attribute)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, omitsize=False)


def mfa_secret_text(device: TOTPDevice) -> str:
    """The base32 secret, in groups of four, for typing into an authenticator by hand."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def mfa_confirm(*, request: HttpRequest, user: User, token: str) -> list[str] | None:
    """Confirm the pending device with a code; returns new recovery codes, or None."""
    key = request.session.get(PENDING_SESSION_KEY)
    if not key:
        return None
    device = mfa_pending_device(user=user, key=key)
    if not device.verify_token(token.strip().replace(" ", "")):
        security_event_record(
            kind=SecurityEvent.Kind.MFA_FAILED, request=request, detail="setup code refused"
        )
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    del request.session[PENDING_SESSION_KEY]
    device.name = DEVICE_NAME
    device.confirmed = True
    device.save()
    codes = mfa_recovery_codes_renew(user=user)
    otp_login(request, device)
    request.session[DEVICE_SESSION_KEY] = True
    # A session opened with the password alone before this moment must not stay open.
    others = UserSession.objects.filter(user=user).exclude(session_key=request.session.session_key)
    user_sessions_end(user=user, session_keys=list(others.values_list("session_key", flat=True)))
    security_event_record(kind=SecurityEvent.Kind.MFA_ENABLED, request=request, user=user)
    return codes


def mfa_recovery_codes_renew(*, user: User) -> list[str]:
    """Replace the user's recovery codes with new single-use ones."""
    static, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    static.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.MFA_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes


def mfa_verify(*, request: HttpRequest, user: User, token: str) -> bool:
    """Check a code from the authenticator or a recovery code and mark the session verified."""
    device = match_token(user, token.strip().replace(" ", ""))
    if device is None:
        security_event_record(kind=SecurityEvent.Kind.MFA_FAILED, request=request, user=user)
        return False
    otp_login(request, device)
    kind = (
        SecurityEvent.Kind.MFA_RECOVERY_USED
        if isinstance(device, StaticDevice)
        else SecurityEvent.Kind.MFA_VERIFIED
    )
    security_event_record(kind=kind, request=request, user=user)
    return True


@transaction.atomic
def mfa_disable(*, request: HttpRequest | None, user: User, actor: User) -> None:
    """Remove the user's second factor (by the user, or by an administrator for a lost phone)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    if request is not None and request.user == user:
        request.session[DEVICE_SESSION_KEY] = False
    security_event_record(
        kind=SecurityEvent.Kind.MFA_DISABLED,
        request=request,
        user=user,
        detail=f"by {actor.get_username()}",
    )
