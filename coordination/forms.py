from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.forms import IntegerNumberField, PortalForm, PortalFormSet, PortalModelForm
from agencies.models import Agency
from agencies.validators import INTEGER_MAX, parse_integer
from agencies.widgets import (
    DATE_INVALID,
    AgencyMultipleChoiceField,
    DateField,
    DateInput,
    MultipleFileField,
    PlainSelect,
)
from coordination import selectors, succession
from coordination import timeliness as tl
from coordination.calendar import WorkingDayCount, count_working_days
from coordination.models import Category, Contribution, Nomination, Participation, Recurrence, Task

WORKING_DAYS_MAX = 365  # a deadline counted in working days: at most about a year and a half
FILTER_STATES = (tl.OVERDUE, tl.DUE_SOON, tl.ON_TIME, tl.SUBMITTED, tl.DONE_ON_TIME, tl.DONE_LATE)


class ParticipantsMixin(PortalForm):
    chair = forms.ModelChoiceField(label=_("Cơ quan chủ trì"), queryset=Agency.objects.none())
    tracker = forms.ModelChoiceField(label=_("Cơ quan theo dõi"), queryset=Agency.objects.none())
    contributors = AgencyMultipleChoiceField(label=_("Cơ quan phối hợp"), required=False)

    def _setup_agencies(self, bodies=None):
        """The pickers offer the bodies that may take part on the item's dates (the
        service's rule, ``succession.participant_bodies``): today's for a new item."""
        bodies = succession.participant_bodies() if bodies is None else bodies
        for name in ("chair", "tracker", "contributors"):
            self.fields[name].queryset = bodies


class TaskCreateForm(ParticipantsMixin):
    title = forms.CharField(label=_("Tên nhiệm vụ"), max_length=300)
    category = forms.ChoiceField(label=_("Nội dung phối hợp"), choices=Category.choices)
    legal_basis = forms.CharField(
        label=_("Căn cứ"),
        max_length=300,
        required=False,
        help_text=_("Ví dụ: Quyết định số 1242/QĐ-UBND ngày 14/9/2021 của UBND tỉnh"),
    )
    description = forms.CharField(
        label=_("Mô tả, yêu cầu"), widget=forms.Textarea, required=False, max_length=20000
    )
    due_mode = forms.ChoiceField(
        label=_("Cách tính hạn"),
        choices=[
            ("date", _("Chọn ngày")),
            ("working_days", _("Số ngày làm việc kể từ một ngày (mặc định hôm nay)")),
        ],
        initial="date",
        widget=forms.RadioSelect,
    )
    due_date = DateField(label=_("Hạn xử lý"), required=False)
    due_working_days = IntegerNumberField(
        label=_("Số ngày làm việc"),
        min_value=1,
        max_value=WORKING_DAYS_MAX,
        required=False,
        help_text=_("Không tính thứ Bảy, Chủ nhật và ngày lễ, Tết (kể cả Tết Nguyên đán)."),
    )
    due_start = DateField(
        label=_("Tính từ ngày"),
        required=False,
        help_text=_("Để trống là hôm nay. Ngày này không được tính; hạn là ngày làm việc cuối."),
    )
    contributor_due_date = DateField(
        label=_("Hạn của cơ quan phối hợp"),
        required=False,
        help_text=_("Để trống nếu bằng hạn của nhiệm vụ; nên sớm hơn để cơ quan chủ trì tổng hợp."),
    )
    parent = forms.ModelChoiceField(
        label=_("Thuộc nhiệm vụ"), queryset=Task.objects.none(), required=False
    )
    recurrence = forms.ChoiceField(label=_("Lặp lại"), choices=Recurrence.choices, required=False)
    silence_means_agreement = forms.BooleanField(
        label=_("Lấy ý kiến: cơ quan không trả lời đúng hạn được coi là thống nhất"),
        required=False,
    )
    files = MultipleFileField(label=_("Tệp đính kèm"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_agencies()
        self.fields["parent"].queryset = Task.objects.visible_to(user).exclude(
            status__in=[Task.Status.DONE, Task.Status.CANCELLED]
        )
        if not self.is_bound:
            lead = Agency.objects.active().filter(kind=Agency.Kind.LEAD).first()
            self.initial.setdefault("tracker", lead)
            self.initial.setdefault("due_start", timezone.localdate())

    def deadline_count(self) -> WorkingDayCount | None:
        """The working-day count the form was sent with (for the preview beside the
        field when the form comes back), or None."""
        data = getattr(self, "cleaned_data", None) or {}
        if data.get("due_mode") != "working_days" or not data.get("due_working_days"):
            return None
        return count_working_days(
            data.get("due_start") or timezone.localdate(), data["due_working_days"]
        )

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        # The parts of the deadline for the way not chosen are hidden and not used.
        working_days = data.get("due_mode") == "working_days"
        unused = ("due_date",) if working_days else ("due_working_days", "due_start")
        for name in unused:
            self._errors.pop(name, None)
        if working_days:
            days = data.get("due_working_days")
            if days and "due_start" not in self.errors:
                data["due_date"] = count_working_days(data.get("due_start") or today, days).due
            elif not days and "due_working_days" not in self.errors:
                self.add_error("due_working_days", _("Hãy nhập số ngày làm việc."))
        elif not data.get("due_date") and "due_date" not in self.errors:
            self.add_error("due_date", _("Hãy chọn hạn xử lý."))
        # Who takes part and the deadlines' order are the service's rules
        # (services.validate_participants, services.check_due_date).
        own = data.get("contributor_due_date")
        if own and own < today:
            self.add_error("contributor_due_date", _("Hạn không được ở trong quá khứ."))
        return data


def deadline_preview_count(params) -> WorkingDayCount:
    """``days`` working days from ``start`` (today when empty), read from the item form's
    deadline preview request by the rules of the form's own fields (``parse_integer``, the
    portal's date field); ValidationError by parameter, in Vietnamese."""
    errors: dict[str, list[str]] = {}
    days = start = None
    try:
        days = parse_integer(
            params.get("days", ""),
            minimum=1,
            maximum=WORKING_DAYS_MAX,
            label=_("Số ngày làm việc"),
        )
        if days is None:
            errors["days"] = [_("Hãy nhập số ngày làm việc.")]
    except ValidationError as exc:
        errors["days"] = exc.messages
    try:
        start = DateField(required=False).clean(params.get("start", ""))
    except ValidationError as exc:
        errors["start"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return count_working_days(start or timezone.localdate(), days)


class TaskEditForm(PortalModelForm):
    version = IntegerNumberField(min_value=0, max_value=INTEGER_MAX, widget=forms.HiddenInput)

    class Meta:
        model = Task
        fields = [
            "title",
            "category",
            "legal_basis",
            "description",
            "due_date",
            "parent",
            "recurrence",
            "silence_means_agreement",
        ]
        field_classes = {"due_date": DateField}

    def __init__(self, *args, user=None, all_fields: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        if not all_fields:
            for name in list(self.fields):
                if name not in {"legal_basis", "description", "version"}:
                    del self.fields[name]
        if "parent" in self.fields:
            self.fields["parent"].queryset = (
                Task.objects.visible_to(user)
                .exclude(pk=self.instance.pk)
                .exclude(status__in=[Task.Status.DONE, Task.Status.CANCELLED])
            )


class ParticipantsForm(ParticipantsMixin):
    def __init__(self, *args, task: Task, **kwargs):
        super().__init__(*args, **kwargs)
        self.task = task
        parts = list(task.participations.all())
        bodies = succession.participant_bodies(task.due_date, keep=[p.agency_id for p in parts])
        self._setup_agencies(bodies)
        if not self.is_bound:
            self.initial.update(
                chair=task.chair_agency_id,
                tracker=task.tracking_agency_id,
                contributors=[p.agency_id for p in parts if p.role == "contribute"],
            )
        self.own_due_fields = []
        for agency in bodies:
            name = f"due_{agency.pk}"
            current = next(
                (p.due_date for p in parts if p.agency_id == agency.pk and p.role == "contribute"),
                None,
            )
            self.fields[name] = DateField(label=agency.short_name, required=False, initial=current)
            self.own_due_fields.append((agency, name))

    @property
    def own_due_open(self) -> bool:
        """Show the bodies' own deadlines unfolded: some are set, or one is refused."""
        names = [name for _agency, name in self.own_due_fields]
        if self.is_bound:
            return any(self.data.get(name) for name in names) or any(
                name in self.errors for name in names
            )
        return any(self.fields[name].initial for name in names)

    def contributor_due_dates(self) -> dict[int, object]:
        return {
            agency.pk: self.cleaned_data.get(name)
            for agency, name in self.own_due_fields
            if agency in (self.cleaned_data.get("contributors") or [])
        }


class ContributionForm(PortalForm):
    form = forms.ChoiceField(label=_("Hình thức phối hợp"), choices=Contribution.Form.choices)
    document_number = forms.CharField(
        label=_("Số, ký hiệu văn bản"),
        max_length=100,
        required=False,
        help_text=_("Ví dụ: 125/STP-VP"),
    )
    body = forms.CharField(
        label=_("Nội dung"),
        widget=forms.Textarea(attrs={"rows": 10}),
        required=False,
        max_length=50000,
    )
    files = MultipleFileField(label=_("Văn bản, tệp đính kèm"))


class NominationForm(PortalModelForm):
    class Meta:
        model = Nomination
        fields = ["full_name", "position", "agency_name", "team"]


class BaseNominationFormSet(PortalFormSet):
    """Every row is optional and plain: a saved row is shown as a filled-in row (not a
    bound "initial" form), so emptying it removes it and keeping it keeps it."""

    def initial_form_count(self):
        return super().initial_form_count() if self.is_bound else 0

    def total_form_count(self):
        if self.is_bound:
            return super().total_form_count()
        return min(len(self.initial or []) + self.extra, self.max_num)


NominationFormSet = forms.formset_factory(
    NominationForm, formset=BaseNominationFormSet, extra=3, max_num=20, validate_max=True
)


class ReasonForm(PortalForm):
    reason = forms.CharField(
        label=_("Lý do"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class ReviewForm(PortalForm):
    decision = forms.ChoiceField(choices=[("accept", _("Chấp nhận")), ("return", _("Trả lại"))])
    reason = forms.CharField(
        label=_("Lý do trả lại"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "return" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Hãy ghi lý do trả lại."))
        return data


def year_choices() -> list[tuple[str, str]]:
    """The scopes of the item list besides the default: the years around this one, all."""
    this_year = timezone.localdate().year
    years = [
        (str(y), _("Việc có hạn trong năm %(y)s") % {"y": y})
        for y in range(this_year + 1, this_year - 5, -1)
    ]
    return [*years, ("all", _("Tất cả các năm"))]


class TaskFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Tìm kiếm"), method="filter_q")
    category = django_filters.ChoiceFilter(
        label=_("Nội dung"), choices=Category.choices, widget=PlainSelect
    )
    status = django_filters.ChoiceFilter(
        label=_("Trạng thái"), choices=Task.Status.choices, widget=PlainSelect
    )
    agency = django_filters.ModelChoiceFilter(
        label=_("Cơ quan"),
        queryset=Agency.objects.order_by("sort_order").only("pk", "name"),
        method="filter_agency",
        widget=PlainSelect,  # every body: written in Python, not one template per option
    )
    role = django_filters.ChoiceFilter(
        label=_("Vai trò của cơ quan"),
        choices=Participation.Role.choices,
        method="filter_role",
        widget=PlainSelect,
    )
    due_from = django_filters.DateFilter(
        label=_("Hạn từ ngày"),
        field_name="due_date",
        lookup_expr="gte",
        widget=DateInput(),
        error_messages={"invalid": DATE_INVALID},
    )
    due_to = django_filters.DateFilter(
        label=_("Hạn đến ngày"),
        field_name="due_date",
        lookup_expr="lte",
        widget=DateInput(),
        error_messages={"invalid": DATE_INVALID},
    )
    timeliness = django_filters.ChoiceFilter(
        label=_("Tiến độ"),
        choices=[(state, tl.LABELS[state]) for state in FILTER_STATES],
        method="filter_timeliness",
        widget=PlainSelect,
    )
    # Issue 14: the list opens on what is current; another year or every year is one choice
    # away (the same scopes as the overview, ``selectors.overview_scope``).
    year = django_filters.ChoiceFilter(
        label=_("Phạm vi"),
        choices=year_choices,
        empty_label=_("Đang mở hoặc có hạn năm nay"),
        method="filter_year",
        widget=PlainSelect,
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sắp xếp"),
        widget=PlainSelect,
        fields=(("due_date", "due_date"), ("created_at", "created_at"), ("title", "title")),
        # Both directions named in Vietnamese (django-filter's own "%s (descending)" is English).
        field_labels={
            "due_date": _("Hạn xử lý (sớm nhất trước)"),
            "-due_date": _("Hạn xử lý (muộn nhất trước)"),
            "created_at": _("Ngày tạo (cũ nhất trước)"),
            "-created_at": _("Ngày tạo (mới nhất trước)"),
            "title": _("Tên (A – Z)"),
            "-title": _("Tên (Z – A)"),
        },
    )

    class Meta:
        model = Task
        fields = []
        form = PortalForm  # the search box gets the text rule like every other input

    def __init__(self, data=None, *args, user=None, **kwargs):
        # Always bound: the default scope (what is current) applies to an empty query too.
        super().__init__({} if data is None else data, *args, **kwargs)
        self.user = user

    def filter_queryset(self, queryset):
        """Every filter within the chosen scope (the default: what is current)."""
        scope = selectors.overview_scope(self.form.cleaned_data.get("year") or "")
        return super().filter_queryset(queryset.filter(selectors.scope_filter(scope)))

    def filter_year(self, qs, name, value):
        return qs  # applied to every filter in filter_queryset

    def filter_q(self, qs, name, value):
        from django.db.models import Q

        return qs.filter(
            Q(title__icontains=value)
            | Q(legal_basis__icontains=value)
            | Q(description__icontains=value)
        )

    def _agency_id(self):
        agency = self.form.cleaned_data.get("agency")
        return agency.pk if agency else None

    def filter_agency(self, qs, name, value):
        role = self.form.cleaned_data.get("role")
        parts = Participation.objects.filter(agency=value)
        if role:
            parts = parts.filter(role=role)
        return qs.filter(pk__in=parts.values("task_id"))

    def filter_role(self, qs, name, value):
        if self._agency_id():
            return qs  # combined in filter_agency
        agency_id = getattr(self.user, "agency_id", None)
        return qs.filter(
            pk__in=Participation.objects.filter(agency_id=agency_id, role=value).values("task_id")
        )

    def filter_timeliness(self, qs, name, value):
        """By the item's ``timeliness`` annotation; with a body chosen, by that body's own
        part (as the overview counts it)."""
        agency_id = self._agency_id()
        if agency_id is None:
            if "timeliness" not in qs.query.annotations:
                qs = tl.with_task_timeliness(qs)
            return qs.filter(timeliness=value)
        parts = tl.with_timeliness(
            Participation.objects.filter(agency_id=agency_id).exclude(role="track")
        ).filter(timeliness=value)
        return qs.filter(pk__in=parts.values("task_id"))


NOMINATION_FIELDS = ("full_name", "position", "agency_name", "team")


def clean_nominations(formset) -> list[dict]:
    """The filled-in nomination rows, whatever the form of the contribution (parsing only:
    the service decides what they mean)."""
    if not formset.is_valid():
        raise ValidationError(_("Danh sách cán bộ được cử chưa hợp lệ."))
    return [
        {k: f.cleaned_data[k] for k in NOMINATION_FIELDS}
        for f in formset.forms
        if f.cleaned_data and f.has_changed()
    ]
