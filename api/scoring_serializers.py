"""What the scoring-period endpoints say (``api.scoring_api``). The results are the
results page's rows (``scoring.selectors.period_results``) put into plain data: what the
page hides for a body left out of the ranking (its scores) is left out here too."""

from __future__ import annotations

from rest_framework import serializers

from api.base import AgencyRefSerializer
from api.reports_serializers import AnswerModelSerializer, AnswerSerializer
from scoring.models import Criterion, ScoringPeriod
from scoring.selectors import ResultRow


def _decimal(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=9, decimal_places=2, **kwargs)


class BandSerializer(AnswerSerializer):
    """A band of the ranking: its label and the lowest index it takes."""

    label = serializers.CharField()
    min = _decimal(help_text="Chỉ số tối thiểu (%) của mức xếp loại.")


class ScoringPeriodSerializer(AnswerModelSerializer):
    """A scoring period: its windows, publication and bands."""

    is_published = serializers.BooleanField()
    bands = BandSerializer(many=True)

    class Meta:
        model = ScoringPeriod
        fields = [
            "id",
            "year",
            "title",
            "self_from",
            "self_to",
            "appraisal_from",
            "appraisal_to",
            "explanation_from",
            "explanation_to",
            "second_from",
            "second_to",
            "appeal_from",
            "appeal_to",
            "publication_date",
            "published_at",
            "is_published",
            "bands",
        ]


class ResultAreaSerializer(AnswerSerializer):
    """An area (depth-1 criterion) of the group's criteria set."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()


class AreaScoreSerializer(AnswerSerializer):
    """A body's score in one area."""

    area = serializers.CharField(help_text="Mã lĩnh vực (`areas[].code`).")
    achieved = _decimal(allow_null=True, help_text="Điểm đạt; null khi không xếp hạng.")
    applicable_max = _decimal()


class PreviousResultSerializer(AnswerSerializer):
    """A result of the year before: the body's own or one of its predecessors'."""

    agency_id = serializers.IntegerField()
    name = serializers.CharField(help_text="Tên cơ quan trong năm trước.")
    index = _decimal(allow_null=True)


class ResultRowSerializer(AnswerSerializer):
    """One body's result, as a row of the results page."""

    agency = AgencyRefSerializer()
    rank = serializers.IntegerField(allow_null=True, help_text="null khi chưa xếp hạng.")
    index = _decimal(allow_null=True, help_text="Chỉ số (%) = điểm đạt ÷ tối đa áp dụng × 100.")
    band = serializers.CharField(allow_blank=True, help_text="Xếp loại theo các mức của đợt.")
    achieved = _decimal(allow_null=True, help_text="Tổng điểm đạt; null khi không xếp hạng.")
    applicable_max = _decimal(help_text="Tổng điểm tối đa của các tiêu chí áp dụng.")
    name = serializers.CharField(help_text="Tên cơ quan trong năm được chấm điểm.")
    previous_index = _decimal(allow_null=True, help_text="Chỉ số năm trước (đã công bố).")
    previous_label = serializers.CharField(
        allow_blank=True,
        help_text="“Năm trước (của …)” khi kết quả năm trước là của các cơ quan trước đó.",
    )
    previous_results = PreviousResultSerializer(many=True)
    change = _decimal(allow_null=True, help_text="Chỉ số trừ chỉ số năm trước.")
    excluded = serializers.BooleanField(help_text="Không xếp hạng khi công bố.")
    excluded_reason = serializers.CharField(allow_blank=True)
    area_scores = AreaScoreSerializer(many=True)


class ResultGroupSerializer(AnswerSerializer):
    """The results of one group (departments, district or commune people's committees)."""

    target = serializers.ChoiceField(choices=["department", "district", "commune"])
    label = serializers.CharField()
    areas = ResultAreaSerializer(many=True)
    rows = ResultRowSerializer(many=True)


class PreviousPeriodSerializer(AnswerSerializer):
    """Last year's published period the results are compared with."""

    year = serializers.IntegerField()
    title = serializers.CharField()


class PeriodResultsSerializer(AnswerSerializer):
    """A period's results as the results page shows them to the reader."""

    period = serializers.IntegerField(help_text="Mã (id) đợt chấm điểm.")
    published = serializers.BooleanField()
    scope = serializers.ChoiceField(
        choices=["all", "own"],
        help_text="all: kết quả mọi cơ quan; own: chỉ cơ quan mình (kết quả chưa công bố).",
    )
    previous_period = PreviousPeriodSerializer(
        allow_null=True, help_text="Đợt đã công bố của năm trước, để so sánh."
    )
    groups = ResultGroupSerializer(many=True)


def _row(row: ResultRow, areas: list[Criterion]) -> dict:
    agency, hidden = row.assessment.agency, bool(row.excluded)
    totals = row.area_totals
    return {
        "agency": agency,
        "rank": row.rank,
        "index": row.index,
        "band": "" if hidden else row.band,
        "achieved": None if hidden else row.totals.achieved,
        "applicable_max": row.totals.applicable_max,
        "name": row.name or agency.name,
        "previous_index": row.previous_index,
        "previous_label": row.previous_label,
        "previous_results": [
            {"agency_id": p.agency_id, "name": p.name, "index": p.index}
            for p in row.previous_results
        ],
        "change": row.change,
        "excluded": hidden,
        "excluded_reason": row.excluded,
        "area_scores": [
            {
                "area": area.code,
                "achieved": None if hidden else totals[area.pk].achieved,
                "applicable_max": totals[area.pk].applicable_max,
            }
            for area in areas
            if area.pk in totals
        ],
    }


def results_data(period: ScoringPeriod, results: dict, areas: list[Criterion]) -> dict:
    """The results page's data (``selectors.period_results`` and the areas of the
    period's sets) as the response's plain values."""
    set_ids = {str(target): pk for target, pk in period.set_ids.items()}
    groups = []
    for group in results["groups"]:
        own = [a for a in areas if a.criteria_set_id == set_ids[group["target"]]]
        groups.append(
            {
                "target": str(group["target"]),
                "label": str(group["label"]),
                "areas": [{"id": a.pk, "code": a.code, "title": a.title} for a in own],
                "rows": [_row(r, own) for r in group["rows"]],
            }
        )
    previous = results["previous"]
    return {
        "period": period.pk,
        "published": period.is_published,
        "scope": results["scope"],
        "previous_period": {"year": previous.year, "title": previous.title} if previous else None,
        "groups": groups,
    }
