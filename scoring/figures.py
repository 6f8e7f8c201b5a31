"""The index math, one rule for every page, result and document: which score counts, the
applicable maximum, totals and the index, the figures of an assessment and how they are
printed, ranking. Pure functions over loaded rows (no queries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _lazy

from scoring.models import TWO_PLACES, Assessment, Criterion

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

    def merge(self, other: Totals) -> None:
        """Add another set of leaves' totals (``scoring.aggregates`` sums them per node)."""
        self.achieved += other.achieved
        self.applicable_max += other.applicable_max
        self.scored += other.scored
        self.applicable += other.applicable

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


# The states in which the body's own scores are the ones that count: the appraisal is not
# complete yet (an appraiser's scores are their working draft until the round closes).
SELF_STAGE = frozenset({Assessment.Status.DRAFT, Assessment.Status.SUBMITTED})


def counted_value(status: str, self_score, appraised, second, final) -> Decimal | None:
    """The score of a criterion that counts: the body's own until the appraisal is
    complete, then the final score, else the second appraisal, else the first, else the
    body's. The one rule read by every page, the results and every document."""
    if status in SELF_STAGE:
        return self_score
    return next((v for v in (final, second, appraised, self_score) if v is not None), None)


def counted_score(status: str, rule: tuple, self_score, appraised, second, final):
    """The score that counts for one leaf whose ``rule`` is (max_points, method): survey
    criteria have no score of the body's own."""
    own = None if rule[1] == Criterion.Method.SURVEY else self_score
    return counted_value(status, own, appraised, second, final)


@dataclass
class Figures:
    """One assessment's (or one area's) figures, the same on every page and document: one
    maximum (the applicable maximum: leaves not marked "không áp dụng", survey criteria
    included), the score that counts, the body's own score over that same maximum, and how
    many criteria are self-scored and appraised."""

    status: str
    counted: Totals = field(default_factory=Totals)
    own: Totals = field(default_factory=Totals)
    appraised: Totals = field(default_factory=Totals)
    self_done: int = 0
    self_required: int = 0
    appraised_done: int = 0

    def add(self, criterion: Criterion | tuple, na: bool, self_score, appraised, second, final):
        """Count one leaf: ``criterion`` is the Criterion or its (max_points, method), then
        the score's "không áp dụng" mark and its four values."""
        max_points, method = (
            criterion if isinstance(criterion, tuple) else (criterion.max_points, criterion.method)
        )
        if na:
            return
        survey = method == Criterion.Method.SURVEY
        own = None if survey else self_score
        latest_appraisal = second if second is not None else appraised
        counted = counted_score(
            self.status, (max_points, method), self_score, appraised, second, final
        )
        self.counted.add(max_points, counted, na)
        self.own.add(max_points, own, na)
        self.appraised.add(max_points, latest_appraisal, na)
        if not survey:
            self.self_required += 1
            self.self_done += self_score is not None
        self.appraised_done += appraised is not None

    def merge(self, other: Figures) -> None:
        """Add the figures of other leaves of the same assessment."""
        self.counted.merge(other.counted)
        self.own.merge(other.own)
        self.appraised.merge(other.appraised)
        self.self_done += other.self_done
        self.self_required += other.self_required
        self.appraised_done += other.appraised_done

    @property
    def appraisal_required(self) -> int:
        return self.counted.applicable

    @property
    def self_progress(self) -> int:
        return round(self.self_done * 100 / self.self_required) if self.self_required else 100

    @property
    def stage(self) -> str:
        """What has happened: "self" (no appraisal counts yet), "appraised" or "final"."""
        if self.status == Assessment.Status.FINALISED:
            return "final"
        return "self" if self.status in SELF_STAGE else "appraised"

    @property
    def label(self) -> str:
        return str(STAGE_LABELS[self.stage])

    @property
    def summary(self) -> str:
        """ "86,70/100,00 (86,70%)": the score that counts over the applicable maximum."""
        return self._summary(self.counted)

    @property
    def own_summary(self) -> str:
        return self._summary(self.own)

    @staticmethod
    def _summary(totals: Totals) -> str:
        text = f"{figure(totals.achieved)}/{figure(totals.applicable_max)}"
        return text if totals.index is None else f"{text} ({figure(totals.index)}%)"

    @property
    def shows_own_apart(self) -> bool:
        """The body's own score is a second figure once an appraisal counts."""
        return self.stage != "self"


def figure(value: Decimal | None) -> str:
    """A score or an index as every page and document prints it: two decimals in the
    active language's format ("86,70"), "–" when there is none."""
    return "–" if value is None else number_format(value, 2)


STAGE_LABELS = {
    "self": _lazy("Điểm tự đánh giá"),
    "appraised": _lazy("Điểm sau thẩm định"),
    "final": _lazy("Điểm chính thức"),
}


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
