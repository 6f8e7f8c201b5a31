"""Thin function views: fetch through the access layer, bind a form, call one service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies import fragments, validators
from agencies.files import download
from agencies.once import AlreadySubmitted, already, once
from coordination import access, confirmations, reminders, selectors, services
from coordination import timeliness as tl
from coordination.forms import (
    NOMINATION_FIELDS,
    ContributionForm,
    NominationFormSet,
    ParticipantsForm,
    ReasonForm,
    ReviewForm,
    TaskCreateForm,
    TaskEditForm,
    clean_nominations,
    deadline_preview_count,
)
from coordination.models import Attachment, Notification, Participation, Task

PAGE_SIZE = 25
# What the item pages and lists show (``agencies.fragments``: the cached part is
# rendered again once any of these apps' tables is written).
LIST_APPS = ("auth", "guardian", "agencies", "coordination")


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _task(request: HttpRequest, pk: int) -> Task:
    return access.get_visible_or_404(
        tl.with_task_timeliness(Task.objects.select_related("chair_agency", "tracking_agency")),
        request.user,
        pk=pk,
    )


@require_GET
def task_export(request: HttpRequest) -> HttpResponse:
    """The list as filtered on screen, in Excel. Stored and generated documents are the
    reports app's (built in the request when small, else by a job); this app may not read
    reports, so its export address hands over to reports' with the same filter."""
    query = request.GET.urlencode()
    return redirect(reverse("task_export_file") + (f"?{query}" if query else ""))


def task_create(request: HttpRequest) -> HttpResponse:
    access.require(access.is_noivu_officer(request.user))
    form = TaskCreateForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        contributors = list(data["contributors"])
        try:
            with once(request) as receipt:
                task = _create_task(request, data, contributors)
                receipt.result_url = reverse("task_detail", args=[task.pk])
        except AlreadySubmitted as done:
            return already(request, done, reverse("task_list"))
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(
                request,
                _(
                    "Đã tạo nhiệm vụ (dự thảo), hạn %(d)s. "
                    "Bấm “Giao nhiệm vụ” để gửi cho các cơ quan."
                )
                % {"d": task.due_date.strftime("%d/%m/%Y")},
            )
            return redirect("task_detail", pk=task.pk)
    return render(request, "coordination/task_form.html", {"form": form, "creating": True})


def _create_task(request: HttpRequest, data: dict, contributors: list) -> Task:
    return services.task_create(
        actor=request.user,
        title=data["title"],
        category=data["category"],
        legal_basis=data["legal_basis"],
        description=data["description"],
        due_date=data["due_date"],
        parent=data["parent"],
        recurrence=data["recurrence"] or "",
        silence_means_agreement=data["silence_means_agreement"],
        files=data["files"],
        spec=services.ParticipantSpec(
            chair=data["chair"],
            tracker=data["tracker"],
            contributors=contributors,
            contributor_due_dates={a.pk: data["contributor_due_date"] for a in contributors},
        ),
    )


@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The item page. Its parts are cached for the user at the data version; the access
    check is part of building them, so a user who may not see the item gets a 404 and
    nothing is kept, and a user who saw it at this version reads it with no query."""

    def detail_part() -> dict[str, str]:
        task = _task(request, pk)  # 404 for an item the user may not see
        actions = access.task_actions(request.user, task)
        contributions = selectors.task_contributions(task, request.user)
        participants = selectors.task_participants(task)
        own = next((p for p in participants if p.agency_id == request.user.agency_id), None)
        columns = selectors.contributions_side_by_side(contributions)
        body = fragments.render(
            "coordination/_task_detail_body.html",
            {
                "request": request,  # the reminder links ask the user's roles
                "user": request.user,
                "task": task,
                "confirm": confirmations.for_detail(task, actions, participants, columns),
                "state": task.timeliness,
                "state_label": tl.LABELS[task.timeliness],
                "actions": actions,
                "participants": participants,
                "own": own,
                "columns": columns,
                "attachments": [a for a in task.attachments.all() if a.contribution_id is None],
                "rollup": selectors.task_family(task, request.user),
                "review_form": ReviewForm(),
                "reason_form": ReasonForm(),
            },
        )
        return {"title": conditional_escape(task.title), "body": body}

    parts = fragments.cached(
        request, "tasks:detail", apps_read=LIST_APPS, vary=[pk], build=detail_part
    )
    return render(request, "coordination/task_detail.html", {"parts": parts})


def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    actions = access.task_actions(request.user, task)
    access.require(actions["edit"])
    form = TaskEditForm(
        request.POST or None,
        instance=task,
        user=request.user,
        all_fields=actions["edit_all_fields"],
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.task_update(
                actor=request.user,
                task=task,
                expected_version=form.cleaned_data["version"],
                changes=changes,
            )
        except services.ConcurrentEditError as exc:
            conflict = exc.current
            _errors(request, exc)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Đã lưu thay đổi."))
            return redirect("task_detail", pk=task.pk)
    return render(
        request,
        "coordination/task_form.html",
        {"form": form, "task": task, "creating": False, "conflict": conflict},
    )


def task_participants(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    access.require(access.task_actions(request.user, task)["set_participants"])
    form = ParticipantsForm(request.POST or None, task=task)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.task_set_participants(
                actor=request.user,
                task=task,
                spec=services.ParticipantSpec(
                    chair=data["chair"],
                    tracker=data["tracker"],
                    contributors=list(data["contributors"]),
                    contributor_due_dates=form.contributor_due_dates(),
                ),
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Đã cập nhật cơ quan tham gia và quyền truy cập."))
            return redirect("task_detail", pk=task.pk)
    return render(request, "coordination/task_participants.html", {"form": form, "task": task})


def _post_action(
    request: HttpRequest, pk: int, run, success: str, confirm=None, task: Task | None = None
) -> HttpResponse:
    """Run one act on the item. ``confirm(task)`` gives the confirmation texts when the
    act may be done now (else ``None``: the service refuses it in words)."""
    task = task or _task(request, pk)
    texts = confirm(task) if confirm else None
    if texts:
        response = confirmations.ask(request, texts, task)
        if response is not None:
            return response
    try:
        run(task)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, success)
    return redirect("task_detail", pk=task.pk)


@require_POST
def task_assign(request: HttpRequest, pk: int) -> HttpResponse:
    def confirm(task):
        if not access.task_actions(request.user, task)["assign"]:
            return None
        return confirmations.assign(task, list(task.participations.select_related("agency")))

    return _post_action(
        request,
        pk,
        lambda task: services.task_assign(actor=request.user, task=task),
        _("Đã giao nhiệm vụ; các cơ quan tham gia đã được thông báo."),
        confirm,
    )


@require_POST
def task_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST)
    task = _task(request, pk)
    access.require(access.task_actions(request.user, task)["cancel"])

    def cancel(task):
        services.task_cancel(actor=request.user, task=task, reason=_reason(form))

    def confirm(task):
        # Nothing to confirm while the reason is missing: the service says so.
        typed = form.is_valid() and form.cleaned_data["reason"]
        return confirmations.cancel(task) if typed else None

    return _post_action(request, pk, cancel, _("Đã hủy nhiệm vụ."), confirm, task=task)


def _reason(form: ReasonForm) -> str:
    """The typed reason, or ValidationError with the form's own messages (too long, …)."""
    if form.is_valid():
        return form.cleaned_data["reason"]
    raise ValidationError([m for errors in form.errors.values() for m in errors])


@require_POST
def task_review(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReviewForm(request.POST)
    if not form.is_valid():
        task = _task(request, pk)
        access.require(access.task_actions(request.user, task)["review"])
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("task_detail", pk=pk)
    accept = form.cleaned_data["decision"] == "accept"

    def confirm(task):
        # Accepting closes the item; a return can be answered by a new version.
        ok = accept and access.task_actions(request.user, task)["review"]
        return confirmations.task_accept(task) if ok else None

    return _post_action(
        request,
        pk,
        lambda task: services.task_review(
            actor=request.user, task=task, accept=accept, reason=form.cleaned_data["reason"]
        ),
        _("Đã chấp nhận kết quả, nhiệm vụ hoàn thành.")
        if accept
        else _("Đã trả lại cơ quan chủ trì."),
        confirm,
    )


@require_POST
def task_remind(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    try:
        agency_ids = [
            validators.parse_integer(x, minimum=1, maximum=validators.INTEGER_MAX)
            for x in request.POST.getlist("agency")
        ]
    except ValidationError:
        messages.error(request, _("Danh sách cơ quan cần nhắc không hợp lệ; chưa gửi nhắc việc."))
        return redirect("task_detail", pk=task.pk)
    agency_ids = [x for x in agency_ids if x is not None]
    if access.task_actions(request.user, task)["remind"]:
        parts = reminders.pending_participations().filter(task=task)
        parts = list(parts.filter(agency_id__in=agency_ids) if agency_ids else parts)
        if parts:  # nobody to remind: the service says so
            response = confirmations.ask(request, confirmations.remind(parts), task)
            if response is not None:
                return response
    try:
        count = reminders.task_remind(actor=request.user, task=task, agency_ids=agency_ids or None)
    except OSError:
        messages.error(request, _("Máy chủ thư điện tử không phản hồi; chưa gửi được nhắc việc."))
    else:
        if count:
            messages.success(request, _("Đã gửi nhắc việc tới %(n)s cơ quan.") % {"n": count})
        else:
            messages.info(request, _("Không có cơ quan nào cần nhắc."))
    return redirect("task_detail", pk=task.pk)


def _contribution_forms(request: HttpRequest, source) -> tuple:
    """The contribution form and the nomination rows, starting from ``source``: the saved
    draft, else the previous version (a revision starts from what was sent last)."""
    initial, rows = {}, []
    if source is not None:
        initial = {
            "form": source.form,
            "body": source.body,
            "document_number": source.document_number,
        }
        rows = [{k: getattr(n, k) for k in NOMINATION_FIELDS} for n in source.nominations.all()]
    form = ContributionForm(request.POST or None, request.FILES or None, initial=initial)
    formset = NominationFormSet(
        request.POST or None, prefix="nom", initial=None if request.method == "POST" else rows
    )
    return form, formset


def contribution_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Save a draft or submit what is on screen ("Gửi" saves and submits in one service
    call); the service decides every rule. Long only by the form and formset
    plumbing of a page with two buttons."""
    task = _task(request, pk)
    actions = access.task_actions(request.user, task)
    access.require(actions["draft"])
    part = access.get_visible_or_404(
        tl.with_timeliness(task.participations.exclude(role="track")),
        request.user,
        agency_id=request.user.agency_id,
    )
    versions = list(part.contributions.order_by("-version").prefetch_related("attachments"))
    draft = next((c for c in versions if c.submitted_at is None), None)
    source = draft or (versions[0] if versions else None)
    version = draft.version if draft else (versions[0].version + 1 if versions else 1)
    form, formset = _contribution_forms(request, source)
    keep = _kept_ids(request, source)
    can_submit = actions["consolidate"] if part.role == "chair" else actions["contribute"]
    submit_confirm = confirmations.submit(part, version)
    if request.method == "POST" and form.is_valid() and keep is not False:
        submit = "submit" in request.POST
        # Files cannot be re-posted from a page: a form with files confirms in the
        # browser only (docs/confirmations.md).
        if submit and can_submit and not request.FILES:
            response = confirmations.ask(request, submit_confirm, task)
            if response is not None:
                return response
        try:
            with once(request) as receipt:
                services.contribution_save(
                    actor=request.user,
                    task=task,
                    form=form.cleaned_data["form"],
                    body=form.cleaned_data["body"],
                    document_number=form.cleaned_data["document_number"],
                    nominations=clean_nominations(formset),
                    files=form.cleaned_data["files"],
                    keep_files=keep,
                    submit=submit,
                )
                receipt.result_url = reverse("task_detail", args=[task.pk])
        except AlreadySubmitted as done:
            return already(request, done, reverse("task_detail", args=[task.pk]))
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Đã gửi.") if submit else _("Đã lưu dự thảo."))
            return redirect("task_detail", pk=task.pk)
    return render(
        request,
        "coordination/contribution_form.html",
        {
            "task": task,
            "part": part,
            "form": form,
            "formset": formset,
            "can_submit": can_submit,
            "submit_confirm": submit_confirm,
            "source": source,
            "is_revision": source is not None and draft is None,
            "existing_files": list(source.attachments.all()) if source else [],
            "kept": set(keep) if isinstance(keep, list) else None,
            "columns": _other_columns(request, task, part),
        },
    )


def _kept_ids(request: HttpRequest, source) -> list[int] | None | bool:
    """The ids of the files already there that the user kept ticked (``None`` when the
    form showed none; ``False``, with a message, when the list is not ids)."""
    if request.method != "POST" or "files_shown" not in request.POST:
        if request.method == "POST":
            return None
        return [a.pk for a in source.attachments.all()] if source else []
    try:
        ids = [
            validators.parse_integer(x, minimum=1, maximum=validators.INTEGER_MAX)
            for x in request.POST.getlist("keep")
        ]
    except ValidationError:
        messages.error(request, _("Danh sách tệp giữ lại không hợp lệ; chưa lưu gì."))
        return False
    return [x for x in ids if x is not None]


def _other_columns(request: HttpRequest, task: Task, part: Participation) -> list:
    """For the chairing body: what the other bodies sent, beside its own form."""
    if part.role != "chair":
        return []
    contributions = selectors.task_contributions(task, request.user)
    columns = selectors.contributions_side_by_side(contributions)
    return [c for c in columns if c["participation"].pk != part.pk]


@require_POST
def participation_review(request: HttpRequest, pk: int, part_pk: int) -> HttpResponse:
    form = ReviewForm(request.POST)
    task = _task(request, pk)
    part = access.get_visible_or_404(task.participations, request.user, pk=part_pk)
    access.require(access.task_actions(request.user, task)["review_contributions"])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("task_detail", pk=pk)
    accept = form.cleaned_data["decision"] == "accept"
    return _post_action(
        request,
        pk,
        lambda t: services.participation_review(
            actor=request.user,
            participation=part,
            accept=accept,
            reason=form.cleaned_data["reason"],
        ),
        _("Đã chấp nhận nội dung của %(a)s.") % {"a": part.agency.name}
        if accept
        else _("Đã trả lại %(a)s.") % {"a": part.agency.name},
        lambda t: (
            confirmations.part_accept(part)
            if accept and part.status == Participation.Status.SUBMITTED
            else None
        ),
        task=task,
    )


@require_POST
def participation_exempt(request: HttpRequest, pk: int, part_pk: int) -> HttpResponse:
    task = _task(request, pk)
    part = access.get_visible_or_404(task.participations, request.user, pk=part_pk)
    form = ReasonForm(request.POST)
    access.require(access.task_actions(request.user, task)["exempt"])

    def exempt(t):
        services.participation_exempt(actor=request.user, participation=part, reason=_reason(form))

    def confirm(t):
        open_ = part.role == Participation.Role.CONTRIBUTE and part.status not in {
            Participation.Status.ACCEPTED,
            Participation.Status.EXEMPT,
        }
        typed = form.is_valid() and form.cleaned_data["reason"]
        return confirmations.exempt(part) if open_ and typed else None

    return _post_action(
        request,
        pk,
        exempt,
        _("Đã miễn thực hiện cho %(a)s.") % {"a": part.agency.name},
        confirm,
        task=task,
    )


@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = access.get_visible_or_404(
        Attachment.objects.select_related("contribution__participation"), request.user, pk=pk
    )
    return download(attachment)


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    items = Paginator(
        Notification.objects.filter(user=request.user).select_related("task"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "coordination/notification_list.html", {"page": items})


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    messages.success(request, _("Đã đánh dấu tất cả thông báo là đã đọc."))
    return redirect("notification_list")


@require_GET
def deadline_preview(request: HttpRequest) -> JsonResponse:
    """The item form's deadline before saving: ``days`` working days from ``start`` (today
    when empty), the date it falls on and the days off skipped (``coordination.calendar``),
    as data and as the HTML the form shows (``coordination/_deadline_preview.html``)."""
    access.require(access.may_create_tasks(request.user))
    try:
        count = deadline_preview_count(request.GET)
    except ValidationError as exc:
        return JsonResponse({"ok": False, "errors": exc.message_dict}, status=400)
    html = render_to_string("coordination/_deadline_preview.html", {"count": count})
    return JsonResponse(
        {
            "ok": True,
            "start": count.start.isoformat(),
            "days": count.days,
            "due": count.due.isoformat(),
            "skipped": [
                {"date": off.day.isoformat(), "holiday": off.holiday} for off in count.skipped
            ],
            "html": html,
        }
    )
