"""Signing an issued document: PAdES with pyHanko, with the issuing body's active credential.

- B-B always (subfilter ETSI.CAdES.detached, SHA-256), the certificate chain in the CMS;
- B-T when ``SIGNING_TSA_URL`` names an RFC 3161 time-stamp authority;
- B-LT when ``SIGNING_FETCH_REVOCATION`` is on, a time-stamp was obtained and revocation
  data (OCSP or CRL) for the chain was fetched and embedded in the document security store.

What cannot be had (the time-stamp authority or the revocation data unreachable, the chain
not validating) lowers the level instead of stopping the issue: the level actually reached
is reported in ``Signed.level`` and the reason in ``Signed.notes`` and the log.

The key never leaves ``signing``: a PKCS#12 file is decrypted in memory (and its key kept
in the worker's memory for the next signatures, ``_LOADED``); a token or HSM is opened
through PKCS#11 for one signature and closed again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pkcs11
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from signing import pki, secrets
from signing.appearance import stamp_style
from signing.loops import outside_event_loop
from signing.models import SigningCredential, TrustAnchor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Placement:
    """Where the visible signature goes: PDF points, origin at the page's bottom left;
    ``page`` counts from 0, -1 is the last page."""

    page: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Signed:
    """A signed document and what the register records about its signature."""

    data: bytes
    level: str  # "B-B", "B-T" or "B-LT"
    signer: str  # "CN, O" of the certificate
    certificate_fingerprint: str  # SHA-256, hex
    signed_at: dt.datetime
    illustrative: bool
    notes: tuple[str, ...] = ()  # why a higher level was not reached


class SigningUnavailable(Exception):
    """The body cannot sign now; the message (Vietnamese) says why."""


def can_sign(agency) -> bool:
    """The body has an active, unexpired credential (one query)."""
    now = timezone.now()
    return SigningCredential.objects.filter(
        agency=agency, active=True, not_before__lte=now, not_after__gt=now
    ).exists()


def active_credential(agency, at: dt.datetime) -> SigningCredential:
    credential = SigningCredential.objects.filter(agency=agency, active=True).first()
    if credential is None:
        raise SigningUnavailable(
            _("%(agency)s chưa có chứng thư số đang dùng để ký văn bản.") % {"agency": agency}
        )
    if not credential.not_before <= at < credential.not_after:
        raise SigningUnavailable(
            _(
                "Chứng thư số “%(label)s” của %(agency)s không còn hiệu lực vào thời điểm ký "
                "(hiệu lực đến %(end)s); hãy tải lên chứng thư mới."
            )
            % {
                "label": credential.label,
                "agency": agency,
                "end": timezone.localtime(credential.not_after).strftime("%d/%m/%Y"),
            }
        )
    return credential


def _asn1(certs) -> list[asn1_x509.Certificate]:
    return [asn1_x509.Certificate.load(pki.der(c)) for c in certs]


def _chain(credential: SigningCredential):
    return pki.load_certificates(credential.chain.encode()) if credential.chain else []


class _KeySigner(signers.SimpleSigner):
    """A SimpleSigner keeping its parsed private key: pyHanko's re-reads the key for every
    signature, and cryptography's check of an RSA key costs about 40 ms each time."""

    def __init__(self, *, key, **kwargs):
        super().__init__(**kwargs)
        self._key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        try:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        except ValueError:
            return super().sign_raw(data, digest_algorithm)
        digest = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, PKCS1v15(), digest)
        if mechanism == "ecdsa" and isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(digest))
        return super().sign_raw(data, digest_algorithm)


# Loaded PKCS#12 keys by credential and stored secret: reading a PKCS#12 file runs its
# key derivation (~50 ms), so a worker reads each credential once.
_LOADED: dict[tuple[int, str], _KeySigner] = {}


def _pkcs12_signer(credential: SigningCredential, chain) -> _KeySigner:
    blob = bytes(credential.pkcs12_encrypted) + bytes(credential.secret_encrypted)
    cache_key = (credential.pk, hashlib.sha256(blob).hexdigest())
    if cache_key not in _LOADED:
        passphrase = secrets.decrypt(credential.secret_encrypted) or None
        key, cert, extra = pkcs12.load_key_and_certificates(
            secrets.decrypt(credential.pkcs12_encrypted), passphrase
        )
        der_key = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        if len(_LOADED) >= 16:
            _LOADED.clear()
        _LOADED[cache_key] = _KeySigner(
            key=key,
            signing_cert=_asn1([cert])[0],
            signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
            cert_registry=SimpleCertificateStore.from_certs([*chain, *_asn1(extra)]),
        )
    return _LOADED[cache_key]


@contextmanager
def open_signer(credential: SigningCredential) -> Iterator[signers.Signer]:
    """A pyHanko signer for the credential's key, for one signing session."""
    chain = _chain(credential)
    try:
        if credential.source == SigningCredential.Source.PKCS12:
            yield _pkcs12_signer(credential, _asn1(chain))
            return
        pin = secrets.decrypt(credential.secret_encrypted).decode()
        with pkcs11_session(credential.pkcs11_module, credential.pkcs11_token, pin) as session:
            yield pkcs11_signer(
                session,
                credential.pkcs11_key,
                pki.load_certificates(bytes(credential.certificate))[0],
                chain,
            )
    except secrets.SecretUnreadable as exc:
        raise SigningUnavailable(str(exc)) from exc


@contextmanager
def pkcs11_session(module: str, token_label: str, pin: str):
    """A logged-in session on the token labelled ``token_label`` of a PKCS#11 module,
    closed afterwards; SigningUnavailable (Vietnamese) when it cannot be opened."""
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import open_pkcs11_session

    values = {"module": module, "token": token_label}
    try:
        session = open_pkcs11_session(
            module, token_criteria=TokenCriteria(label=token_label), user_pin=pin
        )
    except pkcs11.PinIncorrect as exc:
        raise SigningUnavailable(_("Mã PIN của token “%(token)s” không đúng.") % values) from exc
    except pkcs11.PinLocked as exc:
        raise SigningUnavailable(_("Token “%(token)s” đã bị khóa mã PIN.") % values) from exc
    except (pkcs11.PKCS11Error, SigningError, OSError) as exc:
        values["error"] = exc
        raise SigningUnavailable(
            _(
                "Không mở được token “%(token)s” qua thư viện PKCS#11 “%(module)s”: thiết bị "
                "không được cắm, sai nhãn token hoặc sai đường dẫn thư viện (%(error)s)."
            )
            % values
        ) from exc
    try:
        yield session
    finally:
        session.close()


def pkcs11_signer(session, key_label: str, certificate, chain) -> signers.Signer:
    """A signer for the private key labelled ``key_label``, with the stored certificate and
    chain (``cryptography`` certificates; the token need not hold them)."""
    from pyhanko.sign.pkcs11 import PKCS11Signer

    return PKCS11Signer(
        session,
        key_label=key_label,
        signing_cert=_asn1([certificate])[0],
        ca_chain=_asn1(chain),
    )


def _timestamper() -> HTTPTimeStamper | None:
    url = settings.SIGNING_TSA_URL
    return HTTPTimeStamper(url, timeout=10) if url else None


def _validation_context(credential: SigningCredential) -> ValidationContext | None:
    """Trust roots for collecting revocation data (B-LT): the top of the credential's chain
    and the active trust anchors. None when fetching is off: nothing could be embedded."""
    if not settings.SIGNING_FETCH_REVOCATION:
        return None
    chain = _chain(credential)
    roots = [c for c in chain if c.subject == c.issuer] or chain[-1:]
    anchors = TrustAnchor.objects.filter(active=True).values_list("certificate", flat=True)
    roots += [pki.load_certificates(bytes(a))[0] for a in anchors]
    return ValidationContext(
        trust_roots=_asn1(roots),
        other_certs=_asn1(chain),
        allow_fetching=True,
        revocation_mode="soft-fail",
    )


RESERVE = 16 * 1024  # hex digits: an 8 KB CMS (signature and a chain of a few certificates)
RESERVE_WITH_TSA = 32 * 1024  # and a time-stamp token with its own chain


class _Signer(signers.PdfSigner):
    """A PdfSigner whose signing time (/M and the appearance) is the issue's time."""

    def __init__(self, *args, when: dt.datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.when = when

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self.when
        return session


@dataclass(frozen=True)
class _Request:
    signer: signers.Signer
    agency: object
    signer_name: str
    placement: Placement | None
    reason: str
    when: dt.datetime


def _field(req: _Request, name: str):
    """The new signature field, and the appearance's style and text when it is visible."""
    if req.placement is None:
        return fields.SigFieldSpec(sig_field_name=name), None, None
    p = req.placement
    field_spec = fields.SigFieldSpec(
        sig_field_name=name, on_page=p.page, box=(p.x, p.y, p.x + p.width, p.y + p.height)
    )
    style, params = stamp_style(
        p.width, p.height, agency=req.agency, signer_name=req.signer_name, when=req.when
    )
    return field_spec, style, params


def _sign_once(data: bytes, req: _Request, timestamper, context: ValidationContext | None) -> bytes:
    name = f"ChuKySo-{uuid.uuid4().hex[:12]}"
    field_spec, style, params = _field(req, name)
    meta = signers.PdfSignatureMetadata(
        field_name=name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=req.reason or None,
        name=req.signer_name or None,
        embed_validation_info=context is not None,
        validation_context=context,
        signer_key_usage=set(),
    )
    pdf_signer = _Signer(
        meta,
        req.signer,
        timestamper=timestamper,
        stamp_style=style,
        new_field_spec=field_spec,
        when=req.when,
    )
    # Room for the CMS (hex digits) fixed ahead, sparing pyHanko a trial signature; when a
    # long chain or time-stamp token does not fit, it is measured and signed again.
    reserve = RESERVE_WITH_TSA if timestamper is not None else RESERVE
    for bytes_reserved in (reserve, None):
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        try:
            return pdf_signer.sign_pdf(
                writer, appearance_text_params=params, bytes_reserved=bytes_reserved
            ).getvalue()
        except SigningError as exc:
            if bytes_reserved is None or "ByteRange" not in str(exc):
                raise
    raise AssertionError("unreachable")


def _revocation_embedded(signed: bytes) -> bool:
    try:
        dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(signed), strict=False))
    except NoDSSFoundError:
        return False
    return bool(dss.ocsps or dss.crls)


def _sign_reaching(data: bytes, req: _Request, credential) -> tuple[bytes, str, list[str]]:
    """Sign at the highest level within reach, lowering it on what fails."""
    timestamper, context, notes = _timestamper(), _validation_context(credential), []
    while True:
        try:
            signed = _sign_once(data, req, timestamper, context)
            break
        except TimestampRequestError as exc:
            if timestamper is None:
                raise
            timestamper = None
            notes.append(_("Không lấy được dấu thời gian (%(error)s).") % {"error": exc})
        except (SigningError, ValueError, OSError) as exc:
            if context is None:
                raise
            context = None
            notes.append(_("Không kiểm tra được chuỗi chứng thư (%(error)s).") % {"error": exc})
        logger.warning("Signing for %s, retried at a lower level: %s", req.agency, notes[-1])
    level = "B-T" if timestamper is not None else "B-B"
    if context is not None:
        if not _revocation_embedded(signed):
            notes.append(_("Không lấy được dữ liệu thu hồi chứng thư (OCSP/CRL)."))
        elif level == "B-T":
            level = "B-LT"
        else:
            notes.append(_("Đã nhúng dữ liệu thu hồi nhưng thiếu dấu thời gian."))
        if level != "B-LT":
            logger.warning("Signing for %s reached %s: %s", req.agency, level, notes[-1])
    return signed, level, notes


def readable_signer(credential: SigningCredential) -> str:
    facts = pki.facts(pki.load_certificates(bytes(credential.certificate))[0])
    return ", ".join(part for part in (facts.common_name, facts.organization) if part)


def sign_pdf(
    data: bytes,
    *,
    agency,
    signer_name: str,
    signer_title: str = "",
    placement: Placement | None = None,
    reason: str = "",
    when: dt.datetime | None = None,
) -> Signed:
    """``data`` signed with ``agency``'s active credential (PAdES, an incremental update:
    the bytes before it are unchanged). ``signer_name`` picks the signature image shown at
    ``placement``; ``signer_title`` is printed by the document itself, between it and the
    name. Raises SigningUnavailable with a Vietnamese message when the body cannot sign."""
    when = when or timezone.now()
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    credential = active_credential(agency, when)
    with open_signer(credential) as signer:
        req = _Request(signer, agency, signer_name, placement, reason, when)
        try:
            signed, level, notes = outside_event_loop(_sign_reaching, data, req, credential)
        except (SigningError, TimestampRequestError, OSError, pkcs11.PKCS11Error) as exc:
            raise SigningUnavailable(
                _("Không ký được văn bản bằng chứng thư “%(label)s”: %(error)s")
                % {"label": credential.label, "error": exc}
            ) from exc
    return Signed(
        data=signed,
        level=level,
        signer=readable_signer(credential),
        certificate_fingerprint=credential.fingerprint,
        signed_at=when,
        illustrative=credential.illustrative,
        notes=tuple(notes),
    )


def warm_up() -> int:
    """Sign a one-page document once with each body's active credential, with its seal and
    signature images, in this process: the key is read, the font cut down and the images
    composed before the first real document waits for them (about 300 ms, once per
    process). Run by ``jobs_worker`` when it starts (``settings.WORKER_WARM_UPS``); returns
    how many credentials were warmed. A credential that cannot sign is skipped (issuing
    says why when it is used)."""
    from weasyprint import HTML

    page = HTML(string="<p>.</p>").write_pdf()
    box = Placement(page=0, x=300, y=400, width=220, height=110)
    warmed = 0
    credentials = SigningCredential.objects.filter(active=True).select_related("agency")
    for credential in credentials:
        names = credential.agency.signature_images.values_list("full_name", flat=True)
        try:
            sign_pdf(
                page, agency=credential.agency, signer_name=next(iter(names), ""), placement=box
            )
        except SigningUnavailable as exc:
            logger.warning("Signing not warmed for %s: %s", credential.agency, exc)
            continue
        warmed += 1
    return warmed
