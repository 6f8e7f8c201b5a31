"""Services of personal API tokens: create, revoke, authenticate, record use.

A key is ``cchc_`` followed by 43 URL-safe characters (32 random bytes). The database holds
its SHA-256 and its first characters (``prefix``), never the key. ``token_create`` returns
the key once, to be shown on the page that answers the creation and nowhere else."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import history
from agencies.validators import clean_text
from api.models import ApiToken

KEY_PREFIX = "cchc_"
PREFIX_LENGTH = len(KEY_PREFIX) + 6  # what lists show: "cchc_AbC12x…"
NAME_MAX_LENGTH = 100
DEFAULT_DAYS = 90
# last_used_at is written at most this often per token (one UPDATE, no read before it).
TOUCH_INTERVAL = dt.timedelta(minutes=1)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def default_expiry_date(today: dt.date | None = None) -> dt.date:
    """The expiry date the form suggests (within the allowed maximum)."""
    today = today or timezone.localdate()
    return today + dt.timedelta(days=min(DEFAULT_DAYS, settings.API_TOKEN_MAX_DAYS))


def max_expiry_date(today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()) + dt.timedelta(days=settings.API_TOKEN_MAX_DAYS)


def end_of_day(day: dt.date) -> dt.datetime:
    """A token that expires on ``day`` works until the end of that day (local time)."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _expiry(expires_at: dt.datetime | dt.date | None) -> dt.datetime:
    """The expiry as an aware datetime, or ValidationError in Vietnamese: a date after
    today (or a future moment), no later than API_TOKEN_MAX_DAYS from today."""
    if expires_at is None:
        raise ValidationError({"expires_at": _("Hãy chọn ngày hết hạn.")})
    if isinstance(expires_at, dt.datetime):
        if timezone.is_naive(expires_at):
            expires_at = timezone.make_aware(expires_at)
        too_early = expires_at <= timezone.now()
    else:  # a date: the token works to the end of that day, which must not be today
        too_early = expires_at <= timezone.localdate()
        expires_at = end_of_day(expires_at)
    if too_early:
        raise ValidationError(
            {"expires_at": _("Ngày hết hạn phải sau hôm nay (không chọn ngày đã qua).")}
        )
    if expires_at > end_of_day(max_expiry_date()):
        raise ValidationError(
            {
                "expires_at": _(
                    "Khóa chỉ được dùng tối đa %(days)s ngày: chọn ngày hết hạn không muộn hơn "
                    "%(date)s."
                )
                % {
                    "days": settings.API_TOKEN_MAX_DAYS,
                    "date": max_expiry_date().strftime("%d/%m/%Y"),
                }
            }
        )
    return expires_at


def _name(name: str) -> str:
    text = clean_text(name, max_length=NAME_MAX_LENGTH, multiline=False, label=_("Tên khóa"))
    if not text:
        raise ValidationError({"name": _("Hãy đặt tên cho khóa (ví dụ: “Đồng bộ LGSP”).")})
    return text


def _scope(scope: str) -> str:
    if scope not in ApiToken.Scope.values:
        raise ValidationError({"scope": _("Quyền của khóa không hợp lệ.")})
    return scope


@transaction.atomic
def token_create(
    *, user, name: str, scope: str, expires_at: dt.datetime | dt.date
) -> tuple[ApiToken, str]:
    """Create a token for ``user`` (who is also the actor); returns the row and the plain
    key, which exists nowhere else afterwards. ``expires_at``: a datetime, or a date (the
    token then works until the end of that day). Refused in Vietnamese: an empty or too
    long name, an unknown scope, an expiry not after today or beyond API_TOKEN_MAX_DAYS,
    an inactive user."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    values = {}
    for field, check, raw in (
        ("name", _name, name),
        ("scope", _scope, scope),
        ("expires_at", _expiry, expires_at),
    ):
        try:
            values[field] = check(raw)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)
    key = new_key()
    token = ApiToken(user=user, prefix=key[:PREFIX_LENGTH], key_hash=key_hash(key), **values)
    history.save(token, _("Tạo khóa truy cập API"), actor=user)
    return token, key


@transaction.atomic
def token_revoke(*, token: ApiToken, actor) -> ApiToken:
    """Revoke at once (its next request gets 401). By its owner, or by an administrator in
    the admin site. Revoking a revoked token changes nothing."""
    if actor.pk != token.user_id and not actor.is_staff:
        raise PermissionDenied
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        reason = (
            _("Thu hồi khóa truy cập API")
            if actor.pk == token.user_id
            else _("Quản trị viên thu hồi khóa truy cập API")
        )
        history.save(token, reason, actor=actor)
    return token


def token_for_key(key: str) -> ApiToken | None:
    """The token row of a presented key (with its user), whatever its state; None if unknown."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    return ApiToken.objects.select_related("user__agency").filter(key_hash=key_hash(key)).first()


def token_touch(token: ApiToken, now: dt.datetime | None = None) -> None:
    """Record use, at most once per TOUCH_INTERVAL: one conditional UPDATE (no read, no
    race between two requests; history is not written for it)."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_INTERVAL:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_INTERVAL)
    ).update(last_used_at=now)
    token.last_used_at = now


def tokens_of(user) -> list[ApiToken]:
    """The user's tokens, newest first (one query)."""
    return list(ApiToken.objects.visible_to(user).order_by("-created_at", "-pk"))
