"""Upload checks: size limit and type by content (magic bytes) against an allow-list."""

from __future__ import annotations

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
