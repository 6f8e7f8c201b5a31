"""Criteria set pages: list, detail, import with preview (by a job for a large file),
template, copy, publish."""

from __future__ import annotations

import base64
import binascii
from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies import jobs
from agencies.access import sees_jobs
from agencies.models import Agency
from agencies.once import AlreadySubmitted, already, once
from scoring import access, importing, selectors, services
from scoring.forms import CopyForm, CriteriaImportForm
from scoring.models import CriteriaSet, ImportJob
from scoring.services import criteria as criteria_services
from scoring.views.common import XLSX, _flash_errors


@require_GET
def criteria_set_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "scoring/criteriaset_list.html",
        {
            "sets": selectors.criteria_set_list(request.user),
            "manages": access.manages_scoring(request.user),
            "copy_form": CopyForm(),
        },
    )


@require_GET
def criteria_set_detail(request: HttpRequest, pk: int) -> HttpResponse:
    criteria_set = access.get_visible_or_404(CriteriaSet.objects, request.user, pk=pk)
    criteria = list(
        criteria_set.criteria.select_related("responsible_agency").order_by("sort_order", "pk")
    )
    leaves = selectors.leaf_ids(criteria)
    kinds = dict(Agency.Kind.choices)
    for criterion in criteria:
        criterion.is_leaf = criterion.pk in leaves
        criterion.applies_labels = [str(kinds.get(k, k)) for k in criterion.applies_to]
    manages = access.manages_scoring(request.user)
    return render(
        request,
        "scoring/criteriaset_detail.html",
        {
            "criteria_set": criteria_set,
            "criteria": criteria,
            "problems": services.criteria_set_errors(criteria_set) if manages else [],
            "manages": manages,
            "copy_form": CopyForm(initial={"year": criteria_set.year + 1}),
        },
    )


def _upload_from_payload(request: HttpRequest, form: CriteriaImportForm):
    """The file itself, or the one carried from the preview step (base64 in a hidden field)."""
    upload = form.cleaned_data.get("file")
    if upload is not None:
        return upload
    name = request.POST.get("payload_name", "")
    try:
        content = base64.b64decode(request.POST.get("payload", ""), validate=True)
    except (binascii.Error, ValueError):
        content = b""
    if not name or not content:
        return None
    return SimpleUploadedFile(name, content)


class _NotSaved(Exception):
    """The import found errors: its one-time token is not spent."""

    def __init__(self, result):
        super().__init__()
        self.result = result


def _save_once(request: HttpRequest, form, run):
    """Save an import once per form token: ``(result, created)``, or the answer to a form
    sent twice. A file with errors, or a page without its token, saves nothing and shows
    the preview (with why) so the officer can save again."""
    try:
        with once(request) as receipt:
            result, created = run(commit=True)
            if created is None:  # the file has errors: nothing saved, token kept
                raise _NotSaved(result)
            receipt.result_url = reverse("criteria_set_detail", args=[created.pk])
            return result, created
    except _NotSaved as refused:
        return refused.result, None
    except AlreadySubmitted as done:
        return already(request, done, reverse("criteria_set_list"))
    except ValidationError as exc:
        form.add_error(None, exc)
        return run(commit=False)


TEMPLATE_IMPORT = "scoring/criteriaset_import.html"


@require_http_methods(["GET", "POST"])
def criteria_set_import(request: HttpRequest) -> HttpResponse:
    """Upload, preview, save. A file up to ``IMPORT_INLINE_BYTES`` is checked in the
    request; a larger one is kept as an ``ImportJob`` and checked, then saved, by jobs,
    while the page (``?job=<id>``) updates itself until the same preview appears."""
    access.require(access.manages_scoring(request.user))
    import_job = _import_job(request)
    form = CriteriaImportForm(
        request.POST or None,
        request.FILES or None,
        initial=import_job.params if import_job is not None else None,
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        if upload is not None and not importing.is_inline(upload.size):
            started = criteria_services.criteria_import_start(
                actor=request.user,
                file=upload,
                params=_import_params(form),
                language=get_language(),
            )
            return redirect(_job_url(started))
        if upload is None and import_job is not None:
            return _import_job_post(request, form, import_job)
        return _import_inline(request, form)
    if import_job is not None:
        return _import_job_page(request, form, import_job)
    return render(request, TEMPLATE_IMPORT, {"form": form})


def _import_params(form: CriteriaImportForm) -> dict:
    fields = ("year", "target", "title", "total_points", "is_illustrative", "source_note")
    return {name: form.cleaned_data[name] for name in fields}


def _job_url(import_job: ImportJob) -> str:
    return f"{reverse('criteria_set_import')}?job={import_job.pk}"


def _import_job(request: HttpRequest) -> ImportJob | None:
    """The officer's own large file being imported (404 for anyone else's)."""
    pk = request.POST.get("import_job") if request.method == "POST" else request.GET.get("job")
    if not pk:
        return None
    return access.get_visible_or_404(ImportJob.objects, request.user, pk=pk)


def _import_job_page(request: HttpRequest, form, import_job: ImportJob) -> HttpResponse:
    """The large file's state: being checked or saved (the page reloads itself every two
    seconds), its preview with "Lưu", or the saved set."""
    status = import_job.status
    if status == ImportJob.Status.SAVED and import_job.criteria_set_id:
        messages.success(request, _("Đã nhập bộ tiêu chí (dự thảo)."))
        return redirect("criteria_set_detail", pk=import_job.criteria_set_id)
    busy = status in {ImportJob.Status.CHECKING, ImportJob.Status.SAVING}
    failed = busy and jobs.job_failed(import_job.task_id)
    shows_preview = import_job.preview is not None and status != ImportJob.Status.CHECKING
    response = render(
        request,
        TEMPLATE_IMPORT,
        {
            "form": form,
            "import_job": import_job,
            "busy": busy and not failed,
            "job_failed": failed,
            "sees_jobs": sees_jobs(request.user),
            "result": importing.result_from_data(import_job.preview) if shows_preview else None,
            "may_save": status == ImportJob.Status.CHECKED,
        },
    )
    if busy and not failed:
        response["Refresh"] = "2"
    return response


def _import_job_post(request: HttpRequest, form, import_job: ImportJob) -> HttpResponse:
    """ "Lưu" has a job save the checked file, once per form token; "Xem trước" has the
    same file checked again with the form's current values."""
    params = _import_params(form)
    try:
        if request.POST.get("action") != "save":
            criteria_services.criteria_import_recheck(
                actor=request.user, import_job=import_job, params=params
            )
        else:
            with once(request) as receipt:
                criteria_services.criteria_import_save(
                    actor=request.user, import_job=import_job, params=params
                )
                receipt.result_url = _job_url(import_job)
    except AlreadySubmitted as done:
        return already(request, done, _job_url(import_job))
    except ValidationError as exc:
        _flash_errors(request, exc)
    return redirect(_job_url(import_job))


def _import_inline(request: HttpRequest, form: CriteriaImportForm) -> HttpResponse:
    """A small file (or the one carried from its preview): checked and saved in the request."""
    context: dict = {"form": form}
    upload = _upload_from_payload(request, form)
    if upload is None:
        form.add_error("file", _("Hãy chọn tệp tiêu chí."))
        return render(request, TEMPLATE_IMPORT, context)
    content = upload.read()
    upload.seek(0)
    run = partial(
        services.criteria_set_import, actor=request.user, file=upload, **_import_params(form)
    )
    if request.POST.get("action") == "save":
        outcome = _save_once(request, form, run)
        if isinstance(outcome, HttpResponse):
            return outcome
        result, created = outcome
    else:
        result, created = run(commit=False)
    if created is not None:
        messages.success(request, _("Đã nhập bộ tiêu chí (dự thảo)."))
        return redirect("criteria_set_detail", pk=created.pk)
    context.update(
        result=result,
        payload=base64.b64encode(content).decode() if result.ok else "",
        payload_name=upload.name,
    )
    return render(request, TEMPLATE_IMPORT, context)


@require_GET
def criteria_set_template(request: HttpRequest) -> HttpResponse:
    access.require(access.manages_scoring(request.user))
    response = HttpResponse(importing.template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-bo-tieu-chi.xlsx"'
    return response


@require_POST
def criteria_set_copy(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(access.manages_scoring(request.user))
    source = access.get_visible_or_404(CriteriaSet.objects, request.user, pk=pk)
    form = CopyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Năm không hợp lệ."))
        return redirect("criteria_set_detail", pk=pk)
    try:
        with once(request) as receipt:
            copy = services.criteria_set_copy(
                actor=request.user, source=source, year=form.cleaned_data["year"]
            )
            receipt.result_url = reverse("criteria_set_detail", args=[copy.pk])
    except AlreadySubmitted as done:
        return already(request, done, reverse("criteria_set_detail", args=[pk]))
    except ValidationError as exc:
        _flash_errors(request, exc)
        return redirect("criteria_set_detail", pk=pk)
    messages.success(request, _("Đã sao chép thành bộ tiêu chí mới (dự thảo)."))
    return redirect("criteria_set_detail", pk=copy.pk)


@require_POST
def criteria_set_publish(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(access.manages_scoring(request.user))
    criteria_set = access.get_visible_or_404(CriteriaSet.objects, request.user, pk=pk)
    try:
        services.criteria_set_publish(actor=request.user, criteria_set=criteria_set)
        messages.success(request, _("Đã ban hành bộ tiêu chí."))
    except ValidationError as exc:
        _flash_errors(request, exc)
    return redirect("criteria_set_detail", pk=pk)
