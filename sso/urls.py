"""Sign-in through the province's identity provider (docs/sso.md). The URLs are always
there; the views answer 404 while OIDC_ENABLED is off."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from sso import oidc_views

urlpatterns = [
    # The names are mozilla-django-oidc's (it builds the redirect_uri from the callback's).
    path(
        "oidc/authenticate/",
        login_not_required(oidc_views.OIDCSignInStart.as_view()),
        name="oidc_authentication_init",
    ),
    path(
        "oidc/callback/",
        login_not_required(oidc_views.OIDCSignInReturn.as_view()),
        name="oidc_authentication_callback",
    ),
]
