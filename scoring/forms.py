"""Forms for scoring pages: they parse what was posted and restrict choices to what the
user may pick. The rules (required windows, reasons, score bounds) are the services'."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agencies.forms import DecimalNumberField, IntegerNumberField, PortalForm
from agencies.models import Agency, User
from agencies.people import members
from agencies.roles import COUNCIL_MEMBER, NOIVU_OFFICER
from agencies.validators import INTEGER_MAX, clean_text, parse_decimal, parse_integer
from agencies.widgets import AgencyMultipleChoiceField, DateInput, PlainSelectMultiple
from scoring.bands import BandsField
from scoring.models import (
    DEFAULT_BANDS,
    Assessment,
    CriteriaSet,
    Criterion,
    Score,
    ScoringPeriod,
    Target,
)
from scoring.services import ScoreEntry
from scoring.services.common import MAX_TEXT

DATE_WIDGET = DateInput()
# Every score and maximum is a DecimalField(max_digits=6, decimal_places=2) in the models.
SCORE_DIGITS, SCORE_PLACES = 6, 2
SCORE_MAX = Decimal("9999.99")
SCORE_RULE = {
    "max_digits": SCORE_DIGITS,
    "decimal_places": SCORE_PLACES,
    "minimum": Decimal(0),
    "maximum": SCORE_MAX,
}


def _year_field(label) -> IntegerNumberField:
    return IntegerNumberField(label=label, min_value=2000, max_value=2100)


class CriteriaImportForm(PortalForm):
    file = forms.FileField(label=_("Tệp tiêu chí (.xlsx hoặc .csv)"), required=False)
    year = _year_field(_("Năm đánh giá"))
    target = forms.ChoiceField(label=_("Đối tượng"), choices=Target.choices)
    title = forms.CharField(label=_("Tên bộ tiêu chí"), max_length=300)
    total_points = DecimalNumberField(
        label=_("Tổng điểm tối đa"),
        max_digits=SCORE_DIGITS,
        decimal_places=SCORE_PLACES,
        min_value=Decimal("0.01"),
        max_value=SCORE_MAX,
        initial=Decimal("100"),
    )
    is_illustrative = forms.BooleanField(label=_("Bộ tiêu chí minh họa"), required=False)
    source_note = forms.CharField(label=_("Nguồn (số quyết định)"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class CopyForm(PortalForm):
    year = _year_field(_("Sao chép sang năm"))


class PeriodForm(PortalForm):
    year = _year_field(_("Năm đánh giá"))
    title = forms.CharField(label=_("Tên đợt chấm điểm"), max_length=300)
    department_set = forms.ModelChoiceField(
        label=_("Bộ tiêu chí sở, ban, ngành"), queryset=CriteriaSet.objects.none(), required=False
    )
    district_set = forms.ModelChoiceField(
        label=_("Bộ tiêu chí UBND cấp huyện"), queryset=CriteriaSet.objects.none(), required=False
    )
    commune_set = forms.ModelChoiceField(
        label=_("Bộ tiêu chí UBND cấp xã"), queryset=CriteriaSet.objects.none(), required=False
    )
    province_set = forms.ModelChoiceField(
        label=_("Bộ tiêu chí tự chấm điểm của tỉnh"),
        queryset=CriteriaSet.objects.none(),
        required=False,
        help_text=_(
            "Nếu chọn: mở nhiệm vụ phối hợp “Tự chấm điểm Chỉ số CCHC của tỉnh”, mỗi sở "
            "chấm lĩnh vực mình phụ trách, Sở Nội vụ tổng hợp."
        ),
    )
    agencies = AgencyMultipleChoiceField(label=_("Cơ quan được đánh giá"))
    council_chair = forms.ModelChoiceField(
        label=_("Chủ tịch Hội đồng (chốt kết quả)"), queryset=User.objects.none(), required=False
    )
    publication_date = forms.DateField(
        label=_("Ngày công bố dự kiến"), required=False, widget=DATE_WIDGET
    )
    bands = BandsField(
        label=_("Xếp loại"),
        help_text=_(
            "Mỗi dòng một mức: tên, chỉ số từ (tính cả mức này) đến (không tính, trừ 100%). "
            "Các dòng phải nối liền nhau từ 0% đến 100%, không trống, không chồng lên nhau. "
            "Xóa hết một dòng để bỏ mức đó."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        published = CriteriaSet.objects.filter(status=CriteriaSet.Status.PUBLISHED)
        self.fields["department_set"].queryset = published.filter(target=Target.DEPARTMENT)
        self.fields["district_set"].queryset = published.filter(target=Target.DISTRICT)
        self.fields["commune_set"].queryset = published.filter(target=Target.COMMUNE)
        self.fields["province_set"].queryset = published.filter(target=Target.PROVINCE)
        scored = Agency.objects.active().exclude(kind=Agency.Kind.OTHER)
        self.fields["agencies"].queryset = scored
        self.fields["agencies"].initial = list(
            scored.filter(
                kind__in=[Agency.Kind.DEPARTMENT, Agency.Kind.DISTRICT, Agency.Kind.COMMUNE]
            )
        )
        self.fields["council_chair"].queryset = members(COUNCIL_MEMBER, NOIVU_OFFICER)
        self.fields["bands"].initial = DEFAULT_BANDS
        self.fields["year"].initial = timezone.localdate().year
        for step, label in (
            ("self", _("Tự đánh giá")),
            ("appraisal", _("Thẩm định")),
            ("explanation", _("Giải trình")),
            ("second", _("Thẩm định lại")),
            ("appeal", _("Kiến nghị")),
        ):
            # Missing or reversed windows are refused by the service (one message per step).
            self.fields[f"{step}_from"] = forms.DateField(
                label=_("%(step)s từ ngày") % {"step": label}, widget=DATE_WIDGET, required=False
            )
            self.fields[f"{step}_to"] = forms.DateField(
                label=_("%(step)s đến ngày") % {"step": label}, widget=DATE_WIDGET, required=False
            )

    def windows(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k.endswith(("_from", "_to"))}


class PeriodEditForm(PeriodForm):
    """What may change once a period is open: title, windows, bands, chair, publication."""

    FIXED = ("year", "department_set", "district_set", "commune_set", "province_set", "agencies")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.FIXED:
            del self.fields[name]

    @classmethod
    def initial_for(cls, period: ScoringPeriod) -> dict:
        initial = {
            "title": period.title,
            "publication_date": period.publication_date,
            "bands": period.bands,
            "council_chair": period.council_chair_id,
        }
        for step in ScoringPeriod.STEPS:
            initial[f"{step}_from"], initial[f"{step}_to"] = period.window(step)
        return initial


class PublishForm(PortalForm):
    """One reason per ranked body not finalised: publishing leaves it out of the ranking.
    Required by the service (``services.period_publish``), so a blank one is said there."""

    def __init__(self, *args, pending: list[Assessment], **kwargs):
        super().__init__(*args, **kwargs)
        self.pending = pending
        for assessment in pending:
            self.fields[f"reason_{assessment.pk}"] = forms.CharField(
                label=_("Lý do không xếp hạng: %(name)s (%(status)s)")
                % {"name": assessment.agency.name, "status": assessment.get_status_display()},
                widget=forms.Textarea(attrs={"rows": 2}),
                max_length=2000,
                required=False,
            )

    def exclusions(self) -> dict[int, str]:
        return {a.pk: self.cleaned_data.get(f"reason_{a.pk}") or "" for a in self.pending}


class AssignmentForm(PortalForm):
    user = forms.ModelChoiceField(label=_("Người thẩm định"), queryset=User.objects.none())
    assessment = forms.ModelChoiceField(
        label=_("Bản đánh giá"), queryset=Assessment.objects.none(), required=False
    )
    area = forms.ModelChoiceField(
        label=_("Lĩnh vực"), queryset=Criterion.objects.none(), required=False
    )

    def __init__(self, *args, period: ScoringPeriod, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = members(COUNCIL_MEMBER, NOIVU_OFFICER)
        self.fields["assessment"].queryset = period.assessments.select_related("agency")
        self.fields["area"].queryset = Criterion.objects.filter(
            criteria_set_id__in=[*period.set_ids.values(), period.province_set_id],
            depth=1,
        ).select_related("criteria_set")
        self.fields["assessment"].label_from_instance = lambda a: a.agency.name
        self.fields["area"].label_from_instance = lambda c: (
            f"{c.criteria_set.get_target_display()} – {c.code}. {c.title}"
        )


class EvidenceForm(PortalForm):
    file = forms.FileField(label=_("Tệp tài liệu"))
    document_number = forms.CharField(
        label=_("Số, ký hiệu văn bản"), max_length=100, required=False
    )
    document_date = forms.DateField(label=_("Ngày văn bản"), required=False, widget=DATE_WIDGET)
    section = forms.CharField(label=_("Phần, trang chứng minh"), max_length=200, required=False)
    scores = forms.ModelMultipleChoiceField(
        label=_("Tài liệu chứng minh cho tiêu chí"),
        queryset=Score.objects.none(),
        widget=PlainSelectMultiple,
    )

    def __init__(self, *args, assessment: Assessment, area_ids=None, **kwargs):
        super().__init__(*args, **kwargs)
        scores = (
            assessment.scores.filter(not_applicable=False)
            .select_related("criterion")
            .only("pk", "assessment_id", "criterion__code", "criterion__title")
        )
        if area_ids is not None:  # a body answering for some areas of the province's set
            scores = scores.filter(
                Q(criterion_id__in=area_ids)
                | Q(criterion__parent_id__in=area_ids)
                | Q(criterion__parent__parent_id__in=area_ids)
            )
        self.fields["scores"].queryset = scores
        self.fields["scores"].label_from_instance = lambda s: (
            f"{s.criterion.code}. {s.criterion.title}"
        )


class AppealForm(PortalForm):
    score = forms.ModelChoiceField(label=_("Tiêu chí kiến nghị"), queryset=Score.objects.none())
    reason = forms.CharField(  # required: the service says so
        label=_("Lý do kiến nghị"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    evidence = forms.ModelChoiceField(
        label=_("Tài liệu kèm theo"), queryset=Score.objects.none(), required=False
    )

    def __init__(self, *args, assessment: Assessment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["score"].queryset = assessment.scores.filter(
            not_applicable=False
        ).select_related("criterion")
        self.fields["score"].label_from_instance = lambda s: (
            f"{s.criterion.code}. {s.criterion.title}"
        )
        self.fields["evidence"].queryset = assessment.evidence.all()


class AppealDecideForm(PortalForm):
    accept = forms.TypedChoiceField(
        label=_("Quyết định"),
        choices=[("1", _("Chấp nhận")), ("0", _("Không chấp nhận"))],
        coerce=lambda v: v == "1",
    )
    decision = forms.CharField(  # required, and the score's bounds: the service says so
        label=_("Ý kiến của Hội đồng"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    new_score = DecimalNumberField(
        label=_("Điểm sau xem xét"),
        max_digits=SCORE_DIGITS,
        decimal_places=SCORE_PLACES,
        min_value=Decimal(0),
        max_value=SCORE_MAX,
        required=False,
    )


def parse_entries(
    data, criteria: dict[int, str], *, with_na: bool
) -> tuple[list[ScoreEntry], list[str]]:
    """Read ``score_<id>``/``note_<id>``/``na_<id>``/``v_<id>`` of the scoring sheet for
    ``criteria`` (id -> code) through the portal's number and text rules: the entries, and
    every problem, each naming its criterion."""
    entries, errors = [], []
    for criterion_id, code in criteria.items():
        if f"score_{criterion_id}" not in data and f"na_{criterion_id}" not in data:
            continue
        try:
            entries.append(_entry(data, criterion_id, code, with_na=with_na))
        except ValidationError as exc:
            errors.extend(exc.messages)
    return entries, errors


def _entry(data, pk: int, code: str, *, with_na: bool) -> ScoreEntry:
    """One row of the sheet, or ValidationError with each of its problems."""
    errors = []

    def read(parse, key: str, label: str, **rule):
        try:
            return parse(data.get(f"{key}_{pk}"), label=label % {"code": code}, **rule)
        except ValidationError as exc:
            errors.extend(exc.messages)
            return None

    value = read(parse_decimal, "score", gettext("Điểm tiêu chí %(code)s"), **SCORE_RULE)
    note = read(clean_text, "note", gettext("Ghi chú tiêu chí %(code)s"), max_length=MAX_TEXT)
    version = read(
        parse_integer, "v", gettext("Phiên bản tiêu chí %(code)s"), minimum=0, maximum=INTEGER_MAX
    )
    if errors:
        raise ValidationError(errors)
    return ScoreEntry(
        criterion_id=pk,
        value=value,
        note=note,
        not_applicable=with_na and data.get(f"na_{pk}") == "on",
        version=version,
    )


def parse_explanations(data, criteria: dict[int, str]) -> dict[int, str]:
    """The ``explanation_<id>`` texts posted for ``criteria`` (id -> code) through the text
    rule, or ValidationError with every problem. Other keys are ignored, never converted."""
    texts, errors = {}, []
    for pk, code in criteria.items():
        if f"explanation_{pk}" not in data:
            continue
        try:
            texts[pk] = clean_text(
                data[f"explanation_{pk}"],
                max_length=MAX_TEXT,
                label=gettext("Giải trình tiêu chí %(code)s") % {"code": code},
            )
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return texts
