"""Collapsed table borders written as one path per run of like lines (issue 14).

WeasyPrint draws a table's collapsed borders line by line: for each side of each cell a
saved graphics state, a colour, a width, a move, a line and a stroke (``q … S Q``), ~15,000
of them in a whole-year coordination status and a third of the time its pages take to
write (docs/benchmark.md). The documents' tables have solid opaque borders; drawing the
lines that follow one another in WeasyPrint's painting order with the same colour and width
as one path stroked once paints the same lines in the same order. ``install`` wraps
WeasyPrint's ``draw_collapsed_borders``: its own code still decides every line (which
border wins, where each begins and ends, the order they are painted in); only how they are
written changes. A table with any other border (dashed, double, translucent…) is drawn
again by WeasyPrint as before: nothing is written until every line is known.
"""

from __future__ import annotations

from contextlib import nullcontext


class NotPlain(Exception):
    """A border WeasyPrint draws with more than a solid opaque line."""


class Runs:
    """Stands in for the page's stream while WeasyPrint draws one table's borders: each
    line it strokes is kept; consecutive lines of the same colour and width form a run,
    written to the stream as one path."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.runs: list[tuple] = []  # (colour key, width, lines, colour)
        self.color = None
        self.width = None
        self.point = None
        self.line = None

    # What ``draw_collapsed_borders`` and ``draw_line`` call for a solid border.
    def artifact(self):
        return nullcontext()

    def stacked(self):
        return nullcontext()

    def set_color(self, color, stroke=False):
        if color.alpha != 1:  # translucent lines that overlap would blend differently
            raise NotPlain
        self.color = color

    def set_line_width(self, width):
        self.width = width

    def move_to(self, x, y):
        if self.line is not None:  # a double border: two lines in one stroke
            raise NotPlain
        self.point = (x, y)

    def line_to(self, x, y):
        self.line = (*self.point, x, y)

    def stroke(self):
        key = (self.color.space, *self.color)
        if self.runs and self.runs[-1][0] == key and self.runs[-1][1] == self.width:
            self.runs[-1][2].append(self.line)
        else:
            self.runs.append((key, self.width, [self.line], self.color))
        self.line = None

    def __getattr__(self, name):
        # Dashes, caps, curves, clips: a border style other than solid.
        raise NotPlain(name)

    def write(self) -> None:
        stream = self.stream
        for _key, width, lines, color in self.runs:
            with stream.artifact(), stream.stacked():
                stream.set_color(color, stroke=True)
                stream.set_line_width(width)
                for x1, y1, x2, y2 in lines:
                    stream.move_to(x1, y1)
                    stream.line_to(x2, y2)
                stream.stroke()


def install() -> None:
    """Wrap WeasyPrint's ``draw_collapsed_borders`` (once per process)."""
    import weasyprint.draw as draw

    original = draw.draw_collapsed_borders
    if getattr(original, "runs_of_lines", False):
        return

    def draw_collapsed_borders(stream, table):
        runs = Runs(stream)
        try:
            original(runs, table)
        except NotPlain:
            return original(stream, table)
        runs.write()

    draw_collapsed_borders.runs_of_lines = True
    draw_collapsed_borders.__wrapped__ = original
    draw.draw_collapsed_borders = draw_collapsed_borders
