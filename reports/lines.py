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
"""

from __future__ import annotations

import copy
import functools
import threading

_MEMO = "_cchc_lines"
_INSTALLING = threading.Lock()


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


def install() -> None:
    """Have WeasyPrint's inline layout break lines through ``remembered`` (once per
    process; the memory itself lives with each document's layout context)."""
    from weasyprint.layout import inline

    with _INSTALLING:
        if not getattr(inline.split_first_line, "remembers", False):
            inline.split_first_line = remembered(inline.split_first_line)
