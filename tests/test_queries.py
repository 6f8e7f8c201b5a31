"""Pages run the same number of queries for few and for many rows (STYLE.md rule 12)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coordination import services
from tests.conftest import login
from tests.coordination_factories import make_task

BUDGET = 20
LIST_PAGE_QUERIES = 12  # issue 14: a list page read from its cached parts


def count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def grow(noivu, contrib_focal, n):
    for i in range(n):
        task = make_task(actor=noivu, title=f"Nhiệm vụ {i}", contributors=("STC", "TUYHOA"))
        services.contribution_save(
            actor=contrib_focal, task=task, form="comment", body=f"Ý kiến {i}", submit=True
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who,url_name",
    [
        ("noivu", "task_list"),
        ("chair_focal", "task_list"),
        ("noivu", "home"),
        ("leader", "home"),
        ("chair_focal", "home"),
        ("contrib_focal", "home"),
        ("noivu", "task_overview"),
        ("chair_focal", "notification_list"),
    ],
)
def test_list_and_dashboard_queries_do_not_grow_with_rows(
    request, noivu, contrib_focal, who, url_name
):
    user = request.getfixturevalue(who)
    client = login(user)
    grow(noivu, contrib_focal, 2)
    few = count(client, reverse(url_name))
    few_again = count(client, reverse(url_name))
    grow(noivu, contrib_focal, 12)
    many = count(client, reverse(url_name))
    many_again = count(client, reverse(url_name))
    assert few == many, f"{url_name} as {who}: {few} queries with few rows, {many} with many"
    assert few_again == many_again
    # The first request after a change builds the page's cached parts (agencies.fragments:
    # with the database cache, each part written costs 5 queries); the next reads them.
    assert many <= BUDGET + 10
    assert many_again <= LIST_PAGE_QUERIES


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["task_detail", "task_history"])
def test_item_pages_do_not_grow_with_contributions(noivu, contrib_focal, chair_focal, url_name):
    task = make_task(actor=noivu, contributors=("STC",))
    services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="1", submit=True
    )
    client = login(chair_focal)
    few = count(client, reverse(url_name, args=[task.pk]))
    few_again = count(client, reverse(url_name, args=[task.pk]))
    part = task.participations.get(agency__code="STC")
    for i in range(5):
        services.participation_review(
            actor=chair_focal, participation=part, accept=False, reason="Sửa"
        )
        services.contribution_save(
            actor=contrib_focal, task=task, form="comment", body=str(i), submit=True
        )
    many = count(client, reverse(url_name, args=[task.pk]))
    many_again = count(client, reverse(url_name, args=[task.pk]))
    # Built (the page's reads, then 5 queries writing its cached part), then read again.
    assert few == many and many <= BUDGET + 5
    assert few_again == many_again <= LIST_PAGE_QUERIES
