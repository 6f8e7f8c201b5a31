from __future__ import annotations

import datetime as dt

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials, get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies.access import get_visible_or_404
from agencies.forms import PortalAuthenticationForm, PortalPasswordChangeForm
from agencies.lineage import lineage, name_on
from agencies.models import Agency, User
from agencies.roles import ROLE_LABELS


class PortalLoginView(auth_views.LoginView):
    form_class = PortalAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["demo_mode"] = settings.DEMO_MODE
        context["mfa_required"] = settings.MFA_REQUIRED
        # The button of the province's identity provider (sso.oidc, docs/sso.md).
        context["oidc_enabled"] = settings.OIDC_ENABLED
        return context


class PortalLogoutView(auth_views.LogoutView):
    """Django's sign-out, then on to where a sign-in route ends its own session too.

    Each function named in settings.SIGN_OUT_HOOKS is asked, before the portal's session
    (which it reads) ends, for a URL; the first URL given is where the browser goes next
    (the identity provider's sign-out: sso.oidc.provider_logout_url). None: Django's way."""

    def post(self, request, *args, **kwargs):
        onward = next(
            (url for hook in settings.SIGN_OUT_HOOKS if (url := import_string(hook)(request))),
            None,
        )
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(onward) if onward else response


class PortalPasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change under sign-in's lockout policy: a wrong old password counts
    as a failed sign-in for this user from this address (django-axes); at the limit the
    session ends and the lockout page answers, as it would at the sign-in form."""

    form_class = PortalPasswordChangeForm

    def dispatch(self, request, *args, **kwargs):
        # A user who signs in through the province's provider or directory has no portal
        # password: their password is changed there, and a "wrong old password" here must not
        # count towards their lockout.
        if request.user.is_authenticated and not request.user.has_usable_password():
            messages.info(
                request,
                _(
                    "Tài khoản của anh/chị đăng nhập bằng tài khoản định danh hoặc thư mục của "
                    "tỉnh: hãy đổi mật khẩu ở đó."
                ),
            )
            return redirect("profile")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if AxesProxyHandler.is_locked(request, self._credentials()):
            return self._locked_out()
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if form.has_error("old_password", "password_incorrect"):
            user_login_failed.send(
                sender=type(self), credentials=self._credentials(), request=self.request
            )
            if AxesProxyHandler.is_locked(self.request, self._credentials()):
                return self._locked_out()
        return super().form_invalid(form)

    def _credentials(self) -> dict:
        return get_credentials(self.request.user.get_username())

    def _locked_out(self) -> HttpResponse:
        credentials = self._credentials()
        logout(self.request)
        return get_lockout_response(self.request, None, credentials)


def _directory_day(request: HttpRequest) -> tuple[dt.date, str]:
    """The date the directory is shown for (``?on=YYYY-MM-DD``, today by default) and the
    message when the date given is not one."""
    today = timezone.localdate()
    raw = request.GET.get("on", "").strip()
    if not raw:
        return today, ""
    try:
        return dt.date.fromisoformat(raw), ""
    except ValueError:
        return today, _(
            "Ngày “%(raw)s” không hợp lệ: hãy chọn một ngày (ví dụ 2025-03-01); đang hiện "
            "danh bạ hôm nay."
        ) % {"raw": raw[:40]}


@require_GET
def agency_list(request: HttpRequest) -> HttpResponse:
    """The bodies in existence on a date ("Danh bạ tại ngày", today by default) under the
    names they carried then, or every body ever (``?ended=1``), grouped by kind."""
    day, date_error = _directory_day(request)
    everything = request.GET.get("ended") == "1"
    queryset = Agency.objects.visible_to(request.user).prefetch_related("former_names")
    if not everything:
        queryset = queryset.active(day)
    rows = [
        {"agency": a, "name": name_on(a, day), "current": a.exists_on(day)}
        for a in queryset.order_by("sort_order", "name")
    ]
    groups = [
        (label, [r for r in rows if r["agency"].kind == kind])
        for kind, label in Agency.Kind.choices
    ]
    return render(
        request,
        "agencies/agency_list.html",
        {
            "groups": [(label, items) for label, items in groups if items],
            "day": day,
            "is_today": day == timezone.localdate(),
            "everything": everything,
            "date_error": date_error,
        },
    )


@require_GET
def agency_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A body, its people, the names it carried before and its lineage (the bodies whose
    work it took over and those that took over its own, with dates and legal basis)."""
    agency = get_visible_or_404(
        Agency.objects.prefetch_related(
            Prefetch(
                "users",
                queryset=User.objects.filter(is_active=True).prefetch_related("groups"),
            ),
            "former_names",
        ),
        request.user,
        code=code,
    )
    people = [
        {
            "user": u,
            "roles": [
                ROLE_LABELS[g.name.removeprefix("role:")]
                for g in u.groups.all()
                if g.name.removeprefix("role:") in ROLE_LABELS
            ],
        }
        for u in agency.users.all()
    ]
    return render(
        request,
        "agencies/agency_detail.html",
        {
            "agency": agency,
            "people": people,
            "lineage": lineage(agency),
            "former_names": sorted(agency.former_names.all(), key=lambda n: n.valid_to),
        },
    )


@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "agencies/profile.html", {"profile_user": request.user})
