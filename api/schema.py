"""The OpenAPI schema of the API (drf-spectacular): every operation also documents the
error answers it can give, in the one error format (``api.errors.ErrorSerializer``), so a
client, and schemathesis, know every status the API may answer."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from api.errors import ErrorSerializer

_ERRORS = {
    "400": _("Dữ liệu gửi lên hoặc tham số lọc không hợp lệ."),
    "401": _("Chưa xác thực, hoặc khóa truy cập API không hợp lệ."),
    "403": _("Không có quyền thực hiện thao tác này."),
    "404": _("Không tìm thấy, hoặc không có quyền xem."),
    "405": _("Phương thức không được hỗ trợ."),
    "406": _("Không trả lời được theo định dạng yêu cầu."),
    "415": _("Kiểu nội dung không được hỗ trợ."),
    "429": _("Quá nhiều yêu cầu; thử lại sau."),
}


class PortalAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, description in _ERRORS.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description), code
                )
        return responses
