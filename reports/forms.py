"""Forms for rounds, bodies' reports and the consolidated report. Forms parse (types,
lengths); every rule (required values, indicator checks, deadlines, who may act) is
decided by ``reports.services``, whose messages the views show on the form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.forms import IntegerNumberField, PortalForm
from agencies.widgets import (
    AgencyMultipleChoiceField,
    DateInput,
    MultipleFileField,
    active_agencies,
)
from reports.models import ReportRound
from reports.services import (
    SCHEDULE,
    ConsolidatedEdit,
    default_window,
    indicator_bounds,
    round_bodies,
)


def _year_field() -> IntegerNumberField:
    return IntegerNumberField(label=_("Năm"), min_value=2000, max_value=2100)


class RoundForm(PortalForm):
    kind = forms.ChoiceField(label=_("Loại báo cáo"), choices=ReportRound.Kind.choices)
    period = forms.ChoiceField(
        label=_("Kỳ định kỳ"),
        choices=ReportRound.Period.choices,
        required=False,
        help_text=_("Chọn kỳ để dùng khung số liệu mặc định (ngày 15 đến ngày 14) và hạn gửi."),
    )
    year = _year_field()
    title = forms.CharField(label=_("Tên kỳ báo cáo"), max_length=300, required=False)
    period_start = forms.DateField(label=_("Số liệu từ ngày"), widget=DateInput(), required=False)
    period_end = forms.DateField(label=_("Số liệu đến ngày"), widget=DateInput(), required=False)
    deadline = forms.DateField(label=_("Hạn gửi báo cáo"), widget=DateInput(), required=False)
    agencies = AgencyMultipleChoiceField(
        label=_("Cơ quan phải báo cáo"),
        queryset=active_agencies(),
        required=False,  # the service requires at least one body
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offered: the bodies in existence on the round's deadline (``round_bodies``).
        self.fields["agencies"].queryset = round_bodies(self.round_day())

    def round_day(self):
        """The deadline as sent (typed, else the period's default), None until known."""
        if not self.is_bound:
            return None
        try:
            typed = self.fields["deadline"].clean(self["deadline"].value())
        except forms.ValidationError:
            typed = None
        if typed:
            return typed
        period, year = self.data.get("period"), self.data.get("year")
        if period in SCHEDULE and str(year).isdigit() and 2000 <= int(year) <= 2100:
            return default_window(period, int(year))[2]
        return None


class YearForm(PortalForm):
    year = _year_field()


class AgencyReportForm(PortalForm):
    """One text area per section and one box per indicator, from the round's definition."""

    files = MultipleFileField(label=_("Tệp đính kèm"))

    def __init__(self, rnd: ReportRound, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for section in rnd.sections:
            self.fields[f"sec_{section['code']}"] = forms.CharField(
                label=section["label"],
                required=False,
                max_length=20000,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
        for indicator in rnd.indicators:
            # Whole, in the indicator's range; Vietnamese thousands dots are read (1.200 is
            # 1200); "1.5" or "1,5" is refused as ambiguous (agencies.validators).
            minimum, maximum = indicator_bounds(indicator)
            self.fields[f"ind_{indicator['code']}"] = IntegerNumberField(
                label=indicator["label"],
                required=False,
                min_value=minimum,
                max_value=maximum,
                widget=forms.TextInput(attrs={"inputmode": "numeric"}),
            )
        self.rnd = rnd

    def section_fields(self):
        return [self[f"sec_{c}"] for c in self.rnd.section_codes]

    def indicator_fields(self):
        return [self[f"ind_{c}"] for c in self.rnd.indicator_codes]

    def split(self) -> tuple[dict, dict]:
        data = self.cleaned_data
        sections = {c: data.get(f"sec_{c}", "") for c in self.rnd.section_codes}
        indicators = {c: data.get(f"ind_{c}", "") for c in self.rnd.indicator_codes}
        return sections, indicators


class ReasonForm(PortalForm):
    reason = forms.CharField(
        label=_("Lý do trả lại"),
        max_length=2000,
        required=False,  # the service requires a reason
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ConsolidatedForm(PortalForm):
    signer_title = forms.CharField(
        label=_("Thẩm quyền, chức vụ người ký (mỗi dòng một dòng trên văn bản)"),
        max_length=150,
        required=False,  # the service requires it
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    signer_name = forms.CharField(label=_("Họ tên người ký"), max_length=150, required=False)

    def __init__(self, rnd: ReportRound, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for section in rnd.sections:
            self.fields[f"sec_{section['code']}"] = forms.CharField(
                label=section["label"],
                required=False,
                max_length=50000,
                widget=forms.Textarea(attrs={"rows": 6}),
            )
        self.rnd = rnd

    def section_fields(self):
        return [self[f"sec_{c}"] for c in self.rnd.section_codes]

    def sections(self) -> dict:
        return {c: self.cleaned_data.get(f"sec_{c}", "") for c in self.rnd.section_codes}

    def edit(self, *, recompile: bool = False) -> ConsolidatedEdit:
        """What is on screen, for ``services.consolidated_update`` / ``consolidated_issue``."""
        data = self.cleaned_data
        return ConsolidatedEdit(
            sections=self.sections(),
            signer_title=data.get("signer_title", ""),
            signer_name=data.get("signer_name", ""),
            recompile=recompile,
        )
