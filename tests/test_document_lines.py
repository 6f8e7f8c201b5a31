"""Line breaking answered from memory for repeated cells (issue 14, ``reports.lines``) lays
a document out exactly as WeasyPrint's own line breaking: the same boxes, the same bytes."""

from __future__ import annotations

import pytest
from weasyprint.layout import inline
from weasyprint.text import line_break

from reports import lines, pdf
from tests.test_document_freshness import boxes

BODIES = [
    "Sở Nội vụ",
    "Ủy ban nhân dân phường Tuy Hòa",
    "Sở Khoa học và Công nghệ tỉnh Phú Yên (cũ), nay thuộc tỉnh Đắk Lắk",
]
ROLES = ["Chủ trì", "Phối hợp"]

# Repeated texts in the same cell style and width (bodies that wrap, roles, dates, counts),
# texts that appear once, a soft hyphen, a word too long for its column, a bold row.
ROWS = "".join(
    f'<tr><td class="num">{n}</td><td>Nhiệm vụ số {n}: triển khai kế hoạch cải cách hành '
    f"chính{' Khôngcóchỗngắtdòngnàotrongtừdàinàyđâu' * (n % 17 == 0)}</td>"
    f"<td>{BODIES[n % 3]}</td><td>{ROLES[n % 2]}</td>"
    f'<td class="num">{1 + n % 5:02d}/12/2026</td><td class="num">{n % 7}</td></tr>'
    for n in range(1, 140)
)
HTML = f"""<html><body><h2>II. Các nhiệm vụ quá hạn</h2><p>Đoạn văn có từ ngắt\xadđược và
{"chữ lặp lại " * 40}</p><table class="data"><colgroup><col style="width: 7%">
<col style="width: 37%"><col style="width: 20%"><col style="width: 11%">
<col style="width: 13%"><col style="width: 12%"></colgroup><thead><tr><th>STT</th>
<th>Nhiệm vụ</th><th>Cơ quan</th><th>Vai trò</th><th>Hạn xử lý</th><th>Số ngày</th></tr>
</thead><tbody>{ROWS}<tr class="total"><td></td><td>Tổng cộng</td><td>{BODIES[2]}</td>
<td>{ROLES[0]}</td><td></td><td>139</td></tr></tbody></table></body></html>"""


@pytest.fixture
def calls(monkeypatch):
    """Calls that reach Pango (WeasyPrint's own ``split_first_line``)."""
    made = []
    original = line_break.split_first_line

    def counted(*args, **kwargs):
        made.append(args[0])
        return original(*args, **kwargs)

    pdf._engine()  # installs the memory around the function the inline layout calls
    assert getattr(inline.split_first_line, "remembers", False)
    monkeypatch.setattr(inline, "split_first_line", lines.remembered(counted))
    return made


def test_repeated_cells_are_broken_once_and_print_the_same(calls, monkeypatch):
    remembered = pdf._one_pass(HTML)
    remembered_pdf = pdf.write(remembered)
    from_memory = len(calls)

    monkeypatch.setattr(inline, "split_first_line", line_break.split_first_line)
    own = pdf._one_pass(HTML)
    assert len(own.pages) == len(remembered.pages) >= 3
    assert boxes(remembered) == boxes(own)
    assert remembered_pdf == pdf.write(own)
    # The repeated bodies, roles, dates and counts reached Pango once each.
    texts = [box[-1] for box in boxes(own) if box[0] == "TextBox"]
    assert from_memory < len(texts) / 2
    assert calls.count(BODIES[0]) == 1 and calls.count(ROLES[1]) == 1


def test_each_box_draws_from_its_own_copy(calls):
    document = pdf._one_pass(HTML)
    layouts = [
        box.pango_layout
        for page in document.pages
        for box in page._page_box.descendants()
        if getattr(box, "text", "") == "Phối"  # "Phối hợp" wraps in its column
    ]
    assert len(layouts) > 10
    assert len({id(layout) for layout in layouts}) == len(layouts)


def test_without_a_layout_context_nothing_is_remembered():
    """``reports.split`` counts a cell's lines outside any layout: answered afresh."""
    seen = []

    def split(*args, **kwargs):
        seen.append(args[0])
        return ("layout", 1, None, 10.0, 12.0, 9.0)

    remember = lines.remembered(split)
    for _ in range(2):
        assert remember("Sở Nội vụ", object(), None, 100.0, 0) == split("Sở Nội vụ")
    assert seen == ["Sở Nội vụ"] * 4


# --- Drawing: repeated text shaped once per writing --------------------------------------


@pytest.fixture
def shapings(monkeypatch):
    """Texts WeasyPrint's own ``Layout.reactivate`` shaped while writing."""
    pdf._engine()  # installs the sharing around WeasyPrint's drawing
    assert getattr(line_break.Layout.reactivate, "remembers", False)
    own = line_break.Layout.reactivate.__wrapped__
    made = []

    def counted(self, style):
        made.append(self.text)
        return own(self, style)

    monkeypatch.setattr(line_break.Layout, "reactivate", lines.shaped(counted))
    return made


def written_alone(document) -> bytes:
    """The PDF as WeasyPrint writes it, each text box shaped afresh (no ``drawing``)."""
    with pdf.fewer_collections():
        return document.write_pdf()


def test_repeated_text_is_shaped_once_a_writing_and_writes_the_same_bytes(shapings):
    document = pdf._one_pass(HTML)
    alone = written_alone(document)
    each_box = len(shapings)
    shapings.clear()
    assert pdf.write(document) == alone
    assert len(shapings) < each_box / 2
    assert shapings.count("Phối") == 1  # "Phối hợp" wraps, in every other row: shaped once
    # The next writing starts afresh (its layouts were dropped with the last one's end).
    shapings.clear()
    assert pdf.write(document) == alone and shapings.count("Phối") == 1


def test_text_drawn_with_an_ellipsis_is_shaped_for_itself(shapings):
    """Drawing an ellipsis changes the box's layout: such boxes share none."""
    name = "Sở Khoa học và Công nghệ tỉnh Phú Yên"
    html = (
        "<html><head><style>.cut { width: 30mm; overflow: hidden; white-space: nowrap;"
        " text-overflow: ellipsis }</style></head><body>"
        + f'<p class="cut">{name}</p>' * 4
        + f"<p>{name}</p><p>{name}</p></body></html>"
    )
    document = pdf._one_pass(html)
    alone = written_alone(document)
    shapings.clear()
    assert pdf.write(document) == alone
    assert shapings.count(name) == 5  # four cut, each its own; the two whole ones share
