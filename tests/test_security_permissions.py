"""URL × method × cast matrix for the security pages (STYLE.md rule 11).

Allowed POSTs must change state; refused ones must change nothing."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies import mfa
from agencies.models import User, UserSession
from tests.conftest import CAST

ANON = 302


def expect(default: int, **overrides: int) -> dict[str, int]:
    codes = {name: default for name in CAST}
    codes["anonymous"] = ANON
    codes.update(overrides)
    return codes


MATRIX = [
    ("session_list", None, "get", None, expect(200)),
    ("session_end", None, "post", {"all_others": "1"}, expect(302)),
    # Everyone in the world has a device and a session verified with it (the unverified
    # session is test_an_unverified_session_reaches_only_the_verify_page below).
    ("mfa_setup", None, "get", None, expect(200)),
    ("mfa_verify", None, "get", None, expect(200)),
    # A wrong code: the form again with a message, nothing changed.
    ("mfa_verify", None, "post", {"token": "000000"}, expect(200)),
    ("mfa_setup", None, "post", {"token": "000000"}, expect(200)),
    ("mfa_recovery_codes", None, "post", {}, expect(200)),
    ("mfa_disable", None, "post", {}, expect(302)),
    ("lockout_list", None, "get", None, expect(403, noivu=200)),
    ("lockout_release", "attempt", "post", {}, expect(403, noivu=302)),
]

# POSTs that change state and answer with a page (the new recovery codes, shown once).
CHANGE_AND_SHOW = {"mfa_recovery_codes"}
COVERED_URL_NAMES = {row[0] for row in MATRIX}
COVERED_URL_METHODS = {(row[0], row[2]) for row in MATRIX}


@pytest.fixture
def world(
    noivu, leader, council, chair_focal, tracker_focal, contrib_focal, unrelated_focal, chair_staff
):
    for user in [noivu, leader, council, chair_focal, tracker_focal, contrib_focal, chair_staff]:
        Client().force_login(user)  # another signed-in session, to be ended
        TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        mfa.mfa_recovery_codes_renew(user=user)
    Client().force_login(unrelated_focal)
    TOTPDevice.objects.create(user=unrelated_focal, name="authenticator", confirmed=True)
    attempt = AccessAttempt.objects.create(
        username="t_stc",
        ip_address="10.0.0.7",
        user_agent="test",
        get_data="",
        post_data="",
        http_accept="*/*",
        path_info="/accounts/login/",
        failures_since_start=10,
    )
    return {"attempt": (attempt.pk,)}


def snapshot():
    return (
        UserSession.objects.count(),
        TOTPDevice.objects.filter(confirmed=True).count(),  # a tried setup code keeps a
        # pending (unconfirmed) row for django-otp's throttling: bookkeeping, not a change
        sorted(StaticToken.objects.values_list("token", flat=True)),
        AccessAttempt.objects.count(),
    )


CASES = [
    pytest.param(url, obj, method, data, who, codes[who], id=f"{method}-{url}-{who}")
    for url, obj, method, data, codes in MATRIX
    for who in ["anonymous", *CAST[1:]]
]


@pytest.mark.django_db
@pytest.mark.parametrize("url_name,obj,method,data,who,expected", CASES)
def test_permission_matrix(world, cast, url_name, obj, method, data, who, expected):
    url = reverse(url_name, args=world[obj] if obj else ())
    client = cast(who)
    if who != "anonymous":
        _verified(client, who)
    before = snapshot()
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    assert response.status_code == expected, response.content[:300]
    if who == "anonymous":
        assert response.url.startswith(reverse("login"))
    if method == "post":
        changed = snapshot() != before
        allowed = who != "anonymous" and (
            expected == 302 or (expected == 200 and url_name in CHANGE_AND_SHOW)
        )
        assert changed == allowed, "allowed POSTs change state; refused ones change nothing"


def _verified(client: Client, who: str) -> None:
    """Mark the client's session as having passed its user's second factor."""
    from django_otp import DEVICE_ID_SESSION_KEY

    user_id = client.session["_auth_user_id"]
    device = TOTPDevice.objects.get(user_id=user_id)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


UNVERIFIED = [
    pytest.param(url, obj, method, data, id=f"{method}-{url}")
    for url, obj, method, data, _codes in MATRIX
    if url != "mfa_verify"
]


@pytest.mark.django_db
@pytest.mark.parametrize("url_name,obj,method,data", UNVERIFIED)
def test_an_unverified_session_reaches_only_the_verify_page(
    world, cast, url_name, obj, method, data
):
    """A user with a device who has typed only the password: every security page but the
    verify page sends them to verify, and no POST changes anything."""
    url = reverse(url_name, args=world[obj] if obj else ())
    client = cast("noivu")
    before = snapshot()
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_verify"))
    assert snapshot() == before


@pytest.mark.django_db
def test_ending_a_session_of_another_user_changes_nothing(world, cast, contrib_focal):
    other_keys = list(
        UserSession.objects.filter(user=contrib_focal).values_list("session_key", flat=True)
    )
    client = cast("unrelated_focal")
    for key in other_keys:
        client.post(reverse("session_end"), {"session_key": key})
    assert UserSession.objects.filter(session_key__in=other_keys).count() == len(other_keys)
    assert User.objects.filter(pk=contrib_focal.pk).exists()
