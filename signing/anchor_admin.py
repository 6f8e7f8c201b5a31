"""Trust anchors in the Django admin (imported by ``signing/admin.py``).

An administrator adds a root certificate from its file (PEM or DER) with a name; every
fact about it (subject, fingerprint, validity) is read from the certificate and shown read
only. Trust is stopped or resumed with the list's actions, never by deleting: the anchor
and its history stay. Both go through ``signing.anchors``, which checks every stored
file's signatures again afterwards.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from signing import anchors
from signing.forms import ServiceForm
from signing.models import TrustAnchor


class TrustAnchorAddForm(ServiceForm):
    """The certificate file, a name and whether it is a test root; ``clean`` runs
    ``trust_anchor_add``, so its refusals show on the form and nothing is saved."""

    upload = forms.FileField(
        label=_("Tệp chứng thư gốc (PEM hoặc DER: .cer, .crt, .pem, .der)"),
        help_text=_("Mỗi lần một chứng thư. Ví dụ: chứng thư gốc của Ban Cơ yếu Chính phủ."),
    )
    name = forms.CharField(
        label=_("Tên gọi"),
        max_length=200,
        required=False,
        help_text=_("Để trống: dùng tên chung (CN) của chứng thư."),
    )
    illustrative = forms.BooleanField(label=_("Chứng thư số thử nghiệm"), required=False)

    class Meta:
        model = TrustAnchor
        fields: list[str] = []

    def run(self, data: dict) -> TrustAnchor:
        return anchors.trust_anchor_add(
            actor=self.actor,
            name=data["name"],
            data=data["upload"].read(anchors.MAX_BYTES + 1),
            illustrative=data["illustrative"],
        )


class TrustAnchorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "subject", "fingerprint", "not_after", "active", "illustrative"]
    list_filter = ["active", "illustrative"]
    search_fields = ["name", "subject", "fingerprint"]
    ordering = ["name"]
    actions = ["trust", "distrust"]
    readonly_fields = [
        "name",
        "subject",
        "fingerprint",
        "not_after",
        "active",
        "illustrative",
        "added_at",
        "added_by",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        return type(TrustAnchorAddForm.__name__, (TrustAnchorAddForm,), {"actor": request.user})

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": list(TrustAnchorAddForm.base_fields)})]
        return [(None, {"fields": self.readonly_fields})]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def save_model(self, request, obj, form, change) -> None:
        """Saved by the service in ``form.clean``."""

    def has_change_permission(self, request, obj=None) -> bool:
        # The facts are read only; trust changes through the list's actions, which need
        # this permission on the list (where obj is None).
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Tin cậy các chứng thư gốc đã chọn"), permissions=["change"])
    def trust(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description=_("Ngừng tin cậy các chứng thư gốc đã chọn"), permissions=["change"])
    def distrust(self, request, queryset):
        self._set_active(request, queryset, False)

    def _set_active(self, request, queryset, active: bool) -> None:
        changed = 0
        for anchor in queryset:
            if anchor.active != active:
                anchors.trust_anchor_set_active(actor=request.user, anchor=anchor, active=active)
                changed += 1
        self.message_user(
            request,
            _(
                "Đã cập nhật %(n)d chứng thư gốc; chữ ký số của các tệp đã nhận sẽ được "
                "kiểm tra lại."
            )
            % {"n": changed},
            messages.SUCCESS,
        )


admin.site.register(TrustAnchor, TrustAnchorAdmin)
