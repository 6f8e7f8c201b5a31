"""The form of a new personal API token: it parses and displays; ``api.tokens.token_create``
decides (an empty name, a past date or one beyond the maximum are refused there)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from agencies.forms import PortalForm
from agencies.widgets import DateField
from api.models import ApiToken
from api.tokens import NAME_MAX_LENGTH, default_expiry_date


class TokenCreateForm(PortalForm):
    name = forms.CharField(
        label=_("Tên khóa"),
        max_length=NAME_MAX_LENGTH,
        required=False,
        help_text=_("Để nhớ khóa dùng vào việc gì, ví dụ “Đồng bộ LGSP” hoặc “Báo cáo Excel”."),
    )
    scope = forms.ChoiceField(
        label=_("Quyền"),
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        help_text=_(
            "“Chỉ đọc”: xem dữ liệu. “Đọc và ghi”: xem, gửi đóng góp và báo cáo như anh/chị "
            "làm trên Cổng."
        ),
    )
    expires_at = DateField(label=_("Ngày hết hạn"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_at"].initial = default_expiry_date()
        self.fields["expires_at"].help_text = _(
            "Khóa dùng được hết ngày này; tối đa %(days)s ngày kể từ hôm nay."
        ) % {"days": settings.API_TOKEN_MAX_DAYS}
