"""Template tags of the portal's own pages."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join

from agencies.once import FIELD, new_token

register = template.Library()


@register.simple_tag
def once_token() -> str:
    """The hidden one-time token of a create form (see ``agencies.once``; what "Back and
    send again" does with it is in ``static/js/portal.js``)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())


@register.simple_tag
def confirm_attrs(title, *consequences, label: str = "") -> str:
    """The attributes that make a form or button ask before it acts, in the browser
    (the dialog of ``static/js/portal.js``; ``agencies.confirm`` asks on the server
    without scripts). ``consequences`` are strings or lists of strings::

        <form method="post" {% confirm_attrs c.title c.consequences label=c.label %}>
    """
    if not title:
        return ""
    lines: list[str] = []
    for item in consequences:
        if isinstance(item, (list, tuple)):
            lines.extend(str(x) for x in item)
        elif item:
            lines.append(str(item))
    attrs = [("data-confirm", str(title))]
    if lines:
        attrs.append(("data-confirm-details", "\n".join(lines)))
    if label:
        attrs.append(("data-confirm-label", str(label)))
    return format_html_join(" ", '{}="{}"', attrs)
