"""Lists start with what is current; older or longer is one link away (issue 14)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency
from coordination.models import Task
from tests.conftest import login
from tests.coordination_factories import make_task

pytestmark = pytest.mark.django_db


def _late_bodies(noivu, how_many: int) -> list[str]:
    codes = list(
        Agency.objects.exclude(code__in=["SNV", "STP"])
        .filter(kind__in=["department", "district"])
        .order_by("sort_order")
        .values_list("code", flat=True)[:how_many]
    )
    for i, code in enumerate(codes):
        # Body i has i + 1 overdue items: the most overdue is the last.
        for _ in range(i + 1 if i < 2 else 1):
            task = make_task(actor=noivu, contributors=(code,))
            Task.objects.filter(pk=task.pk).update(
                due_date=timezone.localdate() - dt.timedelta(days=3)
            )
    return codes


def test_reports_home_lists_ten_late_bodies_most_overdue_first(noivu):
    codes = _late_bodies(noivu, 12)
    client = login(noivu)
    html = client.get(reverse("reports_home")).content.decode()
    late = html[html.index('id="late"') :]
    assert late.count('class="badge badge--overdue"') == 10
    assert "Xem tất cả" in late and "?late=all#late" in late
    first = Agency.objects.get(code=codes[1]).name  # two overdue items: listed first
    assert late.index(first) < late.index(Agency.objects.get(code=codes[0]).name)
    every = client.get(reverse("reports_home") + "?late=all").content.decode()
    every = every[every.index('id="late"') :]
    # STP chairs every item: it is late too.
    assert every.count('class="badge badge--overdue"') == 13


def test_the_item_list_opens_on_what_is_current(noivu):
    current = make_task(actor=noivu, title="Việc năm nay")
    old = make_task(actor=noivu, title="Việc đã xong năm trước")
    last_year = timezone.localdate().replace(month=6, day=30) - dt.timedelta(days=365)
    Task.objects.filter(pk=old.pk).update(status=Task.Status.DONE, due_date=last_year)
    client = login(noivu)
    html = client.get(reverse("task_list")).content.decode()
    assert current.title in html and old.title not in html
    assert "Đang mở hoặc có hạn năm nay" in html  # the scope the list is in
    assert old.title in client.get(reverse("task_list") + "?year=all").content.decode()
    year = client.get(reverse("task_list") + f"?year={last_year.year}").content.decode()
    assert old.title in year and current.title not in year


def test_the_overview_shows_twenty_bodies_a_page_with_the_provinces_totals(noivu):
    codes = list(
        Agency.objects.exclude(code="SNV").order_by("sort_order").values_list("code", flat=True)
    )[:24]
    make_task(actor=noivu, chair=codes[0], contributors=tuple(codes[1:]))
    client = login(noivu)
    first = client.get(reverse("task_overview")).context
    page = first["page"]
    assert len(page.object_list) == 20 and page.paginator.count == 24
    assert first["overview"]["totals"].contributed == 23  # every body, not only this page
    second = client.get(reverse("task_overview") + "?page=2").context["page"]
    assert len(second.object_list) == 4


def test_a_rounds_page_lists_its_first_bodies_all_one_link_away(noivu, monkeypatch):
    from reports import views
    from tests.reports_factories import make_round

    monkeypatch.setattr(views, "ROUND_ROWS", 2)
    rnd = make_round(codes=("STP", "STC", "TUYHOA"))
    client = login(noivu)
    url = reverse("round_detail", args=[rnd.pk])
    first = client.get(url).content.decode()
    assert first.count('href="/reports/submissions/') == 2  # nothing sent: no PDF links
    assert "Xem tất cả 3 cơ quan" in first and 'href="?all=1"' in first
    every = client.get(url + "?all=1").content.decode()
    assert "Xem tất cả" not in every and every.count('href="/reports/submissions/') == 3
    for code in ("STP", "STC", "TUYHOA"):
        assert Agency.objects.get(code=code).name in every
