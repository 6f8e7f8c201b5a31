"""Reorganisation plans: a province's decision that bodies merge, split, are renamed,
abolished or created on a date, entered as a spreadsheet or a one-off form, previewed and
applied once (docs/reorganisation.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.access import VisibleQuerySet
from agencies.history import HistoricalRecords


class Change(models.TextChoices):
    MERGE = "merge", _("Hợp nhất, sáp nhập")
    SPLIT = "split", _("Chia tách")
    RENAME = "rename", _("Đổi tên")
    ABOLISH = "abolish", _("Giải thể")
    NEW = "new", _("Thành lập mới")
    PROVINCE = "province", _("Tên tỉnh")


class PlanQuerySet(VisibleQuerySet):
    pass


class Plan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Chờ xác nhận")
        APPLIED = "applied", _("Đã áp dụng")

    title = models.CharField(_("tên phương án"), max_length=255)
    source_name = models.CharField(_("tệp nguồn"), max_length=255, blank=True)
    effective_date = models.DateField(_("ngày hiệu lực"))
    legal_basis = models.CharField(_("căn cứ"), max_length=500)
    # The plan's rows as parsed (``reorg.parsing.PlanRow.as_dict``), with their line numbers.
    rows = models.JSONField(_("nội dung"), default=list)
    # Identifies the plan's content: the same plan is applied once.
    digest = models.CharField(max_length=64, db_index=True)
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # The officer's choices in the preview: "task:12" -> successor id, and whether the
    # ended bodies' users are deactivated instead of moved.
    choices = models.JSONField(default=dict, blank=True)
    deactivate_users = models.BooleanField(_("khóa tài khoản của cơ quan kết thúc"), default=False)
    # What moved, per ended body, written when applied (shown on the plan's page).
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("phương án sắp xếp")
        verbose_name_plural = _("phương án sắp xếp")
        ordering = ["-effective_date", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["digest"],
                condition=Q(status="applied"),
                name="plan_applied_once",
                violation_error_message=_("Phương án này đã được áp dụng."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_applied(self) -> bool:
        return self.status == self.Status.APPLIED
