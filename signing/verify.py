"""The check of the digital signatures in a PDF that a body uploads (issue 16, point 5).

Every signature in the file is validated with pyHanko against the active trust anchors
(``TrustAnchor``), which an administrator uploads: nothing is fetched from the internet (no
certificates, no OCSP, no CRL), and missing revocation data is not a failure (soft-fail).
A file with several signatures gets the worst result, and the count. The result is kept on
the stored file (``StoredFile.signature_*``, filled by ``inspect_upload`` before the file is
saved) and rechecked in the background when the anchors change (``signing.tasks``).

What each result means for a reviewing officer: docs/signing-checks.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleTrustManager

from agencies.files import SignatureStatus
from signing.loops import outside_event_loop
from signing.models import TrustAnchor

logger = logging.getLogger("signing.verify")

PDF_MAGIC = b"%PDF-"
# Worst first: the result of a file with several signatures is the worst of theirs.
SEVERITY = [
    SignatureStatus.MODIFIED,
    SignatureStatus.INVALID,
    SignatureStatus.UNTRUSTED,
    SignatureStatus.VALID,
]
# A certificate that may sign documents: either usage is enough (Vietnamese CAs set both;
# some set only one).
KEY_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)
SIGNER_MAX, DETAIL_MAX = 300, 500
# Trust problems that mean "the certificate was not valid at the time of validation".
OUT_OF_VALIDITY = {"EXPIRED", "NOT_YET_VALID", "OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED"}


@dataclass(frozen=True)
class Check:
    """What the check of one PDF found; ``status`` is a ``SignatureStatus`` value."""

    status: str
    signer: str
    signed_at: dt.datetime | None
    detail: str
    signatures: int


@dataclass(frozen=True)
class Anchor:
    """An active trust anchor as the validator needs it: its name (for the detail shown),
    its certificate and whether it is a test root (its signers are labelled so)."""

    name: str
    certificate: asn1_x509.Certificate
    fingerprint: str
    illustrative: bool = False


def active_anchors() -> list[Anchor]:
    """The active ``TrustAnchor`` rows, read in one query."""
    rows = TrustAnchor.objects.filter(active=True).values_list(
        "name", "certificate", "illustrative"
    )
    return [anchor(name, bytes(der), illustrative) for name, der, illustrative in rows]


def anchor(name: str, der: bytes, illustrative: bool = False) -> Anchor:
    """An ``Anchor`` from a certificate's DER bytes."""
    return Anchor(
        name, asn1_x509.Certificate.load(der), hashlib.sha256(der).hexdigest(), illustrative
    )


def check_pdf(data: bytes, *, anchors: Iterable[Anchor] | None = None) -> Check:
    """Validate every signature in ``data`` against ``anchors`` (default: the active trust
    anchors). Never raises for a bad file and never fetches anything."""
    anchors = active_anchors() if anchors is None else list(anchors)
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        if reader.encrypted:
            return _unreadable(_("Tệp PDF được mã hóa nên không kiểm tra được chữ ký số."))
        embedded = list(reader.embedded_regular_signatures)
    except Exception as exc:  # any broken file: pyHanko raises many kinds
        logger.info("PDF not readable for the signature check: %r", exc)
        return _unreadable(_("Tệp PDF bị hỏng nên không đọc được chữ ký số."))
    if not embedded:
        return Check(SignatureStatus.UNSIGNED, "", None, "", 0)
    return outside_event_loop(lambda: _overall([_check_one(sig, anchors) for sig in embedded]))


def _unreadable(detail: str) -> Check:
    return Check(SignatureStatus.UNREADABLE, "", None, detail, 0)


def _overall(checks: list[Check]) -> Check:
    """The worst check (the latest signature among equals), with the count; when every
    signature is valid, every signer is named and the time is the latest."""
    count = len(checks)
    worst = min(reversed(checks), key=lambda c: SEVERITY.index(c.status))
    if count == 1:
        return worst
    if worst.status == SignatureStatus.VALID:
        signers = list(dict.fromkeys(c.signer for c in checks if c.signer))
        times = [c.signed_at for c in checks if c.signed_at is not None]
        worst = replace(
            worst, signer="; ".join(signers)[:SIGNER_MAX], signed_at=max(times or [None])
        )
        detail = _("Cả %(count)d chữ ký số trong tệp đều hợp lệ.") % {"count": count}
    else:
        detail = _("Tệp có %(count)d chữ ký số; kết quả là của chữ ký kém nhất: %(detail)s") % {
            "count": count,
            "detail": worst.detail,
        }
    return replace(worst, detail=detail[:DETAIL_MAX], signatures=count)


def _check_one(embedded, anchors: list[Anchor]) -> Check:
    try:
        status = _validate(embedded, anchors)
    except Exception as exc:  # a signature pyHanko cannot parse or evaluate
        logger.info("signature not checkable: %r", exc)
        return Check(
            SignatureStatus.INVALID,
            _signer(getattr(embedded, "signer_cert", None)),
            None,
            _("Cấu trúc chữ ký số bị hỏng hoặc không được hỗ trợ nên không kiểm tra được."),
            1,
        )
    verdict, detail = _judge(status, anchors)
    signer = _signer(status.signing_cert)
    test_label = _("(chứng thư số thử nghiệm)")
    # A test certificate may name itself so already (the demo's does).
    if (
        verdict == SignatureStatus.VALID
        and _anchor_of(status, anchors).illustrative
        and test_label not in signer
    ):
        signer = f"{signer} {test_label}"
    return Check(verdict, signer[:SIGNER_MAX], _signed_at(status), detail[:DETAIL_MAX], 1)


def _validate(embedded, anchors: list[Anchor]) -> PdfSignatureStatus:
    """Validate now; a signer certificate that is out of its validity now but carries a
    time-stamp trusted now is validated again at the time-stamp's time (it was signed while
    valid: what a PAdES B-T signature proves)."""
    status = validate_pdf_signature(embedded, _context(anchors), key_usage_settings=KEY_USAGE)
    if _out_of_validity(status) and _stamp_trusted(status):
        moment = status.timestamp_validity.timestamp
        status = validate_pdf_signature(
            embedded,
            _context(anchors, moment=moment),
            ts_validation_context=_context(anchors),
            key_usage_settings=KEY_USAGE,
        )
    return status


def _context(anchors: list[Anchor], *, moment: dt.datetime | None = None) -> ValidationContext:
    """Trust only the anchors (an empty list trusts nothing: the operating system's list is
    never used); fetch nothing; no revocation data is not a failure."""
    return ValidationContext(
        trust_manager=SimpleTrustManager.build(trust_roots=[a.certificate for a in anchors]),
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
    )


def _out_of_validity(status: PdfSignatureStatus) -> bool:
    return getattr(status.trust_problem_indic, "name", "") in OUT_OF_VALIDITY


def _stamp_trusted(status: PdfSignatureStatus) -> bool:
    stamp = status.timestamp_validity
    return stamp is not None and stamp.intact and stamp.valid and stamp.trusted


def _judge(status: PdfSignatureStatus, anchors: list[Anchor]) -> tuple[str, str]:
    if not status.intact:
        return SignatureStatus.MODIFIED, _(
            "Nội dung tệp không còn khớp với nội dung người ký đã ký."
        )
    if not status.valid:
        return SignatureStatus.INVALID, _(
            "Giá trị chữ ký không khớp với chứng thư số của người ký: chữ ký bị hỏng hoặc "
            "bị giả mạo."
        )
    if status.coverage is None or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return SignatureStatus.MODIFIED, _("Chữ ký không bao trùm toàn bộ văn bản đã ký.")
    if status.docmdp_ok is False:
        return SignatureStatus.MODIFIED, _(
            "Tệp được sửa thêm sau khi ký, ở những phần chữ ký không cho phép (như nội dung trang)."
        )
    if not status.trusted:
        return SignatureStatus.UNTRUSTED, _distrust(status, anchors)
    return SignatureStatus.VALID, _trusted(status, anchors)


def _distrust(status: PdfSignatureStatus, anchors: list[Anchor]) -> str:
    """Why an intact signature is not trusted, in words an officer understands."""
    indic = status.trust_problem_indic
    if status.revoked:
        return _("Chứng thư số của người ký đã bị thu hồi.")
    if _out_of_validity(status) and _stamp_trusted(status):
        return _(
            "Chứng thư số của người ký không có hiệu lực vào thời điểm ký (theo dấu thời gian)."
        )
    if _out_of_validity(status):
        return _(
            "Chứng thư số của người ký đã hết hạn hoặc chưa có hiệu lực, và chữ ký không có dấu "
            "thời gian tin cậy chứng minh đã ký khi chứng thư còn hiệu lực."
        )
    if indic in (
        AdESIndeterminate.SIG_CONSTRAINTS_FAILURE,
        AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE,
    ):
        return _("Chứng thư số của người ký không được cấp cho việc ký văn bản.")
    if indic in (
        AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE,
        AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
    ):
        return _("Chữ ký dùng thuật toán không còn an toàn.")
    if not anchors:
        return _(
            "Chưa có chứng thư gốc tin cậy nào được quản trị viên nạp vào hệ thống nên chưa "
            "xác nhận được người ký."
        )
    return _(
        "Chứng thư số của người ký không do tổ chức nào trong danh sách chứng thư gốc tin "
        "cậy cấp (nơi cấp: %(issuer)s)."
    ) % {"issuer": _issuer(status.signing_cert)}


def _trusted(status: PdfSignatureStatus, anchors: list[Anchor]) -> str:
    root = _anchor_of(status, anchors)
    detail = _("Chữ ký nguyên vẹn; chứng thư số của người ký thuộc chứng thư gốc “%(anchor)s”.") % {
        "anchor": root.name
    }
    if root.illustrative:
        detail += " " + _("Đây là chứng thư số thử nghiệm, không có giá trị pháp lý.")
    stamp = status.timestamp_validity
    if stamp is not None and not stamp.trusted:
        detail += " " + _("Dấu thời gian kèm chữ ký không được tin cậy.")
    if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        detail += " " + _("Sau khi ký, tệp chỉ được bổ sung những phần được phép.")
    return detail


def _anchor_of(status: PdfSignatureStatus, anchors: list[Anchor]) -> Anchor:
    """The anchor a trusted signature's chain ends at."""
    authority = status.validation_path.trust_anchor.authority
    cert = getattr(authority, "certificate", None)
    fingerprint = hashlib.sha256(cert.dump()).hexdigest() if cert is not None else ""
    found = [a for a in anchors if a.fingerprint == fingerprint]
    return found[0] if found else Anchor(authority.name.human_friendly, cert, fingerprint)


def _name_parts(name: asn1_x509.Name) -> dict:
    native = name.native
    return {key: value[0] if isinstance(value, list) else value for key, value in native.items()}


def _signer(cert: asn1_x509.Certificate | None) -> str:
    """The signer's readable name: the certificate's CN, and its O when present."""
    if cert is None:
        return ""
    parts = _name_parts(cert.subject)
    names = [parts.get("common_name", ""), parts.get("organization_name", "")]
    return ", ".join(n for n in names if n)[:SIGNER_MAX] or cert.subject.human_friendly


def _issuer(cert: asn1_x509.Certificate) -> str:
    parts = _name_parts(cert.issuer)
    return str(parts.get("common_name") or cert.issuer.human_friendly)[:150]


def _signed_at(status: PdfSignatureStatus) -> dt.datetime | None:
    """The time-stamp's time when the signature carries a sound time-stamp token, else
    the time the signer's software reported."""
    stamp = status.timestamp_validity
    if stamp is not None and stamp.intact and stamp.valid:
        return stamp.timestamp
    return status.signer_reported_dt


def inspect_upload(stored, upload) -> None:
    """The upload inspector (``settings.UPLOAD_INSPECTORS``): a PDF (by its first bytes) is
    read once and checked, and the result set on the unsaved ``stored`` row; any other file
    keeps a blank status."""
    upload.seek(0)
    if upload.read(len(PDF_MAGIC)) != PDF_MAGIC:
        return
    upload.seek(0)
    apply(stored, check_pdf(upload.read()))


def apply(stored, check: Check) -> None:
    """Set a check's result on a stored file (not saved)."""
    for field, value in result_fields(check).items():
        setattr(stored, field, value)


def result_fields(check: Check) -> dict:
    """The ``StoredFile`` fields a check fills, by name."""
    return {
        "signature_status": check.status,
        "signature_signer": check.signer[:SIGNER_MAX],
        "signature_time": check.signed_at,
        "signature_detail": check.detail[:DETAIL_MAX],
        "signature_checked_at": timezone.now(),
    }
