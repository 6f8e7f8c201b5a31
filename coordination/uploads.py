"""Coordination's own upload rule: the files of one item stay within a total size."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


def validate_item_total(task, uploads) -> None:
    """The files of one item together stay within ``UPLOAD_MAX_ITEM_BYTES``."""
    from django.db.models import Sum

    current = task.attachments.aggregate(total=Sum("size"))["total"] or 0 if task.pk else 0
    added = sum(u.size for u in uploads)
    if current + added > settings.UPLOAD_MAX_ITEM_BYTES:
        raise ValidationError(
            _("Tổng dung lượng tệp của nhiệm vụ vượt giới hạn %(limit)s.")
            % {"limit": filesizeformat(settings.UPLOAD_MAX_ITEM_BYTES)}
        )
