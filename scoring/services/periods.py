"""Scoring periods: opening (with the province's self-scoring item), appraiser
assignments and publication."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import history
from agencies.models import Agency
from scoring import access
from scoring.bands import checked_bands
from scoring.models import (
    DEFAULT_BANDS,
    AppraiserAssignment,
    Assessment,
    CriteriaSet,
    Criterion,
    Score,
    ScoringPeriod,
    Target,
    target_for_agency,
)
from scoring.services.common import STEP_LABELS, A, _raise_if, text_problem
from scoring.signals import period_published


def _leaves(criteria_set: CriteriaSet) -> list[Criterion]:
    criteria = list(criteria_set.criteria.all())
    parents = {c.parent_id for c in criteria}
    return [c for c in criteria if c.pk not in parents]


def _validate_windows(windows: dict[str, dt.date]) -> list[str]:
    errors = []
    for step in ScoringPeriod.STEPS:
        start, end = windows.get(f"{step}_from"), windows.get(f"{step}_to")
        if start is None or end is None:
            errors.append(_("Thiếu thời hạn %(step)s.") % {"step": STEP_LABELS[step]})
        elif end < start:
            errors.append(
                _("Thời hạn %(step)s: ngày kết thúc trước ngày bắt đầu.")
                % {"step": STEP_LABELS[step]}
            )
    return errors


@transaction.atomic
def period_create(
    *,
    actor,
    year: int,
    title: str,
    windows: dict[str, dt.date],
    agencies: list[Agency],
    department_set: CriteriaSet | None = None,
    district_set: CriteriaSet | None = None,
    province_set: CriteriaSet | None = None,
    commune_set: CriteriaSet | None = None,
    publication_date: dt.date | None = None,
    bands: list[dict] | None = None,
    council_chair=None,
) -> ScoringPeriod:
    """Create a period with one assessment (and one empty score per leaf) per body: each
    body is assessed against its group's set (departments, districts, communes).

    Long because the period, its assessments and their empty scores are created in one
    transaction."""
    access.require(access.manages_scoring(actor))
    bands = checked_bands(bands) if bands else DEFAULT_BANDS  # the form's rule, owned here
    errors = _validate_windows(windows)
    sets = {
        Target.DEPARTMENT: department_set,
        Target.DISTRICT: district_set,
        Target.COMMUNE: commune_set,
    }
    for agency in agencies:
        if sets[target_for_agency(agency)] is None:
            errors.append(_("Chưa chọn bộ tiêu chí cho %(name)s.") % {"name": agency.name})
    errors += _set_problems({**sets, Target.PROVINCE: province_set})
    _raise_if(errors)
    period = ScoringPeriod(
        year=year,
        title=title,
        department_set=department_set,
        district_set=district_set,
        commune_set=commune_set,
        province_set=province_set,
        publication_date=publication_date,
        bands=bands,
        council_chair=council_chair,
        created_by=actor,
        **windows,
    )
    history.save(period, _("Mở đợt chấm điểm"), actor)
    leaves = {k: _leaves(v) for k, v in sets.items() if v is not None}
    for agency in agencies:
        target = target_for_agency(agency)
        assessment_open(actor, period, agency, sets[target], leaves[target])
    if province_set is not None:
        _open_province_self_scoring(actor, period, province_set)
    return period


def _set_problems(sets: dict[str, CriteriaSet | None]) -> list[str]:
    """Each chosen set must be published and made for its group (a district set is not a
    commune set)."""
    errors = []
    for target, criteria_set in sets.items():
        if criteria_set is None:
            continue
        if criteria_set.target != target:
            errors.append(
                _("Bộ tiêu chí “%(title)s” dành cho %(its)s, không dùng cho %(group)s.")
                % {
                    "title": criteria_set.title,
                    "its": criteria_set.get_target_display(),
                    "group": Target(target).label,
                }
            )
        if criteria_set.status != CriteriaSet.Status.PUBLISHED:
            errors.append(
                _("Bộ tiêu chí “%(title)s” chưa được ban hành.") % {"title": criteria_set.title}
            )
    return errors


def assessment_open(
    actor, period, agency, criteria_set, leaves, task=None, reason: str | None = None
) -> Assessment:
    """A body's assessment in a period, with one empty score per leaf criterion (a
    criterion that does not apply to the body's kind marked so): the one way an assessment
    is opened, when a period opens and when a body takes over from one that ended."""
    reason = reason or _("Mở đợt chấm điểm")
    assessment = Assessment(
        period=period, agency=agency, criteria_set=criteria_set, coordination_task=task
    )
    history.save(assessment, reason, actor)
    history.bulk_create(
        Score,
        [
            Score(
                assessment=assessment,
                criterion=c,
                not_applicable=not c.applies_to_kind(agency.kind),
            )
            for c in leaves
        ],
        reason,
        actor,
    )
    return assessment


def _open_province_self_scoring(actor, period, province_set) -> Assessment:
    """The province's self-scoring is a coordination item (category ``province_scoring``):
    Sở Nội vụ chairs and consolidates, each body responsible for an area enters it."""
    from coordination import services as coordination
    from coordination.models import Category

    lead = Agency.objects.lead()
    office = Agency.objects.active().filter(kind=Agency.Kind.OFFICE).first()
    if office is None:
        raise ValidationError(_("Chưa có Văn phòng UBND tỉnh để theo dõi việc tự chấm điểm."))
    areas = province_set.criteria.filter(depth=1, responsible_agency__isnull=False)
    responsible = {c.responsible_agency_id for c in areas}
    contributors = list(
        Agency.objects.filter(pk__in=responsible).exclude(pk__in=[lead.pk, office.pk])
    )
    task = coordination.task_create(
        actor=actor,
        title=_("Tự chấm điểm Chỉ số CCHC năm %(year)s của tỉnh") % {"year": period.year},
        category=Category.PROVINCE_SCORING,
        due_date=period.self_to,
        spec=coordination.ParticipantSpec(
            chair=lead, tracker=office, contributors=contributors, contributor_due_dates={}
        ),
        description=_(
            "Mỗi cơ quan chấm điểm, giải trình và đính kèm tài liệu kiểm chứng cho lĩnh vực "
            "mình phụ trách trên trang Chấm điểm CCHC; Sở Nội vụ tổng hợp thành bản tự đánh "
            "giá của tỉnh."
        ),
    )
    coordination.task_assign(actor=actor, task=task)
    return assessment_open(actor, period, lead, province_set, _leaves(province_set), task)


@transaction.atomic
def province_assessment_record(
    *, actor, period: ScoringPeriod, province_set: CriteriaSet
) -> Assessment:
    """The province's self-assessment of a period whose work is over (an earlier year
    entered afterwards, as in the demo): the assessment without a coordination item."""
    access.require(access.manages_scoring(actor))
    if period.province_set_id or province_set.status != CriteriaSet.Status.PUBLISHED:
        raise ValidationError(_("Đợt này đã có bộ tiêu chí tự chấm điểm của tỉnh."))
    period.province_set = province_set
    history.save(period, _("Ghi bản tự chấm điểm của tỉnh"), actor, update_fields=["province_set"])
    lead = Agency.objects.lead()
    return assessment_open(actor, period, lead, province_set, _leaves(province_set))


@transaction.atomic
def assignment_add(
    *,
    actor,
    period: ScoringPeriod,
    user,
    assessment: Assessment | None = None,
    area: Criterion | None = None,
) -> AppraiserAssignment:
    access.require(access.manages_scoring(actor))
    if (assessment is None) == (area is None):
        raise ValidationError(_("Chọn một bản đánh giá hoặc một lĩnh vực."))
    if not (access.is_council_member(user) or access.is_noivu_officer(user)):
        raise ValidationError(_("Chỉ phân công thành viên Hội đồng hoặc cán bộ Sở Nội vụ."))
    if assessment is not None and assessment.period_id != period.pk:
        raise ValidationError(_("Bản đánh giá không thuộc đợt này."))
    if area is not None and (
        area.depth != 1
        or area.criteria_set_id not in {*period.set_ids.values(), period.province_set_id} - {None}
    ):
        raise ValidationError(_("Lĩnh vực không thuộc bộ tiêu chí của đợt này."))
    assignment = AppraiserAssignment.objects.filter(
        period=period, user=user, assessment=assessment, area=area
    ).first()
    if assignment is None:
        assignment = AppraiserAssignment(period=period, user=user, assessment=assessment, area=area)
        history.save(assignment, _("Phân công thẩm định"), actor)
    return assignment


@transaction.atomic
def period_update(
    *,
    actor,
    period: ScoringPeriod,
    title: str,
    windows: dict[str, dt.date],
    publication_date: dt.date | None = None,
    bands: list[dict] | None = None,
    council_chair=None,
) -> ScoringPeriod:
    """Change a period's title, windows (e.g. extend a deadline), bands or council chair."""
    access.require(access.manages_scoring(actor))
    bands = checked_bands(bands) if bands else DEFAULT_BANDS
    _raise_if(_validate_windows(windows))
    period.title = title
    for key, value in windows.items():
        setattr(period, key, value)
    period.publication_date = publication_date
    period.bands = bands
    period.council_chair = council_chair
    history.save(period, _("Sửa đợt chấm điểm"), actor)
    return period


def publication_pending(period: ScoringPeriod):
    """The assessments ranked in the period (departments, districts and communes: the
    province's own self-assessment is never ranked) that are not finalised: publishing
    leaves each out of the ranking, with a reason. One closed when its body was reorganised
    is already out of the ranking, with its note."""
    return (
        period.assessments.exclude(criteria_set__target=Target.PROVINCE)
        .exclude(status__in=[A.FINALISED, A.CLOSED])
        .select_related("agency")
        .order_by("agency__kind", "agency__sort_order")
    )


REASON_MAX = 2000


def exclusion_problems(pending: list[Assessment], reasons: dict[int, str]) -> list[str]:
    errors = []
    for assessment in pending:
        reason = (reasons.get(assessment.pk) or "").strip()
        name = assessment.agency.name
        if not reason:
            errors.append(
                _("%(name)s chưa chốt kết quả: hãy ghi lý do không xếp hạng.") % {"name": name}
            )
        elif problem := text_problem(reason, _("Lý do không xếp hạng %(name)s") % {"name": name}):
            errors.append(problem)
        elif len(reason) > REASON_MAX:
            errors.append(
                _("Lý do không xếp hạng %(name)s dài quá %(n)s ký tự.")
                % {"name": name, "n": REASON_MAX}
            )
    return errors


@transaction.atomic
def period_publish(
    *,
    actor,
    period: ScoringPeriod,
    exclusions: dict[int, str] | None = None,
    when: dt.datetime | None = None,
) -> ScoringPeriod:
    """Publish the ranking. The province's self-assessment never blocks it; every ranked
    body not finalised is left out with a reason (``exclusions``: assessment id -> reason),
    recorded in the assessment's history and shown as "không xếp hạng: <lý do>". The
    published results are then issued as a document (``signals.period_published``)."""
    access.require(access.manages_scoring(actor))
    period = ScoringPeriod.objects.select_for_update().get(pk=period.pk)
    if period.is_published:
        raise ValidationError(_("Kết quả của đợt này đã được công bố."))
    pending = list(publication_pending(period).select_for_update(of=("self",)))
    reasons = exclusions or {}
    _raise_if(exclusion_problems(pending, reasons))
    for assessment in pending:
        assessment.ranking_excluded_reason = reasons[assessment.pk].strip()
        history.save(
            assessment,
            _("Không xếp hạng khi công bố kết quả: %(reason)s")
            % {"reason": assessment.ranking_excluded_reason},
            actor,
            update_fields=["ranking_excluded_reason"],
        )
    period.published_at = when or timezone.now()
    reason = _("Công bố kết quả")
    if pending:
        reason = _("Công bố kết quả; không xếp hạng: %(names)s") % {
            "names": ", ".join(a.agency.short_name for a in pending)
        }
    history.save(period, reason, actor, update_fields=["published_at"])
    period_published.send(sender=ScoringPeriod, period=period, actor=actor)
    return period
