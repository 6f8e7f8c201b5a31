"""Printable documents (Decree 30/2020/NĐ-CP layout) rendered by WeasyPrint.

Each ``*_pdf`` function builds the document's data as plain values, hashes it and returns
the PDF bytes: a stored ``GeneratedDocument`` is reused while its data is unchanged, and a
frozen one (an issued report) is returned exactly as issued. All text is NFC-normalised.
Views authorise; these functions do not look at the user.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import unicodedata
from functools import cache, wraps
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies.access import reads_everything
from agencies.models import Agency
from coordination import access as coordination_access
from reports.models import AgencyReport, ConsolidatedReport, GeneratedDocument, ReportRound

STATIC_DIR = Path(settings.BASE_DIR) / "static"
PDF_CSS = STATIC_DIR / "css" / "pdf.css"
PDF_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "reports" / "pdf"
NBSP = "\u00a0"
Kind = GeneratedDocument.Kind

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
    return f"{settings.PORTAL_PLACE_NAME}, {vn_date(day)}"


def short_date(day: dt.date | dt.datetime | None) -> str:
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = timezone.localdate(day)
    return day.strftime("%d/%m/%Y")


def number_line(number: int | None, symbol: str) -> str:
    """`Số: 05/BC-SNV`; an unnumbered draft leaves room for the clerk's number."""
    if number is None:
        return _("Số:%(number)s/%(symbol)s") % {"number": NBSP * 8, "symbol": symbol}
    return _("Số: %(number)s/%(symbol)s") % {"number": f"{number:02d}", "symbol": symbol}


def issuer_lines(agency: Agency) -> tuple[str, str]:
    """(superior body, issuing body) in capitals for the header's left column."""
    province = settings.PORTAL_PROVINCE_NAME.upper()
    if agency.kind == Agency.Kind.DISTRICT:
        name = agency.name.upper()
        prefix = "ỦY BAN NHÂN DÂN "
        return "", (prefix.strip() + "\n" + name[len(prefix) :]) if name.startswith(
            prefix
        ) else name
    return _("UBND TỈNH %(province)s") % {"province": province}, agency.name.upper()


def head_of(agency: Agency) -> list[str]:
    """Signing authority lines for a body's own report."""
    name = agency.name.lower()
    if agency.kind == Agency.Kind.DISTRICT:
        return [_("TM. ỦY BAN NHÂN DÂN"), _("CHỦ TỊCH")]
    if name.startswith("ban"):
        return [_("TRƯỞNG BAN")]
    if name.startswith("thanh tra"):
        return [_("CHÁNH THANH TRA")]
    if name.startswith("văn phòng"):
        return [_("CHÁNH VĂN PHÒNG")]
    return [_("GIÁM ĐỐC")]


def lead_signer() -> tuple[list[str], str]:
    lead = Agency.objects.lead()
    director = lead.users.filter(position__icontains="giám đốc").order_by("pk").first()
    return [_("KT. GIÁM ĐỐC"), _("PHÓ GIÁM ĐỐC")], (director.full_name if director else "")


def header(agency: Agency, *, number: int | None, symbol: str, day: dt.date, subject="") -> dict:
    superior, issuer = issuer_lines(agency)
    return {
        "superior": superior,
        "issuer": issuer,
        "number": number_line(number, symbol) if symbol else "",
        "subject": subject,
        "place_date": place_date(day),
    }


# --- Rendering and caching ----------------------------------------------------------------


@cache
def _layout_version() -> str:
    """Hash of the PDF templates and CSS: a layout change invalidates stored documents."""
    digest = hashlib.sha256(PDF_CSS.read_bytes())
    for path in sorted(PDF_TEMPLATES.glob("*.html")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@in_vietnamese
def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    html = unicodedata.normalize("NFC", render_to_string(template, context))
    fonts = FontConfiguration()
    css = CSS(filename=str(PDF_CSS), font_config=fonts)
    document = HTML(string=html, base_url=str(STATIC_DIR))
    return document.write_pdf(stylesheets=[css], font_config=fonts)


def content_hash(template: str, context: dict) -> str:
    payload = json.dumps(
        [_layout_version(), template, context], sort_keys=True, default=str, ensure_ascii=False
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _read(doc: GeneratedDocument) -> bytes | None:
    try:
        with doc.file.open("rb") as handle:
            return handle.read()
    except (FileNotFoundError, ValueError):
        return None


def frozen_document(kind: str, key: str) -> bytes | None:
    doc = GeneratedDocument.objects.filter(kind=kind, object_key=key, frozen=True).first()
    return _read(doc) if doc else None


def stored_or_render(kind: str, key: str, template: str, context: dict, *, freeze=False) -> bytes:
    """The stored PDF when its data is unchanged (or it is frozen), else a fresh render."""
    context = nfc(context)
    digest = content_hash(template, context)
    doc = GeneratedDocument.objects.filter(kind=kind, object_key=key).first()
    if doc is not None and (doc.frozen or doc.content_hash == digest):
        data = _read(doc)
        if data is not None:
            return data
    pdf = render_pdf(template, context)
    doc = doc or GeneratedDocument(kind=kind, object_key=key)
    old_name = doc.file.name if doc.file else ""
    doc.content_hash, doc.frozen = digest, freeze or doc.frozen
    doc.file.save(f"{kind}.pdf", ContentFile(pdf), save=False)
    try:
        with transaction.atomic():
            doc.save()
    except IntegrityError:  # a parallel request stored the same document first
        return pdf
    if old_name:
        storage = doc.file.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    return pdf


def _closing(recipients: list[str], signer_title: list[str], signer_name: str) -> dict:
    lines = [f"- {r};" for r in recipients] + ["- " + _("Lưu: VT, CCHC.")]
    return {"recipients": lines, "signer_title": signer_title, "signer_name": signer_name}


# --- a. The province's consolidated report ----------------------------------------------


def consolidated_context(rnd: ReportRound) -> dict:
    from reports.selectors import SUBMISSION_LABELS, indicator_totals, submission_table

    cons = ConsolidatedReport.objects.filter(round=rnd).first()
    issued = cons is not None and cons.is_issued
    totals = cons.indicator_totals if issued else indicator_totals(rnd)
    texts = cons.sections if cons else {}
    day = timezone.localdate(cons.issued_at) if issued else timezone.localdate()
    table = submission_table(rnd)
    signer_title, signer_name = lead_signer()
    if cons and cons.signer_title:
        signer_title = [line for line in cons.signer_title.splitlines() if line.strip()]
    if cons and cons.signer_name:
        signer_name = cons.signer_name
    lead = Agency.objects.lead()
    return {
        "head": header(
            lead,
            number=cons.number if issued else None,
            symbol=f"BC-{lead.abbreviation}",
            day=day,
        ),
        "doc_type": _("BÁO CÁO"),
        "summary": _summary(rnd.title),
        "round": {
            "title": rnd.title,
            "start": short_date(rnd.period_start),
            "end": short_date(rnd.period_end),
            "deadline": short_date(rnd.deadline),
        },
        "issuer_name": lead.name,
        "illustrative": rnd.illustrative,
        "submissions": [
            {
                "agency": row["agency"].name,
                "date": short_date(row["report"].first_submitted_at),
                "state": str(SUBMISSION_LABELS[row["state"]]),
            }
            for row in table
        ],
        "counts": _count_states(table),
        "sections": [
            {"label": s["label"], "text": (texts.get(s["code"]) or "").strip()}
            for s in rnd.sections
        ],
        "indicators": [
            {"label": i["label"], "total": totals.get(i["code"], 0)} for i in rnd.indicators
        ],
        "closing": _closing(
            [
                _("Bộ Nội vụ (Vụ Cải cách hành chính)"),
                _("Thường trực UBND tỉnh (b/c)"),
                _("Các cơ quan, đơn vị, địa phương"),
            ],
            signer_title,
            signer_name,
        ),
    }


def _summary(title: str) -> str:
    text = title.strip()
    if text.lower().startswith("báo cáo "):
        text = text[len("báo cáo ") :]
    return text[:1].upper() + text[1:]


def _count_states(table: list[dict]) -> dict[str, int]:
    counts = {"on_time": 0, "late": 0, "missing": 0, "returned": 0, "required": len(table)}
    for row in table:
        counts[row["state"]] += 1
    return counts


@in_vietnamese
def consolidated_pdf(rnd: ReportRound, *, freeze: bool = False) -> bytes:
    key = f"round-{rnd.pk}"
    frozen = frozen_document(Kind.CONSOLIDATED, key)
    if frozen is not None:
        return frozen
    context = consolidated_context(rnd)
    return stored_or_render(
        Kind.CONSOLIDATED, key, "reports/pdf/consolidated.html", context, freeze=freeze
    )


# --- b. One body's report ------------------------------------------------------------------


def agency_report_context(report: AgencyReport) -> dict:
    rnd, agency = report.round, report.agency
    day = timezone.localdate(report.submitted_at) if report.submitted_at else timezone.localdate()
    return {
        "head": header(agency, number=None, symbol=f"BC-{agency.abbreviation}", day=day),
        "doc_type": _("BÁO CÁO"),
        "summary": _summary(rnd.title),
        "draft": report.status in {AgencyReport.Status.DRAFT, AgencyReport.Status.RETURNED},
        "round": {"start": short_date(rnd.period_start), "end": short_date(rnd.period_end)},
        "agency_name": agency.name,
        "illustrative": rnd.illustrative,
        "sections": [
            {"label": s["label"], "text": (report.sections.get(s["code"]) or "").strip()}
            for s in rnd.sections
        ],
        "indicators": [
            {"label": i["label"], "value": report.indicators.get(i["code"])} for i in rnd.indicators
        ],
        "sent": {
            "version": report.version,
            "at": short_date(report.submitted_at),
            "by": str(report.submitted_by) if report.submitted_by_id else "",
        },
        "closing": _closing([_("Sở Nội vụ (tổng hợp)")], head_of(agency), ""),
    }


@in_vietnamese
def agency_report_pdf(report: AgencyReport) -> bytes:
    context = agency_report_context(report)
    return stored_or_render(
        Kind.AGENCY_REPORT, f"report-{report.pk}", "reports/pdf/agency_report.html", context
    )


# --- c. Coordination status for a period -----------------------------------------------------


def _part_row(part, today: dt.date) -> dict:
    return {
        "task": part.task.title,
        "agency": part.agency.name,
        "role": part.get_role_display(),
        "due": short_date(part.eff_due),
        "days": (today - part.eff_due).days,
    }


def coordination_status_context(date_from: dt.date, date_to: dt.date, today: dt.date) -> dict:
    from reports.selectors import coordination_status

    rows = coordination_status(date_from, date_to, today)
    lead = Agency.objects.lead()
    signer_title, signer_name = lead_signer()
    keys = ("chaired", "contributed", "done_on_time", "done_late", "overdue")
    totals = {k: sum(getattr(r, k) for r in rows) for k in keys}
    return {
        "head": header(lead, number=None, symbol=f"BC-{lead.abbreviation}", day=today),
        "doc_type": _("BÁO CÁO"),
        "summary": _("Tình hình thực hiện các nhiệm vụ phối hợp về cải cách hành chính"),
        "period": {"start": short_date(date_from), "end": short_date(date_to)},
        "today": short_date(today),
        "issuer_name": lead.name,
        "rows": [{"agency": r.agency.name, **{k: getattr(r, k) for k in keys}} for r in rows],
        "totals": totals,
        "overdue": [_part_row(p, today) for r in rows for p in r.overdue_items],
        "closing": _closing(
            [_("Thường trực UBND tỉnh (b/c)"), _("Các cơ quan, đơn vị, địa phương")],
            signer_title,
            signer_name,
        ),
    }


@in_vietnamese
def coordination_status_pdf(date_from: dt.date, date_to: dt.date) -> bytes:
    today = timezone.localdate()
    context = coordination_status_context(date_from, date_to, today)
    key = f"{date_from.isoformat()}_{date_to.isoformat()}"
    return stored_or_render(
        Kind.COORDINATION_STATUS, key, "reports/pdf/coordination_status.html", context
    )


# --- d. Reminder letter ----------------------------------------------------------------------


def reminder_context(agency: Agency, today: dt.date) -> dict:
    from reports.selectors import agency_overdue_items

    items = agency_overdue_items(agency, today)
    lead = Agency.objects.lead()
    signer_title, signer_name = lead_signer()
    return {
        "head": header(
            lead,
            number=None,
            symbol=f"{lead.abbreviation}-CCHC",
            day=today,
            subject=_("V/v đôn đốc thực hiện nhiệm vụ cải cách hành chính quá hạn"),
        ),
        "addressee": agency.name,
        "issuer_name": lead.name,
        "today": short_date(today),
        "items": [_part_row(p, today) | {"chair": p.task.chair_agency.name} for p in items],
        "closing": {
            **_closing(
                [_("Như trên"), _("Thường trực UBND tỉnh (b/c)")], signer_title, signer_name
            ),
        },
    }


@in_vietnamese
def reminder_pdf(agency: Agency) -> bytes:
    today = timezone.localdate()
    context = reminder_context(agency, today)
    return stored_or_render(Kind.REMINDER, agency.code, "reports/pdf/reminder.html", context)


# --- f. One item's dossier -------------------------------------------------------------------


def _history_rows(task) -> list[dict]:
    records = task.history.select_related("history_user").order_by("history_date", "history_id")
    labels = {"+": _("Tạo mới"), "~": _("Thay đổi"), "-": _("Xóa")}
    return [
        {
            "at": timezone.localtime(h.history_date).strftime("%d/%m/%Y %H:%M"),
            "by": str(h.history_user) if h.history_user_id else _("Hệ thống"),
            "what": h.history_change_reason or labels.get(h.history_type, ""),
            "status": h.get_status_display(),
        }
        for h in records
    ]


def task_dossier_context(task, user) -> dict:
    from coordination.models import TIMELINESS_LABELS, Contribution

    today = timezone.localdate()
    parts = list(
        task.participations.select_related("agency").order_by("role", "agency__sort_order")
    )
    contributions = (
        Contribution.objects.visible_to(user)
        .filter(participation__task=task)
        .select_related("participation__agency", "submitted_by")
        .prefetch_related("nominations")
        .order_by("participation__agency__sort_order", "version")
    )
    lead = Agency.objects.lead()
    return {
        "head": header(lead, number=None, symbol="", day=today),
        "doc_type": _("HỒ SƠ NHIỆM VỤ PHỐI HỢP"),
        "summary": task.title,
        "partial": not coordination_access.sees_every_submission(user, task),
        "task": {
            "category": task.get_category_display(),
            "legal_basis": task.legal_basis,
            "description": task.description,
            "chair": task.chair_agency.name,
            "tracker": task.tracking_agency.name,
            "due": short_date(task.due_date),
            "status": task.get_status_display(),
            "timeliness": str(TIMELINESS_LABELS[task.timeliness(today)]),
        },
        "participants": [
            {
                "agency": p.agency.name,
                "role": p.get_role_display(),
                "due": short_date(p.effective_due_date),
                "status": p.get_status_display(),
                "submitted": short_date(p.submitted_at),
                "timeliness": str(TIMELINESS_LABELS[p.timeliness(today)]),
            }
            for p in parts
        ],
        "contributions": [
            {
                "agency": c.participation.agency.name,
                "form": c.get_form_display(),
                "version": c.version,
                "number": c.document_number,
                "at": short_date(c.submitted_at),
                "by": str(c.submitted_by),
                "body": c.body,
                "nominations": [
                    f"{n.full_name}, {n.position}, {n.agency_name} – {n.get_team_display()}"
                    for n in c.nominations.all()
                ],
            }
            for c in contributions
        ],
        "history": _history_rows(task),
        "extracted": timezone.localtime().strftime("%d/%m/%Y"),
    }


@in_vietnamese
def task_dossier_pdf(task, user) -> bytes:
    context = task_dossier_context(task, user)
    variant = f"a{user.agency_id or 0}-{'all' if reads_everything(user) else 'body'}"
    return stored_or_render(
        Kind.TASK_DOSSIER, f"task-{task.pk}-{variant}", "reports/pdf/task_dossier.html", context
    )


# --- e. PAR scoring results and one body's scorecard ----------------------------------------


def _num(value) -> str:
    if value is None:
        return "–"
    from scoring.importing import plain_number

    return plain_number(value)


def scoring_results_context(period, user) -> dict:
    """Ranking tables by group with bands (built from ``scoring.selectors``)."""
    from scoring.selectors import period_results

    results = period_results(period, user)
    lead = Agency.objects.lead()
    signer_title, signer_name = lead_signer()
    today = timezone.localdate()
    day = timezone.localdate(period.published_at) if period.published_at else today
    return {
        "head": header(lead, number=None, symbol=f"BC-{lead.abbreviation}", day=day),
        "doc_type": _("BÁO CÁO"),
        "summary": _("Kết quả xác định Chỉ số cải cách hành chính năm %(y)s") % {"y": period.year},
        "period_title": period.title,
        "published": period.published_at is not None,
        "issuer_name": lead.name,
        "groups": [
            {
                "label": str(group["label"]),
                "rows": [
                    {
                        "rank": row.rank or "–",
                        "agency": row.assessment.agency.name,
                        "achieved": _num(row.totals.achieved if row.totals.scored else None),
                        "max": _num(row.totals.applicable_max),
                        "index": _num(row.index),
                        "band": row.band or "–",
                        "previous": _num(row.previous_index),
                    }
                    for row in group["rows"]
                ],
            }
            for group in results["groups"]
        ],
        "closing": _closing(
            [_("Thường trực UBND tỉnh (b/c)"), _("Các cơ quan, đơn vị, địa phương")],
            signer_title,
            signer_name,
        ),
    }


@in_vietnamese
def scoring_results_pdf(period, user) -> bytes:
    context = scoring_results_context(period, user)
    return stored_or_render(
        Kind.SCORING, f"results-{period.pk}", "reports/pdf/scoring_results.html", context
    )


def scorecard_context(assessment) -> dict:
    from scoring.selectors import assessment_sheet

    sheet = assessment_sheet(assessment)
    lead = Agency.objects.lead()
    signer_title, signer_name = lead_signer()

    def row(r) -> dict:
        s = r.score
        return {
            "code": r.criterion.code,
            "title": r.criterion.title,
            "leaf": r.is_leaf,
            "max": _num(r.criterion.max_points),
            "self": "KAD" if s and s.not_applicable else _num(s.self_score if s else None),
            "appraised": r.appraised_value or "–",
            "final": _num(s.final_score if s else None),
        }

    return {
        "head": header(
            lead, number=None, symbol=f"BC-{lead.abbreviation}", day=timezone.localdate()
        ),
        "doc_type": _("BẢNG ĐIỂM"),
        "summary": _("Chỉ số cải cách hành chính năm %(y)s của %(agency)s")
        % {"y": assessment.period.year, "agency": assessment.agency.name},
        "status": assessment.get_status_display(),
        "areas": [
            {
                "rows": [row(r) for r in area.rows],
                "self": _num(area.self_totals.achieved),
                "appraised": _num(area.appraised_totals.achieved),
                "current": _num(area.current_totals.achieved),
                "max": _num(area.self_totals.applicable_max or area.current_totals.applicable_max),
            }
            for area in sheet.areas
        ],
        "totals": {
            "self": _num(sheet.self_totals.achieved),
            "appraised": _num(sheet.appraised_totals.achieved),
            "current": _num(sheet.current_totals.achieved),
            "max": _num(sheet.current_totals.applicable_max or sheet.self_totals.applicable_max),
            "index": _num(sheet.current_totals.index),
        },
        "closing": _closing([assessment.agency.name], signer_title, signer_name),
    }


@in_vietnamese
def scorecard_pdf(assessment) -> bytes:
    context = scorecard_context(assessment)
    return stored_or_render(
        Kind.SCORING, f"assessment-{assessment.pk}", "reports/pdf/scorecard.html", context
    )
