"""Styles cascaded once per shared computed style (issue 14, ``reports.cascade``): every
element and pseudo-element gets the computed style WeasyPrint's own ``StyleFor`` gives it,
shared the same way, and the pages are the same; the cascade nobody reads is not merged."""

from __future__ import annotations

import pytest
import weasyprint.css as css
import weasyprint.document as document_module
from weasyprint.css.properties import INITIAL_VALUES

from reports import cascade, pdf
from tests.test_document_borders import MIXED
from tests.test_document_freshness import boxes
from tests.test_document_lines import HTML as LONG_TABLE
from tests.test_document_split import status_html

pytestmark = pytest.mark.django_db

# Pseudo-elements from an author sheet (generated content, list markers), rules that match
# some cells and not others, ``style`` attributes repeated on many cells and one that
# differs, classes, ids, structural selectors and a language.
PSEUDO = (
    """<html lang="vi"><head><style>
p::before { content: "» "; color: #c00 } .note::after { content: " (" attr(title) ")" }
li:nth-child(2n) { font-weight: bold } td:first-child { text-align: right }
#last { font-style: italic } .wide { letter-spacing: 1pt }
</style></head><body><p class="note" title="ghi chú">Đoạn có chú thích</p>
<p>Đoạn một</p><p>Đoạn hai</p><ul>
<li>Một</li><li>Hai</li><li class="wide">Ba</li></ul><table class="data"><tbody>
"""
    + "".join(
        f'<tr><td style="color: #036">{n}</td><td class="wide">Ô {n}</td>'
        f'<td{" id=last" if n == 29 else ""} style="padding: 2pt">Cơ quan {n % 4}</td></tr>'
        for n in range(30)
    )
    + '<tr><td style="color: #630">30</td><td>Khác</td><td>Cuối</td></tr>'
    + "</tbody></table></body></html>"
)

DOCUMENTS = {
    "coordination status": status_html(60),
    "long table": LONG_TABLE,
    "mixed borders": MIXED,
    "pseudo-elements": PSEUDO,
}


@pytest.fixture
def captured(monkeypatch):
    """Lay a document out with WeasyPrint's ``StyleFor`` or the lean one; return its pages,
    its ``StyleFor`` and how many cascaded styles it had merged."""
    pdf._engine()  # installs the lean class
    lean = css.StyleFor
    assert getattr(lean, "lean_cascade", False)
    own = lean.__bases__[0]
    seen = {}

    def with_class(kind, html):
        base = {"lean": lean, "own": own}[kind]

        class Counted(base):
            def set_computed_styles(self, *args, **kwargs):
                # Elements' and pseudo-elements' (a page's type is a named tuple).
                merged = sum(not isinstance(key[0], tuple) for key in self.get_cascaded_styles())
                seen["merged"] = max(seen.get("merged", 0), merged)
                return super().set_computed_styles(*args, **kwargs)

        original = document_module.get_all_computed_styles

        def kept(*args, **kwargs):
            seen["style_for"] = original(*args, **kwargs)
            return seen["style_for"]

        seen.clear()
        monkeypatch.setattr(css, "StyleFor", Counted)
        monkeypatch.setattr(document_module, "get_all_computed_styles", kept)
        laid_out = pdf._one_pass(html)
        monkeypatch.setattr(css, "StyleFor", lean)
        return laid_out, seen["style_for"], seen["merged"]

    return with_class


def computed(style_for) -> tuple[list, list]:
    """Each element's and pseudo-element's computed style, every property read, in tree
    order; and which of them share one style object."""
    root = next(iter(style_for.get_computed_styles()))[0]  # the first in tree order
    order = {id(element): index for index, element in enumerate(root.iter())}
    styles, groups = [], {}
    for (element, pseudo), style in style_for.get_computed_styles().items():
        if id(element) not in order:
            continue  # a page's style
        values = {name: repr(style[name]) for name in INITIAL_VALUES}
        place = (order[id(element)], str(element.tag), pseudo or "")
        styles.append((place, values))
        groups.setdefault(id(style), []).append(place)
    return sorted(styles), sorted(groups.values())


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_element_gets_weasyprints_own_computed_style(name, captured):
    html = DOCUMENTS[name]
    own_pages, own_styles, _ = captured("own", html)
    lean_pages, lean_styles, _ = captured("lean", html)
    own_values, own_groups = computed(own_styles)
    lean_values, lean_groups = computed(lean_styles)
    assert len(own_values) > 20
    assert lean_values == own_values
    assert lean_groups == own_groups
    assert boxes(lean_pages) == boxes(own_pages)


def test_pseudo_elements_of_elements_that_share_a_style_are_still_generated(captured):
    pages, style_for, _ = captured("lean", PSEUDO)
    pseudo = [key for key in style_for.get_computed_styles() if key[1] in ("before", "after")]
    assert len(pseudo) == 4  # the two plain paragraphs share a style, not their "» "
    texts = [
        getattr(box, "text", "") for page in pages.pages for box in page._page_box.descendants()
    ]
    assert texts.count("» ") == 3 and " (ghi chú)" in texts


def test_shared_cells_merge_no_cascade(captured):
    # A pseudo-element at the end: its style is computed after every element's cascade.
    html = LONG_TABLE.replace(
        "<body>", '<head><style>p.end::after { content: "." }</style></head><body>', 1
    ).replace("</body>", '<p class="end">Hết</p></body>')
    _, _, own_merged = captured("own", html)
    _, _, lean_merged = captured("lean", html)
    # WeasyPrint merged a cascade for each of the table's ~850 elements; the lean class
    # only for those whose computed style is new.
    assert own_merged > 800
    assert lean_merged < own_merged / 10


def test_install_is_done_once():
    pdf._engine()
    installed = css.StyleFor
    cascade.install()
    assert css.StyleFor is installed
    assert installed.__bases__[0].__name__ == "StyleFor"
