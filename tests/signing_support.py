"""Shared test helpers for signed documents (issue 16).

- ``signing_kit(agency, ...)``: a CA made here with ``cryptography``, a certificate for the
  body stored as its active PKCS#12 credential, a seal and a signature image for each
  signer, all through the services.
- ``timestamp_server(ca)``: a local RFC 3161 time-stamp authority (pyHanko's
  DummyTimeStamper behind a ThreadingHTTPServer on 127.0.0.1); the ``tsa`` fixture runs one
  for a test and points ``SIGNING_TSA_URL`` at it.
- ``validate(data, ca)``: pyHanko's validator on the document's last signature.
- ``small_pdf(pages)``: a WeasyPrint PDF in the project's serif font.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from django.core.files.uploadedfile import SimpleUploadedFile
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from signing import pki, services
from signing.demo import seal_png, signature_png
from signing.models import SigningCredential

PASSPHRASE = "mat-khau-p12"


def asn1(cert) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(pki.der(cert))


@dataclass
class Kit:
    ca: pki.Issued
    issued: pki.Issued
    credential: SigningCredential


def png_upload(data: bytes, name: str = "anh.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def signing_kit(
    agency,
    *,
    signer_names: tuple[str, ...] = ("Nguyễn Văn Bình",),
    ca: pki.Issued | None = None,
    issued: pki.Issued | None = None,
    seal: bool = True,
    actor=None,
) -> Kit:
    """A credential (PKCS#12), a seal and signature images for ``agency``; the certificate
    is ``issued`` or one ``ca`` issues for the body."""
    ca = ca or pki.make_ca("CA kiểm thử", organization="Phòng thử nghiệm")
    common_name = agency.name.encode()[:64].decode(errors="ignore")  # X.509: 64 bytes
    issued = issued or pki.issue(ca, common_name, organization="UBND tỉnh Phú Yên")
    credential = services.credential_add_pkcs12(
        actor=actor,
        agency=agency,
        label="Chứng thư kiểm thử",
        data=pki.pkcs12(issued, PASSPHRASE.encode()),
        passphrase=PASSPHRASE,
    )
    if seal:
        services.seal_set(
            actor=actor, agency=agency, image=png_upload(seal_png(agency.name)), diameter_mm=36
        )
    for name in signer_names:
        services.signature_image_set(
            actor=actor,
            agency=agency,
            full_name=name,
            title="Giám đốc",
            image=png_upload(signature_png(name)),
        )
    return Kit(ca, issued, credential)


def small_pdf(pages: int = 1) -> bytes:
    from weasyprint import HTML

    body = "".join(
        f"<section style='page-break-after: always'><h1>Trang {n + 1}</h1>"
        "<p>Báo cáo kết quả cải cách hành chính tỉnh Phú Yên.</p></section>"
        for n in range(pages)
    )
    html = f"<html lang='vi'><body style='font-family: Liberation Serif'>{body}</body></html>"
    return HTML(string=html).write_pdf()


def validate(data: bytes, ca: pki.Issued, *, index: int = -1):
    """pyHanko's status of one embedded signature against ``ca`` as the only trust root."""
    reader = PdfFileReader(io.BytesIO(data))
    context = ValidationContext(trust_roots=[asn1(ca.certificate)])
    return validate_pdf_signature(reader.embedded_signatures[index], context)


class _TsaHandler(BaseHTTPRequestHandler):
    stamper: DummyTimeStamper
    requests: list

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Type") != "application/timestamp-query":
            self.send_error(415)
            return
        response = self.stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
        type(self).requests.append(len(body))
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(response)))
        self.end_headers()
        self.wfile.write(response)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def timestamp_server(ca: pki.Issued) -> Iterator[tuple[str, list]]:
    """A time-stamp authority on 127.0.0.1 with a TSA certificate issued by ``ca``; yields
    its URL and the list of requests it answered."""
    tsa = pki.issue(ca, "TSA kiểm thử", time_stamping=True)
    key = asn1_keys.PrivateKeyInfo.load(
        tsa.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    handler = type(
        "Handler",
        (_TsaHandler,),
        {"stamper": DummyTimeStamper(asn1(tsa.certificate), key), "requests": []},
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa", handler.requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def kit_ca():
    return pki.make_ca("CA kiểm thử", organization="Phòng thử nghiệm")


@pytest.fixture
def tsa(kit_ca, settings):
    """A local time-stamp authority for one test, set as SIGNING_TSA_URL."""
    with timestamp_server(kit_ca) as (url, requests):
        settings.SIGNING_TSA_URL = url
        yield requests


def issue_with_crl(ca: pki.Issued, common_name: str, crl_url: str) -> pki.Issued:
    """Like ``pki.issue``, with a CRL distribution point (for B-LT tests)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    plain = pki.issue(ca, common_name)
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(plain.certificate.subject)
        .issuer_name(ca.certificate.subject)
        .public_key(plain.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
    )
    for extension in plain.certificate.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    point = x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(crl_url)],
        relative_name=None,
        reasons=None,
        crl_issuer=None,
    )
    builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return pki.Issued(plain.key, builder.sign(ca.key, hashes.SHA256()), plain.chain)


def empty_crl(ca: pki.Issued) -> bytes:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    now = dt.datetime.now(dt.UTC)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(now - dt.timedelta(hours=1))
        .next_update(now + dt.timedelta(days=7))
        .sign(ca.key, hashes.SHA256())
    )
    return crl.public_bytes(serialization.Encoding.DER)


@contextmanager
def crl_server(ca: pki.Issued) -> Iterator[tuple[str, list]]:
    """An HTTP server on 127.0.0.1 publishing ``ca``'s (empty) CRL; yields its URL and the
    list of paths requested."""
    body = empty_crl(ca)
    requested: list = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            requested.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/pkix-crl")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ca.crl", requested
    finally:
        server.shutdown()
        server.server_close()
