"""Excel export of results, written through ``agencies.spreadsheets`` (every cell a safe
cell: no text is ever read as a formula; numbers stay numbers)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from agencies.spreadsheets import add_sheet, new_workbook, workbook_bytes
from scoring.figures import figure


def _number(value) -> float | None:
    return float(value) if value is not None else None


def _previous_note(row) -> str:
    """ "Năm trước (của …): 80 (Sở Tài chính); 75 (Sở Kế hoạch và Đầu tư)" when the year
    before's results are not simply the body's own (a merge, a split, a rename)."""
    if not row.previous_label:
        return ""
    parts = [f"{figure(p.index)} ({p.name})" for p in row.previous_results]
    return f"{row.previous_label}: {'; '.join(parts)}"


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
                _("Ghi chú năm trước"),
            ]
        )
        for row in group["rows"]:
            writer.append(
                [
                    row.rank,
                    row.name,
                    _number(row.totals.achieved),
                    _number(row.totals.applicable_max),
                    _number(row.index),
                    (_("không xếp hạng: %(reason)s") % {"reason": row.excluded})
                    if row.excluded
                    else row.band,
                    _number(row.previous_index),
                    _number(row.change),
                    _previous_note(row),
                ]
            )
    if not workbook.worksheets:
        add_sheet(workbook, _("Kết quả"))
    return workbook_bytes(workbook)
