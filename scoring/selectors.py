"""Reads for scoring pages: the scoring sheet, computed suggestions, totals, index,
ranking and bands. Every function runs a fixed number of queries whatever the size."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, Q

from agencies.access import own_body
from scoring import access, computed
from scoring.importing import plain_number
from scoring.models import (
    TWO_PLACES,
    Appeal,
    Assessment,
    CriteriaSet,
    Criterion,
    Evidence,
    Score,
    ScoringPeriod,
    Target,
)

ZERO = Decimal("0")
HUNDRED = Decimal("100")


# --- Index math -------------------------------------------------------------------------


@dataclass
class Totals:
    achieved: Decimal = ZERO
    applicable_max: Decimal = ZERO
    scored: int = 0
    applicable: int = 0

    def add(self, max_points: Decimal, value: Decimal | None, not_applicable: bool) -> None:
        if not_applicable:
            return
        self.applicable += 1
        self.applicable_max += max_points
        if value is not None:
            self.scored += 1
            self.achieved += value

    @property
    def index(self) -> Decimal | None:
        """achieved ÷ applicable maximum × 100, two decimals (None when nothing applies)."""
        if not self.applicable_max or not self.scored:
            return None
        return (self.achieved / self.applicable_max * HUNDRED).quantize(
            TWO_PLACES, rounding=ROUND_HALF_UP
        )

    @property
    def progress(self) -> int:
        return round(self.scored * 100 / self.applicable) if self.applicable else 100


def area_map(criteria: list[Criterion]) -> dict[int, int]:
    """criterion id -> id of its area (depth-1 ancestor), computed in Python."""
    by_id = {c.pk: c for c in criteria}
    result = {}
    for criterion in criteria:
        node = criterion
        while node.parent_id:
            node = by_id[node.parent_id]
        result[criterion.pk] = node.pk
    return result


def leaf_ids(criteria: list[Criterion]) -> set[int]:
    parents = {c.parent_id for c in criteria}
    return {c.pk for c in criteria if c.pk not in parents}


def ranked(rows: list, key: str = "index") -> None:
    """Competition ranking (1, 2, 2, 4) on rows' ``key``, highest first; sets ``rank``."""
    ordered = sorted(
        (r for r in rows if getattr(r, key) is not None), key=lambda r: -getattr(r, key)
    )
    previous, rank = None, 0
    for position, row in enumerate(ordered, start=1):
        if getattr(row, key) != previous:
            rank, previous = position, getattr(row, key)
        row.rank = rank


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
    rows: list[SheetRow] = field(default_factory=list)
    self_totals: Totals = field(default_factory=Totals)
    appraised_totals: Totals = field(default_factory=Totals)
    current_totals: Totals = field(default_factory=Totals)


@dataclass
class Sheet:
    areas: list[SheetArea]
    self_totals: Totals
    appraised_totals: Totals
    current_totals: Totals
    evidence: list[Evidence]


def assessment_sheet(
    assessment: Assessment,
    *,
    area_ids: set[int] | None = None,
    self_area_ids: set[int] | None = None,
) -> Sheet:
    """Criteria tree with scores, evidence and totals per area (4–6 queries in all).

    ``area_ids`` marks which areas' rows an appraiser may edit (None = all). Long because it
    builds the tree, the rows and the three totals in one pass over the criteria (the
    page's query budget)."""
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
    sheet = Sheet([], Totals(), Totals(), Totals(), evidence)
    for criterion in criteria:
        if criterion.depth == 1 or criterion.parent_id is None:
            areas[criterion.pk] = SheetArea(criterion)
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
            survey = criterion.method == Criterion.Method.SURVEY
            for totals_pair, value in (
                ((area.self_totals, sheet.self_totals) if not survey else (), score.self_score),
                ((area.appraised_totals, sheet.appraised_totals), score.appraised_score),
                ((area.current_totals, sheet.current_totals), score.current_score),
            ):
                for totals in totals_pair:
                    totals.add(criterion.max_points, value, score.not_applicable)
    return sheet


# --- Lists ----------------------------------------------------------------------------


def period_list(user) -> list[ScoringPeriod]:
    return list(
        ScoringPeriod.objects.visible_to(user)
        .select_related("department_set", "district_set")
        .annotate(
            assessment_count=Count("assessments", distinct=True),
            finalised_count=Count(
                "assessments", filter=Q(assessments__status="finalised"), distinct=True
            ),
        )
    )


def period_assessments(period: ScoringPeriod, user) -> list[Assessment]:
    return list(
        Assessment.objects.visible_to(user)
        .filter(period=period)
        .select_related("agency", "criteria_set")
        .annotate(
            applicable=Count("scores", filter=Q(scores__not_applicable=False)),
            self_done=Count(
                "scores",
                filter=Q(scores__not_applicable=False, scores__self_score__isnull=False),
            ),
            appraised_done=Count(
                "scores",
                filter=Q(scores__not_applicable=False, scores__appraised_score__isnull=False),
            ),
        )
        .order_by("agency__kind", "agency__sort_order")
    )


def criteria_set_list(user) -> list[CriteriaSet]:
    return list(CriteriaSet.objects.visible_to(user).annotate(criterion_count=Count("criteria")))


# --- Results --------------------------------------------------------------------------


@dataclass
class ResultRow:
    assessment: Assessment
    target: str
    totals: Totals
    area_totals: dict[int, Totals]
    index: Decimal | None = None
    rank: int | None = None
    band: str = ""
    previous_index: Decimal | None = None

    @property
    def change(self) -> Decimal | None:
        if self.index is None or self.previous_index is None:
            return None
        return self.index - self.previous_index


def _result_rows(period: ScoringPeriod, assessments: list[Assessment]) -> list[ResultRow]:
    set_ids = {a.criteria_set_id for a in assessments}
    criteria = list(Criterion.objects.filter(criteria_set_id__in=set_ids))
    leaves, areas_of = leaf_ids(criteria), area_map(criteria)
    max_of = {c.pk: c.max_points for c in criteria}
    rows = {
        a.pk: ResultRow(a, a.criteria_set.target, Totals(), defaultdict(Totals))
        for a in assessments
    }
    scores = Score.objects.filter(assessment_id__in=rows).values_list(
        "assessment_id",
        "criterion_id",
        "not_applicable",
        "self_score",
        "appraised_score",
        "second_score",
        "final_score",
    )
    for assessment_id, criterion_id, na, self_s, appr, second, final in scores:
        if criterion_id not in leaves:
            continue
        value = next((v for v in (final, second, appr, self_s) if v is not None), None)
        row = rows[assessment_id]
        row.totals.add(max_of[criterion_id], value, na)
        row.area_totals[areas_of[criterion_id]].add(max_of[criterion_id], value, na)
    for row in rows.values():
        row.index = row.totals.index
        row.band = period.band_for(row.index)
    return list(rows.values())


def period_results(period: ScoringPeriod, user) -> dict:
    """Results by group (departments, districts), ranked, with bands and last year's index.

    Before publication a body sees only its own row (``access.results_visible_to``).
    """
    scope = access.results_visible_to(user, period)
    qs = Assessment.objects.filter(period=period).select_related("agency", "criteria_set")
    if scope == "own":
        qs = own_body(qs, user)
    rows = _result_rows(period, list(qs))
    previous = (
        ScoringPeriod.objects.filter(year=period.year - 1, published_at__isnull=False)
        .order_by("-pk")
        .first()
    )
    if previous is not None:
        agency_ids = [r.assessment.agency_id for r in rows]
        before = _result_rows(
            previous,
            list(
                Assessment.objects.filter(period=previous, agency_id__in=agency_ids).select_related(
                    "agency", "criteria_set"
                )
            ),
        )
        by_agency = {r.assessment.agency_id: r.index for r in before}
        for row in rows:
            row.previous_index = by_agency.get(row.assessment.agency_id)
    groups = []
    for target, label in (
        (Target.DEPARTMENT, Target.DEPARTMENT.label),
        (Target.DISTRICT, Target.DISTRICT.label),
    ):
        group = [r for r in rows if r.target == target]
        if scope == "all":  # a body alone in its view gets no (misleading) rank
            ranked(group)
        group.sort(key=lambda r: (r.rank is None, r.rank or 0, r.assessment.agency.sort_order))
        if group:
            groups.append({"target": target, "label": label, "rows": group})
    return {"scope": scope, "groups": groups, "previous": previous}
