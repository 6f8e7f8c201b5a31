"""The check of signed PDFs that bodies upload, and the trust anchors (issue 16, points 5
and 7): a CA made in the test, PDFs signed here with pyHanko directly, and every result the
check can give, asserted exactly; the anchors' service and the recheck it schedules."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from asn1crypto import cms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1 as asn1_cert,
)
from pyhanko.keys.internal import (
    translate_pyca_cryptography_key_to_asn1 as asn1_key,
)
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from agencies.files import SignatureStatus
from coordination import services as coordination
from coordination.models import Attachment
from signing import pki
from signing.anchors import trust_anchor_add, trust_anchor_set_active
from signing.models import TrustAnchor
from signing.tasks import recheck_signatures, stored_file_models
from signing.verify import check_pdf, inspect_upload
from tests.conftest import login
from tests.coordination_factories import make_task
from tests.factories import UserFactory, agency

S = SignatureStatus
SIGNED_AT = dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)


# --- Making PDFs, signing and changing them ----------------------------------------------


def make_pdf(text: str = "Bao cao so 05") -> bytes:
    """A one-page PDF showing ``text`` (Helvetica)."""
    writer = PdfFileWriter()
    font = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Font"),
            pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name("/Helvetica"),
        }
    )
    content = generic.StreamObject(stream_data=f"BT /F1 20 Tf 72 720 Td ({text}) Tj ET".encode())
    page = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject(
                [generic.NumberObject(n) for n in (0, 0, 595, 842)]
            ),
            pdf_name("/Contents"): writer.add_object(content),
            pdf_name("/Resources"): generic.DictionaryObject(
                {
                    pdf_name("/Font"): generic.DictionaryObject(
                        {pdf_name("/F1"): writer.add_object(font)}
                    )
                }
            ),
        }
    )
    writer.insert_page(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def sign(data: bytes, issued: pki.Issued, *, field: str = "ChuKy1", timestamper=None) -> bytes:
    """``data`` signed by ``issued`` (its chain embedded), PAdES, with pyHanko itself."""
    signer = signers.SimpleSigner(
        asn1_cert(issued.certificate),
        asn1_key(issued.key),
        SimpleCertificateStore.from_certs([asn1_cert(c) for c in issued.chain]),
    )
    meta = signers.PdfSignatureMetadata(field_name=field, subfilter=None)
    pdf_signer = signers.PdfSigner(meta, signer, timestamper=timestamper)
    return pdf_signer.sign_pdf(IncrementalPdfFileWriter(BytesIO(data))).getvalue()


def change_text(data: bytes) -> bytes:
    """One byte changed inside the signed range: the page's text."""
    at = data.index(b"Bao cao so 05") + len("Bao cao so 0")
    return data[:at] + b"9" + data[at + 1 :]


def change_signature_value(data: bytes) -> bytes:
    """The signature value (inside /Contents, outside the signed range) with one bit
    flipped, the file otherwise untouched."""
    start = data.index(b"/Contents <") + len(b"/Contents <")
    end = data.index(b">", start)
    raw = bytes.fromhex(data[start:end].decode())
    # The value is padded with zeros up to the space reserved for it; its own last byte
    # may be a zero too (1 signature in 256), so the DER's length says where it ends
    # (``load`` leaves what follows it), not a strip of the zeros.
    info = cms.ContentInfo.load(raw)
    signer_info = info["content"]["signer_infos"][0]
    value = bytearray(signer_info["signature"].native)
    value[10] ^= 0x01
    signer_info["signature"] = bytes(value)
    dumped = info.dump(force=True)
    hexed = dumped.hex().encode().ljust(end - start, b"0")
    assert len(hexed) == end - start
    return data[:start] + hexed + data[end:]


def add_page_content(data: bytes) -> bytes:
    """An incremental update after signing that adds text to the signed page."""
    writer = IncrementalPdfFileWriter(BytesIO(data))
    stream = generic.StreamObject(stream_data=b"BT /F1 20 Tf 72 600 Td (Da duyet) Tj ET")
    writer.add_stream_to_page(0, writer.add_object(stream))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    writer = PdfFileWriter()
    writer.encrypt("chu-so-huu", "nguoi-doc")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


# --- The cast of certificates ----------------------------------------------------------------


@pytest.fixture(scope="module")
def ca():
    return pki.make_ca("CA thử nghiệm Phú Yên", organization="Ban Cơ yếu (thử nghiệm)")


@pytest.fixture(scope="module")
def officer(ca):
    return pki.issue(ca, "Nguyễn Văn An", organization="Sở Nội vụ tỉnh Phú Yên")


@pytest.fixture(scope="module")
def signed(officer):
    return sign(make_pdf(), officer)


@pytest.fixture
def admin(db):
    return UserFactory(username="t_admin", agency=agency("SNV"), is_superuser=True, is_staff=True)


@pytest.fixture
def trusted(db, admin, ca):
    return trust_anchor_add(
        actor=admin, name="Gốc thử nghiệm", data=pki.pem([ca.certificate]).encode()
    )


# --- check_pdf ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signed_by_a_trusted_ca_is_valid_with_signer_and_time(trusted, signed):
    before = dt.datetime.now(dt.UTC)
    check = check_pdf(signed)
    assert check.status == S.VALID
    assert check.signer == "Nguyễn Văn An, Sở Nội vụ tỉnh Phú Yên"
    assert check.signatures == 1
    assert before - dt.timedelta(minutes=5) < check.signed_at <= dt.datetime.now(dt.UTC)
    assert "Gốc thử nghiệm" in check.detail


@pytest.mark.django_db
def test_a_time_stamp_gives_the_signing_time(trusted, ca, officer):
    tsa = pki.issue(ca, "TSA thử nghiệm", time_stamping=True)
    stamper = DummyTimeStamper(asn1_cert(tsa.certificate), asn1_key(tsa.key), fixed_dt=SIGNED_AT)
    check = check_pdf(sign(make_pdf(), officer, timestamper=stamper))
    assert check.status == S.VALID
    assert check.signed_at == SIGNED_AT


@pytest.mark.django_db
def test_one_byte_changed_inside_the_signed_range_is_modified(trusted, signed):
    check = check_pdf(change_text(signed))
    assert check.status == S.MODIFIED
    assert check.signer == "Nguyễn Văn An, Sở Nội vụ tỉnh Phú Yên"
    assert check.detail == "Nội dung tệp không còn khớp với nội dung người ký đã ký."


@pytest.mark.django_db
def test_a_changed_signature_value_is_invalid(trusted, signed):
    check = check_pdf(change_signature_value(signed))
    assert check.status == S.INVALID
    assert "Giá trị chữ ký không khớp" in check.detail


@pytest.mark.django_db
def test_an_incremental_update_changing_the_page_after_signing_is_modified(trusted, signed):
    check = check_pdf(add_page_content(signed))
    assert check.status == S.MODIFIED
    assert "sửa thêm sau khi ký" in check.detail


@pytest.mark.django_db
def test_a_second_signature_is_an_allowed_update_and_both_signers_are_named(trusted, ca, signed):
    deputy = pki.issue(ca, "Trần Thị Bình", organization="Sở Nội vụ tỉnh Phú Yên")
    check = check_pdf(sign(signed, deputy, field="ChuKy2"))
    assert check.status == S.VALID and check.signatures == 2
    assert check.signer == (
        "Nguyễn Văn An, Sở Nội vụ tỉnh Phú Yên; Trần Thị Bình, Sở Nội vụ tỉnh Phú Yên"
    )


@pytest.mark.django_db
def test_the_worst_of_several_signatures_is_reported_with_the_count(trusted, signed):
    stranger = pki.issue(pki.make_ca("CA lạ"), "Người lạ")
    check = check_pdf(sign(signed, stranger, field="ChuKy2"))
    assert check.status == S.UNTRUSTED and check.signatures == 2
    assert check.signer == "Người lạ"
    assert check.detail.startswith("Tệp có 2 chữ ký số")


@pytest.mark.django_db
def test_a_signer_from_another_ca_is_untrusted(trusted):
    other = pki.make_ca("CA khác")
    check = check_pdf(sign(make_pdf(), pki.issue(other, "Lê Văn Cường", organization="Sở Y tế")))
    assert check.status == S.UNTRUSTED
    assert check.signer == "Lê Văn Cường, Sở Y tế"
    assert "nơi cấp: CA khác" in check.detail


@pytest.mark.django_db
def test_with_no_anchor_at_all_every_signer_is_untrusted(signed):
    check = check_pdf(signed)
    assert check.status == S.UNTRUSTED
    assert "Chưa có chứng thư gốc tin cậy nào" in check.detail


@pytest.mark.django_db
def test_an_anchor_no_longer_trusted_does_not_count(trusted, admin, signed):
    trust_anchor_set_active(actor=admin, anchor=trusted, active=False)
    assert check_pdf(signed).status == S.UNTRUSTED


@pytest.mark.django_db
def test_an_expired_signer_certificate_is_untrusted_and_says_so(trusted, ca):
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    expired = pki.issue(ca, "Phạm Văn Dũng", now=long_ago, days=10)
    check = check_pdf(sign(make_pdf(), expired))
    assert check.status == S.UNTRUSTED
    assert "hết hạn" in check.detail


@pytest.mark.django_db
def test_an_expired_signer_with_a_trusted_time_stamp_from_its_validity_is_valid(admin):
    now = dt.datetime.now(dt.UTC)
    old_ca = pki.make_ca("CA lâu năm", now=now - dt.timedelta(days=400))
    trust_anchor_add(actor=admin, name="CA lâu năm", data=pki.der(old_ca.certificate))
    expired = pki.issue(old_ca, "Phạm Văn Dũng", now=now - dt.timedelta(days=30), days=10)
    tsa = pki.issue(old_ca, "TSA", time_stamping=True, now=now - dt.timedelta(days=60))
    stamped_at = (now - dt.timedelta(days=28)).replace(microsecond=0)
    stamper = DummyTimeStamper(asn1_cert(tsa.certificate), asn1_key(tsa.key), fixed_dt=stamped_at)
    check = check_pdf(sign(make_pdf(), expired, timestamper=stamper))
    assert (check.status, check.signed_at) == (S.VALID, stamped_at)
    unstamped = check_pdf(sign(make_pdf(), expired))
    assert unstamped.status == S.UNTRUSTED
    assert "không có dấu thời gian tin cậy" in unstamped.detail


@pytest.mark.django_db
def test_a_test_root_labels_its_signers(admin, ca, signed):
    trust_anchor_add(actor=admin, name="CA demo", data=pki.der(ca.certificate), illustrative=True)
    check = check_pdf(signed)
    assert check.status == S.VALID
    assert check.signer == "Nguyễn Văn An, Sở Nội vụ tỉnh Phú Yên (chứng thư số thử nghiệm)"
    assert "không có giá trị pháp lý" in check.detail


@pytest.mark.django_db
def test_an_unsigned_pdf_is_unsigned(trusted):
    check = check_pdf(make_pdf())
    assert (check.status, check.signer, check.signed_at, check.signatures) == (
        S.UNSIGNED,
        "",
        None,
        0,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"%PDF-1.7\nkhong phai PDF\n", id="garbage"),
        pytest.param(b"", id="empty"),
        pytest.param("truncated", id="truncated"),
        pytest.param("encrypted", id="encrypted"),
    ],
)
def test_a_broken_or_encrypted_pdf_is_unreadable(trusted, signed, data):
    data = {"truncated": signed[: len(signed) // 3], "encrypted": encrypted_pdf()}.get(data, data)
    check = check_pdf(data)
    assert check.status == S.UNREADABLE
    assert check.detail.startswith("Tệp PDF")


# --- The upload inspector ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_inspector_fills_the_fields_of_a_pdf_and_leaves_other_files_blank(trusted, signed):
    pdf = Attachment()
    inspect_upload(pdf, SimpleUploadedFile("cong-van.pdf", signed))
    assert pdf.signature_status == S.VALID
    assert pdf.signature_signer == "Nguyễn Văn An, Sở Nội vụ tỉnh Phú Yên"
    assert pdf.signature_time is not None and pdf.signature_checked_at is not None
    other = Attachment()
    inspect_upload(other, SimpleUploadedFile("so-lieu.docx", b"PK\x03\x04" + signed))
    assert other.signature_status == "" and other.signature_checked_at is None


# --- Trust anchors ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_anchor_is_added_from_pem_or_der_with_its_facts_and_history(admin, ca):
    from_pem = trust_anchor_add(actor=admin, name="", data=pki.pem([ca.certificate]).encode())
    facts = pki.facts(ca.certificate)
    assert from_pem.name == "CA thử nghiệm Phú Yên"  # the certificate's CN when unnamed
    assert (from_pem.fingerprint, from_pem.subject) == (facts.fingerprint, facts.subject)
    assert bytes(from_pem.certificate) == pki.der(ca.certificate)
    assert from_pem.active and from_pem.added_by == admin
    [record] = from_pem.history.all()
    assert record.history_user == admin
    assert record.history_change_reason == "Thêm chứng thư gốc tin cậy"
    other = pki.make_ca("CA thứ hai")
    from_der = trust_anchor_add(actor=admin, name="Thứ hai", data=pki.der(other.certificate))
    assert from_der.subject == pki.facts(other.certificate).subject


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data,message",
    [
        (b"day khong phai chung thu", "không phải là chứng thư số X.509"),
        (b"", "không phải là một chứng thư số"),
        (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "không phải là"),
        ("two", "Tệp chứa 2 chứng thư"),
        ("expired", "đã hết hạn"),
    ],
)
def test_bad_input_is_refused_in_vietnamese_and_nothing_is_saved(admin, data, message):
    if data == "two":
        data = pki.pem([pki.make_ca("A").certificate, pki.make_ca("B").certificate]).encode()
    elif data == "expired":
        past = dt.datetime.now(dt.UTC) - dt.timedelta(days=100)
        data = pki.der(pki.make_ca("Cũ", now=past, days=10).certificate)
    with pytest.raises(ValidationError) as refused:
        trust_anchor_add(actor=admin, name="X", data=data)
    assert message in " ".join(refused.value.messages)
    assert not TrustAnchor.objects.exists() and not TrustAnchor.history.exists()


@pytest.mark.django_db
def test_a_duplicate_is_refused_naming_the_anchor_already_there(admin, trusted, ca):
    with pytest.raises(ValidationError) as refused:
        trust_anchor_add(actor=admin, name="Lần hai", data=pki.der(ca.certificate))
    assert refused.value.messages == [
        "Chứng thư này đã có trong danh sách với tên “Gốc thử nghiệm”."
    ]
    assert TrustAnchor.objects.count() == 1


@pytest.mark.django_db
def test_only_an_administrator_changes_the_anchors(noivu, admin, ca, trusted):
    with pytest.raises(PermissionDenied):
        trust_anchor_add(actor=noivu, name="X", data=pki.der(pki.make_ca("Y").certificate))
    with pytest.raises(PermissionDenied):
        trust_anchor_set_active(actor=noivu, anchor=trusted, active=False)
    assert TrustAnchor.objects.filter(active=True).count() == 1


@pytest.mark.django_db
def test_stopping_and_resuming_trust_is_recorded(admin, trusted):
    trust_anchor_set_active(actor=admin, anchor=trusted, active=False)
    trust_anchor_set_active(actor=admin, anchor=trusted, active=False)  # no change, no record
    trust_anchor_set_active(actor=admin, anchor=trusted, active=True)
    reasons = [h.history_change_reason for h in trusted.history.order_by("history_id")]
    assert reasons == [
        "Thêm chứng thư gốc tin cậy",
        "Ngừng tin cậy chứng thư gốc",
        "Tin cậy lại chứng thư gốc",
    ]


# --- The recheck ------------------------------------------------------------------------------


def test_the_recheck_finds_every_kind_of_stored_file():
    names = sorted(m._meta.label for m in stored_file_models())
    assert names == ["coordination.Attachment", "reports.ReportAttachment", "scoring.Evidence"]


@pytest.mark.django_db
def test_adding_the_root_rechecks_stored_files_and_withdrawing_it_too(
    admin, noivu, ca, signed, django_capture_on_commit_callbacks
):
    task = make_task(actor=noivu)
    upload = SimpleUploadedFile("quyet-dinh.pdf", signed, "application/pdf")
    attachment = coordination.attachment_add(actor=noivu, task=task, upload=upload)
    attachment.refresh_from_db()
    assert attachment.signature_status == S.UNTRUSTED
    history_rows = Attachment.history.count()

    with django_capture_on_commit_callbacks(execute=True):
        anchor = trust_anchor_add(actor=admin, name="Gốc", data=pki.der(ca.certificate))
    attachment.refresh_from_db()
    assert attachment.signature_status == S.VALID
    assert attachment.signature_signer == "Nguyễn Văn An, Sở Nội vụ tỉnh Phú Yên"

    with django_capture_on_commit_callbacks(execute=True):
        trust_anchor_set_active(actor=admin, anchor=anchor, active=False)
    attachment.refresh_from_db()
    assert attachment.signature_status == S.UNTRUSTED
    assert Attachment.history.count() == history_rows  # a recomputed result is no decision


@pytest.mark.django_db
def test_the_recheck_also_checks_pdfs_stored_before_signatures_were_checked(
    admin, noivu, ca, signed, django_capture_on_commit_callbacks
):
    task = make_task(actor=noivu)
    upload = SimpleUploadedFile("cu.pdf", signed, "application/pdf")
    old = coordination.attachment_add(actor=noivu, task=task, upload=upload)
    Attachment.objects.filter(pk=old.pk).update(signature_status="", signature_checked_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        trust_anchor_add(actor=admin, name="Gốc", data=pki.der(ca.certificate))
    old.refresh_from_db()
    assert old.signature_status == S.VALID and old.signature_checked_at is not None


@pytest.mark.django_db
def test_the_recheck_leaves_files_that_are_not_pdfs_alone_and_survives_a_missing_file(
    admin, noivu, ca, signed
):
    task = make_task(actor=noivu)
    kept = coordination.attachment_add(
        actor=noivu, task=task, upload=SimpleUploadedFile("a.pdf", signed, "application/pdf")
    )
    gone = coordination.attachment_add(
        actor=noivu, task=task, upload=SimpleUploadedFile("b.pdf", signed, "application/pdf")
    )
    gone.file.storage.delete(gone.file.name)
    photo = coordination.attachment_add(
        actor=noivu,
        task=task,
        upload=SimpleUploadedFile("anh.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20, "image/png"),
    )
    TrustAnchor.objects.create(
        name="Gốc",
        certificate=pki.der(ca.certificate),
        fingerprint=pki.facts(ca.certificate).fingerprint,
        not_after=pki.facts(ca.certificate).not_after,
    )
    assert recheck_signatures.call() == {"valid": 1, "missing": 1}
    kept.refresh_from_db(), gone.refresh_from_db(), photo.refresh_from_db()
    assert (kept.signature_status, gone.signature_status, photo.signature_status) == (
        S.VALID,
        S.UNTRUSTED,
        "",
    )


# --- The admin ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_administrator_adds_a_root_from_its_file_in_the_admin(admin, ca):
    client = login(admin)
    form = client.get(reverse("admin:signing_trustanchor_add")).content.decode()
    assert 'type="file" name="upload"' in form and 'enctype="multipart/form-data"' in form
    upload = SimpleUploadedFile("goc.cer", pki.der(ca.certificate))
    response = client.post(
        reverse("admin:signing_trustanchor_add"), {"upload": upload, "name": "Gốc Ban Cơ yếu"}
    )
    assert response.status_code == 302
    anchor = TrustAnchor.objects.get()
    assert (anchor.name, anchor.active, anchor.illustrative) == ("Gốc Ban Cơ yếu", True, False)
    assert anchor.history.get().history_user == admin
    listing = client.get(reverse("admin:signing_trustanchor_changelist")).content.decode()
    assert "Gốc Ban Cơ yếu" in listing and anchor.fingerprint in listing


@pytest.mark.django_db
def test_the_admin_refuses_a_file_that_is_no_certificate_and_saves_nothing(admin):
    response = login(admin).post(
        reverse("admin:signing_trustanchor_add"),
        {"upload": SimpleUploadedFile("goc.cer", b"khong phai"), "name": "X"},
    )
    assert response.status_code == 200
    assert "không phải là chứng thư số X.509" in response.content.decode()
    assert not TrustAnchor.objects.exists()


@pytest.mark.django_db
def test_the_admin_stops_trust_with_an_action_and_the_facts_stay_read_only(admin, trusted):
    client = login(admin)
    response = client.post(
        reverse("admin:signing_trustanchor_changelist"),
        {"action": "distrust", "_selected_action": [trusted.pk]},
    )
    assert response.status_code == 302
    trusted.refresh_from_db()
    assert not trusted.active
    assert trusted.history.first().history_change_reason == "Ngừng tin cậy chứng thư gốc"
    page = client.get(reverse("admin:signing_trustanchor_change", args=[trusted.pk]))
    assert page.status_code == 200 and 'name="name"' not in page.content.decode()
    delete = client.post(reverse("admin:signing_trustanchor_delete", args=[trusted.pk]))
    assert delete.status_code == 403 and TrustAnchor.objects.filter(pk=trusted.pk).exists()
