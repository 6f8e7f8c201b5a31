"""Criteria set pages: list, detail, import with preview, template, copy, publish."""

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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.models import Agency
from agencies.once import AlreadySubmitted, already, once
from scoring import access, importing, selectors, services
from scoring.forms import CopyForm, CriteriaImportForm
from scoring.models import CriteriaSet
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


@require_http_methods(["GET", "POST"])
def criteria_set_import(request: HttpRequest) -> HttpResponse:
    access.require(access.manages_scoring(request.user))
    form = CriteriaImportForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = _upload_from_payload(request, form)
        if upload is None:
            form.add_error("file", _("Hãy chọn tệp tiêu chí."))
            return render(request, "scoring/criteriaset_import.html", context)
        content = upload.read()
        upload.seek(0)
        commit = request.POST.get("action") == "save"
        data = form.cleaned_data
        run = partial(
            services.criteria_set_import,
            actor=request.user,
            file=upload,
            year=data["year"],
            target=data["target"],
            title=data["title"],
            total_points=data["total_points"],
            is_illustrative=data["is_illustrative"],
            source_note=data["source_note"],
        )
        if commit:
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
    return render(request, "scoring/criteriaset_import.html", context)


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
