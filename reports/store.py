"""Stored documents (``GeneratedDocument``): finding the one that is current for an ask,
opening it, and saving a new build with history.

One row per kind and object key: a new build of the same object replaces the file (the
old file is deleted after commit); a frozen row (an issued report) is never replaced.

An issued document (one with a row in the register, ``IssuedDocument``) is signed with its
issuing body's certificate before it is stored (``save_issued``), and the register row
records the stored file, its fingerprint and its signature in the same transaction; it is
signed and stored once, whatever runs it again.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from agencies import history
from reports import pdf
from reports.catalog import Ask, Built
from reports.models import GeneratedDocument, IssuedDocument


def current(ask: Ask) -> GeneratedDocument | None:
    """The stored document for ``ask`` when it is frozen or built from the data as they
    are now (one query, plus one cache read while the data are unchanged since it was
    last found current, else the data key's: ``Ask.is_current``)."""
    doc = GeneratedDocument.objects.filter(kind=ask.kind, object_key=ask.object_key).first()
    if doc is not None and (doc.frozen or ask.is_current(doc.data_key)):
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


# --- Issued documents: signed, then stored with their register row -------------------------


def issued_row(kind: str, object_key: str) -> IssuedDocument | None:
    return (
        IssuedDocument.objects.select_related("issuer", "issued_by", "document")
        .filter(kind=kind, object_key=object_key)
        .first()
    )


def keep(
    *,
    kind: str,
    object_key: str,
    data_key: str,
    built: Built,
    filename: str,
    freeze=False,
    actor=None,
) -> GeneratedDocument:
    """Store a build (``save``); a frozen build of an issued document is signed and recorded
    in the register (``save_issued``)."""
    row = issued_row(kind, object_key) if freeze else None
    if row is not None:
        return save_issued(row, data_key=data_key, built=built, filename=filename)
    return save(
        kind=kind,
        object_key=object_key,
        data_key=data_key,
        data=built.data,
        filename=filename,
        freeze=freeze,
        actor=actor,
    )


@pdf.in_vietnamese
def save_issued(
    row: IssuedDocument, *, data_key: str, built: Built, filename: str
) -> GeneratedDocument:
    """Sign ``built`` for its issuing body (outside any lock: it may reach a time-stamp
    authority) and store it frozen, filling the register row in the same transaction, with
    history under the user who issued it. A row already stored keeps its document: a job run
    again signs nothing and stores nothing. When the body cannot sign, the document is
    stored unsigned and the row says why (``unsigned_reason``)."""
    signed, reason = _sign(row, built)
    data = signed.data if signed is not None else built.data
    with transaction.atomic():
        row = IssuedDocument.objects.select_for_update().get(pk=row.pk)
        if row.document_id is not None:
            return row.document
        doc = save(
            kind=row.kind,
            object_key=row.object_key,
            data_key=data_key,
            data=data,
            filename=filename,
            freeze=True,
            actor=row.issued_by,
        )
        with doc.file.open("rb") as handle:
            stored = handle.read()  # ours, or a frozen copy stored before the register knew it
        _record(row, doc, stored, signed if stored == data else None, reason)
    return doc


def _sign(row: IssuedDocument, built: Built):
    """(``signing.sign.Signed``, "") or (None, why it is not signed)."""
    from signing.sign import SigningUnavailable, sign_pdf

    if row.unsigned_reason:  # entered in the register before the portal signed documents
        return None, row.unsigned_reason
    position = [line for line in row.signer_title.splitlines() if line.strip()]
    try:
        signed = sign_pdf(
            built.data,
            agency=row.issuer,
            signer_name=row.signer_name,
            signer_title=position[-1] if position else "",
            placement=built.placement,
            reason=_("Ban hành văn bản số %(ref)s")
            % {"ref": pdf.reference(row.number, row.symbol)},
        )
    except SigningUnavailable as exc:
        return None, unsigned_reason(str(exc))
    return signed, ""


def unsigned_reason(why: str) -> str:
    """What the register says of a document stored unsigned: why, and what to do."""
    advice = _(
        "Văn bản đã được lưu nhưng chưa ký số. Quản trị viên cần tải lên chứng thư số của cơ "
        "quan để các văn bản ban hành sau được ký số; văn bản này cần ký số hoặc ký, đóng dấu "
        "bản giấy trước khi gửi đi."
    )
    room = IssuedDocument._meta.get_field("unsigned_reason").max_length - len(advice) - 1
    return f"{why[:room]} {advice}".strip()


def _record(row: IssuedDocument, doc: GeneratedDocument, stored: bytes, signed, reason: str):
    row.document = doc
    row.sha256, row.size = hashlib.sha256(stored).hexdigest(), len(stored)
    if signed is not None:
        row.signature_level, row.signed_by = signed.level, signed.signer[:500]
        row.certificate_fingerprint, row.signed_at = (
            signed.certificate_fingerprint,
            signed.signed_at,
        )
        row.illustrative, row.unsigned_reason = signed.illustrative, ""
        message = _("Ký số và lưu văn bản đã ban hành")
    else:
        row.unsigned_reason = row.unsigned_reason or reason or unsigned_reason("")
        message = _("Lưu văn bản đã ban hành, chưa ký số")
    history.save(row, message, row.issued_by)
