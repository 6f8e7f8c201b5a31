"""How the API knows who is calling (docs/api.md, "Personal tokens").

``TokenAuthentication``: ``Authorization: Bearer <key>`` with a personal token
(``api.tokens``). An unknown, revoked or expired key, or a key of a deactivated user, is
refused with 401 and a Vietnamese message; the token's user becomes ``request.user`` (so
every write goes through the services under that user and is in history as theirs) and the
token itself ``request.auth`` (its scope is read by ``api.permissions.TokenScope``).

``PortalSessionAuthentication``: the portal's own session, for the browsable docs and for
pages' scripts. DRF's views are ``login_not_required``, so the portal's second-factor gate
(``agencies.middleware.MFARequiredMiddleware``) lets them through: this class applies the
same rule itself. The session timeout (``SessionTimeoutMiddleware``) runs for every request,
API ones included, before any view. CSRF is enforced for unsafe methods, as in DRF."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    get_authorization_header,
)
from rest_framework.exceptions import AuthenticationFailed

from agencies.mfa import mfa_session_needs_code, mfa_session_verified
from agencies.security import user_requires_mfa
from api.tokens import token_for_key, token_touch

KEYWORD = "bearer"


class TokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <key>``: one query (token and user), and at most one
    UPDATE a minute per token for its last use."""

    www_authenticate_realm = "api"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(
                _("Tiêu đề Authorization phải có dạng “Bearer <khóa>” (một khóa, không dấu cách).")
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("Khóa truy cập API không hợp lệ.")) from None
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str):
        token = token_for_key(key)
        if token is None:
            raise AuthenticationFailed(_("Khóa truy cập API không hợp lệ."))
        now = timezone.now()
        if token.revoked_at is not None:
            raise AuthenticationFailed(_("Khóa truy cập API đã bị thu hồi."))
        if token.is_expired(now):
            raise AuthenticationFailed(
                _("Khóa truy cập API đã hết hạn. Hãy tạo khóa mới trong trang cá nhân.")
            )
        if not token.user.is_active:
            raise AuthenticationFailed(_("Tài khoản của khóa này đã bị vô hiệu hóa."))
        token_touch(token, now)
        return token.user, token

    def authenticate_header(self, request):
        return f'Bearer realm="{self.www_authenticate_realm}"'


class PortalSessionAuthentication(SessionAuthentication):
    """The portal's session, under its second-factor rule (see the module docstring)."""

    def authenticate(self, request):
        result = super().authenticate(request)  # CSRF enforced for unsafe methods
        if result is None:
            return None
        user = result[0]
        if mfa_session_needs_code(request._request):
            raise AuthenticationFailed(
                _("Phiên đăng nhập chưa nhập mã xác thực hai yếu tố. Hãy nhập mã rồi thử lại.")
            )
        verified = mfa_session_verified(request._request)  # the portal's code or the provider's
        if settings.MFA_REQUIRED and not verified and user_requires_mfa(user):
            raise AuthenticationFailed(
                _("Vai trò của anh/chị bắt buộc dùng xác thực hai yếu tố: hãy bật trước.")
            )
        return result


class TokenScheme(OpenApiAuthenticationExtension):
    """The token in the OpenAPI schema: HTTP bearer."""

    target_class = "api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Khóa truy cập API cá nhân (docs/api.md)",
        }


class PortalSessionScheme(OpenApiAuthenticationExtension):
    """The portal's session cookie in the OpenAPI schema."""

    target_class = "api.authentication.PortalSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
