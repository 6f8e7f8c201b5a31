"""The officer overview defaults to what is current (issue 14): the items still open, of any
year, and those due this year; a year or every year is one choice away."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from coordination import selectors
from coordination.models import Task
from tests.conftest import login
from tests.coordination_factories import make_task

pytestmark = pytest.mark.django_db


def _move(task: Task, *, due: dt.date, status: str | None = None) -> None:
    fields = {"due_date": due}
    if status:
        fields["status"] = status
    Task.objects.filter(pk=task.pk).update(**fields)


@pytest.fixture
def years(noivu):
    """This year's item, an item of two years ago still open, one of two years ago done."""
    today = timezone.localdate()
    this_year = make_task(actor=noivu, title="Năm nay", contributors=("STC",))
    _move(this_year, due=today.replace(month=1, day=15) if today.month > 1 else today)
    still_open = make_task(actor=noivu, title="Còn mở", contributors=("STC",))
    _move(still_open, due=today.replace(year=today.year - 2, month=6, day=1))
    done = make_task(actor=noivu, title="Đã xong", contributors=("STC",))
    _move(done, due=today.replace(year=today.year - 2, month=6, day=1), status="done")
    return today


def _stc(overview) -> int:
    row = next(r for r in overview["rows"] if r.agency.code == "STC")
    return row.contributed


def test_the_default_is_open_work_and_this_years(years):
    overview = selectors.province_overview(scope="current")
    assert _stc(overview) == 2
    assert overview["task_counts"]["done"] == 0


def test_a_year_or_every_year_is_one_choice_away(years):
    two_years_ago = str(years.year - 2)
    assert _stc(selectors.province_overview(scope=two_years_ago)) == 2
    assert selectors.province_overview(scope=two_years_ago)["task_counts"]["done"] == 1
    assert _stc(selectors.province_overview(scope="all")) == 3


@pytest.mark.parametrize(
    ("value", "scope"),
    [
        ("", "current"),
        ("all", "all"),
        ("1999", "current"),
        ("20x5", "current"),
        ("9999", "current"),
    ],
)
def test_the_scope_reads_only_what_it_knows(value, scope):
    assert selectors.overview_scope(value, dt.date(2026, 12, 3)) == scope
    assert selectors.overview_scope("2025", dt.date(2026, 12, 3)) == "2025"


def test_the_page_shows_the_chosen_scope(noivu, years):
    client = login(noivu)
    html = client.get(reverse("task_overview")).content.decode()
    assert 'value="current" selected' in html
    html = client.get(reverse("task_overview"), {"year": "all"}).content.decode()
    assert 'value="all" selected' in html
    assert client.get(reverse("task_overview"), {"year": "<script>"}).status_code == 200
