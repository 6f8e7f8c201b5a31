"""Digital signatures (issue 16): each body's signing credential, its seal and its signers'
signature images (how a signature looks under Decree 30/2020, Appendix I part II) and the
trust anchors against which signed PDFs that arrive are checked.

A credential's key never leaves this app: a PKCS#12 file and its passphrase are stored
encrypted with a key from the environment (``signing.secrets``) and are never shown again;
a hardware token or HSM is reached through PKCS#11 and only its labels are stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.history import HistoricalRecords


def image_path(instance, filename: str) -> str:
    import uuid

    return f"signing/{instance.image_folder}/{uuid.uuid4().hex}.png"


class SigningCredential(models.Model):
    """The certificate and key a body signs with. At most one is active per body."""

    class Source(models.TextChoices):
        PKCS12 = "pkcs12", _("Tệp PKCS#12 (.p12, .pfx)")
        PKCS11 = "pkcs11", _("Thiết bị ký số hoặc HSM (PKCS#11)")

    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("cơ quan"),
        on_delete=models.PROTECT,
        related_name="signing_credentials",
    )
    label = models.CharField(_("tên gọi"), max_length=150)
    source = models.CharField(_("nguồn khóa"), max_length=10, choices=Source.choices)
    # PKCS#12: the file and its passphrase, encrypted (signing.secrets); never shown.
    pkcs12_encrypted = models.BinaryField(editable=False, blank=True, default=b"")
    # The PKCS#12 passphrase or the PKCS#11 user PIN, encrypted; never shown.
    secret_encrypted = models.BinaryField(editable=False, blank=True, default=b"")
    pkcs11_module = models.CharField(_("thư viện PKCS#11"), max_length=255, blank=True)
    pkcs11_token = models.CharField(_("nhãn token"), max_length=100, blank=True)
    pkcs11_key = models.CharField(_("nhãn khóa"), max_length=100, blank=True)
    # The signer's certificate (DER) and the chain above it (PEM), read at upload.
    certificate = models.BinaryField(editable=False, default=b"")
    chain = models.TextField(editable=False, blank=True)
    subject = models.CharField(_("chủ thể chứng thư"), max_length=500, editable=False)
    issuer = models.CharField(_("nơi cấp"), max_length=500, editable=False)
    serial = models.CharField(_("số hiệu"), max_length=80, editable=False)
    fingerprint = models.CharField(_("dấu vân tay SHA-256"), max_length=64, editable=False)
    not_before = models.DateTimeField(_("hiệu lực từ"), editable=False)
    not_after = models.DateTimeField(_("hiệu lực đến"), editable=False)
    active = models.BooleanField(_("đang dùng"), default=True)
    illustrative = models.BooleanField(
        _("chứng thư số thử nghiệm"),
        default=False,
        help_text=_("Chứng thư do CA thử nghiệm cấp, không có giá trị pháp lý."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["pkcs12_encrypted", "secret_encrypted"])

    class Meta:
        verbose_name = _("chứng thư số của cơ quan")
        verbose_name_plural = _("chứng thư số của cơ quan")
        constraints = [
            models.UniqueConstraint(
                fields=["agency"], condition=Q(active=True), name="signing_one_active_per_agency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.subject})"


class Seal(models.Model):
    """A body's seal as it appears over a signature: red, transparent PNG, printed at its
    real size (``diameter_mm``)."""

    image_folder = "seals"

    agency = models.OneToOneField(
        "agencies.Agency", verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="seal"
    )
    image = models.FileField(_("hình con dấu (PNG nền trong suốt)"), upload_to=image_path)
    diameter_mm = models.PositiveSmallIntegerField(_("đường kính thực (mm)"), default=36)
    illustrative = models.BooleanField(_("hình thử nghiệm"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("con dấu")
        verbose_name_plural = _("con dấu")

    def __str__(self) -> str:
        return str(self.agency)


class SignatureImage(models.Model):
    """A signer's handwritten signature (blue, transparent PNG), matched to the signer's
    name printed on a document of their body."""

    image_folder = "signatures"

    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("cơ quan"),
        on_delete=models.PROTECT,
        related_name="signature_images",
    )
    full_name = models.CharField(_("họ và tên người ký"), max_length=150)
    title = models.CharField(_("chức vụ"), max_length=150, blank=True)
    image = models.FileField(_("hình chữ ký (PNG nền trong suốt)"), upload_to=image_path)
    illustrative = models.BooleanField(_("hình thử nghiệm"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("hình chữ ký")
        verbose_name_plural = _("hình chữ ký")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "full_name"], name="signing_one_image_per_signer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} – {self.agency}"


class TrustAnchor(models.Model):
    """A root (or intermediate) certificate an administrator trusts: signatures on uploaded
    PDFs are valid only when they chain to an active anchor. Nothing is fetched from the
    internet to build the chain by default."""

    name = models.CharField(_("tên gọi"), max_length=200)
    certificate = models.BinaryField(editable=False, default=b"")
    subject = models.CharField(_("chủ thể"), max_length=500, editable=False)
    fingerprint = models.CharField(
        _("dấu vân tay SHA-256"), max_length=64, unique=True, editable=False
    )
    not_after = models.DateTimeField(_("hiệu lực đến"), editable=False)
    active = models.BooleanField(_("đang tin cậy"), default=True)
    illustrative = models.BooleanField(_("chứng thư số thử nghiệm"), default=False)
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("chứng thư gốc tin cậy")
        verbose_name_plural = _("chứng thư gốc tin cậy")

    def __str__(self) -> str:
        return self.name
