"""A table's collapsed borders written as runs of lines (issue 14, ``reports.borders``) print
exactly as WeasyPrint draws them line by line, with far fewer drawing operations; a table
with borders other than solid opaque lines is drawn by WeasyPrint itself."""

from __future__ import annotations

import re
import zlib

import pytest
import weasyprint.draw as draw

from reports import borders, pdf
from tests.test_document_lines import HTML as LONG_TABLE
from tests.test_document_split import pngs

# A header row with a thicker border, a coloured cell border that wins over its neighbours,
# cells that span rows and columns, a missing cell and a row without borders: WeasyPrint's
# own rules decide every line and the order they are painted in.
MIXED = """<html><body><table class="data"><thead><tr><th>STT</th><th colspan="2">Cơ quan
</th><th>Hạn</th></tr></thead><tbody>
<tr><td rowspan="2">1</td><td style="border: 2pt solid #c00">Sở Nội vụ</td><td>Chủ trì</td>
<td>31/12/2026</td></tr><tr><td>Sở Tài chính</td><td>Phối hợp</td></tr>
<tr style="border: none"><td>2</td><td colspan="3" style="border-bottom: 1.5pt solid #000">
UBND phường Tuy Hòa</td></tr></tbody></table></body></html>"""


@pytest.fixture
def own_drawing(monkeypatch):
    """Switch to WeasyPrint's line-by-line drawing (``borders.install`` wraps it)."""
    pdf._engine()
    batched = draw.draw_collapsed_borders
    assert getattr(batched, "runs_of_lines", False)

    def use_own():
        monkeypatch.setattr(draw, "draw_collapsed_borders", batched.__wrapped__)

    return use_own


def strokes(data: bytes) -> int:
    """How many stroke operators the PDF's page contents hold."""
    count = 0
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue  # a font or an image
        count += len(re.findall(rb"(?<![A-Za-z])S(?![A-Za-z])", content))
    return count


@pytest.mark.parametrize("html", [LONG_TABLE, MIXED], ids=["long table", "mixed borders"])
def test_runs_of_lines_print_what_weasyprint_draws(html, own_drawing, tmp_path):
    document = pdf._one_pass(html)
    runs = pdf.write(document)
    own_drawing()
    own = pdf.write(document)
    assert runs != own
    assert pngs(runs, tmp_path, "runs", 100) == pngs(own, tmp_path, "own", 100)
    assert strokes(runs) < strokes(own)


def test_a_long_table_is_stroked_a_few_times_a_page(own_drawing):
    document = pdf._one_pass(LONG_TABLE)
    pages = len(document.pages)
    runs = strokes(pdf.write(document))
    own_drawing()
    own = strokes(pdf.write(document))
    assert own > 100 * pages  # a stroke per side of every cell
    assert runs <= 3 * pages  # one run per page, and the header's


def test_other_borders_are_drawn_by_weasyprint(monkeypatch):
    """Dashed, double and translucent borders: every line written as WeasyPrint writes it."""
    pdf._engine()
    seen = []
    original = draw.draw_collapsed_borders.__wrapped__

    def counted(stream, table):
        seen.append(type(stream).__name__)
        return original(stream, table)

    monkeypatch.setattr(draw, "draw_collapsed_borders", counted)
    borders.install()  # wraps ``counted``
    assert draw.draw_collapsed_borders.__wrapped__ is counted
    for cell in (
        "border: 1pt dashed #000",
        "border: 3pt double #000",
        "border: 1pt solid rgba(0, 0, 0, 0.5)",
    ):
        seen.clear()
        html = (
            '<table style="border-collapse: collapse"><tr>'
            f'<td style="{cell}">Sở Nội vụ</td><td style="border: 1pt solid #000">1</td>'
            "</tr></table>"
        )
        pdf.write(pdf._one_pass(html))
        # tried as runs, then drawn by WeasyPrint on the page's own stream
        assert seen == ["Runs", "Stream"], cell
