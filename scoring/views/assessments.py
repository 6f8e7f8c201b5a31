"""Assessment pages: self-assessment sheet, evidence, appraisal, explanation,
finalisation, appeals and history."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies import fragments
from agencies.confirm import confirmation
from agencies.files import download
from agencies.once import AlreadySubmitted, already, once
from scoring import access, selectors, services
from scoring.forms import (
    AppealDecideForm,
    AppealForm,
    EvidenceForm,
    parse_entries,
    parse_explanations,
)
from scoring.models import Appeal, Assessment, Evidence, Score
from scoring.views.common import _errors, _flash_errors, _flash_form


def _assessment(request: HttpRequest, pk: int) -> Assessment:
    return access.get_visible_or_404(
        Assessment.objects.select_related("period", "agency", "criteria_set"), request.user, pk=pk
    )


def _actions(request: HttpRequest, assessment: Assessment) -> dict:
    assignments = list(assessment.period.assignments.select_related("area"))
    area_ids = access.appraisal_area_ids(request.user, assessment, assignments)
    return access.assessment_actions(request.user, assessment, area_ids=area_ids)


def _keep_input(sheet, data) -> None:
    """Show what the user typed again after a refused save."""
    for area in sheet.areas:
        for row in area.rows:
            pk = row.criterion.pk
            if f"score_{pk}" in data:
                row.input_value = data.get(f"score_{pk}")
                row.input_note = data.get(f"note_{pk}", "")
                row.input_na = data.get(f"na_{pk}") == "on"
            if f"explanation_{pk}" in data:
                row.input_explanation = data.get(f"explanation_{pk}")


def _render_sheet(request, assessment, actions, *, template, errors=(), data=None, status=200):
    s = Assessment.Status
    own = request.user.agency_id == assessment.agency_id
    context = {
        "assessment": assessment,
        "period": assessment.period,
        "actions": actions,
        "errors": errors,
        "show_appraisal": assessment.status not in {s.DRAFT, s.SUBMITTED}
        or not own
        or actions["appraise"],
        "second_round": assessment.status in {s.EXPLANATION, s.REAPPRAISED, s.FINALISED},
        "attaches": actions["self_assess"] or actions["explain"] or actions["appeal"],
        "appeal_form": AppealForm(assessment=assessment) if actions["appeal"] else None,
        "decide_form": AppealDecideForm() if actions["decide_appeal"] else None,
        "submit_confirm": submit_confirmation(assessment) if actions["submit"] else None,
        "finalise_confirm": finalise_confirmation(assessment) if actions["finalise"] else None,
    }
    if template == APPRAISE:
        context["sheet"] = selectors.assessment_sheet(
            assessment,
            area_ids=actions["appraisal_area_ids"],
            self_area_ids=actions["self_area_ids"],
        )
        if data is not None:
            _keep_input(context["sheet"], data)
        return render(request, template, context, status=status)
    context.update(_sheet_parts(request, assessment, context, data))
    return render(request, template, context, status=status)


# Issue 14: the assessment page shows every area with its figures and the rows of one
# area (the one the user works on, or the one asked for: ``?area=<id>``, ``?area=all``);
# that part is cached per user until the data it shows changes (``agencies.fragments``).
SHEET_APPS = ("auth", "guardian", "agencies", "coordination", "reports", "scoring")
_STATS_END = "<!-- end of stats -->"


def _wanted_area(params) -> str:
    wanted = params.get("area", "")
    return wanted if wanted == "all" or wanted.isdigit() else ""


def _sheet_parts(request, assessment, context: dict, data) -> dict:
    """The header's figures and the sheet (its areas, rows and buttons), from the cache
    unless the page shows what was just typed or holds a form (an appeal's decision)."""
    # A refused post is shown again with what was typed: in the area it came from, or in
    # all of them when it does not say.
    wanted = _wanted_area(request.GET) if data is None else _wanted_area(data) or "all"
    live = data is not None or bool(context["errors"]) or context["decide_form"] is not None

    def build() -> str:
        sheet = selectors.assessment_sheet(
            assessment, self_area_ids=context["actions"]["self_area_ids"]
        )
        if data is not None:
            _keep_input(sheet, data)
        part = {**context, "sheet": sheet, **open_areas(sheet, context["actions"], wanted)}
        if context["attaches"]:
            part["evidence_form"] = _evidence_form(assessment, context["actions"])
        return (
            render_to_string("scoring/_assessment_stats.html", part)
            + _STATS_END
            + render_to_string("scoring/_assessment_sheet.html", part, request if live else None)
        )

    if live:
        html = build()
    else:
        html = fragments.cached(
            request,
            "scoring:sheet",
            apps_read=SHEET_APPS,
            vary=[assessment.pk, wanted],
            build=build,
        )
    stats, _end, sheet = html.partition(_STATS_END)
    return {"stats_part": mark_safe(stats), "sheet_part": mark_safe(sheet)}


def _evidence_form(assessment, actions: dict) -> EvidenceForm:
    """The evidence form's fields, in the cached sheet: they belong to the form "evidence"
    outside it (which holds the CSRF and one-time tokens)."""
    form = EvidenceForm(assessment=assessment, area_ids=actions["self_area_ids"])
    for field in form.fields.values():
        field.widget.attrs["form"] = "evidence"
    return form


SHEET_LABELS = {
    "code": _lazy("Mã"),
    "criterion": _lazy("Tiêu chí"),
    "max": _lazy("Tối đa"),
    "self": _lazy("Tự đánh giá"),
    "appraisal": _lazy("Thẩm định"),
    "explanation": _lazy("Giải trình"),
    "score": _lazy("Điểm"),
    "note": _lazy("Giải thích, căn cứ"),
    "na": _lazy("Không áp dụng"),
}


def _works_on(area, actions: dict) -> bool:
    """The user still has something to do in this area: scores to give, or appraisal
    comments to answer."""
    if actions["self_assess"]:
        editable = any(row.self_editable for row in area.rows)
        return editable and area.figures.self_done < area.figures.self_required
    if actions["explain"]:
        return any(row.differs for row in area.rows)
    return False


def open_areas(sheet, actions: dict, wanted: str) -> dict:
    """Which areas show their rows: all (``wanted`` = "all"), the one asked for, else the
    first the user has work in (else the first she may edit, else the first); each area's
    link, and the next area after the one open (for "Lưu nháp, mở lĩnh vực …")."""
    areas = sheet.areas
    if not areas:
        return {"open_areas": [], "labels": SHEET_LABELS}
    if wanted == "all":
        shown = areas
    else:
        asked = [a for a in areas if str(a.criterion.pk) == wanted]
        editable = [a for a in areas if any(row.self_editable for row in a.rows)]
        working = [a for a in areas if _works_on(a, actions)]
        shown = (asked or working or editable or areas)[:1]
    open_ids = {a.criterion.pk for a in shown}
    for area in areas:
        pk = area.criterion.pk
        area.is_open = pk in open_ids
        area.link = f"#a-{pk}" if area.is_open or wanted == "all" else f"?area={pk}#a-{pk}"
    following = areas[areas.index(shown[0]) + 1 :] if len(shown) == 1 else []
    return {
        "open_areas": shown,
        "all_open": wanted == "all",
        "several": len(areas) > 1,
        "next_area": following[0] if following else None,
        "editing": actions["self_assess"] or actions["explain"],
        "labels": SHEET_LABELS,
    }


@require_GET
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The assessment page. The assessment and the user's actions on it are fetched
    through the access rule once per user and data version (a 404 keeps nothing)."""

    def seen() -> tuple[Assessment, dict]:
        assessment = _assessment(request, pk)
        return assessment, _actions(request, assessment)

    assessment, actions = fragments.kept(
        request, "scoring:assessment", apps_read=SHEET_APPS, vary=[pk], build=seen
    )
    return _render_sheet(request, assessment, actions, template="scoring/assessment_detail.html")


def _leaf_codes(assessment: Assessment) -> dict[int, str]:
    """The sheet's criteria (id -> code): the only keys read from a posted sheet."""
    return dict(assessment.scores.values_list("criterion_id", "criterion__code"))


def _post_sheet(
    request, pk, *, flag, service, success, template, back, confirm=None
) -> HttpResponse:
    """Post the scoring sheet on screen to one service (save, or save and submit/complete):
    on any refusal nothing is saved and the sheet is shown again with what was typed.
    ``confirm(assessment)`` gives the confirmation's arguments for an irreversible act."""
    assessment = _assessment(request, pk)
    actions = _actions(request, assessment)
    access.require(actions[flag])
    # Only the self-assessment sheet has the "not applicable" boxes.
    entries, errors = parse_entries(
        request.POST, _leaf_codes(assessment), with_na=template == DETAIL
    )
    if not errors and confirm is not None:
        response = confirmation(request, **confirm(assessment))
        if response is not None:
            return response
    if not errors:
        try:
            result = service(actor=request.user, assessment=assessment, entries=entries)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, success(result))
            return _back(request, back, pk)
    return _render_sheet(
        request, assessment, actions, template=template, errors=errors, data=request.POST
    )


def _back(request, back: str, pk: int) -> HttpResponse:
    """Where a posted sheet returns: the assessment page opens the area the user asked
    for ("Lưu nháp, mở lĩnh vực …") or the one she was on."""
    url = reverse(back, args=[pk])
    if back == "assessment_detail":
        area = _wanted_area({"area": request.POST.get("next_area") or request.POST.get("area", "")})
        url += f"?area={area}" if area else ""
    return redirect(url)


DETAIL = "scoring/assessment_detail.html"
APPRAISE = "scoring/assessment_appraise.html"


@require_POST
def assessment_save(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_sheet(
        request,
        pk,
        flag="self_assess",
        service=services.score_self_assess,
        success=lambda n: _("Đã lưu %(n)s điểm.") % {"n": n},
        template=DETAIL,
        back="assessment_detail",
    )


def submit_confirmation(assessment: Assessment) -> dict:
    """What "Gửi bản tự đánh giá" does, said before it does it (page and dialog)."""
    return {
        "title": _("Gửi bản tự đánh giá của %(name)s?") % {"name": assessment.agency.name},
        "consequences": [
            _("Các điểm, giải thích và ô “không áp dụng” đang hiện trên trang được lưu và gửi."),
            _(
                "Sau khi gửi, cơ quan không sửa được điểm tự chấm; bản tự đánh giá chuyển "
                "sang thẩm định."
            ),
            _(
                "Nếu còn tiêu chí chưa có điểm, hoặc cần kiểm chứng mà chưa có tài liệu hay giải "
                "thích, bản không được gửi và không có thay đổi nào được lưu."
            ),
        ],
        "confirm_label": _("Gửi bản tự đánh giá"),
        "cancel_url": reverse("assessment_detail", args=[assessment.pk]),
    }


def finalise_confirmation(assessment: Assessment) -> dict:
    """What "Chốt kết quả" does, said before it does it (page and dialog)."""
    start, end = assessment.period.window("appeal")
    return {
        "title": _("Chốt kết quả của %(name)s?") % {"name": assessment.agency.name},
        "consequences": [
            _(
                "Điểm chính thức của từng tiêu chí được chốt: điểm thẩm định lại, nếu không có "
                "thì điểm thẩm định, nếu không có thì điểm tự chấm."
            ),
            _("Không ai sửa được điểm nữa; kết quả được đưa vào xếp hạng khi công bố."),
            _("Cơ quan chỉ còn kiến nghị được, từ %(start)s đến %(end)s.")
            % {"start": f"{start:%d/%m/%Y}", "end": f"{end:%d/%m/%Y}"},
        ],
        "confirm_label": _("Chốt kết quả"),
        "cancel_url": reverse("assessment_detail", args=[assessment.pk]),
    }


@require_POST
def assessment_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Gửi bản tự đánh giá": saves the sheet as typed and sends it, or neither (after
    the user confirms)."""
    return _post_sheet(
        request,
        pk,
        flag="submit",
        service=services.assessment_submit,
        success=lambda _a: _("Đã gửi bản tự đánh giá; bản này đã bị khóa."),
        template=DETAIL,
        back="assessment_detail",
        confirm=submit_confirmation,
    )


@require_POST
def assessment_appraisal_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Hoàn thành thẩm định": saves the appraisal as typed and closes the round, or neither."""
    return _post_sheet(
        request,
        pk,
        flag="complete_appraisal",
        service=services.assessment_appraisal_complete,
        success=lambda _a: _("Đã hoàn thành thẩm định."),
        template=APPRAISE,
        back="assessment_detail",
    )


@require_POST
def assessment_finalise(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    access.require(_actions(request, assessment)["finalise"])
    response = confirmation(request, **finalise_confirmation(assessment))
    if response is not None:
        return response
    try:
        services.assessment_finalise(actor=request.user, assessment=assessment)
        messages.success(request, _("Đã chốt kết quả."))
    except ValidationError as exc:
        _flash_errors(request, exc)
    return redirect("assessment_detail", pk=pk)


@require_POST
def assessment_explain(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the explanations on screen (and send them with "Gửi giải trình"), or nothing."""
    assessment = _assessment(request, pk)
    actions = _actions(request, assessment)
    access.require(actions["explain"])
    submit = request.POST.get("action") == "submit"
    try:
        services.assessment_explain(
            actor=request.user,
            assessment=assessment,
            explanations=parse_explanations(request.POST, _leaf_codes(assessment)),
            submit=submit,
        )
    except ValidationError as exc:
        return _render_sheet(
            request, assessment, actions, template=DETAIL, errors=_errors(exc), data=request.POST
        )
    messages.success(request, _("Đã gửi giải trình.") if submit else _("Đã lưu giải trình."))
    return _back(request, "assessment_detail", pk)


@require_http_methods(["GET", "POST"])
def assessment_appraise(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        return _post_sheet(
            request,
            pk,
            flag="appraise",
            service=services.score_appraise,
            success=lambda n: _("Đã lưu %(n)s điểm thẩm định.") % {"n": n},
            template=APPRAISE,
            back="assessment_appraise",
        )
    assessment = _assessment(request, pk)
    actions = _actions(request, assessment)
    if actions["appraiser"] and not actions["appraise"]:
        # A link from an assignment: say where the assessment is instead of refusing.
        messages.info(request, _not_open_message(assessment))
        return redirect("assessment_detail", pk=pk)
    access.require(actions["appraise"])
    return _render_sheet(request, assessment, actions, template=APPRAISE)


def _not_open_message(assessment: Assessment) -> str:
    if assessment.status == Assessment.Status.DRAFT:
        return _(
            "Bản đánh giá của %(name)s chưa đến bước thẩm định: cơ quan chưa gửi bản tự đánh giá."
        ) % {"name": assessment.agency.name}
    return _("Bản đánh giá của %(name)s không ở bước thẩm định (%(status)s).") % {
        "name": assessment.agency.name,
        "status": assessment.get_status_display(),
    }


@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    actions = _actions(request, assessment)
    access.require(actions["self_assess"] or actions["explain"] or actions["appeal"])
    form = EvidenceForm(
        request.POST, request.FILES, assessment=assessment, area_ids=actions["self_area_ids"]
    )
    if not form.is_valid():
        _flash_form(request, form)
        return redirect("assessment_detail", pk=pk)
    data = form.cleaned_data
    back = reverse("assessment_detail", args=[pk])
    try:
        with once(request) as receipt:
            services.evidence_add(
                actor=request.user,
                assessment=assessment,
                upload=data["file"],
                score_ids=[s.pk for s in data["scores"]],
                document_number=data["document_number"],
                document_date=data["document_date"],
                section=data["section"],
            )
            receipt.result_url = back
        messages.success(request, _("Đã đính kèm tài liệu kiểm chứng."))
    except AlreadySubmitted as done:
        return already(request, done, back)
    except ValidationError as exc:
        _flash_errors(request, exc)
    return redirect(back)


@require_GET
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    evidence = access.get_visible_or_404(Evidence.objects, request.user, pk=pk)
    return download(evidence)


@require_POST
def appeal_submit(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    access.require(_actions(request, assessment)["appeal"])
    form = AppealForm(request.POST, assessment=assessment)
    if not form.is_valid():
        _flash_form(request, form)
        return redirect("assessment_detail", pk=pk)
    back = reverse("assessment_detail", args=[pk])
    try:
        with once(request) as receipt:
            services.appeal_submit(actor=request.user, **form.cleaned_data)
            receipt.result_url = back
        messages.success(request, _("Đã gửi kiến nghị."))
    except AlreadySubmitted as done:
        return already(request, done, back)
    except ValidationError as exc:
        _flash_errors(request, exc)
    return redirect(back)


@require_POST
def appeal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = access.get_visible_or_404(
        Appeal.objects.select_related("score__assessment__period"), request.user, pk=pk
    )
    assessment = appeal.score.assessment
    access.require(access.may_finalise(request.user, assessment.period))
    form = AppealDecideForm(request.POST)
    if not form.is_valid():
        _flash_form(request, form)
        return redirect("assessment_detail", pk=assessment.pk)
    try:
        services.appeal_decide(actor=request.user, appeal=appeal, **form.cleaned_data)
        messages.success(request, _("Đã ghi quyết định về kiến nghị."))
    except ValidationError as exc:
        _flash_errors(request, exc)
    return redirect("assessment_detail", pk=assessment.pk)


SCORE_FIELDS = [
    ("not_applicable", _("không áp dụng")),
    ("self_score", _("điểm tự đánh giá")),
    ("self_note", _("giải thích")),
    ("appraised_score", _("điểm thẩm định")),
    ("appraisal_note", _("ý kiến thẩm định")),
    ("explanation", _("giải trình")),
    ("second_score", _("điểm thẩm định lại")),
    ("second_note", _("ý kiến thẩm định lại")),
    ("final_score", _("điểm chính thức")),
]


@require_GET
def assessment_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Who changed which score, when, from what to what, and why (two queries)."""
    assessment = _assessment(request, pk)
    codes = dict(assessment.criteria_set.criteria.values_list("pk", "code"))
    records = (
        Score.history.filter(assessment_id=assessment.pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    previous: dict[int, object] = {}
    entries = []
    for record in records:
        before = previous.get(record.id)
        previous[record.id] = record
        if before is None:
            continue
        changes = [
            (label, getattr(before, name), getattr(record, name))
            for name, label in SCORE_FIELDS
            if getattr(before, name) != getattr(record, name)
        ]
        if changes:
            entries.append(
                {"record": record, "code": codes.get(record.criterion_id, ""), "changes": changes}
            )
    entries.sort(key=lambda e: e["record"].history_date, reverse=True)
    steps = list(assessment.history.select_related("history_user").order_by("-history_date"))
    return render(
        request,
        "scoring/assessment_history.html",
        {"assessment": assessment, "entries": entries, "steps": steps},
    )
