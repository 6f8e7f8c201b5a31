"""The reorganisation pages (Nội vụ officers and administrators): the plans, a plan file or a
one-off change entered, the preview of what moves, and "Áp dụng phương án" once. Thin views
over ``reorg.services`` and ``reorg.preview``; docs/reorganisation.md."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from agencies.access import get_visible_or_404, require
from agencies.confirm import confirmation
from agencies.models import Agency
from agencies.once import AlreadySubmitted, already, once
from reorg import services
from reorg.access import manages_plans
from reorg.forms import ChangeForm, PlanUploadForm, posted_choices
from reorg.models import Change, Plan
from reorg.preview import checked_choices, choice_key, plan_preview

LIST = "reorg/plan_list.html"
DETAIL = "reorg/plan_detail.html"


def _plan(request: HttpRequest, pk: int) -> Plan:
    require(manages_plans(request.user))
    return get_visible_or_404(
        Plan.objects.select_related("created_by", "applied_by"), request.user, pk=pk
    )


def _render_list(
    request: HttpRequest,
    *,
    upload: PlanUploadForm | None = None,
    change: ChangeForm | None = None,
    errors: list[str] | None = None,
    errors_of: str = "",
) -> HttpResponse:
    plans = Plan.objects.visible_to(request.user).select_related("created_by", "applied_by")
    return render(
        request,
        LIST,
        {
            "plans": list(plans),
            "upload_form": upload or PlanUploadForm(),
            "change_form": change or ChangeForm(),
            "errors": errors or [],
            "errors_of": errors_of,
        },
    )


@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    require(manages_plans(request.user))
    return _render_list(request)


def _created(request: HttpRequest, plan: Plan) -> HttpResponse:
    messages.success(
        request,
        _(
            "Đã lưu phương án “%(title)s” (chưa áp dụng). Xem trước những gì thay đổi rồi bấm "
            "“Áp dụng phương án”."
        )
        % {"title": plan.title},
    )
    return redirect("reorg_plan", pk=plan.pk)


@require_POST
def plan_upload(request: HttpRequest) -> HttpResponse:
    """A plan file: read and checked by the service, stored as a draft, or refused with
    its line-numbered errors and nothing stored."""
    require(manages_plans(request.user))
    form = PlanUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_list(request, upload=form, errors_of="upload")
    try:
        with once(request) as receipt:
            plan = services.plan_from_file(actor=request.user, upload=form.cleaned_data["file"])
            receipt.result_url = reverse("reorg_plan", args=[plan.pk])
    except AlreadySubmitted as done:
        return already(request, done, reverse("reorg_plans"))
    except ValidationError as exc:
        return _render_list(request, upload=form, errors=exc.messages, errors_of="upload")
    return _created(request, plan)


@require_POST
def plan_change(request: HttpRequest) -> HttpResponse:
    """A one-off change typed in the form: one row of a plan, stored as a draft."""
    require(manages_plans(request.user))
    form = ChangeForm(request.POST)
    if not form.is_valid():
        return _render_list(request, change=form, errors_of="change")
    try:
        with once(request) as receipt:
            plan = services.plan_create(
                actor=request.user, rows=form.rows(), title=form.title(), source_name=""
            )
            receipt.result_url = reverse("reorg_plan", args=[plan.pk])
    except AlreadySubmitted as done:
        return already(request, done, reverse("reorg_plans"))
    except ValidationError as exc:
        return _render_list(request, change=form, errors=exc.messages, errors_of="change")
    return _created(request, plan)


def _change_label(value: str) -> str:
    try:
        return Change(value).label
    except ValueError:
        return value


def _kind_label(value: str) -> str:
    try:
        return Agency.Kind(value).label
    except ValueError:
        return value or ""


def _ending_rows(ending, posted) -> list[dict]:
    """The preview's ended bodies, ready for the template: each choosable line with its
    options and the one selected (what was posted, else the default successor)."""
    rows = []
    for body in ending:
        lines = []
        for line in body.lines:
            key = choice_key(body.agency.code, line.key)
            chosen = posted.get(f"choice:{key}") or (
                line.successor.code if line.successor else body.default.code
            )
            options = (
                [(a.code, a.name, a.code == chosen) for a in body.successors]
                if line.choosable
                else []
            )
            lines.append({"line": line, "options": options, "key": key})
        rows.append(
            {
                "agency": body.agency,
                "change": _change_label(body.change),
                "successors": body.successors,
                "default": body.default,
                "lines": lines,
                "users": body.users,
            }
        )
    return rows


def apply_confirmation(plan: Plan, preview) -> dict:
    """What "Áp dụng phương án" does, said before it does it (page and dialog)."""
    day = f"{plan.effective_date:%d/%m/%Y}"
    lines = sum(len(body.lines) for body in preview.ending)
    users = sum(len(body.users) for body in preview.ending)
    return {
        "title": _("Áp dụng phương án “%(title)s”?") % {"title": plan.title},
        "consequences": [
            _(
                "%(ended)s cơ quan kết thúc hoạt động từ ngày %(day)s; %(lines)s việc đang mở "
                "chuyển sang cơ quan kế thừa như trong bảng xem trước."
            )
            % {"ended": len(preview.ending), "day": day, "lines": lines},
            _("%(created)s cơ quan được thành lập, %(renamed)s cơ quan đổi tên.")
            % {"created": len(preview.created), "renamed": len(preview.renamed)},
            _(
                "%(users)s tài khoản của các cơ quan kết thúc chuyển sang cơ quan kế thừa, hoặc "
                "bị khóa nếu anh/chị đã chọn ô khóa tài khoản."
            )
            % {"users": users},
            _(
                "Việc đã đóng, báo cáo, điểm và văn bản đã ban hành giữ nguyên cơ quan và tên "
                "của ngày đó. Phương án chỉ áp dụng một lần và không hoàn tác được."
            ),
        ],
        "confirm_label": _("Áp dụng phương án"),
        "cancel_url": reverse("reorg_plan", args=[plan.pk]),
    }


def discard_confirmation(plan: Plan) -> dict:
    return {
        "title": _("Bỏ phương án “%(title)s”?") % {"title": plan.title},
        "consequences": [
            _("Phương án chưa áp dụng bị xóa; không cơ quan nào thay đổi."),
            _("Muốn dùng lại, anh/chị tải tệp lên hoặc nhập lại."),
        ],
        "confirm_label": _("Bỏ phương án"),
        "cancel_url": reverse("reorg_plan", args=[plan.pk]),
    }


def _render_plan(request: HttpRequest, plan: Plan, *, errors=(), posted=None) -> HttpResponse:
    context = {"plan": plan, "errors": list(errors), "summary": _summary(plan)}
    if not plan.is_applied:
        preview = plan_preview(plan)
        context.update(
            preview=preview,
            created=[(row, _kind_label(row.to_kind)) for row in preview.created],
            ending=_ending_rows(preview.ending, posted or {}),
            apply=apply_confirmation(plan, preview),
            discard=discard_confirmation(plan),
            deactivate=(posted or {}).get("deactivate_users") == "1",
        )
    return render(request, DETAIL, context)


# What each app's handover counted, by the app's name in the stored summary.
MOVED_LABELS = {
    "coordination": _lazy("Nhiệm vụ, lượt tham gia phối hợp"),
    "reports": _lazy("Nghĩa vụ báo cáo"),
    "scoring": _lazy("Bài tự chấm điểm"),
    "users": _lazy("Tài khoản"),
}


def _summary(plan: Plan) -> dict:
    """The applied plan's summary (``Plan.summary``) with the bodies it names (one query)."""
    if not plan.is_applied or not isinstance(plan.summary, dict):
        return {}
    stored = plan.summary
    ended = stored.get("ended") or {}
    codes = set(ended) | set(stored.get("created", [])) | set(stored.get("renamed", []))
    for row in ended.values():
        codes |= set(row.get("successors", []))
    bodies = {a.code: a for a in Agency.objects.filter(code__in=codes)}

    def body(code: str):
        return bodies.get(code) or code

    return {
        "ended": [
            {
                "agency": body(code),
                "name": row.get("name", code),
                "successors": [body(c) for c in row.get("successors", [])],
                "default": body(row.get("default", "")),
                "moved": [(label, row[key]) for key, label in MOVED_LABELS.items() if row.get(key)],
            }
            for code, row in ended.items()
        ],
        "created": [body(c) for c in stored.get("created", [])],
        "renamed": [body(c) for c in stored.get("renamed", [])],
    }


@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview of a draft (what is created, ends, is renamed and moves), or the summary
    of what moved when the plan was applied."""
    return _render_plan(request, _plan(request, pk))


@require_POST
def plan_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Áp dụng phương án", after the officer confirms: the whole plan in one transaction,
    with the successors picked for a split's items; refused once applied."""
    plan = _plan(request, pk)
    if plan.is_applied:
        messages.error(request, _("Phương án này đã được áp dụng; không áp dụng lại."))
        return redirect("reorg_plan", pk=plan.pk)
    preview = plan_preview(plan)
    choices = posted_choices(request.POST)
    try:
        checked_choices(preview, choices)  # refused before the confirmation page, too
    except ValidationError as exc:
        return _render_plan(request, plan, errors=exc.messages, posted=request.POST)
    response = confirmation(request, **apply_confirmation(plan, preview))
    if response is not None:
        return response
    try:
        services.plan_apply(
            plan,
            actor=request.user,
            choices=choices,
            deactivate_users=request.POST.get("deactivate_users") == "1",
        )
    except ValidationError as exc:
        plan.refresh_from_db()
        return _render_plan(request, plan, errors=exc.messages, posted=request.POST)
    messages.success(request, _("Đã áp dụng phương án “%(title)s”.") % {"title": plan.title})
    return redirect("reorg_plan", pk=plan.pk)


@require_POST
def plan_discard(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    response = confirmation(request, **discard_confirmation(plan))
    if response is not None:
        return response
    try:
        services.plan_discard(plan, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("reorg_plan", pk=plan.pk)
    messages.success(request, _("Đã bỏ phương án “%(title)s”.") % {"title": plan.title})
    return redirect("reorg_plans")
