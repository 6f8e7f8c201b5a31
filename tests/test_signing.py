"""Signing issued documents (issue 16): PAdES levels, the appearance, the credential
services and their admin, the secrets' encryption and the demo material."""

from __future__ import annotations

import datetime as dt
import io
import socket
import subprocess
import unicodedata
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.utils import timezone
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.dss import DocumentSecurityStore

from signing import pki, secrets, services
from signing.demo import seal_png, signature_png
from signing.models import Seal, SignatureImage, SigningCredential, TrustAnchor
from signing.sign import Placement, SigningUnavailable, can_sign, sign_pdf
from tests import signing_support
from tests.factories import AgencyFactory, UserFactory, agency
from tests.signing_support import (
    PASSPHRASE,
    crl_server,
    issue_with_crl,
    png_upload,
    signing_kit,
    small_pdf,
    validate,
)

kit_ca, tsa = signing_support.kit_ca, signing_support.tsa  # fixtures

SIGNER = "Nguyễn Văn Bình"
BOX = Placement(page=-1, x=330, y=300, width=220, height=110)
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def snv(db):
    return agency("SNV")


@pytest.fixture
def kit(snv, kit_ca):
    return signing_kit(snv, ca=kit_ca, signer_names=(SIGNER,))


@pytest.fixture(scope="module")
def pdf():
    return small_pdf(3)


def sign(data, agency_, **kwargs):
    kwargs.setdefault("signer_name", SIGNER)
    return sign_pdf(data, agency=agency_, **kwargs)


# --- Validity ----------------------------------------------------------------------------


def test_signed_document_is_intact_valid_and_trusted(kit, snv, pdf):
    signed = sign(pdf, snv, placement=BOX, reason="Ban hành văn bản")
    status = validate(signed.data, kit.ca)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert signed.data.startswith(pdf)  # an incremental update: the issued bytes stay
    assert signed.level == "B-B"
    assert signed.signer == "Sở Nội vụ, UBND tỉnh Phú Yên"
    assert signed.certificate_fingerprint == kit.credential.fingerprint
    assert not signed.illustrative
    assert status.signer_reported_dt is not None


def test_one_byte_changed_inside_the_signed_range_is_not_intact(kit, snv, pdf):
    signed = bytearray(sign(pdf, snv, placement=BOX).data)
    position = signed.index(b"stream\n") + 40  # inside the first compressed stream
    signed[position] ^= 0x01
    status = validate(bytes(signed), kit.ca)
    assert not status.intact and not status.bottom_line


def test_a_certificate_from_another_ca_is_not_trusted(kit, snv, pdf):
    signed = sign(pdf, snv).data
    other = pki.make_ca("CA khác")
    status = validate(signed, other)
    assert status.intact and status.valid and not status.trusted and not status.bottom_line


def test_an_invisible_signature_without_placement_is_valid(kit, snv, pdf):
    signed = sign(pdf, snv).data
    reader = PdfFileReader(io.BytesIO(signed))
    field = reader.embedded_signatures[0].sig_field
    rect = [float(v) for v in field.get("/Rect", [0, 0, 0, 0])]
    assert rect[2] - rect[0] == 0 and rect[3] - rect[1] == 0
    assert validate(signed, kit.ca).bottom_line


def test_signing_time_is_the_issue_time(kit, snv, pdf):
    when = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5)
    signed = sign(pdf, snv, placement=BOX, when=when)
    assert signed.signed_at == when
    assert validate(signed.data, kit.ca).signer_reported_dt == when


# --- Levels --------------------------------------------------------------------------------


def test_time_stamp_authority_makes_b_t(kit, snv, pdf, tsa):
    signed = sign(pdf, snv, placement=BOX)
    assert signed.level == "B-T" and tsa
    status = validate(signed.data, kit.ca)
    assert status.bottom_line
    stamp = status.timestamp_validity
    assert stamp is not None and stamp.intact and stamp.valid and stamp.trusted


def test_unreachable_time_stamp_authority_falls_back_to_b_b_and_says_so(kit, snv, pdf, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.SIGNING_TSA_URL = f"http://127.0.0.1:{port}/tsa"  # nothing listens there
    signed = sign(pdf, snv)
    assert signed.level == "B-B"
    assert any("dấu thời gian" in note for note in signed.notes)
    assert validate(signed.data, kit.ca).bottom_line


def test_revocation_data_embedded_makes_b_lt(snv, kit_ca, pdf, tsa, settings):
    settings.SIGNING_FETCH_REVOCATION = True
    with crl_server(kit_ca) as (url, requested):
        issued = issue_with_crl(kit_ca, snv.name, url)
        kit = signing_kit(snv, ca=kit_ca, issued=issued)
        signed = sign(pdf, snv, placement=BOX)
    assert signed.level == "B-LT", signed.notes
    assert requested
    dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(signed.data)))
    assert dss.crls
    assert validate(signed.data, kit.ca, index=0).bottom_line


def test_no_revocation_data_reports_the_level_reached(kit, snv, pdf, tsa, settings):
    settings.SIGNING_FETCH_REVOCATION = True  # the certificate names no CRL or OCSP
    signed = sign(pdf, snv)
    assert signed.level == "B-T"
    assert any("thu hồi" in note for note in signed.notes)


# --- When a body cannot sign --------------------------------------------------------------


def test_body_without_credential_cannot_sign(snv, pdf, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert not can_sign(snv)
    with pytest.raises(SigningUnavailable, match="chưa có chứng thư số"):
        sign(pdf, snv)


def test_expired_credential_cannot_sign(kit, snv, pdf, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert can_sign(snv)
    SigningCredential.objects.filter(pk=kit.credential.pk).update(
        not_after=timezone.now() - dt.timedelta(days=1)
    )
    assert not can_sign(snv)
    with pytest.raises(SigningUnavailable, match="không còn hiệu lực"):
        sign(pdf, snv)


def test_unreadable_secret_makes_signing_unavailable(kit, snv, pdf, settings):
    from signing import sign as sign_module

    settings.SIGNING_SECRET = Fernet.generate_key().decode()  # not the key it was stored with
    sign_module._LOADED.clear()  # a fresh worker
    with pytest.raises(SigningUnavailable, match="Không giải mã được"):
        sign(pdf, snv)


# --- Appearance ----------------------------------------------------------------------------


def render(data: bytes, tmp_path, dpi: int = 100) -> Image.Image:
    path = tmp_path / "signed.pdf"
    path.write_bytes(data)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(dpi),
            "-png",
            "-singlefile",
            "-f",
            "3",
            "-l",
            "3",
            path,
            tmp_path / "p",
        ],
        check=True,
    )
    return Image.open(tmp_path / "p.png").convert("RGB")


def colour_counts(image: Image.Image, box: Placement, dpi: int = 100):
    """Red and blue pixels inside the box (the upper part for blue: above the text), and
    red pixels outside it."""
    scale = dpi / 72
    left, right = box.x * scale, (box.x + box.width) * scale
    top, bottom = image.height - (box.y + box.height) * scale, image.height - box.y * scale
    text_top = bottom - 24 * scale
    red_in = red_out = blue_in = 0
    for index, (r, g, b) in enumerate(image.get_flattened_data()):
        x, y = index % image.width, index // image.width
        inside = left - 2 <= x <= right + 2 and top - 2 <= y <= bottom + 2
        if r > 150 and g < 110 and b < 110:
            red_in, red_out = red_in + inside, red_out + (not inside)
        elif b > 150 and r < 110 and g < 130 and inside and y < text_top:
            blue_in += 1
    return red_in, blue_in, red_out


def test_appearance_shows_seal_and_signature_in_the_box_only(kit, snv, pdf, tmp_path):
    image = render(sign(pdf, snv, placement=BOX).data, tmp_path)
    red_in, blue_in, red_out = colour_counts(image, BOX)
    assert red_in > 500 and blue_in > 200 and red_out == 0


def test_seal_covers_about_the_left_third_of_the_signature(kit, snv, pdf, tmp_path):
    image = render(sign(pdf, snv, placement=BOX).data, tmp_path)
    text_top = image.height - (BOX.y + 24) * 100 / 72
    pixels = list(enumerate(image.get_flattened_data()))
    reds = [i % image.width for i, (r, g, b) in pixels if r > 150 and g < 110 and b < 110]
    blues = [
        i % image.width
        for i, (r, g, b) in pixels
        if b > 150 and r < 110 and g < 130 and i // image.width < text_top
    ]
    signature_left, signature_width = min(blues), max(blues) - min(blues)
    covered = (max(reds) - signature_left) / signature_width
    assert min(reds) < signature_left and 0.2 <= covered <= 0.45


def test_seal_is_printed_at_its_real_size(kit, snv, pdf, tmp_path):
    image = render(sign(pdf, snv, placement=BOX).data, tmp_path)
    reds = [
        i % image.width
        for i, (r, g, b) in enumerate(image.get_flattened_data())
        if r > 150 and g < 110
    ]
    width_mm = (max(reds) - min(reds)) / 100 * 25.4
    assert 34 <= width_mm <= 37  # the 36 mm seal, edge pixels aside


def test_appearance_text_is_the_body_and_the_time_in_vietnam(kit, snv, pdf, tmp_path):
    when = timezone.now().replace(microsecond=0)
    signed = sign(pdf, snv, placement=BOX, when=when)
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed.data)
    text = subprocess.run(
        ["pdftotext", "-f", "3", "-l", "3", path, "-"], capture_output=True, text=True, check=True
    ).stdout
    expected = when.astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M:%S+07:00")
    assert "Sở Nội vụ" in unicodedata.normalize("NFC", text)
    assert expected in text


def test_vietnamese_letters_of_the_appearance_have_their_own_glyphs(kit, snv, pdf):
    """Each letter of "Sở Nội vụ" is drawn with a real glyph of the embedded font (no
    .notdef), mapped back to that letter."""
    import re

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(sign(pdf, snv, placement=BOX).data))
    widget = next(a.get_object() for a in reader.pages[-1]["/Annots"])
    appearance = widget["/AP"]["/N"].get_object()
    font = appearance["/Resources"]["/Font"]["/F1"].get_object()
    cmap = font["/ToUnicode"].get_object().get_data().decode()
    mapped = {}
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.DOTALL):
        for low, targets in re.findall(r"<(\w+)> <\w+> \[([^\]]+)\]", block):
            for offset, target in enumerate(re.findall(r"<(\w+)>", targets)):
                mapped[int(low, 16) + offset] = chr(int(target, 16))
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.DOTALL):
        for source, target in re.findall(r"<(\w+)> <(\w+)>", block):
            mapped[int(source, 16)] = chr(int(target, 16))
    letters = set(mapped.values())
    assert {"S", "ở", "N", "ộ", "i", "v", "ụ"} <= letters
    assert 0 not in mapped  # nothing drawn with .notdef
    drawn = re.findall(rb"<([0-9a-f]+)>\] TJ", appearance.get_data())
    cids = {int(h[i : i + 4], 16) for h in drawn for i in range(0, len(h), 4)}
    assert cids and 0 not in cids and cids <= set(mapped)


def test_a_long_body_name_wraps_at_10_pt_inside_the_box(db, kit_ca, pdf, tmp_path):
    import re

    name = "Ban Quản lý các khu công nghiệp và khu kinh tế tỉnh Phú Yên"
    body = AgencyFactory(code="TESTDAI", name=name)
    signing_kit(body, ca=kit_ca)
    path = tmp_path / "signed.pdf"
    path.write_bytes(sign(pdf, body, placement=BOX).data)
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", "3", "-l", "3", path, "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pattern = r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)<'
    page_height = 841.89
    lines = [  # what is printed in the box: text, left, bottom, right, top in PDF points
        (unicodedata.normalize("NFC", t), float(x0), page_height - float(y1), float(x1), y0)
        for x0, y0, x1, y1, t in re.findall(pattern, html)
        if BOX.y - 3 <= page_height - float(y1) <= BOX.y + BOX.height
    ]
    assert len(lines) == 3  # the name on two lines, then the time
    assert " ".join(text for text, *_ in lines[:2]) == name
    for _text, left, bottom, right, top in lines:
        assert BOX.x <= left and right <= BOX.x + BOX.width and BOX.y - 3 <= bottom  # descent
        assert 10.5 <= page_height - float(top) - bottom <= 11.8  # 10 pt: ascent + descent


def test_signer_name_matches_whatever_its_form(snv, kit_ca, pdf, tmp_path):
    signing_kit(snv, ca=kit_ca, signer_names=("Trần Thị Lan",), seal=False)
    written = unicodedata.normalize("NFD", "  TRẦN   thị LAN ")
    image = render(sign(pdf, snv, placement=BOX, signer_name=written).data, tmp_path)
    red_in, blue_in, red_out = colour_counts(image, BOX)
    assert blue_in > 200 and red_in == 0


def test_without_images_the_signature_shows_text_only(snv, kit_ca, pdf, tmp_path):
    kit = signing_kit(snv, ca=kit_ca, signer_names=(), seal=False)
    signed = sign(pdf, snv, placement=BOX, signer_name="Người khác")
    red_in, blue_in, _ = colour_counts(render(signed.data, tmp_path), BOX)
    assert red_in == 0 and blue_in == 0
    assert validate(signed.data, kit.ca).bottom_line


# --- Secrets -------------------------------------------------------------------------------


def test_secrets_round_trip_and_rotation(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SIGNING_SECRET = old
    token = secrets.encrypt(b"mat-khau")
    assert token != b"mat-khau" and secrets.decrypt(token) == b"mat-khau"
    settings.SIGNING_SECRET = f"{new},{old}"
    assert secrets.decrypt(token) == b"mat-khau"
    rotated = secrets.rotate(token)
    settings.SIGNING_SECRET = new
    assert secrets.decrypt(rotated) == b"mat-khau"
    with pytest.raises(secrets.SecretUnreadable, match="SIGNING_SECRET"):
        secrets.decrypt(token)


def test_without_signing_secret_the_key_comes_from_secret_key(settings):
    """In production SIGNING_SECRET_BASE is SECRET_KEY (phuyen_cchc/settings.py)."""
    settings.SIGNING_SECRET = ""
    settings.SIGNING_SECRET_BASE = settings.SECRET_KEY = "a-production-secret-key-" * 3
    token = secrets.encrypt(b"pin")
    assert Fernet(secrets.derived_key(settings.SECRET_KEY)).decrypt(token) == b"pin"
    settings.SIGNING_SECRET_BASE = settings.SECRET_KEY = "another-secret-key-" * 4
    with pytest.raises(secrets.SecretUnreadable):
        secrets.decrypt(token)


def test_the_demo_server_reads_what_seed_demo_stored(monkeypatch):
    """seed_demo runs in development settings; run_demo's server has DEBUG=0, DEMO_MODE=1
    and a new SECRET_KEY each run: both derive the same key (SIGNING_SECRET_BASE)."""
    import subprocess
    import sys

    def base(**env) -> str:
        code = "from django.conf import settings; print(settings.SIGNING_SECRET_BASE)"
        environ = {k: v for k, v in __import__("os").environ.items() if k != "SECRET_KEY"}
        environ.update(DJANGO_SETTINGS_MODULE="phuyen_cchc.settings", **env)
        script = f"import django; django.setup(); {code}"
        run = subprocess.run([sys.executable, "-c", script], env=environ, capture_output=True)
        return run.stdout.decode().strip()

    seeding = base(DEBUG="1", DEMO_MODE="0")
    serving = base(DEBUG="0", DEMO_MODE="1", SECRET_KEY="x" * 60, ALLOWED_HOSTS="127.0.0.1")
    production = base(DEBUG="0", DEMO_MODE="0", SECRET_KEY="y" * 60, ALLOWED_HOSTS="h")
    assert seeding and seeding == serving
    assert production == "y" * 60


def test_malformed_signing_secret_is_refused(settings):
    settings.SIGNING_SECRET = "not-a-fernet-key"
    with pytest.raises(ImproperlyConfigured, match="SIGNING_SECRET không hợp lệ"):
        secrets.encrypt(b"x")


# --- Credential services -------------------------------------------------------------------


def p12(ca, agency_, passphrase=PASSPHRASE, **kwargs) -> bytes:
    return pki.pkcs12(pki.issue(ca, agency_.name, **kwargs), passphrase.encode())


@pytest.fixture
def admin_user(db):
    return UserFactory(username="t_quantri", agency=agency("SNV"), is_staff=True, is_superuser=True)


@pytest.mark.parametrize(
    "data, passphrase, message",
    [
        ("good", "sai-mat-khau", "sai mật khẩu"),
        (b"%PDF-1.7 not a pkcs12", PASSPHRASE, "không phải PKCS#12"),
        ("expired", PASSPHRASE, "hết hiệu lực"),
        ("no-key", PASSPHRASE, "không chứa khóa"),
    ],
)
def test_bad_pkcs12_is_refused_and_nothing_saved(
    snv, kit_ca, admin_user, data, passphrase, message
):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    if data == "good":
        data = p12(kit_ca, snv)
    elif data == "expired":
        old = timezone.now() - dt.timedelta(days=800)
        data = pki.pkcs12(pki.issue(kit_ca, snv.name, now=old, days=30), PASSPHRASE.encode())
    elif data == "no-key":
        data = pkcs12.serialize_key_and_certificates(
            b"x", None, kit_ca.certificate, None, serialization.BestAvailableEncryption(b"p")
        )
        passphrase = "p"
    with pytest.raises(ValidationError, match=message):
        services.credential_add_pkcs12(
            actor=admin_user, agency=snv, label="Thử", data=data, passphrase=passphrase
        )
    assert not SigningCredential.objects.exists()
    assert not SigningCredential.history.exists()


def test_new_credential_retires_the_previous_one_with_history(snv, kit_ca, admin_user):
    first = services.credential_add_pkcs12(
        actor=admin_user, agency=snv, label="Cũ", data=p12(kit_ca, snv), passphrase=PASSPHRASE
    )
    second = services.credential_add_pkcs12(
        actor=admin_user, agency=snv, label="Mới", data=p12(kit_ca, snv), passphrase=PASSPHRASE
    )
    first.refresh_from_db()
    assert not first.active and second.active
    retired = first.history.latest()
    assert retired.history_user == admin_user and "Mới" in retired.history_change_reason
    assert second.history.latest().history_change_reason == "Tải lên chứng thư số để ký văn bản"


def test_secrets_never_reach_history(snv, kit_ca, admin_user):
    services.credential_add_pkcs12(
        actor=admin_user, agency=snv, label="Thử", data=p12(kit_ca, snv), passphrase=PASSPHRASE
    )
    record = SigningCredential.history.get()
    assert not hasattr(record, "pkcs12_encrypted") and not hasattr(record, "secret_encrypted")
    values = " ".join(str(getattr(record, f.attname)) for f in record._meta.fields)
    assert PASSPHRASE not in values
    stored = SigningCredential.objects.get()
    assert PASSPHRASE.encode() not in bytes(stored.secret_encrypted)
    assert secrets.decrypt(stored.secret_encrypted) == PASSPHRASE.encode()


def test_deactivate_credential(kit, admin_user, snv):
    services.credential_deactivate(actor=admin_user, credential=kit.credential)
    kit.credential.refresh_from_db()
    assert not kit.credential.active and not can_sign(snv)
    assert kit.credential.history.latest().history_change_reason == "Ngừng dùng chứng thư số"
    with pytest.raises(ValidationError, match="đã ngừng dùng"):
        services.credential_deactivate(actor=admin_user, credential=kit.credential)


def test_a_person_without_the_permission_cannot_add_a_credential(snv, kit_ca, noivu):
    with pytest.raises(PermissionDenied):
        services.credential_add_pkcs12(
            actor=noivu, agency=snv, label="Thử", data=p12(kit_ca, snv), passphrase=PASSPHRASE
        )
    assert not SigningCredential.objects.exists()


# --- Seal and signature images -------------------------------------------------------------


def png(mode: str, size=(200, 200), transparent=True, fmt="PNG") -> bytes:
    image = Image.new(mode, size, (200, 0, 0, 0) if mode == "RGBA" else (200, 0, 0))
    if mode == "RGBA" and not transparent:
        image = Image.new(mode, size, (200, 0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data, diameter, message",
    [
        (png("RGB", fmt="JPEG"), 36, "PNG"),
        (png("RGB"), 36, "nền trong suốt"),
        (png("RGBA", transparent=False), 36, "nền trong suốt"),
        (png("RGBA", size=(20, 20)), 36, "Kích thước"),
        (b"\x89PNG\r\n\x1a\n broken", 36, "không phải ảnh PNG"),
        ("seal", 5, "Đường kính"),
    ],
)
def test_bad_seal_is_refused_and_nothing_saved(snv, admin_user, data, diameter, message):
    data = seal_png(snv.name) if data == "seal" else data
    with pytest.raises(ValidationError, match=message):
        services.seal_set(
            actor=admin_user, agency=snv, image=png_upload(data), diameter_mm=diameter
        )
    assert not Seal.objects.exists() and not Seal.history.exists()


def test_oversized_image_is_refused(snv, admin_user, settings):
    upload = png_upload(b"\x89PNG\r\n\x1a\n" + b"0" * (services.IMAGE_MAX_BYTES + 1))
    with pytest.raises(ValidationError, match="quá lớn"):
        services.seal_set(actor=admin_user, agency=snv, image=upload, diameter_mm=36)


def test_seal_is_replaced_with_history(snv, admin_user):
    services.seal_set(
        actor=admin_user, agency=snv, image=png_upload(seal_png(snv.name)), diameter_mm=36
    )
    seal = services.seal_set(
        actor=admin_user, agency=snv, image=png_upload(seal_png("Khác")), diameter_mm=40
    )
    assert Seal.objects.get() == seal and seal.diameter_mm == 40
    reasons = list(
        seal.history.order_by("history_date").values_list("history_change_reason", flat=True)
    )
    assert reasons == ["Tải lên hình con dấu", "Thay hình con dấu"]


def test_signature_image_of_the_same_person_is_replaced(snv, admin_user):
    services.signature_image_set(
        actor=admin_user,
        agency=snv,
        full_name="Lê  Văn Tám",
        title="",
        image=png_upload(signature_png("a")),
    )
    services.signature_image_set(
        actor=admin_user,
        agency=snv,
        full_name=unicodedata.normalize("NFD", "lê văn tám"),
        title="Phó Giám đốc",
        image=png_upload(signature_png("b")),
    )
    image = SignatureImage.objects.get()
    assert image.title == "Phó Giám đốc" and image.history.count() == 2
    with pytest.raises(ValidationError, match="họ và tên"):
        services.signature_image_set(
            actor=admin_user,
            agency=snv,
            full_name="  ",
            title="",
            image=png_upload(signature_png("c")),
        )


# --- Admin ---------------------------------------------------------------------------------


def test_admin_adds_a_pkcs12_credential_and_never_shows_the_secret(snv, kit_ca, admin_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import login

    client = login(admin_user)
    url = "/admin/signing/signingcredential/add/"
    form = {
        "source": "pkcs12",
        "agency": snv.pk,
        "label": "Chứng thư Sở Nội vụ",
        "passphrase": "sai",
        "illustrative": "on",
    }
    upload = SimpleUploadedFile("snv.p12", p12(kit_ca, snv))
    refused = client.post(url, {**form, "pkcs12_file": upload})
    assert refused.status_code == 200 and "sai mật khẩu" in refused.content.decode()
    assert not SigningCredential.objects.exists()
    upload = SimpleUploadedFile("snv.p12", p12(kit_ca, snv))
    response = client.post(url, {**form, "passphrase": PASSPHRASE, "pkcs12_file": upload})
    assert response.status_code == 302
    credential = SigningCredential.objects.get()
    assert credential.illustrative and credential.created_by == admin_user
    listing = client.get("/admin/signing/signingcredential/").content.decode()
    assert "chứng thư số thử nghiệm" in listing and credential.subject in listing
    page = client.get(f"/admin/signing/signingcredential/{credential.pk}/change/").content.decode()
    assert PASSPHRASE not in page and credential.fingerprint in page
    assert PASSPHRASE not in client.get(url).content.decode()


def test_admin_deactivates_with_the_action(kit, admin_user):
    from tests.conftest import login

    response = login(admin_user).post(
        "/admin/signing/signingcredential/",
        {"action": "deactivate", "_selected_action": [kit.credential.pk]},
    )
    assert response.status_code == 302
    kit.credential.refresh_from_db()
    assert not kit.credential.active


def test_admin_uploads_a_seal_and_shows_its_preview(snv, admin_user):
    from tests.conftest import login

    client = login(admin_user)
    response = client.post(
        "/admin/signing/seal/add/",
        {"agency": snv.pk, "upload": png_upload(seal_png(snv.name)), "diameter_mm": 36},
    )
    assert response.status_code == 302
    seal = Seal.objects.get()
    page = client.get(f"/admin/signing/seal/{seal.pk}/change/").content.decode()
    assert "data:image/png;base64," in page
    refused = client.post(
        "/admin/signing/signatureimage/add/",
        {"agency": snv.pk, "full_name": "Lê Văn Tám", "upload": png_upload(png("RGB"))},
    )
    assert "nền trong suốt" in refused.content.decode() and not SignatureImage.objects.exists()


# --- Demo ----------------------------------------------------------------------------------


def test_demo_seed_is_idempotent_and_its_ca_validates_its_signatures(snv, pdf, settings):
    from signing import demo

    for _ in range(2):
        demo.seed_lead(snv, signer_names=[SIGNER, "Trần Thị Lan"])
    credential = SigningCredential.objects.get()
    assert credential.illustrative and "(chứng thư số thử nghiệm)" in credential.subject
    assert TrustAnchor.objects.get().illustrative
    assert Seal.objects.get().illustrative and SignatureImage.objects.count() == 2
    ca_pem = (settings.MEDIA_ROOT / "demo-ca.pem").read_bytes()
    ca = pki.load_certificates(ca_pem)[0]
    assert pki.facts(ca).common_name == demo.CA_NAME
    signed = sign(pdf, snv, placement=BOX)
    assert signed.illustrative
    assert validate(signed.data, pki.Issued(key=None, certificate=ca)).bottom_line


# --- Worker warm-up ----------------------------------------------------------------------------


def test_warm_up_loads_each_active_credential_once(kit, snv, settings):
    from signing import sign as signing_sign

    signing_sign._LOADED.clear()
    assert signing_sign.warm_up() == 1
    assert len(signing_sign._LOADED) == 1  # the key is read: the first document waits less
    settings.SIGNING_SECRET = Fernet.generate_key().decode()  # a key that reads nothing
    signing_sign._LOADED.clear()
    assert signing_sign.warm_up() == 0  # skipped, logged; issuing will say why


def test_the_job_worker_runs_the_warm_ups_and_starts_even_if_one_fails(settings, caplog):
    from agencies.management.commands import jobs_worker

    calls = []
    settings.WORKER_WARM_UPS = ["tests.test_signing.record_warm_up", "no.such.warm_up"]
    RECORDED.append(calls)
    jobs_worker._warm_up()
    assert calls == ["warmed"]
    assert "Warm-up no.such.warm_up failed" in caplog.text
    RECORDED.clear()


def test_a_worker_starts_by_warming_up_then_freezes_what_it_holds(settings, monkeypatch):
    """``start_up``: the warm-ups (WeasyPrint and its fonts among them), then ``gc.freeze``:
    what the process holds is no longer walked by each full collection."""
    from agencies.management.commands import jobs_worker
    from reports import pdf

    assert settings.WORKER_WARM_UPS == ["reports.pdf.warm_up", "signing.sign.warm_up"]
    calls = []
    monkeypatch.setattr(jobs_worker.gc, "freeze", lambda: calls.append("frozen"))
    settings.WORKER_WARM_UPS = ["tests.test_signing.record_warm_up"]
    RECORDED.append(calls)
    jobs_worker.start_up()
    RECORDED.clear()
    assert calls == ["warmed", "frozen"]
    pdf._engines.__dict__.pop("engine", None)
    compiled = []
    monkeypatch.setattr(pdf, "get_template", compiled.append)
    pdf.warm_up()  # in the settings' warm-ups: this thread's fonts and stylesheet loaded
    assert pdf._engines.engine is not None
    # and every document's template compiled (the cached loader keeps them)
    assert "reports/pdf/coordination_status.html" in compiled
    assert len(compiled) == len(list(pdf.PDF_TEMPLATES.glob("*.html"))) >= 8


RECORDED: list[list] = []


def record_warm_up() -> None:
    RECORDED[-1].append("warmed")
