"""The one error format of the API (docs/api.md, "Errors").

Every error the API answers, whatever raised it, has this body::

    {"error": {"code": "validation", "message": "<một câu tiếng Việt>",
               "fields": {"body": ["Hãy nhập nội dung hoặc đính kèm văn bản."]}}}

``code`` is one of ``CODES``; ``message`` is a Vietnamese sentence (gettext); ``fields``
names the input fields at fault (``{}`` when none; nested input as ``"nominations.0.team"``).

What raised it decides the status and the message:
- a service's Django ``ValidationError`` → 400 ``validation`` with the service's own words;
- a service's or the access layer's Django ``PermissionDenied`` → 403 ``permission_denied``
  (the service's message when it gave one);
- ``Http404`` (``get_visible_or_404``, another body's object) → 404 ``not_found``;
- DRF's own exceptions (serializer and filter errors, authentication, throttling, methods,
  parsing) → their status, with Vietnamese text: a message DRF made up is replaced by ours,
  a message our code chose (a custom ``detail``) is kept.
Anything else is a server error and is left to Django (500, logged).
"""

from __future__ import annotations

import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD_KEYS = frozenset({"non_field_errors", "__all__"})

# DRF exception class → (code, Vietnamese message when DRF's own detail is used).
_MESSAGES = (
    (exceptions.NotAuthenticated, "not_authenticated", gettext_lazy(
        "Chưa xác thực: hãy gửi khóa truy cập API trong tiêu đề Authorization: Bearer <khóa>."
    )),
    (exceptions.AuthenticationFailed, "authentication_failed", gettext_lazy(
        "Xác thực không thành công: khóa truy cập API không đúng, đã hết hạn hoặc đã bị thu hồi."
    )),
    (exceptions.PermissionDenied, "permission_denied", gettext_lazy(
        "Anh/chị không có quyền thực hiện thao tác này."
    )),
    (exceptions.NotFound, "not_found", gettext_lazy(
        "Không tìm thấy đối tượng, hoặc anh/chị không có quyền xem đối tượng này."
    )),
    (exceptions.MethodNotAllowed, "method_not_allowed", gettext_lazy(
        "Địa chỉ này không nhận phương thức %(method)s."
    )),
    (exceptions.NotAcceptable, "not_acceptable", gettext_lazy(
        "Không trả lời được theo định dạng yêu cầu; API trả lời bằng JSON."
    )),
    (exceptions.UnsupportedMediaType, "unsupported_media_type", gettext_lazy(
        "Kiểu nội dung “%(type)s” không được hỗ trợ; hãy gửi JSON hoặc multipart/form-data."
    )),
    (exceptions.ParseError, "parse_error", gettext_lazy(
        "Không đọc được nội dung yêu cầu (JSON hoặc biểu mẫu không hợp lệ)."
    )),
    (exceptions.Throttled, "throttled", gettext_lazy(
        "Quá nhiều yêu cầu trong thời gian ngắn; hãy thử lại sau %(wait)s giây."
    )),
    (exceptions.ValidationError, "validation", gettext_lazy("Dữ liệu gửi lên không hợp lệ.")),
)  # fmt: skip
# Errors whose DRF text is always replaced (it quotes input or is English).
_ALWAYS_OURS = (
    exceptions.MethodNotAllowed,
    exceptions.NotAcceptable,
    exceptions.UnsupportedMediaType,
    exceptions.ParseError,
    exceptions.Throttled,
)
# DRF's session authentication refuses an unsafe call without the CSRF token in English.
CSRF_MESSAGE = gettext_lazy(
    "Gọi API bằng phiên đăng nhập thì phải gửi kèm mã CSRF (tiêu đề X-CSRFToken); "
    "chương trình khác hãy dùng khóa truy cập API cá nhân."
)
CODES = tuple(code for _cls, code, _msg in _MESSAGES) + ("error",)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=CODES)
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer (for the schema)."""

    error = ErrorDetailSerializer()


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error in the one format."""
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code, message, fields = _describe(exc, context.get("request"))
    response.data = error_body(code, message, fields)
    return response


def _as_api_exception(exc):
    """Django's exceptions from services and the access layer as DRF's, keeping their
    Vietnamese message; our own message for a 404 (Django's names the model in English)."""
    if isinstance(exc, DjangoValidationError):
        converted = exceptions.ValidationError(as_serializer_error(exc))
        converted.service_messages = [force_str(m) for m in exc.messages]
        return converted
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        text = force_str(exc.args[0]) if exc.args and exc.args[0] else None
        return exceptions.PermissionDenied(text)
    return exc


def _describe(exc, request) -> tuple[str, str, dict]:
    found = next((row for row in _MESSAGES if isinstance(exc, row[0])), None)
    if found is None:
        return "error", force_str(exc.detail), {}
    _cls, code, default = found
    if isinstance(exc, exceptions.ValidationError):
        message, fields = _validation(exc.detail, force_str(default))
        service = getattr(exc, "service_messages", None)
        return code, " ".join(service) if service else message, fields
    if isinstance(exc, _ALWAYS_OURS):
        return code, _formatted(exc, default, request), {}
    detail = force_str(exc.detail)
    if isinstance(exc, exceptions.PermissionDenied) and detail.startswith("CSRF Failed"):
        return code, force_str(CSRF_MESSAGE), {}
    custom = detail != force_str(exc.default_detail)
    return code, detail if custom else force_str(default), {}


def _formatted(exc, template, request) -> str:
    """Our message for errors whose DRF text quotes the request: its method, its type."""
    wait = getattr(exc, "wait", None)
    return force_str(template) % {
        "method": getattr(request, "method", ""),
        "type": (getattr(request, "content_type", "") or "").split(";")[0],
        "wait": max(1, math.ceil(wait)) if wait else 1,
    }


def _validation(detail, default: str) -> tuple[str, dict]:
    """(message, fields) of a validation error: the non-field messages are the message;
    field errors go to ``fields`` (a service's messages, fields or not, are the message:
    ``exception_handler``)."""
    fields: dict[str, list[str]] = {}
    general: list[str] = []
    _flatten(detail, "", fields, general)
    if general:
        return " ".join(general), fields
    return _("%(default)s Xem lỗi của từng trường trong “fields”.") % {"default": default}, fields


def _flatten(detail, prefix: str, fields: dict, general: list) -> None:
    if isinstance(detail, dict):
        for key, value in detail.items():
            key = force_str(key)
            if key in NON_FIELD_KEYS:
                _flatten(value, prefix, fields, general)
            else:
                _flatten(value, f"{prefix}{key}.", fields, general)
    elif isinstance(detail, list | tuple):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list | tuple):
                _flatten(value, f"{prefix}{index}.", fields, general)
            else:
                _flatten(value, prefix, fields, general)
    else:
        text = force_str(detail)
        if prefix:
            fields.setdefault(prefix.rstrip("."), []).append(text)
        else:
            general.append(text)
