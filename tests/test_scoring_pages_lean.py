"""Issue 14: the assessment page opens one area at a time (every area's figures listed,
"xem tất cả" for all), the results page shows each group's first rows; both serve their
long part from the cache until the data changes, with exact query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from scoring import services
from scoring.models import Assessment
from scoring.services import ScoreEntry
from scoring.views import periods
from tests.conftest import login
from tests.scoring_factories import (  # noqa: F401 - fast_passwords is an autouse fixture
    assessment_of,
    build_period,
    criterion,
    fast_passwords,
    score,
)
from tests.test_scoring_queries import scenario

D = Decimal


def inputs(page: str, assessment, *codes) -> list[bool]:
    return [f'name="score_{criterion(assessment, c).pk}"' in page for c in codes]


@pytest.fixture
def stp(noivu):
    return assessment_of(build_period(noivu, codes=("STP", "STC", "TUYHOA")), "STP")


@pytest.mark.django_db
def test_the_page_opens_the_first_area_with_criteria_left_to_score(stp, chair_focal):
    client = login(chair_focal)
    page = client.get(reverse("assessment_detail", args=[stp.pk])).content.decode()
    assert inputs(page, stp, "1.1", "1.2", "2.1", "3") == [True, True, False, False]
    # Every area is listed with its figures, the others one link away.
    area2, area3 = criterion(stp, "2"), criterion(stp, "3")
    assert f'href="?area={area2.pk}#a-{area2.pk}"' in page and "2. " in page
    assert page.count("đã tự chấm") == 3 + 1  # the three areas listed, the open one's heading
    services.score_self_assess(
        actor=chair_focal,
        assessment=stp,
        entries=[
            ScoreEntry(criterion(stp, c).pk, D(v), "") for c, v in (("1.1", "4"), ("1.2", "1"))
        ],
    )
    page = client.get(reverse("assessment_detail", args=[stp.pk])).content.decode()
    assert inputs(page, stp, "1.1", "2.1", "3") == [False, True, False]
    assert f'value="{area3.pk}">Lưu nháp, mở lĩnh vực 3<' in page.replace('name="next_area" ', "")


@pytest.mark.django_db
def test_an_area_or_all_of_them_open_on_request(stp, chair_focal):
    client = login(chair_focal)
    url = reverse("assessment_detail", args=[stp.pk])
    page = client.get(f"{url}?area={criterion(stp, '3').pk}").content.decode()
    assert inputs(page, stp, "1.1", "2.1", "3") == [False, False, True]
    page = client.get(f"{url}?area=all").content.decode()
    assert inputs(page, stp, "1.1", "1.2", "2.1", "3") == [True] * 4
    assert "Mỗi lần mở một lĩnh vực" in page
    # Anything else asked is the default.
    page = client.get(f"{url}?area=x1").content.decode()
    assert inputs(page, stp, "1.1", "3") == [True, False]


@pytest.mark.django_db
def test_saving_returns_to_the_area_or_opens_the_next(stp, chair_focal):
    client = login(chair_focal)
    save = reverse("assessment_save", args=[stp.pk])
    url = reverse("assessment_detail", args=[stp.pk])
    area2, area3 = criterion(stp, "2").pk, criterion(stp, "3").pk
    pk = criterion(stp, "1.2").pk
    response = client.post(save, {f"score_{pk}": "5", f"note_{pk}": "", "area": str(area2)})
    assert response.url == f"{url}?area={area2}"
    response = client.post(
        save, {f"score_{pk}": "5.5", "area": str(area2), "next_area": str(area3)}
    )
    assert response.url == f"{url}?area={area3}"
    assert score(stp, "1.2").self_score == D("5.5")
    # The cached sheet is built again after the save: the new value is on the page.
    page = client.get(f"{url}?area=all").content.decode()
    assert 'value="5.5"' in page


@pytest.mark.django_db
def test_the_evidence_fields_belong_to_the_form_outside_the_cached_sheet(stp, chair_focal):
    page = login(chair_focal).get(reverse("assessment_detail", args=[stp.pk])).content.decode()
    assert 'id="evidence">' in page and 'name="csrfmiddlewaretoken"' in page
    assert '<select name="scores" form="evidence" id="id_scores" multiple required>' in page
    pk = score(stp, "1.1").pk
    assert f'<option value="{pk}">1.1. ' in page
    assert page.count('name="once"') == 1


@pytest.mark.django_db
def test_results_show_each_groups_first_rows_and_all_on_request(
    noivu, monkeypatch, stp, chair_focal
):
    monkeypatch.setattr(periods, "RESULT_ROWS", 1)
    client = login(noivu)
    url = reverse("period_results", args=[stp.period_id])
    page = client.get(url).content.decode()
    assert "Xem tất cả 2 cơ quan" in page and 'href="?show=department#g-department"' in page
    assert page.count('data-label="Hạng"') == 2  # one department, one district
    page = client.get(f"{url}?show=department").content.decode()
    assert page.count('data-label="Hạng"') == 3 and "Thu gọn" in page
    # A new score is on the page at once (the cached part is built again).
    services.score_self_assess(
        actor=chair_focal,
        assessment=stp,
        entries=[ScoreEntry(criterion(stp, "1.2").pk, D("6"), "")],
    )
    assert "6,00" in client.get(f"{url}?show=department").content.decode()


def count(client, url, django_assert_num_queries, expected):
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


# First request after a change: the session and user, the data version, the user's roles
# (kept), the page's objects and the user's actions (a miss: read through the access rule,
# then written to the cache), the cached part (a miss), the part's reads, the cache's write
# (5 queries), the header (kept), the notifications. Again: the session and user, the data
# version, the page's objects (kept), the part, the header, the notifications, and what
# stays outside the part.
PAGES = [
    ("assessment_detail", "chair_focal", 26, 7),
    ("period_results", "noivu", 25, 8),
]


@pytest.mark.django_db
@pytest.mark.parametrize("name,who,first,again", PAGES)
@pytest.mark.parametrize("size", [1, 4])
def test_query_counts_are_exact_and_do_not_grow(
    request, django_assert_num_queries, noivu, chair_focal, name, who, first, again, size
):
    period, stp = scenario(noivu, chair_focal, size=size)  # with 1 or 4 documents
    # Back to the body's own step: the page its focal officer works on (inputs, evidence).
    Assessment.objects.filter(pk=stp.pk).update(status=Assessment.Status.DRAFT)
    client = login(request.getfixturevalue(who))
    url = reverse(name, args=[stp.pk if name == "assessment_detail" else period.pk])
    client.get(url)  # the session's first touch: the user's roles and the header kept
    Assessment.objects.filter(pk=stp.pk).update(closed_note="")  # a change: built again
    count(client, url, django_assert_num_queries, first)
    count(client, url, django_assert_num_queries, again)
