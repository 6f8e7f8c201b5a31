"""Confirmation before an irreversible act, saying what will happen.

A POST view calls ``confirmation`` after its input is valid and before it calls the
service::

    response = confirmation(request, title=_("Ban hành báo cáo?"),
                            consequences=[_("Báo cáo nhận số tiếp theo …")],
                            confirm_label=_("Ban hành"))
    if response is not None:
        return response  # the confirm page: nothing changed yet

- A POST carrying ``confirmed=1`` has been confirmed: the function returns ``None`` and the
  view acts.
- Otherwise it answers with ``templates/confirm.html``: the title, the consequences, and a
  form that re-posts every field of the request (multi-valued fields too, the one-time token
  included) as hidden inputs plus ``confirmed=1``, with the button ``confirm_label`` and
  "Quay lại" (``cancel_url``, or the page the user came from when it is on this site).
- Files cannot be re-posted from a page. A form with files confirms in the browser only
  (``data-confirm`` on the form, the dialog in ``static/js/portal.js`` adds ``confirmed=1``);
  a request with files and without ``confirmed=1`` gets the confirm page without the
  re-post form, asking the user to go back and send the form again.

In the browser, a form or button with ``data-confirm="…"`` (see ``{% confirm_attrs %}`` in
``agencies/templatetags/portal.py``) shows the same question in a dialog, so with scripts
the user clicks once and confirms in the dialog; without scripts they get this page.
Details for operators and developers: ``docs/confirmations.md``."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

FIELD = "confirmed"
_SKIP = {FIELD, "csrfmiddlewaretoken"}


def is_confirmed(request: HttpRequest) -> bool:
    return request.POST.get(FIELD) == "1"


def _back_url(request: HttpRequest, cancel_url: str | None) -> str:
    if cancel_url:
        return cancel_url
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return "/"


def confirmation(
    request: HttpRequest,
    *,
    title: str,
    consequences: Iterable[str],
    confirm_label: str,
    cancel_url: str | None = None,
) -> HttpResponse | None:
    """``None`` when the POST is confirmed; otherwise the page that asks (status 200)."""
    if is_confirmed(request):
        return None
    fields = [
        (key, value)
        for key in request.POST
        if key not in _SKIP
        for value in request.POST.getlist(key)
    ]
    return render(
        request,
        "confirm.html",
        {
            "title": title,
            "consequences": [str(c) for c in consequences],
            "confirm_label": confirm_label,
            "fields": fields,
            "has_files": bool(request.FILES),
            "action": request.get_full_path(),
            "back_url": _back_url(request, cancel_url),
        },
    )
