"""Boxes with nothing to paint behind them settled once per style (issue 14,
``reports.backgrounds``): every box gets the background, corners and border image
WeasyPrint's own pass gives it, and the pages print the same."""

from __future__ import annotations

import pytest
from weasyprint.layout import background

from reports import backgrounds, pdf
from tests.test_document_lines import HTML as LONG_TABLE
from tests.test_document_split import pngs

# A dot as a background image (PNG in a data: URL).
DOT = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
# Every way a box can have something behind it or round corners, beside plain boxes
# sharing their styles; a hidden box with a background; the page's own background.
PAINTED = f"""<html><head><style>
@page {{ background: #fffbe6 }} .c {{ background: #eef }} .r {{ border-radius: 10% 4pt }}
.g {{ background: linear-gradient(#fff, #ccc) }} .s {{ box-shadow: 2pt 2pt #999 }}
.i {{ background: url({DOT}) repeat }} .h {{ visibility: hidden; background: #f00 }}
.b {{ border: 4pt solid; border-image: linear-gradient(#c00, #00c) 1 }}
.t {{ background: rgba(0, 0, 0, 0) }}
</style></head><body><p>Đoạn thường</p><p class="c">Nền màu</p><div class="r c">Bo góc</div>
<p class="g">Chuyển màu</p><p class="s">Bóng</p><p class="i">Ảnh nền</p><p class="h">Ẩn
</p><p class="b">Viền ảnh</p><p class="t">Trong suốt</p>
<table class="data"><tr><td>1</td><td class="c">2</td><td class="r">3</td></tr>
<tr><td>4</td><td>5</td><td class="s">6</td></tr></table><p>Đoạn thường</p>
</body></html>"""


def painted(document) -> list[tuple]:
    """What the background pass set on every box of every page."""
    out = []
    for page in document.pages:
        for box in page._page_box.descendants():  # the page box first
            found = getattr(box, "background", None)
            out.append(
                (
                    type(box).__name__,
                    None if found is None else (tuple(found.color), len(found.layers)),
                    *(getattr(box, name, None) for name in backgrounds.RADII),
                    repr(getattr(box, "border_image", None))[:40],
                )
            )
    return out


@pytest.fixture
def own_pass(monkeypatch):
    """Switch to WeasyPrint's own background pass (``backgrounds.install`` wraps it)."""
    pdf._engine()
    settled = background.layout_box_backgrounds
    assert getattr(settled, "plain_once", False)
    return lambda: monkeypatch.setattr(background, "layout_box_backgrounds", settled.__wrapped__)


@pytest.mark.parametrize("html", [PAINTED, LONG_TABLE], ids=["painted boxes", "long table"])
def test_every_box_gets_what_weasyprints_pass_gives_it(html, own_pass, tmp_path):
    settled = pdf._one_pass(html)
    settled_pdf = pdf.write(settled)
    own_pass()
    own = pdf._one_pass(html)
    assert painted(settled) == painted(own)
    assert pngs(settled_pdf, tmp_path, "settled") == pngs(pdf.write(own), tmp_path, "own")


def test_painted_boxes_still_have_their_backgrounds():
    pdf._engine()
    document = pdf._one_pass(PAINTED)
    kinds = painted(document)
    with_background = [kind for kind in kinds if kind[1] is not None]
    # The page, the coloured, gradient, shadowed and imaged paragraphs, the rounded div
    # and the two painted cells (the hidden paragraph's background is not painted).
    assert len(with_background) == 8
    rounded = [kind for kind in kinds if kind[2] != (0, 0)]
    assert len(rounded) == 2


def test_plain_boxes_skip_weasyprints_lookups(monkeypatch):
    pdf._engine()
    settled = background.layout_box_backgrounds
    asked = []

    def counted(page, box, *args, **kwargs):
        asked.append(box)
        return settled.__wrapped__(page, box, *args, **kwargs)

    monkeypatch.setattr(settled, "__wrapped__", counted, raising=False)
    document = pdf._one_pass(LONG_TABLE)
    monkeypatch.undo()
    boxes = sum(len(list(page._page_box.descendants())) for page in document.pages)
    # Only the pages (and the canvas) reach WeasyPrint's function.
    assert boxes > 2000
    assert len(asked) <= 2 * len(document.pages)
