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


# Exact queries of each page (issue 14), with the database cache of the tests (each cache
# read is a query): the first request after a change of the data the page shows builds
# its cached parts (the page's reads, then 5 queries writing each part); the next reads
# them: the session, the user, the data version, the user's roles and body
# (KnownUserMiddleware), the page's part, the header's part, the unread count.
READ_FROM_CACHE = 7


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who,url_name,first,again",
    [
        ("noivu", "task_list", 16, READ_FROM_CACHE),
        ("chair_focal", "task_list", 16, READ_FROM_CACHE),
        ("noivu", "home", 24, 8),  # and the province's part
        ("leader", "home", 24, 8),
        ("chair_focal", "home", 14, READ_FROM_CACHE),
        ("contrib_focal", "home", 13, READ_FROM_CACHE),
        ("noivu", "task_overview", 15, READ_FROM_CACHE),
        # Not cached, and no roles asked: the session, the user, the data version, the
        # header, the unread count, the page's notifications.
        ("chair_focal", "notification_list", 6, 6),
    ],
)
def test_list_and_dashboard_queries_are_exact_and_do_not_grow_with_rows(
    request, noivu, contrib_focal, who, url_name, first, again
):
    user = request.getfixturevalue(who)
    client = login(user)
    count(client, reverse(url_name))  # the user's roles and the header kept
    grow(noivu, contrib_focal, 2)
    few = count(client, reverse(url_name))
    few_again = count(client, reverse(url_name))
    grow(noivu, contrib_focal, 12)
    many = count(client, reverse(url_name))
    many_again = count(client, reverse(url_name))
    assert (few, few_again) == (first, again), f"{url_name} as {who}"
    assert (many, many_again) == (first, again), f"{url_name} as {who}, many rows"
    assert many <= BUDGET + 10 and many_again <= LIST_PAGE_QUERIES


@pytest.mark.django_db
@pytest.mark.parametrize("url_name,first", [("task_detail", 23), ("task_history", 19)])
def test_item_pages_queries_are_exact_and_do_not_grow_with_contributions(
    noivu, contrib_focal, chair_focal, url_name, first
):
    task = make_task(actor=noivu, contributors=("STC",))
    services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="1", submit=True
    )
    client = login(chair_focal)
    url = reverse(url_name, args=[task.pk])
    count(client, url)  # the user's roles and the header kept
    part = task.participations.get(agency__code="STC")
    services.participation_review(actor=chair_focal, participation=part, accept=False, reason="Sửa")
    few = count(client, url)
    few_again = count(client, url)
    for i in range(5):
        services.contribution_save(
            actor=contrib_focal, task=task, form="comment", body=str(i), submit=True
        )
        services.participation_review(
            actor=chair_focal, participation=part, accept=False, reason="Sửa"
        )
    many = count(client, url)
    many_again = count(client, url)
    # Built (the access check, the page's reads, then 5 queries writing its cached part),
    # then read again with no query for the item (the access check was kept with it) and
    # no need of the user's roles.
    assert (few, few_again) == (many, many_again) == (first, READ_FROM_CACHE - 1)
