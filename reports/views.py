"""Thin function views: fetch through the access layer, bind a form, call one service.
Document views authorise and hand what is asked to ``reports.delivery`` (a stored file,
a small build, or a job and its status page)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies import fragments
from agencies.confirm import confirmation
from agencies.files import download
from agencies.models import Agency
from agencies.once import AlreadySubmitted, already, once
from coordination.models import Task
from reports import access, catalog, delivery, issuing, selectors, services, store
from reports.forms import AgencyReportForm, ConsolidatedForm, ReasonForm, RoundForm, YearForm
from reports.models import (
    AgencyReport,
    ConsolidatedReport,
    DocumentJob,
    GeneratedDocument,
    ReportAttachment,
    ReportRound,
)
from scoring import access as scoring_access


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _round(request: HttpRequest, pk: int) -> ReportRound:
    rnd = access.get_visible_or_404(ReportRound.objects, request.user, pk=pk)
    access.require(access.reports_province_documents(request.user))
    return rnd


def _report(request: HttpRequest, pk: int) -> AgencyReport:
    return access.get_visible_or_404(
        AgencyReport.objects.select_related("round", "agency", "submitted_by"),
        request.user,
        pk=pk,
    )


# --- Pages ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def round_create(request: HttpRequest) -> HttpResponse:
    access.require(access.reports_manage(request.user))
    initial = {"year": timezone.localdate().year, "agencies": list(Agency.objects.active())}
    form = RoundForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with once(request) as receipt:
                rnd = services.round_create(
                    actor=request.user,
                    kind=data["kind"],
                    year=data["year"],
                    period=data["period"],
                    title=data["title"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    deadline=data["deadline"],
                    agencies=list(data["agencies"]),
                )
                receipt.result_url = reverse("round_detail", args=[rnd.pk])
        except AlreadySubmitted as done:
            return already(request, done, reverse("reports_home"))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Đã mở kỳ báo cáo."))
            return redirect("round_detail", pk=rnd.pk)
    return render(request, "reports/round_form.html", {"form": form})


@require_POST
def rounds_create_year(request: HttpRequest) -> HttpResponse:
    access.require(access.reports_manage(request.user))
    form = YearForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Năm không hợp lệ."))
        return redirect("reports_home")
    try:
        with once(request) as receipt:
            created = services.rounds_create_for_year(
                actor=request.user, year=form.cleaned_data["year"]
            )
            receipt.result_url = reverse("reports_home")
    except AlreadySubmitted as done:
        return already(request, done, reverse("reports_home"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("reports_home")
    messages.success(request, _("Đã mở %(n)s kỳ báo cáo định kỳ.") % {"n": len(created)})
    return redirect("reports_home")


# What the reports home and a round show (``agencies.fragments``).
HOME_APPS = ("auth", "guardian", "agencies", "coordination", "scoring", "reports")


ROUND_ROWS = 40  # bodies listed before "xem tất cả" (issue 14: 150 bodies after 2025)


@require_GET
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # 404 or 403 unless this user passed the check at this data version (nothing is kept).
    rnd = fragments.kept(
        request,
        "reports:round-of",
        apps_read=HOME_APPS,
        vary=[pk],
        build=lambda: _round(request, pk),
    )
    every = request.GET.get("all") == "1"

    def round_part() -> str:
        table = selectors.submission_table(rnd)
        shown = table if every else table[:ROUND_ROWS]
        totals = selectors.indicator_totals(rnd)
        consolidated = ConsolidatedReport.objects.filter(round=rnd).first()
        return fragments.render(
            "reports/_round_body.html",
            {
                "request": request,
                "user": request.user,
                "round": rnd,
                "rows": [dict(r, label=selectors.SUBMISSION_LABELS[r["state"]]) for r in shown],
                "rows_total": len(table),
                "totals": [
                    {"label": i["label"], "total": totals[i["code"]]} for i in rnd.indicators
                ],
                "consolidated": consolidated,
                "changes": change_lines(selectors.consolidated_changes(consolidated)),
                "manage": access.reports_manage(request.user),
            },
        )

    part = fragments.cached(
        request, "reports:round", apps_read=HOME_APPS, vary=[rnd.pk, every], build=round_part
    )
    return render(request, "reports/round_detail.html", {"round": rnd, "round_part": part})


@require_GET
def agency_report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    rnd = report.round
    context = {
        "report": report,
        "round": rnd,
        "sections": [
            {"label": s["label"], "text": report.sections.get(s["code"], "")} for s in rnd.sections
        ],
        "indicators": [
            {"label": i["label"], "value": report.indicators.get(i["code"])} for i in rnd.indicators
        ],
        "versions": list(report.versions.select_related("submitted_by")),
        "attachments": list(report.attachments.all()),
        "actions": access.reports_actions(request.user, report),
        "accept_question": accept_question(report),
        "reason_form": ReasonForm(),
        "state_label": selectors.SUBMISSION_LABELS[selectors.submission_state(report)],
    }
    return render(request, "reports/agencyreport_detail.html", context)


@require_http_methods(["GET", "POST"])
def agency_report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    actions = access.reports_actions(request.user, report)
    access.require(actions["write"])
    if request.method == "GET" and not actions["edit"]:
        messages.info(request, _("Báo cáo đã được gửi; chỉ sửa được khi bị trả lại."))
        return redirect("agency_report_detail", pk=report.pk)
    initial = {f"sec_{k}": v for k, v in report.sections.items()}
    initial |= {f"ind_{k}": v for k, v in report.indicators.items()}
    form = AgencyReportForm(report.round, request.POST or None, request.FILES or None)
    if request.method == "GET":
        form = AgencyReportForm(report.round, initial=initial)
    if request.method == "POST" and form.is_valid():
        sections, indicators = form.split()
        submit = request.POST.get("action") == "submit"
        try:
            services.report_save(
                actor=request.user,
                report=report,
                sections=sections,
                indicators=indicators,
                submit=submit,
                files=form.cleaned_data["files"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Đã gửi báo cáo.") if submit else _("Đã lưu bản nháp."))
            return redirect("agency_report_detail", pk=report.pk)
    return render(request, "reports/agencyreport_form.html", {"report": report, "form": form})


@require_POST
def agency_report_return(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():  # unparsable (too long): the form's own message
            raise ValidationError([m for errors in form.errors.values() for m in errors])
        services.report_return(
            actor=request.user, report=report, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("Đã trả lại báo cáo."))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("agency_report_detail", pk=report.pk)


@require_POST
def agency_report_accept(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    access.require(access.reports_actions(request.user, report)["review"])
    response = confirmation(request, **accept_question(report))
    if response is not None:
        return response
    services.report_accept(actor=request.user, report=report)
    messages.success(request, _("Đã chấp nhận báo cáo."))
    return redirect("agency_report_detail", pk=report.pk)


@require_GET
def report_attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = access.get_visible_or_404(ReportAttachment.objects, request.user, pk=pk)
    return download(attachment)


def _consolidated_form(request: HttpRequest, rnd: ReportRound, consolidated) -> ConsolidatedForm:
    initial = {f"sec_{k}": v for k, v in consolidated.sections.items()}
    initial |= {"signer_title": consolidated.signer_title, "signer_name": consolidated.signer_name}
    return ConsolidatedForm(rnd, request.POST or None, initial=initial)


def accept_question(report: AgencyReport) -> dict:
    """What accepting a body's report does (the confirm page and the button's dialog)."""
    return {
        "title": _("Chấp nhận báo cáo của %(a)s?") % {"a": report.agency.name},
        "consequences": [
            _("Báo cáo được tính vào số liệu và nội dung tổng hợp của kỳ."),
            _("Sau khi chấp nhận, không trả lại được và cơ quan không sửa được báo cáo."),
        ],
        "confirm_label": _("Chấp nhận"),
    }


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y")


def change_lines(changes: list) -> list[str]:
    """One line per change of a body's report since the draft was compiled."""
    return [
        _("%(agency)s %(what)s lúc %(when)s")
        % {"agency": c.agency.name, "what": c.label, "when": _when(c.when)}
        for c in changes
    ]


def issue_question(consolidated: ConsolidatedReport, changes: list) -> dict:
    lines = [
        _("Báo cáo nhận số văn bản tiếp theo của năm: số %(n)s.")
        % {"n": issuing.next_lead_number()},
        _("Nội dung đang hiển thị được lưu; nội dung và số liệu được giữ nguyên từ đây."),
        _("Văn bản PDF đã ban hành không sửa được và không ban hành lại được."),
    ]
    if changes:
        lines.append(
            _(
                "Bản tổng hợp đã cũ: báo cáo của các cơ quan đã thay đổi sau lần tổng hợp "
                "lúc %(when)s. Nội dung sẽ ban hành chưa có các thay đổi này:"
            )
            % {"when": _when(consolidated.compiled_at)}
        )
        lines.extend(change_lines(changes))
    title = _("Ban hành báo cáo tổng hợp đã cũ?") if changes else _("Ban hành báo cáo tổng hợp?")
    return {"title": title, "consequences": lines, "confirm_label": _("Ban hành")}


def recompile_question(edited: list[str]) -> dict:
    return {
        "title": _("Tổng hợp lại và thay nội dung đã sửa?"),
        "consequences": [
            _("Nội dung anh/chị đã sửa ở các phần sau sẽ bị thay bằng nội dung tổng hợp lại:"),
            *edited,
            _("Nội dung mới lấy từ các báo cáo đã gửi và đã chấp nhận tại thời điểm này."),
        ],
        "confirm_label": _("Tổng hợp lại"),
    }


def _consolidated_page(request, rnd, consolidated, form) -> HttpResponse:
    changes = selectors.consolidated_changes(consolidated)
    edited = []
    if consolidated is not None and not consolidated.is_issued:
        edited = selectors.edited_sections(consolidated, consolidated.sections)
    context = {
        "round": rnd,
        "consolidated": consolidated,
        "form": form,
        "changes": change_lines(changes),
        "issue_question": issue_question(consolidated, changes) if consolidated else None,
        "recompile_question": recompile_question(edited) if edited else None,
    }
    return render(request, "reports/consolidatedreport_form.html", context)


@require_http_methods(["GET", "POST"])
def consolidated_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    access.require(access.reports_manage(request.user))
    consolidated = ConsolidatedReport.objects.filter(round=rnd).first()
    if request.method == "POST" and request.POST.get("action") == "create":
        services.consolidated_get_or_create(actor=request.user, rnd=rnd)
        return redirect("consolidated_edit", pk=rnd.pk)
    form = None
    if consolidated is not None:
        form = _consolidated_form(request, rnd, consolidated)
        if request.method == "POST" and form.is_valid():
            recompile = request.POST.get("action") == "recompile"
            edited = selectors.edited_sections(consolidated, form.sections())
            if recompile and edited:
                response = confirmation(request, **recompile_question(edited))
                if response is not None:
                    return response
            try:
                services.consolidated_update(
                    actor=request.user,
                    report=consolidated,
                    **asdict(form.edit(recompile=recompile)),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("Đã tổng hợp lại báo cáo.") if recompile else _("Đã lưu báo cáo tổng hợp."),
                )
                return redirect("consolidated_edit", pk=rnd.pk)
    return _consolidated_page(request, rnd, consolidated, form)


@require_POST
def consolidated_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue what is on screen: the page's issue button posts the whole form, which is saved
    and issued in one transaction; on error nothing changes and the typed text is shown
    again with the message. A post without the form's fields issues the saved text."""
    rnd = _round(request, pk)
    access.require(access.reports_manage(request.user))
    consolidated = ConsolidatedReport.objects.filter(round=rnd).first()
    if consolidated is None:
        raise Http404
    form = _consolidated_form(request, rnd, consolidated)
    on_screen = any(name in request.POST for name in form.fields)
    if on_screen and not form.is_valid():
        return _consolidated_page(request, rnd, consolidated, form)
    if not consolidated.is_issued:
        changes = selectors.consolidated_changes(consolidated)
        response = confirmation(request, **issue_question(consolidated, changes))
        if response is not None:
            return response
    try:
        services.consolidated_issue(
            actor=request.user, report=consolidated, edit=form.edit() if on_screen else None
        )
    except ValidationError as exc:
        if not on_screen:
            _errors(request, exc)
            return redirect("consolidated_edit", pk=rnd.pk)
        form.add_error(None, exc)
        return _consolidated_page(request, rnd, consolidated, form)
    messages.success(request, _("Đã ban hành báo cáo tổng hợp."))
    return redirect("round_detail", pk=rnd.pk)


# --- Documents ------------------------------------------------------------------------------
#
# Each view authorises the reader and names what is asked (``reports.catalog``);
# ``reports.delivery.respond`` serves the stored file, builds a small document here or
# queues a job and answers 303 to its status page.


@require_GET
def consolidated_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk)
    return delivery.respond(request, catalog.consolidated(rnd))


@require_GET
def agency_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return delivery.respond(request, catalog.agency_report(_report(request, pk)))


def _date_param(request: HttpRequest, name: str, default: dt.date) -> dt.date:
    raw = request.GET.get(name, "")
    try:
        return dt.date.fromisoformat(raw) if raw else default
    except ValueError as exc:
        raise Http404 from exc


@require_GET
def coordination_status_pdf(request: HttpRequest) -> HttpResponse:
    access.require(access.reports_province_documents(request.user))
    year = timezone.localdate().year
    start = _date_param(request, "from", dt.date(year, 1, 1))
    end = _date_param(request, "to", dt.date(year, 12, 31))
    if end < start:
        raise Http404
    return delivery.respond(request, catalog.coordination_status(start, end))


@require_GET
def reminder_letter_pdf(request: HttpRequest, code: str) -> HttpResponse:
    access.require(access.reports_manage(request.user))
    agency = access.get_visible_or_404(Agency.objects, request.user, code=code)
    return delivery.respond(request, catalog.reminder(agency))


@require_GET
def task_dossier_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    task = access.get_visible_or_404(
        Task.objects.select_related("chair_agency", "tracking_agency"), request.user, pk=pk
    )
    return delivery.respond(request, catalog.task_dossier(task, request.user))


@require_GET
def task_export_file(request: HttpRequest) -> HttpResponse:
    """The item list as filtered on screen (``task_export`` hands over here)."""
    return delivery.respond(request, catalog.task_export(request.user, request.GET))


def _period(request: HttpRequest, pk: int):
    from scoring.models import ScoringPeriod

    return access.get_visible_or_404(ScoringPeriod.objects, request.user, pk=pk)


@require_GET
def scoring_results_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    period = _period(request, pk)
    access.require(scoring_access.results_visible_to(request.user, period) == "all")
    return delivery.respond(request, catalog.scoring_results(period, request.user))


@require_GET
def results_export_file(request: HttpRequest, pk: int) -> HttpResponse:
    """A period's results in Excel (``period_results_export`` hands over here)."""
    return delivery.respond(request, catalog.results_export(_period(request, pk), request.user))


@require_GET
def scorecard_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from scoring.models import Assessment

    assessment = access.get_visible_or_404(
        Assessment.objects.select_related("agency", "period", "criteria_set"), request.user, pk=pk
    )
    return delivery.respond(request, catalog.scorecard(assessment))


# --- Document jobs: the status page, its JSON, the file, trying again -----------------------


def _job(request: HttpRequest, pk: int) -> DocumentJob:
    job = access.get_visible_or_404(
        DocumentJob.objects.select_related("document").defer("snapshot"), request.user, pk=pk
    )
    return delivery.document_job_refresh(job)


def _job_state(job: DocumentJob) -> dict:
    """What the status page shows and its script polls (the same words in both)."""
    stage = job.get_stage_display()
    if job.stage == DocumentJob.Stage.WRITE and job.pages:
        stage = _("Đang ghi tệp PDF (%(pages)s trang)") % {"pages": job.pages}
    done = job.status == DocumentJob.Status.DONE and job.document_id is not None
    return {
        "status": job.status,
        "finished": job.finished,
        "done": done,
        "failed": job.status == DocumentJob.Status.FAILED,
        "progress": job.progress,
        "stage": str(stage),
        "error": job.error,
        "download": reverse("document_job_download", args=[job.pk]) if done else "",
    }


@require_GET
def document_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    context = {
        "job": job,
        "state": _job_state(job),
        "kind": GeneratedDocument.Kind(job.kind).label,
        "status_url": reverse("document_job_status", args=[job.pk]),
    }
    return render(request, "reports/document_job.html", context)


@require_GET
def document_job_status(request: HttpRequest, pk: int) -> JsonResponse:
    response = JsonResponse(_job_state(_job(request, pk)))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def document_job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = _job(request, pk)
    ready = job.status == DocumentJob.Status.DONE and job.document_id is not None
    handle = store.open_file(job.document) if ready else None
    if handle is None:
        raise Http404
    return delivery.file_response(handle, job.filename, catalog.SPECS[job.kind].content_type)


@require_POST
def document_job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        delivery.document_job_retry(actor=request.user, job=job)
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("document_job", pk=job.pk)
