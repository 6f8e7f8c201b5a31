"""Files: the one abstract base of every stored upload (item attachments, evidence, report
attachments), the upload checks every app uses (size limit and type by content, magic
bytes, against an allow-list; zip-bomb limits) and the one download path.

Reading a file goes through its model's ``visible_to`` (``get_visible_or_404``) and then
``download``: nothing else opens a user's file for a response."""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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


def stored_file_path(instance: StoredFile, filename: str) -> str:
    """``<folder>/<yyyy>/<mm>/<random>.<ext>``: never the user's own file name."""
    suffix = Path(filename).suffix.lower()[:10]
    return f"{instance.upload_folder}/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class StoredFile(models.Model):
    """What every uploaded file has: the stored file under a random name, the name the
    user gave it, size, type, who uploaded it and when."""

    upload_folder = "files"

    file = models.FileField(gettext_lazy("tệp"), upload_to=stored_file_path, max_length=255)
    original_name = models.CharField(gettext_lazy("tên tệp"), max_length=255)
    size = models.PositiveBigIntegerField(gettext_lazy("dung lượng"), default=0)
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    def take(self, upload, *, actor) -> None:
        """Check ``upload`` and attach it to this (unsaved) record."""
        validate_upload(upload)
        self.original_name = upload.name[-255:]
        self.size = upload.size
        self.content_type = (getattr(upload, "content_type", "") or "")[:100]
        self.uploaded_by = actor
        self.file.save(upload.name, upload, save=False)


def download(stored: StoredFile) -> FileResponse:
    """Stream a file the caller has already fetched through ``visible_to``."""
    try:
        handle = stored.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=stored.original_name)
