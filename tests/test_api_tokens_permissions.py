"""URL × method × cast matrix for the profile's API token pages (STYLE.md rule 11).

Every signed-in user manages their own tokens; another user's token is not there (404).
Allowed POSTs must change state; refused ones (and the confirmation page) change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from agencies.once import new_token
from api import tokens
from api.models import ApiToken
from tests.conftest import CAST
from tests.factories import in_days

ANON = 302


def expect(default: int, **overrides: int) -> dict[str, int]:
    codes = {name: default for name in CAST}
    codes["anonymous"] = ANON
    codes.update(overrides)
    return codes


def create_data() -> dict:
    return {
        "name": "Khóa thử",
        "scope": "read",
        "expires_at": in_days(10).isoformat(),
        "once": new_token(),
    }


# (url name, which token, method, POST data, expected status per cast member)
MATRIX = [
    ("api_token_list", None, "get", None, expect(200)),
    # Created and shown once on the answer page (200).
    ("api_token_create", None, "post", create_data, expect(200)),
    # Bad input: the form again with a message, nothing created.
    ("api_token_create", None, "post", {"name": "", "scope": "read"}, expect(200)),
    # The user's own token: asked first (nothing changes), then revoked.
    ("api_token_revoke", "own", "post", {}, expect(200)),
    ("api_token_revoke", "own", "post", {"confirmed": "1"}, expect(302)),
    # The chairing body's focal officer's token: theirs only.
    (
        "api_token_revoke",
        "chair_focal",
        "post",
        {"confirmed": "1"},
        expect(404, chair_focal=302),
    ),
]
COVERED_URL_METHODS = {(row[0], row[2]) for row in MATRIX}


@pytest.fixture
def world(request):
    owners = {name: request.getfixturevalue(name) for name in CAST[1:]}
    return {
        name: tokens.token_create(user=user, name="Có sẵn", scope="write", expires_at=in_days(5))
        for name, user in owners.items()
    }


def snapshot():
    return sorted(
        ApiToken.objects.values_list("pk", "user_id", "name", "revoked_at", "scope"),
        key=lambda row: row[0],
    )


CASES = [
    pytest.param(url, obj, method, data, who, codes[who], id=f"{method}-{url}-{obj}-{who}-{i}")
    for i, (url, obj, method, data, codes) in enumerate(MATRIX)
    for who in CAST
]


@pytest.mark.django_db
@pytest.mark.parametrize("url_name,obj,method,data,who,expected", CASES)
def test_permission_matrix(world, cast, url_name, obj, method, data, who, expected):
    args = ()
    if obj is not None:
        owner = who if obj == "own" else obj
        args = (world[owner if owner in world else "chair_focal"][0].pk,)
    url = reverse(url_name, args=args)
    client = cast(who)
    before = snapshot()
    if method == "post":
        response = client.post(url, data() if callable(data) else data)
    else:
        response = client.get(url)
    assert response.status_code == expected, response.content[:300]
    if who == "anonymous":
        assert response.url.startswith(reverse("login"))
    if method == "post":
        changed = snapshot() != before
        creates = callable(data)  # a valid new token: created and shown once (200)
        allowed = who != "anonymous" and (expected == 302 or (expected == 200 and creates))
        assert changed == allowed, "allowed POSTs change state; refused ones change nothing"
