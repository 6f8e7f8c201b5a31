from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from phuyen_cchc.home import home
from reports import verify_views

urlpatterns = [
    path("accounts/", include("agencies.auth_urls")),
    path("admin/", admin.site.urls),
    # Public: the language switcher is also on the sign-in page.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    # Public: the verification page of issued documents (the QR code's short URL).
    path("v/", verify_views.verify_lookup, name="verify_lookup"),
    path("v/<str:code>/", verify_views.verify_document, name="verify_document"),
    path("api/", include("api.urls")),
    # The profile's personal API tokens and calendar feed (issue 17).
    path("profile/tokens/", include("api.token_urls")),
    path("calendar/", include("feeds.urls")),
    path("sso/", include("sso.urls")),
    path("tasks/", include("coordination.urls")),
    path("scoring/", include("scoring.urls")),
    path("reports/", include("reports.urls")),
    # Reorganisation plans (issue 15): Nội vụ officers and administrators.
    path("reorganisation/", include("reorg.urls")),
    path("", home, name="home"),
    path("", include("agencies.urls")),
]
