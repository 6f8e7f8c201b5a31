"""Excel export of results (openpyxl), with spreadsheet formula injection neutralised."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text starting like a formula is prefixed with a quote so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def results_workbook(period, results: dict) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for group in results["groups"]:
        sheet = workbook.create_sheet(title=str(group["label"])[:31])
        sheet.append([safe_cell(period.title)])
        sheet.append(
            [
                _("Hạng"),
                _("Cơ quan"),
                _("Điểm đạt"),
                _("Điểm tối đa áp dụng"),
                _("Chỉ số (%)"),
                _("Xếp loại"),
                _("Chỉ số năm trước (%)"),
                _("Tăng/giảm"),
            ]
        )
        for row in group["rows"]:
            sheet.append(
                [
                    row.rank,
                    safe_cell(row.assessment.agency.name),
                    float(row.totals.achieved),
                    float(row.totals.applicable_max),
                    float(row.index) if row.index is not None else None,
                    safe_cell(row.band),
                    float(row.previous_index) if row.previous_index is not None else None,
                    float(row.change) if row.change is not None else None,
                ]
            )
    if not workbook.worksheets:
        workbook.create_sheet(title=_("Kết quả"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
