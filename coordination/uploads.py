"""Upload checks: size limit and type by content (magic bytes) against an allow-list."""

from __future__ import annotations

import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
# extension -> accepted leading bytes
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "doc": (_OLE,),
    "xls": (_OLE,),
    "docx": (_ZIP,),
    "xlsx": (_ZIP,),
    "odt": (_ZIP,),
    "ods": (_ZIP,),
    "zip": (_ZIP, b"PK\x05\x06"),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}


def validate_upload(upload) -> None:
    name = getattr(upload, "name", "") or ""
    ext = Path(name).suffix.lower().lstrip(".")
    allowed = [e for e in settings.UPLOAD_ALLOWED_EXTENSIONS if e in SIGNATURES]
    if ext not in allowed:
        raise ValidationError(
            _("Tệp “%(name)s” không được chấp nhận. Chỉ nhận các loại: %(types)s.")
            % {"name": name, "types": ", ".join(allowed)}
        )
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("Tệp “%(name)s” quá lớn (%(size)s); giới hạn là %(limit)s.")
            % {
                "name": name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(settings.UPLOAD_MAX_BYTES),
            }
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in SIGNATURES[ext]):
        raise ValidationError(
            _("Nội dung tệp “%(name)s” không đúng với loại %(ext)s; tệp bị từ chối.")
            % {"name": name, "ext": ext.upper()}
        )

    if head.startswith(_ZIP):
        _check_zip(upload, name)


def _check_zip(upload, name: str) -> None:
    """Refuse archives that are corrupt or expand far beyond their size (zip bombs)."""
    refused = ValidationError(
        _("Tệp nén “%(name)s” bị hỏng hoặc giải nén ra quá lớn; tệp bị từ chối.") % {"name": name}
    )
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise refused from exc
    finally:
        upload.seek(0)
    expanded = sum(e.file_size for e in entries)
    if (
        len(entries) > settings.ZIP_MAX_ENTRIES
        or expanded > settings.ZIP_MAX_UNCOMPRESSED_BYTES
        or expanded > settings.ZIP_MAX_RATIO * max(upload.size, 1)
    ):
        raise refused


def validate_item_total(task, uploads) -> None:
    """The files of one item together stay within ``UPLOAD_MAX_ITEM_BYTES``."""
    from django.db.models import Sum

    current = task.attachments.aggregate(total=Sum("size"))["total"] or 0 if task.pk else 0
    added = sum(u.size for u in uploads)
    if current + added > settings.UPLOAD_MAX_ITEM_BYTES:
        raise ValidationError(
            _("Tổng dung lượng tệp của nhiệm vụ vượt giới hạn %(limit)s.")
            % {"limit": filesizeformat(settings.UPLOAD_MAX_ITEM_BYTES)}
        )
