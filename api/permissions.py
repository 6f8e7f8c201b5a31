"""What a token may do: a read-only token reads only (docs/api.md, "Personal tokens").

Requests signed in with the portal's session are not limited here; what a user may do to
an object is decided by the access layer and the services, whatever the way in."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from api.models import ApiToken


class TokenScope(BasePermission):
    """403 for a read-only token on any method but GET, HEAD and OPTIONS."""

    message = _("Khóa truy cập API này chỉ có quyền đọc: không được gửi, sửa hay xóa dữ liệu.")

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        return request.method in SAFE_METHODS or not token.read_only
