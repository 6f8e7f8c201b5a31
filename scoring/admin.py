from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from scoring.models import (
    Appeal,
    AppraiserAssignment,
    Assessment,
    CriteriaSet,
    Criterion,
    ScoringPeriod,
)


class CriterionInline(admin.TabularInline):
    model = Criterion
    fk_name = "criteria_set"
    extra = 0
    fields = ("code", "title", "max_points", "method", "evidence_required", "sort_order")
    show_change_link = True


@admin.register(CriteriaSet)
class CriteriaSetAdmin(admin.ModelAdmin):
    list_display = ("title", "year", "target", "version", "status", "is_illustrative")
    list_filter = ("year", "target", "status")
    inlines = [CriterionInline]


@admin.register(ScoringPeriod)
class ScoringPeriodAdmin(admin.ModelAdmin):
    list_display = ("title", "year", "published_at")


@admin.register(Assessment)
class AssessmentAdmin(SimpleHistoryAdmin):
    list_display = ("agency", "period", "status")
    list_filter = ("period", "status")
    list_select_related = ("agency", "period")

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # scores and states change only through the scoring services

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Appeal)
class AppealAdmin(SimpleHistoryAdmin):
    list_display = ("score", "status", "submitted_at", "decided_at")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


admin.site.register(AppraiserAssignment)
