"""PAR index scoring: criteria sets, periods, assessments, scores, evidence, appeals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.access import VisibleQuerySet
from agencies.files import StoredFile, stored_file_path
from agencies.history import HistoricalRecords
from agencies.models import Agency

TWO_PLACES = Decimal("0.01")


class Target(models.TextChoices):
    PROVINCE = "province", _("Tỉnh (tự chấm điểm)")
    DEPARTMENT = "department", _("Sở, ban, ngành")
    DISTRICT = "district", _("UBND cấp huyện")
    COMMUNE = "commune", _("UBND cấp xã")


def target_for_agency(agency: Agency) -> str:
    """Which criteria set a body is assessed against: districts the district set, communes
    (and wards) the commune set, every other body the department set."""
    return {
        Agency.Kind.DISTRICT: Target.DISTRICT,
        Agency.Kind.COMMUNE: Target.COMMUNE,
    }.get(agency.kind, Target.DEPARTMENT)


class CriteriaSet(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Dự thảo")
        PUBLISHED = "published", _("Đã ban hành")

    year = models.PositiveIntegerField(_("năm đánh giá"))
    target = models.CharField(_("đối tượng"), max_length=20, choices=Target.choices)
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    title = models.CharField(_("tên bộ tiêu chí"), max_length=300)
    total_points = models.DecimalField(
        _("tổng điểm tối đa"), max_digits=6, decimal_places=2, default=Decimal("100")
    )
    is_illustrative = models.BooleanField(_("bộ tiêu chí minh họa"), default=False)
    source_note = models.CharField(_("nguồn"), max_length=500, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("bộ tiêu chí")
        verbose_name_plural = _("bộ tiêu chí")
        ordering = ["-year", "target", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "target", "version"], name="criteriaset_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year}, v{self.version})"


class Criterion(models.Model):
    class Method(models.TextChoices):
        RANGE = "range", _("Chấm điểm trong khoảng")
        OPTIONS = "options", _("Chọn một mức")
        COMPUTED = "computed", _("Tính từ dữ liệu của Cổng")
        SURVEY = "survey", _("Điều tra xã hội học")

    class Source(models.TextChoices):
        NONE = "", _("Không")
        TASKS_ON_TIME = "tasks_on_time", _("Tỷ lệ nhiệm vụ phối hợp CCHC hoàn thành đúng hạn")
        REPORTS_ON_TIME = "reports_on_time", _("Báo cáo CCHC gửi đúng hạn")

    criteria_set = models.ForeignKey(
        CriteriaSet,
        on_delete=models.CASCADE,
        related_name="criteria",
        verbose_name=_("bộ tiêu chí"),
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    code = models.CharField(_("mã"), max_length=20)
    depth = models.PositiveSmallIntegerField(_("cấp"), default=1)
    title = models.CharField(_("nội dung"), max_length=500)
    max_points = models.DecimalField(_("điểm tối đa"), max_digits=6, decimal_places=2)
    method = models.CharField(
        _("cách chấm"), max_length=20, choices=Method.choices, default=Method.RANGE
    )
    options = models.JSONField(_("các mức điểm"), default=list, blank=True)
    computed_source = models.CharField(
        _("nguồn dữ liệu"), max_length=30, choices=Source.choices, default="", blank=True
    )
    evidence_required = models.BooleanField(_("yêu cầu tài liệu kiểm chứng"), default=False)
    responsible_agency = models.ForeignKey(
        Agency,
        verbose_name=_("cơ quan thẩm định lĩnh vực"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    applies_to = models.JSONField(
        _("áp dụng cho loại cơ quan"),
        default=list,
        blank=True,
        help_text=_("Để trống: áp dụng cho mọi cơ quan."),
    )
    sort_order = models.PositiveIntegerField(_("thứ tự"), default=0)
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("tiêu chí")
        verbose_name_plural = _("tiêu chí")
        ordering = ["criteria_set", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "code"], name="criterion_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.title}"

    def applies_to_kind(self, kind: str) -> bool:
        return not self.applies_to or kind in self.applies_to

    @property
    def option_points(self) -> list[Decimal]:
        return [Decimal(str(o["points"])) for o in self.options]


class ScoringPeriod(models.Model):
    year = models.PositiveIntegerField(_("năm đánh giá"))
    title = models.CharField(_("tên đợt chấm điểm"), max_length=300)
    province_set = models.ForeignKey(
        CriteriaSet,
        verbose_name=_("bộ tiêu chí tự chấm điểm của tỉnh"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department_set = models.ForeignKey(
        CriteriaSet,
        verbose_name=_("bộ tiêu chí sở, ban, ngành"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    district_set = models.ForeignKey(
        CriteriaSet,
        verbose_name=_("bộ tiêu chí UBND cấp huyện"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    commune_set = models.ForeignKey(
        CriteriaSet,
        verbose_name=_("bộ tiêu chí UBND cấp xã"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    self_from = models.DateField(_("tự đánh giá từ"))
    self_to = models.DateField(_("tự đánh giá đến"))
    appraisal_from = models.DateField(_("thẩm định từ"))
    appraisal_to = models.DateField(_("thẩm định đến"))
    explanation_from = models.DateField(_("giải trình từ"))
    explanation_to = models.DateField(_("giải trình đến"))
    second_from = models.DateField(_("thẩm định lại từ"))
    second_to = models.DateField(_("thẩm định lại đến"))
    appeal_from = models.DateField(_("kiến nghị từ"))
    appeal_to = models.DateField(_("kiến nghị đến"))
    publication_date = models.DateField(_("ngày công bố dự kiến"), null=True, blank=True)
    published_at = models.DateTimeField(_("công bố lúc"), null=True, blank=True)
    bands = models.JSONField(
        _("xếp loại"),
        default=list,
        blank=True,
        help_text=_('Ví dụ: [{"label": "A", "min": 90}, {"label": "B", "min": 80}]'),
    )
    council_chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chủ tịch hội đồng"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("đợt chấm điểm")
        verbose_name_plural = _("đợt chấm điểm")
        ordering = ["-year", "-pk"]

    def __str__(self) -> str:
        return self.title

    STEPS = ("self", "appraisal", "explanation", "second", "appeal")

    def window(self, step: str) -> tuple[dt.date, dt.date]:
        return getattr(self, f"{step}_from"), getattr(self, f"{step}_to")

    def is_open(self, step: str, today: dt.date | None = None) -> bool:
        start, end = self.window(step)
        today = today or timezone.localdate()
        return start <= today <= end

    @property
    def cutoff(self) -> dt.date:
        """The day computed criteria are counted up to: the earlier of 31/12 of the assessed
        year and the end of the self-assessment window (``self_to``). An item or report round
        whose deadline falls after it is not yet due for this period and is not counted."""
        return min(dt.date(self.year, 12, 31), self.self_to)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def set_for_target(self, target: str) -> CriteriaSet | None:
        return {
            Target.PROVINCE: self.province_set,
            Target.DISTRICT: self.district_set,
            Target.COMMUNE: self.commune_set,
        }.get(target, self.department_set)

    @property
    def set_ids(self) -> dict[str, int | None]:
        """The criteria set of each ranked group (department, district, commune) by target."""
        return {
            Target.DEPARTMENT: self.department_set_id,
            Target.DISTRICT: self.district_set_id,
            Target.COMMUNE: self.commune_set_id,
        }

    def band_for(self, index: Decimal | None) -> str:
        if index is None:
            return ""
        for band in sorted(self.bands or [], key=lambda b: -Decimal(str(b["min"]))):
            if index >= Decimal(str(band["min"])):
                return str(band["label"])
        return ""


DEFAULT_BANDS = [
    {"label": "A", "min": 90},
    {"label": "B", "min": 80},
    {"label": "C", "min": 70},
    {"label": "D", "min": 0},
]


class Assessment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Đang tự đánh giá")
        SUBMITTED = "submitted", _("Đã gửi, chờ thẩm định")
        APPRAISED = "appraised", _("Đã thẩm định, chờ giải trình")
        EXPLANATION = "explanation", _("Đã giải trình, chờ thẩm định lại")
        REAPPRAISED = "reappraised", _("Đã thẩm định lại")
        FINALISED = "finalised", _("Đã chốt kết quả")
        # The body ended while the period was open (a reorganisation): kept as a record,
        # never ranked, no longer worked on; ``closed_note`` names the legal basis.
        CLOSED = "closed", _("Đã đóng do sắp xếp cơ quan")

    period = models.ForeignKey(ScoringPeriod, on_delete=models.CASCADE, related_name="assessments")
    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="assessments"
    )
    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    coordination_task = models.ForeignKey(
        "coordination.Task",
        verbose_name=_("nhiệm vụ phối hợp"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Tự chấm điểm của tỉnh: nhiệm vụ phối hợp giao các sở chấm lĩnh vực."),
    )
    submitted_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("chốt lúc"), null=True, blank=True)
    ranking_excluded_reason = models.TextField(
        _("lý do không xếp hạng"),
        blank=True,
        max_length=2000,
        help_text=_("Ghi khi công bố kết quả mà bản đánh giá chưa được chốt."),
    )
    closed_at = models.DateTimeField(_("đóng lúc"), null=True, blank=True)
    closed_note = models.TextField(
        _("lý do đóng"),
        blank=True,
        max_length=2000,
        help_text=_("Ghi khi cơ quan được sắp xếp trong lúc đợt chấm điểm đang mở."),
    )
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("bản tự đánh giá")
        verbose_name_plural = _("bản tự đánh giá")
        ordering = ["period", "agency__sort_order"]
        permissions = [("appraise_assessment", _("Thẩm định bản tự đánh giá"))]
        constraints = [
            models.UniqueConstraint(fields=["period", "agency"], name="assessment_one_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.agency} – {self.period}"

    BADGES = {
        "draft": "draft",
        "submitted": "submitted",
        "appraised": "under_review",
        "explanation": "in_progress",
        "reappraised": "under_review",
        "finalised": "done",
        "closed": "cancelled",
    }

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def badge(self) -> str:
        """The portal's badge colour for the status."""
        return self.BADGES.get(self.status, "draft")


class Score(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    not_applicable = models.BooleanField(_("không áp dụng"), default=False)
    self_score = models.DecimalField(
        _("điểm tự đánh giá"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    self_note = models.TextField(_("giải thích của cơ quan"), blank=True, max_length=5000)
    appraised_score = models.DecimalField(
        _("điểm thẩm định"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    appraisal_note = models.TextField(_("ý kiến thẩm định"), blank=True, max_length=5000)
    explanation = models.TextField(_("giải trình"), blank=True, max_length=5000)
    second_score = models.DecimalField(
        _("điểm thẩm định lại"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    second_note = models.TextField(_("ý kiến thẩm định lại"), blank=True, max_length=5000)
    final_score = models.DecimalField(
        _("điểm chính thức"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("điểm tiêu chí")
        verbose_name_plural = _("điểm tiêu chí")
        ordering = ["assessment", "criterion__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.assessment.agency_id} {self.criterion.code}"

    @property
    def current_score(self) -> Decimal | None:
        """The score that counts now: final, else the latest appraisal, else self."""
        for value in (self.final_score, self.second_score, self.appraised_score):
            if value is not None:
                return value
        return self.self_score


def evidence_path(instance, filename: str) -> str:
    """Kept for the migrations that name it; files are named by ``stored_file_path``."""
    return stored_file_path(instance, filename)


class Evidence(StoredFile):
    upload_folder = "evidence"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    document_number = models.CharField(_("số, ký hiệu văn bản"), max_length=100, blank=True)
    document_date = models.DateField(_("ngày văn bản"), null=True, blank=True)
    section = models.CharField(_("phần, trang chứng minh"), max_length=200, blank=True)
    scores = models.ManyToManyField(Score, related_name="evidence", verbose_name=_("tiêu chí"))
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("tài liệu kiểm chứng")
        verbose_name_plural = _("tài liệu kiểm chứng")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class AppraiserAssignment(models.Model):
    """A council member or Nội vụ officer appraises one assessment, or one area everywhere."""

    period = models.ForeignKey(ScoringPeriod, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thẩm định"),
        on_delete=models.PROTECT,
        related_name="appraiser_assignments",
    )
    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("bản tự đánh giá"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    area = models.ForeignKey(
        Criterion,
        verbose_name=_("lĩnh vực"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("phân công thẩm định")
        verbose_name_plural = _("phân công thẩm định")
        constraints = [
            models.CheckConstraint(
                condition=Q(assessment__isnull=False) | Q(area__isnull=False),
                name="assignment_has_scope",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.assessment or self.area}"


class Appeal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ xem xét")
        ACCEPTED = "accepted", _("Chấp nhận")
        REJECTED = "rejected", _("Không chấp nhận")

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="appeals")
    reason = models.TextField(_("lý do kiến nghị"), max_length=5000)
    evidence = models.ForeignKey(
        Evidence,
        verbose_name=_("tài liệu kèm theo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("kết quả"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    decision = models.TextField(_("ý kiến của hội đồng"), blank=True, max_length=5000)
    decided_score = models.DecimalField(
        _("điểm sau xem xét"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("kiến nghị")
        verbose_name_plural = _("kiến nghị")
        ordering = ["submitted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.score} – {self.get_status_display()}"


class ImportJob(models.Model):
    """A large criteria file (over ``IMPORT_INLINE_BYTES``) checked, then saved, by a
    background job (scoring/tasks.py): the officer's page shows "Đang kiểm tra tệp…" until
    the preview is ready. Working state, not a record: no history, deleted after two days."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Đang kiểm tra")
        CHECKED = "checked", _("Đã kiểm tra")
        SAVING = "saving", _("Đang lưu")
        SAVED = "saved", _("Đã lưu")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    file_name = models.CharField(_("tên tệp"), max_length=255)
    content = models.BinaryField(_("nội dung tệp"))
    language = models.CharField(_("ngôn ngữ"), max_length=10, default="vi")
    # The form's fields: year, target, title, total_points, is_illustrative, source_note.
    params = models.JSONField(_("tham số"), default=dict)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=Status.choices, default=Status.CHECKING
    )
    # scoring.importing.result_data: the preview's rows, line-numbered errors and total.
    preview = models.JSONField(_("kết quả kiểm tra"), null=True, blank=True)
    task_id = models.CharField(_("mã việc nền"), max_length=64, blank=True)
    criteria_set = models.ForeignKey(
        CriteriaSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("tệp tiêu chí đang nhập")
        verbose_name_plural = _("tệp tiêu chí đang nhập")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"
