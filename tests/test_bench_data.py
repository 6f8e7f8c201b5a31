"""The benchmark data generator (issue 7) at a tiny scale: counts follow the plan, grants
match participations, and every bulk-inserted record has its history row."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import NoReverseMatch, reverse

from bench.scale_data import Plan, _windows, generate
from coordination.models import Contribution, Participation, Task, TaskGroupObjectPermission
from coordination.permissions_audit import audit_task_grants
from reports.models import AgencyReport, ReportRound
from scoring.models import Assessment, Score, ScoringPeriod

TINY = dict(bodies=6, users_per_body=3, criteria=10)


def test_default_plan_is_five_years_of_a_province():
    plan = Plan.scaled(1.0)
    assert (plan.bodies, plan.bodies * plan.users_per_body, plan.items) == (60, 600, 20_000)
    assert (plan.contributions, plan.periods, plan.rounds) == (40_000, 5, 20)
    assert (plan.scored_bodies, plan.criteria, plan.report_bodies) == (30, 100, 30)


def test_scale_shrinks_the_depth_of_history_not_the_bodies():
    plan = Plan.scaled(0.1)
    assert (plan.bodies, plan.items, plan.contributions, plan.rounds) == (60, 2000, 4000, 2)
    assert plan.periods == 2  # the results page always has a previous year to compare


@pytest.fixture
def tiny(db):
    plan = Plan.scaled(0.002, **TINY)
    counts = generate(plan, seed=3, password="Bench@CCHC2024", log=lambda _msg: None)
    return plan, counts


def test_counts_follow_the_plan(tiny):
    plan, counts = tiny
    assert Task.objects.count() == counts["tasks"] == plan.items == 40
    parts = Participation.objects.count()
    assert parts == counts["participations"]
    assert 4 * plan.items <= parts <= 6 * plan.items  # chair, tracker and ~3 contributors
    assert 0 < Contribution.objects.count() <= plan.contributions
    assert ScoringPeriod.objects.count() == plan.periods
    assert Assessment.objects.count() == plan.periods * plan.scored_bodies
    assert Score.objects.count() == plan.periods * plan.scored_bodies * plan.criteria
    assert ReportRound.objects.count() == plan.rounds
    assert AgencyReport.objects.count() == plan.rounds * plan.report_bodies


def test_grants_match_participations(tiny):
    _plan, counts = tiny
    assert audit_task_grants() == ([], [])
    assert TaskGroupObjectPermission.objects.count() == counts["grants"]
    out = StringIO()
    call_command("check_permissions", stdout=out)
    assert "khớp" in out.getvalue()


def test_every_bulk_inserted_record_has_history(tiny):
    for model in (Task, Participation, Contribution, Score, AgencyReport):
        ids = set(model.objects.values_list("pk", flat=True))
        assert ids and ids <= set(model.history.values_list("id", flat=True)), model


def test_command_refuses_a_database_that_already_has_items(tiny):
    with pytest.raises(Exception, match="trống"):
        call_command("generate_scale_data", "--scale", "0.001", stdout=StringIO())


def test_bare_page_is_not_part_of_the_portal():
    with pytest.raises(NoReverseMatch):
        reverse("bench_bare")


@override_settings(ROOT_URLCONF="bench.urls")
def test_bare_page_renders_fifty_rows_without_the_database():
    # No django_db mark: any query would fail the test.
    response = Client().get("/__bench__/bare/")
    assert response.status_code == 200
    assert response.content.count(b"<tr>") == 51


def test_windows_of_a_past_period_follow_each_other():
    windows = _windows(2022, dt.date(2026, 11, 25), current=False)
    days = [windows[f"{step}_{end}"] for step in ScoringPeriod.STEPS for end in ("from", "to")]
    assert days == sorted(days) and days[0].year == 2023
