"""List pages run the same number of queries for few and many rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import Agency
from reports import services
from tests.conftest import login
from tests.reports_factories import GOOD_SECTIONS, GOOD_VALUES, focal, report_of

pytestmark = pytest.mark.django_db

BUDGET = 20
LIST_PAGE_QUERIES = 12  # issue 14: a list page read from its cached parts


def _rounds(officer, years, codes):
    agencies = list(Agency.objects.filter(code__in=codes))
    for year in years:
        for rnd in services.rounds_create_for_year(actor=officer, year=year):
            rnd.required_agencies.set(agencies)
            rnd.reports.exclude(agency__in=agencies).delete()
            for code in codes:
                services.report_save(
                    actor=focal(code),
                    report=report_of(rnd, code),
                    sections=GOOD_SECTIONS,
                    indicators=GOOD_VALUES,
                    submit=True,
                )


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


FIRST = {"noivu": 27, "leader": 26}


@pytest.mark.parametrize("who", ["noivu", "leader"])
def test_reports_home_queries_do_not_grow_with_rounds(request, noivu, who):
    client = login(request.getfixturevalue(who))
    _rounds(noivu, [2021], ["STP"])
    _count(client, reverse("agency_list"))  # the user's roles and body kept
    few = _count(client, reverse("reports_home"))
    few_again = _count(client, reverse("reports_home"))
    _rounds(noivu, [2022, 2023, 2024], ["STP", "STC", "TUYHOA"])
    _count(client, reverse("agency_list"))  # the user's roles and body kept
    many = _count(client, reverse("reports_home"))
    many_again = _count(client, reverse("reports_home"))
    # Built (with the database cache, 5 queries write each cached part), then read again.
    # Built (the page's reads, then 5 queries writing its cached part with the database
    # cache), then read again: the session, the user, the data version, the user's roles
    # and body (kept), the two parts, the header, the notifications.
    assert (few, few_again) == (many, many_again) == (FIRST[who], 8)
    assert few <= BUDGET + 10 and few_again <= LIST_PAGE_QUERIES


def test_round_detail_queries_do_not_grow_with_bodies(noivu):
    client = login(noivu)
    _rounds(noivu, [2023], ["STP"])
    _rounds(noivu, [2024], ["STP", "STC", "TUYHOA", "SYT", "SNV", "STTTT"])
    from reports.models import ReportRound

    _count(client, reverse("reports_home"))  # the user's roles and the header kept

    few = _count(
        client, reverse("round_detail", args=[ReportRound.objects.get(year=2023, period="Q1").pk])
    )
    many = _count(
        client, reverse("round_detail", args=[ReportRound.objects.get(year=2024, period="Q1").pk])
    )
    # Each round's first view: the round through the access rule and its part, each read,
    # built and written to the cache (5 queries each with the database cache).
    assert few == many == 22


def test_focal_officer_home_queries_do_not_grow(noivu):
    user = focal("STP")
    client = login(user)
    _rounds(noivu, [2021], ["STP"])
    _count(client, reverse("reports_home"))  # the user's roles and the header kept
    _rounds(noivu, [2022], ["STP"])
    few = _count(client, reverse("reports_home"))
    _rounds(noivu, [2023, 2024], ["STP"])
    many = _count(client, reverse("reports_home"))
    assert few == many == 15 <= BUDGET
