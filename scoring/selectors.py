"""Reads for scoring pages: the scoring sheet, computed suggestions, figures of many
assessments, results with ranking and bands, a council member's work. Every function runs a
fixed number of queries whatever the size. The index math is ``scoring.figures``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, Q, Subquery, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _lazy

from agencies.lineage import name_on
from scoring import access, aggregates, computed
from scoring.figures import (  # noqa: F401  (re-exported: the index math)
    HUNDRED,
    SELF_STAGE,
    STAGE_LABELS,
    ZERO,
    Figures,
    Totals,
    area_map,
    counted_score,
    counted_value,
    figure,
    leaf_ids,
    ranked,
)
from scoring.importing import plain_number
from scoring.models import (
    TWO_PLACES,
    Appeal,
    AppraiserAssignment,
    Assessment,
    CriteriaSet,
    Criterion,
    Evidence,
    Score,
    ScoringPeriod,
    Target,
)

# --- Computed criteria ---------------------------------------------------------------


@dataclass
class Suggestion:
    score: Decimal | None
    on_time: int
    total: int
    label: str


def _proportional(max_points: Decimal, on_time: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (max_points * on_time / total).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def computed_suggestions(assessment: Assessment, criteria: list[Criterion]) -> dict:
    """criterion id -> Suggestion for computed criteria (one query per data source).

    Figures cover 1/1 of the assessed year to the period's cut-off (``ScoringPeriod.cutoff``)
    and come from the sources registered in ``scoring.computed``."""
    computed_criteria = [c for c in criteria if c.method == Criterion.Method.COMPUTED]
    if not computed_criteria:
        return {}
    period = assessment.period
    data = {
        source: computed.figures(
            source,
            agency_id=assessment.agency_id,
            date_from=dt.date(period.year, 1, 1),
            date_to=period.cutoff,
        )
        for source in {c.computed_source for c in computed_criteria}
    }
    result = {}
    for criterion in computed_criteria:
        figures = data[criterion.computed_source]
        if figures is None:
            result[criterion.pk] = Suggestion(None, 0, 0, "unavailable")
            continue
        on_time, total = figures
        result[criterion.pk] = Suggestion(
            _proportional(criterion.max_points, on_time, total),
            on_time,
            total,
            criterion.computed_source,
        )
    return result


# --- The scoring sheet ----------------------------------------------------------------


@dataclass
class SheetRow:
    criterion: Criterion
    score: Score | None
    is_leaf: bool
    area_id: int
    suggestion: Suggestion | None = None
    evidence: list = field(default_factory=list)
    appeals: list = field(default_factory=list)
    editable: bool = False
    self_editable: bool = True
    input_value: str | None = None
    input_note: str = ""
    input_na: bool = False
    input_explanation: str | None = None

    @property
    def self_value(self) -> str:
        """Self score as the form shows and posts it ("0.5", "10")."""
        if self.score is None or self.score.self_score is None:
            return ""
        return plain_number(self.score.self_score)

    @property
    def appraised_value(self) -> str:
        s = self.score
        value = None
        if s is not None:
            value = s.appraised_score if s.second_score is None else s.second_score
        return "" if value is None else plain_number(value)

    @property
    def differs(self) -> bool:
        s = self.score
        return bool(
            s
            and s.appraised_score is not None
            and s.self_score is not None
            and s.appraised_score != s.self_score
        )

    @property
    def second_differs(self) -> bool:
        s = self.score
        return bool(s and s.second_score is not None and s.second_score != s.appraised_score)


@dataclass
class SheetArea:
    criterion: Criterion
    figures: Figures
    rows: list[SheetRow] = field(default_factory=list)


@dataclass
class Sheet:
    areas: list[SheetArea]
    figures: Figures
    evidence: list[Evidence]


def assessment_sheet(
    assessment: Assessment,
    *,
    area_ids: set[int] | None = None,
    self_area_ids: set[int] | None = None,
) -> Sheet:
    """Criteria tree with scores, evidence and figures per area (4–6 queries in all).

    ``area_ids`` marks which areas' rows an appraiser may edit (None = all). Long because it
    builds the tree, the rows and the figures in one pass over the criteria (the page's
    query budget)."""
    criteria = list(assessment.criteria_set.criteria.order_by("sort_order", "pk"))
    scores = {
        s.criterion_id: s
        for s in assessment.scores.prefetch_related(
            Prefetch("appeals", queryset=Appeal.objects.order_by("submitted_at"))
        )
    }
    evidence = list(assessment.evidence.prefetch_related("scores"))
    by_score = defaultdict(list)
    for item in evidence:
        for score in item.scores.all():
            by_score[score.pk].append(item)
    leaves, areas_of = leaf_ids(criteria), area_map(criteria)
    suggestions = computed_suggestions(assessment, criteria)
    areas: dict[int, SheetArea] = {}
    sheet = Sheet([], Figures(assessment.status), evidence)
    for criterion in criteria:
        if criterion.depth == 1 or criterion.parent_id is None:
            areas[criterion.pk] = SheetArea(criterion, Figures(assessment.status))
            sheet.areas.append(areas[criterion.pk])
        score = scores.get(criterion.pk)
        row = SheetRow(
            criterion,
            score,
            criterion.pk in leaves,
            areas_of[criterion.pk],
            suggestions.get(criterion.pk),
            by_score.get(score.pk, []) if score else [],
            list(score.appeals.all()) if score else [],
            editable=area_ids is None or areas_of[criterion.pk] in area_ids,
            self_editable=self_area_ids is None or areas_of[criterion.pk] in self_area_ids,
        )
        area = areas[areas_of[criterion.pk]]
        area.rows.append(row)
        if row.is_leaf and score is not None:
            values = (
                score.not_applicable,
                score.self_score,
                score.appraised_score,
                score.second_score,
                score.final_score,
            )
            area.figures.add(criterion, *values)
            sheet.figures.add(criterion, *values)
    return sheet


# --- Lists ----------------------------------------------------------------------------


def period_list(user) -> list[ScoringPeriod]:
    return list(
        ScoringPeriod.objects.visible_to(user)
        .select_related("department_set", "district_set")
        .annotate(
            assessment_count=Count(
                "assessments", filter=~Q(assessments__status="closed"), distinct=True
            ),
            finalised_count=Count(
                "assessments", filter=Q(assessments__status="finalised"), distinct=True
            ),
        )
    )


def figures_of(assessments: list[Assessment]) -> dict[int, Figures]:
    """assessment id -> its Figures, for many assessments in one query (the sums of
    ``scoring.aggregates``), by the same rule as the assessment page's sheet."""
    summed = aggregates.figures_of(assessments)
    return {a.pk: summed.get(a.pk) or Figures(a.status) for a in assessments}


def period_assessments(period: ScoringPeriod, user) -> list[Assessment]:
    """The period's assessments the user may see, each with ``figures`` (3 queries)."""
    assessments = list(
        Assessment.objects.visible_to(user)
        .filter(period=period)
        .select_related("agency", "criteria_set")
        .order_by("agency__kind", "agency__sort_order")
    )
    figures = figures_of(assessments)
    for assessment in assessments:
        assessment.figures = figures[assessment.pk]
    return assessments


def criteria_set_list(user) -> list[CriteriaSet]:
    return list(CriteriaSet.objects.visible_to(user).annotate(criterion_count=Count("criteria")))


# --- Results --------------------------------------------------------------------------


@dataclass
class PreviousResult:
    """One body's index of the year before, shown against a row of this year's results:
    the body's own, or one of the bodies before it (its predecessors)."""

    agency_id: int
    name: str  # the body's name in that year
    index: Decimal | None


@dataclass
class ResultRow:
    assessment: Assessment
    target: str
    figures: Figures
    area_totals: dict[int, Totals]  # the score that counts, per area
    index: Decimal | None = None
    rank: int | None = None
    band: str = ""
    previous_index: Decimal | None = None  # the one comparable index of the year before
    excluded: str = ""  # the reason the body was left out of the published ranking
    name: str = ""  # the body's name in the assessed year
    previous_results: list[PreviousResult] = field(default_factory=list)
    previous_label: str = ""  # "Năm trước (của …)" when they are not the body's own

    @property
    def totals(self) -> Totals:
        return self.figures.counted

    @property
    def change(self) -> Decimal | None:
        if self.index is None or self.previous_index is None:
            return None
        return self.index - self.previous_index


def _year_end(period: ScoringPeriod) -> dt.date:
    return dt.date(period.year, 12, 31)


def _result_rows(
    period: ScoringPeriod, assessments: list[Assessment], criteria: list[Criterion] | None = None
) -> list[ResultRow]:
    """One row per assessment: the figures and, given the sets' ``criteria``, the score
    that counts per area (``scoring.aggregates``), index and band; a body left out of the
    published ranking keeps its reason and no index, and so does one closed when its body
    was reorganised (its note). The bodies' former names must be prefetched."""
    rows = {
        a.pk: ResultRow(a, a.criteria_set.target, Figures(a.status), defaultdict(Totals))
        for a in assessments
    }
    if criteria is not None:
        areas_of = area_map(criteria)
        for (assessment_id, node), figures in aggregates.figures_of(
            assessments, by_node=True
        ).items():
            row = rows[assessment_id]
            row.figures.merge(figures)
            row.area_totals[areas_of[node]].merge(figures.counted)
    else:
        for assessment_id, figures in aggregates.figures_of(assessments).items():
            rows[assessment_id].figures = figures
    for row in rows.values():
        a = row.assessment
        row.name = name_on(a.agency, _year_end(period)).name
        if a.status == Assessment.Status.CLOSED:
            row.excluded = a.closed_note or a.get_status_display()
        else:
            row.excluded = a.ranking_excluded_reason if period.is_published else ""
        row.index = None if row.excluded else row.totals.index
        row.band = period.band_for(row.index)
    return list(rows.values())


def _previous_assessments(period: ScoringPeriod, assessments: list[Assessment]):
    """The published period of the year before and its assessments of these bodies and of
    the bodies before them (their ``archive_ids``, kept by agencies.lineage): one query,
    the period read with its rows (by itself only when it has none of them)."""
    wanted = {a.agency_id for a in assessments} | {
        pk for a in assessments for pk in a.agency.archive_ids
    }
    published = ScoringPeriod.objects.filter(
        year=period.year - 1, published_at__isnull=False
    ).order_by("-pk")
    if not wanted:
        return published.first(), []
    before = list(
        Assessment.objects.filter(period=Subquery(published.values("pk")[:1]), agency_id__in=wanted)
        .exclude(status=Assessment.Status.CLOSED)
        .select_related("agency", "criteria_set", "period")
    )
    previous = before[0].period if before else published.first()
    return previous, before


def _previous_results(rows: list[ResultRow], before: list[ResultRow]) -> None:
    """Each row's results of the year before (``before``): the body's own and those of
    the bodies before it (a merge, a split, a rename), each under its name of that year,
    labelled "Năm trước (của …)" when they are not simply the body's own.
    ``previous_index`` is set only when there is one such result (a merged body's several
    cannot be compared as one)."""
    by_agency = {r.assessment.agency_id: r for r in before}
    for row in rows:
        agency = row.assessment.agency
        ancestors = set(agency.archive_ids)
        found = [by_agency[pk] for pk in {agency.pk, *ancestors} if pk in by_agency]
        found.sort(key=lambda r: (r.assessment.agency.sort_order, r.name))
        row.previous_results = [
            PreviousResult(r.assessment.agency_id, r.name, r.index) for r in found
        ]
        if len(found) == 1:
            row.previous_index = found[0].index
        if any(r.assessment.agency_id != agency.pk or r.name != row.name for r in found):
            row.previous_label = _gettext("Năm trước (của %(names)s)") % {
                "names": ", ".join(r.name for r in found)
            }


RESULT_GROUPS = (Target.DEPARTMENT, Target.DISTRICT, Target.COMMUNE)


def period_results(period: ScoringPeriod, user) -> dict:
    """Results by group (departments, districts, communes), ranked, with bands and the
    year before's index (of the body's predecessors too, labelled), and the criteria of
    the period's sets (``criteria``: the areas are those of depth 1).

    Before publication a body sees only its own row, and those of the bodies before it
    (``access.results_visible_to``, ``access.readable_agency_ids``). Six queries whatever
    the number of bodies: the assessments of each year (the year before's with its period,
    read by itself only when none of its rows is wanted), the bodies' names (one query for
    both years), the criteria, the figures of each year.
    """
    scope = access.results_visible_to(user, period)
    qs = Assessment.objects.filter(period=period).select_related("agency", "criteria_set")
    if scope == "own":
        qs = qs.filter(agency_id__in=access.readable_agency_ids(user))
    assessments = list(qs)
    previous, before = _previous_assessments(period, assessments)
    # Both years' bodies' former names in one query (``name_on`` reads them).
    prefetch_related_objects([a.agency for a in [*assessments, *before]], "former_names")
    set_ids = {a.criteria_set_id for a in assessments} | {
        pk for pk in period.set_ids.values() if pk
    }
    criteria = list(Criterion.objects.filter(criteria_set_id__in=set_ids).order_by())
    rows = _result_rows(period, assessments, criteria)
    if before:
        _previous_results(rows, _result_rows(previous, before))
    groups = []
    for target in RESULT_GROUPS:
        group = [r for r in rows if r.target == target]
        if scope == "all":  # a body alone in its view gets no (misleading) rank
            ranked(group)
        group.sort(key=lambda r: (r.rank is None, r.rank or 0, r.assessment.agency.sort_order))
        if group:
            groups.append({"target": target, "label": target.label, "rows": group})
    return {"scope": scope, "groups": groups, "previous": previous, "criteria": criteria}


# --- A council member's work ------------------------------------------------------------


@dataclass
class AppraisalWork:
    """One assessment the user is assigned to appraise (whole, or some of its areas)."""

    assessment: Assessment
    areas: list[Criterion]  # empty: the whole assessment
    can_act: bool  # open for appraisal and within the step's window today
    note: str  # why not, or what the step is


WAITING_NOTES = {
    Assessment.Status.DRAFT: _lazy("Chưa đến bước thẩm định: cơ quan chưa gửi bản tự đánh giá."),
    Assessment.Status.APPRAISED: _lazy("Đã thẩm định; đang chờ cơ quan giải trình."),
    Assessment.Status.REAPPRAISED: _lazy("Đã thẩm định lại; đang chờ chốt kết quả."),
    Assessment.Status.FINALISED: _lazy("Đã chốt kết quả."),
}


def _work_note(assessment: Assessment, today: dt.date) -> tuple[bool, str]:
    step = access.appraisal_step(assessment)
    if step is None:
        return False, str(WAITING_NOTES.get(assessment.status, ""))
    start, end = assessment.period.window(step)
    label = _lazy("Thẩm định lại") if step == "second" else _lazy("Thẩm định")
    if not assessment.period.is_open(step, today):
        return False, _gettext("%(step)s từ %(start)s đến %(end)s: ngoài thời hạn.") % {
            "step": label,
            "start": f"{start:%d/%m/%Y}",
            "end": f"{end:%d/%m/%Y}",
        }
    return True, _gettext("%(step)s đến hết %(end)s.") % {"step": label, "end": f"{end:%d/%m/%Y}"}


def appraisal_work(user, today: dt.date | None = None) -> list[AppraisalWork]:
    """The user's appraisal assignments, one entry per assessment, those she can act on
    now first (then by period and body); two queries whatever the number.

    For the home page (``phuyen_cchc/home.py``): put these first for a council member.
    Each entry has ``assessment`` (with ``period``, ``agency``, ``criteria_set`` loaded),
    ``areas`` (the areas assigned, empty for the whole assessment), ``can_act`` (link to
    ``assessment_appraise`` only when True) and ``note`` (a Vietnamese sentence saying the
    state: "Chưa đến bước thẩm định…", the window, …). Assigned by area, a member appraises
    that area on every assessment of the period that uses the area's criteria set."""
    today = today or timezone.localdate()
    assignments = list(AppraiserAssignment.objects.filter(user_id=user.pk).select_related("area"))
    if not assignments:
        return []
    whole = {a.assessment_id for a in assignments if a.assessment_id}
    query = Q(pk__in=whole)
    areas_by_key = defaultdict(list)
    for a in assignments:
        if a.area_id:
            areas_by_key[(a.period_id, a.area.criteria_set_id)].append(a.area)
            query |= Q(period_id=a.period_id, criteria_set_id=a.area.criteria_set_id)
    work = []
    assessments = (
        Assessment.objects.visible_to(user)
        .filter(query)
        .exclude(status=Assessment.Status.CLOSED)  # a reorganised body's: a record, not work
        .select_related("period", "agency", "criteria_set")
    )
    for assessment in assessments:
        can_act, note = _work_note(assessment, today)
        key = (assessment.period_id, assessment.criteria_set_id)
        areas = [] if assessment.pk in whole else sorted(areas_by_key[key], key=_order)
        work.append(AppraisalWork(assessment, areas, can_act, note))
    work.sort(key=lambda w: (not w.can_act, -w.assessment.period.year, _order(w.assessment.agency)))
    return work


def _order(obj) -> int:
    return obj.sort_order
