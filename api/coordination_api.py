"""Coordination endpoints of the API (docs/api.md): bodies, items with their participations,
contributions (save a draft, attach a file, submit).

Reads go through ``visible_to`` (another body's item, or another body's draft, is a 404);
timeliness comes from ``coordination.timeliness``. Writes check the same action flags as
the pages (``coordination.access.task_actions``) and go through the same service as the
contribution page (``coordination.services.contribution_save``), so validation, history
and notifications are the page's. Every list runs a fixed number of queries.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from agencies.forms import PortalForm
from agencies.models import Agency
from api.base import (
    PortalGenericViewSet,
    PortalReadOnlyViewSet,
    WholeNumberFilter,
    call_service,
)
from api.coordination_serializers import (
    AgencySerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    ContributionSerializer,
    ContributionWriteSerializer,
    TaskDetailSerializer,
    TaskSerializer,
)
from coordination import access, selectors, services
from coordination import forms as coordination_forms
from coordination import timeliness as tl
from coordination.forms import NOMINATION_FIELDS
from coordination.models import Attachment, Contribution, Participation, Task

# --- Filters --------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class AgencyIdFilter(django_filters.ModelChoiceFilter):
    """A body by its id (the list page's body filter)."""


class AgencyFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        label=gettext_lazy("Loại cơ quan"), choices=Agency.Kind.choices
    )
    level = django_filters.ChoiceFilter(
        label=gettext_lazy("Cấp hành chính"), choices=Agency.Level.choices
    )
    active = django_filters.BooleanFilter(
        label=gettext_lazy("Đang hoạt động"), method="filter_active"
    )

    class Meta:
        model = Agency
        fields = []
        form = PortalForm

    def filter_active(self, queryset, name, value):
        active = Agency.objects.active().values("pk")
        return queryset.filter(pk__in=active) if value else queryset.exclude(pk__in=active)


class TaskFilter(coordination_forms.TaskFilter):
    """The item list page's filter (``coordination.forms.TaskFilter``: search, category,
    status, body and its role, deadline range, timeliness, ordering), plus the year of the
    deadline and ``overdue``."""

    year = WholeNumberFilter(
        label=gettext_lazy("Năm của hạn xử lý"),
        field_name="due_date",
        lookup_expr="year",
        min_value=2000,
        max_value=2100,
    )
    overdue = django_filters.BooleanFilter(label=gettext_lazy("Quá hạn"), method="filter_overdue")
    agency = AgencyIdFilter(
        label=gettext_lazy("Cơ quan tham gia (mã số)"),
        queryset=Agency.objects.order_by("sort_order"),
        method="filter_agency",
    )

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        user = getattr(request, "user", None)
        super().__init__(data, queryset, request=request, prefix=prefix, user=user)

    def filter_queryset(self, queryset):
        """Every item the client may see: the page's default scope (what is current) is a
        screen's, not the API's; ``year`` here is the deadline's year."""
        return django_filters.FilterSet.filter_queryset(self, queryset)

    def filter_overdue(self, queryset, name, value):
        overdue = self.filter_timeliness(queryset, "timeliness", tl.OVERDUE)
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))


class ContributionFilter(django_filters.FilterSet):
    task = WholeNumberFilter(label=gettext_lazy("Nhiệm vụ"), field_name="participation__task_id")
    agency = WholeNumberFilter(label=gettext_lazy("Cơ quan"), field_name="participation__agency_id")
    form = django_filters.ChoiceFilter(
        label=gettext_lazy("Hình thức phối hợp"), choices=Contribution.Form.choices
    )
    submitted = django_filters.BooleanFilter(
        label=gettext_lazy("Đã gửi (false: bản dự thảo)"),
        field_name="submitted_at",
        lookup_expr="isnull",
        exclude=True,
    )

    class Meta:
        model = Contribution
        fields = []
        form = PortalForm


# --- Bodies ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Danh sách cơ quan, đơn vị")),
    retrieve=extend_schema(summary=gettext_lazy("Một cơ quan, đơn vị")),
)
class AgencyViewSet(PortalReadOnlyViewSet):
    """Bodies: the directory every signed-in user reads (``Agency.objects.visible_to``)."""

    serializer_class = AgencySerializer
    filterset_class = AgencyFilter

    def get_queryset(self):
        return (
            Agency.objects.visible_to(self.request.user)
            .prefetch_related("successors", "predecessors")
            .order_by("sort_order", "name")
        )


# --- Items ----------------------------------------------------------------------------------


def _participations():
    return tl.with_timeliness(Participation.objects.select_related("agency")).order_by(
        "role", "agency__sort_order"
    )


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Danh sách nhiệm vụ phối hợp")),
    retrieve=extend_schema(summary=gettext_lazy("Một nhiệm vụ, các cơ quan tham gia")),
)
class TaskViewSet(PortalReadOnlyViewSet):
    """Items the caller's body takes part in (all for read-everything roles), with every
    participating body's state and timeliness; the list page's rules and filters."""

    filterset_class = TaskFilter

    def get_queryset(self):
        tasks = (
            selectors.listed_tasks(self.request.user)
            .select_related("chair_agency", "tracking_agency")
            .prefetch_related(Prefetch("participations", _participations(), to_attr="api_parts"))
        )
        if self.action == "list":
            tasks = tasks.defer("description", "legal_basis", "return_reason")
        return tasks

    def get_serializer_class(self):
        return TaskDetailSerializer if self.action == "retrieve" else TaskSerializer

    def retrieve(self, request, *args, **kwargs):
        task = self.get_object()
        task.api_actions = access.task_actions(request.user, task)
        return Response(self.get_serializer(task).data)


# --- Contributions --------------------------------------------------------------------------


def _nominations(contribution: Contribution) -> list[dict]:
    return [{k: getattr(n, k) for k in NOMINATION_FIELDS} for n in contribution.nominations.all()]


def _draft_nominations(task: Task, user) -> list[dict] | None:
    """The officials on the user's body's open draft on ``task`` (None: no draft)."""
    draft = (
        Contribution.objects.filter(
            participation__task=task,
            participation__agency_id=user.agency_id,
            submitted_at__isnull=True,
        )
        .prefetch_related("nominations")
        .first()
    )
    return None if draft is None else _nominations(draft)


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Nội dung phối hợp được xem")),
    retrieve=extend_schema(summary=gettext_lazy("Một nội dung phối hợp")),
    create=extend_schema(
        summary=gettext_lazy("Lưu dự thảo nội dung của cơ quan mình (hoặc lưu và gửi)"),
        request=ContributionWriteSerializer,
        responses={201: ContributionSerializer},
    ),
)
class ContributionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PortalGenericViewSet):
    """Contributions the caller sees (``contribution_rule``: a draft only by its own body;
    a sent one also by the item's chairing and tracking bodies). ``create`` saves the
    caller's body's draft on an item (the one open draft: a second call replaces it);
    ``attach`` adds a file to that draft; ``submit`` sends it."""

    serializer_class = ContributionSerializer
    filterset_class = ContributionFilter
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        return (
            Contribution.objects.visible_to(self.request.user)
            .select_related("participation__agency", "submitted_by")
            .prefetch_related("nominations", "attachments")
            .order_by(
                "participation__task_id", "participation__role", "participation_id", "-version"
            )
        )

    def _read(self, contribution: Contribution) -> dict:
        return ContributionSerializer(
            self.get_queryset().get(pk=contribution.pk), context=self.get_serializer_context()
        ).data

    def create(self, request, *args, **kwargs):
        data = _valid(ContributionWriteSerializer, request)
        task = access.get_visible_or_404(Task.objects.all(), request.user, pk=data["task"])
        access.require(access.task_actions(request.user, task)["draft"])
        nominations = data.get("nominations")
        if nominations is None:  # the draft's officials stay, whatever the form now
            nominations = _draft_nominations(task, request.user)
        contribution = call_service(
            services.contribution_save,
            actor=request.user,
            task=task,
            form=data["form"],
            body=data["body"],
            document_number=data["document_number"],
            nominations=None if nominations is None else [dict(n) for n in nominations],
            keep_files=data.get("keep_files"),
            submit=data["submit"],
        )
        return Response(self._read(contribution), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Đính kèm một tệp vào bản dự thảo"),
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer},
    )
    @action(detail=True, methods=["post"], url_path="attachments", url_name="attach",
            parser_classes=[MultiPartParser])  # fmt: skip
    def attach(self, request, pk=None):
        contribution, task = self._own_draft(
            _("Nội dung này đã gửi nên không đính kèm thêm được; hãy lưu bản dự thảo mới rồi "
              "đính kèm vào đó.")
        )  # fmt: skip
        upload = _valid(AttachmentUploadSerializer, request)["file"]
        before = set(contribution.attachments.values_list("pk", flat=True))
        self._save(contribution, task, files=[upload], submit=False)
        attachment = (
            Attachment.objects.filter(contribution=contribution).exclude(pk__in=before).get()
        )
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Gửi bản dự thảo"),
        request=None,
        responses={200: ContributionSerializer},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        contribution, task = self._own_draft(_("Nội dung này đã được gửi."))
        self._save(contribution, task, files=(), submit=True)
        return Response(self._read(contribution))

    def _own_draft(self, sent_message: str) -> tuple[Contribution, Task]:
        """The caller's body's draft: 404 when not visible, 403 when another body's or the
        role may not write for its body, 400 when already sent."""
        contribution = self.get_object()
        user = self.request.user
        if contribution.participation.agency_id != user.agency_id:
            access.require(False)
        task = Task.objects.get(pk=contribution.participation.task_id)
        access.require(access.task_actions(user, task)["draft"])
        if contribution.submitted_at is not None:
            raise serializers.ValidationError(sent_message)
        return contribution, task

    def _save(self, contribution: Contribution, task: Task, *, files, submit: bool) -> None:
        """The draft as it is, with ``files`` added, saved or sent by the page's service."""
        call_service(
            services.contribution_save,
            actor=self.request.user,
            task=task,
            form=contribution.form,
            body=contribution.body,
            document_number=contribution.document_number,
            nominations=_nominations(contribution),
            files=files,
            keep_files=None,
            submit=submit,
        )


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def register(router) -> None:
    """Register this part's viewsets on the API router."""
    router.register("agencies", AgencyViewSet, basename="agency")
    router.register("tasks", TaskViewSet, basename="task")
    router.register("contributions", ContributionViewSet, basename="contribution")
