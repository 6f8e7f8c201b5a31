"""The register of issued documents (``IssuedDocument``) for the consolidated reports issued
before it existed: each keeps its number, date, signer and stored PDF, gets a verification
code, and says it was issued before the portal signed documents (it is never signed
afterwards: ``reports.store.save_issued``)."""

import hashlib
import secrets

from django.db import migrations
from django.utils import timezone

# reports.issuing.CODE_ALPHABET and CODE_LENGTH (a migration keeps its own copy).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 12
REASON = (
    "Văn bản ban hành trước khi Cổng áp dụng chữ ký số nên không được ký số; bản đã lưu "
    "được giữ nguyên."
)
HISTORY = "Ghi vào sổ văn bản đã ban hành (văn bản ban hành trước khi có chữ ký số)"
SYSTEM_USERNAME = "he-thong"  # agencies.history.SYSTEM_USERNAME


def _code(issued) -> str:
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        if not issued.objects.filter(code=code).exists():
            return code


def _fingerprint(document) -> tuple[str, int | None]:
    """SHA-256 and size of the stored file, or nothing when it is missing from storage."""
    if document is None or not document.file:
        return "", None
    try:
        with document.file.open("rb") as handle:
            data = handle.read()
    except (FileNotFoundError, ValueError, OSError):
        return "", None
    return hashlib.sha256(data).hexdigest(), len(data)


def _actor(apps, cons):
    if cons.issued_by_id:
        return cons.issued_by
    user = apps.get_model("agencies", "User")
    return (
        user.objects.filter(username=SYSTEM_USERNAME).first() or user.objects.order_by("pk").first()
    )


def backfill(apps, schema_editor):
    consolidated = apps.get_model("reports", "ConsolidatedReport")
    issued = apps.get_model("reports", "IssuedDocument")
    historical = apps.get_model("reports", "HistoricalIssuedDocument")
    generated = apps.get_model("reports", "GeneratedDocument")
    lead = apps.get_model("agencies", "Agency").objects.filter(kind="lead").first()
    reports = consolidated.objects.filter(issued_at__isnull=False).select_related("round")
    if lead is None:
        return
    for cons in reports.order_by("issued_at", "pk"):
        key = f"round-{cons.round_id}"
        if issued.objects.filter(kind="consolidated", object_key=key).exists():
            continue
        year = timezone.localtime(cons.issued_at).year
        number = cons.number or 0
        taken = issued.objects.filter(issuer=lead, year=year)
        if not number or taken.filter(number=number).exists():
            number = max(taken.values_list("number", flat=True), default=0) + 1
        document = generated.objects.filter(kind="consolidated", object_key=key).first()
        sha256, size = _fingerprint(document)
        actor = _actor(apps, cons)
        if actor is None:
            continue
        row = issued.objects.create(
            kind="consolidated",
            object_key=key,
            issuer=lead,
            year=year,
            number=number,
            symbol=f"BC-{lead.abbreviation}",
            title=cons.round.title[:300],
            issued_at=cons.issued_at,
            issued_by=actor,
            signer_title=cons.signer_title,
            signer_name=cons.signer_name,
            code=_code(issued),
            document=document,
            sha256=sha256,
            size=size,
            unsigned_reason=REASON,
        )
        values = {f.attname: getattr(row, f.attname) for f in issued._meta.concrete_fields}
        historical.objects.create(
            **values,
            history_date=timezone.now(),
            history_type="+",
            history_change_reason=HISTORY,
            history_user=actor,
        )


def unfill(apps, schema_editor):
    issued = apps.get_model("reports", "IssuedDocument")
    rows = issued.objects.filter(kind="consolidated", unsigned_reason=REASON)
    apps.get_model("reports", "HistoricalIssuedDocument").objects.filter(
        id__in=rows.values("pk")
    ).delete()
    rows.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0006_form_receipt"),
        ("reports", "0007_signature_check_and_register"),
    ]

    operations = [migrations.RunPython(backfill, unfill)]
