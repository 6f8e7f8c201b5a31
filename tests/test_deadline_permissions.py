"""URL × method × cast matrix for the item form's deadline preview (STYLE.md rule 11):
only those who create items may ask; a GET changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from coordination.models import Task
from tests.conftest import CAST

ANON = 302


def expect(default: int, **overrides: int) -> dict[str, int]:
    return {name: default for name in CAST} | {"anonymous": ANON} | overrides


MATRIX = [
    ("deadline_preview", "get", {"days": "5", "start": "2027-02-01"}, expect(403, noivu=200)),
]

COVERED_URL_METHODS = {(row[0], row[1]) for row in MATRIX}

CASES = [
    pytest.param(url, method, data, who, codes[who], id=f"{method}-{url}-{who}")
    for url, method, data, codes in MATRIX
    for who in CAST
]


@pytest.mark.django_db
@pytest.mark.parametrize("url_name,method,data,who,expected", CASES)
def test_permission_matrix(cast, url_name, method, data, who, expected):
    before = Task.objects.count()
    response = cast(who).get(reverse(url_name), data)
    assert response.status_code == expected
    if who == "anonymous":
        assert response.url.startswith(reverse("login"))
    assert Task.objects.count() == before
