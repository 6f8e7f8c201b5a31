"""Excel export of the filtered item list (openpyxl), safe against formula injection."""

from __future__ import annotations

from io import BytesIO

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from coordination.models import TIMELINESS_LABELS, Participation

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that a spreadsheet would read as a formula is stored as plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def tasks_xlsx(queryset) -> bytes:
    today = timezone.localdate()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Nhiệm vụ")
    headers = [
        _("STT"),
        _("Tên nhiệm vụ"),
        _("Nội dung phối hợp"),
        _("Căn cứ"),
        _("Cơ quan chủ trì"),
        _("Cơ quan theo dõi"),
        _("Cơ quan phối hợp"),
        _("Hạn xử lý"),
        _("Trạng thái"),
        _("Tiến độ"),
    ]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="123A63")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    rows = queryset.select_related("chair_agency", "tracking_agency").prefetch_related(
        Prefetch(
            "participations",
            queryset=Participation.objects.filter(role="contribute").select_related("agency"),
            to_attr="export_contributors",
        )
    )
    for index, task in enumerate(rows.iterator(chunk_size=1000), start=1):
        sheet.append(
            [
                index,
                safe_cell(task.title),
                task.get_category_display(),
                safe_cell(task.legal_basis),
                task.chair_agency.name,
                task.tracking_agency.name,
                "; ".join(p.agency.short_name for p in task.export_contributors),
                task.due_date,
                task.get_status_display(),
                str(TIMELINESS_LABELS[task.timeliness(today)]),
            ]
        )
        sheet.cell(row=index + 1, column=8).number_format = "DD/MM/YYYY"
    for col, width in enumerate([6, 60, 30, 35, 30, 20, 40, 12, 16, 20], start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
