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
    # A test writes and reads within a second: cached page parts are kept at once
    # (agencies.fragments; tests/test_fragments.py tests the 5 s rule itself).
    settings.FRAGMENT_SETTLE_SECONDS = 0


@pytest.fixture(autouse=True)
def _province_in_memory():
    """Pages read the province from this process's memory (agencies.lineage); start every
    test with the migrated row already read, as a running server has it, so query counts
    don't depend on which test rendered a page first. Saving a Province clears it."""
    from agencies import lineage
    from agencies.data import PROVINCE
    from agencies.models import Province

    name, short_name, regulation = PROVINCE
    lineage._memo.update(
        rows=[Province(name=name, short_name=short_name, regulation=regulation)],
        until=float("inf"),
    )
    yield
    lineage.forget_provinces()


@pytest.fixture(autouse=True)
def _migrated_data_in_transactional_tests(request):
    """A transactional test (threads, workers) starts from the migrated data: the bodies and
    their groups, content types and permissions. Django's serialized rollback restores them
    only while the connection that serialized them lives, and some tests make Django open a
    new one; so they are put back here when a previous test's flush removed them."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")) or "/e2e/" in str(request.node.path):
        return
    request.getfixturevalue("transactional_db")
    import importlib

    from django.apps import apps as django_apps
    from django.core.management.sql import emit_post_migrate_signal

    from agencies.models import Agency

    if Agency.objects.exists():
        return
    emit_post_migrate_signal(0, False, "default")  # content types and permissions
    importlib.import_module("agencies.migrations.0002_load_phuyen_agencies").load(django_apps, None)
    importlib.import_module("agencies.migrations.0007_bodies_over_time").load_province(
        django_apps, None
    )


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

    def group(item) -> int:
        if browser(item):
            return 1
        if transactional(item):
            return 2
        if item.path.name == "test_security_restore.py":
            # Restores into the suite's own database: Django reconnects afterwards, and the
            # migrated data a transactional test restores at its start is no longer there to
            # restore. Nothing that needs it runs after these.
            return 3
        return 0

    # Plain tests, the browser tests, the other transactional ones (threads, workers), and
    # the restore tests last.
    items.sort(key=group)


def form_token(response) -> str:
    """The one-time token of the create form on a page (``agencies.once``)."""
    import re

    match = re.search(r'name="once" value="([^"]+)"', response.content.decode())
    assert match, "the page has no one-time form token"
    return match.group(1)
