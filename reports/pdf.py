"""Printable documents (Decree 30/2020/NĐ-CP layout) rendered by WeasyPrint.

This module holds rendering, fonts and the Decree 30 header and closing around what each
document says (``*_context``; the content itself comes from each app's ``documents.py``).
Which documents exist, what data they are built from and how they are stored and queued
is ``reports.catalog`` and ``reports.delivery``. Rendering is split in three steps so a
job can report its progress honestly: the HTML (``render_html``, cheap), the layout into
pages (``layout``) and the PDF bytes (``write``). All text is NFC-normalised. Views
authorise; these functions do not look at the user.
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import hashlib
import logging
import threading
import unicodedata
from contextlib import contextmanager
from functools import cache, wraps
from pathlib import Path

import segno
from django.conf import settings
from django.db.models import prefetch_related_objects
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies.lineage import BodyName, name_on, province_on
from agencies.mail import absolute_url
from agencies.models import Agency
from agencies.people import director_of
from reports import backgrounds, borders, cascade, collapse, documents, lines, split
from reports.models import AgencyReport, ConsolidatedReport, ReportRound
from reports.stack import run_deep

STATIC_DIR = Path(settings.BASE_DIR) / "static"
PDF_CSS = STATIC_DIR / "css" / "pdf.css"
PDF_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "reports" / "pdf"
NBSP = "\u00a0"
# People's Committees below the province print no superior body and sign "TM. ỦY BAN NHÂN DÂN".
LOCAL_KINDS = {Agency.Kind.DISTRICT, Agency.Kind.COMMUNE}

# WeasyPrint and fontTools log every layout and subsetting step (and a HarfBuzz notice).
for _name in ("weasyprint", "weasyprint.progress", "fontTools"):
    logging.getLogger(_name).setLevel(logging.ERROR)


# --- Formatting ---------------------------------------------------------------------------


def in_vietnamese(func):
    """Official documents are always Vietnamese, whatever the reader's UI language;
    this also keeps the cached document the same for every reader."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        with translation.override("vi"):
            return func(*args, **kwargs)

    return wrapper


def nfc(value):
    """NFC-normalise every string inside ``value`` (dicts, lists, tuples)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [nfc(v) for v in value]
    return value


def vn_date(day: dt.date) -> str:
    """`ngày 05 tháng 3 năm 2024`: leading zero for days below 10 and months 1 and 2."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return _("ngày %(d)s tháng %(m)s năm %(y)s") % {
        "d": f"{day.day:02d}",
        "m": month,
        "y": day.year,
    }


def place_date(day: dt.date) -> str:
    """`Phú Yên, ngày 05 tháng 3 năm 2024`: the place is the province in force that day."""
    return f"{province_on(day).short_name}, {vn_date(day)}"


def short_date(day: dt.date | dt.datetime | None) -> str:
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = timezone.localdate(day)
    return day.strftime("%d/%m/%Y")


def reference(number: int, symbol: str) -> str:
    """`05/BC-SNV`: the number (a leading zero below 10), a slash and the symbol."""
    return f"{number:02d}/{symbol}"


def number_line(number: int | None, symbol: str) -> str:
    """`Số: 05/BC-SNV`; an unnumbered draft leaves room for the clerk's number."""
    if number is None:
        return _("Số:%(number)s/%(symbol)s") % {"number": NBSP * 8, "symbol": symbol}
    return _("Số: %(number)s/%(symbol)s") % {"number": f"{number:02d}", "symbol": symbol}


def report_symbol(agency: Agency | BodyName) -> str:
    """A report's symbol (`BC-SNV`): the type abbreviation and the body's (Appendix III);
    pass the body's ``name_on`` a date for the abbreviation of that date."""
    return f"BC-{agency.abbreviation}"


def letter_symbol(agency: Agency | BodyName) -> str:
    """A letter's symbol (`SNV-CCHC`): the body and the division that drafted it."""
    return f"{agency.abbreviation}-CCHC"


def with_names(*agencies: Agency) -> None:
    """Load the bodies' former names (one query) so ``name_on`` asks nothing more."""
    loaded = [getattr(a, "_prefetched_objects_cache", {}) for a in agencies]
    pending = [a for a, cache in zip(agencies, loaded, strict=True) if "former_names" not in cache]
    if pending:
        prefetch_related_objects(pending, "former_names")


def lead_on(day: dt.date | None = None, *, names: bool = True) -> Agency:
    """The body leading CCHC on ``day`` (a document's date), with its former names loaded
    (``names``); today's lead where no lead body was in force then."""
    try:
        lead = Agency.objects.lead(on=day)
    except Agency.DoesNotExist:
        lead = Agency.objects.lead()
    if names:
        with_names(lead)
    return lead


def issuer_lines(agency: Agency, day: dt.date | None = None) -> tuple[str, str]:
    """(superior body, issuing body) in capitals for the header's left column, with the
    names in force on ``day`` (a 2024 document prints the body and province of 2024)."""
    province = province_on(day).upper
    name = name_on(agency, day).name.upper()
    if agency.kind in LOCAL_KINDS:
        prefix = "ỦY BAN NHÂN DÂN "
        return "", (prefix.strip() + "\n" + name[len(prefix) :]) if name.startswith(
            prefix
        ) else name
    return _("UBND TỈNH %(province)s") % {"province": province}, name


def head_of(agency: Agency, day: dt.date | None = None) -> list[str]:
    """Signing authority lines for a body's own report (by its name on ``day``)."""
    name = name_on(agency, day).name.lower()
    if agency.kind in LOCAL_KINDS:
        return [_("TM. ỦY BAN NHÂN DÂN"), _("CHỦ TỊCH")]
    if name.startswith("ban"):
        return [_("TRƯỞNG BAN")]
    if name.startswith("thanh tra"):
        return [_("CHÁNH THANH TRA")]
    if name.startswith("văn phòng"):
        return [_("CHÁNH VĂN PHÒNG")]
    return [_("GIÁM ĐỐC")]


def lead_signer(day: dt.date | None = None) -> tuple[list[str], str]:
    """(title lines, name): the director of the lead body of ``day`` (today by default)."""
    director = director_of(lead_on(day, names=False))
    return [_("KT. GIÁM ĐỐC"), _("PHÓ GIÁM ĐỐC")], (director.full_name if director else "")


def header(agency: Agency, *, number: int | None, symbol: str, day: dt.date, subject="") -> dict:
    superior, issuer = issuer_lines(agency, day)
    return {
        "superior": superior,
        "issuer": issuer,
        "number": number_line(number, symbol) if symbol else "",
        "subject": subject,
        "place_date": place_date(day),
    }


# --- Issued documents ------------------------------------------------------------------------

SIGNATURE_BOX = "signature-box"  # the id of the signer block's reserved space (base.html)
SIGNER_SPACE_MM = 26  # its height in pdf.css (.signer-space): room for a signature by hand
SEAL_MARGIN_MM = 2
PT_PER_PX = 0.75  # a CSS px is 1/96 in, a PDF point 1/72 in


def verification(code: str) -> dict:
    """What an issued document prints near "Nơi nhận" so anyone can check it: the short
    address of its public verification page, and that address as a QR code (an SVG data
    URI: no file, nothing fetched)."""
    url = absolute_url(reverse("verify_document", args=[code]))
    return {"url": url, "qr": segno.make(url, error="m").svg_data_uri(border=0)}


@in_vietnamese
def with_register(context: dict, row) -> dict:
    """An issued document's context as the register (``IssuedDocument`` ``row``) says:
    its number and date in the header, the signer as issued, and its verification."""
    day = timezone.localdate(row.issued_at)
    head = dict(
        context["head"], number=number_line(row.number, row.symbol), place_date=place_date(day)
    )
    closing = dict(context["closing"], signer_name=row.signer_name)
    if lines := [line for line in row.signer_title.splitlines() if line.strip()]:
        closing["signer_title"] = lines
    return {
        **context,
        "head": head,
        "closing": closing,
        "verification": verification(row.code),
        "signature_height_mm": signature_height_mm(row.issuer),
    }


def signature_height_mm(agency: Agency) -> int:
    """The signature box of a document ``agency`` issues: as on drafts, or tall enough for
    its seal at real size (Decree 30) when it has one."""
    from signing.models import Seal

    seal = Seal.objects.filter(agency=agency).values_list("diameter_mm", flat=True).first()
    return max(SIGNER_SPACE_MM, (seal or 0) + SEAL_MARGIN_MM)


def signature_placement(document):
    """Where the signer block's reserved box (``#signature-box``) lies in the laid-out
    ``document``: a ``signing.sign.Placement`` in PDF points from the page's bottom-left
    (WeasyPrint's anchors are CSS px from the top-left); None without a signer block."""
    from signing.sign import Placement

    for index, page in enumerate(document.pages):
        box = page.anchors.get(SIGNATURE_BOX)
        if box is not None:
            left, top, right, bottom = (value * PT_PER_PX for value in box)
            page_height = page.height * PT_PER_PX
            return Placement(
                page=index,
                x=left,
                y=page_height - bottom,
                width=right - left,
                height=bottom - top,
            )
    return None


# --- Rendering ----------------------------------------------------------------------------

LOCALE_FILE = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES" / "django.mo"
# What a document says comes from these modules: a change to them is a new layout version.
CONTENT_MODULES = [
    Path(settings.BASE_DIR) / name
    for name in (
        "reports/pdf.py",
        "reports/documents.py",
        "coordination/documents.py",
        "coordination/exports.py",
        "scoring/documents.py",
        "scoring/exports.py",
    )
]


@cache
def layout_version() -> str:
    """Hash of the PDF templates and CSS, the Vietnamese catalogue, the modules that say
    what documents contain and the portal's place names: a change to any of them is a new
    version of every stored (unfrozen) document. Computed once per process."""
    digest = hashlib.sha256(PDF_CSS.read_bytes())
    files = [*sorted(PDF_TEMPLATES.glob("*.html")), LOCALE_FILE, *CONTENT_MODULES]
    for path in files:
        digest.update(path.read_bytes() if path.exists() else b"")
    digest.update(f"{settings.PORTAL_PROVINCE_NAME}|{settings.PORTAL_REGULATION}".encode())
    return digest.hexdigest()[:16]


@in_vietnamese
def render_html(template: str, context: dict) -> str:
    """The document's HTML, NFC-normalised (milliseconds: no layout)."""
    return unicodedata.normalize("NFC", render_to_string(template, nfc(context)))


def layout(html: str):
    """Lay the HTML out into pages (WeasyPrint's ``Document``; most of the time). A long
    table a template marks for it is laid out in two processes (``reports.split``) unless
    another thread of this process is building a document (a fork copies one thread)."""
    parts = split.parts_of(html)
    if split.wanted(parts) and _collections["users"] == 0:
        document = split.layout_in_two(parts, _one_pass, write)
        if document is not None:
            return document
    return _one_pass(html)


def _one_pass(html: str):
    """WeasyPrint's layout of the whole document in this process (parsed and laid out with
    room on the frame stack: ``reports.stack``)."""
    with fewer_collections():
        return run_deep(_parsed_and_laid_out, html)


def _parsed_and_laid_out(html: str):
    engine = _engine()
    document = engine.html_class(string=html, base_url=str(STATIC_DIR))
    return document.render(stylesheets=[engine.css], font_config=engine.fonts)


# A long table's layout allocates a few million short-lived objects (boxes, styles, Pango
# wrappers); with Python's default first-generation threshold (700) the cyclic collector ran
# thousands of times per document, ~13 % of its CPU time (docs/benchmark.md, issue 14). While
# a document is laid out or written the threshold is raised; memory peaks measured the same.
LAYOUT_GC_THRESHOLD = 50_000
_collections = {"lock": threading.Lock(), "users": 0, "saved": None}


@contextmanager
def fewer_collections():
    """Raise the collector's first threshold while any thread builds a document (the
    threshold is per process: the first in saves it, the last out restores it)."""
    state = _collections
    with state["lock"]:
        if state["users"] == 0:
            state["saved"] = gc.get_threshold()
            gc.set_threshold(max(LAYOUT_GC_THRESHOLD, state["saved"][0]), *state["saved"][1:])
        state["users"] += 1
    try:
        yield
    finally:
        with state["lock"]:
            state["users"] -= 1
            if state["users"] == 0:
                gc.set_threshold(*state["saved"])


# WeasyPrint's HTML user-agent stylesheet has rules for pseudo-elements that match every
# element (``::footnote-call``, ``::note-marker``…): their styles were computed for each
# cell of a long table, ~15 % of its layout (docs/benchmark.md, issue 14). The documents
# have no footnotes or notes, and list markers only on list items, so these rules are
# dropped or narrowed to list items; what prints is the same.
UA_PSEUDO_RULES = {"::marker {": "li::marker, summary::marker {"}


@cache
def _ua_stylesheet():
    from weasyprint import CSS, html

    text = (Path(html.__file__).parent / "css" / "html5_ua.css").read_text()
    lines = []
    for line in text.splitlines():
        if line.startswith("::"):
            rule = next((k for k in UA_PSEUDO_RULES if line.startswith(k)), None)
            line = line.replace(rule, UA_PSEUDO_RULES[rule], 1) if rule else ""
        lines.append(line)
    return CSS(string="\n".join(lines), counter_style=html.UA_COUNTER_STYLE)


_engines = threading.local()


def _engine():
    """This thread's WeasyPrint setup: the document class with the leaner user-agent
    stylesheet, and the fonts and print stylesheet, loaded once per thread (~15 ms a
    document otherwise; a font configuration is not shared between threads); a long
    table's modules (``split.prepare``) with them, not during a worker's first long one,
    line breaking answered from memory for repeated cells (``lines.install``), a
    table's border conflicts scored once per style (``collapse.install``) and its
    collapsed borders written as runs of lines (``borders.install``), styles cascaded
    once per shared computed style (``cascade.install``) and boxes with no background
    settled once per style (``backgrounds.install``)."""
    engine = getattr(_engines, "engine", None)
    if engine is None:
        from types import SimpleNamespace

        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration

        class DocumentHTML(HTML):
            def _ua_stylesheets(self, forms=False):
                return [_ua_stylesheet(), *super()._ua_stylesheets(forms)[1:]]

        split.prepare()
        lines.install()
        borders.install()
        cascade.install()
        collapse.install()
        backgrounds.install()
        fonts = FontConfiguration()
        css = CSS(filename=str(PDF_CSS), font_config=fonts)
        engine = SimpleNamespace(html_class=DocumentHTML, fonts=fonts, css=css)
        _engines.engine = engine
        if threading.current_thread() is threading.main_thread():
            # Its fonts' temporary folder is removed while the interpreter can still do so.
            atexit.register(_engines.__dict__.pop, "engine", None)
    return engine


def warm_up() -> None:
    """Lay out and write a one-line document and compile the documents' templates:
    WeasyPrint's modules, Pango's fonts, the print stylesheet and the templates are loaded
    when ``jobs_worker`` starts (``settings.WORKER_WARM_UPS``), not during the first
    document a user waits for (~0.6 s and ~0.15 s, once per process)."""
    write(_one_pass("<p>Khởi động</p>"))
    for path in sorted(PDF_TEMPLATES.glob("*.html")):
        get_template(f"reports/pdf/{path.name}")


def write(document) -> bytes:
    """The PDF bytes of laid-out pages (fonts embedded and subset; written with room on the
    frame stack: ``reports.stack``)."""
    with fewer_collections(), lines.drawing():
        return run_deep(document.write_pdf)


def render_pdf(template: str, context: dict) -> bytes:
    """HTML, layout and PDF in one call (for callers that need no progress)."""
    return write(layout(render_html(template, context)))


def _closing(recipients: list[str], signer_title: list[str], signer_name: str) -> dict:
    lines = [f"- {r};" for r in recipients] + ["- " + _("Lưu: VT, CCHC.")]
    return {"recipients": lines, "signer_title": signer_title, "signer_name": signer_name}


# --- a. The province's consolidated report ----------------------------------------------


def summary_of(title: str) -> str:
    """The summary (trích yếu) of a report from its title, without the type name."""
    text = title.strip()
    if text.lower().startswith("báo cáo "):
        text = text[len("báo cáo ") :]
    return text[:1].upper() + text[1:]


@in_vietnamese
def consolidated_context(rnd: ReportRound) -> dict:
    """The administrative frame around what the consolidated report says
    (``reports.documents``): number and date once issued, the signer as edited."""
    cons = ConsolidatedReport.objects.filter(round=rnd).first()
    issued = cons is not None and cons.is_issued
    day = timezone.localdate(cons.issued_at) if issued else timezone.localdate()
    signer_title, signer_name = lead_signer(day)
    if cons and cons.signer_title:
        signer_title = [line for line in cons.signer_title.splitlines() if line.strip()]
    if cons and cons.signer_name:
        signer_name = cons.signer_name
    lead = lead_on(day)
    number = cons.number if issued else None
    recipients = [
        _("Bộ Nội vụ (Vụ Cải cách hành chính)"),
        _("Thường trực UBND tỉnh (b/c)"),
        _("Các cơ quan, đơn vị, địa phương"),
    ]
    return {
        "head": header(lead, number=number, symbol=report_symbol(name_on(lead, day)), day=day),
        "doc_type": _("BÁO CÁO"),
        "summary": summary_of(rnd.title),
        "issuer_name": name_on(lead, day).name,
        **documents.consolidated_content(rnd, cons, day),
        "closing": _closing(recipients, signer_title, signer_name),
    }


# --- b. One body's report ------------------------------------------------------------------


@in_vietnamese
def agency_report_context(report: AgencyReport) -> dict:
    """A body's report, with the body's name on its date (when sent, else today)."""
    rnd, agency = report.round, report.agency
    day = timezone.localdate(report.submitted_at) if report.submitted_at else timezone.localdate()
    with_names(agency)
    symbol = report_symbol(name_on(agency, day))
    return {
        "head": header(agency, number=None, symbol=symbol, day=day),
        "doc_type": _("BÁO CÁO"),
        "summary": summary_of(rnd.title),
        **documents.agency_report_content(report, day),
        "closing": _closing([_("Sở Nội vụ (tổng hợp)")], head_of(agency, day), ""),
    }


# --- c. Coordination status for a period -----------------------------------------------------


@in_vietnamese
def coordination_status_context(date_from: dt.date, date_to: dt.date, today: dt.date) -> dict:
    lead = lead_on(today)
    signer_title, signer_name = lead_signer(today)
    recipients = [_("Thường trực UBND tỉnh (b/c)"), _("Các cơ quan, đơn vị, địa phương")]
    return {
        "head": header(lead, number=None, symbol=report_symbol(name_on(lead, today)), day=today),
        "doc_type": _("BÁO CÁO"),
        "summary": _("Tình hình thực hiện các nhiệm vụ phối hợp về cải cách hành chính"),
        "issuer_name": name_on(lead, today).name,
        **documents.coordination_status_content(date_from, date_to, today),
        "closing": _closing(recipients, signer_title, signer_name),
    }


# --- d. Reminder letter ----------------------------------------------------------------------


@in_vietnamese
def reminder_context(agency: Agency, today: dt.date) -> dict:
    lead = lead_on(today)
    signer_title, signer_name = lead_signer(today)
    subject = _("V/v đôn đốc thực hiện nhiệm vụ cải cách hành chính quá hạn")
    recipients = [_("Như trên"), _("Thường trực UBND tỉnh (b/c)")]
    symbol = letter_symbol(name_on(lead, today))
    return {
        "head": header(lead, number=None, symbol=symbol, day=today, subject=subject),
        "issuer_name": name_on(lead, today).name,
        **documents.reminder_content(agency, today),
        "closing": _closing(recipients, signer_title, signer_name),
    }


# --- f. One item's dossier -------------------------------------------------------------------


@in_vietnamese
def task_dossier_context(task, user) -> dict:
    """The administrative header around what the dossier says (``coordination.documents``)."""
    from coordination.documents import task_dossier_content

    today = timezone.localdate()
    return {
        "head": header(lead_on(today), number=None, symbol="", day=today),
        "doc_type": _("HỒ SƠ NHIỆM VỤ PHỐI HỢP"),
        "summary": task.title,
        **task_dossier_content(task, user),
        "extracted": timezone.localtime().strftime("%d/%m/%Y"),
    }


# --- e. PAR scoring results and one body's scorecard ----------------------------------------


def _num(value) -> str:
    if value is None:
        return "–"
    from scoring.importing import plain_number

    return plain_number(value)


@in_vietnamese
def scoring_results_context(period, user) -> dict:
    """Ranking tables by group with bands; the content is scoring's
    (``scoring.documents.results_content``), the header and closing are the document's."""
    from scoring.documents import results_content

    today = timezone.localdate()
    day = timezone.localdate(period.published_at) if period.published_at else today
    lead = lead_on(day)
    signer_title, signer_name = lead_signer(day)
    return {
        "head": header(lead, number=None, symbol=report_symbol(name_on(lead, day)), day=day),
        "doc_type": _("BÁO CÁO"),
        "issuer_name": name_on(lead, day).name,
        **results_content(period, user),
        "closing": _closing(
            [_("Thường trực UBND tỉnh (b/c)"), _("Các cơ quan, đơn vị, địa phương")],
            signer_title,
            signer_name,
        ),
    }


@in_vietnamese
def scorecard_context(assessment) -> dict:
    """One body's scorecard; the content is scoring's (``scoring.documents``)."""
    from scoring.documents import scorecard_content

    today = timezone.localdate()
    lead = lead_on(today)
    signer_title, signer_name = lead_signer(today)
    addressee = name_on(assessment.agency, today).name
    return {
        "head": header(lead, number=None, symbol=report_symbol(name_on(lead, today)), day=today),
        "doc_type": _("BẢNG ĐIỂM"),
        **scorecard_content(assessment),
        "closing": _closing([addressee], signer_title, signer_name),
    }
