"""Numbers in documents as the pages print them.

The pages print scores and indices with two decimals in the reader's language ("90,50",
"91,26": ``floatformat:2``, ``scoring.selectors.figure``); the PDF templates print every
number through ``figure``, the same format, so a document never says "90.5" where the page
says "90,50". Text that is not a number ("–", "KAD", a figure already formatted) stays as
it is."""

from __future__ import annotations

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def figure(value, places=2):
    """``floatformat`` (two decimals unless told) in the active language; anything that is
    not a number unchanged."""
    if value is None or value == "":
        return "–"
    formatted = floatformat(value, places)
    return formatted if formatted != "" else value
