"""Helpers shared by the scoring views."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _errors(exc: ValidationError) -> list[str]:
    return list(exc.messages)


def _flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in _errors(exc):
        messages.error(request, message)


def _flash_form(request: HttpRequest, form) -> None:
    """A refused form's own messages, each with its field's label, for a page that is
    shown again after a redirect."""
    for name, field_errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        for message in field_errors:
            messages.error(request, f"{label}: {message}" if label else message)
