"""URL × method × cast matrix for sign-in through the province's identity provider
(STYLE.md rule 11; the flow itself is tests/test_sso_oidc.py).

Both URLs are public (the sign-in begins there) and only read. While OIDC_ENABLED is off
they answer 404 to everyone; when it is on, the start sends everyone on to the provider and
a callback without the provider's answer goes back to the sign-in page. Never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import CAST

AUTHORIZE = "https://id.example.gov.vn/authorize"


def everyone(code: int) -> dict[str, int]:
    return {name: code for name in CAST}


MATRIX = [
    # (url name, method, OIDC_ENABLED, expected by cast member)
    ("oidc_authentication_init", "get", False, everyone(404)),
    ("oidc_authentication_callback", "get", False, everyone(404)),
    ("oidc_authentication_init", "get", True, everyone(302)),
    ("oidc_authentication_callback", "get", True, everyone(302)),
]
COVERED_URL_METHODS = {(row[0], row[1]) for row in MATRIX}

CASES = [
    pytest.param(name, method, on, who, codes[who], id=f"{method}-{name}-{on}-{who}")
    for name, method, on, codes in MATRIX
    for who in CAST
]


@pytest.fixture
def oidc_configured(settings):
    """Endpoints set one by one: the start needs no network."""
    settings.OIDC_RP_CLIENT_ID = "cong-cchc"
    settings.OIDC_RP_CLIENT_SECRET = "bi-mat"
    settings.OIDC_OP_DISCOVERY_URL = ""
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = AUTHORIZE
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://id.example.gov.vn/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://id.example.gov.vn/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = "https://id.example.gov.vn/jwks"
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "sso.oidc.PortalOIDCBackend",
    ]
    return settings


@pytest.mark.django_db
@pytest.mark.parametrize("url_name,method,on,who,expected", CASES)
def test_permission_matrix(cast, oidc_configured, url_name, method, on, who, expected):
    oidc_configured.OIDC_ENABLED = on
    client = cast(who)
    response = getattr(client, method)(reverse(url_name))
    assert response.status_code == expected
    if expected == 302 and url_name == "oidc_authentication_init":
        assert response["Location"].startswith(f"{AUTHORIZE}?response_type=code")
    elif expected == 302:
        assert response["Location"] == reverse("login")
    if who != "anonymous":
        # Neither URL signs anyone out or in.
        assert client.get(reverse("session_list")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["oidc_authentication_init", "oidc_authentication_callback"])
@pytest.mark.parametrize("on", [False, True])
def test_a_post_is_refused_with_405(client, oidc_configured, url_name, on):
    oidc_configured.OIDC_ENABLED = on
    assert client.post(reverse(url_name)).status_code == 405
