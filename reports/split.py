"""A long table laid out in two processes (issue 14, docs/benchmark.md).

WeasyPrint lays a document out page after page in one process; a whole-year coordination
status (~800 overdue rows, ~60 pages) spends seconds on it while the machine's second core
waits. A template marks a table body that may be cut in two (``<tbody data-split="rows">``);
when it is long, ``layout`` returns a ``SplitDocument``:

* this process lays out everything before the cut (the document up to row ``target``);
* a forked process lays out a short probe (the document up to a few pages of the table),
  predicts from it which row near ``target`` begins a page (rows are kept whole, each row's
  height is its tallest cell's lines, measured with WeasyPrint's own line breaking), then
  lays out the document from that row on — the table's header, the rows and everything
  after — numbered from that page, and writes it;
* this process checks the prediction against its own layout (that row must begin that
  page) and writes its pages while the other finishes; the two files are then joined.

What prints is the single-pass document, page for page (a test compares the rendered pages);
when the prediction cannot be made or is not borne out, the document is laid out again in
one pass (slower, never different). The second process is a fork: it shares the loaded fonts
and stylesheets, touches no database connection and leaves with ``os._exit``.
"""

from __future__ import annotations

import contextlib
import html as html_lib
import io
import logging
import os
import pickle
import re
import resource
import signal
import traceback
import weakref
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings

log = logging.getLogger(__name__)

SPLIT_OPEN = '<tbody data-split="rows">'
# Below this many rows a second process costs more than it saves (~20 pages of rows).
MIN_ROWS = 240
# The probe lays out this many rows (three times as many when that is not enough): the
# table's first page and at least one whole page more.
PROBE_ROWS = 36
# How long this process waits for the other before laying the document out alone.
WAIT_S = 120
# A row bottom within this fraction of the page bottom is a break WeasyPrint decides with
# its own tolerance (``LayoutContext.overflows``): the prediction uses the same.
FUDGE = 1e-9

_ROW = re.compile(r"<tr[\s>].*?</tr>", re.S)
_CELL = re.compile(r"<t([dh])([^>]*)>(.*?)</t\1>", re.S)


@dataclass(frozen=True)
class Parts:
    """The document's HTML around the rows of its splittable table body."""

    head: str  # up to and including <body>
    before: str  # after <body>, up to the table's opening tag
    table_open: str  # <table …> … <tbody data-split="rows">
    rows: list[str]
    after: str  # </tbody></table> and the rest of the document

    def first(self, upto: int) -> str:
        """The document up to row ``upto`` (included), the table closed there."""
        rows = "".join(self.rows[: upto + 1])
        return f"{self.head}{self.before}{self.table_open}{rows}</tbody></table></body></html>"

    def rest(self, start: int, page_number: int) -> str:
        """The document from row ``start`` on, its first page numbered ``page_number``."""
        # Its first page is not the document's: numbered as pdf.css numbers pages after the
        # first. (Not a named page: WeasyPrint takes a break into a named page as forced
        # and keeps the margin of a heading that begins a page.)
        number = (
            f"<style>@page :first {{ counter-reset: page {page_number};"
            " @top-center { content: counter(page); } }</style>"
        )
        head = self.head.replace("</head>", number + "</head>", 1)
        head = head.replace("<body>", '<body class="continued">', 1)
        return f"{head}{self.table_open}{''.join(self.rows[start:])}{self.after}"


def parts_of(html: str) -> Parts | None:
    """The document cut around its splittable table body, or None when it has none or
    the body holds anything but rows."""
    opening = html.find(SPLIT_OPEN)
    body = html.find("<body>")
    if opening < 0 or body < 0 or "</head>" not in html:
        return None
    body += len("<body>")
    table = html.rfind("<table", body, opening)
    closing = html.find("</tbody>", opening)
    if table < 0 or closing < 0:
        return None
    inner = html[opening + len(SPLIT_OPEN) : closing]
    if _ROW.sub("", inner).strip():
        return None
    return Parts(
        head=html[:body],
        before=html[body:table],
        table_open=html[table : opening + len(SPLIT_OPEN)],
        rows=_ROW.findall(inner),
        after=html[closing:],
    )


def prepare() -> None:
    """Import what laying a long table out in two processes needs (pypdf alone takes
    ~0.15 s), with the rest of WeasyPrint's setup rather than in the first such document."""
    import pypdf  # noqa: F401
    import weasyprint.formatting_structure.boxes  # noqa: F401
    import weasyprint.text.line_break  # noqa: F401


def wanted(parts: Parts | None) -> bool:
    """Split when the table is long and the setting allows a second process."""
    return (
        parts is not None
        and len(parts.rows) >= MIN_ROWS
        and settings.DOCUMENT_LAYOUT_PROCESSES >= 2
        and hasattr(os, "fork")
    )


def target_row(parts: Parts) -> int:
    """The row to cut near: this process lays out the document's beginning and the rows up
    to it, the other the probe (the beginning again and ``PROBE_ROWS`` rows) and the rows
    after it. Measured on the whole-year status, both layouts then end together."""
    return (len(parts.rows) + 2 * PROBE_ROWS) // 2


# --- Prediction ----------------------------------------------------------------------------


def _split_rows(page):
    """The row boxes of the splittable body on a laid-out page."""
    from weasyprint.formatting_structure import boxes

    for box in page._page_box.descendants():
        element = box.element if isinstance(box, boxes.TableRowGroupBox) else None
        if element is not None and element.get("data-split") == "rows":
            return box.children
    return []


def page_starts(document) -> list[tuple[int, int]]:
    """(page index, index of its first split row) for each page that has split rows; rows
    are counted in the order of their ``tbody``."""
    starts, seen = [], 0
    for index, page in enumerate(document.pages):
        rows = _split_rows(page)
        if rows:
            starts.append((index, seen))
            seen += len(rows)
    return starts


def _plain_cells(row_html: str) -> list[str] | None:
    """The text of each cell; None when a cell holds markup or spans columns."""
    cells = []
    for _tag, attrs, text in _CELL.findall(row_html):
        if "<" in text or "span=" in attrs:
            return None
        cells.append(" ".join(html_lib.unescape(text).split()))
    return cells


def _line_count(text: str, style, width: float) -> int:
    """The lines WeasyPrint breaks ``text`` into at ``width`` (its own line breaking)."""
    from weasyprint.text.line_break import split_first_line

    if not text:
        return 0
    if style["white_space"] in ("nowrap", "pre"):
        return 1
    lines, rest = 0, text
    while True:
        lines += 1
        _layout, _length, resume, *_ = split_first_line(rest, style, None, width, 0)
        if resume is None:
            return lines
        rest = rest.encode()[resume:].decode()


class Heights:
    """Each row's height from its cells' lines, calibrated on the probe's rows: a cell is
    its padding and borders and its lines; a row is its tallest cell."""

    def __init__(self, rows_html: list[str], sample: list[tuple[int, object]]) -> None:
        self.rows_html = rows_html
        first = sample[0][1].children
        self.columns = [
            SimpleNamespace(
                style=cell.style,
                width=cell.width,
                # The style's padding: a laid-out cell's is stretched to its row's height.
                fixed=cell.style["padding_top"].value
                + cell.style["padding_bottom"].value
                + cell.border_top_width
                + cell.border_bottom_width,
                line=None,
            )
            for cell in first
        ]
        self.cache: dict = {}
        self.calibrated = self._calibrate(sample)

    def _calibrate(self, sample) -> bool:
        """Learn each column's line height from the probe and check that every probe row's
        predicted height is its laid-out height; False when the model does not hold."""
        from weasyprint.formatting_structure import boxes

        for _index, row in sample:
            for column, cell in zip(self.columns, row.children, strict=False):
                lines = [c for c in cell.children if isinstance(c, boxes.LineBox)]
                if lines and column.line is None:
                    column.line = lines[0].height
        if any(column.line is None for column in self.columns):
            return False
        for index, row in sample:
            predicted = self.height(index)
            if predicted is None or abs(predicted - row.height) > 1e-6:
                return False
        return True

    def height(self, index: int) -> float | None:
        cells = _plain_cells(self.rows_html[index])
        if cells is None or len(cells) != len(self.columns):
            return None
        tallest = 0.0
        for text, column in zip(cells, self.columns, strict=True):
            key = (text, id(column))
            if key not in self.cache:
                self.cache[key] = _line_count(text, column.style, column.width)
            tallest = max(tallest, column.fixed + self.cache[key] * column.line)
        return tallest


def predict(probe, parts: Parts, target: int) -> tuple[int, int] | None:
    """(row, page index): the last row at or before ``target`` that begins a page of the
    single-pass layout, as the probe's layout and the rows' heights say; None when the
    probe does not show a page of the table after its first. A row that cannot be measured
    (markup in a cell) ends the prediction at the page start before it."""
    starts = page_starts(probe)
    if len(starts) < 3:  # the table's first page, a whole page after it, the probe's end
        return None
    sample = []
    for index, _first in starts:
        sample += _split_rows(probe.pages[index])
    heights = Heights(parts.rows, list(enumerate(sample)))
    if not heights.calibrated:
        return None
    page_index, start = starts[-2]  # the last page the probe shows whole
    if start > target:
        return None
    continued = _split_rows(probe.pages[page_index])[0].position_y
    page_box = probe.pages[page_index]._page_box
    bottom = (page_box.content_box_y() + page_box.height) * (1 + FUDGE)
    best = (start, page_index)
    y = continued
    for index in range(start, target + 1):
        height = heights.height(index)
        if height is None:
            break
        if index != start and y + height > bottom:
            page_index, start, y = page_index + 1, index, continued
            best = (start, page_index)
        y += height
    return best if best[0] > 0 else None


# --- Two processes -------------------------------------------------------------------------


class PageStub:
    """What callers read of a page laid out in the other process (anchors, size)."""

    def __init__(self, page) -> None:
        self.anchors = dict(page.anchors)
        self.width = page.width
        self.height = page.height


def _second_half(parts: Parts, target: int, layout, write, conn) -> None:
    """The forked process: probe, predict, lay out and write from the predicted row."""
    try:
        for rows in (PROBE_ROWS, 3 * PROBE_ROWS):  # more when the rows are short
            probe = layout(parts.first(min(rows, len(parts.rows) - 1)))
            if len(page_starts(probe)) >= 3:
                break
        plan = predict(probe, parts, target)
        del probe
        conn.send(("plan", plan))
        if plan is None:
            return
        row, page_index = plan
        document = layout(parts.rest(row, page_index + 1))
        conn.send(("pages", [PageStub(page) for page in document.pages]))
        conn.send_bytes(write(document))
        conn.send(("peak", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
    except BaseException:  # noqa: BLE001 - reported to the parent, which lays out alone
        conn.send(("error", traceback.format_exc()))


class Child:
    """The forked process and the end of the pipe it answers on."""

    def __init__(self, parts: Parts, target: int, layout, write) -> None:
        import multiprocessing

        mine, theirs = multiprocessing.Pipe(duplex=False)
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the forked process; its output is tested
            mine.close()
            try:
                _second_half(parts, target, layout, write, theirs)
            finally:
                os._exit(0)
        theirs.close()
        self.conn = mine
        self.closed = False

    def receive(self) -> tuple[str, object]:
        try:
            if not self.conn.poll(WAIT_S):
                return ("error", "no answer in time")
            return self.conn.recv()
        except (EOFError, OSError, pickle.UnpicklingError):
            return ("error", "the process ended")

    def receive_bytes(self) -> bytes:
        if not self.conn.poll(WAIT_S):
            raise TimeoutError("the second layout process did not answer")
        return self.conn.recv_bytes()

    def close(self) -> None:
        """Close the pipe, end the process if it still runs, collect it."""
        if self.closed:
            return
        self.closed = True
        self.conn.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


class SplitDocument:
    """A document laid out in two processes, read like WeasyPrint's ``Document``: its
    ``pages`` (the other process's are ``PageStub``\\ s) and ``write_pdf``. This process's
    pages are already written (``mine``): while it wrote them the other process was still
    laying out and writing its own."""

    def __init__(self, pages: list, first_pages: int, mine: bytes, child: Child) -> None:
        self.pages = pages
        self.first_pages = first_pages
        self._mine = mine
        self._child = child
        self._joined: bytes | None = None
        weakref.finalize(self, child.close)

    def write_pdf(self) -> bytes:
        """This process's file and the other's, joined (once: the other process has ended
        after the first call, which a second gets the same bytes from)."""
        if self._joined is None:
            self._joined = self._join()
        return self._joined

    def _join(self) -> bytes:
        from pypdf import PdfReader, PdfWriter

        try:
            theirs = self._child.receive_bytes()
            kind, peak = self._child.receive()
        finally:
            self._child.close()
        log.info(
            "Laid out in two processes: %s + %s pages; the second's peak %.1f MB",
            self.first_pages,
            len(self.pages) - self.first_pages,
            peak if kind == "peak" else 0,
            extra={"second_peak_mb": round(peak, 1) if kind == "peak" else None},
        )
        first = PdfReader(io.BytesIO(self._mine))
        writer = PdfWriter()
        writer.append(first)
        writer.append(PdfReader(io.BytesIO(theirs)))
        if first.metadata:
            writer.add_metadata(dict(first.metadata))
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()


def layout_in_two(parts: Parts, layout, write) -> SplitDocument | None:
    """Lay ``parts`` out in this process and a forked one (see the module's docstring) with
    ``layout`` and ``write`` (single-pass); None when it must be laid out in one pass."""
    target = target_row(parts)
    child = Child(parts, target, layout, write)
    try:
        first = layout(parts.first(target))
        kind, plan = child.receive()
        if kind != "plan" or plan is None:
            log.info("Document laid out in one pass (%s)", plan if kind == "error" else "no plan")
            child.close()
            return None
        row, page_index = plan
        starts = {start: index for index, start in page_starts(first)}
        if starts.get(row) != page_index:
            log.warning("A page break predicted at row %s was not borne out: one pass", row)
            child.close()
            return None
        kept = first.copy(first.pages[:page_index])
        mine = write(kept)
        kind, rest_pages = child.receive()
        if kind != "pages":
            log.warning("The second layout process failed: %s", rest_pages)
            child.close()
            return None
        return SplitDocument([*kept.pages, *rest_pages], page_index, mine, child)
    except BaseException:
        child.close()
        raise
