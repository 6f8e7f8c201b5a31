"""Scoring period pages: create, detail, assignments, publication, results, export."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies import fragments
from agencies.confirm import confirmation
from agencies.once import AlreadySubmitted, already, once
from scoring import access, selectors, services
from scoring.figures import figure
from scoring.forms import AssignmentForm, PeriodEditForm, PeriodForm, PublishForm
from scoring.models import ScoringPeriod
from scoring.views.common import _errors, _flash_errors


@require_http_methods(["GET", "POST"])
def period_create(request: HttpRequest) -> HttpResponse:
    access.require(access.manages_scoring(request.user))
    form = PeriodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with once(request) as receipt:
                period = _create_period(request, form, data)
                receipt.result_url = reverse("period_detail", args=[period.pk])
        except AlreadySubmitted as done:
            return already(request, done, reverse("scoring_home"))
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, _("Đã mở đợt chấm điểm."))
            return redirect("period_detail", pk=period.pk)
    return render(request, "scoring/period_form.html", {"form": form})


def _create_period(request: HttpRequest, form: PeriodForm, data: dict) -> ScoringPeriod:
    return services.period_create(
        actor=request.user,
        year=data["year"],
        title=data["title"],
        windows=form.windows(),
        agencies=list(data["agencies"]),
        department_set=data["department_set"],
        district_set=data["district_set"],
        commune_set=data["commune_set"],
        province_set=data["province_set"],
        publication_date=data["publication_date"],
        bands=data["bands"],
        council_chair=data["council_chair"],
    )


@require_http_methods(["GET", "POST"])
def period_edit(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(access.manages_scoring(request.user))
    period = access.get_visible_or_404(ScoringPeriod.objects, request.user, pk=pk)
    form = PeriodEditForm(request.POST or None, initial=PeriodEditForm.initial_for(period))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.period_update(
                actor=request.user,
                period=period,
                title=data["title"],
                windows=form.windows(),
                publication_date=data["publication_date"],
                bands=data["bands"],
                council_chair=data["council_chair"],
            )
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, _("Đã cập nhật đợt chấm điểm."))
            return redirect("period_detail", pk=pk)
    return render(request, "scoring/period_form.html", {"form": form, "period": period})


@require_GET
def period_detail(request: HttpRequest, pk: int) -> HttpResponse:
    period = access.get_visible_or_404(
        ScoringPeriod.objects.select_related(
            "department_set", "district_set", "commune_set", "province_set", "council_chair"
        ),
        request.user,
        pk=pk,
    )
    manages = access.manages_scoring(request.user)
    assignments = []
    if manages:
        assignments = list(period.assignments.select_related("user", "assessment__agency", "area"))
    return render(
        request,
        "scoring/period_detail.html",
        {
            "period": period,
            "assessments": selectors.period_assessments(period, request.user),
            "assignments": assignments,
            "assignment_form": AssignmentForm(period=period) if manages else None,
            "manages": manages,
        },
    )


@require_POST
def assignment_add(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(access.manages_scoring(request.user))
    period = access.get_visible_or_404(ScoringPeriod.objects, request.user, pk=pk)
    form = AssignmentForm(request.POST, period=period)
    if form.is_valid():
        try:
            with once(request) as receipt:
                services.assignment_add(actor=request.user, period=period, **form.cleaned_data)
                receipt.result_url = reverse("period_detail", args=[pk])
            messages.success(request, _("Đã phân công thẩm định."))
        except AlreadySubmitted as done:
            return already(request, done, reverse("period_detail", args=[pk]))
        except ValidationError as exc:
            _flash_errors(request, exc)
    else:
        messages.error(request, _("Thông tin phân công không hợp lệ."))
    return redirect("period_detail", pk=pk)


@require_http_methods(["GET", "POST"])
def period_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish the ranking: a reason for each ranked body not finalised (left out of the
    ranking), then a confirmation saying what will happen, then the service."""
    access.require(access.manages_scoring(request.user))
    period = access.get_visible_or_404(ScoringPeriod.objects, request.user, pk=pk)
    if period.is_published:
        messages.info(request, _("Kết quả của đợt này đã được công bố."))
        return redirect("period_results", pk=pk)
    pending = list(services.publication_pending(period))
    form = PublishForm(request.POST or None, pending=pending)
    if request.method == "POST" and form.is_valid():
        exclusions = form.exclusions()
        for message in services.exclusion_problems(pending, exclusions):
            form.add_error(None, message)
    if request.method == "POST" and form.is_valid():
        response = confirmation(
            request,
            title=_("Công bố kết quả %(title)s?") % {"title": period.title},
            consequences=_publish_consequences(period, pending, exclusions),
            confirm_label=_("Công bố kết quả"),
            cancel_url=reverse("period_publish", args=[pk]),
        )
        if response is not None:
            return response
        try:
            services.period_publish(actor=request.user, period=period, exclusions=exclusions)
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, _("Đã công bố kết quả."))
            return redirect("period_results", pk=pk)
    return render(
        request,
        "scoring/period_publish.html",
        {"period": period, "form": form, "pending": pending},
    )


def _publish_consequences(period: ScoringPeriod, pending: list, exclusions: dict) -> list[str]:
    lines = [
        _(
            "Mọi cơ quan trong đợt thấy toàn bộ bảng xếp hạng; các trang, bản PDF và tệp Excel "
            "kết quả ghi “đã công bố”."
        )
    ]
    for assessment in pending:
        lines.append(
            _("%(name)s không được xếp hạng, ghi “không xếp hạng: %(reason)s”.")
            % {"name": assessment.agency.name, "reason": exclusions[assessment.pk].strip()}
        )
    if period.province_set_id:
        lines.append(_("Bản tự chấm điểm của tỉnh không xếp hạng cùng các cơ quan."))
    lines.append(_("Không hủy được việc công bố."))
    return lines


# Issue 14: each group shows its charts and its first rows by rank; "xem tất cả" opens a
# group whole (``?show=<target>``). The groups are one cached part (``agencies.fragments``).
RESULT_ROWS = 10
RESULTS_APPS = ("auth", "guardian", "agencies", "reorg", "scoring")


@require_GET
def period_results(request: HttpRequest, pk: int) -> HttpResponse:
    period = fragments.kept(  # through the access rule once per user and data version
        request,
        "scoring:period",
        apps_read=RESULTS_APPS,
        vary=[pk],
        build=lambda: access.get_visible_or_404(
            ScoringPeriod.objects.select_related("department_set", "district_set", "commune_set"),
            request.user,
            pk=pk,
        ),
    )
    show = request.GET.get("show", "")
    show = show if show in selectors.RESULT_GROUPS else ""
    part = fragments.cached(
        request,
        "scoring:results",
        apps_read=RESULTS_APPS,
        vary=[period.pk, show],
        build=lambda: render_to_string(
            "scoring/_period_results_body.html", results_context(period, request.user, show)
        ),
    )
    return render(
        request,
        "scoring/period_results.html",
        {
            "period": period,
            "manages": access.manages_scoring(request.user),
            "scope": access.results_visible_to(request.user, period),
            "results_part": part,
        },
    )


def results_context(period: ScoringPeriod, user, show: str) -> dict:
    """The groups as the results page prints them: per group its areas, charts, the rows
    shown (the first ``RESULT_ROWS`` by rank, or all of the group ``show`` names) and the
    link that opens or closes it; every figure of a row as printed (``figures.figure``)."""
    results = selectors.period_results(period, user)
    set_ids = period.set_ids
    areas = sorted(
        (c for c in results["criteria"] if c.depth == 1 and c.criteria_set_id in set_ids.values()),
        key=lambda c: (c.criteria_set_id, c.sort_order),
    )
    for group in results["groups"]:
        group["areas"] = [a for a in areas if a.criteria_set_id == set_ids[group["target"]]]
        rows, whole = group["rows"], group["target"] == show
        for row in rows:
            row.area_cells = [(a, row.area_totals.get(a.pk)) for a in group["areas"]]
        group["area_chart"] = _area_chart(group)
        group["trend"] = _trend(period.year, rows)
        group["shown"] = rows if whole else rows[:RESULT_ROWS]
        group["more"] = (
            ""
            if whole or len(rows) <= RESULT_ROWS
            else f"?show={group['target']}#g-{group['target']}"
        )
        group["fewer"] = f"?#g-{group['target']}" if whole and len(rows) > RESULT_ROWS else ""
        labels = [f"{a.code}. {a.title}" for a in group["areas"]]
        for row in group["shown"]:
            _print_row(row, labels)
    return {**results, "labels": RESULT_LABELS}


RESULT_LABELS = {
    "rank": _lazy("Hạng"),
    "body": _lazy("Cơ quan"),
    "achieved": _lazy("Điểm đạt"),
    "max": _lazy("Tối đa áp dụng"),
    "index": _lazy("Chỉ số (%)"),
    "band": _lazy("Xếp loại"),
    "previous": _lazy("Năm trước"),
    "change": _lazy("Tăng/giảm"),
}


def _print_row(row, labels: list[str]) -> None:
    """A row's cells as the page prints them ("–" where there is no figure)."""
    hidden = bool(row.excluded)
    row.bar5 = round(min(int(row.index or 0), 100) / 5)  # as {% widthratio bar 5 1 %}
    row.area_cells = [
        (label, figure(None if hidden or cell is None else cell.achieved))
        for label, (_area, cell) in zip(labels, row.area_cells, strict=True)
    ]
    row.achieved_text = figure(None if hidden else row.totals.achieved)
    row.max_text = figure(row.totals.applicable_max)
    row.index_text = figure(row.index)
    change = row.change
    row.change_text = "–" if change is None else ("+" if change > 0 else "") + figure(change)


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole * 100).quantize(Decimal("0.1")) if whole else Decimal(0)


def _area_chart(group: dict) -> list[dict]:
    """Per area: points achieved over the applicable maximum, summed over the scored bodies."""
    chart = []
    for i, area in enumerate(group["areas"]):
        cells = [
            r.area_cells[i][1] for r in group["rows"] if r.area_cells[i][1] and r.index is not None
        ]
        achieved = sum((c.achieved for c in cells), Decimal(0))
        maximum = sum((c.applicable_max for c in cells), Decimal(0))
        chart.append({"area": area, "pct": _percent(achieved, maximum), "bodies": len(cells)})
    return chart


def _trend(year: int, rows: list) -> list[dict]:
    """Average index of the group's bodies, last year (the bodies of that year, each once:
    a merged body's predecessors count one by one) and this year (where known)."""
    before = {p.agency_id: p.index for r in rows for p in r.previous_results}
    points = []
    for label, values in (
        (year - 1, [v for v in before.values() if v is not None]),
        (year, [r.index for r in rows if r.index is not None]),
    ):
        if values:
            avg = (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"))
            points.append({"year": label, "avg": avg, "bodies": len(values)})
    return points


@require_GET
def period_results_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The results in Excel. Stored and generated documents are the reports app's (built
    in the request when small, else by a job); this app may not read reports, so its
    export address hands over to reports' once the period is known to be visible."""
    period = access.get_visible_or_404(ScoringPeriod.objects, request.user, pk=pk)
    return redirect("results_export_file", pk=period.pk)
