"""Certificates: the facts the portal shows about one, and a small certificate authority
for the demo and the tests (``make_ca``, ``issue``, ``pkcs12``) made with ``cryptography``.

Nothing here is used to sign a real document: the demo CA's certificates are labelled
"chứng thư số thử nghiệm" wherever they appear (docs/signing.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12 as p12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Facts:
    """What the portal records and shows about a certificate."""

    subject: str
    common_name: str
    organization: str
    issuer: str
    serial: str
    fingerprint: str  # SHA-256, hex
    not_before: dt.datetime
    not_after: dt.datetime


def _attr(name: x509.Name, oid) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def facts(cert: x509.Certificate) -> Facts:
    return Facts(
        subject=cert.subject.rfc4514_string(),
        common_name=_attr(cert.subject, NameOID.COMMON_NAME),
        organization=_attr(cert.subject, NameOID.ORGANIZATION_NAME),
        issuer=cert.issuer.rfc4514_string(),
        serial=format(cert.serial_number, "X"),
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM file (one or more) or a single DER certificate;
    ValueError when there is none."""
    if b"-----BEGIN CERTIFICATE-----" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def pem(certs: list[x509.Certificate]) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


# --- A small CA (demo and tests) ------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """A private key with its certificate, and the chain above it (issuer first)."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()


def _name(common_name: str, organization: str) -> x509.Name:
    common_name, organization = common_name[:64], organization[:64]
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_ca(
    common_name: str, *, organization: str = "", days: int = 3650, now: dt.datetime | None = None
) -> Issued:
    """A self-signed root that may issue certificates."""
    now = now or dt.datetime.now(dt.UTC)
    key = _key()
    name = _name(common_name, organization)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(key, cert)


def issue(
    ca: Issued,
    common_name: str,
    *,
    organization: str = "",
    days: int = 730,
    now: dt.datetime | None = None,
    time_stamping: bool = False,
) -> Issued:
    """A signing certificate (non-repudiation) issued by ``ca``; with ``time_stamping``, a
    time-stamp authority's certificate instead. Long: one builder call, each extension a
    statement of ``cryptography``'s API. A common name over 64 characters is cut (X.509's
    limit; Vietnamese names with diacritics reach it)."""
    now = now or dt.datetime.now(dt.UTC)
    key = _key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organization))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=not time_stamping,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.certificate.public_key()),
            critical=False,
        )
    )
    if time_stamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    cert = builder.sign(ca.key, hashes.SHA256())
    return Issued(key, cert, (ca.certificate, *ca.chain))


def pkcs12(issued: Issued, passphrase: bytes, *, name: str = "signer") -> bytes:
    """The key, certificate and chain as a PKCS#12 file protected by ``passphrase``."""
    return p12.serialize_key_and_certificates(
        name.encode(),
        issued.key,
        issued.certificate,
        list(issued.chain) or None,
        serialization.BestAvailableEncryption(passphrase),
    )


def key_pem(issued: Issued) -> bytes:
    """The private key, unencrypted PKCS#8 PEM (to load into a test token)."""
    return issued.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
