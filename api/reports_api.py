"""/api/v1/report-rounds/ and /api/v1/agency-reports/: reporting rounds and bodies'
reports (docs/api.md, "Reports and scoring").

Reads go through ``visible_to`` (another body's report is 404, as on the pages). Filling a
report is the report page's write: the same form parses the texts and figures
(``reports.forms.AgencyReportForm``: the portal's text and number rules, Vietnamese
messages), ``reports.access.reports_actions`` decides who may (403 otherwise) and
``reports.services.report_save`` validates, saves with history under the acting user and
submits. What a request does not send stays as it is on the report."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from api.base import (
    PortalGenericViewSet,
    PortalReadOnlyViewSet,
    WholeNumberFilter,
    call_service,
)
from api.reports_serializers import (
    AgencyReportDetailSerializer,
    AgencyReportSerializer,
    ReportFillSerializer,
    ReportRoundSerializer,
)
from reports import access, services
from reports.forms import AgencyReportForm
from reports.models import AgencyReport, ReportRound


def path_id(description: str) -> list[OpenApiParameter]:
    """The ``{id}`` of a detail address, described in Vietnamese."""
    return [OpenApiParameter("id", int, OpenApiParameter.PATH, description=description)]


ROUND_ID = path_id("Mã (id) kỳ báo cáo.")
REPORT_ID = path_id("Mã (id) báo cáo của cơ quan.")


# --- Report rounds ----------------------------------------------------------------------------


class ReportRoundFilter(django_filters.FilterSet):
    year = WholeNumberFilter(label=gettext_lazy("Năm của kỳ báo cáo"))
    period = django_filters.ChoiceFilter(
        choices=[c for c in ReportRound.Period.choices if c[0]],
        label=gettext_lazy("Kỳ định kỳ"),
    )
    status = django_filters.ChoiceFilter(
        choices=ReportRound.Status.choices,
        label=gettext_lazy("Trạng thái của kỳ"),
    )

    class Meta:
        model = ReportRound
        fields = ["year", "period", "status"]


@extend_schema_view(
    list=extend_schema(summary="Các kỳ báo cáo", description="Mới nhất trước (theo hạn gửi)."),
    retrieve=extend_schema(summary="Một kỳ báo cáo", parameters=ROUND_ID),
)
class ReportRoundViewSet(PortalReadOnlyViewSet):
    """The rounds the user's body owes a report in; every round for Nội vụ and leadership."""

    serializer_class = ReportRoundSerializer
    filterset_class = ReportRoundFilter

    def get_queryset(self):
        return ReportRound.objects.visible_to(self.request.user).order_by("-deadline", "-pk")


# --- A body's report ------------------------------------------------------------------------


class AgencyReportFilter(django_filters.FilterSet):
    round = WholeNumberFilter(field_name="round_id", label=gettext_lazy("Mã (id) kỳ báo cáo"))
    year = WholeNumberFilter(field_name="round__year", label=gettext_lazy("Năm của kỳ báo cáo"))
    agency = WholeNumberFilter(field_name="agency_id", label=gettext_lazy("Mã (id) cơ quan"))
    status = django_filters.ChoiceFilter(
        choices=AgencyReport.Status.choices, label=gettext_lazy("Trạng thái của báo cáo")
    )

    class Meta:
        model = AgencyReport
        fields = ["round", "year", "agency", "status"]


REPORT_LIST_FIELDS = (
    "id",
    "status",
    "first_submitted_at",
    "submitted_at",
    "is_late",
    "return_reason",
    "version",
    "updated_at",
    "round__id",
    "round__title",
    "round__year",
    "round__period",
    "round__deadline",
    "round__status",
    "agency__id",
    "agency__code",
    "agency__name",
    "agency__short_name",
    "submitted_by__id",
    "submitted_by__username",
    "submitted_by__full_name",
    "submitted_by__first_name",
    "submitted_by__last_name",
)


def _fill_errors(form: AgencyReportForm) -> ValidationError:
    """The form's messages under the request's keys (``sections.<code>``,
    ``indicators.<code>``)."""
    errors = {}
    for name, messages in form.errors.items():
        kind, _sep, code = name.partition("_")
        key = f"{'sections' if kind == 'sec' else 'indicators'}.{code}"
        errors[key] = list(messages)
    return ValidationError(errors)


def _unknown_codes(rnd: ReportRound, data: dict) -> None:
    errors = {}
    for code in data.get("sections", {}):
        if code not in rnd.section_codes:
            errors[f"sections.{code}"] = [
                _("Kỳ báo cáo này không có phần nội dung “%(code)s”.") % {"code": code}
            ]
    for code in data.get("indicators", {}):
        if code not in rnd.indicator_codes:
            errors[f"indicators.{code}"] = [
                _("Kỳ báo cáo này không có chỉ tiêu “%(code)s”.") % {"code": code}
            ]
    if errors:
        raise ValidationError(errors)


def _form_for(report: AgencyReport, data: dict) -> AgencyReportForm:
    """The page's form bound to the report as it is, with the request's changes on top."""
    rnd = report.round
    fields = {f"sec_{c}": report.sections.get(c, "") for c in rnd.section_codes}
    fields |= {f"ind_{c}": report.indicators.get(c) for c in rnd.indicator_codes}
    fields |= {f"sec_{c}": text for c, text in data.get("sections", {}).items()}
    fields |= {f"ind_{c}": value for c, value in data.get("indicators", {}).items()}
    return AgencyReportForm(rnd, fields, {})


@extend_schema_view(
    list=extend_schema(
        summary="Báo cáo của các cơ quan",
        description="Báo cáo của cơ quan mình; Sở Nội vụ và lãnh đạo thấy của mọi cơ quan.",
    ),
    retrieve=extend_schema(summary="Một báo cáo, với nội dung và số liệu", parameters=REPORT_ID),
)
class AgencyReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PortalGenericViewSet):
    filterset_class = AgencyReportFilter
    parser_classes = [JSONParser]  # texts and figures as JSON (no files through the API)

    def get_queryset(self):
        reports = AgencyReport.objects.visible_to(self.request.user).select_related(
            "round", "agency", "submitted_by"
        )
        if self.action == "list":
            reports = reports.only(*REPORT_LIST_FIELDS)
        return reports.order_by("-round__deadline", "-round_id", "agency__sort_order", "pk")

    def get_serializer_class(self):
        return AgencyReportSerializer if self.action == "list" else AgencyReportDetailSerializer

    @extend_schema(
        summary="Lưu nháp báo cáo",
        description="Lưu các phần nội dung và số liệu gửi lên (phần không gửi giữ nguyên) như "
        "nút “Lưu nháp” trên trang báo cáo.",
        request=ReportFillSerializer,
        responses=AgencyReportDetailSerializer,
        parameters=REPORT_ID,
    )
    def partial_update(self, request, *args, **kwargs):
        return self._save(request, submit=False)

    @extend_schema(
        summary="Gửi báo cáo",
        description="Lưu các phần nội dung và số liệu gửi lên (nếu có) và gửi báo cáo trong "
        "cùng một giao dịch, như nút “Gửi báo cáo” trên trang.",
        request=ReportFillSerializer,
        responses=AgencyReportDetailSerializer,
        parameters=REPORT_ID,
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, *args, **kwargs):
        return self._save(request, submit=True)

    def _save(self, request, *, submit: bool) -> Response:
        report = self.get_object()
        access.require(access.reports_actions(request.user, report)["write"])
        fill = ReportFillSerializer(data=request.data)
        fill.is_valid(raise_exception=True)
        with transaction.atomic():
            report = (
                AgencyReport.objects.select_for_update().select_related("round").get(pk=report.pk)
            )
            _unknown_codes(report.round, fill.validated_data)
            form = _form_for(report, fill.validated_data)
            if not form.is_valid():
                raise _fill_errors(form)
            sections, indicators = form.split()
            call_service(
                services.report_save,
                actor=request.user,
                report=report,
                sections=sections,
                indicators=indicators,
                submit=submit,
            )
        report = self.get_queryset().get(pk=report.pk)
        return Response(AgencyReportDetailSerializer(report, context={"request": request}).data)


def register(router) -> None:
    """Register this part's viewsets on the API router."""
    router.register("report-rounds", ReportRoundViewSet, basename="report-round")
    router.register("agency-reports", AgencyReportViewSet, basename="agency-report")
