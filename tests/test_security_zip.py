"""Archives are measured by decompressing them (issue 12, point 8): sizes the archive declares
are never trusted, nested archives are refused (an Office package inside another is checked
by the same rules), and encrypted or corrupt entries are refused. Real Office files pass."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from agencies.files import validate_upload
from coordination.models import Task
from tests.conftest import login
from tests.factories import agency, in_days

TOO_BIG = "giải nén ra quá lớn"
NESTED = "tệp nén lồng"
PASSWORD = "đặt mật khẩu"
ZEROS = b"0" * 2_000_000  # deflates to about 2 KB: 1000 times its size


def _zip(entries: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _docx(extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal Word package, as Word lays it out."""
    return _zip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="x"/>',
            "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="x"/>',
            "word/document.xml": b'<?xml version="1.0"?><w:document xmlns:w="x"/>',
            **(extra or {}),
        }
    )


def _xlsx(*rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _check(name: str, content: bytes) -> None:
    validate_upload(SimpleUploadedFile(name, content))


def _refused(name: str, content: bytes) -> str:
    with pytest.raises(ValidationError) as refusal:
        _check(name, content)
    return " ".join(refusal.value.messages)


def _patch(content: bytes, offset: int, fmt: str, value) -> bytes:
    return content[:offset] + struct.pack(fmt, value) + content[offset + struct.calcsize(fmt) :]


def _forge(content: bytes, *, size: int, crc: int, local: bool) -> bytes:
    """Declare ``size`` and ``crc`` for the first entry in the central directory (and in its
    local header when ``local``), leaving the compressed data as it is."""
    central = content.rindex(b"PK\x01\x02")
    content = _patch(content, central + 16, "<L", crc)
    content = _patch(content, central + 24, "<L", size)
    if local:
        content = _patch(content, 14, "<L", crc)
        content = _patch(content, 22, "<L", size)
    return content


def _set_flag(content: bytes, flag: int) -> bytes:
    """Set a general-purpose flag bit on the first entry, in both of its headers."""
    central = content.rindex(b"PK\x01\x02")
    (central_flags,) = struct.unpack_from("<H", content, central + 8)
    (local_flags,) = struct.unpack_from("<H", content, 6)
    content = _patch(content, central + 8, "<H", central_flags | flag)
    return _patch(content, 6, "<H", local_flags | flag)


# Real documents pass.


def test_real_office_files_and_a_zip_of_them_are_accepted():
    workbook = _xlsx(["Cơ quan", "Điểm"], ["Sở Tư pháp", 95])
    _check("bang-diem.xlsx", workbook)
    _check("bao-cao.docx", _docx({"word/media/image1.png": b"\x89PNG\r\n\x1a\n" + b"x" * 500}))
    _check("ho-so.zip", _zip({"bao-cao.docx": _docx(), "bang-diem.xlsx": workbook}))


def test_a_word_file_with_a_chart_workbook_inside_is_accepted():
    chart = _xlsx(["Quý", "Tỷ lệ"], ["I", 0.95])
    _check("bao-cao.docx", _docx({"word/embeddings/Microsoft_Excel_Worksheet.xlsx": chart}))


def test_ole_objects_inside_a_word_file_are_accepted():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000)
    _check("bao-cao.docx", _docx({"word/embeddings/oleObject1.bin": ole}))


# Sizes: measured, not declared.


def test_a_directory_that_under_declares_the_size_is_refused():
    honest = _zip({"a.txt": ZEROS})
    forged = _forge(honest, size=1000, crc=zlib.crc32(ZEROS[:1000]), local=True)
    # zipfile itself trusts the forgery: it hands back 1000 bytes without complaint.
    with zipfile.ZipFile(io.BytesIO(forged)) as archive:
        assert archive.read("a.txt") == ZEROS[:1000]
    assert TOO_BIG in _refused("ho-so.zip", forged)


def test_a_declared_size_other_than_the_real_one_is_refused_even_within_the_limits():
    honest = _zip({"a.txt": b"0" * 5000})
    forged = _forge(honest, size=10, crc=zlib.crc32(b"0" * 10), local=True)
    assert TOO_BIG in _refused("ho-so.zip", forged)


def test_a_directory_that_disagrees_with_the_local_header_is_refused():
    honest = _zip({"a.txt": b"0" * 5000})
    forged = _forge(honest, size=10, crc=zlib.crc32(b"0" * 10), local=False)
    assert TOO_BIG in _refused("ho-so.zip", forged)


def test_the_real_size_is_bounded_by_the_size_limit(settings):
    settings.ZIP_MAX_RATIO = 10_000
    settings.ZIP_MAX_UNCOMPRESSED_BYTES = 1_000_000
    assert TOO_BIG in _refused("ho-so.zip", _zip({"a.txt": ZEROS}))
    settings.ZIP_MAX_UNCOMPRESSED_BYTES = 3_000_000
    _check("ho-so.zip", _zip({"a.txt": ZEROS}))


def test_too_many_entries_are_refused(settings):
    settings.ZIP_MAX_ENTRIES = 3
    assert TOO_BIG in _refused("ho-so.zip", _zip({f"{i}.txt": b"x" for i in range(4)}))


# Nested archives.


def test_a_zip_inside_a_word_file_is_refused():
    inner = _zip({"a.txt": b"noi dung"})
    message = _refused("bao-cao.docx", _docx({"word/media/tai-lieu.zip": inner}))
    assert NESTED in message and "tai-lieu.zip" in message


@pytest.mark.parametrize(
    "inner",
    [
        _zip({"a.txt": b"x"}),  # zip
        b"\x1f\x8b\x08\x00" + bytes(100),  # gzip
        b"7z\xbc\xaf'\x1c" + bytes(100),  # 7-Zip
        b"Rar!\x1a\x07\x00" + bytes(100),  # RAR
        bytes(257) + b"ustar" + bytes(300),  # tar
    ],
    ids=["zip", "gzip", "7z", "rar", "tar"],
)
def test_an_archive_under_another_name_is_refused(inner):
    assert NESTED in _refused("bang-diem.xlsx", _zip({"xl/media/image1.png": inner}))


def test_a_zip_inside_a_zip_is_refused():
    assert NESTED in _refused("ho-so.zip", _zip({"ben-trong.zip": _zip({"a.pdf": b"%PDF-"})}))


def test_a_zip_inside_the_chart_workbook_of_a_word_file_is_refused():
    chart = _zip({"xl/workbook.xml": b"<workbook/>", "xl/x.zip": _zip({"a": b"a"})})
    docx = _docx({"word/embeddings/Microsoft_Excel_Worksheet.xlsx": chart})
    assert NESTED in _refused("bao-cao.docx", docx)


def test_office_packages_nested_too_deep_are_refused():
    deep = _docx()
    for _level in range(3):
        deep = _docx({"word/embeddings/Microsoft_Word_Document.docx": deep})
    assert NESTED in _refused("bao-cao.docx", deep)


def test_what_a_nested_package_expands_to_counts_towards_the_limit():
    chart = _zip({"xl/worksheets/sheet1.xml": ZEROS})
    docx = _docx({"word/embeddings/Microsoft_Excel_Worksheet.xlsx": chart})
    assert len(docx) * 100 < len(ZEROS)  # the outer file alone is within the ratio
    assert TOO_BIG in _refused("bao-cao.docx", docx)


# Encrypted, corrupt and unbounded entries.


def test_an_encrypted_entry_is_refused():
    encrypted = _set_flag(_zip({"bi-mat.pdf": b"%PDF-1.4 secret"}), 0x1)
    message = _refused("ho-so.zip", encrypted)
    assert PASSWORD in message and "bi-mat.pdf" in message


def test_a_corrupt_entry_is_refused():
    content = bytearray(_zip({"a.txt": b"noi dung can kiem tra " * 200}))
    start = 30 + len("a.txt")
    content[start + 5 : start + 15] = b"\xff" * 10  # damage the compressed stream
    assert TOO_BIG in _refused("ho-so.zip", bytes(content))


def test_a_wrong_checksum_is_refused():
    honest = _zip({"a.txt": b"noi dung"})
    assert TOO_BIG in _refused("ho-so.zip", _forge(honest, size=8, crc=1234, local=True))


def test_bzip2_and_lzma_entries_are_refused():
    assert TOO_BIG in _refused("ho-so.zip", _zip({"a.txt": b"x" * 100}, zipfile.ZIP_BZIP2))
    assert TOO_BIG in _refused("ho-so.zip", _zip({"a.txt": b"x" * 100}, zipfile.ZIP_LZMA))


def test_the_upload_is_rewound_after_the_check():
    upload = SimpleUploadedFile("bao-cao.docx", _docx())
    validate_upload(upload)
    assert upload.read(4) == b"PK\x03\x04"


# Through a real page.


@pytest.mark.django_db
def test_an_item_with_a_nested_archive_is_not_created(noivu):
    from agencies.once import new_token

    docx = _docx({"word/media/tai-lieu.zip": _zip({"a.txt": b"x"})})
    payload = {
        "title": "Góp ý dự thảo",
        "category": "plan",
        "legal_basis": "Quyết định số 1242/QĐ-UBND",
        "description": "Đề nghị góp ý.",
        "chair": agency("STP").pk,
        "tracker": agency("SNV").pk,
        "contributors": [agency("STC").pk],
        "due_mode": "date",
        "due_date": in_days(20).isoformat(),
        "contributor_due_date": in_days(15).isoformat(),
        "recurrence": "",
        "once": new_token(),
        "files": SimpleUploadedFile("du-thao.docx", docx),
    }
    response = login(noivu).post(reverse("task_create"), payload)
    assert response.status_code == 200
    assert NESTED in response.content.decode()
    assert not Task.objects.exists()
