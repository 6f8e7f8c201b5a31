"""API × method × cast matrix for the coordination endpoints and the schema and docs
(STYLE.md rule 11), and the API's completeness test: every route under the ``api``
namespace × every method its view accepts is in the ``API_COVERED`` set of some
``tests/test_api*_permissions.py`` module; every method it does not accept answers 405.

Allowed writes change state; refused ones change nothing. The cast calls with its session
(``tests/conftest.py``); the token's own rules are in tests/test_api_tokens*.py."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests
from agencies.models import Agency
from coordination import services
from coordination.models import Attachment, Contribution, Notification, Participation, Task
from tests.conftest import CAST
from tests.coordination_factories import make_task

ANON = 401  # the API answers 401 in its error format, never a redirect to the sign-in page
METHODS = ("get", "post", "put", "patch", "delete")


def expect(default: int, **overrides: int) -> dict[str, int]:
    codes = dict.fromkeys(CAST, default)
    codes["anonymous"] = ANON
    codes.update(overrides)
    return codes


EVERYONE = expect(200)
PUBLIC = expect(200, anonymous=200)
# The item: STP chairs, SNV tracks (Nội vụ officer, its focal officer, the council member),
# STC contributes; Sở Y tế has no part; leadership reads everything.
ITEM = expect(200, unrelated_focal=404)
# STC's sent contribution: STC, the chairing and tracking bodies and leadership see it.
SENT = expect(200, unrelated_focal=404)
# STP's draft consolidation: STP's alone.
DRAFT = expect(404, chair_focal=200, chair_staff=200)


def pdf() -> dict:
    return {"file": SimpleUploadedFile("bao-cao.pdf", b"%PDF-1.4\n%test\n", "application/pdf")}


NEW_DRAFT = {"form": "comment", "body": "Ý kiến mới qua API"}

# (url name, object, method, body (or a function making it), format, expected per cast)
MATRIX = [
    ("api:agency-list", None, "get", None, None, EVERYONE),
    ("api:agency-detail", "agency", "get", None, None, EVERYONE),
    ("api:task-list", None, "get", None, None, EVERYONE),
    ("api:task-detail", "task", "get", None, None, ITEM),
    ("api:contribution-list", None, "get", None, None, EVERYONE),
    ("api:contribution-detail", "sent", "get", None, None, SENT),
    ("api:contribution-detail", "draft", "get", None, None, DRAFT),
    (
        "api:contribution-list",
        None,
        "post",
        lambda world: {"task": world["task"], **NEW_DRAFT},
        "json",
        # STP's focal officer and staff save STP's draft; STC has sent its part already
        # (the service refuses, 400); the tracking body, leadership and the council write
        # no contribution (403); Sở Y tế does not see the item (404).
        expect(403, chair_focal=201, chair_staff=201, contrib_focal=400, unrelated_focal=404),
    ),
    ("api:contribution-attach", "draft", "post", lambda world: pdf(), "multipart", DRAFT | {
        "chair_focal": 201, "chair_staff": 201}),
    # Another body's sent text: 403 where it is seen; its own body: 400 (already sent).
    ("api:contribution-attach", "sent", "post", lambda world: pdf(), "multipart",
     expect(403, contrib_focal=400, unrelated_focal=404)),
    # Staff draft for their focal officer but do not send (403).
    ("api:contribution-submit", "draft", "post", None, "json",
     DRAFT | {"chair_focal": 200, "chair_staff": 403}),
    ("api:contribution-submit", "sent", "post", None, "json",
     expect(403, contrib_focal=400, unrelated_focal=404)),
    ("api:schema", None, "get", None, None, PUBLIC),
    ("api:docs", None, "get", None, None, PUBLIC),
]  # fmt: skip

API_COVERED = {(row[0], row[2]) for row in MATRIX}
# The page completeness test (tests/test_permissions.py) leaves the api namespace to the
# API's own test below, which knows DRF's methods.
COVERED_URL_METHODS = API_COVERED


@pytest.fixture
def world(
    noivu, leader, council, chair_focal, tracker_focal, contrib_focal, unrelated_focal, chair_staff
):
    task = make_task(actor=noivu, contributors=("STC",))
    sent = services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="Ý kiến của STC", submit=True
    )
    draft = services.contribution_save(
        actor=chair_focal, task=task, form="report", body="Dự thảo tổng hợp", submit=False
    )
    return {
        "task": task.pk,
        "sent": sent.pk,
        "draft": draft.pk,
        "agency": Agency.objects.get(code="STP").pk,
    }


def snapshot():
    return (
        list(Task.objects.order_by("pk").values_list("status", "version")),
        list(Participation.objects.order_by("pk").values_list("status")),
        list(
            Contribution.objects.order_by("pk").values_list(
                "body", "submitted_at", "submitted_by_id"
            )
        ),
        Attachment.objects.count(),
        Contribution.history.count(),
        Notification.objects.count(),
    )


CASES = [
    pytest.param(*row[:5], who, row[5][who], id=f"{row[2]}-{row[0]}-{row[1]}-{who}")
    for row in MATRIX
    for who in CAST
]


@pytest.mark.django_db
@pytest.mark.parametrize("url_name,obj,method,body,fmt,who,expected", CASES)
def test_api_permission_matrix(world, cast, url_name, obj, method, body, fmt, who, expected):
    url = reverse(url_name, args=[world[obj]] if obj else None)
    client = cast(who)
    before = snapshot()
    if method == "get":
        response = client.get(url)
    else:
        data = body(world) if callable(body) else (body or {})
        if fmt == "json":
            response = client.post(url, data, content_type="application/json")
        else:
            response = client.post(url, data)
    assert response.status_code == expected, response.content[:300]
    if expected >= 400:
        assert response.json()["error"]["message"]
    if method != "get":
        changed = snapshot() != before
        assert changed == (expected < 400), "allowed writes change state; refused ones nothing"


# --- Completeness ---------------------------------------------------------------------------


def _api_routes(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_routes(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name and namespace == "api":
            yield f"api:{pattern.name}", pattern


def accepted_methods(callback) -> set[str]:
    """Methods a DRF view accepts: a viewset route's ``actions`` mapping (what the router
    bound), an APIView's handler methods."""
    actions = getattr(callback, "actions", None)
    if actions is not None:
        return set(actions) & set(METHODS)
    view_class = callback.cls
    return {m for m in METHODS if m in view_class.http_method_names and hasattr(view_class, m)}


API_ROUTES = dict(_api_routes(get_resolver().url_patterns))


def _covered() -> set[tuple[str, str]]:
    covered: set[tuple[str, str]] = set()
    for module in pkgutil.iter_modules(tests.__path__):
        if module.name.startswith("test_api") and module.name.endswith("_permissions"):
            imported = importlib.import_module(f"tests.{module.name}")
            covered |= set(getattr(imported, "API_COVERED", set()))
    return covered


def test_every_api_route_and_method_is_in_a_permission_matrix():
    covered = _covered()
    missing = sorted(
        f"{method.upper()} {name}"
        for name, pattern in API_ROUTES.items()
        for method in accepted_methods(pattern.callback)
        if (name, method) not in covered
    )
    assert not missing, f"API route × method missing from the permission matrices: {missing}"
    assert {name for name, _m in covered} <= set(API_ROUTES), "a matrix names a route gone"


def _dummy_kwargs(pattern) -> dict:
    return dict.fromkeys(pattern.pattern.regex.groupindex, "999999")


REFUSED = [
    (name, method)
    for name, pattern in API_ROUTES.items()
    for method in METHODS
    if method not in accepted_methods(pattern.callback)
]


@pytest.mark.django_db
@pytest.mark.parametrize("name,method", REFUSED, ids=[f"{m}-{n}" for n, m in REFUSED])
def test_a_method_the_api_view_refuses_gets_405_in_the_error_format(name, method, cast):
    url = reverse(name, kwargs=_dummy_kwargs(API_ROUTES[name]))
    response = getattr(cast("noivu"), method)(url, content_type="application/json")
    assert response.status_code == 405, (name, method, response.status_code)
    assert response.json()["error"]["code"] == "method_not_allowed"
