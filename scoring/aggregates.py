"""The figures of many assessments summed in the database (issue 14: a period's results
with 150 bodies read ~1,500 sums instead of 15,000 scores, twice with the year before).

``scoring.figures`` holds the rule; this module states the same rule as SQL for
``Figures`` of whole assessments, or of each assessment's areas:

- only leaves count (criteria without children), and none marked "không áp dụng";
- the body's own score is none for a survey criterion;
- the score that counts is the body's own while the assessment is in ``SELF_STAGE``, then
  the final score, else the second appraisal, else the first, else the body's
  (``figures.counted_value``); the latest appraisal is the second, else the first.

Every sum is exact (numeric in PostgreSQL; SQLite's sums are quantised to two places, as
every score is). ``tests/test_scoring_aggregates.py`` checks both forms of the rule give the
same figures for every status, method and combination of scores."""

from __future__ import annotations

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from scoring.figures import SELF_STAGE, ZERO, Figures, Totals
from scoring.models import Assessment, Criterion, Score

SCORE = DecimalField(max_digits=6, decimal_places=2)
TOTAL = DecimalField(max_digits=14, decimal_places=2)

# The body's own score (none for a survey criterion), the score that counts, the latest
# appraisal: ``figures.counted_score`` and ``Figures.add`` in SQL.
OWN = Case(
    When(criterion__method=Criterion.Method.SURVEY, then=Value(None, output_field=SCORE)),
    default=F("self_score"),
    output_field=SCORE,
)
COUNTED = Case(
    When(assessment__status__in=list(SELF_STAGE), then=OWN),
    default=Coalesce("final_score", "second_score", "appraised_score", OWN, output_field=SCORE),
    output_field=SCORE,
)
LATEST_APPRAISAL = Coalesce("second_score", "appraised_score", output_field=SCORE)


def _sums() -> dict:
    def total(expression) -> Sum:
        return Sum(expression, output_field=TOTAL)

    return {
        "applicable": Count("pk"),
        "maximum": total("criterion__max_points"),
        "counted": total(COUNTED),
        "counted_n": Count(COUNTED),
        "own": total(OWN),
        "own_n": Count(OWN),
        "appraised": total(LATEST_APPRAISAL),
        "appraised_n": Count(LATEST_APPRAISAL),
        "self_required": Count("pk", filter=~Q(criterion__method=Criterion.Method.SURVEY)),
        "appraised_done": Count("appraised_score"),
    }


def _figures(status: str, row: dict) -> Figures:
    maximum, applicable = row["maximum"] or ZERO, row["applicable"]

    def totals(name: str) -> Totals:
        return Totals(row[name] or ZERO, maximum, row[f"{name}_n"], applicable)

    return Figures(
        status,
        counted=totals("counted"),
        own=totals("own"),
        appraised=totals("appraised"),
        self_done=row["own_n"],
        self_required=row["self_required"],
        appraised_done=row["appraised_done"],
    )


def figures_of(assessments: list[Assessment], *, by_node: bool = False) -> dict:
    """assessment id -> its ``Figures`` (one query); with ``by_node``, (assessment id, node)
    -> the ``Figures`` of the leaves under ``node`` (a leaf's parent, or the leaf itself at
    the top), which ``figures.area_map`` turns into areas. Assessments without any scored
    leaf are missing from the result."""
    status = {a.pk: a.status for a in assessments}
    leaf = ~Exists(Criterion.objects.filter(parent_id=OuterRef("criterion_id")))
    scores = Score.objects.filter(assessment_id__in=status, not_applicable=False).filter(leaf)
    keys = ["assessment_id"]
    if by_node:
        scores = scores.annotate(node=Coalesce("criterion__parent_id", "criterion_id"))
        keys.append("node")
    rows = scores.order_by().values(*keys).annotate(**_sums())
    if by_node:
        return {
            (r["assessment_id"], r["node"]): _figures(status[r["assessment_id"]], r) for r in rows
        }
    return {r["assessment_id"]: _figures(status[r["assessment_id"]], r) for r in rows}
