"""The profile's personal API tokens: list, create (the key shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies.access import get_visible_or_404
from agencies.confirm import confirmation
from agencies.once import AlreadySubmitted, already, once
from api import tokens
from api.models import ApiToken
from api.token_forms import TokenCreateForm


def _revoke_texts(token: ApiToken) -> dict:
    """The question asked before revoking (the dialog and the page without scripts)."""
    return {
        "title": _("Thu hồi khóa “%(name)s”?") % {"name": token.name},
        "consequences": [
            _("Mọi chương trình đang dùng khóa %(prefix)s… bị từ chối ngay lập tức.")
            % {"prefix": token.prefix},
            _("Khóa đã thu hồi không dùng lại được; cần thì tạo khóa mới."),
        ],
        "label": _("Thu hồi"),
    }


def _status(token: ApiToken, now) -> tuple[str, str]:
    if token.revoked_at is not None:
        return _("Đã thu hồi"), "cancelled"
    if token.is_expired(now):
        return _("Đã hết hạn"), "overdue"
    return _("Đang dùng"), "on_time"


def _list_page(request: HttpRequest, form: TokenCreateForm) -> HttpResponse:
    now = timezone.now()
    rows = []
    for token in tokens.tokens_of(request.user):
        label, badge = _status(token, now)
        rows.append(
            {
                "token": token,
                "status": label,
                "badge": badge,
                "confirm": _revoke_texts(token) if token.revoked_at is None else None,
            }
        )
    return render(request, "api/token_list.html", {"rows": rows, "form": form})


@require_GET
def token_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, TokenCreateForm())


@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Create; the answer is the only page that ever shows the key (not cached, and a
    second send of the same form shows the list instead)."""
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        try:
            with once(request) as receipt:
                token, key = tokens.token_create(user=request.user, **form.cleaned_data)
                receipt.result_url = reverse("api_token_list")
        except AlreadySubmitted as done:
            return already(request, done, reverse("api_token_list"))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            response = render(request, "api/token_created.html", {"token": token, "key": key})
            add_never_cache_headers(response)
            return response
    return _list_page(request, form)


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_visible_or_404(ApiToken.objects, request.user, pk=pk)
    if token.revoked_at is not None:
        messages.info(request, _("Khóa này đã được thu hồi trước đó."))
        return redirect("api_token_list")
    texts = _revoke_texts(token)
    response = confirmation(
        request,
        title=texts["title"],
        consequences=texts["consequences"],
        confirm_label=texts["label"],
        cancel_url=reverse("api_token_list"),
    )
    if response is not None:
        return response
    tokens.token_revoke(token=token, actor=request.user)
    messages.success(request, _("Đã thu hồi khóa “%(name)s”.") % {"name": token.name})
    return redirect("api_token_list")
