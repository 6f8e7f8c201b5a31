"""Administrator forms for a body's credential, seal and signature images (used by the
admin site, signing/admin.py).

Each form only parses; its ``clean`` hands the parsed values to the service, so the
service's refusals appear on the form and nothing is saved; on success ``instance`` is the
saved record (the admin's own save is skipped). Secrets (the PKCS#12 file, its passphrase,
the PIN) are write-only: the fields never render a value back.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from signing import services
from signing.models import Seal, SignatureImage, SigningCredential


def _agencies():
    return forms.ModelChoiceField(
        label=_("Cơ quan"), queryset=Agency.objects.order_by("sort_order", "name")
    )


class ServiceForm(forms.ModelForm):
    """A model form with no model fields of its own: ``run`` calls the service."""

    actor = None  # set per request by the admin (signing.admin.ServiceAdmin.get_form)

    def run(self, data: dict):
        """The service call of each subclass (every add form overrides it): an abstract
        hook, not an unfinished method."""
        raise NotImplementedError(f"{type(self).__name__} must define run()")

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                self.instance = self.run(data)
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc
        return data


class CredentialAddForm(ServiceForm):
    source = forms.ChoiceField(
        label=_("Nguồn khóa"),
        choices=SigningCredential.Source.choices,
        widget=forms.RadioSelect,
        initial=SigningCredential.Source.PKCS12,
    )
    agency = _agencies()
    label = forms.CharField(label=_("Tên gọi"), max_length=150)
    pkcs12_file = forms.FileField(
        label=_("Tệp PKCS#12 (.p12, .pfx)"),
        required=False,
        help_text=_("Tệp được mã hóa khi lưu và không bao giờ hiện lại."),
    )
    passphrase = forms.CharField(
        label=_("Mật khẩu tệp PKCS#12"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
    )
    pkcs11_module = forms.CharField(
        label=_("Thư viện PKCS#11"),
        required=False,
        help_text=_("Ví dụ: /usr/lib/softhsm/libsofthsm2.so hoặc thư viện của token."),
    )
    pkcs11_token = forms.CharField(label=_("Nhãn token"), required=False)
    pkcs11_key = forms.CharField(label=_("Nhãn khóa"), required=False)
    pin = forms.CharField(
        label=_("Mã PIN"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
    )
    certificate_file = forms.FileField(
        label=_("Chứng thư số của khóa (PEM hoặc DER)"), required=False
    )
    chain_file = forms.FileField(label=_("Chuỗi chứng thư cấp trên (PEM)"), required=False)
    illustrative = forms.BooleanField(
        label=_("Chứng thư số thử nghiệm"),
        required=False,
        help_text=_("Chứng thư do CA thử nghiệm cấp, không có giá trị pháp lý."),
    )

    class Meta:
        model = SigningCredential
        fields: list[str] = []

    def run(self, data: dict) -> SigningCredential:
        common = {
            "actor": self.actor,
            "agency": data["agency"],
            "label": data["label"],
            "illustrative": data["illustrative"],
        }
        if data["source"] == SigningCredential.Source.PKCS12:
            upload = data.get("pkcs12_file")
            return services.credential_add_pkcs12(
                **common,
                data=upload.read() if upload else b"",
                passphrase=data.get("passphrase") or "",
            )
        certificate, chain = data.get("certificate_file"), data.get("chain_file")
        if certificate is None:
            raise ValidationError(_("Hãy chọn tệp chứng thư số của khóa trên token."))
        return services.credential_add_pkcs11(
            **common,
            module=data.get("pkcs11_module") or "",
            token=data.get("pkcs11_token") or "",
            key_label=data.get("pkcs11_key") or "",
            pin=data.get("pin") or "",
            certificate=certificate.read(),
            chain=chain.read() if chain else b"",
        )


class SealForm(ServiceForm):
    agency = _agencies()
    upload = forms.FileField(
        label=_("Hình con dấu (PNG nền trong suốt, màu đỏ)"),
        help_text=_("Thay hình cũ nếu cơ quan đã có con dấu."),
    )
    diameter_mm = forms.IntegerField(label=_("Đường kính thực (mm)"), initial=36)
    illustrative = forms.BooleanField(label=_("Hình thử nghiệm"), required=False)

    class Meta:
        model = Seal
        fields: list[str] = []

    def run(self, data: dict) -> Seal:
        return services.seal_set(
            actor=self.actor,
            agency=data["agency"],
            image=data["upload"],
            diameter_mm=data["diameter_mm"],
            illustrative=data["illustrative"],
        )


class SignatureImageForm(ServiceForm):
    agency = _agencies()
    full_name = forms.CharField(
        label=_("Họ và tên người ký"),
        max_length=150,
        help_text=_("Đúng như họ tên in dưới chữ ký trên văn bản."),
    )
    title = forms.CharField(label=_("Chức vụ"), max_length=150, required=False)
    upload = forms.FileField(
        label=_("Hình chữ ký (PNG nền trong suốt, màu xanh)"),
        help_text=_("Thay hình cũ nếu người ký đã có hình chữ ký."),
    )
    illustrative = forms.BooleanField(label=_("Hình thử nghiệm"), required=False)

    class Meta:
        model = SignatureImage
        fields: list[str] = []

    def run(self, data: dict) -> SignatureImage:
        return services.signature_image_set(
            actor=self.actor,
            agency=data["agency"],
            full_name=data["full_name"],
            title=data["title"],
            image=data["upload"],
            illustrative=data["illustrative"],
        )
