"""Excel export of the filtered item list, written through ``agencies.spreadsheets`` (every
cell a safe cell: no text is ever read as a formula)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from agencies.spreadsheets import SheetWriter, add_sheet, new_workbook, workbook_bytes
from coordination import timeliness as tl
from coordination.models import Participation

HEADERS = (
    gettext_lazy("STT"),
    gettext_lazy("Tên nhiệm vụ"),
    gettext_lazy("Nội dung phối hợp"),
    gettext_lazy("Căn cứ"),
    gettext_lazy("Cơ quan chủ trì"),
    gettext_lazy("Cơ quan theo dõi"),
    gettext_lazy("Cơ quan phối hợp"),
    gettext_lazy("Hạn xử lý"),
    gettext_lazy("Trạng thái"),
    gettext_lazy("Tiến độ"),
)
WIDTHS = (6, 60, 30, 35, 30, 20, 40, 12, 16, 20)


def _header(writer: SheetWriter) -> None:
    sheet = writer.sheet
    for cell in writer.append(HEADERS):
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="123A63")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for col, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width


def _row(index: int, task) -> list:
    return [
        index,
        task.title,
        task.get_category_display(),
        task.legal_basis,
        task.chair_agency.name,
        task.tracking_agency.name,
        "; ".join(p.agency.short_name for p in task.export_contributors),
        task.due_date,
        task.get_status_display(),
        str(tl.LABELS[task.timeliness]),
    ]


def tasks_xlsx(queryset) -> bytes:
    """The rows of ``queryset`` (already scoped by ``visible_to``); the progress column is
    the item's ``timeliness`` annotation. No contribution text is exported."""
    workbook = new_workbook()
    writer = add_sheet(workbook, _("Nhiệm vụ"))
    _header(writer)
    if "timeliness" not in queryset.query.annotations:
        queryset = tl.with_task_timeliness(queryset, timezone.localdate())
    rows = queryset.select_related("chair_agency", "tracking_agency").prefetch_related(
        Prefetch(
            "participations",
            queryset=Participation.objects.filter(role="contribute").select_related("agency"),
            to_attr="export_contributors",
        )
    )
    for index, task in enumerate(rows.iterator(chunk_size=1000), start=1):
        writer.append(_row(index, task))[7].number_format = "DD/MM/YYYY"
    writer.sheet.freeze_panes = "A2"
    writer.sheet.auto_filter.ref = writer.sheet.dimensions
    return workbook_bytes(workbook)
