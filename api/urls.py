"""/api/: the REST API v1, its OpenAPI schema and browsable docs (docs/api.md).

Each part registers its viewsets on the one router: `api.coordination_api` (bodies, items,
participations, contributions), `api.reports_api` (report rounds, a body's report),
`api.scoring_api` (scoring periods, published results).
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from api import coordination_api, reports_api, scoring_api

app_name = "api"

router = DefaultRouter()
for part in (coordination_api, reports_api, scoring_api):
    part.register(router)

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]
