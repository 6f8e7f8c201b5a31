"""Who sees and does what in PAR scoring (the app's half of the access contract).

A body works on its own assessment; a council member (or Nội vụ officer) on the
assessments and areas assigned to them; Nội vụ and leadership read all. Published results
are visible to every body taking part; before publication a body sees only its own.
A body that took over others' work (a merge, a split, a rename) also reads the
assessments of the bodies before it (``readable_agency_ids``): read only, every action
flag below stays with the user's own body.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from agencies.access import (  # noqa: F401  (re-exported for the app's views)
    get_visible_or_404,
    is_council_member,
    is_focal_officer,
    is_noivu_officer,
    reads_everything,
    register_visibility,
    require,
)
from agencies.lineage import readable_agency_ids
from scoring.models import (
    Appeal,
    AppraiserAssignment,
    Assessment,
    CriteriaSet,
    Criterion,
    Evidence,
    ImportJob,
    Score,
    ScoringPeriod,
)

# --- Visibility ---------------------------------------------------------------------


def _answering_sets(user):
    """Province criteria sets in which the user's body answers for an area."""
    return Criterion.objects.filter(
        criteria_set__target="province", depth=1, responsible_agency_id=user.agency_id or 0
    ).values("criteria_set_id")


@register_visibility(Assessment)
def _assessments(queryset, user):
    """Own body's (and those of the bodies before it: the archive it reads), assigned ones,
    the province's areas the body answers for, or all."""
    if reads_everything(user):
        return queryset
    assigned = AppraiserAssignment.objects.filter(user_id=user.pk)
    by_area = assigned.filter(
        period_id=OuterRef("period_id"), area__criteria_set_id=OuterRef("criteria_set_id")
    )
    return queryset.filter(
        Q(agency_id__in=readable_agency_ids(user) or [0])
        | Q(pk__in=assigned.filter(assessment__isnull=False).values("assessment_id"))
        | Q(Exists(by_area))
        | Q(criteria_set__in=_answering_sets(user))
    )


@register_visibility(ScoringPeriod)
def _periods(queryset, user):
    """A period is seen by the bodies assessed in it, its appraisers and its council
    chair; read-everything roles see all."""
    if reads_everything(user):
        return queryset
    return queryset.filter(
        Q(pk__in=Assessment.objects.visible_to(user).values("period_id"))
        | Q(pk__in=AppraiserAssignment.objects.filter(user_id=user.pk).values("period_id"))
        | Q(council_chair_id=user.pk)
    )


@register_visibility(CriteriaSet)
def _criteria_sets(queryset, user):
    """Published sets are the rules every body is scored by; drafts are Sở Nội vụ's and
    the council's working copies."""
    if reads_everything(user) or is_council_member(user):
        return queryset
    return queryset.filter(status=CriteriaSet.Status.PUBLISHED)


@register_visibility(Criterion)
def _criteria(queryset, user):
    return queryset.filter(criteria_set__in=CriteriaSet.objects.visible_to(user))


@register_visibility(Score)
def _scores(queryset, user):
    return queryset.filter(assessment__in=Assessment.objects.visible_to(user))


@register_visibility(Evidence)
def _evidence(queryset, user):
    return queryset.filter(assessment__in=Assessment.objects.visible_to(user))


@register_visibility(Appeal)
def _appeals(queryset, user):
    return queryset.filter(score__assessment__in=Assessment.objects.visible_to(user))


@register_visibility(AppraiserAssignment)
def _assignments(queryset, user):
    """Sở Nội vụ sees every assignment; a member sees their own."""
    if reads_everything(user):
        return queryset
    return queryset.filter(user_id=user.pk)


@register_visibility(ImportJob)
def _import_jobs(queryset, user):
    """A file being imported is seen by the officer who uploaded it, and no one else."""
    return queryset.filter(created_by_id=user.pk)


# --- Action flags -------------------------------------------------------------------


def manages_scoring(user) -> bool:
    """Nội vụ officers run criteria sets, periods, assignments and publication."""
    return is_noivu_officer(user)


def self_assess_area_ids(user, assessment) -> set[int] | None:
    """Areas the user's body may self-assess: None = all (its own assessment), else the
    areas of the province's set it is responsible for (possibly none)."""
    if user.agency_id == assessment.agency_id:
        return None
    if assessment.criteria_set.target != "province" or not user.agency_id:
        return set()
    return set(
        Criterion.objects.filter(
            criteria_set_id=assessment.criteria_set_id,
            depth=1,
            responsible_agency_id=user.agency_id,
        ).values_list("pk", flat=True)
    )


def appraisal_area_ids(user, assessment, assignments) -> set[int] | None:
    """Areas the user may appraise on this assessment: None = all, empty set = none.

    ``assignments`` is the user's AppraiserAssignment rows for the period (fetched once).
    """
    if is_noivu_officer(user):
        return None
    mine = [a for a in assignments if a.user_id == user.pk]
    if any(a.assessment_id == assessment.pk for a in mine):
        return None
    return {
        a.area_id
        for a in mine
        if a.area_id and a.area.criteria_set_id == assessment.criteria_set_id
    }


def may_finalise(user, period) -> bool:
    return is_noivu_officer(user) or (
        period.council_chair_id is not None and period.council_chair_id == user.pk
    )


APPRAISAL_STATES = frozenset({Assessment.Status.SUBMITTED, Assessment.Status.EXPLANATION})


def appraisal_step(assessment) -> str | None:
    """The appraisal step the assessment is at ("appraisal" or "second"), None when it is
    not open for appraisal (still with the body, awaiting explanation, or closed)."""
    if assessment.status not in APPRAISAL_STATES:
        return None
    return "second" if assessment.status == Assessment.Status.EXPLANATION else "appraisal"


def assessment_actions(user, assessment, *, area_ids: set[int] | None | bool = False) -> dict:
    """What the user may do on an assessment they can see (flags for views and templates).

    ``area_ids`` is the result of ``appraisal_area_ids`` (pass it when already computed).
    """
    status = assessment.status
    s = Assessment.Status
    own = user.agency_id == assessment.agency_id and is_focal_officer(user)
    self_areas = self_assess_area_ids(user, assessment) if is_focal_officer(user) else set()
    if area_ids is False:
        area_ids = appraisal_area_ids(
            user, assessment, list(assessment.period.assignments.select_related("area"))
        )
    appraiser = area_ids is None or bool(area_ids)
    return {
        "self_assess": (self_areas is None or bool(self_areas)) and status == s.DRAFT,
        "submit": own and status == s.DRAFT,
        "self_area_ids": self_areas,
        "explain": own and status == s.APPRAISED,
        "appeal": own and status == s.FINALISED,
        "appraise": appraiser and status in APPRAISAL_STATES,
        "complete_appraisal": appraiser and status in APPRAISAL_STATES,
        "appraiser": appraiser,
        "finalise": may_finalise(user, assessment.period)
        and status in {s.APPRAISED, s.REAPPRAISED},
        "decide_appeal": may_finalise(user, assessment.period),
        "appraisal_area_ids": area_ids,
    }


def results_visible_to(user, period) -> str:
    """'all' when every body's result may be shown, 'own' for the user's body only."""
    if reads_everything(user) or period.is_published:
        return "all"
    return "own"
