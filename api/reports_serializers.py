"""What the report-round and body-report endpoints say (``api.reports_api``): plain read
serializers over rows loaded by the viewsets, and the request body of filling a report.

Every rule stays where it is: which figures and texts are valid is the report page's form
and ``reports.services``; who may act is ``reports.access.reports_actions``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.base import AgencyRefSerializer, PortalModelSerializer, PortalSerializer
from reports import access, selectors
from reports.models import AgencyReport, ReportRound
from reports.services import indicator_bounds


class AnswerMixin:
    """A serializer of answers only: every field read-only, so the schema marks each one
    present in every answer (``required``)."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields


class AnswerSerializer(AnswerMixin, PortalSerializer):
    pass


class AnswerModelSerializer(AnswerMixin, PortalModelSerializer):
    pass


# --- A round's definition ---------------------------------------------------------------


class RoundSectionSerializer(AnswerSerializer):
    """One narrative section of a round."""

    code = serializers.CharField(help_text="Mã phần nội dung (khóa trong `sections`).")
    label = serializers.CharField()


class RoundIndicatorSerializer(AnswerSerializer):
    """One figure a round asks for, with its range."""

    code = serializers.CharField(help_text="Mã chỉ tiêu (khóa trong `indicators`).")
    label = serializers.CharField()
    min = serializers.IntegerField(help_text="Giá trị nhỏ nhất được nhận.")
    max = serializers.IntegerField(help_text="Giá trị lớn nhất được nhận.")


class RoundCheckSerializer(AnswerSerializer):
    """A rule between figures: the parts may not add up to more than the total."""

    parts = serializers.ListField(child=serializers.CharField())
    total = serializers.CharField(
        help_text="Tổng các chỉ tiêu `parts` không vượt quá chỉ tiêu này."
    )


def round_indicators(rnd: ReportRound) -> list[dict]:
    """The round's indicators with the range each figure must fall in (the same bounds
    the page's form and the service apply)."""
    result = []
    for indicator in rnd.indicators:
        minimum, maximum = indicator_bounds(indicator)
        result.append(
            {"code": indicator["code"], "label": indicator["label"], "min": minimum, "max": maximum}
        )
    return result


class ReportRoundSerializer(AnswerModelSerializer):
    """A reporting round: its dates, state, and the sections and figures it asks for."""

    kind_label = serializers.CharField(source="get_kind_display")
    period_label = serializers.CharField(source="get_period_display")
    status_label = serializers.CharField(source="get_status_display")
    sections = RoundSectionSerializer(many=True)
    indicators = serializers.SerializerMethodField()
    checks = RoundCheckSerializer(many=True)

    class Meta:
        model = ReportRound
        fields = [
            "id",
            "title",
            "kind",
            "kind_label",
            "year",
            "period",
            "period_label",
            "period_start",
            "period_end",
            "deadline",
            "status",
            "status_label",
            "sections",
            "indicators",
            "checks",
        ]

    @extend_schema_field(RoundIndicatorSerializer(many=True))
    def get_indicators(self, rnd: ReportRound) -> list[dict]:
        return round_indicators(rnd)


# --- One body's report ----------------------------------------------------------------------

ROUND_BRIEF_FIELDS = ("id", "title", "year", "period", "deadline", "status")


class ReportRoundBriefSerializer(AnswerModelSerializer):
    """The round a report belongs to."""

    class Meta:
        model = ReportRound
        fields = list(ROUND_BRIEF_FIELDS)


class ReportActionsSerializer(AnswerSerializer):
    """What the reader may do on the report (``reports.access.reports_actions``)."""

    write = serializers.BooleanField(
        help_text="Được điền và gửi báo cáo (cán bộ đầu mối của cơ quan, kỳ còn mở)."
    )
    edit = serializers.BooleanField(
        help_text="Được sửa ngay bây giờ: như `write`, và báo cáo đang soạn hoặc bị trả lại."
    )
    review = serializers.BooleanField(help_text="Được chấp nhận hoặc trả lại (Sở Nội vụ).")


class ReportSectionSerializer(AnswerSerializer):
    """One section of a report and its text."""

    code = serializers.CharField()
    label = serializers.CharField()
    text = serializers.CharField(allow_blank=True)


class ReportFigureSerializer(AnswerSerializer):
    """One figure of a report (null: not filled)."""

    code = serializers.CharField()
    label = serializers.CharField()
    value = serializers.IntegerField(allow_null=True)


class AgencyReportSerializer(AnswerModelSerializer):
    """A body's report as the list shows it: state, dates and what the reader may do."""

    round = ReportRoundBriefSerializer()
    agency = AgencyRefSerializer()
    status_label = serializers.CharField(source="get_status_display")
    submission_state = serializers.SerializerMethodField()
    submitted_by_name = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta:
        model = AgencyReport
        fields = [
            "id",
            "round",
            "agency",
            "status",
            "status_label",
            "submission_state",
            "first_submitted_at",
            "submitted_at",
            "submitted_by_name",
            "is_late",
            "return_reason",
            "version",
            "updated_at",
            "actions",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=list(selectors.SUBMISSION_LABELS)))
    def get_submission_state(self, report: AgencyReport) -> str:
        return selectors.submission_state(report)

    def get_submitted_by_name(self, report: AgencyReport) -> str:
        return str(report.submitted_by) if report.submitted_by_id else ""

    @extend_schema_field(ReportActionsSerializer)
    def get_actions(self, report: AgencyReport) -> dict:
        return access.reports_actions(self.context["request"].user, report)


class AgencyReportDetailSerializer(AgencyReportSerializer):
    """The report with its texts and figures, in the round's order."""

    sections = serializers.SerializerMethodField()
    indicators = serializers.SerializerMethodField()

    class Meta(AgencyReportSerializer.Meta):
        fields = [*AgencyReportSerializer.Meta.fields, "sections", "indicators"]

    @extend_schema_field(ReportSectionSerializer(many=True))
    def get_sections(self, report: AgencyReport) -> list[dict]:
        return [
            {"code": s["code"], "label": s["label"], "text": report.sections.get(s["code"], "")}
            for s in report.round.sections
        ]

    @extend_schema_field(ReportFigureSerializer(many=True))
    def get_indicators(self, report: AgencyReport) -> list[dict]:
        return [
            {"code": i["code"], "label": i["label"], "value": report.indicators.get(i["code"])}
            for i in report.round.indicators
        ]


# --- Filling a report -------------------------------------------------------------------------


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "nullable": True,
        "description": "Một số nguyên không âm, hoặc một chuỗi đọc như trên trang (“1.200” là "
        "1200); null hoặc chuỗi rỗng: xóa số liệu.",
    }
)
class FigureField(serializers.Field):
    """A figure as sent: a JSON integer, a string, or null. Read by the page's form
    (``reports.forms.AgencyReportForm``: the portal's number rule, the indicator's range,
    a Vietnamese message naming the indicator), not here: anything else is handed on as
    text for the form to refuse."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            return str(data)
        return data

    def to_representation(self, value):
        return value


@extend_schema_field({"type": "string", "nullable": True})
class SectionTextField(serializers.Field):
    """A section's text as sent (null: empty). Its length and characters are the page's
    form's rule (``AgencyReportForm``), whose messages name the section."""

    default_error_messages = {"invalid": _("Hãy gửi nội dung dạng chuỗi văn bản.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class ReportFillSerializer(PortalSerializer):
    """Texts and figures to change; what is not sent stays as it is."""

    sections = serializers.DictField(
        child=SectionTextField(allow_null=True),
        required=False,
        help_text="Mã phần nội dung → văn bản (chuỗi rỗng hoặc null: xóa phần đó).",
    )
    indicators = serializers.DictField(
        child=FigureField(allow_null=True),
        required=False,
        help_text="Mã chỉ tiêu → số liệu.",
    )
