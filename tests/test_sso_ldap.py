"""Sign-in through the province's LDAP directory (issue 17 points 6 and 7; docs/sso.md):
a real slapd loaded with tests/ldap/directory.ldif (tests/ldap_support.py), the portal's
settings computed from LDAP_* variables as in production, and the portal's own sign-in page
driven through the test client."""

from __future__ import annotations

import ldap
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from agencies import roles
from agencies.models import SecurityEvent, User
from agencies.roles import user_roles
from tests import ldap_support
from tests.conftest import PASSWORD
from tests.factories import UserFactory, agency
from tests.ldap_support import (
    DIRECTORY_PASSWORD,
    FOCAL_GROUP,
    STAFF_GROUP,
    STC_GROUP,
    apply_portal_settings,
    person,
    portal_settings,
    write_tls,
)

ldap_directory, ldap_on = ldap_support.ldap_directory, ldap_support.ldap_on  # fixtures

pytestmark = pytest.mark.django_db


def sign_in(username: str, password: str = DIRECTORY_PASSWORD, *, client=None, ip="10.0.0.1"):
    client = client or Client()
    response = client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )
    return client, response


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def events(kind: str, username: str) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=kind, username=username))


@pytest.fixture
def bind_spy(monkeypatch):
    """Every connection the portal opens to a directory (python-ldap's initialize)."""
    opened: list[str] = []
    real = ldap.initialize

    def initialize(uri, *args, **kwargs):
        opened.append(uri)
        return real(uri, *args, **kwargs)

    monkeypatch.setattr(ldap, "initialize", initialize)
    return opened


# --- Signing in ------------------------------------------------------------------------------


def test_directory_user_signs_in_and_lands_on_their_body_home(ldap_on, bind_spy):
    client, response = sign_in("nguyenvanan")
    assert response.status_code == 302 and response.url == reverse("home")
    user = User.objects.get(username="nguyenvanan")
    assert signed_in(client) and int(client.session["_auth_user_id"]) == user.pk
    assert user.agency == agency("STP")
    assert user_roles(user) == {roles.FOCAL_OFFICER}
    assert user.full_name == "Nguyễn Văn An" and user.email == "an.nv@stp.phuyen.gov.vn"
    assert not user.has_usable_password()  # the directory keeps the password
    assert user.groups.filter(pk=agency("STP").group_id).exists()
    assert client.session["_auth_user_backend"] == "sso.ldap.PortalLDAPBackend"
    opened = len(bind_spy)
    home = client.get(response.url).content.decode()
    assert "Xin chào, Nguyễn Văn An" in home and "Sở Tư pháp" in home
    assert len(bind_spy) == opened  # pages and permission checks never ask the directory
    assert user.history.first().history_change_reason == "Cập nhật từ LDAP khi đăng nhập"
    assert events("login", "nguyenvanan")


def test_body_can_come_from_a_directory_group(ldap_on):
    """vothihoa has no departmentNumber; she is in cn=co-quan-stc (LDAP_AGENCY_GROUPS)."""
    client, response = sign_in("vothihoa")
    assert response.status_code == 302
    user = User.objects.get(username="vothihoa")
    assert user.agency == agency("STC") and user_roles(user) == {roles.AGENCY_STAFF}
    assert user.full_name == "Võ Thị Hoa"  # no displayName: the cn


def test_username_case_does_not_make_a_second_user(ldap_on):
    sign_in("nguyenvanan")
    _client, response = sign_in("NguyenVanAn")
    assert response.status_code == 302
    assert User.objects.filter(username__iexact="nguyenvanan").count() == 1


def test_wrong_directory_password_is_refused(ldap_on):
    client, response = sign_in("nguyenvanan", "mat-khau-sai")
    assert response.status_code == 200 and not signed_in(client)
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.content.decode()
    assert not User.objects.filter(username="nguyenvanan").exists()
    assert events("login_failed", "nguyenvanan")


def test_unknown_directory_user_is_refused(ldap_on):
    client, response = sign_in("khongcotrongthumuc")
    assert response.status_code == 200 and not signed_in(client)
    assert not User.objects.filter(username="khongcotrongthumuc").exists()


@pytest.mark.parametrize("username", ["nguyenvan*", "*", "x)(uid=nguyenvanan"])
def test_filter_characters_in_the_username_match_nobody(ldap_on, username):
    users = User.objects.count()
    client, response = sign_in(username)
    assert response.status_code == 200 and not signed_in(client)
    assert User.objects.count() == users


@pytest.mark.parametrize(
    ("username", "reason"),
    [
        ("phamvandung", "không thuộc nhóm nào trên thư mục được cấp vai trò"),
        ("lethicuc", "Cơ quan “SXYZ” không có hoặc đã ngừng hoạt động"),
    ],
)
def test_directory_user_the_portal_cannot_place_is_refused_with_the_reason(
    ldap_on, username, reason
):
    client, response = sign_in(username)
    assert response.status_code == 200 and not signed_in(client)
    page = response.content.decode()
    assert reason in page and f"không cho tài khoản “{username}” đăng nhập" in page
    assert not User.objects.filter(username=username).exists()
    (denied,) = events("denied", username)
    assert reason in denied.detail and denied.detail.startswith("LDAP:")
    assert denied.ip == "10.0.0.1"
    assert events("login_failed", username)  # and it counts towards the lockout


def test_directory_user_with_no_body_is_refused(ldap_on, ldap_directory):
    """vothihoa's body comes from cn=co-quan-stc only; out of it, the portal cannot place her."""
    member = [person("vothihoa")]
    with ldap_directory.changed(STC_GROUP, [(ldap.MOD_DELETE, "member", member)]):
        client, response = sign_in("vothihoa")
    assert not signed_in(client)
    assert "Thư mục không cho biết cơ quan công tác" in response.content.decode()
    assert not User.objects.filter(username="vothihoa").exists()


def test_directory_user_in_two_bodies_is_refused(ldap_on, ldap_directory):
    """tranthibich's entry says STC; a second body from a group is not guessed between."""
    with ldap_directory.changed(
        person("tranthibich"), [(ldap.MOD_ADD, "departmentNumber", ["STP"])]
    ):
        client, response = sign_in("tranthibich")
    assert not signed_in(client)
    assert "nhiều cơ quan cho tài khoản: STC, STP" in response.content.decode()


def test_ldap_off_directory_user_cannot_sign_in_and_no_connection_is_made(settings, bind_spy):
    apply_portal_settings(settings, {"LDAP_ENABLED": "0"})
    assert "sso.ldap.PortalLDAPBackend" not in settings.AUTHENTICATION_BACKENDS
    client, response = sign_in("nguyenvanan")
    assert response.status_code == 200 and not signed_in(client)
    assert bind_spy == []
    assert not User.objects.filter(username="nguyenvanan").exists()


# --- The portal's rules still apply ------------------------------------------------------


def test_lockout_applies_to_directory_users(ldap_on, settings, bind_spy):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        sign_in("nguyenvanan", "mat-khau-sai")
    opened = len(bind_spy)
    client, response = sign_in("nguyenvanan")
    assert response.status_code == 429 and not signed_in(client)
    assert "Tạm khóa đăng nhập" in response.content.decode()
    assert len(bind_spy) == opened  # a locked pair never reaches the directory
    assert events("lockout", "nguyenvanan")
    # The lock is on (username, address): the same person from another address signs in.
    assert signed_in(sign_in("nguyenvanan", ip="10.0.0.2")[0])


def test_deactivated_portal_user_stays_refused(ldap_on):
    sign_in("nguyenvanan")
    user = User.objects.get(username="nguyenvanan")
    user.is_active = False
    user.save()
    versions = user.history.count()
    client, response = sign_in("nguyenvanan")
    assert not signed_in(client)
    assert "Tài khoản đã bị vô hiệu hóa trên cổng" in response.content.decode()
    assert user.history.count() == versions
    assert events("denied", "nguyenvanan")[0].user == user


def test_session_of_a_directory_user_ends_when_deactivated(ldap_on):
    client, _response = sign_in("nguyenvanan")
    User.objects.filter(username="nguyenvanan").update(is_active=False)  # no signal either
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_portal_administrator_does_not_sign_in_through_the_directory(ldap_on):
    admin = UserFactory(username="nguyenvanan", agency=agency("SNV"), is_staff=True)
    client, response = sign_in("nguyenvanan")
    assert not signed_in(client)
    assert "Tài khoản quản trị chỉ đăng nhập bằng mật khẩu của cổng" in response.content.decode()
    admin.refresh_from_db()
    assert admin.agency == agency("SNV") and user_roles(admin) == frozenset()
    assert signed_in(sign_in("nguyenvanan", PASSWORD)[0])  # the portal's own password


def test_portal_only_user_still_signs_in_with_the_portal_password(ldap_on, bind_spy):
    UserFactory(username="chi_tren_cong", agency=agency("STP"), roles=[roles.FOCAL_OFFICER])
    client, response = sign_in("chi_tren_cong", PASSWORD)
    assert response.status_code == 302 and signed_in(client)
    assert bind_spy == []  # the portal's password matched before the directory was asked
    assert client.session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"


def test_directory_user_with_a_second_factor_role_is_asked_for_it(ldap_on, settings):
    settings.MFA_REQUIRED = True
    client, response = sign_in("hoangthiem")
    assert response.status_code == 302 and signed_in(client)
    user = User.objects.get(username="hoangthiem")
    assert user.agency == agency("SNV") and user_roles(user) == {roles.NOIVU_OFFICER}
    page = client.get(reverse("home"))
    assert page.status_code == 302 and page.url.startswith(reverse("mfa_setup"))


# --- The directory decides at every sign-in ------------------------------------------------


def test_a_change_of_group_in_the_directory_counts_at_the_next_sign_in(ldap_on, ldap_directory):
    sign_in("dangvangiang")
    user = User.objects.get(username="dangvangiang")
    assert user_roles(user) == {roles.FOCAL_OFFICER}
    member = [person("dangvangiang")]
    with (
        ldap_directory.changed(FOCAL_GROUP, [(ldap.MOD_DELETE, "member", member)]),
        ldap_directory.changed(STAFF_GROUP, [(ldap.MOD_ADD, "member", member)]),
    ):
        client, response = sign_in("dangvangiang")
        assert signed_in(client)
        user = User.objects.get(pk=user.pk)
        assert user_roles(user) == {roles.AGENCY_STAFF}
        # Out of every mapped group: refused, and the portal keeps what it had.
        with ldap_directory.changed(STAFF_GROUP, [(ldap.MOD_DELETE, "member", member)]):
            client, _response = sign_in("dangvangiang")
        assert not signed_in(client)
        assert user_roles(User.objects.get(pk=user.pk)) == {roles.AGENCY_STAFF}


def test_name_and_email_follow_the_directory(ldap_on, ldap_directory):
    sign_in("tranthibich")
    changes = [
        (ldap.MOD_DELETE, "mail", ["bich.tt@stc.phuyen.gov.vn"]),
        (ldap.MOD_ADD, "mail", ["tranthibich@stc.phuyen.gov.vn"]),
        (ldap.MOD_DELETE, "displayName", ["Trần Thị Bích"]),
        (ldap.MOD_ADD, "displayName", ["Trần Thị Ngọc Bích"]),
    ]
    with ldap_directory.changed(person("tranthibich"), changes):
        sign_in("tranthibich")
    user = User.objects.get(username="tranthibich")
    assert user.full_name == "Trần Thị Ngọc Bích"
    assert user.email == "tranthibich@stc.phuyen.gov.vn"
    assert user.agency == agency("STC")


# --- Connection -----------------------------------------------------------------------------


def test_starttls_with_the_directory_ca(settings, ldap_directory):
    env = ldap_directory.env(LDAP_START_TLS="1", LDAP_CA_FILE=str(ldap_directory.ca_file))
    apply_portal_settings(settings, env)
    assert signed_in(sign_in("nguyenvanan")[0])


def test_starttls_refuses_a_certificate_from_another_ca(settings, ldap_directory, tmp_path):
    write_tls(tmp_path)  # another CA, which did not sign the directory's certificate
    env = ldap_directory.env(LDAP_START_TLS="1", LDAP_CA_FILE=str(tmp_path / "ca.pem"))
    apply_portal_settings(settings, env)
    client, response = sign_in("nguyenvanan")
    assert response.status_code == 200 and not signed_in(client)
    assert not User.objects.filter(username="nguyenvanan").exists()


def test_a_wrong_service_password_signs_nobody_in(settings, ldap_directory):
    apply_portal_settings(settings, ldap_directory.env(LDAP_BIND_PASSWORD="sai"))
    client, response = sign_in("nguyenvanan")
    assert response.status_code == 200 and not signed_in(client)


# --- Settings ---------------------------------------------------------------------------------


def test_ldap_is_off_by_default_and_sets_nothing():
    module = portal_settings({"LDAP_ENABLED": ""})
    assert not module.LDAP_ENABLED
    assert not [name for name in dir(module) if name.startswith("AUTH_LDAP_")]
    assert "sso.ldap.PortalLDAPBackend" not in module.AUTHENTICATION_BACKENDS


def test_ldap_backend_comes_after_the_lockout_and_the_portal_passwords(ldap_directory):
    module = portal_settings(ldap_directory.env())
    backends = module.AUTHENTICATION_BACKENDS
    assert backends[:2] == [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    assert backends[-1] == "sso.ldap.PortalLDAPBackend"
    assert module.AUTH_LDAP_USER_SEARCH.filterstr == "(uid=%(user)s)"
    assert module.LDAP_ROLE_GROUPS[FOCAL_GROUP] == {"focal_officer"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"LDAP_ROLE_GROUPS": ""}, "LDAP_ROLE_GROUPS"),
        ({"LDAP_ROLE_GROUPS": "focal_officer"}, "is not “group DN=value”"),
        ({"LDAP_AGENCY_GROUPS": "cn=x,dc=vn="}, "is not “group DN=value”"),
        ({"LDAP_GROUP_SEARCH_BASE": ""}, "LDAP_GROUP_SEARCH_BASE"),
        ({"LDAP_GROUP_TYPE": "nhom"}, "LDAP_GROUP_TYPE"),
    ],
)
def test_a_wrong_ldap_setting_stops_the_portal_at_start(ldap_directory, overrides, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        portal_settings(ldap_directory.env(**overrides))


def test_without_slapd_the_ldap_tests_fail_saying_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(ldap_support, "SLAPD", str(tmp_path / "slapd"))
    with pytest.raises(pytest.fail.Exception, match="apt-get install slapd ldap-utils"):
        ldap_support.start_directory(tmp_path)


@pytest.mark.django_db
def test_a_directory_user_changes_the_password_in_the_directory_not_here(ldap_on):
    client = Client()
    client.post(reverse("login"), {"username": "nguyenvanan", "password": DIRECTORY_PASSWORD})
    profile = client.get(reverse("profile"))
    assert reverse("password_change") not in profile.content.decode()
    before = SecurityEvent.objects.count()
    answer = client.post(
        reverse("password_change"),
        {"old_password": "sai", "new_password1": "Mk-moi-2026!x", "new_password2": "Mk-moi-2026!x"},
        follow=True,
    )
    assert answer.redirect_chain[-1][0] == reverse("profile")
    assert "hãy đổi mật khẩu ở đó" in answer.content.decode()
    assert not User.objects.get(username="nguyenvanan").has_usable_password()
    assert not events("login_failed", "nguyenvanan")
    assert SecurityEvent.objects.count() == before


@pytest.mark.django_db
def test_a_refused_directory_user_sees_the_reason_not_the_wrong_password_text(ldap_on):
    answer = Client().post(
        reverse("login"), {"username": "lethicuc", "password": DIRECTORY_PASSWORD}
    )
    html = answer.content.decode()
    assert "không đúng" not in html
    assert "SXYZ" in html
