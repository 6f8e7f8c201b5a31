"""A table's border conflicts resolved once per style (issue 14, ``reports.collapse``): the
grid of winning borders and the used widths on every box are WeasyPrint's own, edge for
edge, in both directions and with every kind of border; each style is read once."""

from __future__ import annotations

import pytest
import weasyprint.formatting_structure.build as build

from reports import collapse, pdf
from tests.test_document_borders import MIXED
from tests.test_document_freshness import boxes
from tests.test_document_lines import HTML as LONG_TABLE

# Borders of every style, width and colour on cells, rows, row groups, columns, column
# groups and the table; spans that cross them; an empty row group; a tie between a cell and
# its neighbour (the earlier wins); a colour taken from the text colour.
KINDS = """<table style="border: 3pt double #000; border-collapse: collapse">
<colgroup style="border-right: 2pt dashed #090"><col><col style="border: 4pt dotted #00c">
</colgroup><colgroup span="2" style="border: 1pt inset #999"></colgroup>
<thead style="border-bottom: 2.5pt ridge #c60"><tr><th>A</th><th colspan="2">B</th>
<th>C</th></tr></thead><tbody></tbody><tbody style="border: hidden">
<tr style="border-top: 5pt groove #333"><td rowspan="3">1</td><td style="border: 2pt solid
#c00">2</td><td style="border: 2pt solid #00c">3</td><td style="border-left: 6pt outset
#0c0">4</td></tr><tr><td colspan="2" rowspan="2" style="color: #a0a; border: 2pt solid
currentcolor">5</td><td style="border: none">6</td></tr><tr><td style="border: hidden">7
</td></tr></tbody><tfoot style="border-top: 1pt dotted #000"><tr><td>8</td><td>9</td>
<td>10</td><td style="border-right: 7pt solid rgba(0, 0, 0, 0.5)">11</td></tr></tfoot>
</table>"""

DOCUMENTS = {
    "long table": LONG_TABLE,
    "mixed borders": MIXED,
    "every kind": f"<html><body>{KINDS}</body></html>",
    "right to left": f'<html><body><div dir="rtl">{KINDS}</div>{MIXED}</body></html>',
}


def laid_out(html: str, function, monkeypatch) -> tuple[list, object]:
    """Each table's grids as ``function`` resolves them, and the pages."""
    grids = []

    def kept(table, grid_width, grid_height):
        grids.append(function(table, grid_width, grid_height))
        return grids[-1]

    monkeypatch.setattr(build, "collapse_table_borders", kept)
    return grids, pdf._one_pass(html)


def used_widths(document) -> list[tuple]:
    return [
        (
            type(box).__name__,
            *(getattr(box, f"border_{side}_width", None) for side in collapse.SIDES),
        )
        for page in document.pages
        for box in page._page_box.descendants()
    ]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_grid_and_the_used_widths_are_weasyprints_own(name, monkeypatch):
    pdf._engine()
    ours = build.collapse_table_borders
    assert getattr(ours, "scored_once", False)
    own_grids, own = laid_out(DOCUMENTS[name], ours.__wrapped__, monkeypatch)
    our_grids, mine = laid_out(DOCUMENTS[name], ours, monkeypatch)
    assert own_grids and our_grids == own_grids
    assert boxes(mine) == boxes(own)
    assert used_widths(mine) == used_widths(own)


def test_a_table_of_like_cells_reads_each_style_once(monkeypatch):
    from weasyprint.draw import color

    pdf._engine()
    reads = []
    original = color.get_color
    monkeypatch.setattr(
        color, "get_color", lambda style, key: reads.append(key) or original(style, key)
    )

    def counted(function):
        def resolving(*args):
            before = len(reads)
            grids = function(*args)
            counts.append(len(reads) - before)
            return grids

        return resolving

    counts = []
    ours = build.collapse_table_borders
    laid_out(LONG_TABLE, counted(ours.__wrapped__), monkeypatch)
    own_reads, calls = sum(counts), len(counts)
    laid_out(LONG_TABLE, counted(ours), monkeypatch)
    our_reads = sum(counts[calls:])
    # WeasyPrint read a colour for every side of every box on every grid edge it covers
    # (~8,000 for 140 rows of six cells); once per style and side here.
    assert own_reads > 7000
    assert our_reads < 100


def test_an_empty_table_has_no_grid():
    assert collapse.collapse_table_borders(None, 0, 3) == ([], [])
