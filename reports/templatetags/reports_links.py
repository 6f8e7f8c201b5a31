"""Links from other apps' pages to reports' documents, shown only to users who may open
them: the flag is the one the document's view checks (``reports.access``), so a page of
another app never offers a link that answers 403. Flags read the user's roles, which are
computed once per request (``agencies.roles.user_roles``): no query."""

from __future__ import annotations

from django import template

from reports import access

register = template.Library()


@register.simple_tag(takes_context=True)
def reminder_letters_allowed(context) -> bool:
    """May the user download a body's reminder letter (``reminder_letter_pdf``) and issue
    it (``reminder_issue``)?"""
    request = context.get("request")
    return bool(request is not None and access.reports_manage(request.user))


@register.simple_tag(takes_context=True)
def issued_register_allowed(context) -> bool:
    """May the user open the register of issued documents (``issued_list``)?"""
    request = context.get("request")
    return bool(request is not None and access.issued_register(request.user))
