from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("accounts/", include("agencies.auth_urls")),
    path("admin/", admin.site.urls),
    path("tasks/", include("coordination.urls")),
    path("scoring/", include("scoring.urls")),
    path("reports/", include("reports.urls")),
    path("", include("agencies.urls")),
]
