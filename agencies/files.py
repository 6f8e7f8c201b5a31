"""Files: the one abstract base of every stored upload (item attachments, evidence, report
attachments), the upload checks every app uses (size limit and type by content, magic
bytes, against an allow-list; archives measured by decompressing them, bounded) and the one
download path.

Reading a file goes through its model's ``visible_to`` (``get_visible_or_404``) and then
``download``: nothing else opens a user's file for a response."""

from __future__ import annotations

import collections
import copy
import posixpath
import struct
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.module_loading import import_string
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


# Zip checks. Sizes come from decompressing, never from what the archive declares.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,  # an encrypted entry without a password
    NotImplementedError,  # a compression method zipfile lacks
    struct.error,
)
# Only stored and deflated entries: zipfile inflates bzip2 and LZMA without an output bound.
ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# Office packages may sit inside an upload (a chart's workbook inside a .docx, a .docx
# inside a .zip) and are checked by the same rules, at most this many levels down.
OFFICE_NESTING = 2
OFFICE_SUFFIXES = frozenset(
    {".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".pptx", ".odt", ".ods", ".odp", ".odg"}
)
# Other archives are refused by name, and by their first bytes whatever the name.
ARCHIVE_SUFFIXES = frozenset(
    {".zip", ".jar", ".7z", ".rar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".tar", ".cab"}
)
ARCHIVE_MAGIC = (
    _ZIP,
    b"PK\x05\x06",
    b"PK\x07\x08",
    b"\x1f\x8b",  # gzip
    b"\xfd7zXZ\x00",  # xz
    b"(\xb5/\xfd",  # zstd
    b"7z\xbc\xaf'\x1c",
    b"Rar!\x1a\x07",
    b"MSCF",  # cabinet
)
_CHUNK = 64 * 1024
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # sig version flags method time date crc sizes names
_ENCRYPTED, _DATA_DESCRIPTOR, _ZIP64_SIZE = 0x1, 0x8, 0xFFFFFFFF


class _Refused(Exception):
    """Why an archive is refused; ``kind`` is ``broken``, ``nested`` or ``encrypted``."""

    def __init__(self, kind: str = "broken", entry: str = "") -> None:
        super().__init__(kind)
        self.kind, self.entry = kind, entry[-80:]

    def message(self, name: str) -> str:
        values = {"name": name, "entry": self.entry}
        if self.kind == "nested":
            return (
                _(
                    "Tệp “%(name)s” chứa tệp nén lồng bên trong (“%(entry)s”); không nhận tệp nén "
                    "lồng nhau, hãy giải nén và tải lên từng tệp."
                )
                % values
            )
        if self.kind == "encrypted":
            return (
                _(
                    "Tệp “%(name)s” có nội dung được đặt mật khẩu (“%(entry)s”); hãy bỏ mật khẩu "
                    "rồi tải lên lại."
                )
                % values
            )
        return _("Tệp nén “%(name)s” bị hỏng hoặc giải nén ra quá lớn; tệp bị từ chối.") % values


@dataclass
class _Budget:
    """What the whole upload may still expand to, across every level of nesting."""

    bytes_left: int
    entries_left: int

    def spend(self, *, size: int = 0, entries: int = 0) -> None:
        self.bytes_left -= size
        self.entries_left -= entries
        if self.bytes_left < 0 or self.entries_left < 0:
            raise _Refused()


def _check_zip(upload, name: str) -> None:
    """Refuse archives that are corrupt, encrypted, nested or expand too far (zip bombs),
    measuring the real decompressed bytes while streaming, bounded by the limits."""
    budget = _Budget(
        bytes_left=min(
            settings.ZIP_MAX_UNCOMPRESSED_BYTES, settings.ZIP_MAX_RATIO * max(upload.size, 1)
        ),
        entries_left=settings.ZIP_MAX_ENTRIES,
    )
    try:
        _check_archive(upload, budget, depth=0)
    except _Refused as exc:
        raise ValidationError(exc.message(name)) from exc
    except ZIP_ERRORS as exc:
        raise ValidationError(_Refused().message(name)) from exc
    finally:
        upload.seek(0)


def _check_archive(source, budget: _Budget, *, depth: int) -> None:
    with zipfile.ZipFile(source) as archive:
        entries = archive.infolist()
        budget.spend(entries=len(entries))
        for info in entries:
            _check_entry(source, archive, info, budget, depth=depth)


def _check_entry(source, archive, info: zipfile.ZipInfo, budget: _Budget, *, depth: int):
    if info.flag_bits & _ENCRYPTED:
        raise _Refused("encrypted", info.filename)
    if info.compress_type not in ZIP_METHODS:
        raise _Refused()
    _check_local_header(source, info)
    suffix = posixpath.splitext(info.filename.lower())[1]
    if suffix in ARCHIVE_SUFFIXES:
        raise _Refused("nested", info.filename)
    chunks = _real_bytes(archive, info, budget)
    head = next(chunks, b"")
    if not _is_archive(head):
        collections.deque(chunks, maxlen=0)  # read to the end, counting
        return
    if suffix not in OFFICE_SUFFIXES or not head.startswith(_ZIP) or depth + 1 > OFFICE_NESTING:
        raise _Refused("nested", info.filename)
    with tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE) as inner:
        inner.write(head)
        for chunk in chunks:
            inner.write(chunk)
        _check_archive(inner, budget, depth=depth + 1)


def _real_bytes(archive, info: zipfile.ZipInfo, budget: _Budget) -> Iterator[bytes]:
    """The entry's bytes as decompressed, counted against ``budget`` chunk by chunk. zipfile
    stops at the size the directory declares, so the entry is opened declaring just more
    than the budget allows; a real size other than the declared one is refused."""
    probe = copy.copy(info)
    probe.file_size = budget.bytes_left + 1
    real = 0
    with archive.open(probe) as handle:
        while chunk := handle.read(_CHUNK):
            real += len(chunk)
            budget.spend(size=len(chunk))
            yield chunk
    if real != info.file_size:
        raise _Refused()


def _check_local_header(source, info: zipfile.ZipInfo) -> None:
    """The entry's own header must agree with the directory, for readers that use it."""
    source.seek(info.header_offset)
    sig, _v, flags, method, _t, _d, crc, csize, usize, _n, _x = _LOCAL_HEADER.unpack(
        source.read(_LOCAL_HEADER.size)
    )
    if sig != _ZIP or method != info.compress_type or (flags ^ info.flag_bits) & _ENCRYPTED:
        raise _Refused()
    if flags & _DATA_DESCRIPTOR:
        return
    sizes = (csize, usize) if _ZIP64_SIZE not in (csize, usize) else None
    if crc != info.CRC or sizes not in (None, (info.compress_size, info.file_size)):
        raise _Refused()


def _is_archive(head: bytes) -> bool:
    return (
        head.startswith(ARCHIVE_MAGIC)
        or head[257:262] == b"ustar"  # tar
        or (head[:3] == b"BZh" and head[4:10] == b"1AY&SY")  # bzip2
    )


def stored_file_path(instance: StoredFile, filename: str) -> str:
    """``<folder>/<yyyy>/<mm>/<random>.<ext>``: never the user's own file name."""
    suffix = Path(filename).suffix.lower()[:10]
    return f"{instance.upload_folder}/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class SignatureStatus(models.TextChoices):
    """What the check of a PDF's digital signatures found (``signing.verify``); blank when
    the file is not a PDF."""

    UNSIGNED = "unsigned", gettext_lazy("Không có chữ ký số")
    VALID = "valid", gettext_lazy("Chữ ký số hợp lệ")
    MODIFIED = "modified", gettext_lazy("Đã bị sửa sau khi ký")
    UNTRUSTED = "untrusted", gettext_lazy("Người ký không được tin cậy")
    INVALID = "invalid", gettext_lazy("Chữ ký số không hợp lệ")
    UNREADABLE = "unreadable", gettext_lazy("Không đọc được chữ ký số")


def upload_inspectors() -> list:
    """The callables that look at an accepted upload before it is stored
    (``settings.UPLOAD_INSPECTORS``: ``inspector(stored, upload)``), e.g. the check of a
    PDF's signatures. Apps above this one plug in here; this module imports none of them."""
    return [import_string(path) for path in getattr(settings, "UPLOAD_INSPECTORS", [])]


class StoredFile(models.Model):
    """What every uploaded file has: the stored file under a random name, the name the
    user gave it, size, type, who uploaded it and when; for a PDF, what the check of its
    digital signatures found when it arrived (``signature_*``, kept current by
    ``signing`` when the trust anchors change)."""

    upload_folder = "files"

    file = models.FileField(gettext_lazy("tệp"), upload_to=stored_file_path, max_length=255)
    original_name = models.CharField(gettext_lazy("tên tệp"), max_length=255)
    size = models.PositiveBigIntegerField(gettext_lazy("dung lượng"), default=0)
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    signature_status = models.CharField(
        gettext_lazy("chữ ký số"), max_length=12, choices=SignatureStatus.choices, blank=True
    )
    signature_signer = models.CharField(gettext_lazy("người ký"), max_length=300, blank=True)
    signature_time = models.DateTimeField(gettext_lazy("thời điểm ký"), null=True, blank=True)
    signature_detail = models.CharField(max_length=500, blank=True)
    signature_checked_at = models.DateTimeField(null=True, blank=True)

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
        for inspect in upload_inspectors():
            inspect(self, upload)
            upload.seek(0)
        self.file.save(upload.name, upload, save=False)


def download(stored: StoredFile) -> FileResponse:
    """Stream a file the caller has already fetched through ``visible_to``."""
    try:
        handle = stored.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=stored.original_name)
