"""Read-mostly admin for reports; changes go through the portal's services."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from reports.models import AgencyReport, GeneratedDocument, ReportRound


@admin.register(ReportRound)
class ReportRoundAdmin(SimpleHistoryAdmin):
    list_display = ["title", "kind", "year", "period", "deadline", "status"]
    list_filter = ["kind", "year", "status"]
    search_fields = ["title"]
    readonly_fields = ["status", "created_by"]
    filter_horizontal = ["required_agencies"]


@admin.register(AgencyReport)
class AgencyReportAdmin(SimpleHistoryAdmin):
    list_display = ["round", "agency", "status", "is_late", "version", "submitted_at"]
    list_filter = ["status", "is_late", "round__year"]
    list_select_related = ["round", "agency"]
    search_fields = ["agency__name", "round__title"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(GeneratedDocument)
class GeneratedDocumentAdmin(SimpleHistoryAdmin):
    list_display = ["kind", "object_key", "frozen", "created_at"]
    list_filter = ["kind", "frozen"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False
