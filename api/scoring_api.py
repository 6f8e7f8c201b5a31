"""/api/v1/scoring-periods/: PAR scoring periods and their results (docs/api.md, "Reports
and scoring").

A period is read through ``ScoringPeriod.objects.visible_to`` (404 for a body with no part
in it). Its results are exactly the results page's: ``scoring.selectors.period_results``
decides the scope (``scoring.access.results_visible_to``: every body's ranked row once
published or for Nội vụ and leadership, else the reader's own body's row only, unranked)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from api.base import PortalReadOnlyViewSet, WholeNumberFilter
from api.reports_api import path_id
from api.scoring_serializers import PeriodResultsSerializer, ScoringPeriodSerializer, results_data
from scoring import selectors
from scoring.models import Criterion, ScoringPeriod

PERIOD_ID = path_id("Mã (id) đợt chấm điểm.")


class ScoringPeriodFilter(django_filters.FilterSet):
    year = WholeNumberFilter(label=gettext_lazy("Năm đánh giá"))
    published = django_filters.BooleanFilter(
        field_name="published_at",
        lookup_expr="isnull",
        exclude=True,
        label=gettext_lazy("Đã công bố kết quả"),
    )

    class Meta:
        model = ScoringPeriod
        fields = ["year", "published"]


@extend_schema_view(
    list=extend_schema(summary="Các đợt chấm điểm Chỉ số CCHC", description="Mới nhất trước."),
    retrieve=extend_schema(summary="Một đợt chấm điểm", parameters=PERIOD_ID),
)
class ScoringPeriodViewSet(PortalReadOnlyViewSet):
    """Periods in which the user's body is assessed, the user appraises or chairs the
    council; every period for Nội vụ and leadership."""

    serializer_class = ScoringPeriodSerializer
    filterset_class = ScoringPeriodFilter

    def get_queryset(self):
        return ScoringPeriod.objects.visible_to(self.request.user).order_by("-year", "-pk")

    @extend_schema(
        summary="Kết quả của đợt chấm điểm",
        description="Như trang kết quả: trước khi công bố, cơ quan chỉ thấy dòng của mình "
        "(không xếp hạng); sau khi công bố, mọi cơ quan trong đợt thấy toàn bộ bảng xếp hạng.",
        responses=PeriodResultsSerializer,
        parameters=PERIOD_ID,
        filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def results(self, request, *args, **kwargs):
        period = self.get_object()
        results = selectors.period_results(period, request.user)
        areas = list(
            Criterion.objects.filter(
                criteria_set_id__in=[pk for pk in period.set_ids.values() if pk], depth=1
            )
            .only("pk", "code", "title", "criteria_set_id")
            .order_by("criteria_set_id", "sort_order")
        )
        data = results_data(period, results, areas)
        return Response(PeriodResultsSerializer(data).data)


def register(router) -> None:
    """Register this part's viewsets on the API router."""
    router.register("scoring-periods", ScoringPeriodViewSet, basename="scoring-period")
