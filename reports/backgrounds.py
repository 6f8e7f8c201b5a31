"""Boxes with nothing to paint behind them settled once per style (issue 14).

After laying a page out WeasyPrint walks every box on it (``layout_box_backgrounds``):
it resolves the box's corner radii, looks for a border image, a mask, background images,
a background colour and shadows, and sets ``box.background`` (``None`` when there is
nothing to paint). A whole-year coordination status has ~27,000 boxes, almost all cells,
lines and text with no background, no image and square corners: ~5 % of its layout's
time went to finding that out again for each (docs/benchmark.md).

``layout_box_backgrounds`` decides it once per computed style: a box whose style has
square corners, no border image, no mask, no background image, no shadow and a
transparent background colour gets what WeasyPrint's own function would give it —
square corners, its children walked, ``background`` ``None`` — without the lookups. Any
other box, the page itself and a call with another box's style (the canvas) go to
WeasyPrint's function as before (``tests/test_document_backgrounds.py``).
"""

from __future__ import annotations

RADII = tuple(
    f"border_{corner}_radius" for corner in ("top_left", "top_right", "bottom_right", "bottom_left")
)
ZERO = (0, "px")
_PLAIN = "_cchc_plain"


def plain(style) -> bool:
    """Nothing to paint behind a box of this style and square corners."""
    return (
        all(ZERO in style[name] for name in RADII)
        and style["border_image_source"][0] == "none"
        and style["mask_border_source"][0] == "none"
        and all(kind != "url" and not value for kind, value in style["background_image"])
        and not style["box_shadow"]
        and (style["visibility"] == "hidden" or _color(style).alpha == 0)
    )


def _color(style):
    from weasyprint.draw.color import get_color

    return get_color(style, "background_color")


def install() -> None:
    """Settle plain boxes once per style in WeasyPrint's background pass (once per
    process)."""
    from weasyprint.layout import background

    original = background.layout_box_backgrounds
    if getattr(original, "plain_once", False):
        return

    def layout_box_backgrounds(page, box, get_image_from_uri, layout_children=True, style=None):
        if style is None and box is not page:
            found = box.style.__dict__.get(_PLAIN)  # the answer lives as long as the style
            if found is None:
                found = plain(box.style)
                setattr(box.style, _PLAIN, found)
            if found:
                for name in RADII:
                    setattr(box, name, (0, 0))
                if layout_children:
                    for child in box.all_children():
                        layout_box_backgrounds(page, child, get_image_from_uri)
                box.background = None
                return
        return original(page, box, get_image_from_uri, layout_children, style)

    layout_box_backgrounds.plain_once = True
    layout_box_backgrounds.__wrapped__ = original
    background.layout_box_backgrounds = layout_box_backgrounds
