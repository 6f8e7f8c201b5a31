"""The base of every API view and serializer (docs/api.md). Every part of the API
(``api/coordination_api.py``, ``api/reports_api.py``, ``api/scoring_api.py``) builds on it.

Views — subclass one of these, never DRF's classes directly::

    class RoundViewSet(PortalReadOnlyViewSet):        # list + retrieve
        serializer_class = RoundSerializer
        filterset_class = RoundFilter                 # django-filter, optional

        def get_queryset(self):                       # always through visible_to:
            return ReportRound.objects.visible_to(self.request.user).select_related(...)

    PortalGenericViewSet  # add the mixins you need (mixins.ListModelMixin, ...) or @action
    PortalAPIView         # a plain APIView

What the base gives every view:
- ``login_not_required``: Django's ``LoginRequiredMiddleware`` would answer an API call
  with a redirect to the sign-in page; the API authenticates itself (token or session)
  and answers 401 in the error format. The second-factor gate is skipped the same way;
  ``api.authentication`` refuses a session that has not passed the second factor.
- 401 (not 403) for a missing or bad credential: ``WWW-Authenticate: Bearer``.
- JSON answers, errors included (``renderer_classes``); the error format (``api.errors``),
  pagination (``api.pagination``), django-filter, the permission classes and throttles of
  ``settings.REST_FRAMEWORK``; no OPTIONS.
- the schema class that documents error answers (``api.schema.PortalAutoSchema``).
- ``get_object()`` reads through ``get_queryset()``, so another body's object is a 404.

Writes — always through the app's service, which checks the action flag again::

    access.require(access.reports_actions(user, round)["submit"])   # 403 before work
    report = call_service(services.report_submit, actor=request.user, report=report,
                          fields={"values": "figures"})

``call_service`` runs the service; its Django ``ValidationError`` becomes a 400 in the
error format with the service's own Vietnamese message (``fields`` renames the service's
field names to the API's), its ``PermissionDenied`` a 403. (Raising them without
``call_service`` gives the same answer; ``call_service`` only adds the renaming.)

Serializers — subclass ``PortalSerializer`` / ``PortalModelSerializer``: every writable
text field gets the portal's text rule (``agencies.validators``: length, no control
characters; ``style={"base_template": "textarea.html"}`` allows line breaks), every field
Vietnamese error messages. Numbers from clients: ``IntegerNumberField`` and
``DecimalNumberField`` read them by the portal's number rule (``parse_integer`` /
``parse_decimal``: JSON numbers or strings such as "1.234,5"). ``AgencyRefSerializer`` is
the short form of a body inside other objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

import django_filters
from django.contrib.auth.decorators import login_not_required
from django.core import validators as django_validators
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.validators import ProhibitSurrogateCharactersValidator
from rest_framework.views import APIView

from agencies.forms import LINE_MAX_LENGTH, TEXT_MAX_LENGTH
from agencies.forms import IntegerNumberField as PortalIntegerFormField
from agencies.models import Agency
from agencies.validators import (
    INTEGER_MAX,
    TextValidator,
    normalise_newlines,
    parse_decimal,
    parse_integer,
)
from api.schema import PortalAutoSchema

__all__ = [
    "AgencyRefSerializer",
    "DecimalNumberField",
    "IntegerNumberField",
    "PortalAPIMixin",
    "PortalAPIView",
    "PortalGenericViewSet",
    "PortalModelSerializer",
    "PortalReadOnlyViewSet",
    "PortalSerializer",
    "call_service",
]

AUTHENTICATE_HEADER = 'Bearer realm="api"'


# --- Views ----------------------------------------------------------------------------------


class PortalFilterBackend(DjangoFilterBackend):
    """django-filter, with a bad filter value answered as a 400 in the error format.

    django-filter's own translation of the form's errors formats each message again
    (``message % ()``) and fails with a 500 when the message quotes input holding a
    "%" (the number rule quotes what was typed): the form's messages are used as they are."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise serializers.ValidationError(
                {name: [str(m) for m in errors] for name, errors in filterset.errors.items()}
            )
        return filterset.qs


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": INTEGER_MAX})
class WholeNumberFilter(django_filters.NumberFilter):
    """An id or a year: a whole number by the portal's number rule (1 to ``INTEGER_MAX``
    unless narrowed); anything else is refused with a Vietnamese message, never sent to the
    database."""

    field_class = PortalIntegerFormField

    def __init__(self, *args, min_value: int = 1, max_value: int = INTEGER_MAX, **kwargs):
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)


class PortalAPIMixin:
    """What every API view shares (see the module docstring)."""

    schema = PortalAutoSchema()
    filter_backends = [PortalFilterBackend]
    http_method_names = ["get", "post", "put", "patch", "delete", "head"]
    # JSON only: the browsable docs are /api/docs/ (DRF's browsable renderer needs inline
    # scripts the CSP refuses).
    renderer_classes = [JSONRenderer]

    @classmethod
    def as_view(cls, *args, **kwargs):
        return login_not_required(super().as_view(*args, **kwargs))

    def get_authenticate_header(self, request):
        return super().get_authenticate_header(request) or AUTHENTICATE_HEADER

    def handle_exception(self, exc):
        """Errors in JSON whatever the view renders otherwise (the schema's YAML, the docs'
        HTML)."""
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class PortalAPIView(PortalAPIMixin, APIView):
    pass


class PortalGenericViewSet(PortalAPIMixin, viewsets.GenericViewSet):
    pass


class PortalReadOnlyViewSet(PortalAPIMixin, viewsets.ReadOnlyModelViewSet):
    pass


def call_service(service: Callable, /, *, fields: Mapping[str, str] | None = None, **kwargs):
    """``service(**kwargs)``; a ``ValidationError`` keyed by the service's field names is
    re-raised keyed by the API's (``fields``: service name → API name)."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        if fields and hasattr(exc, "error_dict"):
            renamed = {fields.get(key, key): errors for key, errors in exc.error_dict.items()}
            raise DjangoValidationError(renamed) from exc
        raise


# --- Serializers ----------------------------------------------------------------------------

# DRF's error keys → the Vietnamese message for each; DRF fills the {placeholders} in them
# as it does in its own messages.
_MESSAGES = {
    "required": _("Trường này là bắt buộc."),
    "null": _("Trường này không được để trống (null)."),
    "blank": _("Trường này không được để trống."),
    "invalid": _("Giá trị không hợp lệ."),
    "max_length": _("Không được dài quá {max_length} ký tự."),
    "min_length": _("Phải có ít nhất {min_length} ký tự."),
    "max_value": _("Không được lớn hơn {max_value}."),
    "min_value": _("Không được nhỏ hơn {min_value}."),
    "max_string_length": _("Số quá dài."),
    "invalid_choice": _("“{input}” không phải là một lựa chọn hợp lệ."),
    "not_a_list": _("Cần một danh sách, nhận được kiểu “{input_type}”."),
    "not_a_dict": _("Cần một đối tượng, nhận được kiểu “{input_type}”."),
    "empty": _("Danh sách không được trống."),
    "does_not_exist": _("Không có đối tượng mã “{pk_value}”."),
    "incorrect_type": _("Mã phải là một số nguyên, nhận được kiểu “{data_type}”."),
    "no_name": _("Không xác định được tên tệp."),
    "datetime": _("Cần một ngày, không phải ngày giờ."),
    "date": _("Cần một ngày giờ, không phải ngày."),
    "make_aware": _("Thời điểm không hợp lệ theo múi giờ {timezone}."),
    "overflow": _("Ngày giờ nằm ngoài khoảng cho phép."),
}
_BY_KIND = {
    serializers.BooleanField: {"invalid": _("Hãy gửi true hoặc false.")},
    serializers.IntegerField: {"invalid": _("Hãy gửi một số nguyên.")},
    serializers.DecimalField: {"invalid": _("Hãy gửi một số.")},
    serializers.DateField: {"invalid": _("Ngày không đúng định dạng; hãy dùng YYYY-MM-DD.")},
    serializers.DateTimeField: {
        "invalid": _("Ngày giờ không đúng định dạng; hãy dùng ISO 8601 (YYYY-MM-DDThh:mm).")
    },
    serializers.FileField: {
        "invalid": _("Dữ liệu gửi lên không phải là tệp; hãy gửi multipart/form-data."),
        "empty": _("Tệp gửi lên rỗng."),
        "required": _("Hãy gửi một tệp."),
    },
    serializers.ListField: {"min_length": _("Cần ít nhất {min_length} phần tử.")},
    serializers.Serializer: {
        "invalid": _("Dữ liệu không hợp lệ: cần một đối tượng, nhận được kiểu “{datatype}”.")
    },
    serializers.ListSerializer: {
        "max_length": _("Không được nhiều hơn {max_length} phần tử."),
        "min_length": _("Cần ít nhất {min_length} phần tử."),
    },
}
# Django's checks the text rule replaces (one message per problem, in Vietnamese).
_TEXT_REPLACES = (
    django_validators.MaxLengthValidator,
    django_validators.ProhibitNullCharactersValidator,
    ProhibitSurrogateCharactersValidator,
)


def vietnamese_messages(field) -> dict:
    """The field's error messages in Vietnamese (its own keys only)."""
    messages = {key: text for key, text in _MESSAGES.items() if key in field.error_messages}
    for kind, extra in _BY_KIND.items():
        if isinstance(field, kind):
            messages.update({k: v for k, v in extra.items() if k in field.error_messages})
    return messages


def _portal_field(field, name: str) -> None:
    field.error_messages = {**field.error_messages, **vietnamese_messages(field)}
    child = getattr(field, "child", None)
    if child is not None and not isinstance(field, serializers.BaseSerializer):
        _portal_field(child, name)
    if isinstance(field, serializers.CharField) and not field.read_only:
        multiline = field.style.get("base_template") == "textarea.html"
        default = TEXT_MAX_LENGTH if multiline else LINE_MAX_LENGTH
        field.validators = [v for v in field.validators if not isinstance(v, _TEXT_REPLACES)] + [
            TextValidator(
                max_length=field.max_length or default,
                multiline=multiline,
                label=field.label or name,
            )
        ]


class PortalSerializerMixin:
    """Vietnamese messages and the text rule on every field (see the module docstring)."""

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            _portal_field(field, name)
        return fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_messages = {**self.error_messages, **vietnamese_messages(self)}

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        for name, field in self.fields.items():  # CR LF and CR: one line break, as forms
            if isinstance(field, serializers.CharField) and isinstance(values.get(name), str):
                values[name] = normalise_newlines(values[name])
        return values


class PortalSerializer(PortalSerializerMixin, serializers.Serializer):
    pass


class PortalModelSerializer(PortalSerializerMixin, serializers.ModelSerializer):
    pass


def _number_text(value) -> str:
    if isinstance(value, bool):
        raise DjangoValidationError(_("Hãy gửi một số."), code="invalid")
    if isinstance(value, float | int | Decimal):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return value
    raise DjangoValidationError(_("Hãy gửi một số."), code="invalid")


class IntegerNumberField(serializers.IntegerField):
    """A whole number read by the portal's number rule; both bounds required."""

    def __init__(self, *, min_value: int = 0, max_value: int = INTEGER_MAX, **kwargs):
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)

    def to_internal_value(self, data):
        value = parse_integer(
            _number_text(data),
            minimum=self.min_value,
            maximum=self.max_value,
            label=self.label or self.field_name,
        )
        if value is None:
            self.fail("required")
        return value


class DecimalNumberField(serializers.DecimalField):
    """A decimal read by the portal's number rule (a JSON number or a string such as
    "1.234,5"); every bound required. Answers carry it as a string (DRF's default)."""

    def __init__(self, *, max_digits: int, decimal_places: int, min_value, max_value, **kwargs):
        super().__init__(
            max_digits=max_digits,
            decimal_places=decimal_places,
            min_value=min_value,
            max_value=max_value,
            **kwargs,
        )

    def to_internal_value(self, data):
        value = parse_decimal(
            _number_text(data),
            max_digits=self.max_digits,
            decimal_places=self.decimal_places,
            minimum=self.min_value,
            maximum=self.max_value,
            label=self.label or self.field_name,
        )
        if value is None:
            self.fail("required")
        return value


class AgencyRefSerializer(serializers.ModelSerializer):
    """A body inside another object: id, code and names."""

    class Meta:
        model = Agency
        fields = ["id", "code", "name", "short_name"]
        read_only_fields = fields
