"""A user's secret calendar address (iCal feed of their body's deadlines).

The address is ``/calendar/<secret>.ics``. The secret is never stored: the row keeps a random
``nonce`` (``secrets.token_urlsafe(32)``) and the SHA-256 ``digest`` of the secret, and the
secret is the HMAC-SHA256 of the nonce under the server's ``SECRET_KEY``. So

- the settings page can show the same address again (derived from the nonce), as users
  expect of a calendar subscription;
- a copy of the database alone (a backup, a dump, the admin site) does not reveal a working
  address: the nonce is useless without ``SECRET_KEY`` and the digest cannot be reversed;
- the feed finds its row by the digest of the secret it is given, independent of the key:
  an address keeps working when ``SECRET_KEY`` is rotated (only showing it again needs the
  old key, kept in ``SECRET_KEY_FALLBACKS``)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

from django.conf import settings
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from agencies.access import VisibleQuerySet
from agencies.history import HistoricalRecords

_SALT = "feeds.CalendarFeed.secret"
SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # 32 bytes, URL-safe base64 without "="


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def derive_secret(nonce: str, key: str | bytes) -> str:
    """The address secret of ``nonce`` under ``key`` (43 URL-safe characters, 256 bits)."""
    mac = salted_hmac(_SALT, nonce, secret=key, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class CalendarFeed(models.Model):
    """One calendar address per user; regenerating replaces nonce and digest, revoking
    deletes the row (both recorded in history, without the key material)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người dùng"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    nonce = models.CharField(max_length=64, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    rotated_at = models.DateTimeField(_("tạo địa chỉ mới lúc"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["nonce", "digest"])

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("lịch công việc (iCal)")
        verbose_name_plural = _("lịch công việc (iCal)")

    def __str__(self) -> str:
        return str(self.user)

    def set_new_secret(self) -> None:
        """A fresh nonce; the old address stops as soon as the row is saved."""
        self.nonce = new_nonce()
        self.digest = digest_of(derive_secret(self.nonce, settings.SECRET_KEY))

    def secret(self) -> str | None:
        """The address secret, derived again; None when no known key derives it (the
        server's key changed and the old one is not among the fallbacks)."""
        for key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
            candidate = derive_secret(self.nonce, key)
            if secrets.compare_digest(digest_of(candidate), self.digest):
                return candidate
        return None
