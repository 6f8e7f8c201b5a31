"""Administrators see every personal API token (never its secret: only the hash is stored,
and it is not shown) and can revoke them."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from api.models import ApiToken
from api.tokens import token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "user",
        "prefix",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username", "user__full_name"]
    list_select_related = ["user"]
    fields = list_display
    readonly_fields = list_display
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # a key is shown once, to its owner: created on the profile only

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, never deleted: the history stays

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("api.change_apitoken")

    @admin.action(description=_("Thu hồi khóa đã chọn"), permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(token=token, actor=request.user)
            revoked += 1
        self.message_user(request, _("Đã thu hồi %(n)d khóa.") % {"n": revoked}, messages.SUCCESS)
