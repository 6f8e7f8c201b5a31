import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from agencies import roles
from agencies.models import Agency, User
from tests.factories import AgencyFactory, UserFactory, agency

ROOT = Path(__file__).resolve().parent.parent
# Set by the browser tests' fixtures; never present in a deployment.
TEST_ONLY_ENV = {"DJANGO_ALLOW_ASYNC_UNSAFE"}


@pytest.mark.django_db
def test_real_bodies_are_loaded_with_codes_and_groups():
    assert Agency.objects.count() == 30
    assert Agency.objects.lead().code == "SNV"
    assert agency("TUYHOA").name == "Ủy ban nhân dân thành phố Tuy Hòa"
    assert agency("TUYHOA").stats_code == "555"
    assert Agency.objects.filter(kind="district").count() == 9
    assert all(a.group.name == f"agency:{a.code}" for a in Agency.objects.all())


@pytest.mark.django_db
def test_second_active_lead_body_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        AgencyFactory(code="X1", kind=Agency.Kind.LEAD)


@pytest.mark.django_db
def test_a_retired_lead_body_may_stand_beside_the_active_one():
    import datetime as dt

    old = AgencyFactory(code="SNVOLD", kind=Agency.Kind.LEAD, valid_to=dt.date(2020, 12, 31))
    assert old.pk and Agency.objects.lead().code == "SNV"


@pytest.mark.django_db
def test_body_group_follows_its_code():
    body = AgencyFactory(code="ABC")
    body.code = "ABD"
    body.save()
    assert Group.objects.filter(name="agency:ABD").exists()
    assert not Group.objects.filter(name="agency:ABC").exists()


@pytest.mark.django_db
def test_user_is_member_of_exactly_their_body_group():
    user = UserFactory(agency=agency("STP"))
    assert user.groups.filter(name="agency:STP").exists()
    user.agency = agency("STC")
    user.save()
    names = set(user.groups.values_list("name", flat=True))
    assert "agency:STC" in names and "agency:STP" not in names


@pytest.mark.django_db
def test_history_records_agency_and_user_changes():
    body = agency("STP")
    body.short_name = "Tư pháp (mới)"
    body.save()
    assert body.history.first().short_name == "Tư pháp (mới)"
    user = UserFactory()
    user.position = "Phó Trưởng phòng"
    user.save()
    assert user.history.first().position == "Phó Trưởng phòng"


@pytest.mark.django_db
def test_roles_are_created_idempotently_with_permissions():
    roles.ensure_roles()
    roles.ensure_roles()
    for role in roles.ROLE_LABELS:
        assert Group.objects.filter(name=roles.group_name(role)).count() == 1
    officer = roles.role_group(roles.NOIVU_OFFICER)
    assert officer.permissions.filter(codename="add_task").exists()
    assert (
        not roles.role_group(roles.FOCAL_OFFICER).permissions.filter(codename="view_task").exists()
    )


@pytest.mark.django_db
def test_sign_in_with_password_and_sign_out(client):
    UserFactory(username="stp_user", agency=agency("STP"))
    response = client.post(
        reverse("login"), {"username": "stp_user", "password": "Mat-khau-thu-nghiem-2024"}
    )
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_wrong_password_gets_a_vietnamese_message(client):
    UserFactory(username="stp_user", agency=agency("STP"))
    response = client.post(reverse("login"), {"username": "stp_user", "password": "sai-mat-khau"})
    assert "không đúng" in response.content.decode()


@pytest.mark.django_db
def test_login_is_required_everywhere(client):
    for name in ["home", "agency_list", "profile", "task_list"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who,visible,hidden",
    [
        ("noivu", ["Tổng quan theo cơ quan", "Tạo nhiệm vụ"], []),
        ("leader", ["Tổng quan theo cơ quan"], ["Tạo nhiệm vụ"]),
        ("chair_focal", ["Nhiệm vụ phối hợp"], ["Tổng quan theo cơ quan", "Tạo nhiệm vụ"]),
    ],
)
def test_menu_shows_only_what_the_role_may_use(cast, who, visible, hidden):
    html = cast(who).get(reverse("home")).content.decode()
    for text in visible:
        assert text in html
    for text in hidden:
        assert text not in html


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["noivu", "leader", "council", "chair_focal", "unrelated_focal"])
def test_directory_pages_for_every_role(cast, who):
    client = cast(who)
    listing = client.get(reverse("agency_list")).content.decode()
    assert "Sở Tư pháp" in listing and "Ủy ban nhân dân huyện Đồng Xuân" in listing
    detail = client.get(reverse("agency_detail", args=["SNV"]))
    assert detail.status_code == 200
    assert client.get(reverse("agency_detail", args=["NOPE"])).status_code == 404
    assert client.get(reverse("profile")).status_code == 200


@pytest.mark.django_db
def test_seed_demo_is_idempotent(settings):
    call_command("seed_demo", stdout=io.StringIO())
    counts = (User.objects.count(), Agency.objects.count())
    from coordination.models import Contribution, Task

    tasks = (Task.objects.count(), Contribution.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (User.objects.count(), Agency.objects.count()) == counts
    assert (Task.objects.count(), Contribution.objects.count()) == tasks
    for username in ["admin", "noivu", "lanhdao", "hoidong", "stp", "tuyhoa", "syt"]:
        assert User.objects.filter(username=username).exists()
    assert User.objects.get(username="stp").check_password(
        os.environ.get("DEMO_PASSWORD") or "PhuYen@CCHC2024"
    )


def _settings_process(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", *TEST_ONLY_ENV}}
    env.update(env_overrides)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; "
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'phuyen_cchc.settings'); "
            "django.setup()",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _settings_process({"DEBUG": "0", "ALLOWED_HOSTS": "cchc.example.gov.vn"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_starts_with_real_secret_and_hosts():
    result = _settings_process(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x" * 64 + "-real-secret",
            "ALLOWED_HOSTS": "cchc.example.gov.vn",
        }
    )
    assert result.returncode == 0, result.stderr


def test_deploy_check_is_clean_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_ENV}
    env.update(DEBUG="0", SECRET_KEY="k" * 64 + "-prod", ALLOWED_HOSTS="cchc.example.gov.vn")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
