"""The forms of the reorganisation pages: a plan file, a one-off change, and the officer's
choices in the preview (docs/reorganisation.md). They parse what was typed; the rules of a
plan (known codes, dates, a lead body after the change) are checked by ``reorg.services``."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.forms import PortalForm
from agencies.models import Agency
from agencies.widgets import AgencyMultipleChoiceField, DateField
from reorg.models import Change
from reorg.parsing import MAX_BYTES, PlanRow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _iso_day(text) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text or "").strip())
    except ValueError:
        return None


class PlanUploadForm(PortalForm):
    """Only picks the file: its name, size and content are checked by
    ``reorg.parsing.read_plan_file`` (the service reads it)."""

    file = forms.FileField(
        label=gettext_lazy("Tệp phương án (.csv hoặc .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv," + XLSX}),
        error_messages={"required": gettext_lazy("Hãy chọn tệp phương án (.csv hoặc .xlsx).")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "Các cột theo mẫu trong hướng dẫn; tối đa %(size)s. Chưa có gì thay đổi cho đến "
            "khi anh/chị xem trước và bấm “Áp dụng phương án”."
        ) % {"size": filesizeformat(MAX_BYTES)}


class ChangeForm(PortalForm):
    """One change entered by hand: it becomes one row of a plan (``PlanRow``)."""

    change = forms.ChoiceField(label=gettext_lazy("Hình thức"), choices=Change.choices)
    from_bodies = AgencyMultipleChoiceField(
        label=gettext_lazy("Cơ quan trước khi sắp xếp"),
        required=False,
        help_text=gettext_lazy(
            "Các cơ quan đang hoạt động vào ngày hiệu lực. Không chọn khi thành lập mới hoặc "
            "đổi tên tỉnh."
        ),
    )
    to_code = forms.CharField(label=gettext_lazy("Mã cơ quan sau sắp xếp"), max_length=20)
    to_name = forms.CharField(
        label=gettext_lazy("Tên đầy đủ"),
        max_length=255,
        required=False,
        help_text=gettext_lazy("Để trống khi cơ quan nhận đã có và giữ nguyên tên."),
    )
    to_short_name = forms.CharField(label=gettext_lazy("Tên ngắn"), max_length=100, required=False)
    to_abbreviation = forms.CharField(
        label=gettext_lazy("Chữ viết tắt trên văn bản"), max_length=20, required=False
    )
    to_kind = forms.ChoiceField(
        label=gettext_lazy("Loại cơ quan"),
        required=False,
        choices=[("", "—"), *Agency.Kind.choices],
    )
    to_level = forms.ChoiceField(
        label=gettext_lazy("Cấp hành chính"),
        required=False,
        choices=[("", "—"), *Agency.Level.choices],
    )
    effective_date = DateField(label=gettext_lazy("Ngày hiệu lực"))
    legal_basis = forms.CharField(label=gettext_lazy("Căn cứ"), max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        day = _iso_day(self.data.get("effective_date")) if self.is_bound else None
        self.fields["from_bodies"].queryset = Agency.objects.active(
            day or timezone.localdate()
        ).order_by("sort_order", "name")
        self.fields["to_code"].widget.attrs["autocapitalize"] = "characters"

    def clean_to_code(self) -> str:
        return self.cleaned_data["to_code"].strip().upper()

    def clean(self):
        data = super().clean()
        change = data.get("change")
        bodies = data.get("from_bodies") or []
        if change in {Change.NEW, Change.PROVINCE} and bodies:
            self.add_error(
                "from_bodies", _("Thành lập mới hoặc đổi tên tỉnh không có cơ quan trước.")
            )
        elif change and change not in {Change.NEW, Change.PROVINCE} and not bodies:
            self.add_error("from_bodies", _("Hãy chọn cơ quan trước khi sắp xếp."))
        if change in {Change.SPLIT, Change.RENAME} and len(bodies) > 1:
            self.add_error("from_bodies", _("Chia tách hoặc đổi tên chỉ áp dụng cho một cơ quan."))
        return data

    def rows(self) -> list[PlanRow]:
        """The change as the one row of a plan; a body that already exists keeps the name,
        kind and level left empty."""
        data = self.cleaned_data
        existing = Agency.objects.filter(code=data["to_code"]).first()

        def value(field: str, attribute: str) -> str:
            return data[field] or (getattr(existing, attribute) if existing else "")

        return [
            PlanRow(
                line=1,
                change=data["change"],
                from_codes=[a.code for a in data["from_bodies"]],
                to_code=data["to_code"],
                to_name=value("to_name", "name"),
                to_short_name=value("to_short_name", "short_name"),
                to_abbreviation=value("to_abbreviation", "abbreviation"),
                to_kind=value("to_kind", "kind"),
                to_level=value("to_level", "level"),
                default=data["change"] == Change.SPLIT,
                effective_date=data["effective_date"],
                legal_basis=data["legal_basis"],
            )
        ]

    def title(self) -> str:
        data = self.cleaned_data
        return _("%(change)s: %(name)s") % {
            "change": Change(data["change"]).label,
            "name": data["to_name"] or data["to_code"],
        }


def posted_choices(post) -> dict[str, str]:
    """The preview's ``choice:<ended body>/<item key>`` fields as {that key: successor
    code} (checked by
    ``reorg.preview.checked_choices`` when the plan is applied)."""
    return {
        name.removeprefix("choice:"): value
        for name, value in post.items()
        if name.startswith("choice:") and value
    }
