"""Trust anchors: the root (or intermediate) certificates an administrator trusts, against
which the signatures of uploaded PDFs are checked (``signing.verify``). Adding one, or
stopping or resuming trust in one, is recorded in its history and checks every stored
file's signatures again in the background (``signing.tasks.recheck_signatures``).

One certificate, one anchor: a PEM file holding several certificates is refused, naming
them, so that the administrator names and withdraws each root on its own
(docs/signing-checks.md).
"""

from __future__ import annotations

from cryptography import x509
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from agencies import history
from agencies.access import require
from agencies.jobs import enqueue
from signing import pki
from signing.models import TrustAnchor

MAX_BYTES = 256 * 1024  # a certificate is a few kilobytes


def _allowed(actor, codename: str) -> bool:
    """Commands and the demo act as the system (``actor=None``); a person needs the model
    permission the admin grants."""
    return actor is None or actor.has_perm(f"signing.{codename}")


def read_certificate(data: bytes) -> x509.Certificate:
    """The one certificate in ``data`` (PEM or DER), or a ValidationError saying why not."""
    if not data or len(data) > MAX_BYTES:
        raise ValidationError(_("Tệp không phải là một chứng thư số (trống hoặc quá lớn)."))
    try:
        certificates = pki.load_certificates(data)
    except ValueError as exc:
        raise ValidationError(
            _("Tệp không phải là chứng thư số X.509 dạng PEM hoặc DER (.cer, .crt, .pem, .der).")
        ) from exc
    if len(certificates) != 1:
        names = "; ".join(pki.facts(c).common_name or pki.facts(c).subject for c in certificates)
        raise ValidationError(
            _(
                "Tệp chứa %(count)d chứng thư (%(names)s). Hãy tải lên từng chứng thư gốc "
                "một, mỗi chứng thư một tên gọi."
            )
            % {"count": len(certificates), "names": names[:300]}
        )
    return certificates[0]


def trust_anchor_check(data: bytes) -> tuple[x509.Certificate, pki.Facts]:
    """The certificate in ``data`` and its facts, if it may become a trust anchor; else a
    ValidationError saying why: not a certificate, several certificates, already trusted
    (by fingerprint, naming the anchor), expired. The add form shows these before saving."""
    cert = read_certificate(data)
    facts = pki.facts(cert)
    existing = TrustAnchor.objects.filter(fingerprint=facts.fingerprint).first()
    if existing is not None:
        raise ValidationError(_duplicate(existing.name))
    if facts.not_after <= timezone.now():
        raise ValidationError(
            _("Chứng thư đã hết hạn ngày %(date)s; không dùng làm chứng thư gốc tin cậy được.")
            % {"date": formats.date_format(timezone.localtime(facts.not_after), "d/m/Y")}
        )
    return cert, facts


def _duplicate(name: str) -> str:
    return _("Chứng thư này đã có trong danh sách với tên “%(name)s”.") % {"name": name}


@transaction.atomic
def trust_anchor_add(*, actor, name: str, data: bytes, illustrative: bool = False) -> TrustAnchor:
    """Trust the certificate in ``data`` (PEM or DER, one certificate), refused as
    ``trust_anchor_check`` says. Without a name, the certificate's common name is used."""
    require(_allowed(actor, "add_trustanchor"))
    cert, facts = trust_anchor_check(data)
    anchor = TrustAnchor(
        name=(name or "").strip()[:200] or facts.common_name[:200] or facts.subject[:200],
        certificate=pki.der(cert),
        subject=facts.subject[:500],
        fingerprint=facts.fingerprint,
        not_after=facts.not_after,
        illustrative=illustrative,
        added_by=actor,
    )
    try:
        with transaction.atomic():
            history.save(anchor, _("Thêm chứng thư gốc tin cậy"), actor)
    except IntegrityError as exc:  # the same certificate added at the same moment
        raise ValidationError(_duplicate(facts.common_name)) from exc
    _recheck()
    return anchor


@transaction.atomic
def trust_anchor_set_active(*, actor, anchor: TrustAnchor, active: bool) -> TrustAnchor:
    """Trust an anchor again, or stop trusting it (it is kept, with its history); nothing
    happens when it is already so."""
    require(_allowed(actor, "change_trustanchor"))
    anchor = TrustAnchor.objects.select_for_update().get(pk=anchor.pk)
    if anchor.active == active:
        return anchor
    anchor.active = active
    reason = _("Tin cậy lại chứng thư gốc") if active else _("Ngừng tin cậy chứng thư gốc")
    history.save(anchor, reason, actor, update_fields=["active"])
    _recheck()
    return anchor


def _recheck() -> None:
    """Check every stored file's signatures again once this transaction commits."""
    enqueue("signing.tasks.recheck_signatures")
