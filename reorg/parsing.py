"""Reading a reorganisation plan from a spreadsheet (.csv or .xlsx) in the format of
docs/reorganisation.md: one row per successor, the same effective date and legal basis on
every row. Every error names its line; nothing is read half."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from agencies.models import Agency
from agencies.spreadsheets import UnreadableSheet, first_sheet_rows
from reorg.models import Change

COLUMNS = (
    "change",
    "from_codes",
    "to_code",
    "to_name",
    "to_short_name",
    "to_abbreviation",
    "to_kind",
    "to_level",
    "default",
    "effective_date",
    "legal_basis",
)
REQUIRED = ("change", "effective_date", "legal_basis")
MAX_ROWS = 2000
MAX_BYTES = 2 * 1024 * 1024
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old .xls
YES = {"yes", "y", "x", "1", "true", "có", "co"}


@dataclass
class PlanRow:
    line: int
    change: str
    from_codes: list[str] = field(default_factory=list)
    to_code: str = ""
    to_name: str = ""
    to_short_name: str = ""
    to_abbreviation: str = ""
    to_kind: str = ""
    to_level: str = ""
    default: bool = False
    effective_date: dt.date | None = None
    legal_basis: str = ""

    def as_dict(self) -> dict:
        data = asdict(self)
        data["effective_date"] = self.effective_date.isoformat() if self.effective_date else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> PlanRow:
        data = dict(data)
        if data.get("effective_date"):
            data["effective_date"] = dt.date.fromisoformat(data["effective_date"])
        return cls(**data)

    @property
    def change_label(self) -> str:
        return str(Change(self.change).label) if self.change in Change.values else self.change


def read_plan_file(upload) -> list[PlanRow]:
    """The rows of an uploaded plan; ValidationError listing every problem by line. The
    type is decided by the content, not the name: a workbook is a zip package, a CSV is
    UTF-8 text (no NUL bytes, not a workbook renamed)."""
    name = getattr(upload, "name", "") or ""
    ext = Path(name).suffix.lower().lstrip(".")
    if ext not in {"csv", "xlsx"}:
        raise ValidationError(
            _("Tệp “%(name)s” không được chấp nhận. Chỉ nhận tệp .csv hoặc .xlsx.") % {"name": name}
        )
    content = upload.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise ValidationError(
            _("Tệp “%(name)s” quá lớn; giới hạn là %(limit)s.")
            % {"name": name, "limit": filesizeformat(MAX_BYTES)}
        )
    is_workbook = content.startswith(_ZIP)
    is_text = not content.startswith((_ZIP, _OLE)) and b"\x00" not in content
    if (ext == "xlsx" and not is_workbook) or (ext == "csv" and not is_text):
        raise ValidationError(
            _("Nội dung tệp “%(name)s” không đúng với loại %(ext)s; tệp bị từ chối.")
            % {"name": name, "ext": ext.upper()}
        )
    if is_workbook:
        try:
            table = [[_cell(v) for v in row] for row in first_sheet_rows(content)]
        except UnreadableSheet as exc:
            raise ValidationError(str(exc)) from exc
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(
                _("Tệp CSV phải mã hóa UTF-8 (trong Excel: Lưu thành › CSV UTF-8).")
            ) from exc
        table = list(csv.reader(io.StringIO(text)))
    return rows_from_table(table)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def rows_from_table(table: list[list[str]]) -> list[PlanRow]:
    """Rows from a table whose first row is the header (line 1)."""
    if not table:
        raise ValidationError(_("Tệp phương án không có dòng nào."))
    header = [str(c).strip().lower() for c in table[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ValidationError(
            _("Dòng 1: thiếu cột %(columns)s (xem mẫu trong hướng dẫn).")
            % {"columns": ", ".join(missing)}
        )
    if len(table) - 1 > MAX_ROWS:
        raise ValidationError(_("Phương án có quá nhiều dòng (tối đa %(n)s).") % {"n": MAX_ROWS})
    rows, errors = [], []
    for number, raw in enumerate(table[1:], start=2):
        cells = {h: str(raw[i]).strip() if i < len(raw) else "" for i, h in enumerate(header)}
        if not any(cells.values()):
            continue
        row, row_errors = _row(number, cells)
        rows.append(row)
        errors += row_errors
    if not rows and not errors:
        errors.append(_("Tệp phương án không có dòng nào."))
    if errors:
        raise ValidationError(errors)
    return rows


def _row(number: int, cells: dict) -> tuple[PlanRow, list[str]]:
    """One line and what is wrong with it on its own (long: one check per column; the
    plan's checks come later)."""
    errors = []

    def err(message: str, **values) -> None:
        errors.append(_("Dòng %(line)s: ") % {"line": number} + message % values)

    for column in REQUIRED:
        if not cells.get(column):
            err(_("thiếu %(column)s."), column=column)
    change = cells.get("change", "").lower()
    if change and change not in Change.values:
        err(
            _(
                "loại thay đổi “%(value)s” không hợp lệ "
                "(merge, split, rename, abolish, new, province)."
            ),
            value=cells["change"],
        )
    day = None
    if cells.get("effective_date"):
        try:
            day = dt.date.fromisoformat(cells["effective_date"][:10])
        except ValueError:
            err(
                _("ngày hiệu lực “%(value)s” không đúng dạng YYYY-MM-DD."),
                value=cells["effective_date"],
            )
    kind = cells.get("to_kind", "").lower()
    if kind and kind not in Agency.Kind.values:
        err(_("loại cơ quan “%(value)s” không hợp lệ."), value=cells["to_kind"])
    level = cells.get("to_level", "").lower()
    if level and level not in Agency.Level.values:
        err(_("cấp hành chính “%(value)s” không hợp lệ."), value=cells["to_level"])
    codes = [c.strip().upper() for c in cells.get("from_codes", "").split(";") if c.strip()]
    row = PlanRow(
        line=number,
        change=change,
        from_codes=codes,
        to_code=cells.get("to_code", "").strip().upper(),
        to_name=cells.get("to_name", ""),
        to_short_name=cells.get("to_short_name", ""),
        to_abbreviation=cells.get("to_abbreviation", ""),
        to_kind=kind,
        to_level=level,
        default=cells.get("default", "").lower() in YES,
        effective_date=day,
        legal_basis=cells.get("legal_basis", ""),
    )
    if len(row.to_code) > 20 or len(row.to_name) > 255 or len(row.to_short_name) > 100:
        err(_("mã hoặc tên quá dài (mã tối đa 20, tên tối đa 255 ký tự)."))
    if len(row.to_abbreviation) > 20 or len(row.legal_basis) > 500:
        err(_("chữ viết tắt (tối đa 20) hoặc căn cứ (tối đa 500 ký tự) quá dài."))
    return row, errors
