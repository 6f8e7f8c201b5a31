"""Writes of the signing app: a body's credential (PKCS#12 file or PKCS#11 token), its
seal and its signers' signature images. Each validates first (Vietnamese messages, nothing
saved on bad input), saves in one transaction and records history with a reason. Secrets
are encrypted (``signing.secrets``) and never written to history."""

from __future__ import annotations

import io
import unicodedata

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from agencies import history
from agencies.access import require
from signing import pki, secrets
from signing.models import Seal, SignatureImage, SigningCredential

PKCS12_MAX_BYTES = 200 * 1024
CERTIFICATE_MAX_BYTES = 200 * 1024
IMAGE_MAX_BYTES = 2 * 1024 * 1024
IMAGE_MAX_SIDE = 4000
IMAGE_MIN_SIDE = 50
TRANSPARENT_SHARE = 0.2  # at least this share of the pixels fully transparent
SEAL_DIAMETER_MM = (20, 60)


def _allowed(actor, codename: str) -> bool:
    """Commands and the demo act as the system (``actor=None``); a person needs the model
    permission the admin grants (signing.anchors does the same)."""
    return actor is None or actor.has_perm(f"signing.{codename}")


# --- Certificates -----------------------------------------------------------------------------


def _check_certificate(cert: x509.Certificate) -> pki.Facts:
    facts = pki.facts(cert)
    now = timezone.now()
    values = {
        "subject": facts.common_name or facts.subject,
        "start": timezone.localtime(facts.not_before).strftime("%d/%m/%Y"),
        "end": timezone.localtime(facts.not_after).strftime("%d/%m/%Y"),
    }
    if facts.not_after <= now:
        raise ValidationError(
            _("Chứng thư số “%(subject)s” đã hết hiệu lực ngày %(end)s.") % values
        )
    if facts.not_before > now:
        raise ValidationError(
            _("Chứng thư số “%(subject)s” chỉ có hiệu lực từ ngày %(start)s.") % values
        )
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return facts
    if not (usage.digital_signature or usage.content_commitment):
        raise ValidationError(_("Chứng thư số “%(subject)s” không được cấp để ký số.") % values)
    return facts


def _read_pkcs12(data: bytes, passphrase: str):
    if not data:
        raise ValidationError(_("Hãy chọn tệp PKCS#12 (.p12, .pfx)."))
    if len(data) > PKCS12_MAX_BYTES:
        raise ValidationError(
            _("Tệp PKCS#12 quá lớn (giới hạn %(limit)s).")
            % {"limit": filesizeformat(PKCS12_MAX_BYTES)}
        )
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase.encode() or None)
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            _("Không mở được tệp PKCS#12: sai mật khẩu, hoặc tệp không phải PKCS#12 (.p12, .pfx).")
        ) from exc
    if key is None:
        raise ValidationError(_("Tệp PKCS#12 không chứa khóa bí mật để ký."))
    if cert is None:
        raise ValidationError(_("Tệp PKCS#12 không chứa chứng thư số của khóa."))
    if _public(key.public_key()) != _public(cert.public_key()):
        raise ValidationError(_("Khóa bí mật trong tệp PKCS#12 không khớp với chứng thư số."))
    return cert, list(extra)


def _public(public_key) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _new_credential(*, actor, agency, label, source, cert, chain, illustrative, **fields):
    if not (label or "").strip():
        raise ValidationError(_("Hãy đặt tên gọi cho chứng thư số."))
    facts = _check_certificate(cert)
    return SigningCredential(
        agency=agency,
        label=label.strip(),
        source=source,
        certificate=pki.der(cert),
        chain=pki.pem(chain),
        subject=facts.subject,
        issuer=facts.issuer,
        serial=facts.serial,
        fingerprint=facts.fingerprint,
        not_before=facts.not_before,
        not_after=facts.not_after,
        active=True,
        illustrative=illustrative,
        created_by=actor,
        **fields,
    )


def _save_active(credential: SigningCredential, actor) -> SigningCredential:
    """Save ``credential`` as the body's one active credential, retiring the previous one."""
    with transaction.atomic():
        previous = SigningCredential.objects.select_for_update().filter(
            agency=credential.agency, active=True
        )
        for old in previous:
            old.active = False
            reason = _("Thay bằng chứng thư số mới “%(label)s”") % {"label": credential.label}
            history.save(old, reason, actor)
        history.save(credential, _("Tải lên chứng thư số để ký văn bản"), actor)
    return credential


def credential_add_pkcs12(
    *, actor, agency, label: str, data: bytes, passphrase: str, illustrative: bool = False
) -> SigningCredential:
    """Store a PKCS#12 file (encrypted, with its passphrase) as the body's active credential."""
    require(_allowed(actor, "add_signingcredential"))
    cert, extra = _read_pkcs12(data, passphrase)
    chain = [
        c for c in extra if c.fingerprint(hashes.SHA256()) != cert.fingerprint(hashes.SHA256())
    ]
    credential = _new_credential(
        actor=actor,
        agency=agency,
        label=label,
        source=SigningCredential.Source.PKCS12,
        cert=cert,
        chain=chain,
        illustrative=illustrative,
        pkcs12_encrypted=secrets.encrypt(data),
        secret_encrypted=secrets.encrypt(passphrase.encode()),
    )
    return _save_active(credential, actor)


def _read_certificates(data: bytes, what: str) -> list[x509.Certificate]:
    if len(data) > CERTIFICATE_MAX_BYTES:
        raise ValidationError(_("Tệp %(what)s quá lớn.") % {"what": what})
    try:
        return pki.load_certificates(data)
    except ValueError as exc:
        raise ValidationError(
            _("Tệp %(what)s không phải chứng thư số dạng PEM hoặc DER.") % {"what": what}
        ) from exc


def _prove_key(session, key_label: str, cert: x509.Certificate, chain) -> None:
    """Sign a probe with the token's key and verify it with the certificate's public key."""
    import asyncio

    import pkcs11

    from signing.sign import pkcs11_signer

    probe = b"signing.services: key matches certificate"
    try:
        signer = pkcs11_signer(session, key_label, cert, chain)
        signature = asyncio.run(signer.async_sign_raw(probe, "sha256"))
    except pkcs11.PKCS11Error as exc:
        raise ValidationError(
            _("Không tìm thấy hoặc không dùng được khóa “%(key)s” trên token (%(error)s).")
            % {"key": key_label, "error": exc}
        ) from exc
    public = cert.public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, probe, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, probe, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise ValidationError(
            _("Khóa “%(key)s” trên token không khớp với chứng thư số đã chọn.") % {"key": key_label}
        ) from exc


def _check_token(credential: SigningCredential, pin: str, cert, chain) -> None:
    """Open the credential's token with ``pin`` and prove its key matches ``cert``."""
    from signing.sign import SigningUnavailable, pkcs11_session

    module, token = credential.pkcs11_module, credential.pkcs11_token
    try:
        with pkcs11_session(module, token, pin) as session:
            _prove_key(session, credential.pkcs11_key, cert, chain)
    except SigningUnavailable as exc:
        raise ValidationError(str(exc)) from exc


def credential_add_pkcs11(
    *,
    actor,
    agency,
    label: str,
    module: str,
    token: str,
    key_label: str,
    pin: str,
    certificate: bytes,
    chain: bytes = b"",
    illustrative: bool = False,
) -> SigningCredential:
    """Record a key held on a token or HSM (only its labels and the encrypted PIN are
    stored), after opening the token with the PIN and signing a probe with the key.
    The token is reached before the transaction opens."""
    require(_allowed(actor, "add_signingcredential"))
    if not all(v.strip() for v in (module, token, key_label)):
        raise ValidationError(_("Hãy nhập đường dẫn thư viện PKCS#11, nhãn token và nhãn khóa."))
    certs = _read_certificates(certificate, _("chứng thư số"))
    # The key's certificate is the one that issued none of the others in the file.
    issuers = {c.issuer for c in certs if c.issuer != c.subject}
    cert = next((c for c in certs if c.subject not in issuers), certs[0])
    extra = [c for c in certs if c is not cert]
    extra += _read_certificates(chain, _("chuỗi chứng thư")) if chain.strip() else []
    credential = _new_credential(
        actor=actor,
        agency=agency,
        label=label,
        source=SigningCredential.Source.PKCS11,
        cert=cert,
        chain=extra,
        illustrative=illustrative,
        pkcs11_module=module.strip(),
        pkcs11_token=token.strip(),
        pkcs11_key=key_label.strip(),
        secret_encrypted=secrets.encrypt(pin.encode()),
    )
    _check_token(credential, pin, cert, extra)
    return _save_active(credential, actor)


def credential_deactivate(*, actor, credential: SigningCredential) -> SigningCredential:
    require(_allowed(actor, "change_signingcredential"))
    with transaction.atomic():
        credential = SigningCredential.objects.select_for_update().get(pk=credential.pk)
        if not credential.active:
            raise ValidationError(_("Chứng thư số này đã ngừng dùng."))
        credential.active = False
        history.save(credential, _("Ngừng dùng chứng thư số"), actor)
    return credential


def credential_secrets_rotate(*, actor=None) -> int:
    """Re-encrypt every stored secret with the first key of ``SIGNING_SECRET`` (after a
    key rotation, docs/signing.md); returns how many credentials were re-encrypted."""
    count = 0
    with transaction.atomic():
        for credential in SigningCredential.objects.select_for_update():
            if credential.pkcs12_encrypted:
                credential.pkcs12_encrypted = secrets.rotate(credential.pkcs12_encrypted)
            if credential.secret_encrypted:
                credential.secret_encrypted = secrets.rotate(credential.secret_encrypted)
            history.save(credential, _("Mã hóa lại khóa ký số bằng khóa mới"), actor)
            count += 1
    return count


# --- Seal and signature images ----------------------------------------------------------------


def _read_png(upload, what: str) -> bytes:
    """The bytes of an uploaded PNG with real transparency; ValidationError otherwise."""
    if upload is None:
        raise ValidationError(_("Hãy chọn tệp %(what)s (PNG nền trong suốt).") % {"what": what})
    if upload.size > IMAGE_MAX_BYTES:
        raise ValidationError(
            _("Tệp %(what)s quá lớn (giới hạn %(limit)s).")
            % {"what": what, "limit": filesizeformat(IMAGE_MAX_BYTES)}
        )
    upload.seek(0)
    data = upload.read()
    try:
        image = Image.open(io.BytesIO(data))
        fmt, size = image.format, image.size
        if fmt == "PNG" and max(size) <= IMAGE_MAX_SIDE:
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            _("Tệp %(what)s không phải ảnh PNG đọc được.") % {"what": what}
        ) from exc
    if fmt != "PNG":
        raise ValidationError(_("%(what)s phải là ảnh PNG.") % {"what": what.capitalize()})
    if max(size) > IMAGE_MAX_SIDE or min(size) < IMAGE_MIN_SIDE:
        raise ValidationError(
            _("Kích thước ảnh %(what)s phải từ %(min)d đến %(max)d điểm ảnh mỗi chiều.")
            % {"what": what, "min": IMAGE_MIN_SIDE, "max": IMAGE_MAX_SIDE}
        )
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    alpha = image.convert("RGBA").getchannel("A") if has_alpha else None
    transparent = alpha.histogram()[0] / (size[0] * size[1]) if alpha else 0
    if transparent < TRANSPARENT_SHARE:
        raise ValidationError(
            _(
                "Ảnh %(what)s phải có nền trong suốt (kênh alpha); ảnh này có nền đặc. Hãy "
                "tách nền rồi lưu lại dạng PNG."
            )
            % {"what": what}
        )
    return data


def seal_set(*, actor, agency, image, diameter_mm, illustrative: bool = False) -> Seal:
    """Upload or replace the body's seal image (red, transparent PNG, real diameter)."""
    require(_allowed(actor, "add_seal"))
    low, high = SEAL_DIAMETER_MM
    try:
        diameter = int(diameter_mm)
    except (TypeError, ValueError):
        diameter = 0
    if not low <= diameter <= high:
        raise ValidationError(
            _("Đường kính con dấu phải từ %(low)d đến %(high)d mm.") % {"low": low, "high": high}
        )
    data = _read_png(image, _("con dấu"))
    with transaction.atomic():
        seal = Seal.objects.select_for_update().filter(agency=agency).first()
        created = seal is None
        seal = seal or Seal(agency=agency)
        seal.diameter_mm = diameter
        seal.illustrative = illustrative
        seal.image.save("seal.png", ContentFile(data), save=False)
        reason = _("Tải lên hình con dấu") if created else _("Thay hình con dấu")
        history.save(seal, reason, actor)
    return seal


def signature_image_set(
    *, actor, agency, full_name: str, title: str, image, illustrative: bool = False
) -> SignatureImage:
    """Upload or replace a signer's signature image (blue, transparent PNG), found later by
    the signer's name as printed on the body's documents."""
    require(_allowed(actor, "add_signatureimage"))
    from signing.appearance import name_key  # (pyHanko's stamp machinery: loaded when needed)

    full_name = " ".join(unicodedata.normalize("NFC", full_name or "").split())
    if not full_name:
        raise ValidationError(_("Hãy nhập họ và tên người ký."))
    data = _read_png(image, _("chữ ký"))
    with transaction.atomic():
        existing = SignatureImage.objects.select_for_update().filter(agency=agency)
        key = name_key(full_name)
        signature = next((s for s in existing if name_key(s.full_name) == key), None)
        created = signature is None
        signature = signature or SignatureImage(agency=agency)
        signature.full_name = full_name
        signature.title = " ".join((title or "").split())
        signature.illustrative = illustrative
        signature.image.save("signature.png", ContentFile(data), save=False)
        reason = _("Tải lên hình chữ ký") if created else _("Thay hình chữ ký")
        history.save(signature, reason, actor)
    return signature
