"""Stored documents (``GeneratedDocument``): finding the one that is current for an ask,
opening it, and saving a new build with history.

One row per kind and object key: a new build of the same object replaces the file (the
old file is deleted after commit); a frozen row (an issued report) is never replaced.
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from agencies import history
from reports.catalog import Ask
from reports.models import GeneratedDocument


def current(ask: Ask) -> GeneratedDocument | None:
    """The stored document for ``ask`` when it is frozen or built from the data as they
    are now (one query, plus the data key's when the row is not frozen)."""
    doc = GeneratedDocument.objects.filter(kind=ask.kind, object_key=ask.object_key).first()
    if doc is not None and (doc.frozen or doc.data_key == ask.data_key):
        return doc
    return None


def open_file(doc: GeneratedDocument):
    """The stored file opened for reading, or None when it is missing from storage."""
    try:
        return doc.file.open("rb")
    except (FileNotFoundError, ValueError):
        return None


def save(
    *,
    kind: str,
    object_key: str,
    data_key: str,
    data: bytes,
    filename: str,
    freeze=False,
    actor=None,
) -> GeneratedDocument:
    """Store a build under its data key, with history: ``actor`` when a user's act produced
    it (issuing), else the named system actor. A frozen document already stored wins: it
    is returned unchanged."""
    with transaction.atomic():
        doc = (
            GeneratedDocument.objects.select_for_update()
            .filter(kind=kind, object_key=object_key)
            .first()
        )
        if doc is not None and doc.frozen:
            return doc
        old_name = doc.file.name if doc is not None else ""
        doc = doc or GeneratedDocument(kind=kind, object_key=object_key)
        doc.data_key, doc.frozen = data_key, freeze
        doc.file.save(filename, ContentFile(data), save=False)
        try:
            with transaction.atomic():
                history.save(doc, _reason(doc, freeze), actor)
        except IntegrityError:  # stored by a parallel build a moment ago: keep theirs
            doc.file.storage.delete(doc.file.name)
            return GeneratedDocument.objects.get(kind=kind, object_key=object_key)
        if old_name:
            storage = doc.file.storage
            transaction.on_commit(lambda: storage.delete(old_name))
    return doc


def _reason(doc: GeneratedDocument, freeze: bool) -> str:
    if freeze:
        return _("Ban hành và lưu văn bản")
    if doc.pk:
        return _("Tạo lại văn bản do dữ liệu thay đổi")
    return _("Tạo văn bản")
