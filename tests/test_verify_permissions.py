"""Permission matrix of the public verification pages: every cast member and anonymous
visitors alike, GET and POST, with no sign-in and no second factor. A POST changes
nothing whoever sends it (tests/test_verify.py checks every table and the storage)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from reports.models import IssuedDocument
from tests.conftest import CAST
from tests.test_verify import CODE, SAME, issue, issued_pdf, text, trust_test_ca

EVERYONE = dict.fromkeys(CAST, 200)

# (url name, method, expected status per cast member)
MATRIX = [
    ("verify_lookup", "get", EVERYONE),
    ("verify_lookup", "post", dict.fromkeys(CAST, 405)),  # a GET form: nothing to post
    ("verify_document", "get", EVERYONE),
    ("verify_document", "post", EVERYONE),
]
COVERED_URL_METHODS = {(name, method) for name, method, _ in MATRIX}
CASES = [(name, method, who, row[who]) for name, method, row in MATRIX for who in CAST]


def _request(client: Client, name: str, method: str):
    if name == "verify_lookup":
        return getattr(client, method)(reverse(name))
    target = reverse(name, kwargs={"code": CODE})
    if method == "post":
        return client.post(target, {"file": SimpleUploadedFile("van-ban.pdf", issued_pdf())})
    return client.get(target)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name,method,who,expected", CASES, ids=[f"{n}-{m}-{w}" for n, m, w, _ in CASES]
)
def test_verify_permissions(name, method, who, expected, cast, noivu):
    trust_test_ca()
    issued = issue(noivu, data=issued_pdf())
    before = list(IssuedDocument.history.values_list("history_id", flat=True))
    response = _request(cast(who), name, method)
    assert response.status_code == expected, (name, method, who, response.status_code)
    if name == "verify_document" and method == "post":
        assert SAME in text(response)
    assert list(IssuedDocument.history.values_list("history_id", flat=True)) == before
    issued.refresh_from_db()
    assert issued.sha256 and issued.document_id


@pytest.mark.django_db
def test_a_user_who_has_not_given_the_second_factor_still_reaches_the_page(noivu, settings):
    settings.MFA_REQUIRED = True
    TOTPDevice.objects.create(user=noivu, name="authenticator", confirmed=True)
    issue(noivu, data=issued_pdf())
    client = Client()
    client.force_login(noivu)
    assert client.get(reverse("home")).url.startswith(reverse("mfa_verify"))
    target = reverse("verify_document", kwargs={"code": CODE})
    assert client.get(target).status_code == 200
    response = client.post(target, {"file": SimpleUploadedFile("a.pdf", issued_pdf())})
    assert response.status_code == 200 and SAME in text(response)
    assert client.get(reverse("verify_lookup")).status_code == 200
