"""Pages of the user's own security: two-factor, sessions; and the officers' unlock page."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies import mfa
from agencies.access import require
from agencies.forms import PortalForm
from agencies.security import (
    may_unlock,
    user_lockout_release,
    user_lockouts_locked,
    user_requires_mfa,
    user_sessions_active,
    user_sessions_end,
)


class TokenForm(PortalForm):
    token = forms.CharField(
        label=gettext_lazy("Mã xác thực"),
        max_length=20,
        help_text=gettext_lazy(
            "Mã 6 chữ số trong ứng dụng xác thực, hoặc một mã khôi phục chưa dùng."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text"}),
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return settings.LOGIN_REDIRECT_URL


@require_http_methods(["GET", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if mfa.mfa_enabled(user) and not user.is_verified():
        return redirect("mfa_verify")
    device = mfa.mfa_pending_device(user=user, key=mfa.mfa_pending_key(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa.mfa_confirm(request=request, user=user, token=form.cleaned_data["token"])
        if codes is not None:
            return render(
                request,
                "agencies/mfa_recovery_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
        form.add_error("token", _("Mã không đúng. Kiểm tra giờ trên điện thoại và thử lại."))
    return render(
        request,
        "agencies/mfa_setup.html",
        {
            "form": form,
            "qr_svg": mfa.mfa_qr_svg(device),
            "secret": mfa.mfa_secret_text(device),
            "already_enabled": mfa.mfa_enabled(user),
            "next": request.GET.get("next", ""),
        },
    )


@require_http_methods(["GET", "POST"])
def mfa_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not mfa.mfa_enabled(user):
        # The device was removed (by an administrator, or in another session).
        mfa.mfa_session_mark(request, user)
        if settings.MFA_REQUIRED and user_requires_mfa(user):
            return redirect("mfa_setup")
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.mfa_verify(request=request, user=user, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", _("Mã không đúng hoặc đã được dùng."))
    return render(
        request,
        "agencies/mfa_verify.html",
        {"form": form, "next": request.GET.get("next", "")},
    )


@require_POST
def mfa_recovery_codes(request: HttpRequest) -> HttpResponse:
    require(mfa.mfa_enabled(request.user) and request.user.is_verified())
    codes = mfa.mfa_recovery_codes_renew(user=request.user)
    return render(request, "agencies/mfa_recovery_codes.html", {"codes": codes, "next": ""})


@require_POST
def mfa_disable(request: HttpRequest) -> HttpResponse:
    user = request.user
    require(not (settings.MFA_REQUIRED and user_requires_mfa(user)))
    require(user.is_verified() or not mfa.mfa_enabled(user))  # the gate's rule, kept here too
    mfa.mfa_disable(request=request, user=user, actor=user)
    messages.success(request, _("Đã tắt xác thực hai yếu tố."))
    return redirect("session_list")


@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "agencies/security.html",
        {
            "sessions": user_sessions_active(user=user),
            "current_key": request.session.session_key,
            "mfa_enabled": mfa.mfa_enabled(user),
            "mfa_required": settings.MFA_REQUIRED and user_requires_mfa(user),
            "may_unlock": may_unlock(user),
        },
    )


@require_POST
def session_end(request: HttpRequest) -> HttpResponse:
    current = request.session.session_key
    if request.POST.get("all_others"):
        keys = [s.session_key for s in user_sessions_active(user=request.user)]
    else:
        keys = [request.POST.get("session_key", "")]
    keys = [k for k in keys if k and k != current]
    ended = user_sessions_end(user=request.user, session_keys=keys, actor=request.user)
    messages.success(request, _("Đã kết thúc %(count)d phiên đăng nhập.") % {"count": ended})
    return redirect("session_list")


@require_GET
def lockout_list(request: HttpRequest) -> HttpResponse:
    require(may_unlock(request.user))
    return render(
        request,
        "agencies/lockout_list.html",
        {"lockouts": user_lockouts_locked(), "failure_limit": settings.AXES_FAILURE_LIMIT},
    )


@require_POST
def lockout_release(request: HttpRequest, pk: int) -> HttpResponse:
    require(may_unlock(request.user))
    if user_lockout_release(attempt_id=pk, actor=request.user):
        messages.success(request, _("Đã mở khóa đăng nhập."))
    return redirect("lockout_list")
