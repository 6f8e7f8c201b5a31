"""The one way the portal writes a spreadsheet (and, ``first_sheet_rows``, reads an uploaded
one): every cell of every workbook it serves goes through ``safe_cell`` and ``write_cell``
here, whatever the value's source (body and user names, titles, notes, imported criteria,
labels).

Text is always written as a text cell, never as a formula or an error code, so a body renamed
``=HYPERLINK(...)`` is shown exactly as typed and never evaluated. Text that a spreadsheet
would read as a formula when typed (``=``, ``+``, ``-``, ``@``, tab, line breaks, and their
full-width forms) also gets the cell's *quote prefix* style: Excel and LibreOffice keep it as
text when the reader edits the cell, and show no apostrophe. Numbers and dates stay typed, so
the reader's sums work. Characters a workbook cannot hold are removed, so a stored control
character never breaks an export."""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
# XML 1.0 refuses these (openpyxl raises IllegalCharacterError on the first group).
_NOT_IN_A_CELL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_TEXT = 32_767  # the most characters a cell holds
_NOT_IN_A_TITLE = re.compile(r"[\[\]:*?/\\]")


def safe_cell(value):
    """The value a cell may hold: empty, booleans, finite numbers and dates stay as they are
    (aware datetimes in local time); anything else becomes text that a workbook can hold."""
    if value is None or isinstance(value, (bool, int, dt.date, dt.time, dt.timedelta)):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return timezone.make_naive(value)
        return value
    if isinstance(value, (float, Decimal)):
        return value if math.isfinite(value) else None
    return _NOT_IN_A_CELL.sub("", str(value))[:MAX_TEXT]


def write_cell(cell: Cell, value) -> Cell:
    """Put ``value`` in ``cell`` through ``safe_cell``; text is a text cell, never a formula."""
    value = safe_cell(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    return cell


class SheetWriter:
    """Appends rows to a new worksheet, every value through ``write_cell``."""

    def __init__(self, sheet: Worksheet, *, title=None) -> None:
        self.sheet = sheet
        self.row = 0
        if title is not None:
            sheet.title = sheet_title(title)

    def append(self, values: Iterable) -> list[Cell]:
        self.row += 1
        return [
            write_cell(self.sheet.cell(row=self.row, column=column), value)
            for column, value in enumerate(values, start=1)
        ]


def sheet_title(text) -> str:
    """A worksheet name Excel accepts: no ``[]:*?/\\``, at most 31 characters."""
    title = _NOT_IN_A_TITLE.sub(" ", safe_cell(str(text))).strip()[:31]
    return title or "Sheet"


def new_workbook() -> Workbook:
    """An empty workbook: add sheets with ``add_sheet``."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def add_sheet(workbook: Workbook, title) -> SheetWriter:
    return SheetWriter(workbook.create_sheet(), title=title)


def workbook_bytes(workbook: Workbook) -> bytes:
    if not workbook.worksheets:
        workbook.create_sheet()
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class UnreadableSheet(ValueError):
    """An upload that is not a readable .xlsx workbook; its message is for the user."""


def first_sheet_rows(content: bytes) -> list[list]:
    """The values (not formulas) of the first sheet of an uploaded .xlsx workbook, row by row:
    the one reader of the criteria and plan imports. The content is checked, not the name."""
    if not zipfile.is_zipfile(BytesIO(content)):  # e.g. an .xls or a .csv renamed .xlsx
        raise UnreadableSheet(
            _("Chỉ nhận tệp Excel .xlsx (không nhận .xls, .csv, .ods); hãy dùng tệp mẫu.")
        )
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(BytesIO(content), read_only=True, data_only=True)
        try:
            return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
        finally:
            workbook.close()
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is reported the same way
        raise UnreadableSheet(_("Không đọc được tệp Excel; hãy lưu lại dưới dạng .xlsx.")) from exc
