"""What the coordination endpoints read and write (``api.coordination_api``).

Answers are built from rows the views loaded through ``visible_to`` with their related
rows (no serializer causes a query); timeliness is read from the annotations of
``coordination.timeliness``, never computed here."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import Agency
from api.base import AgencyRefSerializer, IntegerNumberField, PortalSerializer
from coordination import timeliness as tl
from coordination.models import Attachment, Contribution, Nomination, Participation, Task

STATES = list(tl.LABELS)


class TimelinessLabelField(serializers.CharField):
    """The label of a ``timeliness`` annotation value."""

    def __init__(self, **kwargs):
        super().__init__(source="timeliness", read_only=True, **kwargs)

    def to_representation(self, value):
        return str(tl.LABELS[value])


# --- Bodies ---------------------------------------------------------------------------------


class AgencySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    is_active = serializers.SerializerMethodField()
    email = serializers.CharField(read_only=True, help_text=_("Thư điện tử (có thể trống)."))
    successors = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        read_only=True,
        help_text=_("Mã các cơ quan kế thừa công việc khi cơ quan này kết thúc."),
    )
    predecessors = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        read_only=True,
        help_text=_("Mã các cơ quan trước đã chuyển công việc sang cơ quan này."),
    )

    class Meta:
        model = Agency
        fields = [
            "id",
            "code",
            "name",
            "short_name",
            "abbreviation",
            "kind",
            "kind_label",
            "level",
            "level_label",
            "email",
            "valid_from",
            "valid_to",
            "is_active",
            "successors",
            "predecessors",
        ]
        read_only_fields = fields

    def get_is_active(self, agency: Agency) -> bool:
        return agency.exists_on(timezone.localdate())


# --- Items and participations ---------------------------------------------------------------


class ParticipationSerializer(serializers.ModelSerializer):
    agency = AgencyRefSerializer(read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    effective_due_date = serializers.DateField(
        source="eff_due",
        read_only=True,
        help_text=_("Hạn của cơ quan, nếu không có: hạn nhiệm vụ."),
    )
    timeliness = serializers.ChoiceField(choices=STATES, read_only=True)
    timeliness_label = TimelinessLabelField()

    class Meta:
        model = Participation
        fields = [
            "id",
            "agency",
            "role",
            "role_label",
            "due_date",
            "effective_due_date",
            "status",
            "status_label",
            "timeliness",
            "timeliness_label",
            "return_reason",
            "submitted_at",
            "accepted_at",
            "accepted_late",
            "agreed_by_silence",
        ]
        read_only_fields = fields


class TaskSerializer(serializers.ModelSerializer):
    """An item in a list: its bodies with their state, and the role of the caller's body."""

    category_label = serializers.CharField(source="get_category_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    timeliness = serializers.ChoiceField(choices=STATES, read_only=True)
    timeliness_label = TimelinessLabelField()
    chair_agency = AgencyRefSerializer(read_only=True)
    tracking_agency = AgencyRefSerializer(read_only=True)
    my_role = serializers.SerializerMethodField(
        help_text=_("Vai trò của cơ quan người gọi trong nhiệm vụ (null: không tham gia).")
    )
    participations = ParticipationSerializer(many=True, read_only=True, source="api_parts")

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "category",
            "category_label",
            "status",
            "status_label",
            "timeliness",
            "timeliness_label",
            "due_date",
            "chair_agency",
            "tracking_agency",
            "parent",
            "recurrence",
            "silence_means_agreement",
            "completed_at",
            "completed_late",
            "created_at",
            "updated_at",
            "my_role",
            "participations",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(choices=Participation.Role.choices, allow_null=True)
    )
    def get_my_role(self, task: Task) -> str | None:
        agency_id = getattr(self.context["request"].user, "agency_id", None)
        return next((p.role for p in task.api_parts if p.agency_id == agency_id), None)


class TaskActionsSerializer(serializers.Serializer):
    """What the caller may do on the item (``coordination.access.task_actions``)."""

    draft = serializers.BooleanField(help_text=_("Lưu dự thảo nội dung của cơ quan mình."))
    contribute = serializers.BooleanField(help_text=_("Gửi nội dung phối hợp."))
    consolidate = serializers.BooleanField(help_text=_("Gửi kết quả tổng hợp (chủ trì)."))
    review = serializers.BooleanField()
    review_contributions = serializers.BooleanField()
    remind = serializers.BooleanField()
    edit = serializers.BooleanField()
    cancel = serializers.BooleanField()


class TaskDetailSerializer(TaskSerializer):
    actions = serializers.SerializerMethodField()

    class Meta(TaskSerializer.Meta):
        fields = [
            *TaskSerializer.Meta.fields,
            "legal_basis",
            "description",
            "return_reason",
            "actions",
        ]
        read_only_fields = fields

    @extend_schema_field(TaskActionsSerializer)
    def get_actions(self, task: Task) -> dict:
        names = TaskActionsSerializer().fields
        return {name: task.api_actions[name] for name in names}


# --- Contributions --------------------------------------------------------------------------


class NominationSerializer(PortalSerializer):
    full_name = serializers.CharField(max_length=150, label=_("Họ và tên"))
    position = serializers.CharField(max_length=150, label=_("Chức vụ"))
    agency_name = serializers.CharField(max_length=255, label=_("Cơ quan công tác"))
    team = serializers.ChoiceField(choices=Nomination.Team.choices, label=_("Tham gia"))


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "original_name", "size", "content_type", "uploaded_at"]
        read_only_fields = fields


class ContributionSerializer(serializers.ModelSerializer):
    task = serializers.IntegerField(source="participation.task_id", read_only=True)
    agency = AgencyRefSerializer(source="participation.agency", read_only=True)
    form_label = serializers.CharField(source="get_form_display", read_only=True)
    submitted = serializers.SerializerMethodField(
        help_text=_("false: bản dự thảo, chỉ cơ quan mình thấy.")
    )
    submitted_by = serializers.SerializerMethodField(help_text=_("Người lưu hoặc gửi."))
    nominations = NominationSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Contribution
        fields = [
            "id",
            "task",
            "participation",
            "agency",
            "form",
            "form_label",
            "body",
            "document_number",
            "version",
            "is_consolidation",
            "submitted",
            "submitted_at",
            "submitted_by",
            "nominations",
            "attachments",
        ]
        read_only_fields = fields

    def get_submitted(self, contribution: Contribution) -> bool:
        return contribution.submitted_at is not None

    def get_submitted_by(self, contribution: Contribution) -> str:
        return contribution.submitted_by.display_name


class ContributionWriteSerializer(PortalSerializer):
    """Save the caller's body's draft on an item (or save and send it, ``submit``)."""

    task = IntegerNumberField(min_value=1, label=_("Nhiệm vụ"))
    form = serializers.ChoiceField(choices=Contribution.Form.choices, label=_("Hình thức phối hợp"))
    body = serializers.CharField(
        max_length=50000,
        required=False,
        allow_blank=True,
        default="",
        label=_("Nội dung"),
        style={"base_template": "textarea.html"},
    )
    document_number = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", label=_("Số, ký hiệu văn bản")
    )
    nominations = NominationSerializer(
        many=True,
        required=False,
        max_length=20,
        label=_("Cán bộ được cử"),
        help_text=_("Bỏ trống: giữ danh sách của bản dự thảo."),
    )
    keep_files = serializers.ListField(
        child=IntegerNumberField(min_value=1),
        required=False,
        max_length=100,
        label=_("Tệp giữ lại"),
        help_text=_(
            "Mã các tệp đã có được giữ: của bản dự thảo, hoặc của lần gửi trước khi bắt đầu "
            "lần gửi mới. Bỏ trống: giữ mọi tệp của bản dự thảo; lần gửi mới không mang tệp cũ."
        ),
    )
    submit = serializers.BooleanField(
        default=False, label=_("Gửi luôn"), help_text=_("true: lưu và gửi trong một lần.")
    )


class AttachmentUploadSerializer(PortalSerializer):
    file = serializers.FileField(label=_("Tệp"))
