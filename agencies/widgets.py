"""Form pieces every app uses: a date input the browser renders as a date picker, a
multi-file upload field, and the bodies a user may choose from."""

from __future__ import annotations

from django import forms

from agencies.models import Agency


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def active_agencies():
    """Bodies in existence today, in the province's order (for choice fields)."""
    return Agency.objects.active().order_by("sort_order")
