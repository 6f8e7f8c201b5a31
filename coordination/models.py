"""Coordination items (Task), who takes part (Participation) and what they send."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from agencies.access import VisibleQuerySet
from agencies.files import StoredFile, stored_file_path
from agencies.history import HistoricalRecords
from agencies.models import Agency


class Category(models.TextChoices):
    PLAN = "plan", _("Chương trình, kế hoạch CCHC")
    INDEX_PROJECT = "index_project", _("Đề án cải thiện chỉ số (PAR INDEX, SIPAS, PAPI, PCI)")
    DIGITAL_GOV = "digital_gov", _("Chính quyền điện tử, chính quyền số")
    INSPECTION = "inspection", _("Kiểm tra CCHC")
    INITIATIVE = "initiative", _("Nhân rộng sáng kiến, giải pháp")
    REPORTING = "reporting", _("Báo cáo CCHC")
    PROVINCE_SCORING = "province_scoring", _("Tự chấm điểm Chỉ số CCHC của tỉnh")
    AGENCY_SCORING = "agency_scoring", _("Chấm điểm Chỉ số CCHC sở, ngành, huyện")


class Recurrence(models.TextChoices):
    NONE = "", _("Không lặp lại")
    MONTHLY = "monthly", _("Hằng tháng")
    QUARTERLY = "quarterly", _("Hằng quý")
    HALF_YEAR = "half_year", _("Sáu tháng")
    YEARLY = "yearly", _("Hằng năm")


class TaskQuerySet(VisibleQuerySet):
    def for_agency(self, agency_id: int) -> TaskQuerySet:
        return self.filter(participations__agency_id=agency_id).distinct()

    def open(self) -> TaskQuerySet:
        return self.exclude(status__in=[Task.Status.DONE, Task.Status.CANCELLED, Task.Status.DRAFT])


class Task(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Dự thảo")
        ASSIGNED = "assigned", _("Đã giao")
        IN_PROGRESS = "in_progress", _("Đang thực hiện")
        UNDER_REVIEW = "under_review", _("Chờ xem xét")
        RETURNED = "returned", _("Bị trả lại")
        DONE = "done", _("Hoàn thành")
        CANCELLED = "cancelled", _("Đã hủy")

    title = models.CharField(_("tên nhiệm vụ"), max_length=300)
    category = models.CharField(_("nội dung phối hợp"), max_length=30, choices=Category.choices)
    legal_basis = models.CharField(_("căn cứ"), max_length=300, blank=True)
    description = models.TextField(_("mô tả"), blank=True, max_length=20000)
    chair_agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan chủ trì"), on_delete=models.PROTECT, related_name="+"
    )
    tracking_agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan theo dõi"), on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("hạn xử lý"))
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    return_reason = models.TextField(_("lý do trả lại"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("nhiệm vụ cha"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    recurrence = models.CharField(
        _("lặp lại"), max_length=20, choices=Recurrence.choices, default="", blank=True
    )
    next_occurrence = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="previous_occurrence",
        editable=False,
    )
    silence_means_agreement = models.BooleanField(
        _("quá hạn không trả lời được coi là thống nhất"), default=False
    )
    completed_at = models.DateTimeField(_("hoàn thành lúc"), null=True, blank=True)
    completed_late = models.BooleanField(_("hoàn thành trễ hạn"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords()

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("nhiệm vụ phối hợp")
        verbose_name_plural = _("nhiệm vụ phối hợp")
        ordering = ["due_date", "pk"]
        permissions = [
            ("assign_task", _("Giao nhiệm vụ, chọn cơ quan tham gia")),
            ("consolidate_task", _("Tổng hợp kết quả (cơ quan chủ trì)")),
            ("contribute_task", _("Gửi nội dung phối hợp")),
            ("remind_task", _("Nhắc việc, đôn đốc")),
            ("review_task", _("Chấp nhận hoặc trả lại")),
        ]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["category"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.CANCELLED}


class TaskUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Task, on_delete=models.CASCADE)


class TaskGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Task, on_delete=models.CASCADE)


class Participation(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", _("Chủ trì")
        TRACK = "track", _("Theo dõi")
        CONTRIBUTE = "contribute", _("Phối hợp")

    class Status(models.TextChoices):
        PENDING = "pending", _("Chưa thực hiện")
        IN_PROGRESS = "in_progress", _("Đang thực hiện")
        SUBMITTED = "submitted", _("Đã gửi")
        ACCEPTED = "accepted", _("Đã chấp nhận")
        RETURNED = "returned", _("Bị trả lại")
        EXEMPT = "exempt", _("Miễn thực hiện")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="participations")
    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="participations"
    )
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    due_date = models.DateField(_("hạn của cơ quan"), null=True, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    return_reason = models.TextField(_("lý do trả lại"), blank=True)
    submitted_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("chấp nhận lúc"), null=True, blank=True)
    accepted_late = models.BooleanField(_("trễ hạn khi chấp nhận"), default=False)
    agreed_by_silence = models.BooleanField(_("thống nhất do không có ý kiến"), default=False)
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("cơ quan tham gia")
        verbose_name_plural = _("cơ quan tham gia")
        ordering = ["task", "role", "agency__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["task", "agency"], name="participation_one_role"),
            models.UniqueConstraint(
                fields=["task"], condition=Q(role="chair"), name="participation_one_chair"
            ),
            models.UniqueConstraint(
                fields=["task"], condition=Q(role="track"), name="participation_one_tracker"
            ),
        ]
        indexes = [models.Index(fields=["agency", "status"])]

    def __str__(self) -> str:
        return f"{self.agency} – {self.get_role_display()}"

    @property
    def is_closed(self) -> bool:
        return self.status in {self.Status.ACCEPTED, self.Status.EXEMPT}


class Contribution(models.Model):
    class Form(models.TextChoices):
        COMMENT = "comment", _("Góp ý bằng văn bản")
        REPORT = "report", _("Báo cáo")
        NOMINATION = "nomination", _("Cử cán bộ tham gia")

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="contributions"
    )
    form = models.CharField(_("hình thức phối hợp"), max_length=20, choices=Form.choices)
    body = models.TextField(_("nội dung"), max_length=50000, blank=True)
    document_number = models.CharField(_("số, ký hiệu văn bản"), max_length=100, blank=True)
    version = models.PositiveIntegerField(_("lần gửi"), default=1)
    is_consolidation = models.BooleanField(_("bản tổng hợp của cơ quan chủ trì"), default=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("nội dung phối hợp")
        verbose_name_plural = _("nội dung phối hợp")
        ordering = ["participation", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "version"], name="contribution_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participation.agency} – {self.get_form_display()} #{self.version}"


class Nomination(models.Model):
    class Team(models.TextChoices):
        ADVISORY_COUNCIL = "advisory_council", _("Hội đồng tư vấn")
        APPRAISAL_COUNCIL = "appraisal_council", _("Hội đồng thẩm định")
        INSPECTION_TEAM = "inspection_team", _("Đoàn kiểm tra")
        DRAFTING_TEAM = "drafting_team", _("Tổ soạn thảo")
        SUPPORT_TEAM = "support_team", _("Tổ giúp việc")

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="nominations"
    )
    full_name = models.CharField(_("họ và tên"), max_length=150)
    position = models.CharField(_("chức vụ"), max_length=150)
    agency_name = models.CharField(_("cơ quan công tác"), max_length=255)
    team = models.CharField(_("tham gia"), max_length=30, choices=Team.choices)

    class Meta:
        verbose_name = _("cán bộ được cử")
        verbose_name_plural = _("cán bộ được cử")

    def __str__(self) -> str:
        return self.full_name


def attachment_path(instance, filename: str) -> str:
    """Kept for the migrations that name it; files are named by ``stored_file_path``."""
    return stored_file_path(instance, filename)


class Attachment(StoredFile):
    """A file of an item, or of one body's contribution to it."""

    upload_folder = "attachments"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attachments")
    contribution = models.ForeignKey(
        Contribution,
        on_delete=models.CASCADE,
        related_name="attachments",
        null=True,
        blank=True,
    )
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta(StoredFile.Meta):
        verbose_name = _("tệp đính kèm")
        verbose_name_plural = _("tệp đính kèm")


class ReminderLog(models.Model):
    """One reminder sent to one participating body (once per kind for automatic ones)."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("Sắp đến hạn")
        DUE_DAY = "due_day", _("Đến hạn hôm nay")
        OVERDUE = "overdue", _("Quá hạn")
        MANUAL = "manual", _("Nhắc việc trực tiếp")

    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_date = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipients = models.TextField(blank=True)
    message = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("lượt nhắc việc")
        verbose_name_plural = _("lượt nhắc việc")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "kind", "due_date"],
                condition=~Q(kind="manual"),
                name="reminder_once_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.participation}"


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    task = models.ForeignKey(Task, on_delete=models.CASCADE, null=True, blank=True)
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.message
