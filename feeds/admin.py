"""Calendar addresses in the admin site: who has one and since when, and deleting one (a
leaked address) with history. The key material is never shown."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from feeds.models import CalendarFeed


@admin.register(CalendarFeed)
class CalendarFeedAdmin(SimpleHistoryAdmin):
    list_display = ["user", "created_at", "rotated_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__full_name"]
    fields = ["user", "created_at", "rotated_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
