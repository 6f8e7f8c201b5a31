"""What a body that ends hands over in PAR scoring (the app's half of the contract in
``agencies.handover``).

In a scoring period still open (its results not yet published) the ended body's
assessment, unless already finalised, is closed with a note naming the legal basis: it
stays as a record (its scores, evidence and history), is never ranked and leaves every
work list. Its successor gets an assessment in that period against the criteria set of its
own group (departments, districts, communes), unless it already has one (a merge: the
successor's own assessment carries on). Published periods, finalised assessments, scores
and rankings keep the ended body as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import history
from agencies.handover import Handover, HandoverLine
from agencies.models import Agency
from scoring.models import (
    Assessment,
    CriteriaSet,
    Criterion,
    ScoringPeriod,
    Target,
    target_for_agency,
)
from scoring.services.periods import assessment_open


def _key(assessment: Assessment) -> str:
    return f"assessment:{assessment.pk}"


def _open_assessments(agency: Agency, *, lock: bool = False) -> list[Assessment]:
    """The body's assessments still open for work: in an unpublished period, neither
    finalised (a result) nor already closed. One query."""
    qs = (
        Assessment.objects.filter(agency=agency, period__published_at__isnull=True)
        .exclude(status__in=[Assessment.Status.FINALISED, Assessment.Status.CLOSED])
        .select_related("period", "criteria_set")
        .order_by("period__year", "period_id")
    )
    if lock:
        qs = qs.select_for_update(of=("self",))
    return list(qs)


def _taken(handover: Handover, assessments: list[Assessment]) -> set[tuple[int, int]]:
    """(period id, body id) of the successors' assessments in those periods. One query."""
    if not assessments:
        return set()
    return set(
        Assessment.objects.filter(
            period_id__in={a.period_id for a in assessments},
            agency_id__in=[s.pk for s in handover.successors],
        ).values_list("period_id", "agency_id")
    )


@dataclass
class _Plan:
    """What happens to one assessment of the ended body."""

    assessment: Assessment
    successor: Agency
    has_one: bool  # the successor already has an assessment in the period
    target: str  # the successor's group in the period

    @property
    def period(self) -> ScoringPeriod:
        return self.assessment.period

    @property
    def criteria_set(self):
        return self.period.set_for_target(self.target)

    @property
    def opens(self) -> bool:
        return not self.has_one and self.criteria_set is not None


def _target(assessment: Assessment, successor: Agency) -> str:
    """The province's own self-assessment stays the province's (the lead body's);
    otherwise the successor is assessed in its own group."""
    if assessment.criteria_set.target == Target.PROVINCE:
        return Target.PROVINCE
    return target_for_agency(successor)


def _plans(handover: Handover, assessments: list[Assessment]) -> list[_Plan]:
    taken = _taken(handover, assessments)
    plans = []
    for assessment in assessments:
        successor = handover.successor_for(_key(assessment))
        plans.append(
            _Plan(
                assessment,
                successor,
                (assessment.period_id, successor.pk) in taken,
                _target(assessment, successor),
            )
        )
    return plans


def _detail(handover: Handover, plan: _Plan) -> str:
    closed = _("Đóng bản của %(body)s (%(status)s), giữ làm hồ sơ, không xếp hạng") % {
        "body": handover.ending.name,
        "status": plan.assessment.get_status_display(),
    }
    if plan.has_one:
        then = _("%(successor)s đã có bản tự chấm điểm trong đợt, giữ nguyên") % {
            "successor": plan.successor.name
        }
    elif plan.criteria_set is None:
        then = _("đợt chưa có bộ tiêu chí %(group)s: không mở bản cho %(successor)s") % {
            "group": Target(plan.target).label,
            "successor": plan.successor.name,
        }
    else:
        then = _("mở bản tự chấm điểm cho %(successor)s theo “%(set)s”") % {
            "successor": plan.successor.name,
            "set": plan.criteria_set.title,
        }
        if handover.is_split:
            then += _(" và cho các cơ quan kế thừa khác chưa có bản trong đợt")
    return f"{closed}; {then}."


def handover_preview(handover: Handover) -> list[HandoverLine]:
    """One line per open assessment of the ending body: the period, what closes and what
    the successor gets. Two queries (three when the sets must be read)."""
    plans = _plans(handover, _open_assessments(handover.ending))
    _load_sets(plans)
    return [
        HandoverLine(
            key=_key(plan.assessment),
            kind=_("Bài tự chấm điểm"),
            label=plan.period.title,
            detail=_detail(handover, plan),
            successor=plan.successor,
            choosable=handover.is_split,
            url=reverse("assessment_detail", args=[plan.assessment.pk]),
        )
        for plan in plans
    ]


def _load_sets(plans: list[_Plan]) -> None:
    """The periods' criteria sets (title, leaves) in one query, cached on each period."""
    wanted = {
        getattr(plan.period, f"{field}_id")
        for plan in plans
        for field in ("department_set", "district_set", "commune_set", "province_set")
    } - {None}
    if not wanted:
        return
    sets = {s.pk: s for s in CriteriaSet.objects.filter(pk__in=wanted)}
    for plan in plans:
        for field in ("department_set", "district_set", "commune_set", "province_set"):
            pk = getattr(plan.period, f"{field}_id")
            if pk is not None:
                setattr(plan.period, field, sets[pk])


def closed_note(handover: Handover, successor: Agency) -> str:
    """The note on the ended body's closed assessment, naming the legal basis."""
    return _(
        "%(body)s chấm dứt hoạt động từ %(date)s (%(reason)s); bản chấm điểm của đợt do "
        "%(successor)s thực hiện."
    ) % {
        "body": handover.ending.name,
        "date": f"{handover.effective_date:%d/%m/%Y}",
        "reason": handover.reason,
        "successor": successor.name,
    }


def handover_apply(handover: Handover) -> int:
    """Close the ending body's open assessments with a note and open one for each
    successor that has none in the period. Runs inside the caller's transaction; history
    reason ``handover.reason``. Returns how many assessments were handed over (closed).

    Queries: a fixed number for the reads (assessments, the successors' ones, the sets,
    their criteria), then a save per assessment handed over."""
    plans = _plans(handover, _open_assessments(handover.ending, lock=True))
    if not plans:
        return 0
    companions = _companions(handover, plans)
    _load_sets(plans + companions)
    reason = handover.reason
    actor = getattr(handover, "actor", None)  # None: the system account
    now = timezone.now()
    leaves = _leaves_by_set({plan.criteria_set.pk for plan in plans + companions if plan.opens})
    for plan in plans:
        assessment = plan.assessment
        assessment.status = Assessment.Status.CLOSED
        assessment.closed_at = now
        assessment.closed_note = closed_note(handover, plan.successor)
        history.save(
            assessment, reason, actor, update_fields=["status", "closed_at", "closed_note"]
        )
        if plan.opens:  # one assessment per period for the ending body, so one per successor
            _open_for(plan, leaves[plan.criteria_set.pk], reason, actor)
    for plan in companions:
        if plan.opens:
            _open_for(plan, leaves[plan.criteria_set.pk], reason, actor)
    return len(plans)


def _companions(handover: Handover, plans: list[_Plan]) -> list[_Plan]:
    """A split's other successors: each is assessed in the period too (a new ward is scored
    in its group), though the ended body's assessment goes to one. One query."""
    if not handover.is_split:
        return []
    taken = _taken(handover, [plan.assessment for plan in plans])
    companions = []
    for plan in plans:
        for other in handover.successors:
            if other == plan.successor or (plan.period.pk, other.pk) in taken:
                continue
            if plan.target == Target.PROVINCE:
                continue
            taken.add((plan.period.pk, other.pk))
            companions.append(_Plan(plan.assessment, other, False, target_for_agency(other)))
    return companions


def _leaves_by_set(set_ids: set[int]) -> dict[int, list[Criterion]]:
    """Criteria set id -> its leaf criteria (one query)."""
    criteria = list(Criterion.objects.filter(criteria_set_id__in=set_ids).order_by("sort_order"))
    parents = {c.parent_id for c in criteria}
    result: dict[int, list[Criterion]] = {pk: [] for pk in set_ids}
    for criterion in criteria:
        if criterion.pk not in parents:
            result[criterion.criteria_set_id].append(criterion)
    return result


def _open_for(plan: _Plan, leaves: list[Criterion], reason: str, actor) -> Assessment:
    """The successor's assessment in the period (``periods.assessment_open``); the
    province's own self-assessment keeps its coordination item."""
    province = plan.target == Target.PROVINCE
    return assessment_open(
        actor,
        plan.period,
        plan.successor,
        plan.criteria_set,
        leaves,
        task=plan.assessment.coordination_task if province else None,
        reason=reason,
    )


__all__ = ["closed_note", "handover_apply", "handover_preview"]
