"""/api/: the REST API v1, its OpenAPI schema and browsable docs (docs/api.md).

Each part registers its viewsets on the one router: `api.coordination_api` (bodies, items,
participations, contributions), `api.reports_api` (report rounds, a body's report),
`api.scoring_api` (scoring periods, published results).

The schema (`/api/schema/`) and the docs page (`/api/docs/`) are public: they describe the
API, not its data (every data endpoint needs a token or a session). The docs page is
Swagger UI from the vendored sidecar assets, with its start script served as a file
(`?script`), so it runs under the portal's CSP (no inline script or style). Redoc is not
offered: its bundle needs inline styles and workers from blob: URLs the CSP refuses.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from api import coordination_api, reports_api, scoring_api
from api.base import PortalAPIMixin
from api.errors import error_body

app_name = "api"


class SchemaView(PortalAPIMixin, SpectacularAPIView):
    """The OpenAPI 3 document of the API (YAML, or JSON with ?format=json)."""

    renderer_classes = SpectacularAPIView.renderer_classes


class DocsView(PortalAPIMixin, SpectacularSwaggerSplitView):
    """Swagger UI: the page, then its start script from the same address (?script)."""

    template_name = "api/swagger_ui.html"
    renderer_classes = SpectacularSwaggerSplitView.renderer_classes


# No root view and no format suffixes: the docs page lists the endpoints; answers are JSON.
router = SimpleRouter()
for part in (coordination_api, reports_api, scoring_api):
    part.register(router)


@login_not_required
@csrf_exempt
def no_such_endpoint(request, *args, **kwargs) -> JsonResponse:
    """Any other address under /api/: a 404 in the error format, not the portal's page."""
    message = _("Không có địa chỉ API này; xem danh sách tại /api/docs/.")
    return JsonResponse(error_body("not_found", message), status=404)


urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^", no_such_endpoint),  # last; unnamed: no permission matrix row of its own
]
