"""The OpenAPI schema of the API is valid, and the API keeps to it: schemathesis calls
every operation through the WSGI application with generated input (valid and invalid),
signed in with a personal token, and checks that no answer is a server error and every
answer — status, content type, body — is the one the schema documents."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from django.test import Client
from django.urls import reverse
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.tokens import token_create
from coordination import services
from phuyen_cchc.wsgi import application
from tests.coordination_factories import make_task
from tests.factories import in_days

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PDF = b"%PDF-1.4\n%test\n"
EXAMPLES = 12  # per operation and mode: the whole run stays well under a minute


@pytest.mark.django_db
def test_the_schema_is_a_valid_openapi_3_document():
    response = Client().get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    document = json.loads(response.content)
    validate_schema(document)
    assert document["openapi"].startswith("3.")
    paths = set(document["paths"])
    assert {"/api/v1/tasks/", "/api/v1/contributions/{id}/submit/"} <= paths
    operation = document["paths"]["/api/v1/tasks/{id}/"]["get"]
    assert {"200", "401", "404"} <= set(operation["responses"])
    assert {"tokenAuth", "cookieAuth"} <= set(document["components"]["securitySchemes"])


@pytest.mark.django_db
def test_the_schema_generates_without_warnings(tmp_path):
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yaml"),
    )


@pytest.mark.django_db
def test_the_docs_page_runs_under_the_csp():
    page = Client().get(reverse("api:docs"))
    html = page.content.decode()
    assert page.status_code == 200 and "script-src 'self'" in page["Content-Security-Policy"]
    assert "<style" not in html and "<script>" not in html  # no inline script or style
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    script = Client().get(reverse("api:docs"), {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


@pytest.fixture
def api_world(noivu, contrib_focal, chair_focal):
    """A contributing body's write token, an item it may still write to, its draft and
    another body's draft (so detail and write operations meet real rows)."""
    task = make_task(actor=noivu, contributors=("STC", "TUYHOA"))
    services.contribution_save(
        actor=chair_focal, task=task, form="report", body="Dự thảo", submit=False
    )
    draft = services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="Nháp", submit=False
    )
    _token, key = token_create(
        user=contrib_focal, name="schemathesis", scope="write", expires_at=in_days(30)
    )
    return {"headers": {"Authorization": f"Bearer {key}"}, "task": task.pk, "draft": draft.pk}


def _strategy(operation, mode, world):
    """Generated cases; valid ones of the contribution operations aim at the real item and
    draft part of the time, so the services' own paths (saved, sent, refused) are reached."""
    strategy = operation.as_strategy(generation_mode=mode)
    if mode != schemathesis.GenerationMode.POSITIVE or "contributions" not in operation.path:
        return strategy
    if "{id}" in operation.path:
        return strategy | operation.as_strategy(
            generation_mode=mode, path_parameters={"id": world["draft"]}
        )
    if operation.method.upper() == "POST":
        return strategy | strategy.map(lambda case: _on_task(case, world["task"]))
    return strategy


def _on_task(case, task_id: int):
    if isinstance(case.body, dict):
        case.body = {**case.body, "task": task_id}
    return case


@pytest.fixture
def no_throttle(monkeypatch):
    """Hundreds of calls in a few seconds: the rate limit is tested on its own. And the
    test's database connection stays open across the WSGI calls, as Django's test client
    keeps it (the request signals would close it inside the test's transaction)."""
    from api.base import PortalAPIMixin

    monkeypatch.setattr(PortalAPIMixin, "get_throttles", lambda self: [], raising=False)
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _run(operation, mode, world, statuses: list[int]) -> None:
    @given(case=_strategy(operation, mode, world))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        response = case.call_and_validate(headers=world["headers"], checks=CHECKS)
        statuses.append(response.status_code)

    check()


@pytest.mark.django_db
def test_schemathesis_finds_no_server_error_and_no_answer_off_the_schema(api_world, no_throttle):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    failures, statuses = [], []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            try:
                _run(operation, mode, api_world, statuses)
            except (Exception, BaseExceptionGroup) as exc:  # every operation's failure listed
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
    assert operations >= 8
    # The token was taken: the API answered, not only refused.
    assert {200, 400, 404} <= set(statuses), sorted(set(statuses))


@pytest.mark.django_db
def test_the_answers_of_a_whole_contribution_match_the_schema(api_world, no_throttle):
    """Save, attach, send and read back one contribution: each answer checked by the
    schema (generated input rarely passes the services' rules)."""
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    headers = api_world["headers"]
    created = (
        schema["/api/v1/contributions/"]["POST"]
        .Case(
            body={"task": api_world["task"], "form": "comment", "body": "Ý kiến"},
            media_type="application/json",
        )
        .call_and_validate(headers=headers, checks=CHECKS)
    )
    assert created.status_code == 201
    draft = {"id": created.json()["id"]}
    attached = (
        schema["/api/v1/contributions/{id}/attachments/"]["POST"]
        .Case(path_parameters=draft, body={"file": PDF}, media_type="multipart/form-data")
        .call_and_validate(headers=headers, checks=CHECKS)
    )
    assert attached.status_code == 201, attached.text
    for path, method in (
        ("/api/v1/contributions/{id}/submit/", "POST"),
        ("/api/v1/contributions/{id}/", "GET"),
    ):
        answer = (
            schema[path][method]
            .Case(path_parameters=draft)
            .call_and_validate(headers=headers, checks=CHECKS)
        )
        assert answer.status_code == 200 and answer.json()["submitted"]
    detail = (
        schema["/api/v1/tasks/{id}/"]["GET"]
        .Case(path_parameters={"id": api_world["task"]})
        .call_and_validate(headers=headers, checks=CHECKS)
    )
    assert detail.json()["my_role"] == "contribute"
