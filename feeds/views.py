"""The calendar settings page (signed-in, the user's own address only) and the feed itself
(public by its secret: ``login_not_required``, no session, no second factor)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST, require_safe

from agencies.confirm import confirmation
from agencies.once import AlreadySubmitted, already, once
from feeds import ical, selectors, services
from feeds.models import CalendarFeed
from feeds.selectors import WINDOW_DAYS

_STOPS = gettext_lazy(
    "Địa chỉ hiện tại ngừng hoạt động ngay: chương trình lịch đang dùng nó sẽ không cập nhật nữa."
)


def _regenerate_texts() -> dict:
    return {
        "title": _("Tạo địa chỉ lịch mới?"),
        "consequences": [
            _STOPS,
            _("Anh/chị cần thêm địa chỉ mới vào chương trình lịch."),
        ],
        "label": _("Tạo địa chỉ mới"),
    }


def _revoke_texts() -> dict:
    return {
        "title": _("Tắt lịch công việc?"),
        "consequences": [
            _STOPS,
            _("Có thể bật lại sau, với một địa chỉ mới."),
        ],
        "label": _("Tắt lịch"),
    }


def _addresses(request: HttpRequest, feed: CalendarFeed | None) -> dict:
    secret = feed.secret() if feed is not None else None
    if secret is None:
        return {"feed_url": "", "webcal_url": ""}
    url = request.build_absolute_uri(reverse("calendar_feed_file", args=[secret]))
    return {"feed_url": url, "webcal_url": "webcal://" + url.split("://", 1)[1]}


@require_GET
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """The user's own calendar address, how to add it to a calendar program, and the
    buttons to create, regenerate and turn it off."""
    feed = CalendarFeed.objects.visible_to(request.user).filter(user_id=request.user.pk).first()
    timeline = CalendarFeed.history.filter(user_id=request.user.pk).order_by("-history_date")
    context = {
        "feed": feed,
        **_addresses(request, feed),
        "regenerate": _regenerate_texts(),
        "revoke": _revoke_texts(),
        "alarm_days": settings.ICAL_ALARM_DAYS,
        "window_days": WINDOW_DAYS,
        "timeline": list(timeline[:10]),
    }
    return render(request, "feeds/settings.html", context)


@require_POST
def calendar_create(request: HttpRequest) -> HttpResponse:
    settings_url = reverse("calendar_settings")
    try:
        with once(request) as receipt:
            _feed, created = services.feed_create(actor=request.user)
            receipt.result_url = settings_url
    except AlreadySubmitted as done:
        return already(request, done, settings_url)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(settings_url)
    if created:
        messages.success(request, _("Đã tạo địa chỉ lịch công việc."))
    else:
        messages.info(request, _("Anh/chị đã có địa chỉ lịch; không tạo thêm."))
    return redirect(settings_url)


def _act(request: HttpRequest, texts: dict, service, done: str) -> HttpResponse:
    """Ask first (``agencies.confirm``), then call ``service`` on the user's own feed."""
    settings_url = reverse("calendar_settings")
    response = confirmation(
        request,
        title=texts["title"],
        consequences=texts["consequences"],
        confirm_label=texts["label"],
        cancel_url=settings_url,
    )
    if response is not None:
        return response
    try:
        service(actor=request.user)
    except ValidationError as exc:
        messages.info(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect(settings_url)


@require_POST
def calendar_regenerate(request: HttpRequest) -> HttpResponse:
    return _act(
        request,
        _regenerate_texts(),
        services.feed_regenerate,
        _("Đã tạo địa chỉ lịch mới. Địa chỉ cũ không còn dùng được."),
    )


@require_POST
def calendar_revoke(request: HttpRequest) -> HttpResponse:
    return _act(
        request,
        _revoke_texts(),
        services.feed_revoke,
        _("Đã tắt lịch công việc. Địa chỉ cũ không còn dùng được."),
    )


@login_not_required
@require_safe
def calendar_feed_file(request: HttpRequest, secret: str) -> HttpResponse:
    """The feed: the deadlines the address's user would see, whoever asks (the requester's
    session, if any, is not read). 404 for an unknown, regenerated or revoked address and
    for a deactivated user."""
    feed = selectors.feed_by_secret(secret)
    if feed is None:
        raise Http404
    with translation.override(settings.LANGUAGE_CODE):
        body = ical.build_calendar(
            name=ical.calendar_name(feed.user),
            deadlines=selectors.body_deadlines(feed.user),
            absolute=request.build_absolute_uri,
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="lich-cchc.ics"'
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response
