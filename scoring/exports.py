"""Excel export of results, written through ``agencies.spreadsheets`` (every cell a safe
cell: no text is ever read as a formula; numbers stay numbers)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from agencies.spreadsheets import add_sheet, new_workbook, workbook_bytes


def _number(value) -> float | None:
    return float(value) if value is not None else None


def results_workbook(period, results: dict) -> bytes:
    workbook = new_workbook()
    for group in results["groups"]:
        writer = add_sheet(workbook, group["label"])
        writer.append([period.title])
        writer.append(
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
            writer.append(
                [
                    row.rank,
                    row.assessment.agency.name,
                    _number(row.totals.achieved),
                    _number(row.totals.applicable_max),
                    _number(row.index),
                    (_("không xếp hạng: %(reason)s") % {"reason": row.excluded})
                    if row.excluded
                    else row.band,
                    _number(row.previous_index),
                    _number(row.change),
                ]
            )
    if not workbook.worksheets:
        add_sheet(workbook, _("Kết quả"))
    return workbook_bytes(workbook)
