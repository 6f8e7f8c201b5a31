"""URL × method × cast matrix for the jobs page (STYLE.md rule 11; the page itself is
tests/test_jobs_page.py). Nội vụ officers and administrators (is_staff) may; every other
role gets 403, anonymous goes to sign in. Allowed POSTs change state; refused ones change
nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from tests.conftest import CAST
from tests.factories import UserFactory, agency
from tests.test_jobs_page import failed

ANON = 302
WHO = [*CAST, "admin_user"]


def expect(**allowed: int) -> dict[str, int]:
    codes = {name: 403 for name in WHO}
    codes["anonymous"] = ANON
    codes.update(allowed)
    return codes


MATRIX = [
    ("job_list", False, "get", expect(noivu=200, admin_user=200)),
    ("job_detail", True, "get", expect(noivu=200, admin_user=200)),
    ("job_retry", True, "post", expect(noivu=302, admin_user=302)),
]
COVERED_URL_METHODS = {(row[0], row[2]) for row in MATRIX}


@pytest.fixture
def admin_user(db):
    return UserFactory(username="t_quantri", agency=agency("SNV"), is_staff=True)


@pytest.fixture
def world(settings, db):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }
    return failed()


def snapshot():
    return sorted((str(job.pk), job.status, job.args_kwargs) for job in DBTaskResult.objects.all())


CASES = [
    pytest.param(url, has_pk, method, who, codes[who], id=f"{method}-{url}-{who}")
    for url, has_pk, method, codes in MATRIX
    for who in WHO
]


@pytest.mark.django_db
@pytest.mark.parametrize("url_name,has_pk,method,who,expected", CASES)
def test_permission_matrix(world, cast, request, url_name, has_pk, method, who, expected):
    url = reverse(url_name, args=[world.pk] if has_pk else [])
    if who == "admin_user":
        from django.test import Client

        client = Client()
        client.force_login(request.getfixturevalue("admin_user"))
    else:
        client = cast(who)
    before = snapshot()
    response = client.post(url) if method == "post" else client.get(url)
    assert response.status_code == expected, response.content[:300]
    if who == "anonymous":
        assert response.url.startswith(reverse("login"))
    if method == "post":
        assert (snapshot() != before) == (expected == 302 and who != "anonymous")


@pytest.mark.django_db
def test_an_unknown_job_is_404(world, cast):
    client = cast("noivu")
    assert client.get(reverse("job_detail", args=["KHONG-CO"])).status_code == 404
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.get(reverse("job_detail", args=[missing])).status_code == 404
    assert client.post(reverse("job_retry", args=[missing])).status_code == 404
