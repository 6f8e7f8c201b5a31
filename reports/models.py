"""Reporting rounds, bodies' reports, the province's consolidated report and the
printable documents generated from them."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.access import VisibleQuerySet
from agencies.files import StoredFile, stored_file_path
from agencies.history import HistoricalRecords
from agencies.models import Agency

# Narrative sections of a periodic CCHC report: the areas of Resolution 76/NQ-CP plus
# direction, limitations and proposals. Stored on each round so a round keeps its own.
DEFAULT_SECTIONS: list[dict[str, str]] = [
    {"code": "direction", "label": "Công tác chỉ đạo, điều hành cải cách hành chính"},
    {"code": "institutions", "label": "Cải cách thể chế"},
    {"code": "procedures", "label": "Cải cách thủ tục hành chính"},
    {"code": "apparatus", "label": "Cải cách tổ chức bộ máy hành chính nhà nước"},
    {"code": "civil_service", "label": "Cải cách chế độ công vụ"},
    {"code": "public_finance", "label": "Cải cách tài chính công"},
    {"code": "digital_gov", "label": "Xây dựng và phát triển chính quyền điện tử, chính quyền số"},
    {"code": "limitations", "label": "Tồn tại, hạn chế và nguyên nhân"},
    {"code": "proposals", "label": "Phương hướng, nhiệm vụ và kiến nghị, đề xuất"},
]

# Numeric indicators (counts). ``checks``: the sum of ``parts`` may not exceed ``total``.
DEFAULT_INDICATORS: list[dict[str, str]] = [
    {"code": "documents_issued", "label": "Số văn bản chỉ đạo, điều hành về CCHC đã ban hành"},
    {"code": "inspections", "label": "Số cuộc kiểm tra CCHC đã thực hiện"},
    {"code": "tthc_received", "label": "Số hồ sơ thủ tục hành chính đã tiếp nhận"},
    {"code": "tthc_on_time", "label": "Số hồ sơ giải quyết đúng hạn"},
    {"code": "tthc_late", "label": "Số hồ sơ giải quyết quá hạn"},
    {"code": "online_received", "label": "Số hồ sơ tiếp nhận trực tuyến"},
    {"code": "online_services", "label": "Số dịch vụ công trực tuyến toàn trình đang cung cấp"},
]
DEFAULT_CHECKS: list[dict] = [
    {"parts": ["tthc_on_time", "tthc_late"], "total": "tthc_received"},
    {"parts": ["online_received"], "total": "tthc_received"},
]


def _default_sections() -> list[dict[str, str]]:
    return [dict(s) for s in DEFAULT_SECTIONS]


def _default_indicators() -> list[dict[str, str]]:
    return [dict(i) for i in DEFAULT_INDICATORS]


def _default_checks() -> list[dict]:
    return [dict(c) for c in DEFAULT_CHECKS]


class ReportRound(models.Model):
    class Kind(models.TextChoices):
        QUARTERLY = "quarterly", _("Báo cáo quý")
        HALF_YEAR = "half_year", _("Báo cáo 6 tháng")
        ANNUAL = "annual", _("Báo cáo năm")
        THEMATIC = "thematic", _("Báo cáo chuyên đề")
        AD_HOC = "ad_hoc", _("Báo cáo đột xuất")

    class Period(models.TextChoices):
        NONE = "", _("Không theo lịch")
        Q1 = "Q1", _("Quý I")
        H1 = "H1", _("6 tháng đầu năm")
        Q3 = "Q3", _("Quý III")
        YEAR = "Y", _("Cả năm")

    class Status(models.TextChoices):
        OPEN = "open", _("Đang nhận báo cáo")
        CLOSED = "closed", _("Đã khóa sổ")
        ISSUED = "issued", _("Đã ban hành báo cáo tổng hợp")

    kind = models.CharField(_("loại báo cáo"), max_length=20, choices=Kind.choices)
    year = models.PositiveIntegerField(_("năm"))
    period = models.CharField(
        _("kỳ báo cáo"), max_length=2, choices=Period.choices, default="", blank=True
    )
    title = models.CharField(_("tên kỳ báo cáo"), max_length=300)
    period_start = models.DateField(_("số liệu từ ngày"))
    period_end = models.DateField(_("số liệu đến ngày"))
    deadline = models.DateField(_("hạn gửi báo cáo"))
    required_agencies = models.ManyToManyField(
        Agency, verbose_name=_("cơ quan phải báo cáo"), related_name="report_rounds"
    )
    sections = models.JSONField(_("các phần nội dung"), default=_default_sections)
    indicators = models.JSONField(_("các chỉ tiêu số liệu"), default=_default_indicators)
    checks = models.JSONField(_("ràng buộc số liệu"), default=_default_checks)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    illustrative = models.BooleanField(
        _("số liệu minh họa (dữ liệu trình diễn)"), default=False, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("kỳ báo cáo")
        verbose_name_plural = _("kỳ báo cáo")
        ordering = ["-year", "period_start", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "period"], condition=~Q(period=""), name="round_one_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="round_period_order",
                violation_error_message=_("Ngày kết thúc kỳ số liệu phải sau ngày bắt đầu."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def indicator_codes(self) -> list[str]:
        return [i["code"] for i in self.indicators]

    @property
    def section_codes(self) -> list[str]:
        return [s["code"] for s in self.sections]


class AgencyReport(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Đang soạn")
        SUBMITTED = "submitted", _("Đã gửi")
        RETURNED = "returned", _("Bị trả lại")
        ACCEPTED = "accepted", _("Đã chấp nhận")

    round = models.ForeignKey(ReportRound, on_delete=models.CASCADE, related_name="reports")
    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="cchc_reports"
    )
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    sections = models.JSONField(_("nội dung"), default=dict, blank=True)
    indicators = models.JSONField(_("số liệu"), default=dict, blank=True)
    first_submitted_at = models.DateTimeField(_("gửi lần đầu lúc"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    is_late = models.BooleanField(_("gửi trễ hạn"), default=False)
    return_reason = models.TextField(_("lý do trả lại"), blank=True)
    accepted_at = models.DateTimeField(_("chấp nhận lúc"), null=True, blank=True)
    version = models.PositiveIntegerField(_("số lần gửi"), default=0)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("báo cáo của cơ quan")
        verbose_name_plural = _("báo cáo của cơ quan")
        ordering = ["round", "agency__sort_order"]
        permissions = [("review_agencyreport", _("Chấp nhận hoặc trả lại báo cáo của cơ quan"))]
        constraints = [
            models.UniqueConstraint(fields=["round", "agency"], name="agency_report_one_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.agency} – {self.round}"

    @property
    def is_editable(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.RETURNED}


class AgencyReportVersion(models.Model):
    """A frozen copy of each submission; later edits never change it."""

    report = models.ForeignKey(AgencyReport, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("lần gửi"))
    sections = models.JSONField(default=dict)
    indicators = models.JSONField(default=dict)
    submitted_at = models.DateTimeField(_("gửi lúc"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    is_late = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("bản báo cáo đã gửi")
        verbose_name_plural = _("bản báo cáo đã gửi")
        ordering = ["report", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["report", "version"], name="report_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.report} #{self.version}"


def report_attachment_path(instance, filename: str) -> str:
    """Kept for the migrations that name it; files are named by ``stored_file_path``."""
    return stored_file_path(instance, filename)


class ReportAttachment(StoredFile):
    upload_folder = "report-attachments"

    report = models.ForeignKey(AgencyReport, on_delete=models.CASCADE, related_name="attachments")
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("tệp đính kèm báo cáo")
        verbose_name_plural = _("tệp đính kèm báo cáo")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class ConsolidatedReport(models.Model):
    """The province's report for a round: compiled text edited by Sở Nội vụ, then issued."""

    round = models.OneToOneField(ReportRound, on_delete=models.CASCADE, related_name="consolidated")
    sections = models.JSONField(_("nội dung"), default=dict, blank=True)
    number = models.PositiveIntegerField(_("số văn bản"), null=True, blank=True)
    indicator_totals = models.JSONField(
        _("tổng hợp số liệu khi ban hành"), default=dict, blank=True
    )
    signer_title = models.CharField(_("chức vụ người ký"), max_length=150, blank=True)
    signer_name = models.CharField(_("người ký"), max_length=150, blank=True)
    issued_at = models.DateTimeField(_("ban hành lúc"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # What the text was compiled from (``reports.stale``): when, the text as compiled (to
    # tell the officer's edits apart) and each body's report status at that moment.
    compiled_at = models.DateTimeField(_("tổng hợp lúc"), null=True, blank=True)
    compiled_sections = models.JSONField(_("nội dung khi tổng hợp"), default=dict, blank=True)
    compiled_basis = models.JSONField(
        _("trạng thái báo cáo các cơ quan khi tổng hợp"), default=dict, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("báo cáo tổng hợp")
        verbose_name_plural = _("báo cáo tổng hợp")

    def __str__(self) -> str:
        return str(self.round)

    @property
    def is_issued(self) -> bool:
        return self.issued_at is not None


def document_path(instance: GeneratedDocument, filename: str) -> str:
    suffix = Path(filename).suffix.lower() or ".pdf"
    return f"documents/{instance.kind}/{uuid.uuid4().hex}{suffix}"


class GeneratedDocument(models.Model):
    """A built document or export, one per kind and object (``object_key``: the object,
    its parameters and the reader's variant), kept while the data it was built from are
    unchanged: ``data_key`` is the version of those data (``reports.catalog``), not a hash
    of the content. A frozen document (an issued report) is never rebuilt.
    """

    class Kind(models.TextChoices):
        CONSOLIDATED = "consolidated", _("Báo cáo tổng hợp của tỉnh")
        AGENCY_REPORT = "agency_report", _("Báo cáo của cơ quan")
        COORDINATION_STATUS = "coordination_status", _("Báo cáo tình hình phối hợp")
        REMINDER = "reminder", _("Công văn đôn đốc")
        TASK_DOSSIER = "task_dossier", _("Hồ sơ nhiệm vụ")
        SCORING_RESULTS = "scoring_results", _("Kết quả chấm điểm Chỉ số CCHC")
        SCORECARD = "scorecard", _("Bảng điểm Chỉ số CCHC")
        TASK_EXPORT = "task_export", _("Danh sách nhiệm vụ (Excel)")
        RESULTS_EXPORT = "results_export", _("Kết quả Chỉ số CCHC (Excel)")

    kind = models.CharField(max_length=30, choices=Kind.choices)
    object_key = models.CharField(max_length=100)
    data_key = models.CharField(max_length=64)
    file = models.FileField(upload_to=document_path, max_length=255)
    frozen = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("văn bản đã tạo")
        verbose_name_plural = _("văn bản đã tạo")
        permissions = [("download_documents", _("Tải các văn bản PDF toàn tỉnh"))]
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_key"], name="document_one_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_key}"


class IssuedDocument(models.Model):
    """The register of documents the portal issues (sổ văn bản đi): one row per issued
    document, numbered per issuing body and year across every kind (``number`` with
    ``symbol``: ``Số: 05/BC-SNV``). ``code`` is the short, unguessable key of its public
    verification page (``/v/<code>``, printed with a QR code on the document). The stored,
    signed file (``document``, frozen) is served byte for byte as issued; ``sha256`` is its
    fingerprint, filled when the document job has stored it."""

    kind = models.CharField(
        _("loại văn bản"), max_length=30, choices=GeneratedDocument.Kind.choices
    )
    object_key = models.CharField(max_length=100)
    issuer = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("cơ quan ban hành"),
        on_delete=models.PROTECT,
        related_name="issued_documents",
    )
    recipient = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("nơi nhận chính"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="received_documents",
    )
    year = models.PositiveIntegerField(_("năm"))
    number = models.PositiveIntegerField(_("số"))
    symbol = models.CharField(_("ký hiệu"), max_length=40)
    title = models.CharField(_("trích yếu"), max_length=300)
    issued_at = models.DateTimeField(_("ban hành lúc"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ban hành"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signer_title = models.CharField(_("chức vụ người ký"), max_length=150, blank=True)
    signer_name = models.CharField(_("người ký"), max_length=150, blank=True)
    code = models.CharField(_("mã xác thực"), max_length=16, unique=True)
    document = models.OneToOneField(
        GeneratedDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued",
    )
    sha256 = models.CharField(_("dấu vân tay SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("dung lượng"), null=True, blank=True)
    signature_level = models.CharField(_("mức chữ ký PAdES"), max_length=8, blank=True)
    signed_by = models.CharField(_("chứng thư ký"), max_length=500, blank=True)
    certificate_fingerprint = models.CharField(max_length=64, blank=True)
    signed_at = models.DateTimeField(_("ký lúc"), null=True, blank=True)
    unsigned_reason = models.CharField(_("lý do chưa ký"), max_length=300, blank=True)
    illustrative = models.BooleanField(_("chứng thư số thử nghiệm"), default=False)
    history = HistoricalRecords()

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("văn bản đã ban hành")
        verbose_name_plural = _("sổ văn bản đã ban hành")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year", "number"], name="issued_one_number_per_issuer_year"
            ),
            models.UniqueConstraint(fields=["kind", "object_key"], name="issued_one_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.number:02d}/{self.symbol} ({self.year})"


class DocumentJob(models.Model):
    """One build of a document by a background job, for one version of its data.

    Everyone who asks for the same document while its data are unchanged shares the job
    (one per kind and ``data_key``) and becomes one of its ``requesters``: only they see
    its page and its file. ``stage`` and ``progress`` say how far it is; a failed job keeps
    a message for the reader and can be run again. A job with a ``snapshot`` (the HTML of
    a report as it was issued, rendered in the issuing transaction) lays out exactly that
    and stores it frozen. Operational state, not a record of the administration: no
    history (the document it stores has one).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        RUNNING = "running", _("Đang tạo")
        DONE = "done", _("Đã xong")
        FAILED = "failed", _("Không thành công")

    class Stage(models.TextChoices):
        QUEUED = "queued", _("Đang chờ đến lượt")
        COLLECT = "collect", _("Đang tổng hợp dữ liệu")
        LAYOUT = "layout", _("Đang dàn trang")
        WRITE = "write", _("Đang ghi tệp")
        STORE = "store", _("Đang lưu văn bản")
        DONE = "done", _("Đã xong")

    kind = models.CharField(max_length=30, choices=GeneratedDocument.Kind.choices)
    object_key = models.CharField(max_length=100)
    data_key = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)
    filename = models.CharField(max_length=200)
    freeze = models.BooleanField(default=False)
    snapshot = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requesters = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    pages = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    task_result_id = models.CharField(max_length=64, blank=True)
    document = models.ForeignKey(
        GeneratedDocument, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = VisibleQuerySet.as_manager()

    class Meta:
        verbose_name = _("tác vụ tạo văn bản")
        verbose_name_plural = _("tác vụ tạo văn bản")
        constraints = [
            models.UniqueConstraint(fields=["kind", "data_key"], name="document_job_one_per_data")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_key} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
