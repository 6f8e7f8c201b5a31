"""Personal API tokens (issue 17): a user's named key to the REST API.

Only the SHA-256 of the key is stored (the key is 256 random bits, so a plain hash is
enough: nothing to guess from it), with a short non-secret prefix that names the key in
lists. The key itself is shown once, on the page that answers its creation. History records
creation and revocation under the acting user; the hash and the last-use time are kept out
of it."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.access import VisibleQuerySet
from agencies.history import HistoricalRecords


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", _("Chỉ đọc")
        WRITE = "write", _("Đọc và ghi")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("người dùng"),
    )
    name = models.CharField(_("tên khóa"), max_length=100)
    prefix = models.CharField(_("mã nhận diện"), max_length=16)
    key_hash = models.CharField(_("mã băm"), max_length=64, unique=True, editable=False)
    scope = models.CharField(_("quyền"), max_length=8, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    expires_at = models.DateTimeField(_("hết hạn lúc"))
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("dùng lần cuối"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["key_hash", "last_used_at"])

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("khóa truy cập API")
        verbose_name_plural = _("khóa truy cập API")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="api_token_user_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def last_valid_moment(self):
        """What the pages show: the last minute the token works (a token made to expire on
        a day works to the end of it, i.e. up to the next midnight, exclusive)."""
        return self.expires_at - dt.timedelta(seconds=1)

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())

    def is_active(self, now=None) -> bool:
        return not self.is_revoked and not self.is_expired(now)

    @property
    def read_only(self) -> bool:
        return self.scope == self.Scope.READ
