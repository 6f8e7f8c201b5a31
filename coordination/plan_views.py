"""Entering the year's plan in bulk (Nội vụ officers): copy items from an earlier year,
import a plan from .xlsx. Thin views over ``coordination.planning``; see
docs/plan-import.md."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from agencies.forms import PortalForm
from agencies.once import AlreadySubmitted, already, once
from coordination import access, planning
from coordination.models import Category

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def drafts_url(first: dt.date, last: dt.date) -> str:
    """The item list showing the drafts due between two dates (where new copies land)."""
    return (
        f"{reverse('task_list')}?status=draft&due_from={first.isoformat()}"
        f"&due_to={last.isoformat()}&ordering=due_date"
    )


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# --- Copy from an earlier year ------------------------------------------------------------


class CopyFilterForm(PortalForm):
    year = forms.TypedChoiceField(label=gettext_lazy("Sao chép từ năm"), coerce=int)
    q = forms.CharField(label=gettext_lazy("Tên có chứa"), required=False, max_length=200)
    category = forms.ChoiceField(
        label=gettext_lazy("Nội dung phối hợp"),
        required=False,
        choices=[("", gettext_lazy("Tất cả")), *Category.choices],
    )

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, y) for y in years]


class CopyChoiceForm(PortalForm):
    task = forms.TypedMultipleChoiceField(coerce=int, error_messages={"required": ""})

    def __init__(self, *args, ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].choices = [(pk, pk) for pk in ids]
        self.fields["task"].error_messages["required"] = _("Hãy chọn ít nhất một nhiệm vụ.")
        self.fields["task"].error_messages["invalid_choice"] = _(
            "Có nhiệm vụ đã chọn không còn trong năm này; hãy chọn lại."
        )


def _source_year(request: HttpRequest, years: list[int]) -> int:
    """The year chosen (posted or in the address) if it has items; else this year if it
    has any, else the newest year that has."""
    raw = request.POST.get("year") or request.GET.get("year") or ""
    if raw.isdigit() and int(raw) in years:
        return int(raw)
    this_year = timezone.localdate().year
    return this_year if this_year in years or not years else years[0]


@require_http_methods(["GET", "POST"])
def plan_copy(request: HttpRequest) -> HttpResponse:
    """Choose a year, tick items, see their copies (POST "preview"), create them ("copy")."""
    access.require(access.may_create_tasks(request.user))
    years = planning.plan_years(request.user)
    year = _source_year(request, years)
    if request.method == "POST":
        return _copy_post(request, year)
    filters = CopyFilterForm(
        {"year": year, "q": request.GET.get("q", ""), "category": request.GET.get("category", "")},
        years=years,
    )
    query = filters.cleaned_data if filters.is_valid() else {"q": "", "category": ""}
    candidates = planning.copy_candidates(
        actor=request.user, year=year, query=query["q"], category=query["category"]
    )
    return render(
        request,
        "coordination/plan_copy.html",
        {
            "filters": filters,
            "year": year,
            "target_year": year + 1,
            "candidates": candidates,
            "all_checked": request.GET.get("all") == "1",
            "copyable": sum(1 for c in candidates if c.copyable),
            "query": _without_all(request),
        },
    )


def _without_all(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("all", None)
    return query.urlencode()


def _copy_post(request: HttpRequest, year: int) -> HttpResponse:
    candidates = planning.copy_candidates(actor=request.user, year=year)
    form = CopyChoiceForm(request.POST, ids=[c.task.pk for c in candidates])
    if not form.is_valid():
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, message)
        return redirect(f"{reverse('plan_copy')}?year={year}")
    chosen = set(form.cleaned_data["task"])
    selected = [c for c in candidates if c.task.pk in chosen]
    if request.POST.get("action") == "copy":
        try:
            with once(request) as receipt:
                copies = planning.plan_copy(actor=request.user, year=year, ids=sorted(chosen))
                receipt.result_url = drafts_url(*_span(copies))
        except AlreadySubmitted as done:
            return already(request, done, reverse("task_list"))
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(
                request,
                _(
                    "Đã tạo %(n)s bản sao (dự thảo) cho năm %(year)s. Xem lại từng nhiệm vụ "
                    "rồi bấm “Giao nhiệm vụ”."
                )
                % {"n": len(copies), "year": year + 1},
            )
            return redirect(receipt.result_url)
    return render(
        request,
        "coordination/plan_copy.html",
        {
            "preview": True,
            "year": year,
            "target_year": year + 1,
            "candidates": selected,
            "copyable": sum(1 for c in selected if c.copyable),
        },
    )


def _span(tasks) -> tuple[dt.date, dt.date]:
    days = [t.due_date for t in tasks]
    return min(days), max(days)


# --- Import from .xlsx ----------------------------------------------------------------------


class PlanImportForm(PortalForm):
    file = forms.FileField(
        label=gettext_lazy("Tệp kế hoạch (.xlsx)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "Dùng tệp mẫu; tối đa %(n)s dòng nhiệm vụ, 1 MB. Chưa có gì được lưu cho đến khi "
            "anh/chị xem trước và bấm “Tạo các nhiệm vụ”."
        ) % {"n": planning.MAX_ROWS}


def _upload(request: HttpRequest, form: PlanImportForm) -> tuple[str, bytes] | None:
    """The file itself, or the one carried from the preview (base64 in a hidden field)."""
    upload = form.cleaned_data.get("file")
    if upload is not None:
        return upload.name, upload.read()
    name = request.POST.get("payload_name", "")
    try:
        content = base64.b64decode(request.POST.get("payload", ""), validate=True)
    except (binascii.Error, ValueError):
        content = b""
    return (name, content) if name and content else None


class _NotSaved(Exception):
    """The file has errors: nothing saved, the one-time token not spent."""

    def __init__(self, result):
        super().__init__()
        self.result = result


TEMPLATE_IMPORT = "coordination/plan_import.html"


@require_http_methods(["GET", "POST"])
def plan_import(request: HttpRequest) -> HttpResponse:
    """Upload and preview ("preview"), then create every row as a draft ("save")."""
    access.require(access.may_create_tasks(request.user))
    form = PlanImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, TEMPLATE_IMPORT, {"form": form})
    upload = _upload(request, form)
    if upload is None:
        form.add_error("file", _("Hãy chọn tệp kế hoạch (.xlsx)."))
        return render(request, TEMPLATE_IMPORT, {"form": form})
    name, content = upload
    if request.POST.get("action") == "save":
        outcome = _save_once(request, name, content)
        if isinstance(outcome, HttpResponse):
            return outcome
        result = outcome
    else:
        result = planning.parse_plan_file(actor=request.user, name=name, content=content)
    context = {
        "form": PlanImportForm(),
        "result": result,
        "payload": base64.b64encode(content).decode() if result.ok else "",
        "payload_name": name,
    }
    return render(request, TEMPLATE_IMPORT, context)


def _save_once(request: HttpRequest, name: str, content: bytes):
    """Create the plan once per form token: the redirect to the new drafts, the answer to
    a form sent twice, or the preview with why nothing was saved."""
    try:
        with once(request) as receipt:
            result, created = planning.plan_import(actor=request.user, name=name, content=content)
            if not created:
                raise _NotSaved(result)
            receipt.result_url = drafts_url(*_span(created))
    except _NotSaved as refused:
        return refused.result
    except AlreadySubmitted as done:
        return already(request, done, reverse("task_list"))
    except ValidationError as exc:
        _errors(request, exc)
        return planning.parse_plan_file(actor=request.user, name=name, content=content)
    messages.success(
        request,
        _(
            "Đã tạo %(n)s nhiệm vụ (dự thảo) từ tệp %(name)s. Xem lại từng nhiệm vụ rồi bấm "
            "“Giao nhiệm vụ”."
        )
        % {"n": len(created), "name": name},
    )
    return redirect(receipt.result_url)


@require_GET
def plan_template(request: HttpRequest) -> HttpResponse:
    access.require(access.may_create_tasks(request.user))
    response = HttpResponse(planning.template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-ke-hoach-nam.xlsx"'
    return response
