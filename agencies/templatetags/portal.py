"""Template tags of the portal's own pages."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from agencies.once import FIELD, new_token

register = template.Library()


@register.simple_tag
def once_token() -> str:
    """The hidden one-time token of a create form (see ``agencies.once``; what "Back and
    send again" does with it is in ``static/js/portal.js``)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
