from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from agencies.models import (
    Agency,
    AgencyName,
    OutgoingMail,
    Province,
    SecurityEvent,
    Succession,
    User,
)

admin.site.site_header = _("Quản trị Cổng điều phối CCHC")
admin.site.site_title = _("Quản trị CCHC")
admin.site.index_title = _("Dữ liệu danh mục")


@admin.register(Agency)
class AgencyAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "level", "sort_order", "valid_from", "valid_to"]
    list_filter = ["kind", "level"]
    search_fields = ["code", "name", "short_name"]
    ordering = ["sort_order", "name"]

    def get_inlines(self, request, obj):
        return [SuccessionInline, AgencyNameInline]


class SuccessionInline(admin.TabularInline):
    model = Succession
    fk_name = "predecessor"
    extra = 0
    autocomplete_fields = ["successor"]


class AgencyNameInline(admin.TabularInline):
    model = AgencyName
    extra = 0


@admin.register(Province)
class ProvinceAdmin(SimpleHistoryAdmin):
    list_display = ["name", "short_name", "valid_from", "valid_to"]


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
    actions = ["end_sessions", "unlock_sign_in", "reset_two_factor"]

    @admin.action(description=_("Kết thúc mọi phiên đăng nhập"))
    def end_sessions(self, request, queryset):
        from agencies.security import user_sessions_end

        ended = sum(user_sessions_end(user=u, actor=request.user) for u in queryset)
        self.message_user(request, _("Đã kết thúc %(n)d phiên.") % {"n": ended}, messages.SUCCESS)

    @admin.action(description=_("Mở khóa đăng nhập (mọi địa chỉ IP)"))
    def unlock_sign_in(self, request, queryset):
        from axes.models import AccessAttempt

        from agencies.security import user_lockout_release

        names = list(queryset.values_list("username", flat=True))
        ids = AccessAttempt.objects.filter(username__in=names).values_list("pk", flat=True)
        released = sum(user_lockout_release(attempt_id=pk, actor=request.user) for pk in ids)
        self.message_user(request, _("Đã mở khóa %(n)d lượt.") % {"n": released}, messages.SUCCESS)

    @admin.action(description=_("Đặt lại xác thực hai yếu tố (mất điện thoại)"))
    def reset_two_factor(self, request, queryset):
        from agencies.mfa import mfa_disable

        for user in queryset:
            mfa_disable(request=request, user=user, actor=request.user)
        self.message_user(request, _("Đã đặt lại xác thực hai yếu tố."), messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    """An audit list: administrators read it, nobody adds, changes or deletes a row."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    """Read-only, paginated audit of security events."""

    list_display = ["created_at", "kind", "username", "ip", "path", "detail"]
    list_filter = ["kind", "created_at"]
    search_fields = ["username", "ip", "path"]
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = [f.name for f in SecurityEvent._meta.fields]


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnlyAdmin):
    """Read-only outbox: what was sent, what failed and why (retried by its job)."""

    list_display = ["created_at", "subject", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "created_at"]
    search_fields = ["subject", "recipients"]
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = [f.name for f in OutgoingMail._meta.fields]
