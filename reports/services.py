"""Writes for reporting rounds, bodies' reports and the consolidated report.

Each service is a transaction, checks the actor through ``reports.access``, validates
(Vietnamese messages, nothing saved on error) and records history through
``agencies.history.save`` with the acting user and a reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import history, validators
from agencies.files import validate_upload
from agencies.models import Agency
from agencies.once import duplicate_refused
from reports import access
from reports.models import (
    AgencyReport,
    AgencyReportVersion,
    ConsolidatedReport,
    ReportAttachment,
    ReportRound,
)

K = ReportRound.Kind
P = ReportRound.Period
R = AgencyReport.Status

# Periodic windows (Bộ Nội vụ 581/BNV-CCHC): data from the 15th to the 14th; reports reach
# the Ministry by the 20th of the period's last month. Bodies' internal deadline defaults
# to the 10th of that month so Sở Nội vụ can consolidate (configurable per round).
SCHEDULE: dict[str, tuple[str, int]] = {
    # period: (kind, last month of the period)
    P.Q1: (K.QUARTERLY, 3),
    P.H1: (K.HALF_YEAR, 6),
    P.Q3: (K.QUARTERLY, 9),
    P.YEAR: (K.ANNUAL, 12),
}
BODY_DEADLINE_DAY = 10
MINISTRY_DEADLINE_DAY = 20


def default_window(period: str, year: int) -> tuple[dt.date, dt.date, dt.date]:
    """(data from, data to, bodies' deadline) for a periodic round."""
    _kind, last_month = SCHEDULE[period]
    start = dt.date(year - 1, 12, 15)
    if period == P.Q3:
        start = dt.date(year, 6, 15)
    end = dt.date(year, last_month, 14)
    return start, end, dt.date(year, last_month, BODY_DEADLINE_DAY)


def default_title(period: str, year: int) -> str:
    titles = {
        P.Q1: _("Báo cáo công tác cải cách hành chính quý I năm %(year)s"),
        P.H1: _("Báo cáo công tác cải cách hành chính 6 tháng đầu năm %(year)s"),
        P.Q3: _("Báo cáo công tác cải cách hành chính quý III năm %(year)s"),
        P.YEAR: _("Báo cáo công tác cải cách hành chính năm %(year)s"),
    }
    return titles[period] % {"year": year}


def round_bodies(day: dt.date | None = None, current=()) -> QuerySet[Agency]:
    """The bodies a round may require: those in existence on its deadline (``day``; today
    while it is not known), plus those already in it (``current``). The one rule for the
    picker and for the check of a new round."""
    active = Agency.objects.active(on=day)
    ids = [a.pk for a in current]
    if ids:
        active = Agency.objects.filter(Q(pk__in=active.values("pk")) | Q(pk__in=ids))
    return active.order_by("sort_order", "name")


def _default_agencies(deadline: dt.date | None) -> list[Agency]:
    return list(round_bodies(deadline))


def _check_round(title, period_start, period_end, deadline, agencies) -> None:
    """Every problem of a new round at once (Vietnamese messages)."""
    errors = []
    if not title.strip():
        errors.append(_("Hãy nhập tên kỳ báo cáo."))
    if not (period_start and period_end and deadline):
        errors.append(_("Hãy nhập kỳ số liệu và hạn gửi báo cáo."))
    elif period_end < period_start:
        errors.append(_("Ngày kết thúc kỳ số liệu phải sau ngày bắt đầu."))
    if not agencies:
        errors.append(_("Hãy chọn ít nhất một cơ quan phải báo cáo."))
    elif deadline and (absent := [a.name for a in agencies if not a.exists_on(deadline)]):
        errors.append(
            _("Cơ quan không hoạt động vào hạn gửi báo cáo (%(date)s): %(names)s.")
            % {"date": deadline.strftime("%d/%m/%Y"), "names": "; ".join(absent)}
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def round_create(
    *,
    actor,
    kind: str,
    year: int,
    title: str = "",
    period: str = "",
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    deadline: dt.date | None = None,
    agencies: list[Agency] | None = None,
) -> ReportRound:
    """Open a round; periodic ones default to the Ministry's windows. Every required
    body gets an empty draft report. Long because every field of the round is
    checked before anything is saved, in one transaction."""
    if not access.reports_manage(actor):
        raise PermissionDenied
    if period:
        d_start, d_end, d_deadline = default_window(period, year)
        kind = SCHEDULE[period][0]
        period_start = period_start or d_start
        period_end = period_end or d_end
        deadline = deadline or d_deadline
        title = title.strip() or default_title(period, year)
        if ReportRound.objects.filter(year=year, period=period).exists():
            raise ValidationError(_("Kỳ báo cáo này của năm %(year)s đã có.") % {"year": year})
    agencies = _default_agencies(deadline) if agencies is None else list(agencies)
    _check_round(title, period_start, period_end, deadline, agencies)
    rnd = ReportRound(
        kind=kind,
        year=year,
        period=period,
        title=title.strip(),
        period_start=period_start,
        period_end=period_end,
        deadline=deadline,
        created_by=actor,
    )
    rnd.full_clean()
    with duplicate_refused(_("Kỳ báo cáo này của năm %(year)s đã có.") % {"year": year}):
        history.save(rnd, _("Mở kỳ báo cáo"), actor)
    rnd.required_agencies.set(agencies)
    for agency in agencies:
        history.save(AgencyReport(round=rnd, agency=agency), _("Tạo báo cáo của cơ quan"), actor)
    return rnd


@transaction.atomic
def rounds_create_for_year(*, actor, year: int) -> list[ReportRound]:
    """Open the periodic rounds (quý I, 6 tháng, quý III, năm) of a year; existing ones are
    left as they are."""
    if not access.reports_manage(actor):
        raise PermissionDenied
    existing = set(ReportRound.objects.filter(year=year).values_list("period", flat=True))
    created = []
    for period in SCHEDULE:
        if period in existing:
            continue
        created.append(round_create(actor=actor, kind="", year=year, period=period))
    return created


@transaction.atomic
def round_close(*, actor, rnd: ReportRound) -> ReportRound:
    if not access.reports_manage(actor):
        raise PermissionDenied
    if rnd.status != ReportRound.Status.OPEN:
        raise ValidationError(_("Kỳ báo cáo không còn mở."))
    rnd.status = ReportRound.Status.CLOSED
    history.save(rnd, _("Khóa sổ kỳ báo cáo"), actor)
    return rnd


# --- One body's report ------------------------------------------------------------------


COUNT_MAX = 999_999_999  # a body's figure: a count of dossiers, inspections, …


def indicator_bounds(indicator: dict) -> tuple[int, int]:
    """The range of an indicator of a round: its own ``min``/``max`` when the round's
    definition gives them, else a count (0 to ``COUNT_MAX``). Read by the form and here."""
    return int(indicator.get("min", 0)), int(indicator.get("max", COUNT_MAX))


def _parse_count(raw, indicator: dict) -> int | None:
    """A figure by the portal's number rule (whole, in the indicator's range)."""
    label = indicator["label"]
    if isinstance(raw, bool):
        raise ValidationError(_("“%(label)s” phải là một số nguyên.") % {"label": label})
    text = str(raw) if isinstance(raw, int) else raw
    minimum, maximum = indicator_bounds(indicator)
    return validators.parse_integer(text, minimum=minimum, maximum=maximum, label=f"“{label}”")


def validate_indicators(rnd: ReportRound, raw: dict, *, complete: bool) -> dict[str, int]:
    """Clean indicator values; raise ValidationError listing every problem."""
    labels = {i["code"]: i["label"] for i in rnd.indicators}
    values: dict[str, int] = {}
    errors = []
    for indicator in rnd.indicators:
        code, label = indicator["code"], indicator["label"]
        try:
            value = _parse_count(raw.get(code), indicator)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if value is None:
            if complete:
                errors.append(_("Chưa nhập “%(label)s”.") % {"label": label})
            continue
        values[code] = value
    for check in rnd.checks:
        total = values.get(check["total"])
        parts = [values[c] for c in check["parts"] if c in values]
        if total is not None and parts and sum(parts) > total:
            errors.append(
                _("Tổng “%(parts)s” (%(sum)s) vượt quá “%(total)s” (%(value)s).")
                % {
                    "parts": "” + “".join(labels[c] for c in check["parts"]),
                    "sum": sum(parts),
                    "total": labels[check["total"]],
                    "value": total,
                }
            )
    if errors:
        raise ValidationError(errors)
    return values


def _clean_sections(rnd: ReportRound, raw: dict, *, complete: bool) -> dict[str, str]:
    sections = {code: (raw.get(code) or "").strip() for code in rnd.section_codes}
    if complete and not any(sections.values()):
        raise ValidationError(_("Báo cáo chưa có nội dung: hãy viết ít nhất một phần."))
    return {code: text for code, text in sections.items() if text}


@transaction.atomic
def report_save(
    *,
    actor,
    report: AgencyReport,
    sections: dict,
    indicators: dict,
    submit: bool,
    files=(),
    when: dt.datetime | None = None,
) -> AgencyReport:
    """Save a draft or submit. A submission is kept as a version; the first one decides
    whether the body reported late."""
    report = AgencyReport.objects.select_for_update().select_related("round").get(pk=report.pk)
    access.require(access.reports_actions(actor, report)["write"])
    if not report.is_editable:  # sent by a colleague (or a second click) meanwhile
        raise ValidationError(
            _(
                "Báo cáo đã được gửi (%(by)s) nên không sửa được nữa cho đến khi bị trả lại. "
                "Nội dung bạn vừa nhập chưa được lưu; hãy sao lại nếu cần."
            )
            % {"by": history.last_change(report)}
        )
    values = validate_indicators(report.round, indicators, complete=submit)
    texts = _clean_sections(report.round, sections, complete=submit)
    for upload in files:
        validate_upload(upload)
    report.sections, report.indicators = texts, values
    if submit:
        _submit(report, actor, when or timezone.now())
    history.save(report, _("Gửi báo cáo") if submit else _("Lưu bản nháp báo cáo"), actor)
    for upload in files:
        attachment = ReportAttachment(report=report)
        attachment.take(upload, actor=actor)
        history.save(attachment, _("Đính kèm tệp vào báo cáo"), actor)
    return report


def _submit(report: AgencyReport, actor, when: dt.datetime) -> None:
    if report.first_submitted_at is None:
        report.first_submitted_at = when
        report.is_late = timezone.localdate(when) > report.round.deadline
    report.status = R.SUBMITTED
    report.submitted_at, report.submitted_by = when, actor
    report.return_reason = ""
    report.version += 1
    AgencyReportVersion.objects.create(
        report=report,
        version=report.version,
        sections=report.sections,
        indicators=report.indicators,
        submitted_at=when,
        submitted_by=actor,
        is_late=timezone.localdate(when) > report.round.deadline,
    )


def _reviewable(actor, report: AgencyReport) -> AgencyReport:
    report = AgencyReport.objects.select_for_update().select_related("round").get(pk=report.pk)
    access.require(access.reports_actions(actor, report)["review"])
    return report


@transaction.atomic
def report_return(*, actor, report: AgencyReport, reason: str) -> AgencyReport:
    report = _reviewable(actor, report)
    if not reason.strip():
        raise ValidationError(_("Hãy ghi lý do trả lại báo cáo."))
    report.status = R.RETURNED
    report.return_reason = reason.strip()
    history.save(report, _("Trả lại báo cáo: %(reason)s") % {"reason": reason.strip()}, actor)
    return report


@transaction.atomic
def report_accept(*, actor, report: AgencyReport, when: dt.datetime | None = None) -> AgencyReport:
    report = _reviewable(actor, report)
    report.status = R.ACCEPTED
    report.accepted_at = when or timezone.now()
    history.save(report, _("Chấp nhận báo cáo"), actor)
    return report


# --- Consolidation ----------------------------------------------------------------------


def compile_sections(rnd: ReportRound) -> dict[str, str]:
    """Each section's text: the bodies' submitted texts, one paragraph per body."""
    from reports.selectors import counted_reports

    reports = list(counted_reports(rnd))
    compiled = {}
    for code in rnd.section_codes:
        paragraphs = [
            f"{r.agency.short_name}: {r.sections[code]}" for r in reports if r.sections.get(code)
        ]
        compiled[code] = "\n\n".join(paragraphs)
    return compiled


def _compile(report: ConsolidatedReport, when: dt.datetime | None = None) -> None:
    """Fill the sections from the bodies' reports and remember what they were compiled
    from: when, the text as compiled and each report's status (``selectors.staleness``
    compares against these)."""
    rnd = report.round
    report.sections = compile_sections(rnd)
    report.compiled_at = when or timezone.now()
    report.compiled_sections = dict(report.sections)
    report.compiled_basis = {
        str(pk): status
        for pk, status in AgencyReport.objects.filter(round=rnd).values_list("pk", "status")
    }


@transaction.atomic
def consolidated_get_or_create(*, actor, rnd: ReportRound) -> ConsolidatedReport:
    if not access.reports_manage(actor):
        raise PermissionDenied
    existing = ConsolidatedReport.objects.filter(round=rnd).first()
    if existing is not None:
        return existing
    from reports.pdf import lead_signer

    signer_title, signer_name = lead_signer()
    report = ConsolidatedReport(
        round=rnd, signer_title="\n".join(signer_title), signer_name=signer_name
    )
    _compile(report)
    history.save(report, _("Tổng hợp báo cáo"), actor)
    return report


@dataclass(frozen=True)
class ConsolidatedEdit:
    """What the consolidated report's page shows: the text of every section and the
    signer. ``recompile`` replaces the sections with a fresh compilation."""

    sections: dict
    signer_title: str
    signer_name: str
    recompile: bool = False


def _locked_consolidated(actor, report: ConsolidatedReport) -> ConsolidatedReport:
    report = (
        ConsolidatedReport.objects.select_for_update().select_related("round").get(pk=report.pk)
    )
    if not access.reports_manage(actor):
        raise PermissionDenied
    if report.is_issued:
        raise ValidationError(_("Báo cáo đã ban hành, không thể sửa."))
    return report


def _apply_edit(report: ConsolidatedReport, edit: ConsolidatedEdit) -> None:
    """Validate and apply an edit (not saved): the signing authority is required."""
    if not (edit.signer_title or "").strip():
        raise ValidationError(_("Hãy nhập thẩm quyền, chức vụ người ký."))
    codes = report.round.section_codes
    if edit.recompile:
        _compile(report)
    else:
        report.sections = {c: (edit.sections.get(c) or "").strip() for c in codes}
    report.signer_title = edit.signer_title.strip()
    report.signer_name = (edit.signer_name or "").strip()


@transaction.atomic
def consolidated_update(
    *,
    actor,
    report: ConsolidatedReport,
    sections: dict,
    signer_title: str,
    signer_name: str,
    recompile: bool = False,
) -> ConsolidatedReport:
    """Nội vụ edits the compiled text (or compiles it again from the bodies' reports)."""
    report = _locked_consolidated(actor, report)
    _apply_edit(report, ConsolidatedEdit(sections, signer_title, signer_name, recompile))
    reason = _("Tổng hợp lại báo cáo") if recompile else _("Sửa báo cáo tổng hợp")
    history.save(report, reason, actor)
    return report


@transaction.atomic
def consolidated_issue(
    *,
    actor,
    report: ConsolidatedReport,
    edit: ConsolidatedEdit | None = None,
    when: dt.datetime | None = None,
) -> ConsolidatedReport:
    """Issue what is on screen: apply ``edit`` (if given) and issue in one transaction —
    write it into the register (``reports.issuing``: the lead body's next number of the
    year, across every kind it issues), freeze the totals and the PDF. Any error leaves
    the report as it was, edit included. The PDF's HTML is rendered here, from the data as
    issued; a job lays it out, signs and stores it frozen after commit, so issuing waits
    for no layout."""
    from reports import catalog, issuing
    from reports.selectors import indicator_totals

    try:
        report = _locked_consolidated(actor, report)
    except ValidationError as exc:
        raise ValidationError(_("Báo cáo đã được ban hành.")) from exc
    if edit is not None:
        _apply_edit(report, edit)
    if not report.signer_name.strip():
        raise ValidationError(_("Hãy nhập họ tên người ký trước khi ban hành."))
    rnd = report.round
    row = issuing.register(actor=actor, entry=issuing.consolidated_entry(report), when=when)
    report.number, report.issued_at, report.issued_by = row.number, row.issued_at, actor
    report.indicator_totals = indicator_totals(rnd)
    history.save(report, _("Ban hành báo cáo tổng hợp"), actor)
    rnd.status = ReportRound.Status.ISSUED
    history.save(rnd, _("Ban hành báo cáo tổng hợp"), actor)
    ask = catalog.consolidated(rnd)
    issuing.freeze(actor=actor, row=row, params=ask.params, filename=ask.filename)
    return report
