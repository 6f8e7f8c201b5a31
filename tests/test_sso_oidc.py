"""Sign-in through the province's OpenID Connect provider (issue 17, points 5 and 7).

The provider is real: tests/oidc_provider/ (django-oauth-toolkit) runs as its own process on
a local port (tests/oidc_support.py). Each test drives the whole flow: the portal's test
client asks to sign in, a `requests` browser signs in at the provider, the portal's callback
takes the code and its backend calls the provider's token, key and userinfo endpoints."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from django.contrib.messages import get_messages
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies import mfa, roles
from agencies.models import SecurityEvent, User
from sso import oidc
from tests.conftest import PASSWORD
from tests.factories import UserFactory, agency
from tests.oidc_provider import people

pytest_plugins = ["tests.oidc_support"]
pytestmark = pytest.mark.django_db

BACKEND = "sso.oidc.PortalOIDCBackend"
BUTTON = "Đăng nhập bằng tài khoản định danh của tỉnh"


@pytest.fixture
def oidc_on(settings, oidc_provider):
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = people.CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = people.CLIENT_SECRET
    settings.OIDC_OP_DISCOVERY_URL = oidc_provider.url("/o")  # the issuer: the portal adds
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, BACKEND]
    return oidc_provider


@pytest.fixture
def browser(oidc_on, provider_browser):
    return provider_browser()


def sign_in(client: Client, browser, username: str, start_query: str = ""):
    """The whole flow; returns the portal callback's answer."""
    start = client.get(reverse("oidc_authentication_init") + start_query)
    assert start.status_code == 302
    assert start["Location"].startswith(browser.provider.url("/o/authorize/"))
    back = browser.authorize(start["Location"], username)
    assert back.startswith(people.REDIRECT_URI) and "code=" in back
    return client.get(back)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def signed_in_user(client: Client):
    return client.get(reverse("home")).wsgi_request.user


def portal_user(username: str, code: str = "STC", role_list=(roles.FOCAL_OFFICER,), **fields):
    return UserFactory(username=username, agency=agency(code), roles=list(role_list), **fields)


def with_authenticator(user) -> None:
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


# --- On and off ------------------------------------------------------------------------------


def test_while_oidc_is_off_there_is_no_button_and_the_sso_urls_answer_404(client, contrib_focal):
    assert BUTTON not in client.get(reverse("login")).content.decode()
    for url in (
        reverse("oidc_authentication_init"),
        reverse("oidc_authentication_callback"),
        reverse("oidc_authentication_callback") + "?code=abc&state=xyz",
        reverse("oidc_authentication_callback") + "?error=access_denied",
    ):
        assert client.get(url).status_code == 404
        signed_in = Client()
        signed_in.force_login(contrib_focal)
        assert signed_in.get(url).status_code == 404


def test_the_sign_in_page_offers_the_provider_when_oidc_is_on(client, oidc_on):
    page = client.get(reverse("login") + "?next=/tasks/").content.decode()
    assert BUTTON in page
    assert f'href="{reverse("oidc_authentication_init")}?next=/tasks/"' in page


def test_turning_oidc_on_without_a_client_refuses_to_start():
    env = {**os.environ, "OIDC_ENABLED": "1", "OIDC_OP_DISCOVERY_URL": "https://id.example"}
    env.pop("OIDC_RP_CLIENT_ID", None)
    started = subprocess.run(
        [sys.executable, "-c", "import phuyen_cchc.settings"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0 and "OIDC_RP_CLIENT_ID" in started.stderr


# --- Who may sign in ---------------------------------------------------------------------------


def test_a_known_officer_signs_in_and_lands_on_their_bodys_home(client, browser):
    # The provider says Sở Tài chính and focal officer: the portal had them elsewhere.
    user = portal_user("oidc_stc", code="SYT", role_list=[roles.AGENCY_STAFF], full_name="Cũ")

    response = sign_in(client, browser, "oidc_stc")

    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and home.wsgi_request.user == user
    assert "Sở Tài chính" in home.content.decode()
    user.refresh_from_db()
    assert user.agency.code == "STC" and user.full_name == "Phạm Văn Tài"
    assert roles.user_roles(User.objects.get(pk=user.pk)) == {roles.FOCAL_OFFICER}
    assert "OIDC" in user.history.first().history_change_reason
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGIN, user=user).exists()
    assert client.session[oidc.ID_TOKEN_SESSION_KEY].count(".") == 2  # for the sign-out


def test_the_address_asked_for_before_sign_in_is_where_the_officer_lands(client, browser):
    portal_user("oidc_stc")
    response = sign_in(client, browser, "oidc_stc", start_query="?next=/tasks/")
    assert response["Location"] == "/tasks/"


def test_an_officer_the_portal_does_not_know_is_refused(client, browser):
    response = sign_in(client, browser, "oidc_new")

    assert response.status_code == 302 and response["Location"] == reverse("login")
    page = client.get(response["Location"]).content.decode()
    assert "Tài khoản “oidc_new” chưa có trên cổng" in page
    assert not User.objects.filter(username="oidc_new").exists()
    assert not signed_in_user(client).is_authenticated
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.LOGIN_FAILED)
    assert (event.username, event.detail) == ("oidc_new", "OIDC: unknown user")
    assert not AccessAttempt.objects.exists()  # not counted as a password failure
    assert oidc.ID_TOKEN_SESSION_KEY not in client.session


def test_an_unknown_officer_is_created_from_the_claims_when_allowed(client, browser, settings):
    settings.OIDC_CREATE_USERS = True

    response = sign_in(client, browser, "oidc_new")

    assert response["Location"] == "/"
    user = User.objects.get(username="oidc_new")
    assert signed_in_user(client) == user
    assert user.agency.code == "SYT" and user.full_name == "Đặng Minh Khoa"
    assert roles.user_roles(user) == {roles.FOCAL_OFFICER}
    assert not user.has_usable_password()
    created = user.history.get(history_type="+")
    assert "OIDC" in created.history_change_reason


def test_a_body_the_portal_does_not_have_is_refused_with_a_message(
    client, browser, settings, provider_browser
):
    settings.OIDC_CREATE_USERS = True
    response = sign_in(client, browser, "oidc_nobody")

    assert response["Location"] == reverse("login")
    assert any("KHONG-CO" in m for m in messages_of(response))
    assert not User.objects.filter(username="oidc_nobody").exists()

    known = portal_user("oidc_nobody", code="STP")
    entries = known.history.count()
    response = sign_in(Client(), provider_browser(), "oidc_nobody")
    assert any("KHONG-CO" in m for m in messages_of(response))
    known.refresh_from_db()
    assert known.agency.code == "STP" and known.history.count() == entries  # nothing changed


def test_a_deactivated_officer_is_refused(client, browser):
    portal_user("oidc_stc", is_active=False)

    response = sign_in(client, browser, "oidc_stc")

    assert response["Location"] == reverse("login")
    assert any("đã bị khóa" in m for m in messages_of(response))
    assert not signed_in_user(client).is_authenticated
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.LOGIN_FAILED, username="oidc_stc", detail="OIDC: deactivated user"
    ).exists()


def test_provider_role_names_are_translated_by_the_role_map(
    client, browser, settings, provider_browser
):
    user = portal_user("oidc_mapped", code="STP", role_list=[roles.AGENCY_STAFF])
    response = sign_in(client, browser, "oidc_mapped")
    # Without a map the claim must hold the portal's own role codes.
    assert any("CB_DAU_MOI" in m for m in messages_of(response))
    assert roles.user_roles(User.objects.get(pk=user.pk)) == {roles.AGENCY_STAFF}

    settings.OIDC_ROLE_MAP = {"CB_DAU_MOI": roles.FOCAL_OFFICER}
    response = sign_in(Client(), provider_browser(), "oidc_mapped")
    assert response["Location"] == "/"
    assert roles.user_roles(User.objects.get(pk=user.pk)) == {roles.FOCAL_OFFICER}


# --- The second factor ---------------------------------------------------------------------


def test_a_second_factor_the_provider_asserts_skips_the_portals_own_code(client, browser):
    user = portal_user("oidc_mfa", code="SNV", role_list=[roles.NOIVU_OFFICER])
    with_authenticator(user)

    sign_in(client, browser, "oidc_mfa")

    assert client.get("/").status_code == 200
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.MFA_VERIFIED, user=user, detail="asserted by oidc"
    ).exists()


def test_without_the_providers_second_factor_the_portal_asks_its_own_code(client, browser):
    with_authenticator(portal_user("oidc_pwd", code="SNV", role_list=[roles.NOIVU_OFFICER]))

    sign_in(client, browser, "oidc_pwd")

    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_verify"))


def test_an_asserted_second_factor_needs_no_portal_device_where_one_is_required(
    client, browser, settings, provider_browser
):
    settings.MFA_REQUIRED = True
    portal_user("oidc_mfa", code="SNV", role_list=[roles.NOIVU_OFFICER])
    portal_user("oidc_pwd", code="SNV", role_list=[roles.NOIVU_OFFICER])

    sign_in(client, browser, "oidc_mfa")
    assert client.get("/").status_code == 200

    other = Client()
    sign_in(other, provider_browser(), "oidc_pwd")
    assert other.get("/")["Location"].startswith(reverse("mfa_setup"))


def test_an_assurance_level_the_province_counts_skips_the_portals_code(
    client, browser, settings, provider_browser
):
    with_authenticator(portal_user("oidc_acr", code="SNV", role_list=[roles.NOIVU_OFFICER]))
    sign_in(client, browser, "oidc_acr")
    assert client.get("/").status_code == 302  # `acr` counts only when configured

    settings.OIDC_MFA_ACR = [people.STRONG_ACR]
    again = Client()
    sign_in(again, provider_browser(), "oidc_acr")
    assert again.get("/").status_code == 200


def test_an_assertion_belongs_to_the_sign_in_it_came_with(contrib_focal):
    request = RequestFactory().get("/")
    request.user, request.session = contrib_focal, SessionStore()
    contrib_focal.is_verified = lambda: False  # django-otp's middleware: no device used
    request.session["_login_at"] = 1700000000.25
    mfa.mfa_session_asserted(request, "oidc")
    assert mfa.mfa_session_asserted_by(request) == "oidc"

    request.session["_login_at"] = 1700000900.5  # a later sign-in in the same session

    assert mfa.mfa_session_asserted_by(request) is None
    assert not mfa.mfa_session_verified(request)


# --- Sign-out ------------------------------------------------------------------------------


def test_signing_out_of_the_portal_ends_the_providers_session_too(client, browser):
    portal_user("oidc_stc")
    sign_in(client, browser, "oidc_stc")
    assert browser.signed_in_as() == "oidc_stc"

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"].startswith(browser.provider.url("/o/logout/?id_token_hint="))
    assert not signed_in_user(client).is_authenticated
    back = browser.follow(response["Location"])
    assert back.status_code == 302 and back.headers["Location"] == people.POST_LOGOUT_REDIRECT_URI
    assert browser.signed_in_as() is None


def test_a_password_session_signs_out_of_the_portal_only(client, oidc_on, contrib_focal):
    client.post(reverse("login"), {"username": contrib_focal.username, "password": PASSWORD})
    assert signed_in_user(client) == contrib_focal

    response = client.post(reverse("logout"))

    assert response["Location"] == reverse("login")
    assert not signed_in_user(client).is_authenticated


def test_without_an_end_session_endpoint_sign_out_stays_on_the_portal(
    client, settings, contrib_focal
):
    settings.OIDC_ENABLED = True
    settings.OIDC_OP_DISCOVERY_URL = ""
    settings.OIDC_OP_LOGOUT_ENDPOINT = ""  # the provider publishes none
    client.force_login(contrib_focal)
    session = client.session
    session[oidc.ID_TOKEN_SESSION_KEY] = "en-tete.charge.signature"
    session.save()

    response = client.post(reverse("logout"))

    assert response["Location"] == reverse("login")
    assert not signed_in_user(client).is_authenticated


# --- When things go wrong ------------------------------------------------------------------


def test_a_provider_that_does_not_answer_leads_back_to_the_sign_in_page(client, settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = people.CLIENT_ID
    settings.OIDC_OP_DISCOVERY_URL = "http://127.0.0.1:9/o"  # nothing listens there

    response = client.get(reverse("oidc_authentication_init"))

    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert any("Chưa kết nối được" in m for m in messages_of(response))


def test_a_callback_used_twice_is_refused(client, browser):
    portal_user("oidc_stc")
    start = client.get(reverse("oidc_authentication_init"))
    back = browser.authorize(start["Location"], "oidc_stc")
    assert client.get(back)["Location"] == "/"

    again = client.get(back)

    assert again["Location"] == reverse("login")
    assert any("đã hết hạn hoặc đã được dùng" in m for m in messages_of(again))


def test_the_provider_refusing_leads_back_to_the_sign_in_page(client, oidc_on):
    client.get(reverse("oidc_authentication_init"))
    state = next(iter(client.session["oidc_states"]))
    url = reverse("oidc_authentication_callback")

    response = client.get(f"{url}?error=access_denied&state={state}")

    assert response["Location"] == reverse("login")
    assert any("không xác nhận" in m for m in messages_of(response))
    assert state not in client.session["oidc_states"]


def test_a_provider_error_in_a_link_signs_no_one_out(oidc_on, contrib_focal):
    client = Client()
    client.force_login(contrib_focal)
    client.get(reverse("oidc_authentication_callback") + "?error=login_required&state=x")
    assert signed_in_user(client) == contrib_focal


def test_the_password_form_never_reaches_the_provider(client, oidc_on, contrib_focal):
    """A code and state in the sign-in form's address are not an OpenID Connect answer."""
    url = reverse("login") + "?code=abc&state=xyz"
    response = client.post(url, {"username": contrib_focal.username, "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_user(client) == contrib_focal


# --- The rules on their own ----------------------------------------------------------------


def test_an_id_token_for_another_client_or_issuer_is_refused(settings):
    settings.OIDC_RP_CLIENT_ID = "cong"
    settings.OIDC_OP_ISSUER = "https://id.phuyen.gov.vn"
    oidc.check_id_token({"aud": ["khac", "cong"], "iss": "https://id.phuyen.gov.vn"})
    for claims in (
        {"aud": "khac", "iss": "https://id.phuyen.gov.vn"},
        {"aud": "cong", "iss": "https://gia-mao.example"},
        {"iss": "https://id.phuyen.gov.vn"},
    ):
        with pytest.raises(oidc.SignInRefused):
            oidc.check_id_token(claims)


@pytest.mark.parametrize(
    "claims,amr,acr,expected",
    [
        ({"amr": ["pwd", "otp"]}, ["otp"], [], True),
        ({"amr": "mfa"}, ["mfa"], [], True),
        ({"amr": ["pwd"]}, ["mfa", "otp"], [], False),
        ({}, ["mfa"], [], False),
        ({"acr": "loa3"}, [], ["loa3"], True),
        ({"acr": "loa1"}, [], ["loa3"], False),
    ],
)
def test_which_sign_ins_count_as_a_second_factor(settings, claims, amr, acr, expected):
    settings.OIDC_MFA_AMR, settings.OIDC_MFA_ACR = amr, acr
    assert oidc.second_factor_asserted(claims) is expected


def test_roles_claim_forms(settings):
    settings.OIDC_ROLE_MAP = {}
    assert oidc.claim_roles(None) is None
    assert oidc.claim_roles("focal_officer, leadership") == {"focal_officer", "leadership"}
    assert oidc.claim_roles(["focal_officer"]) == {"focal_officer"}
    with pytest.raises(oidc.SignInRefused):
        oidc.claim_roles({"role": "x"})
    settings.OIDC_ROLE_MAP = {"LD": "leadership"}
    assert oidc.claim_roles(["LD", "khac"]) == {"leadership"}


def test_explicit_endpoints_win_over_the_discovery_document(settings):
    settings.OIDC_OP_DISCOVERY_URL = ""
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://id.example/token"
    assert oidc.oidc_setting("OIDC_OP_TOKEN_ENDPOINT") == "https://id.example/token"
    assert oidc.oidc_setting("OIDC_OP_LOGOUT_ENDPOINT") == ""
    assert oidc.oidc_setting("OIDC_OP_JWKS_ENDPOINT", None) is None


@pytest.mark.parametrize(
    "claims,reason",
    [
        ({"preferred_username": "có dấu cách", "cchc_agency": "STC"}, "username not valid"),
        ({"preferred_username": "x" * 151, "cchc_agency": "STC"}, "username not valid"),
        ({"preferred_username": "oidc_khong_co_quan"}, "no body claim"),
    ],
)
def test_a_new_user_needs_a_usable_username_and_a_body(settings, claims, reason):
    settings.OIDC_CREATE_USERS = True
    with pytest.raises(oidc.SignInRefused, match=reason):
        oidc.PortalOIDCBackend().create_user(claims)
    assert not User.objects.filter(username__startswith=claims["preferred_username"][:5]).exists()
