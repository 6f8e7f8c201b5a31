"""The sign-in views of the province's identity provider: mozilla-django-oidc's, under the
portal's rules (docs/sso.md). Both answer 404 while OIDC_ENABLED is off; every failure goes
back to the sign-in page with a message, never to an error page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import View
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from agencies.mfa import mfa_session_asserted
from sso.oidc import ProviderUnavailable, oidc_setting, unavailable_message


def _require_enabled() -> None:
    if not settings.OIDC_ENABLED:
        raise Http404


class OIDCSignInStart(OIDCAuthenticationRequestView):
    """ "Đăng nhập bằng tài khoản định danh của tỉnh": on to the provider's sign-in."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, **kwargs) -> None:
        # mozilla-django-oidc reads the endpoint here; the portal reads it in `get`, once it
        # knows OIDC is on (and the provider's document may be needed).
        View.__init__(self, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_enabled()
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderUnavailable:
            messages.error(request, unavailable_message())
            return redirect("login")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class OIDCSignInReturn(OIDCAuthenticationCallbackView):
    """The provider sends the browser back here with a code; PortalOIDCBackend takes it."""

    get_settings = staticmethod(oidc_setting)

    @property
    def failure_url(self) -> str:
        return reverse("login")

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_enabled()
        state = request.GET.get("state")
        pending = request.session.get("oidc_states", {})
        if request.GET.get("error"):
            # The provider's refusal: no sign-out (mozilla-django-oidc would sign a signed-in
            # user out, so a link from anywhere could), the state used up.
            if pending.pop(state, None) is not None:
                request.session.modified = True
            messages.error(
                request, _("Hệ thống định danh không xác nhận việc đăng nhập. Vui lòng thử lại.")
            )
            return self.login_failure()
        if state is not None and state not in pending:
            messages.error(
                request,
                _("Lượt đăng nhập này đã hết hạn hoặc đã được dùng. Vui lòng đăng nhập lại."),
            )
            return self.login_failure()
        return super().get(request)

    def login_success(self) -> HttpResponse:
        response = super().login_success()
        if getattr(self.user, "oidc_second_factor", False):
            mfa_session_asserted(self.request, "oidc")
        return response
