"""Security behaviour: headers, lockout, session timeouts, sessions, two-factor, audit."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import SecurityEvent, UserSession
from coordination import services
from coordination.models import Attachment
from tests.conftest import PASSWORD, login
from tests.coordination_factories import make_task
from tests.factories import UserFactory, agency

BASE_DIR = Path(django_settings.BASE_DIR)


@pytest.fixture
def mfa_on(settings):
    settings.MFA_REQUIRED = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    return settings


def sign_in(client: Client, username: str, password: str = PASSWORD, ip: str = "10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def current_code(device: TOTPDevice) -> str:
    return str(totp(device.bin_key, device.step, device.t0, device.digits, device.drift)).zfill(
        device.digits
    )


# --- Headers and cookies --------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(cast):
    for client, name in [(cast("anonymous"), "login"), (cast("chair_focal"), "home")]:
        response = client.get(reverse(name))
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"


INLINE = re.compile(r"""style\s*=|<style|<script(?![^>]*\bsrc=)|\son[a-z]+\s*=""", re.I)


def test_page_templates_have_no_inline_scripts_or_styles():
    offenders = []
    for path in (BASE_DIR / "templates").rglob("*.html"):
        if "pdf" in path.relative_to(BASE_DIR / "templates").parts:
            continue  # rendered by WeasyPrint into PDF, never served as HTML
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INLINE.search(line):
                offenders.append(f"{path.relative_to(BASE_DIR)}:{number}")
    assert not offenders, offenders


@pytest.mark.django_db
def test_rendered_pages_have_no_inline_scripts_or_styles(cast):
    client = cast("noivu")
    for name in ["home", "profile", "session_list", "task_list", "agency_list", "mfa_setup"]:
        html = client.get(reverse(name)).content.decode()
        assert not INLINE.search(html), name


def test_production_uses_host_prefixed_secure_cookies():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "k" * 30 + "x9Q#" * 10,
        "ALLOWED_HOSTS": "cchc.example.gov.vn",
    }
    code = (
        "import django;django.setup();from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_NAME,s.CSRF_COOKIE_NAME,s.SESSION_COOKIE_SECURE,"
        "s.CSRF_COOKIE_SECURE,s.SESSION_COOKIE_HTTPONLY,s.SECURE_HSTS_SECONDS>0,s.MFA_REQUIRED)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "phuyen_cchc.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["__Host-sessionid", "__Host-csrftoken", "True", "True", "True", "True", "True"]


# --- Lockout --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ten_wrong_passwords_lock_that_user_from_that_address_only():
    user = UserFactory(username="khoa_thu", agency=agency("STP"))
    colleague = UserFactory(username="dong_nghiep", agency=agency("STP"))
    client = Client()
    for _ in range(10):
        assert sign_in(client, user.username, "sai-mat-khau").status_code in (200, 429)
    response = sign_in(client, user.username)
    assert response.status_code == 429
    assert "Tạm khóa đăng nhập" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # The same user from another address, and a colleague behind the same NAT, still sign in.
    assert sign_in(Client(), user.username, ip="10.0.0.2").status_code == 302
    assert sign_in(Client(), colleague.username).status_code == 302
    kinds = set(SecurityEvent.objects.values_list("kind", flat=True))
    assert {"login_failed", "lockout", "login"} <= kinds


@pytest.mark.django_db
def test_nine_wrong_passwords_do_not_lock():
    user = UserFactory(username="gan_khoa", agency=agency("STP"))
    for _ in range(9):
        sign_in(Client(), user.username, "sai-mat-khau")
    assert sign_in(Client(), user.username).status_code == 302


@pytest.mark.django_db
def test_noivu_officer_unlocks_a_locked_user(noivu):
    user = UserFactory(username="can_mo", agency=agency("STP"))
    for _ in range(11):
        sign_in(Client(), user.username, "sai-mat-khau")
    assert sign_in(Client(), user.username).status_code == 429
    officer = login(noivu)
    page = officer.get(reverse("lockout_list"))
    assert "can_mo" in page.content.decode()
    attempt_id = page.context["lockouts"][0]["id"]
    assert officer.post(reverse("lockout_release", args=[attempt_id])).status_code == 302
    assert sign_in(Client(), user.username).status_code == 302
    assert SecurityEvent.objects.filter(kind="unlock", user=noivu).exists()


# --- Session timeouts and sessions ----------------------------------------------------------


def _age_session(client: Client, **fields: float) -> None:
    session = client.session
    for key, seconds_ago in fields.items():
        session[key] = time.time() - seconds_ago
    session.save()


@pytest.mark.django_db
def test_idle_session_is_signed_out(chair_focal, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    client = login(chair_focal)
    assert client.get(reverse("home")).status_code == 200
    _age_session(client, _last_activity=601)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_absolute_session_limit_is_not_extended_by_activity(chair_focal, settings):
    settings.SESSION_COOKIE_AGE = 3600
    client = login(chair_focal)
    _age_session(client, _login_at=3601, _last_activity=5)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_user_sees_and_ends_another_session(chair_focal):
    laptop, phone = login(chair_focal), login(chair_focal)
    page = laptop.get(reverse("session_list"))
    assert len(page.context["sessions"]) == 2
    phone_key = phone.session.session_key
    laptop.post(reverse("session_end"), {"session_key": phone_key})
    assert phone.get(reverse("home")).status_code == 302
    assert laptop.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_user_cannot_end_the_current_session_by_accident(chair_focal):
    client = login(chair_focal)
    client.post(reverse("session_end"), {"session_key": client.session.session_key})
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_deactivating_a_user_ends_their_sessions(chair_focal):
    client = login(chair_focal)
    assert UserSession.objects.filter(user=chair_focal).exists()
    chair_focal.is_active = False
    chair_focal.save()
    assert not UserSession.objects.filter(user=chair_focal).exists()
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_sign_in_gives_a_new_session_key():
    UserFactory(username="phien_moi", agency=agency("STP"))
    client = Client()
    client.get(reverse("login"))
    client.cookies[django_settings.SESSION_COOKIE_NAME] = "x" * 32
    sign_in(client, "phien_moi")
    assert client.session.session_key != "x" * 32


@pytest.mark.django_db
def test_admin_action_ends_a_users_sessions(chair_focal, settings):
    admin = UserFactory(username="quan_tri", agency=agency("SNV"), is_staff=True)
    admin.is_superuser = True
    admin.save()
    victim = login(chair_focal)
    response = login(admin).post(
        reverse("admin:agencies_user_changelist"),
        {"action": "end_sessions", "_selected_action": [chair_focal.pk]},
    )
    assert response.status_code == 302
    assert victim.get(reverse("home")).status_code == 302


# --- Two-factor -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["noivu", "leader", "council"])
def test_officers_cannot_reach_the_portal_without_a_second_factor(mfa_on, cast, who):
    client = cast(who)
    response = client.get(reverse("task_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_setup"))


@pytest.mark.django_db
def test_superuser_needs_the_second_factor_for_the_admin(mfa_on):
    admin = UserFactory(username="quan_tri", agency=agency("SNV"), is_staff=True)
    admin.is_superuser = True
    admin.save()
    response = login(admin).get(reverse("admin:index"))
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_setup"))


@pytest.mark.django_db
def test_second_factor_is_optional_for_focal_officers(mfa_on, cast):
    assert cast("chair_focal").get(reverse("task_list")).status_code == 200


@pytest.mark.django_db
def test_officer_sets_up_totp_and_then_signs_in_with_it(mfa_on, noivu):
    client = Client()
    sign_in(client, noivu.username)
    assert client.get(reverse("home")).url.startswith(reverse("mfa_setup"))
    setup = client.get(reverse("mfa_setup"))
    assert "<svg" in setup.content.decode()
    assert not TOTPDevice.objects.filter(user=noivu).exists()  # nothing stored on GET
    pending_key = client.session["mfa_pending_key"]
    device = TOTPDevice(key=pending_key)
    assert client.post(reverse("mfa_setup"), {"token": "000000"}).status_code == 200
    done = client.post(reverse("mfa_setup"), {"token": current_code(device)})
    codes = done.context["codes"]
    assert len(codes) == 10
    device = TOTPDevice.objects.get(user=noivu)
    assert device.confirmed and device.key == pending_key
    assert "mfa_pending_key" not in client.session
    assert client.get(reverse("home")).status_code == 200
    assert SecurityEvent.objects.filter(kind="mfa_enabled", user=noivu).exists()

    # A new sign-in: the password alone is not enough; a recovery code works once.
    second = Client()
    sign_in(second, noivu.username)
    assert second.get(reverse("task_list")).url.startswith(reverse("mfa_verify"))
    assert second.post(reverse("mfa_verify"), {"token": "12345678"}).status_code == 200
    assert second.get(reverse("task_list")).status_code == 302
    response = second.post(reverse("mfa_verify"), {"token": codes[0], "next": "/tasks/"})
    assert response.status_code == 302 and response.url == "/tasks/"
    assert second.get(reverse("task_list")).status_code == 200
    third = Client()
    sign_in(third, noivu.username)
    assert third.post(reverse("mfa_verify"), {"token": codes[0]}).status_code == 200
    assert SecurityEvent.objects.filter(kind="mfa_recovery", user=noivu).count() == 1


@pytest.mark.django_db
def test_changing_the_password_does_not_bypass_the_second_factor(mfa_on, noivu):
    device = TOTPDevice.objects.create(user=noivu, name="authenticator", confirmed=True)
    noivu.set_password("Mot-mat-khau-moi-2025")
    noivu.save()
    client = Client()
    sign_in(client, noivu.username, "Mot-mat-khau-moi-2025")
    assert client.get(reverse("home")).url.startswith(reverse("mfa_verify"))
    client.post(reverse("mfa_verify"), {"token": current_code(device)})
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_required_second_factor_cannot_be_switched_off_by_the_user(mfa_on, noivu):
    TOTPDevice.objects.create(user=noivu, name="authenticator", confirmed=True)
    response = login(noivu).post(reverse("mfa_disable"))
    assert response.status_code in (302, 403)
    assert TOTPDevice.objects.filter(user=noivu).exists()


@pytest.fixture
def focal_with_device(chair_focal, settings):
    """A focal officer (second factor optional) who turned it on; enforcement off."""
    settings.MFA_REQUIRED = False
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    return chair_focal, TOTPDevice.objects.create(
        user=chair_focal, name="authenticator", confirmed=True
    )


@pytest.mark.django_db
def test_a_user_who_turned_on_the_second_factor_is_asked_for_it(focal_with_device):
    user, device = focal_with_device
    client = Client()
    assert sign_in(client, user.username).status_code == 302
    task = make_task(chair=user.agency.code)
    for name, args in [("home", []), ("task_list", []), ("task_detail", [task.pk])]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302, name
        assert response.url.startswith(reverse("mfa_verify"))
    # The admin and the export are behind the same gate.
    assert client.get(reverse("task_export")).url.startswith(reverse("mfa_verify"))
    assert client.get(reverse("mfa_verify")).status_code == 200
    client.post(reverse("mfa_verify"), {"token": current_code(device)})
    assert client.get(reverse("task_list")).status_code == 200


@pytest.mark.django_db
def test_an_unverified_session_cannot_remove_add_or_change_credentials(focal_with_device):
    user, _device = focal_with_device
    client = Client()
    sign_in(client, user.username)
    old_hash = user.password
    assert client.post(reverse("mfa_disable")).url.startswith(reverse("mfa_verify"))
    assert client.get(reverse("mfa_setup")).url.startswith(reverse("mfa_verify"))
    assert client.post(reverse("mfa_setup"), {"token": "123456"}).url.startswith(
        reverse("mfa_verify")
    )
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Mot-mat-khau-moi-2026",
            "new_password2": "Mot-mat-khau-moi-2026",
        },
    )
    assert response.url.startswith(reverse("mfa_verify"))
    user.refresh_from_db()
    assert user.password == old_hash
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert not SecurityEvent.objects.filter(kind="mfa_disabled").exists()


@pytest.mark.django_db
def test_turning_the_second_factor_on_ends_sessions_opened_with_the_password_alone(
    chair_focal, settings
):
    settings.MFA_REQUIRED = False
    earlier = Client()
    sign_in(earlier, chair_focal.username, ip="10.0.0.9")
    assert earlier.get(reverse("task_list")).status_code == 200
    client = Client()
    sign_in(client, chair_focal.username)
    client.get(reverse("mfa_setup"))
    device = TOTPDevice(key=client.session["mfa_pending_key"])
    client.post(reverse("mfa_setup"), {"token": current_code(device)})
    assert client.get(reverse("task_list")).status_code == 200
    assert earlier.get(reverse("task_list")).url.startswith(reverse("login"))


@pytest.mark.django_db
def test_a_session_whose_device_an_administrator_removed_is_not_stuck(focal_with_device):
    user, _device = focal_with_device
    client = Client()
    sign_in(client, user.username)
    assert client.get(reverse("task_list")).url.startswith(reverse("mfa_verify"))
    TOTPDevice.objects.filter(user=user).delete()
    response = client.get(reverse("mfa_verify") + "?next=/tasks/")
    assert response.status_code == 302 and response.url == "/tasks/"
    assert client.get(reverse("task_list")).status_code == 200


@pytest.mark.django_db
def test_wrong_old_passwords_lock_the_password_change_like_sign_in(chair_focal):
    client = Client()
    sign_in(client, chair_focal.username)
    wrong = {
        "old_password": "doan-mo-mat-khau",
        "new_password1": "Mot-mat-khau-moi-2026",
        "new_password2": "Mot-mat-khau-moi-2026",
    }
    for _ in range(9):
        response = client.post(reverse("password_change"), wrong, REMOTE_ADDR="10.0.0.1")
        assert response.status_code == 200
    response = client.post(reverse("password_change"), wrong, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429
    assert "Tạm khóa đăng nhập" in response.content.decode()
    assert "_auth_user_id" not in client.session  # the session is over
    chair_focal.refresh_from_db()
    assert chair_focal.check_password(PASSWORD)
    # Locked like a sign-in: from this address only.
    assert sign_in(Client(), chair_focal.username).status_code == 429
    assert sign_in(Client(), chair_focal.username, ip="10.0.0.2").status_code == 302
    assert SecurityEvent.objects.filter(kind="lockout").exists()


@pytest.mark.django_db
def test_a_right_old_password_after_a_few_wrong_ones_changes_it(chair_focal):
    client = Client()
    sign_in(client, chair_focal.username)
    data = {"new_password1": "Mot-mat-khau-moi-2026", "new_password2": "Mot-mat-khau-moi-2026"}
    for _ in range(3):
        client.post(reverse("password_change"), {**data, "old_password": "sai"})
    response = client.post(reverse("password_change"), {**data, "old_password": PASSWORD})
    assert response.status_code == 302
    chair_focal.refresh_from_db()
    assert chair_focal.check_password("Mot-mat-khau-moi-2026")


@pytest.mark.django_db
def test_login_page_says_when_the_second_factor_is_off(client, settings):
    settings.MFA_REQUIRED = False
    assert "không có yếu tố xác thực thứ hai" in client.get(reverse("login")).content.decode()
    settings.MFA_REQUIRED = True
    assert "không có yếu tố xác thực thứ hai" not in client.get(reverse("login")).content.decode()


# --- Audit ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_downloads_and_refusals_are_recorded(noivu, contrib_focal, unrelated_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    services.attachment_add(
        actor=noivu,
        task=task,
        upload=SimpleUploadedFile("du-thao.pdf", b"%PDF-1.4\n%x\n", "application/pdf"),
    )
    attachment = Attachment.objects.get()
    url = reverse("attachment_download", args=[attachment.pk])
    assert login(contrib_focal).get(url).status_code == 200
    event = SecurityEvent.objects.get(kind="download")
    assert event.user == contrib_focal and event.path == url and "du-thao.pdf" in event.detail
    assert login(unrelated_focal).get(url).status_code == 404
    refusal = SecurityEvent.objects.get(kind="denied")
    assert refusal.user == unrelated_focal and refusal.detail == "404"


@pytest.mark.django_db
def test_old_security_events_are_pruned(settings):
    settings.SECURITY_EVENT_RETENTION_DAYS = 30
    old = SecurityEvent.objects.create(
        kind="login", username="cu", created_at=timezone.now() - timezone.timedelta(days=31)
    )
    new = SecurityEvent.objects.create(kind="login", username="moi")
    out = io.StringIO()
    call_command("prune_security_events", stdout=out)
    assert "1 security event" in out.getvalue()
    assert not SecurityEvent.objects.filter(pk=old.pk).exists()
    assert SecurityEvent.objects.filter(pk=new.pk).exists()


@pytest.mark.django_db
def test_administrators_read_but_cannot_change_the_audit():
    admin = UserFactory(username="quan_tri", agency=agency("SNV"), is_staff=True)
    admin.is_superuser = True
    admin.save()
    client = login(admin)
    assert client.get(reverse("admin:agencies_securityevent_changelist")).status_code == 200
    assert client.get(reverse("admin:agencies_securityevent_add")).status_code == 403
    event = SecurityEvent.objects.first()
    change = client.post(
        reverse("admin:agencies_securityevent_change", args=[event.pk]), {"username": "x"}
    )
    assert change.status_code == 403
    assert Session.objects.exists()
