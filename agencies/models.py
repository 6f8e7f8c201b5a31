"""Bodies (Agency) and users of the portal."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, Group
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.access import VisibleQuerySet
from agencies.history import HistoricalRecords


class AgencyQuerySet(VisibleQuerySet):
    def active(self, on=None):
        on = on or timezone.localdate()
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on)
        )

    def lead(self, on=None) -> Agency:
        """The body leading CCHC on ``on`` (today by default)."""
        return self.active(on).get(kind=Agency.Kind.LEAD)


class Agency(models.Model):
    class Kind(models.TextChoices):
        LEAD = "lead", _("Cơ quan chủ trì CCHC (Sở Nội vụ)")
        DEPARTMENT = "department", _("Sở, ban, ngành")
        DISTRICT = "district", _("UBND cấp huyện")
        COMMUNE = "commune", _("UBND cấp xã")
        OFFICE = "office", _("Văn phòng UBND tỉnh")
        OTHER = "other", _("Cơ quan khác")

    class Level(models.TextChoices):
        PROVINCE = "province", _("Cấp tỉnh")
        DISTRICT = "district", _("Cấp huyện")
        COMMUNE = "commune", _("Cấp xã")

    code = models.CharField(_("mã"), max_length=20, unique=True)
    name = models.CharField(_("tên đầy đủ"), max_length=255)
    short_name = models.CharField(_("tên ngắn"), max_length=100)
    abbreviation = models.CharField(
        _("chữ viết tắt trên văn bản"), max_length=20, help_text=_("Ví dụ: SNV, STP, UBND")
    )
    kind = models.CharField(_("loại cơ quan"), max_length=20, choices=Kind.choices)
    level = models.CharField(
        _("cấp hành chính"), max_length=20, choices=Level.choices, default=Level.PROVINCE
    )
    stats_code = models.CharField(_("mã thống kê"), max_length=10, blank=True)
    sort_order = models.PositiveIntegerField(_("thứ tự"), default=100)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    successors = models.ManyToManyField(
        "self",
        verbose_name=_("cơ quan kế thừa"),
        through="Succession",
        through_fields=("predecessor", "successor"),
        symmetrical=False,
        blank=True,
        related_name="predecessors",
    )
    email = models.EmailField(_("thư điện tử"), blank=True)
    # Every body before this one (through successions, however many steps back): the
    # archive its users read. Kept by ``agencies.lineage.refresh_archive`` whenever a
    # succession is written, so access rules read it with the user's body, without a query.
    archive_ids = models.JSONField(default=list, blank=True, editable=False)
    group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="agency", editable=False, null=True
    )
    history = HistoricalRecords(excluded_fields=["archive_ids"])

    objects = AgencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("cơ quan")
        verbose_name_plural = _("cơ quan")
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind="lead", valid_to__isnull=True),
                name="agency_one_active_lead",
                violation_error_message=_("Chỉ được có một cơ quan chủ trì CCHC đang hoạt động."),
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="agency_valid_range",
                violation_error_message=_("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Each body owns exactly one auth group carrying its object permissions;
        # it is created with the body and renamed with its code.
        with transaction.atomic():
            if self.group_id is None:
                self.group, _created = Group.objects.get_or_create(name=self.group_name)
            elif self.group.name != self.group_name:
                self.group.name = self.group_name
                self.group.save(update_fields=["name"])
            super().save(*args, **kwargs)

    @property
    def group_name(self) -> str:
        return f"agency:{self.code}"

    def exists_on(self, day) -> bool:
        """``Agency.objects.active(on=day)`` for a body already loaded (no query)."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or self.valid_to >= day
        )

    @property
    def is_active(self) -> bool:
        return self.exists_on(timezone.localdate())


class Succession(models.Model):
    """One body's work passing to another on a date (a merge, a split, a rename or an
    abolition). A split has several rows for one predecessor, one of them the default."""

    class Change(models.TextChoices):
        MERGE = "merge", _("Hợp nhất, sáp nhập")
        SPLIT = "split", _("Chia tách")
        RENAME = "rename", _("Đổi tên")
        ABOLISH = "abolish", _("Giải thể")

    predecessor = models.ForeignKey(
        Agency,
        verbose_name=_("cơ quan trước"),
        on_delete=models.PROTECT,
        related_name="handed_over",
    )
    successor = models.ForeignKey(
        Agency,
        verbose_name=_("cơ quan kế thừa"),
        on_delete=models.PROTECT,
        related_name="taken_over",
    )
    change = models.CharField(_("hình thức"), max_length=10, choices=Change.choices)
    effective_date = models.DateField(_("ngày hiệu lực"))
    legal_basis = models.CharField(_("căn cứ"), max_length=500, blank=True)
    is_default = models.BooleanField(_("nhận công việc đang mở"), default=True)

    class Meta:
        verbose_name = _("kế thừa cơ quan")
        verbose_name_plural = _("kế thừa cơ quan")
        ordering = ["effective_date", "predecessor_id", "-is_default", "successor_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="succession_once_per_pair"
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=models.F("successor")), name="succession_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor} ({self.effective_date:%d/%m/%Y})"


class AgencyName(models.Model):
    """A name a body carried before a date: records before ``valid_to`` print it
    (``agencies.lineage.name_on``). The body's own fields hold its current name."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="former_names")
    code = models.CharField(_("mã"), max_length=20)
    name = models.CharField(_("tên đầy đủ"), max_length=255)
    short_name = models.CharField(_("tên ngắn"), max_length=100)
    abbreviation = models.CharField(_("chữ viết tắt trên văn bản"), max_length=20)
    valid_to = models.DateField(_("dùng đến ngày"))
    legal_basis = models.CharField(_("căn cứ"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("tên cũ của cơ quan")
        verbose_name_plural = _("tên cũ của cơ quan")
        ordering = ["agency_id", "valid_to"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "valid_to"], name="agency_name_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.name} (… {self.valid_to:%d/%m/%Y})"


class Province(models.Model):
    """The province the portal serves, valid-dated: pages and documents print the one in
    force on their date (``agencies.lineage.province_on``). Nothing in the code names it."""

    name = models.CharField(_("tên tỉnh"), max_length=100, help_text=_("Ví dụ: tỉnh Phú Yên"))
    short_name = models.CharField(
        _("tên ngắn"), max_length=60, help_text=_("Địa danh trên văn bản, ví dụ: Phú Yên")
    )
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    legal_basis = models.CharField(_("căn cứ"), max_length=500, blank=True)
    regulation = models.CharField(
        _("quy chế phối hợp"),
        max_length=500,
        blank=True,
        help_text=_("Văn bản quy định việc phối hợp CCHC, in ở chân trang."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tỉnh")
        verbose_name_plural = _("tỉnh")
        ordering = [models.F("valid_from").asc(nulls_first=True)]

    def __str__(self) -> str:
        return self.name

    def exists_on(self, day) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or self.valid_to >= day
        )


class User(AbstractUser):
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("cơ quan"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
    )
    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    position = models.CharField(_("chức vụ"), max_length=150, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)
    history = HistoricalRecords(excluded_fields=["last_login", "password"])

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")
        ordering = ["agency__sort_order", "full_name", "username"]

    def __str__(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return str(self)

    def save(self, *args, **kwargs) -> None:
        # A user is a member of their body's group (object permissions flow through
        # it) and of no other body's group.
        with transaction.atomic():
            super().save(*args, **kwargs)
            sync_agency_group(self)


def sync_agency_group(user: User) -> None:
    agency_groups = Group.objects.filter(agency__isnull=False)
    wanted = user.agency.group_id if user.agency_id and user.agency.group_id else None
    stale = user.groups.filter(pk__in=agency_groups).exclude(pk=wanted)
    if stale.exists():
        user.groups.remove(*stale)
    if wanted and not user.groups.filter(pk=wanted).exists():
        user.groups.add(wanted)


class SecurityEvent(models.Model):
    """One security-relevant event: who, what, when, from where (see agencies/security.py)."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("Đăng nhập")
        LOGIN_FAILED = "login_failed", _("Đăng nhập thất bại")
        LOCKOUT = "lockout", _("Khóa đăng nhập")
        UNLOCK = "unlock", _("Mở khóa đăng nhập")
        LOGOUT = "logout", _("Đăng xuất")
        SESSION_ENDED = "session_ended", _("Kết thúc phiên")
        MFA_ENABLED = "mfa_enabled", _("Bật xác thực hai yếu tố")
        MFA_DISABLED = "mfa_disabled", _("Tắt xác thực hai yếu tố")
        MFA_VERIFIED = "mfa_verified", _("Xác thực yếu tố thứ hai")
        MFA_FAILED = "mfa_failed", _("Xác thực yếu tố thứ hai thất bại")
        MFA_RECOVERY_USED = "mfa_recovery", _("Dùng mã khôi phục")
        DENIED = "denied", _("Từ chối truy cập")
        DOWNLOAD = "download", _("Tải tài liệu")

    kind = models.CharField(_("loại sự kiện"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        User,
        verbose_name=_("người dùng"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("tên đăng nhập"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    path = models.CharField(_("đường dẫn"), max_length=500, blank=True)
    detail = models.CharField(_("chi tiết"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("thời điểm"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("sự kiện an ninh")
        verbose_name_plural = _("sự kiện an ninh")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["kind", "-created_at"], name="secevent_kind_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.username}"


class UserSession(models.Model):
    """A signed-in session of a user, so the user (or an admin) can see and end it."""

    session_key = models.CharField(_("khóa phiên"), max_length=40, primary_key=True)
    user = models.ForeignKey(
        User, verbose_name=_("người dùng"), on_delete=models.CASCADE, related_name="+"
    )
    ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    user_agent = models.CharField(_("trình duyệt"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("đăng nhập lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("phiên đăng nhập")
        verbose_name_plural = _("phiên đăng nhập")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%d/%m/%Y %H:%M}"


class OutgoingMail(models.Model):
    """One e-mail in the outbox (agencies/mail.py): written inside the business
    transaction, sent by a job enqueued after it commits (agencies/tasks.py), which retries
    itself with backoff; ``send_pending_mail`` sweeps up what no job carries."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        SENDING = "sending", _("Đang gửi")
        SENT = "sent", _("Đã gửi")
        FAILED = "failed", _("Gửi lỗi")

    recipients = models.JSONField(_("người nhận"), default=list)
    subject = models.CharField(_("tiêu đề"), max_length=500)
    body = models.TextField(_("nội dung"))
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("số lần gửi"), default=0)
    last_attempt_at = models.DateTimeField(_("lần gửi gần nhất"), null=True, blank=True)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thư đi")
        verbose_name_plural = _("thư đi")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="outmail_status_created")]

    def __str__(self) -> str:
        return self.subject


class FormReceipt(models.Model):
    """A create form's one-time token, written in the same transaction as what the form
    created: the same form sent again with the same content (a double-click, Back and
    resubmit, two tabs) finds it and is shown the first result instead of creating a second
    one (``agencies.once``). The content's fingerprint is part of the key: a form changed
    after Back is a new request."""

    token = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    user = models.ForeignKey("agencies.User", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    result_url = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("biên nhận biểu mẫu")
        verbose_name_plural = _("biên nhận biểu mẫu")
        constraints = [
            models.UniqueConstraint(fields=["token", "fingerprint"], name="form_receipt_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.result_url or self.token[:8]}"
