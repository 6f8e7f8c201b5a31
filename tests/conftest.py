"""The fixed cast (STYLE.md rule 10) and shared fixtures.

anonymous, a Nội vụ officer, leadership, a council member, focal officers of a
chairing body (Sở Tư pháp), a tracking body (Sở Nội vụ's focal officer), a contributing
body (Sở Tài chính) and an unrelated body (Sở Y tế), and a staff member (agency staff
role) of the chairing body. Real bodies come from the data
migration, so codes match the demo.
"""

from __future__ import annotations

import pytest
from django.test import Client

from agencies import roles
from tests.factories import UserFactory, agency

PASSWORD = "Mat-khau-thu-nghiem-2024"


@pytest.fixture(autouse=True)
def _test_settings(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # A fast hasher: the cast is rebuilt for every test (production keeps PBKDF2).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Jobs run at once, in the test's thread (the worker and Redis backends have their own
    # tests: tests/test_jobs_*.py).
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": settings.TASK_QUEUES,
        }
    }
    # The cast signs in with force_login (no second factor); tests/test_security*.py turn
    # two-factor enforcement back on where they test it.
    settings.MFA_REQUIRED = False


@pytest.fixture
def noivu(db):
    return UserFactory(
        username="t_noivu",
        agency=agency("SNV"),
        roles=[roles.NOIVU_OFFICER],
        full_name="Trần Thị Lan",
    )


@pytest.fixture
def leader(db):
    return UserFactory(
        username="t_lanhdao",
        agency=agency("VPUBND"),
        roles=[roles.LEADERSHIP],
        full_name="Nguyễn Văn Hùng",
    )


@pytest.fixture
def council(db):
    return UserFactory(
        username="t_hoidong",
        agency=agency("SNV"),
        roles=[roles.COUNCIL_MEMBER],
        full_name="Lê Thị Thu",
    )


@pytest.fixture
def chair_focal(db):
    return UserFactory(username="t_stp", agency=agency("STP"), roles=[roles.FOCAL_OFFICER])


@pytest.fixture
def tracker_focal(db):
    return UserFactory(username="t_snv", agency=agency("SNV"), roles=[roles.FOCAL_OFFICER])


@pytest.fixture
def contrib_focal(db):
    return UserFactory(username="t_stc", agency=agency("STC"), roles=[roles.FOCAL_OFFICER])


@pytest.fixture
def district_focal(db):
    return UserFactory(username="t_tuyhoa", agency=agency("TUYHOA"), roles=[roles.FOCAL_OFFICER])


@pytest.fixture
def unrelated_focal(db):
    return UserFactory(username="t_syt", agency=agency("SYT"), roles=[roles.FOCAL_OFFICER])


@pytest.fixture
def chair_staff(db):
    return UserFactory(username="t_stp_staff", agency=agency("STP"), roles=[roles.AGENCY_STAFF])


CAST = [
    "anonymous",
    "noivu",
    "leader",
    "council",
    "chair_focal",
    "tracker_focal",
    "contrib_focal",
    "unrelated_focal",
    "chair_staff",
]


@pytest.fixture
def cast(request, db):
    """Logged-in clients by cast name (anonymous is a plain client)."""

    def client_for(name: str) -> Client:
        client = Client()
        if name != "anonymous":
            client.force_login(request.getfixturevalue(name))
        return client

    return client_for


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Transactional tests last (the browser tests, then the races between threads): each
    restores the migrated data at its start and empties the database at its end, so the
    tests in a transaction, which expect the migrated bodies, run first."""

    def transactional(item) -> bool:
        marker = item.get_closest_marker("django_db")
        return bool(marker and marker.kwargs.get("transaction"))

    def browser(item) -> bool:
        return "/e2e/" in str(item.path).replace("\\", "/")

    # Plain tests, then the browser tests, then the other transactional ones (threads).
    items.sort(key=lambda item: (transactional(item) and not browser(item), browser(item)))


def form_token(response) -> str:
    """The one-time token of the create form on a page (``agencies.once``)."""
    import re

    match = re.search(r'name="once" value="([^"]+)"', response.content.decode())
    assert match, "the page has no one-time form token"
    return match.group(1)
