"""The figures summed in the database (``scoring.aggregates``) are those of the one rule in
Python (``scoring.figures``), for every status, method and combination of scores."""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import Decimal

import pytest

from scoring import aggregates
from scoring.figures import Figures, area_map, leaf_ids
from scoring.models import Assessment, Criterion, Score
from tests.factories import agency
from tests.scoring_factories import (  # noqa: F401 - fast_passwords is an autouse fixture
    build_set,
    fast_passwords,
    windows,
)

D = Decimal
METHODS = ["range", "options", "computed", "survey"]
# Two areas of leaves under a middle level, one of leaves directly, one area a leaf itself.
TREE = [
    ("1", "20", "range", [], False, ""),
    ("1.1", "10", "range", [], False, ""),
    *[(f"1.1.{i}", "2.5", METHODS[i % 4], [], False, "") for i in range(1, 5)],
    ("1.2", "10", "range", [], False, ""),
    *[(f"1.2.{i}", "2", METHODS[(i + 1) % 4], [], False, "") for i in range(1, 6)],
    ("2", "12", "range", [], False, ""),
    *[(f"2.{i}", "1.5", METHODS[(i + 2) % 4], [], False, "") for i in range(1, 9)],
    ("3", "5.25", "range", [], False, ""),
]
VALUES = [None, None, D("0"), D("0.5"), D("1.25"), D("2")]


def python_figures(assessment: Assessment, by_area: bool) -> dict:
    criteria = list(Criterion.objects.filter(criteria_set=assessment.criteria_set_id))
    leaves, areas_of = leaf_ids(criteria), area_map(criteria)
    rule = {c.pk: (c.max_points, c.method) for c in criteria}
    result = defaultdict(lambda: Figures(assessment.status))
    for s in Score.objects.filter(assessment=assessment):
        if s.criterion_id not in leaves or s.not_applicable:
            continue  # (Figures.add counts nothing for "không áp dụng" either)
        key = areas_of[s.criterion_id] if by_area else None
        result[key].add(
            rule[s.criterion_id],
            s.not_applicable,
            s.self_score,
            s.appraised_score,
            s.second_score,
            s.final_score,
        )
    return result


def summed(assessment: Assessment, by_area: bool) -> dict:
    if not by_area:
        return {None: aggregates.figures_of([assessment]).get(assessment.pk)}
    criteria = list(Criterion.objects.filter(criteria_set=assessment.criteria_set_id))
    areas_of = area_map(criteria)
    result = defaultdict(lambda: Figures(assessment.status))
    for (_pk, node), figures in aggregates.figures_of([assessment], by_node=True).items():
        result[areas_of[node]].merge(figures)
    return result


def plain(figures: Figures | None) -> tuple:
    if figures is None:
        return ()
    totals = (figures.counted, figures.own, figures.appraised)
    return (
        tuple((t.achieved, t.applicable_max, t.scored, t.applicable, t.index) for t in totals),
        figures.self_done,
        figures.self_required,
        figures.appraised_done,
        figures.summary,
        figures.own_summary,
    )


def _assessment(noivu) -> Assessment:
    """One body's assessment in a period of the test tree (every score entered empty)."""
    from scoring import services

    period = services.period_create(
        actor=noivu,
        year=2024,
        title="Đợt",
        windows=windows(),
        agencies=[agency("STP")],
        department_set=build_set(TREE, total_points=D("37.25")),
    )
    return period.assessments.get()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s.value for s in Assessment.Status])
def test_sums_in_the_database_follow_the_one_rule(noivu, status):
    assessment = _assessment(noivu)
    Assessment.objects.filter(pk=assessment.pk).update(status=status)
    assessment.refresh_from_db()
    rng = random.Random(status)
    for trial in range(4):
        for s in Score.objects.filter(assessment=assessment):
            s.not_applicable = rng.random() < 0.15
            s.self_score, s.appraised_score, s.second_score, s.final_score = (
                rng.choice(VALUES) for _ in range(4)
            )
            s.save()
        for by_area in (False, True):
            expected = {k: plain(v) for k, v in python_figures(assessment, by_area).items()}
            got = {k: plain(v) for k, v in summed(assessment, by_area).items()}
            assert got == expected, (status, trial, by_area)


@pytest.mark.django_db
def test_an_assessment_without_scores_has_no_sums(noivu):
    assessment = _assessment(noivu)
    Score.objects.filter(assessment=assessment).update(not_applicable=True)
    assert aggregates.figures_of([assessment]) == {}
