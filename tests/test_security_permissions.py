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
    # Everyone in the world has a device and an unverified (force_login) session.
    ("mfa_setup", None, "get", None, expect(302)),
    ("mfa_verify", None, "get", None, expect(200)),
    # A wrong code: the form again with a message, nothing changed.
    ("mfa_verify", None, "post", {"token": "000000"}, expect(200)),
    # An unverified session is sent to verify first, whatever it posts.
    ("mfa_setup", None, "post", {"token": "000000"}, expect(302)),
    ("mfa_recovery_codes", None, "post", {}, expect(403)),
    ("mfa_disable", None, "post", {}, expect(302)),
    ("lockout_list", None, "get", None, expect(403, noivu=200)),
    ("lockout_release", "attempt", "post", {}, expect(403, noivu=302)),
]

# POSTs answered by a redirect before anything is done (not a state change).
REDIRECT_ONLY = {"mfa_setup"}
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
        TOTPDevice.objects.count(),
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
    before = snapshot()
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    assert response.status_code == expected, response.content[:300]
    if who == "anonymous":
        assert response.url.startswith(reverse("login"))
    if method == "post" and url_name not in REDIRECT_ONLY:
        changed = snapshot() != before
        allowed = expected == 302 and who != "anonymous"
        assert changed == allowed, "allowed POSTs change state; refused ones change nothing"


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
