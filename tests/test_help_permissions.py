"""URL × method × cast matrix for the user guide (STYLE.md rule 11; the guide itself is
tests/test_help.py). Every signed-in user reads every guide and its screenshots; anonymous
visitors go to sign in. The pages only read: nothing to change."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import CAST

ANON = 302
ALL_OK = {name: 200 for name in CAST} | {"anonymous": ANON}

MATRIX = [
    # The header's "Hướng dẫn" sends each user on to the guide of their role.
    ("help_index", (), "get", {name: 302 for name in CAST}),
    ("help_guide", ("focal_officer",), "get", ALL_OK),
    ("help_guide", ("noivu_officer",), "get", ALL_OK),
    ("help_screenshot", ("home-stp-desktop.png",), "get", ALL_OK),
]
COVERED_URL_METHODS = {(row[0], row[2]) for row in MATRIX}

CASES = [
    pytest.param(name, args, method, who, codes[who], id=f"{method}-{name}-{args}-{who}")
    for name, args, method, codes in MATRIX
    for who in CAST
]


@pytest.mark.django_db
@pytest.mark.parametrize("url_name,args,method,who,expected", CASES)
def test_permission_matrix(cast, url_name, args, method, who, expected):
    response = getattr(cast(who), method)(reverse(url_name, args=args))
    assert response.status_code == expected
    if who == "anonymous":
        assert response.url.startswith(reverse("login"))
