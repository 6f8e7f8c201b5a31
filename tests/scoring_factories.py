"""Builders for scoring tests: a small published criteria tree, a period with every
window open (or some closed), and real coordination participations for computed criteria."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
import pytest
from django.utils import timezone

from coordination.models import Participation, Task
from scoring import services
from scoring.models import Assessment, CriteriaSet, Criterion, Score, ScoringPeriod, Target
from tests.factories import agency

D = Decimal


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The cast's users are created with a password; a fast hasher keeps the matrix quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# code, max, method, options, evidence_required, computed_source
SMALL_TREE = [
    ("1", "10", "range", [], False, ""),
    ("1.1", "4", "options", [("Kịp thời", "4"), ("Chậm", "2"), ("Không", "0")], True, ""),
    ("1.2", "6", "range", [], False, ""),
    ("2", "14.5", "range", [], False, ""),
    ("2.1", "14.5", "computed", [], False, "tasks_on_time"),
    ("3", "5.5", "range", [], False, ""),
]


class CriteriaSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CriteriaSet

    year = 2024
    target = Target.DEPARTMENT
    version = factory.Sequence(lambda n: n + 1)
    title = factory.LazyAttribute(lambda o: f"Bộ tiêu chí {o.target} {o.year}")
    total_points = D("30")
    status = CriteriaSet.Status.PUBLISHED


def build_set(tree=SMALL_TREE, **kwargs) -> CriteriaSet:
    """A published set from (code, max, method, options, evidence, source) rows."""
    criteria_set = CriteriaSetFactory(**kwargs)
    created: dict[str, Criterion] = {}
    for order, (code, max_points, method, options, evidence, source) in enumerate(tree, 1):
        parent_code = code.rpartition(".")[0]
        created[code] = Criterion.objects.create(
            criteria_set=criteria_set,
            parent=created.get(parent_code),
            code=code,
            depth=code.count(".") + 1,
            title=f"Tiêu chí {code}",
            max_points=D(max_points),
            method=method,
            options=[{"label": label, "points": pts} for label, pts in options],
            evidence_required=evidence,
            computed_source=source,
            sort_order=order,
        )
    return criteria_set


ALL_OPEN = {step: (-5, 5) for step in ScoringPeriod.STEPS}


def windows(**overrides) -> dict[str, dt.date]:
    """Every window open around today unless overridden as step=(from_days, to_days)."""
    today = timezone.localdate()
    spans = {**ALL_OPEN, **overrides}
    result = {}
    for step, (start, end) in spans.items():
        result[f"{step}_from"] = today + dt.timedelta(days=start)
        result[f"{step}_to"] = today + dt.timedelta(days=end)
    return result


CLOSED = (-30, -20)


def build_period(actor, *, codes=("STP", "STC", "TUYHOA"), year=2024, sets=None, **window_kw):
    """A period over real bodies with one assessment each (created by the service)."""
    dept_set, dist_set = sets or (build_set(), build_set(target=Target.DISTRICT))
    return services.period_create(
        actor=actor,
        year=year,
        title=f"Đợt chấm điểm {year}",
        windows=windows(**window_kw),
        agencies=[agency(c) for c in codes],
        department_set=dept_set,
        district_set=dist_set,
    )


def set_windows(period: ScoringPeriod, **overrides) -> ScoringPeriod:
    for key, value in windows(**overrides).items():
        setattr(period, key, value)
    period.save()
    return period


def assessment_of(period: ScoringPeriod, code: str) -> Assessment:
    return Assessment.objects.select_related("period", "agency", "criteria_set").get(
        period=period, agency__code=code
    )


def criterion(assessment: Assessment, code: str) -> Criterion:
    return Criterion.objects.get(criteria_set=assessment.criteria_set_id, code=code)


def score(assessment: Assessment, code: str) -> Score:
    return Score.objects.get(assessment=assessment, criterion__code=code)


def participation(code: str, *, role="chair", accepted_on: dt.date | None, late=False):
    """A real coordination item with the body taking part, accepted on a day (or not)."""
    other = "SNV" if code != "SNV" else "STP"
    task = Task.objects.create(
        title="Nhiệm vụ thử nghiệm",
        category="plan",
        chair_agency=agency(code if role == "chair" else other),
        tracking_agency=agency("VPUBND"),
        due_date=accepted_on or timezone.localdate(),
        status=Task.Status.DONE if accepted_on else Task.Status.IN_PROGRESS,
        completed_late=late,  # the chair's timeliness is the item's
    )
    accepted_at = (
        timezone.make_aware(dt.datetime.combine(accepted_on, dt.time(10))) if accepted_on else None
    )
    return Participation.objects.create(
        task=task,
        agency=agency(code),
        role=role,
        status=Participation.Status.ACCEPTED if accepted_on else Participation.Status.PENDING,
        accepted_at=accepted_at,
        accepted_late=late,
    )
