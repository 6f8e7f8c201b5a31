"""The first screen fits the role: leadership sees which bodies have not reported."""

import pytest
from django.urls import reverse

from tests.conftest import login
from tests.reports_factories import make_round, submit


@pytest.mark.django_db
def test_leadership_sees_bodies_that_have_not_reported(leader):
    rnd = make_round(codes=("STP", "STC", "TUYHOA"))
    submit(rnd, "STP")
    html = login(leader).get(reverse("home")).content.decode()
    assert "Chưa gửi báo cáo" in html
    assert "2 cơ quan chưa gửi" in html
    assert "Tài chính" in html and "Tuy Hòa" in html


@pytest.mark.django_db
def test_a_body_does_not_get_the_province_reporting_block(chair_focal):
    make_round(codes=("STP", "STC"))
    html = login(chair_focal).get(reverse("home")).content.decode()
    assert "Chưa gửi báo cáo" not in html


@pytest.mark.django_db
def test_leadership_home_queries_do_not_grow_with_bodies(leader):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_round(codes=("STP",))
    client = login(leader)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    make_round(codes=("STP", "STC", "TUYHOA", "SYT", "SXD", "PHUHOA"))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("home"))
    assert len(few) == len(many)


@pytest.mark.django_db
def test_each_home_tile_counts_the_rows_beneath_it(noivu, chair_focal, contrib_focal):
    """A part sent before its deadline passed is awaiting review, not overdue: neither the
    tile nor the rows count it (both read the timeliness annotation)."""
    from coordination import services
    from coordination.models import Task
    from tests.coordination_factories import make_task
    from tests.factories import in_days

    task = make_task(actor=noivu, contributors=("STC",))
    services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="Ý kiến", submit=True
    )
    Task.objects.filter(pk=task.pk).update(due_date=in_days(-2))
    stc = login(contrib_focal).get(reverse("home")).context["work"]
    assert stc["counts"]["overdue"] == len(stc["overdue"]) == 0
    stp = login(chair_focal).get(reverse("home")).context["work"]
    assert stp["counts"]["overdue"] == len(stp["overdue"]) == 1
    assert "Quá hạn" in stp["overdue"][0].state_label
