from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from agencies.models import Agency, User

admin.site.site_header = _("Quản trị Cổng điều phối CCHC")
admin.site.site_title = _("Quản trị CCHC")
admin.site.index_title = _("Dữ liệu danh mục")


@admin.register(Agency)
class AgencyAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "level", "sort_order", "valid_from", "valid_to"]
    list_filter = ["kind", "level"]
    search_fields = ["code", "name", "short_name"]
    ordering = ["sort_order", "name"]
    autocomplete_fields = ["successor"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "full_name", "agency", "position", "is_active", "is_staff"]
    list_filter = ["agency__kind", "groups", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "email", "agency__name"]
    list_select_related = ["agency"]
    autocomplete_fields = ["agency"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("Cơ quan"), {"fields": ("agency", "full_name", "position", "phone")}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (_("Cơ quan"), {"fields": ("agency", "full_name", "position", "email")}),
    )
