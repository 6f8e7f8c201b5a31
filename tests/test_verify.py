"""The public verification page of issued documents (issue 16, point 4): what it shows
to anyone, and what it says about an uploaded PDF — the same bytes, the issued bytes with
an addition, or another file (with what that file's signatures say) — refusing what is
not a PDF, too big, too frequent, and storing nothing.

The issued PDF is signed here with pyHanko (``SimpleSigner``) by a certificate from a CA
made in the test (``signing.pki``), independent of the portal's own signing code.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
import re

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import writer as pdf_writer
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from reports import store
from reports.models import GeneratedDocument, IssuedDocument
from signing import pki
from signing.models import TrustAnchor
from tests.factories import agency

CODE = "7KQ2MZ9TRW4V"  # as reports.issuing.new_code makes them
ISSUED_AT = dt.datetime(2025, 3, 5, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
SAME = "Tệp trùng khớp từng byte với văn bản đã ban hành: văn bản không bị thay đổi."
APPENDED = "Văn bản gốc còn nguyên nhưng tệp có thêm phần được thêm vào sau khi ban hành"
DIFFERENT = "Tệp này KHÁC văn bản đã ban hành"


# --- PDFs signed in the test ------------------------------------------------------------


@functools.cache
def certificates() -> dict[str, pki.Issued]:
    """A test CA with the body's signer, and a stranger's CA with its own signer."""
    ca = pki.make_ca("CA thử nghiệm của tỉnh", organization="Phú Yên (thử nghiệm)")
    stranger_ca = pki.make_ca("CA không được tin cậy")
    return {
        "ca": ca,
        "signer": pki.issue(ca, "Nguyễn Văn An", organization="Sở Nội vụ tỉnh Phú Yên"),
        "stranger": pki.issue(stranger_ca, "Người ký lạ", organization="Cơ quan khác"),
    }


def blank_pdf(text: bytes = b"Bao cao tong hop") -> bytes:
    """A one-page PDF whose page says ``text`` (an uncompressed content stream)."""
    writer = pdf_writer.PdfFileWriter()
    stream = generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET")
    box = generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)])
    writer.insert_page(pdf_writer.PageObject(contents=writer.add_object(stream), media_box=box))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def signed_pdf(data: bytes, who: str = "signer") -> bytes:
    issued = certificates()[who]
    signer = signers.SimpleSigner.load_pkcs12_data(
        pki.pkcs12(issued, b"mat-khau"), other_certs=[], passphrase=b"mat-khau"
    )
    meta = signers.PdfSignatureMetadata(field_name="ChuKy", reason="Ban hành văn bản")
    return signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), meta, signer=signer).read()


@functools.cache
def issued_pdf() -> bytes:
    return signed_pdf(blank_pdf())


def with_addition(data: bytes) -> bytes:
    """``data`` followed by an incremental update (a change made after issuing)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    writer.root["/Lang"] = generic.pdf_string("en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def one_byte_changed(data: bytes) -> bytes:
    at = data.index(b"Bao cao")
    return data[:at] + b"X" + data[at + 1 :]


# --- The register ------------------------------------------------------------------------


def trust_test_ca() -> None:
    ca = certificates()["ca"].certificate
    facts = pki.facts(ca)
    TrustAnchor.objects.create(
        name="CA thử nghiệm của tỉnh",
        certificate=pki.der(ca),
        subject=facts.subject,
        fingerprint=facts.fingerprint,
        not_after=facts.not_after,
        illustrative=True,
    )


def issue(actor, *, data: bytes | None = None, code: str = CODE, signed: bool = True, **fields):
    """A register row; with ``data``, its stored, frozen document as the job stores it."""
    import hashlib

    document = None
    if data is not None:
        document = store.save(
            kind=GeneratedDocument.Kind.CONSOLIDATED,
            object_key=f"verify-{code}",
            data_key="issued",
            data=data,
            filename="bao-cao.pdf",
            freeze=True,
            actor=actor,
        )
    values = {
        "kind": GeneratedDocument.Kind.CONSOLIDATED,
        "object_key": f"verify-{code}",
        "issuer": agency("SNV"),
        "recipient": agency("VPUBND"),
        "year": 2025,
        "number": 5,
        "symbol": "BC-SNV",
        "title": "Báo cáo công tác cải cách hành chính quý I năm 2025",
        "issued_at": ISSUED_AT,
        "issued_by": actor,
        "signer_title": "Giám đốc",
        "signer_name": "Nguyễn Văn An",
        "code": code,
        "document": document,
        "sha256": hashlib.sha256(data).hexdigest() if data is not None else "",
        "size": len(data) if data is not None else None,
    }
    if signed and data is not None:
        values.update(
            signature_level="B-B",
            signed_by="Nguyễn Văn An, Sở Nội vụ tỉnh Phú Yên",
            signed_at=ISSUED_AT,
            illustrative=True,
        )
    values.update(fields)
    return IssuedDocument.objects.create(**values)


def url(code: str = CODE) -> str:
    return reverse("verify_document", kwargs={"code": code})


def upload(client: Client, data: bytes, name: str = "van-ban.pdf", code: str = CODE, **extra):
    return client.post(url(code), {"file": SimpleUploadedFile(name, data)}, **extra)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def issued(noivu):
    trust_test_ca()
    return issue(noivu, data=issued_pdf())


# --- What anyone sees --------------------------------------------------------------------


@pytest.mark.django_db
def test_an_anonymous_visitor_sees_the_register_row(issued):
    response = Client().get(url())
    assert response.status_code == 200
    page = text(response)
    for expected in (
        "Số: 05/BC-SNV",
        "05/03/2025 09:30",
        "Báo cáo công tác cải cách hành chính quý I năm 2025",
        issued.issuer.name,
        issued.recipient.name,
        'Nguyễn Văn An<br><span class="muted">Giám đốc</span>',
        "Nguyễn Văn An, Sở Nội vụ tỉnh Phú Yên",
        "chứng thư số thử nghiệm",
        "PAdES B-B",
        "Đã ban hành và ký số",
        issued.sha256[:4].upper() + " " + issued.sha256[4:8].upper(),
    ):
        assert expected in page, expected
    assert f"({issued.size} byte)" in page


@pytest.mark.django_db
def test_the_public_page_shows_no_private_menu_and_no_download(issued):
    page = text(Client().get(url()))
    assert "Menu chính" not in page and "Đăng xuất" not in page
    assert "Tải văn bản" not in page
    assert issued.document.file.name not in page
    assert 'name="csrfmiddlewaretoken"' in page  # the public form still carries its token


@pytest.mark.django_db
def test_a_signed_in_reader_of_the_register_gets_the_download_link(issued, unrelated_focal):
    from tests.conftest import login

    link = reverse("issued_download", kwargs={"pk": issued.pk})
    assert link in text(login(issued.issued_by).get(url()))
    outsider = text(login(unrelated_focal).get(url()))
    assert link not in outsider and "Số: 05/BC-SNV" in outsider  # still verifies for them
    assert link not in text(Client().get(url()))


@pytest.mark.django_db
def test_an_unsigned_document_says_why(noivu):
    issue(noivu, data=blank_pdf(), signed=False, unsigned_reason="Cơ quan chưa có chứng thư số")
    page = text(Client().get(url()))
    assert "Đã ban hành, chưa ký số: Cơ quan chưa có chứng thư số" in page
    assert "PAdES" not in page


@pytest.mark.django_db
def test_a_document_not_stored_yet_is_being_made_and_refuses_uploads_politely(noivu):
    issue(noivu)
    page = text(Client().get(url()))
    assert "Văn bản đang được tạo" in page
    assert 'type="file"' not in page
    response = upload(Client(), issued_pdf())
    assert response.status_code == 200
    assert "Văn bản đang được tạo nên chưa thể đối chiếu" in text(response)
    assert SAME not in text(response)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_code_is_the_portals_404(issued, method):
    response = getattr(Client(), method)(url("KhongCoMaNay123"))
    assert response.status_code == 404
    assert "Không tìm thấy trang" in text(response)


# --- Comparing an upload -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_bytes_are_the_document_unchanged(issued):
    response = upload(Client(), issued_pdf())
    assert response.status_code == 200
    page = text(response)
    assert SAME in page
    assert DIFFERENT not in page and "Chữ ký số trong tệp tải lên" not in page


@pytest.mark.django_db
def test_one_byte_changed_is_another_file_whose_signature_says_modified(issued):
    page = text(upload(Client(), one_byte_changed(issued_pdf())))
    assert DIFFERENT in page and SAME not in page
    assert "Chữ ký số trong tệp tải lên: Đã bị sửa sau khi ký" in page


@pytest.mark.django_db
def test_an_addition_after_issuing_keeps_the_original_as_a_prefix(issued):
    changed = with_addition(issued_pdf())
    assert changed.startswith(issued_pdf()) and len(changed) > len(issued_pdf())
    page = text(upload(Client(), changed))
    assert APPENDED in page
    assert SAME not in page and DIFFERENT not in page


@pytest.mark.django_db
def test_the_document_signed_by_another_ca_is_different_and_untrusted(issued):
    page = text(upload(Client(), signed_pdf(blank_pdf(), who="stranger")))
    assert DIFFERENT in page
    assert "Chữ ký số trong tệp tải lên: Người ký không được tin cậy" in page
    assert "Người ký lạ" in page


@pytest.mark.django_db
def test_the_page_shows_the_uploads_own_fingerprint(issued):
    import hashlib

    other = blank_pdf(b"Mot van ban khac")
    page = text(upload(Client(), other))
    assert DIFFERENT in page
    assert hashlib.sha256(other).hexdigest()[:8].upper() not in page  # grouped, not raw
    digest = hashlib.sha256(other).hexdigest().upper()
    assert f"{digest[:4]} {digest[4:8]}" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data,message",
    [
        (b"PK\x03\x04 not a pdf at all", "không phải tệp PDF"),
        (b"", "Tệp tải lên trống"),
    ],
    ids=["not-a-pdf", "empty"],
)
def test_what_is_not_a_pdf_is_refused_in_vietnamese(issued, data, message):
    response = upload(Client(), data, name="van-ban.pdf")
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert SAME not in page and DIFFERENT not in page
    assert 'type="file"' in page  # the page is shown again, ready for another file


@pytest.mark.django_db
def test_a_request_without_a_file_is_refused(issued):
    response = Client().post(url(), {})
    assert "Hãy chọn tệp PDF cần đối chiếu" in text(response)


@pytest.mark.django_db
def test_a_file_over_the_limit_is_refused(issued, settings):
    settings.VERIFY_MAX_BYTES = 2000
    response = upload(Client(), issued_pdf())
    assert response.status_code == 200
    page = text(response)
    assert "Tệp quá lớn để đối chiếu; giới hạn là" in page
    assert SAME not in page and DIFFERENT not in page


@pytest.mark.django_db
def test_a_stored_file_that_is_not_as_registered_is_never_declared_the_same(issued):
    with open(issued.document.file.path, "r+b") as handle:
        handle.seek(20)
        handle.write(b"X")
    page = text(upload(Client(), issued_pdf()))
    assert "Không đọc được bản lưu của văn bản để đối chiếu" in page
    assert SAME not in page


# --- Limits ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_checks_are_rate_limited_per_client_address(issued, settings):
    settings.VERIFY_RATE = "2/h"
    client = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(2):
        assert upload(client, issued_pdf()).status_code == 200
    limited = upload(client, issued_pdf())
    assert limited.status_code == 429
    assert "quá nhiều lượt đối chiếu" in text(limited)
    assert SAME not in text(limited)
    assert client.get(url()).status_code == 200  # reading the page is not limited
    assert upload(Client(REMOTE_ADDR="198.51.100.8"), issued_pdf()).status_code == 200


@pytest.mark.django_db
def test_a_forged_forwarded_header_does_not_escape_the_limit(issued, settings):
    settings.VERIFY_RATE = "1/h"
    settings.TRUSTED_PROXY_COUNT = 0
    client = Client(REMOTE_ADDR="198.51.100.9")
    assert upload(client, issued_pdf(), HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    assert upload(client, issued_pdf(), HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_has_its_own_limit(issued, settings):
    settings.VERIFY_RATE = "1/h"
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    assert upload(proxy, issued_pdf(), HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    assert upload(proxy, issued_pdf(), HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200
    assert upload(proxy, issued_pdf(), HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429


@pytest.mark.django_db
def test_the_form_is_protected_against_cross_site_posts(issued):
    client = Client(enforce_csrf_checks=True)
    assert upload(client, issued_pdf()).status_code == 403
    page = client.get(url()).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        url(), {"file": SimpleUploadedFile("a.pdf", issued_pdf()), "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 200 and SAME in text(response)


def _row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def _media_listing(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files
    )


@pytest.mark.django_db
def test_checking_files_stores_nothing(issued, settings, monkeypatch):
    """No row in any table, no file in storage, no temporary file: the upload stays in
    memory. (The rate limit's counter lives in the cache: a number per address.)"""
    from django.core.files import uploadhandler

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # Django's own handlers would spill to disk
    spilled = []
    monkeypatch.setattr(
        uploadhandler, "TemporaryUploadedFile", lambda *a, **k: spilled.append(a) or 1 / 0
    )
    anonymous, officer = Client(), Client()
    officer.force_login(issued.issued_by)
    before, media = _row_counts(), _media_listing(settings.MEDIA_ROOT)
    files = [
        issued_pdf(),
        one_byte_changed(issued_pdf()),
        with_addition(issued_pdf()),
        signed_pdf(blank_pdf(), who="stranger"),
        b"not a pdf",
    ]
    for client in (anonymous, officer):
        for data in files:
            assert upload(client, data).status_code == 200
    assert _row_counts() == before
    assert _media_listing(settings.MEDIA_ROOT) == media
    assert not spilled


# --- The lookup form ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed", [f"  {CODE} ", f"https://cchc.phuyen.gov.vn/v/{CODE}/", f"{CODE[:6]} {CODE[6:]}"]
)
def test_a_typed_code_or_pasted_address_leads_to_its_page(issued, typed):
    response = Client().get(reverse("verify_lookup"), {"code": typed})
    assert response.status_code == 302
    assert response.url == url()


@pytest.mark.django_db
def test_a_code_typed_in_lower_case_finds_the_document(issued):
    response = Client().get(url(CODE.lower()))
    assert response.status_code == 200 and "Số: 05/BC-SNV" in text(response)
    assert SAME in text(upload(Client(), issued_pdf(), code=CODE.lower()))


@pytest.mark.django_db
def test_the_lookup_form_asks_for_a_code(issued):
    page = text(Client().get(reverse("verify_lookup")))
    assert '<label for="verify-code">Mã xác thực</label>' in page
    assert "Hãy nhập mã xác thực" not in page
    for typed in ("  ", "a/b", "x" * 40):
        response = Client().get(reverse("verify_lookup"), {"code": typed})
        assert response.status_code == 200
        assert "Hãy nhập mã xác thực in dưới mã QR" in text(response)


@pytest.mark.django_db
def test_an_unknown_typed_code_ends_on_the_404(issued):
    response = Client().get(reverse("verify_lookup"), {"code": "SaiMa"}, follow=True)
    assert response.status_code == 404
