"""Writes of calendar feeds: create, regenerate and revoke the user's own address.

Each acts on the actor's own row only (there is no way to name another user's), runs in one
transaction with the row locked, and records history with the reason."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import history
from feeds.models import CalendarFeed


def _own(actor, *, lock: bool = False) -> CalendarFeed | None:
    feeds = CalendarFeed.objects.visible_to(actor)
    if lock:
        feeds = feeds.select_for_update()
    return feeds.filter(user_id=actor.pk).first()


def feed_create(*, actor) -> tuple[CalendarFeed, bool]:
    """The actor's calendar address, created when there is none: ``(feed, created)``.

    Creating twice (a double click, two tabs at once) gives the one address: the second
    request finds the first's row, or meets the one-per-user key and reads it."""
    if not actor.is_authenticated or not actor.is_active:
        raise ValidationError(_("Tài khoản không còn hoạt động."))
    with transaction.atomic():
        existing = _own(actor, lock=True)
        if existing is not None:
            return existing, False
        feed = CalendarFeed(user=actor)
        feed.set_new_secret()
        try:
            with transaction.atomic():
                history.save(feed, _("Tạo địa chỉ lịch công việc (iCal)"), actor=actor)
        except IntegrityError:
            return CalendarFeed.objects.get(user_id=actor.pk), False
    return feed, True


def feed_regenerate(*, actor) -> CalendarFeed:
    """A new address for the actor; the old one gives 404 from the moment this commits."""
    with transaction.atomic():
        feed = _own(actor, lock=True)
        if feed is None:
            raise ValidationError(_("Anh/chị chưa có địa chỉ lịch để tạo lại."))
        feed.set_new_secret()
        feed.rotated_at = timezone.now()
        history.save(feed, _("Tạo địa chỉ lịch mới; địa chỉ cũ ngừng hoạt động"), actor=actor)
    return feed


def feed_revoke(*, actor) -> None:
    """Turn the actor's calendar off: the address gives 404 from the moment this commits."""
    with transaction.atomic():
        feed = _own(actor, lock=True)
        if feed is None:
            raise ValidationError(_("Lịch công việc của anh/chị đã tắt."))
        history.delete(feed, _("Tắt lịch công việc (iCal)"), actor=actor)
