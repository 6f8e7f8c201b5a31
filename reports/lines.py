"""Line breaking done once per text, style and width within a document (issue 14).

WeasyPrint breaks each text box's lines with Pango (``split_first_line``): a new Pango
layout, the text shaped, its first line measured. A long table repeats the same short texts
row after row — a body's name, a role, a date, a count — in the same cell style and column
width: in the whole-year coordination status 80 % of the ~8,600 calls repeated an earlier
one, a quarter of the layout's time (docs/benchmark.md).

The result depends only on the text, the computed style, the width and the three flags
passed, and WeasyPrint shares one computed style object among the boxes that have the same
style (78 objects for ~8,600 calls there); so within one layout (one ``LayoutContext``) a
call with the same text, the same style object, width and flags gets the first call's
answer. The Pango layout it returns is an inert holder by then (``first_line_metrics``
deactivates it; drawing builds its Pango objects again from its text), and every caller
gets its own copy of it, so drawing one box never changes another. The pages are the same
box for box and pixel for pixel (``tests/test_document_lines.py``).

Drawing does it again: each text box's Pango layout is built anew from its text and shaped
(``Layout.reactivate``) before its glyphs are written, ~20 % of writing a long table. While
a document is written (``drawing``), a text box whose text, style object and word spacing
an earlier box had is given that box's shaped layout (``shaped``): the glyphs written are
the same, from the same Pango objects. Only boxes drawn without an ellipsis share one
(drawing an ellipsis changes the layout); the shared layouts are dropped when the writing
ends.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import threading

_MEMO = "_cchc_lines"
_INSTALLING = threading.Lock()
# What ``Layout.setup`` and ``Layout.set_text`` set on a layout: a shaped one's state.
_SHAPED = (
    "style",
    "first_line_direction",
    "language",
    "layout",
    "text",
    "ascent",
    "underline_position",
    "strikethrough_position",
    "underline_thickness",
    "strikethrough_thickness",
)
_drawing = threading.local()


def remembered(split_first_line):
    """``split_first_line`` answering a repeated call of the same layout from memory."""

    @functools.wraps(split_first_line)
    def split(text, style, context, max_width, justification_spacing, *flags, **named):
        if context is None:
            return split_first_line(
                text, style, context, max_width, justification_spacing, *flags, **named
            )
        memo = context.__dict__.setdefault(_MEMO, {})
        key = (
            text,
            id(style),
            max_width,
            justification_spacing,
            flags,
            tuple(sorted(named.items())),
        )
        hit = memo.get(key)
        if hit is None:
            layout, *rest = split_first_line(
                text, style, context, max_width, justification_spacing, *flags, **named
            )
            # The style is kept with the answer: its id cannot be reused in this layout.
            hit = memo[key] = (style, layout, tuple(rest))
        return (copy.copy(hit[1]), *hit[2])

    split.remembers = True
    return split


def shaped(reactivate):
    """``Layout.reactivate`` giving a text box the shaped layout of an earlier box with
    the same text, style and spacing while a document is written (``drawing``)."""

    @functools.wraps(reactivate)
    def again(self, style):
        memo = getattr(_drawing, "memo", None)
        if memo is None or not getattr(_drawing, "plain", False):
            return reactivate(self, style)
        key = (self.text, id(style), self.justification_spacing)
        hit = memo.get(key)
        if hit is None:
            reactivate(self, style)
            # The state holds the style: its id cannot be reused while the memo lives.
            hit = memo[key] = {k: v for k, v in vars(self).items() if k in _SHAPED}
        vars(self).update(hit)

    again.remembers = True
    return again


def plain_text(draw_text):
    """WeasyPrint's ``draw_text``, letting a box drawn without an ellipsis share a shaped
    layout (``shaped``)."""

    @functools.wraps(draw_text)
    def draw(stream, textbox, offset_x, text_overflow, *rest):
        _drawing.plain = text_overflow == "clip" and rest == ("none",)
        try:
            return draw_text(stream, textbox, offset_x, text_overflow, *rest)
        finally:
            _drawing.plain = False

    draw.remembers = True
    return draw


@contextlib.contextmanager
def drawing():
    """Within this block, this thread's text boxes share shaped layouts (see above)."""
    _drawing.memo = {}
    try:
        yield
    finally:
        _drawing.memo = None


def install() -> None:
    """Have WeasyPrint's inline layout break lines through ``remembered`` and its drawing
    shape text through ``shaped`` (once per process; the memory itself lives with each
    document's layout context, and with each writing)."""
    from weasyprint import draw
    from weasyprint.layout import inline
    from weasyprint.text.line_break import Layout

    with _INSTALLING:
        if not getattr(inline.split_first_line, "remembers", False):
            inline.split_first_line = remembered(inline.split_first_line)
        if not getattr(Layout.reactivate, "remembers", False):
            Layout.reactivate = shaped(Layout.reactivate)
        if not getattr(draw.draw_text, "remembers", False):
            draw.draw_text = plain_text(draw.draw_text)
