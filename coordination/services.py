"""Writes for coordination items. Each service is a transaction, validates, records
history with a reason, and is the only code that changes what it owns. Access to an
item is granted and revoked only by ``task_set_participants``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import history
from agencies.files import validate_upload
from agencies.models import Agency
from coordination import access, notify, succession
from coordination import timeliness as tl
from coordination.models import (
    Attachment,
    Contribution,
    Nomination,
    Participation,
    Task,
)
from coordination.uploads import validate_item_total

P = Participation
S = Task.Status


class ConcurrentEditError(ValidationError):
    """Raised when the record changed since the form was opened."""

    def __init__(self, current: Task, submitted: dict):
        super().__init__(
            _(
                "Nhiệm vụ đã được người khác sửa sau khi bạn mở trang. "
                "Thay đổi của bạn chưa được lưu; hãy xem bản hiện tại và nhập lại."
            ),
            code="stale",
        )
        self.current = current
        self.submitted = submitted


@dataclass(frozen=True)
class ParticipantSpec:
    chair: Agency
    tracker: Agency
    contributors: list[Agency]
    contributor_due_dates: dict[int, dt.date | None]


def validate_participants(spec: ParticipantSpec, due_date: dt.date) -> None:
    """The bodies' rule (run by the services; the plan preview runs it without writing).
    Every body must exist on the item's dates (``succession.bodies_absent``)."""
    errors = []
    contributor_ids = [a.pk for a in spec.contributors]
    if spec.chair.pk in contributor_ids:
        errors.append(_("Cơ quan chủ trì không được đồng thời là cơ quan phối hợp."))
    if spec.tracker.pk in contributor_ids:
        errors.append(_("Cơ quan theo dõi không được đồng thời là cơ quan phối hợp."))
    if spec.chair.pk == spec.tracker.pk:
        errors.append(_("Cơ quan chủ trì và cơ quan theo dõi phải khác nhau."))
    if len(set(contributor_ids)) != len(contributor_ids):
        errors.append(_("Một cơ quan phối hợp bị chọn hai lần."))
    errors += succession.bodies_absent([spec.chair, spec.tracker, *spec.contributors], due_date)
    for own_due in spec.contributor_due_dates.values():
        if own_due and own_due > due_date:
            errors.append(
                _("Hạn của cơ quan phối hợp không được sau hạn của nhiệm vụ (%(date)s).")
                % {"date": due_date.strftime("%d/%m/%Y")}
            )
            break
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def task_set_participants(*, actor, task: Task, spec: ParticipantSpec) -> None:
    """Set who chairs, tracks and contributes; grant and revoke object permissions.

    This is the only code that grants or revokes object permissions on a Task."""
    if not access.is_noivu_officer(actor):
        raise PermissionDenied
    _apply_participants(task, spec, actor)


def _apply_participants(task: Task, spec: ParticipantSpec, actor=None) -> None:
    """Remove, update, then add participations with their grants. Long, and kept in one
    piece: the order (removals before creations) is what the unique chair/tracker
    constraints need."""
    validate_participants(spec, task.due_date)
    wanted: dict[int, tuple[str, dt.date | None]] = {
        spec.chair.pk: (P.Role.CHAIR, None),
        spec.tracker.pk: (P.Role.TRACK, None),
    }
    for agency in spec.contributors:
        wanted[agency.pk] = (P.Role.CONTRIBUTE, spec.contributor_due_dates.get(agency.pk))
    current = {p.agency_id: p for p in task.participations.select_related("agency__group")}
    agencies = {a.pk: a for a in Agency.objects.filter(pk__in=wanted).select_related("group")}

    for agency_id, part in current.items():
        if agency_id not in wanted or wanted[agency_id][0] != part.role:
            if part.contributions.exists():
                raise ValidationError(
                    _(
                        "%(name)s đã gửi nội dung cho nhiệm vụ này "
                        "nên không thể bỏ hoặc đổi vai trò."
                    )
                    % {"name": part.agency.name}
                )
            access.task_revoke(task, part.agency.group, part.role)
            history.delete(part, _("Bỏ khỏi danh sách tham gia"), actor)
    # Roles chair/track are unique per task: delete first, then create.
    for agency_id, (role, own_due) in wanted.items():
        part = current.get(agency_id)
        if part is not None and part.role == role:
            if part.due_date != own_due:
                part.due_date = own_due
                history.save(part, _("Đổi hạn của cơ quan"), actor)
            access.task_grant(task, agencies[agency_id].group, role)
            continue
        part = Participation(task=task, agency=agencies[agency_id], role=role, due_date=own_due)
        history.save(part, _("Thêm vào danh sách tham gia"), actor)
        access.task_grant(task, agencies[agency_id].group, role)
    changed = task.chair_agency_id != spec.chair.pk or task.tracking_agency_id != spec.tracker.pk
    if changed:
        task.chair_agency, task.tracking_agency = spec.chair, spec.tracker
        task.version += 1
        history.save(task, _("Đổi cơ quan chủ trì, theo dõi"), actor)
    if task.status != S.DRAFT:
        notify.participants_changed(task)


def check_due_date(due_date: dt.date) -> None:
    if due_date < timezone.localdate():
        raise ValidationError({"due_date": _("Hạn xử lý không được ở trong quá khứ.")})


@transaction.atomic
def task_create(
    *,
    actor,
    title: str,
    category: str,
    due_date: dt.date,
    spec: ParticipantSpec,
    legal_basis: str = "",
    description: str = "",
    parent: Task | None = None,
    recurrence: str = "",
    silence_means_agreement: bool = False,
    files=(),
) -> Task:
    if not access.is_noivu_officer(actor):
        raise PermissionDenied
    check_due_date(due_date)
    for upload in files:
        validate_upload(upload)
    task = Task(
        title=title.strip(),
        category=category,
        legal_basis=legal_basis.strip(),
        description=description.strip(),
        chair_agency=spec.chair,
        tracking_agency=spec.tracker,
        due_date=due_date,
        parent=parent,
        recurrence=recurrence,
        silence_means_agreement=silence_means_agreement,
        created_by=actor,
    )
    task.full_clean()
    history.save(task, _("Tạo nhiệm vụ"), actor)
    task_set_participants(actor=actor, task=task, spec=spec)
    for upload in files:
        attachment_add(actor=actor, task=task, upload=upload)
    return task


def _locked(task: Task) -> Task:
    return Task.objects.select_for_update().get(pk=task.pk)


EDITABLE_BY_CHAIR = ("legal_basis", "description")
EDITABLE_BY_OFFICER = (
    "title",
    "category",
    "legal_basis",
    "description",
    "due_date",
    "parent",
    "recurrence",
    "silence_means_agreement",
)


@transaction.atomic
def task_update(*, actor, task: Task, expected_version: int, changes: dict) -> Task:
    """Edit an item; refuses a stale form instead of overwriting someone else's edit."""
    locked = _locked(task)
    actions = access.task_actions(actor, locked)
    if not actions["edit"]:
        raise PermissionDenied
    allowed = EDITABLE_BY_OFFICER if actions["edit_all_fields"] else EDITABLE_BY_CHAIR
    if locked.version != expected_version:
        raise ConcurrentEditError(locked, changes)
    if "due_date" in changes and changes["due_date"] != locked.due_date:
        check_due_date(changes["due_date"])
        parts = locked.participations.select_related("agency")
        if absent := succession.bodies_absent([p.agency for p in parts], changes["due_date"]):
            raise ValidationError({"due_date": absent})
    if changes.get("parent") is not None and changes["parent"].pk == locked.pk:
        raise ValidationError({"parent": _("Nhiệm vụ không thể là nhiệm vụ cha của chính nó.")})
    for field in allowed:
        if field in changes:
            setattr(locked, field, changes[field])
    locked.full_clean()
    locked.version += 1
    history.save(locked, _("Sửa thông tin nhiệm vụ"), actor)
    return locked


def _transition(task: Task, allowed_from: set[str], to: str) -> None:
    if task.status not in allowed_from:
        raise ValidationError(
            _("Không thể chuyển nhiệm vụ từ trạng thái “%(from)s” sang “%(to)s”.")
            % {"from": task.get_status_display(), "to": S(to).label}
        )
    task.status = to
    task.version += 1


@transaction.atomic
def task_assign(*, actor, task: Task) -> Task:
    task = _locked(task)
    if task.status != S.DRAFT and access.may_create_tasks(actor):
        raise ValidationError(  # another officer assigned it first
            _("Nhiệm vụ này đã được giao (%(by)s); không có gì thay đổi.")
            % {"by": history.last_change(task)}
        )
    access.require(access.task_actions(actor, task)["assign"])
    _transition(task, {S.DRAFT}, S.ASSIGNED)
    history.save(task, _("Giao nhiệm vụ"), actor)
    notify.task_assigned(task)
    return task


@transaction.atomic
def task_cancel(*, actor, task: Task, reason: str) -> Task:
    task = _locked(task)
    access.require(access.task_actions(actor, task)["cancel"])
    if not reason.strip():
        raise ValidationError({"reason": _("Hãy ghi lý do hủy nhiệm vụ.")})
    _transition(task, {S.DRAFT, S.ASSIGNED, S.IN_PROGRESS, S.UNDER_REVIEW, S.RETURNED}, S.CANCELLED)
    task.return_reason = reason.strip()
    history.save(task, _("Hủy nhiệm vụ: %(reason)s") % {"reason": reason.strip()}, actor)
    return task


def _mark_in_progress(task: Task, actor) -> None:
    if task.status == S.ASSIGNED:
        task.status = S.IN_PROGRESS
        task.version += 1
        history.save(task, _("Bắt đầu thực hiện"), actor)


def _participation_for(task: Task, actor) -> Participation:
    part = task.participations.filter(agency_id=actor.agency_id).first()
    if part is None or part.role == P.Role.TRACK:
        raise PermissionDenied
    return part


def _late(due: dt.date, when: dt.datetime) -> bool:
    return timezone.localdate(when) > due


@transaction.atomic
def contribution_save(
    *,
    actor,
    task: Task,
    form: str,
    body: str,
    document_number: str = "",
    nominations: list[dict] | None = None,
    files=(),
    keep_files: list[int] | None = None,
    submit: bool,
) -> Contribution:
    """Save a draft (focal officer or staff, ``access.works_for_body``) or submit (focal
    officer) what is on screen; ``keep_files`` as ``_kept_files``.

    Everything is checked before anything is written. A submitted version is never
    changed: the next answer is a new version. Nominated officials are kept with the
    contribution whatever its form (``None`` leaves a draft's rows as they are). For the
    chairing body the submission is the consolidated result and sends the item to review.
    """
    task = _locked(task)
    part = _part_that_may_save(actor, task, submit)
    files = list(files)
    draft = part.contributions.filter(submitted_at__isnull=True).first()
    kept = _kept_files(part, draft, keep_files)
    _validate_contribution(task, form, body, nominations, files, kept=len(kept))
    contribution = _write_contribution(
        actor, part, form=form, body=body, document_number=document_number, submit=submit
    )
    _keep_files(actor, task, draft, contribution, kept)
    _write_rows(actor, task, contribution, nominations, files)
    _mark_in_progress(task, actor)
    if submit:
        _submit_part(actor, task, part, contribution)
    elif part.status == P.Status.PENDING:
        part.status = P.Status.IN_PROGRESS
        history.save(part, _("Bắt đầu soạn nội dung"), actor)
    return contribution


def _write_rows(actor, task: Task, contribution: Contribution, nominations, files) -> None:
    """The officials on screen (``None``: leave them) and the new files."""
    if nominations is not None:
        contribution.nominations.all().delete()
        Nomination.objects.bulk_create(
            Nomination(contribution=contribution, **row) for row in nominations
        )
    for upload in files:
        attachment_add(actor=actor, task=task, upload=upload, contribution=contribution)


def _kept_files(part: Participation, draft, keep_files: list[int] | None) -> list[Attachment]:
    """The files already there that the saved version keeps: of ``keep_files`` (ids), the
    draft's own, or, for a new version, the previous version's (carried over as references
    to the same stored files, not copies); the others are removed from the draft or not
    carried. ``None`` keeps a draft's files and starts a new version without files."""
    if keep_files is None:
        return list(draft.attachments.all()) if draft else []
    source = draft or part.contributions.order_by("-version").first()
    if source is None:
        return []
    return list(source.attachments.filter(pk__in=keep_files))


def _keep_files(actor, task: Task, draft, contribution: Contribution, kept: list) -> None:
    if draft is not None:
        for attachment in draft.attachments.exclude(pk__in=[a.pk for a in kept]):
            history.delete(attachment, _("Bỏ tệp khỏi dự thảo"), actor)
        return
    for old in kept:  # a new version: the previous version's files, referenced
        attachment = Attachment(
            task=task,
            contribution=contribution,
            file=old.file.name,
            original_name=old.original_name,
            size=old.size,
            content_type=old.content_type,
            uploaded_by=old.uploaded_by,
        )
        history.save(attachment, _("Giữ tệp của lần gửi trước"), actor)


def _part_that_may_save(actor, task: Task, submit: bool) -> Participation:
    actions = access.task_actions(actor, task)
    if not actions["draft"]:
        raise PermissionDenied
    part = _participation_for(task, actor)
    is_chair = part.role == P.Role.CHAIR
    if submit and not (actions["consolidate"] if is_chair else actions["contribute"]):
        raise PermissionDenied
    if part.status in {P.Status.ACCEPTED, P.Status.EXEMPT} or (
        part.status == P.Status.SUBMITTED and not is_chair
    ):
        raise ValidationError(
            _("Phần việc của cơ quan đang ở trạng thái “%(s)s”, không thể gửi thêm.")
            % {"s": part.get_status_display()}
        )
    if is_chair and task.status == S.UNDER_REVIEW:
        raise ValidationError(_("Bản tổng hợp đang chờ xem xét, chưa thể gửi bản mới."))
    return part


def _write_contribution(actor, part: Participation, *, form, body, document_number, submit):
    """The body's open draft (or a new version), set to what is on screen and saved."""
    contribution = part.contributions.filter(submitted_at__isnull=True).first()
    if contribution is None:
        last = part.contributions.order_by("-version").first()
        contribution = Contribution(participation=part, version=(last.version + 1) if last else 1)
    contribution.form = form
    contribution.body = body.strip()
    contribution.document_number = document_number.strip()
    contribution.is_consolidation = part.role == P.Role.CHAIR
    contribution.submitted_by = actor
    contribution.submitted_at = timezone.now() if submit else None
    history.save(contribution, _("Gửi nội dung") if submit else _("Lưu dự thảo"), actor)
    return contribution


def _submit_part(actor, task: Task, part: Participation, contribution: Contribution) -> None:
    part.status = P.Status.SUBMITTED
    part.submitted_at = contribution.submitted_at
    part.return_reason = ""
    history.save(part, _("Gửi lần %(v)s") % {"v": contribution.version}, actor)
    if part.role == P.Role.CHAIR:
        _transition(task, {S.ASSIGNED, S.IN_PROGRESS, S.RETURNED}, S.UNDER_REVIEW)
        history.save(task, _("Cơ quan chủ trì gửi kết quả tổng hợp"), actor)
        notify.task_submitted_for_review(task)


NOMINATION_TEAMS = set(Nomination.Team.values)


def _validate_contribution(
    task: Task, form: str, body: str, nominations, files: list, kept: int = 0
) -> None:
    """Every rule of a contribution, checked once before anything is written."""
    if form not in Contribution.Form.values:
        raise ValidationError({"form": _("Hình thức phối hợp không hợp lệ.")})
    rows = nominations or []
    for row in rows:
        if not all((row.get(k) or "").strip() for k in ("full_name", "position", "agency_name")):
            raise ValidationError(
                _("Hãy nhập đủ họ và tên, chức vụ và cơ quan công tác của cán bộ được cử.")
            )
        if row.get("team") not in NOMINATION_TEAMS:
            raise ValidationError(_("Hãy chọn hội đồng, đoàn hoặc tổ mà cán bộ tham gia."))
    if form == Contribution.Form.NOMINATION:
        if not rows:
            raise ValidationError(_("Hãy nhập ít nhất một cán bộ được cử."))
    elif not body.strip() and not files and not kept:
        raise ValidationError({"body": _("Hãy nhập nội dung hoặc đính kèm văn bản.")})
    for upload in files:
        validate_upload(upload)
    if files:
        validate_item_total(task, files)


@transaction.atomic
def participation_review(
    *, actor, participation: Participation, accept: bool, reason: str = ""
) -> Participation:
    """The chair or tracker accepts or returns a coordinating body's submission."""
    task = _locked(participation.task)
    access.require(access.task_actions(actor, task)["review_contributions"])
    part = tl.with_timeliness(
        Participation.objects.select_for_update(of=("self",)).filter(pk=participation.pk)
    ).get()
    if part.role != P.Role.CONTRIBUTE:
        raise ValidationError(_("Chỉ xem xét phần việc của cơ quan phối hợp ở đây."))
    if part.status in {P.Status.ACCEPTED, P.Status.RETURNED, P.Status.EXEMPT}:
        raise ValidationError(  # someone reviewed it while this page was open
            _("Phần việc của %(agency)s vừa được xử lý (%(state)s, %(by)s); không có gì thay đổi.")
            % {
                "agency": part.agency.name,
                "state": part.get_status_display().lower(),
                "by": history.last_change(part),
            }
        )
    if part.status != P.Status.SUBMITTED:
        raise ValidationError(_("Cơ quan chưa gửi nội dung nên chưa thể xem xét."))
    if accept:
        part.status = P.Status.ACCEPTED
        part.accepted_at = timezone.now()
        part.accepted_late = _late(part.eff_due, part.submitted_at)
        history.save(part, _("Chấp nhận nội dung phối hợp"), actor)
    else:
        if not reason.strip():
            raise ValidationError({"reason": _("Hãy ghi lý do trả lại.")})
        part.status = P.Status.RETURNED
        part.return_reason = reason.strip()
        history.save(part, _("Trả lại: %(r)s") % {"r": reason.strip()}, actor)
        notify.participation_returned(part)
    return part


@transaction.atomic
def participation_exempt(*, actor, participation: Participation, reason: str) -> Participation:
    task = _locked(participation.task)
    access.require(access.task_actions(actor, task)["exempt"])
    part = Participation.objects.select_for_update().get(pk=participation.pk)
    if part.role != P.Role.CONTRIBUTE or part.status in {P.Status.ACCEPTED, P.Status.EXEMPT}:
        raise ValidationError(_("Không thể miễn phần việc này."))
    if not reason.strip():
        raise ValidationError({"reason": _("Hãy ghi lý do miễn thực hiện.")})
    part.status = P.Status.EXEMPT
    part.return_reason = reason.strip()
    history.save(part, _("Miễn thực hiện: %(r)s") % {"r": reason.strip()}, actor)
    return part


@transaction.atomic
def task_review(*, actor, task: Task, accept: bool, reason: str = "") -> Task:
    """The tracking body (or a Nội vụ officer) accepts the chair's result or returns it."""
    task = _locked(task)
    access.require(access.task_actions(actor, task)["review"])
    chair = task.participations.select_for_update().get(role=P.Role.CHAIR)
    tracker = task.participations.filter(role=P.Role.TRACK).first()
    if accept:
        _transition(task, {S.UNDER_REVIEW}, S.DONE)
        task.completed_at = timezone.now()
        task.completed_late = _late(task.due_date, chair.submitted_at or task.completed_at)
        task.return_reason = ""
        history.save(task, _("Chấp nhận kết quả, hoàn thành nhiệm vụ"), actor)
        chair.status = P.Status.ACCEPTED
        chair.accepted_at = task.completed_at
        chair.accepted_late = task.completed_late
        history.save(chair, _("Chấp nhận kết quả tổng hợp"), actor)
        if tracker:
            tracker.status = P.Status.ACCEPTED
            tracker.accepted_at = task.completed_at
            history.save(tracker, _("Nhiệm vụ hoàn thành"), actor)
    else:
        if not reason.strip():
            raise ValidationError({"reason": _("Hãy ghi lý do trả lại.")})
        _transition(task, {S.UNDER_REVIEW}, S.RETURNED)
        task.return_reason = reason.strip()
        history.save(task, _("Trả lại: %(r)s") % {"r": reason.strip()}, actor)
        chair.status = P.Status.RETURNED
        chair.return_reason = reason.strip()
        history.save(chair, _("Trả lại: %(r)s") % {"r": reason.strip()}, actor)
        notify.participation_returned(chair)
    return task


@transaction.atomic
def task_apply_silence(*, task: Task, today: dt.date | None = None) -> int:
    """Record coordinating bodies that did not answer a comment round as agreeing."""
    today = today or timezone.localdate()
    if not task.silence_means_agreement or task.status in {S.DRAFT, S.DONE, S.CANCELLED}:
        return 0
    count = 0
    parts = tl.with_timeliness(
        task.participations.select_for_update(of=("self",)).filter(
            role=P.Role.CONTRIBUTE, status__in=[P.Status.PENDING, P.Status.IN_PROGRESS]
        ),
        today,
    ).filter(timeliness=tl.OVERDUE)
    for part in parts:
        part.status = P.Status.ACCEPTED
        part.agreed_by_silence = True
        part.accepted_at = timezone.now()
        history.save(part, _("Quá hạn không có ý kiến: coi như thống nhất"))
        count += 1
    return count


@transaction.atomic
def task_create_next_occurrence(*, task: Task, step) -> Task:
    """Create the next occurrence of a recurring item, already assigned."""
    task = _locked(task)
    if task.next_occurrence_id:
        return task.next_occurrence
    parts = list(task.participations.select_related("agency"))
    shift = lambda d: d + step if d else None  # noqa: E731
    new = Task(
        title=task.title,
        category=task.category,
        legal_basis=task.legal_basis,
        description=task.description,
        chair_agency=task.chair_agency,
        tracking_agency=task.tracking_agency,
        due_date=shift(task.due_date),
        parent=task.parent,
        recurrence=task.recurrence,
        silence_means_agreement=task.silence_means_agreement,
        created_by=task.created_by,
        status=S.ASSIGNED,
    )
    history.save(new, _("Tạo kỳ tiếp theo của nhiệm vụ lặp lại"))
    contributors = [p for p in parts if p.role == P.Role.CONTRIBUTE]
    _apply_participants(
        new,
        ParticipantSpec(
            chair=task.chair_agency,
            tracker=task.tracking_agency,
            contributors=[p.agency for p in contributors],
            contributor_due_dates={p.agency_id: shift(p.due_date) for p in contributors},
        ),
    )
    task.next_occurrence = new
    history.save(task, _("Đã tạo kỳ tiếp theo"))
    notify.task_assigned(new)
    return new


@transaction.atomic
def attachment_add(*, actor, task: Task, upload, contribution: Contribution | None = None):
    validate_item_total(task, [upload])
    attachment = Attachment(task=task, contribution=contribution)
    attachment.take(upload, actor=actor)
    history.save(attachment, _("Đính kèm tệp"), actor)
    return attachment
