"""The base of every form in the portal: ``PortalForm`` and ``PortalModelForm`` apply the
text and number rules of ``agencies.validators`` to every field, so a form cannot forget
them (``tests/test_security_input.py`` checks that every form of the apps is one).

- Every text field (``CharField`` and its kinds) gets a maximum length (its own, the model
  field's for a model form, else 5,000 for a text area and 500 for a single line) and the
  text rule: no NUL or other control characters, line breaks only in text areas, CR LF
  counted and stored as one line break.
- Every number field is bounded: ``DecimalNumberField`` / ``IntegerNumberField`` read
  numbers through the number rule (digits, decimals, range; no exponent, NaN or Infinity; a
  Vietnamese decimal comma is fine). A plain Django ``DecimalField``, ``IntegerField`` or
  ``FloatField`` (declared, or made by a model form) is replaced by the bounded kind, with
  its own bounds or the defaults below."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core import validators as django_validators
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from agencies.validators import INTEGER_MAX, TextValidator, parse_decimal, parse_integer
from agencies.widgets import DATE_INVALID

LINE_MAX_LENGTH = 500
TEXT_MAX_LENGTH = 5000
DEFAULT_MAX_DIGITS, DEFAULT_DECIMAL_PLACES = 12, 2
# Django's own checks the text rule replaces (one message per problem, in Vietnamese).
_REPLACED_TEXT_VALIDATORS = (
    django_validators.MaxLengthValidator,
    django_validators.ProhibitNullCharactersValidator,
)
_REPLACED_NUMBER_VALIDATORS = (
    django_validators.MinValueValidator,
    django_validators.MaxValueValidator,
    django_validators.DecimalValidator,
    django_validators.StepValueValidator,
)


class DecimalNumberField(forms.DecimalField):
    """A decimal read by the number rule; every bound is required."""

    widget = forms.TextInput  # a number input refuses the Vietnamese decimal comma

    def __init__(self, *, max_digits: int, decimal_places: int, min_value, max_value, **kwargs):
        super().__init__(
            max_digits=max_digits,
            decimal_places=decimal_places,
            min_value=min_value,
            max_value=max_value,
            **kwargs,
        )

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return parse_decimal(
            value,
            max_digits=self.max_digits,
            decimal_places=self.decimal_places,
            minimum=self.min_value,
            maximum=self.max_value,
            label=self.label,
        )

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if not widget.is_hidden:
            attrs.setdefault("inputmode", "decimal")
        return attrs


class FloatNumberField(DecimalNumberField):
    """A ``FloatField`` bounded like a decimal; the value is a float, as before."""

    def clean(self, value):
        number = super().clean(value)
        return None if number is None else float(number)


class IntegerNumberField(forms.IntegerField):
    """A whole number read by the number rule; both bounds are required."""

    def __init__(self, *, min_value: int, max_value: int, **kwargs):
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return parse_integer(
            value, minimum=self.min_value, maximum=self.max_value, label=self.label
        )


BOUNDED_NUMBER_FIELDS = (DecimalNumberField, IntegerNumberField)


def _field_kwargs(field: forms.Field) -> dict:
    kwargs = {
        "required": field.required,
        "label": field.label,
        "initial": field.initial,
        "help_text": field.help_text,
        "disabled": field.disabled,
        "show_hidden_initial": field.show_hidden_initial,
        "label_suffix": field.label_suffix,
        "validators": [
            v for v in field.validators if not isinstance(v, _REPLACED_NUMBER_VALIDATORS)
        ],
    }
    if field.widget.is_hidden or not isinstance(field.widget, forms.NumberInput):
        kwargs["widget"] = field.widget
    return kwargs


def bounded_number_field(field: forms.Field) -> forms.Field:
    """The bounded kind of a plain Django number field, with its bounds or the defaults
    (no negative numbers; digits and range the database can hold)."""
    kwargs = _field_kwargs(field)
    minimum = 0 if field.min_value is None else field.min_value
    if isinstance(field, forms.DecimalField | forms.FloatField):
        digits = getattr(field, "max_digits", None) or DEFAULT_MAX_DIGITS
        places = getattr(field, "decimal_places", None)
        places = DEFAULT_DECIMAL_PLACES if places is None else places
        largest = Decimal(10) ** (digits - places) - Decimal(1).scaleb(-places)
        kind = DecimalNumberField if isinstance(field, forms.DecimalField) else FloatNumberField
        return kind(
            max_digits=digits,
            decimal_places=places,
            min_value=minimum,
            max_value=largest if field.max_value is None else field.max_value,
            **kwargs,
        )
    maximum = INTEGER_MAX if field.max_value is None else field.max_value
    return IntegerNumberField(min_value=minimum, max_value=maximum, **kwargs)


def bound_text_field(field: forms.CharField) -> None:
    """Give a text field its maximum length and the text rule, in place (idempotent)."""
    if any(isinstance(v, TextValidator) for v in field.validators):
        return
    multiline = isinstance(field.widget, forms.Textarea)
    limit = field.max_length or (TEXT_MAX_LENGTH if multiline else LINE_MAX_LENGTH)
    field.max_length = limit
    field.validators = [
        v for v in field.validators if not isinstance(v, _REPLACED_TEXT_VALIDATORS)
    ] + [TextValidator(limit, multiline=multiline, label=field.label)]
    if not field.widget.is_hidden:
        field.widget.attrs.setdefault("maxlength", str(limit))


class BoundedFormMixin:
    """Applies the text and number rules to every field of the form: when it is built, and
    again before validation, for fields a form adds in its own ``__init__``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bound_inputs()

    def bound_inputs(self) -> None:
        for name, field in list(self.fields.items()):
            if isinstance(field, forms.CharField):
                bound_text_field(field)
            elif isinstance(
                field, forms.IntegerField | forms.FloatField | forms.DecimalField
            ) and not isinstance(field, BOUNDED_NUMBER_FIELDS):
                self.fields[name] = bounded_number_field(field)
                self._bound_fields_cache.pop(name, None)  # a BoundField holds its field
            elif isinstance(field, forms.DateField):
                field.error_messages["invalid"] = DATE_INVALID  # one message for every date

    def full_clean(self):
        self.bound_inputs()
        super().full_clean()

    def clean(self):
        """Text as it is stored: line breaks as LF (the length was counted that way)."""
        data = super().clean()
        for name, value in data.items():
            if isinstance(value, str) and "\r" in value:
                data[name] = value.replace("\r\n", "\n").replace("\r", "\n")
        return data


class PortalForm(BoundedFormMixin, forms.Form):
    pass


class PortalModelForm(BoundedFormMixin, forms.ModelForm):
    pass


class PortalFormSet(forms.BaseFormSet):
    """The base of every formset: Django's own formset messages in Vietnamese (its bundled
    catalog leaves "Please submit at most %d forms." and the others untranslated)."""

    default_error_messages = {
        "missing_management_form": _(
            "Biểu mẫu gửi lên thiếu thông tin số dòng (%(field_names)s); hãy tải lại trang "
            "và nhập lại."
        ),
        "too_many_forms": ngettext_lazy(
            "Chỉ được gửi tối đa %(num)d dòng.", "Chỉ được gửi tối đa %(num)d dòng.", "num"
        ),
        "too_few_forms": ngettext_lazy(
            "Cần gửi ít nhất %(num)d dòng.", "Cần gửi ít nhất %(num)d dòng.", "num"
        ),
    }


class PortalAuthenticationForm(BoundedFormMixin, AuthenticationForm):
    """Sign-in under the text rule: a control character is refused in Vietnamese."""


class PortalPasswordChangeForm(BoundedFormMixin, PasswordChangeForm):
    """Password change under the text rule: a control character is refused in Vietnamese."""
