"""Sign-in through the province's OpenID Connect provider (docs/sso.md).

mozilla-django-oidc runs the authorization code flow (state, nonce, PKCE; the ID token's
signature checked against the provider's published keys). This module adds the portal's
rules around it:

- the provider's endpoints come from its discovery document, fetched on first use and kept
  for OIDC_DISCOVERY_CACHE_SECONDS, unless set one by one (`oidc_setting`, which is
  mozilla-django-oidc's settings lookup for the backend and the views);
- the ID token must be meant for this portal (`aud`) and come from this provider (`iss`),
  and the userinfo answer must be about the same person (`sub`);
- the user is found by OIDC_USERNAME_CLAIM; body and roles come from the claims through the
  one rule, `sso.identity.apply_identity`; a user the portal does not know is refused unless
  OIDC_CREATE_USERS; a deactivated user is refused;
- a second factor the provider asserts (`amr`/`acr`) is noted on the user for the callback
  view, which marks the session (`agencies.mfa.mfa_session_asserted`);
- `provider_logout_url` ends the provider's session at the portal's sign-out.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from agencies.models import SecurityEvent, User
from agencies.security import security_event_record
from sso.identity import Identity, IdentityRefused, apply_identity

LOGGER = logging.getLogger(__name__)
WELL_KNOWN = "/.well-known/openid-configuration"
# The ID token, kept in the session for the sign-out's id_token_hint (OIDC_STORE_ID_TOKEN).
ID_TOKEN_SESSION_KEY = "oidc_id_token"
# mozilla-django-oidc's setting → the key of the provider's discovery document.
DISCOVERED = {
    "OIDC_OP_ISSUER": "issuer",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",
}


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read."""


class SignInRefused(Exception):
    """The portal does not sign this person in: `message` for them, `reason` for the audit."""

    def __init__(self, message: str, *, reason: str, username: str = "") -> None:
        super().__init__(reason)
        self.message = message
        self.reason = reason
        self.username = username


def unavailable_message() -> str:
    return _(
        "Chưa kết nối được với hệ thống định danh của tỉnh. Vui lòng thử lại sau ít phút "
        "hoặc đăng nhập bằng tài khoản của cổng."
    )


# --- The provider's settings ---------------------------------------------------------------

_documents: dict[str, tuple[float, dict]] = {}


def discovery_url() -> str:
    """OIDC_OP_DISCOVERY_URL as the document's URL (the issuer alone is accepted too)."""
    url = settings.OIDC_OP_DISCOVERY_URL.rstrip("/")
    return url if url.endswith(WELL_KNOWN) else url + WELL_KNOWN


def provider_metadata() -> dict:
    """The provider's discovery document, read once per OIDC_DISCOVERY_CACHE_SECONDS."""
    url = discovery_url()
    fetched = _documents.get(url)
    if fetched and time.monotonic() - fetched[0] < settings.OIDC_DISCOVERY_CACHE_SECONDS:
        return fetched[1]
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT, verify=settings.OIDC_VERIFY_SSL)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(url) from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable(url)
    _documents[url] = (time.monotonic(), document)
    return document


def oidc_setting(name: str, *default):
    """A setting as mozilla-django-oidc reads it; an endpoint not set one by one comes from
    the discovery document (may raise ProviderUnavailable)."""
    if name not in DISCOVERED:
        return import_from_settings(name, *default)
    value = getattr(settings, name, "")
    if not value and settings.OIDC_OP_DISCOVERY_URL:
        value = provider_metadata().get(DISCOVERED[name], "")
    return value or (default[0] if default else value)


# --- The provider's answer -----------------------------------------------------------------


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def claim_roles(raw) -> frozenset[str] | None:
    """The portal roles in the roles claim (None: no claim, the user keeps their roles)."""
    if raw is None:
        return None
    if isinstance(raw, str):
        values = raw.replace(",", " ").split()
    elif isinstance(raw, list | tuple):
        values = [str(value) for value in raw]
    else:
        raise SignInRefused(
            _("Hệ thống định danh trả về vai trò không đúng dạng. Đề nghị liên hệ Sở Nội vụ."),
            reason="roles claim is not a list",
        )
    mapping = settings.OIDC_ROLE_MAP
    if mapping:
        return frozenset(mapping[value] for value in values if value in mapping)
    return frozenset(values)


def identity_from_claims(claims: dict) -> Identity:
    return Identity(
        username=_text(claims.get(settings.OIDC_USERNAME_CLAIM)),
        full_name=_text(claims.get("name")),
        email=_text(claims.get("email")),
        agency_code=_text(claims.get(settings.OIDC_AGENCY_CLAIM)) or None,
        roles=claim_roles(claims.get(settings.OIDC_ROLES_CLAIM)),
        source="oidc",
    )


def second_factor_asserted(id_claims: dict) -> bool:
    """Whether the ID token says the provider checked a second factor (OIDC_MFA_AMR/ACR)."""
    amr = id_claims.get("amr") or []
    methods = {amr} if isinstance(amr, str) else {str(method) for method in amr}
    acr = id_claims.get("acr")
    return bool(methods & set(settings.OIDC_MFA_AMR)) or (
        acr is not None and str(acr) in settings.OIDC_MFA_ACR
    )


def check_id_token(id_claims: dict) -> None:
    """The ID token is for this portal and from the configured provider."""
    audience = id_claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else list(audience or [])
    if settings.OIDC_RP_CLIENT_ID not in audiences:
        raise SignInRefused(unavailable_message(), reason="ID token for another client")
    issuer = oidc_setting("OIDC_OP_ISSUER")
    if issuer and id_claims.get("iss") != issuer:
        raise SignInRefused(unavailable_message(), reason="ID token from another issuer")


def _lazy(name: str, *default) -> property:
    return property(lambda self: oidc_setting(name, *default))


class PortalOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend under the portal's rules (the module docstring).

    A refusal the portal decides (unknown, deactivated, a body or role it does not know,
    a provider that does not answer) leaves a message for the sign-in page and an audit
    entry, and hands back an unsaved, inactive user: Django returns it as it would a found
    user and the callback's `is_active` check turns it into a failure. So the refusal is
    not also counted by django-axes as a password failure — with no username, that would
    lock every officer behind the same address out of this route."""

    get_settings = staticmethod(oidc_setting)
    OIDC_OP_TOKEN_ENDPOINT = _lazy("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = _lazy("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = _lazy("OIDC_OP_JWKS_ENDPOINT", None)
    OIDC_RP_CLIENT_ID = _lazy("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = _lazy("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = _lazy("OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_RP_IDP_SIGN_KEY = _lazy("OIDC_RP_IDP_SIGN_KEY", None)

    def __init__(self, *args, **kwargs) -> None:
        # Nothing is read here: Django builds every backend for every sign-in (the password
        # form's too) and every request, and an endpoint may need the provider's document.
        self.UserModel = get_user_model()

    def get_user(self, user_id):
        return ModelBackend.get_user(self, user_id)  # a deactivated user's session ends

    def authenticate(self, request, **kwargs):
        """The flow's last step, on the callback only (nonce and PKCE verifier given), never
        for the password form whatever its address holds."""
        if (
            request is None
            or set(kwargs) != {"nonce", "code_verifier"}
            or request.path != reverse("oidc_authentication_callback")
        ):
            return None
        try:
            return super().authenticate(request, **kwargs)
        except SignInRefused as refusal:
            return self._refuse(request, refusal)
        except (
            ProviderUnavailable,
            requests.RequestException,
            SuspiciousOperation,
            jwt.PyJWTError,
            KeyError,
            ValueError,
        ) as exc:
            LOGGER.warning("OpenID Connect sign-in failed: %s", exc, exc_info=True)
            return self._refuse(
                request, SignInRefused(unavailable_message(), reason=type(exc).__name__)
            )

    def get_or_create_user(self, access_token, id_token, payload):
        """The provider's answer under the portal's rules (the module docstring)."""
        check_id_token(payload)
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            raise SignInRefused(unavailable_message(), reason="userinfo about another subject")
        claims = {**payload, **userinfo}
        if not self.verify_claims(claims):
            raise SignInRefused(
                _("Hệ thống định danh không cho biết tên đăng nhập. Đề nghị liên hệ Sở Nội vụ."),
                reason=f"no {settings.OIDC_USERNAME_CLAIM} claim",
            )
        user = self.filter_users_by_claims(claims).first()
        user = self.update_user(user, claims) if user else self.create_user(claims)
        user.oidc_second_factor = second_factor_asserted(payload)
        return user

    def verify_claims(self, claims) -> bool:
        return bool(_text(claims.get(settings.OIDC_USERNAME_CLAIM)))

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(
            username=_text(claims.get(settings.OIDC_USERNAME_CLAIM))
        )

    def create_user(self, claims) -> User:
        username = _text(claims.get(settings.OIDC_USERNAME_CLAIM))
        if not settings.OIDC_CREATE_USERS:
            raise SignInRefused(
                _(
                    "Tài khoản “%(username)s” chưa có trên cổng. Đề nghị liên hệ Sở Nội vụ "
                    "để được cấp quyền truy cập."
                )
                % {"username": username},
                reason="unknown user",
                username=username,
            )
        longest = self.UserModel._meta.get_field("username").max_length
        try:
            self.UserModel.username_validator(username)
            valid = len(username) <= longest
        except ValidationError:
            valid = False
        if not valid:
            raise SignInRefused(
                _("Tên đăng nhập “%(username)s” không dùng được trên cổng.")
                % {"username": username[:longest]},
                reason="username not valid on the portal",
                username=username[:longest],
            )
        identity = identity_from_claims(claims)
        if not identity.agency_code:
            raise SignInRefused(
                _("Hệ thống định danh không cho biết cơ quan của tài khoản “%(username)s”.")
                % {"username": username},
                reason="no body claim for a new user",
                username=username,
            )
        return self._apply(self.UserModel(username=username), identity)

    def update_user(self, user, claims) -> User:
        if not user.is_active:
            raise SignInRefused(
                _("Tài khoản “%(username)s” đã bị khóa trên cổng. Đề nghị liên hệ Sở Nội vụ.")
                % {"username": user.username},
                reason="deactivated user",
                username=user.username,
            )
        return self._apply(user, identity_from_claims(claims))

    def _apply(self, user: User, identity: Identity) -> User:
        try:
            return apply_identity(user, identity)
        except IdentityRefused as exc:
            raise SignInRefused(
                _("Không đăng nhập được bằng tài khoản định danh: %(reason)s") % {"reason": exc},
                reason=f"identity refused: {exc}",
                username=identity.username,
            ) from exc

    def _refuse(self, request: HttpRequest, refusal: SignInRefused) -> User:
        request.session.pop(ID_TOKEN_SESSION_KEY, None)
        messages.error(request, refusal.message)
        security_event_record(
            kind=SecurityEvent.Kind.LOGIN_FAILED,
            request=request,
            username=refusal.username,
            detail=f"OIDC: {refusal.reason}",
        )
        return self.UserModel(username=refusal.username, is_active=False)


# --- Sign-out ------------------------------------------------------------------------------


def provider_logout_url(request: HttpRequest) -> str | None:
    """Where the portal's sign-out sends the browser so that the provider's session ends too
    (RP-initiated logout), or None: not an OpenID Connect session, or a provider without an
    end_session_endpoint. Asked before the portal's session ends (settings.SIGN_OUT_HOOKS)."""
    id_token = request.session.get(ID_TOKEN_SESSION_KEY)
    if not (settings.OIDC_ENABLED and id_token):
        return None
    try:
        endpoint = oidc_setting("OIDC_OP_LOGOUT_ENDPOINT")
    except ProviderUnavailable:
        LOGGER.warning("OpenID Connect sign-out: the provider's document is unreachable.")
        return None
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(
                resolve_url(settings.LOGOUT_REDIRECT_URL)
            ),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
