"""Coordination's own upload rule: the files of one item stay within a total size."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


def validate_item_total(task, uploads) -> None:
    """The files of one item together stay within ``UPLOAD_MAX_ITEM_BYTES``. A stored file
    carried into a new version (several rows, one file) counts once."""
    from django.db.models import Max

    stored = (
        task.attachments.order_by().values("file").annotate(size=Max("size")) if task.pk else []
    )
    current = sum(row["size"] for row in stored)
    added = sum(u.size for u in uploads)
    if current + added > settings.UPLOAD_MAX_ITEM_BYTES:
        raise ValidationError(
            _("Tổng dung lượng tệp của nhiệm vụ vượt giới hạn %(limit)s.")
            % {"limit": filesizeformat(settings.UPLOAD_MAX_ITEM_BYTES)}
        )
