"""Signing's jobs: checking again the signatures of every stored PDF when the trust anchors
change (``signing.anchors``), so that a file signed under a root that has just been added
shows as valid, and one whose root was withdrawn shows as not trusted.

The job is idempotent: it recomputes each result from the file and the anchors as they are
when it runs, so running it twice has the effect of running it once.
"""

from __future__ import annotations

import logging
from collections import Counter

from django.apps import apps
from django.db.models import Q
from django.utils.translation import gettext_lazy
from django_tasks import task

from agencies.files import StoredFile
from agencies.jobs import register_label
from signing.verify import active_anchors, check_pdf, result_fields

logger = logging.getLogger("signing.tasks")


def stored_file_models() -> list[type[StoredFile]]:
    """Every concrete model of a stored upload (attachments, evidence, report attachments),
    found through the app registry: signing imports none of the apps that hold them."""
    return [model for model in apps.get_models() if issubclass(model, StoredFile)]


def _to_check(model: type[StoredFile]):
    """Rows checked when they arrived (status not blank), and PDFs stored before the portal
    checked signatures (never checked: ``signature_checked_at`` empty, a .pdf name)."""
    before = Q(signature_checked_at__isnull=True, original_name__iendswith=".pdf")
    return model.objects.filter(~Q(signature_status="") | before).order_by("pk")


@task(queue_name="default")
def recheck_signatures() -> dict[str, int]:
    """Check again every stored file that was checked when it arrived (status not blank),
    and check the PDFs stored before signatures were checked, against the trust anchors
    active now; the count of results by status. A file whose content is not a PDF keeps a
    blank status.

    Only the ``signature_*`` fields change, through ``QuerySet.update`` per row and
    without history: the result is recomputed from the stored file and the anchors, both
    of which keep their own history, and is not anyone's decision."""
    anchors = active_anchors()
    counts: Counter[str] = Counter()
    for model in stored_file_models():
        for pk, name in _to_check(model).values_list("pk", "file").iterator():
            data = _read(model, name)
            if data is None:
                counts["missing"] += 1
                continue
            if not data.startswith(b"%PDF-"):
                counts["not a pdf"] += 1
                continue
            check = check_pdf(data, anchors=anchors)
            model.objects.filter(pk=pk).update(**result_fields(check))
            counts[str(check.status)] += 1
    logger.info("signatures rechecked: %s", dict(counts))
    return dict(counts)


register_label(recheck_signatures, gettext_lazy("Kiểm tra lại chữ ký số của các tệp đã nhận"))


def _read(model: type[StoredFile], name: str) -> bytes | None:
    storage = model._meta.get_field("file").storage
    try:
        with storage.open(name, "rb") as handle:
            return handle.read()
    except (OSError, ValueError):
        logger.warning("stored file %s of %s is missing", name, model._meta.label)
        return None
