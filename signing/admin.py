"""Admin for the bodies' signing credentials, seals and signature images. Every write goes
through signing.services (the forms call them); keys and secrets are never shown."""

from __future__ import annotations

import base64

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from signing import forms, services
from signing.models import Seal, SignatureImage, SigningCredential


class ServiceAdmin(SimpleHistoryAdmin):
    """Adding runs the service from the form (signing.forms.ServiceForm); records are then
    read-only here, and nothing is deleted (history stays whole)."""

    add_form: type[forms.ServiceForm]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        return type(self.add_form.__name__, (self.add_form,), {"actor": request.user})

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": list(self.add_form.base_fields)})]
        return super().get_fieldsets(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        """Saved by the service in ``form.clean``."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _preview(field) -> str:
    if not field:
        return "—"
    with field.open("rb") as handle:
        encoded = base64.b64encode(handle.read()).decode()
    return format_html(
        '<img src="data:image/png;base64,{}" alt="" width="180" class="signing-preview">',
        encoded,
    )


@admin.register(SigningCredential)
class SigningCredentialAdmin(ServiceAdmin):
    add_form = forms.CredentialAddForm
    list_display = ["agency", "label", "subject", "not_before", "not_after", "active", "test"]
    list_filter = ["active", "illustrative", "source"]
    list_select_related = ["agency"]
    search_fields = ["label", "subject", "agency__name", "fingerprint"]
    fields = [
        "agency",
        "label",
        "source",
        "subject",
        "issuer",
        "serial",
        "fingerprint",
        "not_before",
        "not_after",
        "pkcs11_module",
        "pkcs11_token",
        "pkcs11_key",
        "active",
        "illustrative",
        "created_at",
        "created_by",
    ]
    readonly_fields = fields
    actions = ["deactivate"]

    @admin.display(boolean=True, description=_("chứng thư số thử nghiệm"))
    def test(self, obj) -> bool:
        return obj.illustrative

    @admin.action(description=_("Ngừng dùng chứng thư số đã chọn"))
    def deactivate(self, request, queryset):
        done = 0
        for credential in queryset.filter(active=True):
            try:
                services.credential_deactivate(actor=request.user, credential=credential)
                done += 1
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.WARNING)
        self.message_user(
            request, _("Đã ngừng dùng %(n)d chứng thư số.") % {"n": done}, messages.SUCCESS
        )


@admin.register(Seal)
class SealAdmin(ServiceAdmin):
    add_form = forms.SealForm
    list_display = ["agency", "diameter_mm", "illustrative"]
    list_filter = ["illustrative"]
    list_select_related = ["agency"]
    search_fields = ["agency__name"]
    fields = ["agency", "diameter_mm", "illustrative", "preview"]
    readonly_fields = fields

    @admin.display(description=_("Hình con dấu"))
    def preview(self, obj) -> str:
        return _preview(obj.image)


@admin.register(SignatureImage)
class SignatureImageAdmin(ServiceAdmin):
    add_form = forms.SignatureImageForm
    list_display = ["full_name", "title", "agency", "illustrative"]
    list_filter = ["illustrative"]
    list_select_related = ["agency"]
    search_fields = ["full_name", "agency__name"]
    fields = ["agency", "full_name", "title", "illustrative", "preview"]
    readonly_fields = fields

    @admin.display(description=_("Hình chữ ký"))
    def preview(self, obj) -> str:
        return _preview(obj.image)


from signing import anchor_admin  # noqa: E402,F401
