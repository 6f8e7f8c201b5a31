"""Signing with a key on a token through PKCS#11 (issue 16), tested with SoftHSM: a token
initialised in a temporary directory, the body's key imported into it, the credential
recorded through the service (which opens the token and proves the key), then a document
signed and validated."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from signing import pki, secrets, services
from signing.models import SigningCredential
from signing.sign import Placement, SigningUnavailable, sign_pdf
from tests.factories import agency
from tests.signing_support import small_pdf, validate

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN, KEY, PIN, SO_PIN = "cong-cchc", "ky-van-ban", "246810", "13579135"

if not (shutil.which("softhsm2-util") and Path(MODULE).exists()):  # pragma: no cover
    pytest.skip(
        "SoftHSM is not installed (./.ci/system-deps test installs softhsm2)",
        allow_module_level=True,
    )


def _unload() -> None:
    import pkcs11

    pkcs11.unload(MODULE)  # the module reads SOFTHSM2_CONF when it is initialised


@pytest.fixture(scope="module")
def token(tmp_path_factory):
    """A SoftHSM token holding the body's key; yields the CA and the issued certificate."""
    home = tmp_path_factory.mktemp("softhsm")
    (home / "tokens").mkdir()
    conf = home / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\n")
    ca = pki.make_ca("CA kiểm thử HSM")
    issued = pki.issue(ca, "Sở Nội vụ", organization="UBND tỉnh Phú Yên")
    (home / "key.pem").write_bytes(pki.key_pem(issued))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(conf))
        _unload()
        util = ["softhsm2-util"]
        env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
        run = {"check": True, "capture_output": True, "env": env}
        subprocess.run(
            [*util, "--init-token", "--free", "--label", TOKEN, "--so-pin", SO_PIN, "--pin", PIN],
            **run,
        )
        subprocess.run(
            [*util, "--import", home / "key.pem", "--token", TOKEN]
            + ["--label", KEY, "--id", "01", "--pin", PIN],
            **run,
        )
        yield ca, issued
        _unload()


def add(issued, **overrides) -> SigningCredential:
    values = {
        "actor": None,
        "agency": agency("SNV"),
        "label": "Token của Sở Nội vụ",
        "module": MODULE,
        "token": TOKEN,
        "key_label": KEY,
        "pin": PIN,
        "certificate": pki.pem([issued.certificate]).encode(),
        "chain": pki.pem(list(issued.chain)).encode(),
    }
    return services.credential_add_pkcs11(**{**values, **overrides})


def test_key_on_a_token_signs_a_valid_document(db, token):
    ca, issued = token
    credential = add(issued)
    assert credential.source == SigningCredential.Source.PKCS11 and credential.active
    assert not credential.pkcs12_encrypted
    assert secrets.decrypt(credential.secret_encrypted) == PIN.encode()
    assert credential.history.latest().history_change_reason
    pdf = small_pdf(1)
    signed = sign_pdf(
        pdf,
        agency=agency("SNV"),
        signer_name="Nguyễn Văn Bình",
        placement=Placement(0, 330, 300, 220, 110),
    )
    status = validate(signed.data, ca)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert signed.certificate_fingerprint == credential.fingerprint


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"pin": "000000"}, "Mã PIN"),
        ({"token": "khong-co"}, "Không mở được token"),
        ({"module": "/khong/co/thu-vien.so"}, "Không mở được token"),
        ({"key_label": "khoa-khac"}, "Không tìm thấy hoặc không dùng được khóa"),
        ({"module": " "}, "thư viện PKCS#11"),
    ],
)
def test_token_that_cannot_sign_is_refused_and_nothing_saved(db, token, overrides, message):
    with pytest.raises(ValidationError, match=message):
        add(token[1], **overrides)
    assert not SigningCredential.objects.exists()


def test_certificate_file_may_hold_the_chain_in_any_order(db, token):
    ca, issued = token
    credential = add(
        issued, certificate=pki.pem([ca.certificate, issued.certificate]).encode(), chain=b""
    )
    assert credential.fingerprint == pki.facts(issued.certificate).fingerprint
    assert pki.load_certificates(credential.chain.encode()) == [ca.certificate]


def test_certificate_of_another_key_is_refused(db, token):
    ca, _ = token
    other = pki.issue(ca, "Sở Nội vụ")
    with pytest.raises(ValidationError, match="không khớp"):
        add(other)
    assert not SigningCredential.objects.exists()


def test_token_gone_at_signing_time_makes_signing_unavailable(db, token):
    credential = add(token[1])
    SigningCredential.objects.filter(pk=credential.pk).update(pkcs11_token="da-rut-ra")
    with pytest.raises(SigningUnavailable, match="Không mở được token"):
        sign_pdf(small_pdf(1), agency=agency("SNV"), signer_name="")
