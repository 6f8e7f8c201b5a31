"""The public verification of issued documents (``/v/<code>/``): the register row a
visitor may read, and the comparison of an uploaded PDF with the document as issued.

Nothing a visitor sends is stored: the upload is read in memory, up to
``settings.VERIFY_MAX_BYTES``, compared and forgotten. The comparison is against the
stored, frozen file, whose SHA-256 must still be the fingerprint in the register.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.files import SignatureStatus
from reports import store
from reports.models import IssuedDocument

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
CODE_MAX = IssuedDocument._meta.get_field("code").max_length
_CHUNK = 64 * 1024


class Outcome(models.TextChoices):
    """What an uploaded file is, compared with the document as issued."""

    SAME = (
        "same",
        gettext_lazy(
            "Tệp trùng khớp từng byte với văn bản đã ban hành: văn bản không bị thay đổi."
        ),
    )
    APPENDED = (
        "appended",
        gettext_lazy(
            "Văn bản gốc còn nguyên nhưng tệp có thêm phần được thêm vào sau khi ban hành "
            "(ví dụ một chữ ký hoặc sửa đổi)."
        ),
    )
    DIFFERENT = "different", gettext_lazy("Tệp này KHÁC văn bản đã ban hành.")


class Status(models.TextChoices):
    """Where an issued document stands, as the public page says it."""

    SIGNED = "signed", gettext_lazy("Đã ban hành và ký số")
    UNSIGNED = "unsigned", gettext_lazy("Đã ban hành, chưa ký số")
    PENDING = "pending", gettext_lazy("Văn bản đang được tạo")


@dataclass(frozen=True)
class Comparison:
    """The answer to one upload. ``check`` is what the upload's own signatures say
    (``signing.verify.check_pdf``) when it is not the document as issued and is signed."""

    outcome: str
    size: int
    sha256: str
    check: object | None = None

    @property
    def message(self) -> str:
        return str(Outcome(self.outcome).label)

    @property
    def fingerprint(self) -> str:
        return grouped_fingerprint(self.sha256)

    @property
    def signature_label(self) -> str:
        """The upload's own signatures in words (blank when not checked)."""
        if self.check is None:
            return ""
        status = self.check.status
        return str(SignatureStatus(status).label) if status in SignatureStatus.values else status


def issued_for_code(code: str) -> IssuedDocument:
    """The register row behind a verification code, for anyone (the page is public):
    404 for an unknown code, saying nothing more. Codes are upper case
    (``reports.issuing.new_code``); one typed in lower case is found too."""
    if not code or len(code) > CODE_MAX:
        raise Http404
    rows = IssuedDocument.objects.select_related("issuer", "recipient", "document")
    row = rows.filter(code=code).first()
    if row is None and code != code.upper():  # typed by hand in lower case
        row = rows.filter(code=code.upper()).first()
    if row is None:
        raise Http404
    return row


def code_from_input(text: str) -> str:
    """A verification code as a visitor types it: spaces dropped; a pasted address
    (``https://…/v/<code>/``) gives its code. Blank when nothing usable is left."""
    code = "".join(text.split())
    if "/v/" in code:
        code = code.rsplit("/v/", 1)[1]
    code = code.strip("/")
    return code if code and "/" not in code and len(code) <= CODE_MAX else ""


def is_stored(issued: IssuedDocument) -> bool:
    """The document job has stored the issued file and filled its fingerprint."""
    return issued.document_id is not None and bool(issued.sha256)


def status(issued: IssuedDocument) -> tuple[str, str]:
    """(status value, sentence for the page)."""
    if not is_stored(issued):
        return Status.PENDING, str(Status.PENDING.label)
    if issued.signature_level:
        return Status.SIGNED, str(Status.SIGNED.label)
    reason = issued.unsigned_reason or _("không rõ lý do")
    return Status.UNSIGNED, _("Đã ban hành, chưa ký số: %(reason)s") % {"reason": reason}


def grouped_fingerprint(hex_digest: str, *, size: int = 4) -> str:
    """``a1b2c3d4…`` as ``A1B2 C3D4 …``, easier to read aloud and compare by eye."""
    digits = hex_digest.upper()
    return " ".join(digits[i : i + size] for i in range(0, len(digits), size))


def too_big() -> ValidationError:
    """The refusal of a file over ``VERIFY_MAX_BYTES``."""
    limit = filesizeformat(settings.VERIFY_MAX_BYTES)
    return ValidationError(_("Tệp quá lớn để đối chiếu; giới hạn là %(limit)s.") % {"limit": limit})


def upload_read(upload) -> bytes:
    """The upload's bytes, read in memory up to the limit; ValidationError (Vietnamese) for
    a missing or empty file, a file over ``VERIFY_MAX_BYTES`` or one that is not a PDF."""
    limit = settings.VERIFY_MAX_BYTES
    if upload is None:
        raise ValidationError(_("Hãy chọn tệp PDF cần đối chiếu."))
    if (upload.size or 0) > limit:
        raise too_big()
    upload.seek(0)
    parts, total = [], 0
    while chunk := upload.read(min(_CHUNK, limit + 1 - total)):
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            raise too_big()
    data = b"".join(parts)
    if not data:
        raise ValidationError(_("Tệp tải lên trống; hãy chọn tệp PDF của văn bản."))
    if not data.startswith(PDF_MAGIC):
        raise ValidationError(
            _("Tệp tải lên không phải tệp PDF; chỉ đối chiếu được tệp PDF của văn bản.")
        )
    return data


def _issued_bytes(issued: IssuedDocument) -> bytes:
    """The stored file as issued, checked against the register's fingerprint."""
    handle = store.open_file(issued.document)
    if handle is not None:
        with handle:
            data = handle.read()
        digest = hashlib.sha256(data).hexdigest()
        if hmac.compare_digest(digest, issued.sha256.lower()):
            return data
    logger.error("Issued document %s: stored file missing or not as registered", issued.pk)
    raise ValidationError(
        _(
            "Không đọc được bản lưu của văn bản để đối chiếu; vui lòng báo cho cơ quan ban "
            "hành. Dấu vân tay SHA-256 trên trang này vẫn dùng được để đối chiếu thủ công."
        )
    )


def _signatures(data: bytes):
    """What the upload's signatures say, when the signature check exists and it is signed."""
    try:
        from signing.verify import check_pdf
    except ImportError:  # the signature check is not installed: the comparison alone
        return None
    check = check_pdf(data)
    return check if check.signatures else None


def compare(issued: IssuedDocument, upload) -> Comparison:
    """Compare an uploaded file with the document as issued: the same bytes, the issued
    bytes followed by an addition (an incremental update: a signature or a change), or
    something else. Reads the upload in memory and stores nothing. ValidationError when the
    upload is refused or the document cannot be compared yet."""
    if not is_stored(issued):
        raise ValidationError(
            _("Văn bản đang được tạo nên chưa thể đối chiếu; vui lòng thử lại sau ít phút.")
        )
    data = upload_read(upload)
    original = _issued_bytes(issued)
    digest = hashlib.sha256(data).hexdigest()
    if hmac.compare_digest(digest, issued.sha256.lower()):
        return Comparison(Outcome.SAME, len(data), digest)
    if len(data) > len(original):
        head = hashlib.sha256(data[: len(original)]).hexdigest()
        if hmac.compare_digest(head, issued.sha256.lower()):
            return Comparison(Outcome.APPENDED, len(data), digest, _signatures(data))
    return Comparison(Outcome.DIFFERENT, len(data), digest, _signatures(data))
