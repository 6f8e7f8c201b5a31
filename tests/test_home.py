"""The first screen fits the role: the province at a glance for leadership (items by
timeliness, the PAR index this year against last year, who has not sent the round that is
due), a council member's appraisals first, a body's work; every tile equals the rows it
links to."""

import datetime as dt
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coordination import services as coord
from coordination.models import Task
from reports.models import ReportRound
from reports.selectors import latest_round_missing
from scoring.models import Assessment, Target
from tests.conftest import login
from tests.factories import agency
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
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_round(codes=("STP",))
    client = login(leader)
    cache.clear()  # both requests build the page's cached parts
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    make_round(codes=("STP", "STC", "TUYHOA", "SYT", "SXD", "PHUHOA"))
    cache.clear()
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


# --- Issue 18: tiles equal rows, leadership's first screen, the council member's home -----


ROLES = [
    "noivu",
    "leader",
    "council",
    "chair_focal",
    "tracker_focal",
    "contrib_focal",
    "district_focal",
    "unrelated_focal",
    "chair_staff",
]


class _Tiles(HTMLParser):
    """The tiles of a page (``data-tile``: href and count) and, per element id, how many
    ``data-row`` rows it holds."""

    def __init__(self):
        super().__init__()
        self.tiles: list[tuple[str, int]] = []
        self.rows: dict[str, int] = {}
        self._open: list[str | None] = []

    VOID = {"br", "img", "input", "meta", "link", "hr", "col", "source", "wbr"}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-tile" in attrs:
            self.tiles.append((attrs["href"], int(attrs["data-tile"])))
        if "data-row" in attrs:
            for element_id in filter(None, self._open):
                self.rows[element_id] = self.rows.get(element_id, 0) + 1
        if tag not in self.VOID:
            self._open.append(attrs.get("id"))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self._open:
            self._open.pop()


def _parse(html: str) -> _Tiles:
    parser = _Tiles()
    parser.feed(html)
    return parser


def _return(task, chair_user, code):
    part = task.participations.get(agency__code=code)
    coord.participation_review(actor=chair_user, participation=part, accept=False, reason="Bổ sung")


@pytest.fixture
def year_of_items(noivu, chair_focal, contrib_focal, district_focal):
    """Items in every state the tiles count, from a demo-like year."""
    from tests.coordination_factories import make_task

    make_task(actor=noivu, title="Trong hạn", due=30)
    make_task(actor=noivu, title="Sắp đến hạn", due=3)
    overdue = make_task(actor=noivu, title="Quá hạn", due=20)
    Task.objects.filter(pk=overdue.pk).update(due_date=timezone.localdate() - dt.timedelta(days=4))
    # A coordinating body's own deadline has passed; the item's has not (stp's "1 Quá hạn").
    make_task(
        actor=noivu,
        title="Hạn riêng của cơ quan phối hợp đã qua",
        due=25,
        contributor_due_dates={agency("STC").pk: timezone.localdate() - dt.timedelta(days=1)},
    )
    returned = make_task(actor=noivu, title="Bị trả lại", due=15)
    coord.contribution_save(
        actor=contrib_focal, task=returned, form="comment", body="Ý kiến", submit=True
    )
    _return(returned, chair_focal, "STC")
    sent = make_task(actor=noivu, title="Đã gửi chờ xem xét", due=10)
    coord.contribution_save(
        actor=district_focal, task=sent, form="comment", body="Ý kiến", submit=True
    )
    make_task(actor=noivu, title="Dự thảo", due=10, assign=False)


def _rows_behind(client: Client, home: _Tiles, href: str) -> int:
    if href.startswith("?show="):  # the whole section, on the home page itself
        query, anchor = href.split("#")
        opened = _parse(client.get(reverse("home") + query).content.decode())
        return opened.rows.get(anchor, 0)
    response = client.get(href)
    assert response.status_code == 200, href
    return response.context["page"].paginator.count


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_tile_equals_the_rows_on_the_page_it_links_to(request, year_of_items, role):
    user = request.getfixturevalue(role)
    client = login(user)
    home = _parse(client.get(reverse("home")).content.decode())
    for href, count in home.tiles:
        assert _rows_behind(client, home, href) == count, (role, href)


@pytest.mark.django_db
def test_a_body_whose_own_deadline_passed_sees_the_overdue_row(year_of_items, contrib_focal):
    client = login(contrib_focal)
    response = client.get(reverse("home"))
    home = _parse(response.content.decode())
    assert ("?show=overdue#w-overdue", home.rows["w-overdue"]) in home.tiles
    work = response.context["work"]
    titles = {p.task.title for p in work["overdue"]}
    assert "Hạn riêng của cơ quan phối hợp đã qua" in titles
    assert home.rows["w-overdue"] == len(work["overdue"]) == work["counts"]["overdue"]


@pytest.mark.django_db
def test_leadership_tiles_link_to_the_item_list_by_state(year_of_items, leader):
    html = login(leader).get(reverse("home")).content.decode()
    assert f'href="{reverse("task_list")}?timeliness=overdue"' in html
    # The province comes first: tiles, then the PAR index and reports, then bodies.
    assert html.index('id="province"') < html.index('id="by-body"')


@pytest.mark.django_db
def test_home_queries_are_constant_for_a_body(year_of_items, chair_focal):
    from tests.coordination_factories import make_task

    client = login(chair_focal)
    cache.clear()  # both requests build every cached part (the bell's count too)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    for i in range(4):
        make_task(title=f"Thêm {i}", due=5 + i)
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("home"))
    assert len(few) == len(many)


# The latest round that is due.


@pytest.mark.django_db
def test_the_round_open_now_is_shown_not_an_old_one(leader):
    today = timezone.localdate()
    old = make_round(codes=("STP", "STC"), year=2024, deadline=dt.date(2024, 12, 10))
    ReportRound.objects.filter(pk=old.pk).update(period_start=dt.date(2024, 1, 1))
    now = make_round(codes=("STP", "STC"), year=today.year, deadline=today + dt.timedelta(days=8))
    # A round opened ahead of its data period is not due yet.
    ahead = make_round(
        codes=("STP", "STC"), year=today.year, deadline=today + dt.timedelta(days=90)
    )
    ReportRound.objects.filter(pk=ahead.pk).update(
        period_start=today + dt.timedelta(days=10), period_end=today + dt.timedelta(days=80)
    )
    shown = latest_round_missing(leader)
    assert shown["round"] == now and not shown["passed"]
    html = login(leader).get(reverse("home")).content.decode()
    assert "Đang nhận báo cáo, hạn gửi" in html
    ReportRound.objects.filter(pk=now.pk).delete()
    shown = latest_round_missing(leader)
    assert shown["round"] == old and shown["passed"]
    assert "(đã qua)" in login(leader).get(reverse("home")).content.decode()


# This year's PAR self-score against last year's official result.


def _score_all(assessment, values: dict[str, str], *, final: bool):
    from scoring.models import Score

    for s in Score.objects.filter(assessment=assessment).select_related("criterion"):
        value = values.get(s.criterion.code)
        if value is None:
            continue
        s.self_score = Decimal(value)
        if final:
            s.appraised_score = s.final_score = Decimal(value)
        s.save()


@pytest.fixture
def two_years(noivu):
    from scoring import services as scoring
    from scoring.models import Assessment, Target
    from tests.scoring_factories import build_set, windows

    def period(year: int):
        province = build_set(target=Target.PROVINCE, year=year)
        return scoring.period_create(
            actor=noivu,
            year=year,
            title=f"Đợt {year}",
            windows=windows(),
            agencies=[agency("STP"), agency("STC")],
            department_set=build_set(year=year),
            province_set=province,
        )

    before, now = period(2025), period(2026)
    leaves = {"1.1": "4", "1.2": "6", "2.1": "14.5", "3": "0"}
    province_before = Assessment.objects.get(period=before, criteria_set__target=Target.PROVINCE)
    _score_all(province_before, leaves, final=True)
    for code, value in (("STP", "4"), ("STC", "10")):
        a = Assessment.objects.get(period=before, agency__code=code)
        _score_all(
            a,
            {"1.1": value if code == "STP" else "4", "1.2": "6" if code == "STC" else "0"},
            final=True,
        )
    Assessment.objects.filter(period=before).update(status=Assessment.Status.FINALISED)
    type(before).objects.filter(pk=before.pk).update(published_at=timezone.now())
    province_now = Assessment.objects.get(period=now, criteria_set__target=Target.PROVINCE)
    _score_all(province_now, {"1.1": "4", "1.2": "6"}, final=False)
    return before, now


@pytest.mark.django_db
def test_leadership_sees_this_years_self_score_against_last_years_official(two_years, leader):
    client = login(leader)
    html = client.get(reverse("home")).content.decode()
    assert "Tỉnh tự chấm năm 2026" in html
    assert "33,33%" in html  # 10 of 30 so far
    assert "Kết quả chính thức năm 2025" in html
    assert "81,67%" in html  # 24.5 of 30, finalised and published
    # Half scored: no difference against a whole year, the progress instead.
    assert "điểm phần trăm so với năm trước" not in html
    assert "So sánh với năm trước khi tỉnh tự chấm xong (đã chấm 2/4 tiêu chí)." in html
    _, now = two_years
    province_now = Assessment.objects.get(period=now, criteria_set__target=Target.PROVINCE)
    _score_all(province_now, {"2.1": "10", "3": "0"}, final=False)
    html = client.get(reverse("home")).content.decode()
    assert "66,67%" in html  # 20 of 30, every criterion scored
    assert "-15,00" in html and "điểm phần trăm so với năm trước" in html
    # Last year's ranking in brief: first and last of the departments.
    assert "Xếp hạng năm 2025" in html
    assert "hạng 1 Sở Tài chính (33,33%)" in html
    assert "hạng 2 Sở Tư pháp (13,33%)" in html


@pytest.mark.django_db
def test_leadership_home_queries_do_not_grow_with_years_and_bodies(two_years, leader):
    client = login(leader)
    make_round(codes=("STP",))
    cache.clear()  # both requests build every cached part (the bell's count too)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    make_round(codes=("STP", "STC", "TUYHOA", "SYT"))
    from tests.coordination_factories import make_task

    make_task(title="Thêm", due=3)
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("home"))
    assert len(few) == len(many)


@pytest.mark.django_db
def test_a_body_does_not_get_the_province_figures(two_years, chair_focal):
    html = login(chair_focal).get(reverse("home")).content.decode()
    assert 'id="par"' not in html and 'id="province"' not in html


# The council member.


@pytest.mark.django_db
def test_the_council_member_sees_her_appraisals_first_not_the_bodys_work(noivu, council):
    from scoring import services as scoring
    from tests.coordination_factories import make_task
    from tests.scoring_factories import assessment_of, build_period

    make_task(actor=noivu, chair="SNV", tracker="VPUBND", title="Việc của Sở Nội vụ")
    period = build_period(noivu, codes=("STP", "STC"))
    stp, stc = assessment_of(period, "STP"), assessment_of(period, "STC")
    scoring.assignment_add(actor=noivu, period=period, user=council, assessment=stp)
    scoring.assignment_add(actor=noivu, period=period, user=council, assessment=stc)
    from scoring.models import Assessment

    Assessment.objects.filter(pk=stp.pk).update(status=Assessment.Status.SUBMITTED)
    response = login(council).get(reverse("home"))
    html = response.content.decode()
    assert "Việc thẩm định của anh/chị" in html
    assert "Việc của Nội vụ" not in html and "Việc của Sở Nội vụ" not in html
    # A link only where she can act; the other says why not.
    assert reverse("assessment_appraise", args=[stp.pk]) in html
    assert reverse("assessment_appraise", args=[stc.pk]) not in html
    assert "Chưa đến bước thẩm định" in html


@pytest.mark.django_db
# The leader's ranking reads the ranked bodies' former names (names of the year): one query.
# The first request builds the page's cached parts (each: its data version, a cache miss,
# the reads, the cache write: 5 queries with the database cache), among them the user's
# roles and body, the header (a round was just opened: the bodies' data changed) and the
# bell's unread count; the next one reads them from the cache (agencies.fragments).
@pytest.mark.parametrize(
    ("role", "first", "again"),
    [("leader", 51, 8), ("chair_focal", 32, 7), ("council", 25, 7)],
)
def test_home_query_budget(
    request, django_assert_num_queries, two_years, year_of_items, role, first, again
):
    """Exact counts: the session and user, roles, notifications, then the page's reads."""
    client = login(request.getfixturevalue(role))
    make_round(codes=("STP", "STC"))
    with django_assert_num_queries(first):
        assert client.get(reverse("home")).status_code == 200
    with django_assert_num_queries(again):
        assert client.get(reverse("home")).status_code == 200
