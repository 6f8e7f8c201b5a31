"""The demo's 2025 scenario (issue 15 §7): ``seed_demo --scenario 2025`` builds the default
demo's history, then applies the three plans of reorg/plans/ through the reorganisation
service as the demo's Nội vụ officer. Seeded once for the module (inside a transaction
rolled back at its end); each test runs in its own savepoint."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from agencies import roles
from agencies.lineage import forget_provinces, name_on, province_on
from agencies.models import Agency, Province, Succession, User
from coordination.models import Participation, Task
from phuyen_cchc.home import demo_area_notice
from reorg import demo as reorg_demo
from reorg.access import manages_plans
from reorg.models import Plan
from reports.models import AgencyReport, ReportRound
from reports.pdf import issuer_lines
from scoring.models import Assessment
from tests.conftest import login

PASSWORD = "Mat-khau-demo-2025"
NOTICE = (
    "Dữ liệu trình diễn chỉ gồm các cơ quan, địa phương thuộc tỉnh Phú Yên cũ; các cơ quan "
    "của tỉnh Đắk Lắk trước sắp xếp chưa được nạp."
)


@pytest.fixture(scope="module")
def scenario(django_db_setup, django_db_blocker, tmp_path_factory):
    """The scenario seeded once (the command's output), rolled back after the module."""
    settings = override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("demo-2025") / "media",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        TASKS={
            "default": {
                "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                "QUEUES": django_settings.TASK_QUEUES,
            }
        },
    )
    with django_db_blocker.unblock(), settings, pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEMO_PASSWORD", PASSWORD)
        with transaction.atomic():
            out = io.StringIO()
            call_command("seed_demo", scenario="2025", stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)
    forget_provinces()


@pytest.fixture
def seeded(scenario, db):
    return scenario


def _body(code: str) -> Agency:
    return Agency.objects.get(code=code)


def _open_parts(agency: Agency):
    """The body's parts on items still open, but a contributor's part already accepted."""
    return Participation.objects.filter(agency=agency, task__in=Task.objects.open()).exclude(
        role="contribute", status__in=["accepted", "exempt"]
    )


def test_the_three_plans_are_applied_once_in_order(seeded):
    plans = list(Plan.objects.order_by("applied_at", "pk"))
    assert [p.title for p in plans] == [
        "2025-03-01-departments",
        "2025-07-01-communes",
        "2025-07-01-province",
    ]
    assert all(p.is_applied and p.applied_by.username == "noivu" for p in plans)
    assert len({p.digest for p in plans}) == 3
    assert Province.objects.count() == 2
    assert Succession.objects.filter(predecessor__code="TUYAN").count() == 5


def test_the_portal_stands_after_the_merger_today(seeded):
    today = timezone.localdate()
    assert Agency.objects.lead().code == "DL_SNV"
    assert province_on(today).short_name == "Đắk Lắk"
    for code in ("SKHDT", "SNNMT", "TUYAN", "TUYHOA", "SNV", "VPUBND"):
        assert not _body(code).exists_on(today), code
    assert set(Agency.objects.active().values_list("level", flat=True)) == {"province", "commune"}


def test_the_past_keeps_its_bodies_and_names(seeded):
    """2024's reports and the closed items still name Sở Kế hoạch và Đầu tư and Huyện Tuy
    An; a 2024 document rendered today still reads UBND TỈNH PHÚ YÊN."""
    q1 = ReportRound.objects.get(year=2024, period=ReportRound.Period.Q1)
    past = {r.agency.code: r for r in q1.reports.select_related("agency")}
    assert {"SKHDT", "TUYAN"} <= set(past)
    day = dt.date(2024, 3, 31)
    assert name_on(past["SKHDT"].agency, day).name == "Sở Kế hoạch và Đầu tư"
    assert name_on(past["TUYAN"].agency, day).name == "Ủy ban nhân dân huyện Tuy An"
    assert issuer_lines(past["SKHDT"].agency, day) == ("UBND TỈNH PHÚ YÊN", "SỞ KẾ HOẠCH VÀ ĐẦU TƯ")
    assert issuer_lines(_body("DL_SNV"), timezone.localdate())[0] == "UBND TỈNH ĐẮK LẮK"
    closed = Task.objects.get(title__startswith="Nhân rộng mô hình Bộ phận Một cửa")
    assert closed.is_closed
    assert set(closed.participations.values_list("agency__code", flat=True)) >= {"TUYHOA", "TUYAN"}
    noivu = login(User.objects.get(username="noivu"))
    html = noivu.get(reverse("round_detail", args=[q1.pk])).content.decode()
    assert "Kế hoạch và Đầu tư" in html and "Tuy An" in html


def test_the_open_work_of_tuy_an_is_at_its_successors(seeded):
    tuyan = _body("TUYAN")
    successors = set(Agency.objects.filter(predecessors=tuyan).values_list("code", flat=True))
    assert successors == {"XTUYANBAC", "XTUYANDONG", "XOLOAN", "XTUYANNAM", "XTUYANTAY"}
    assert not _open_parts(tuyan).exists()
    # In every round current on the change's date (deadline on or after it) it owes nothing:
    # where it is still required, it has sent. Rounds due before keep their past as it was.
    current = ReportRound.objects.filter(
        status=ReportRound.Status.OPEN, deadline__gte=tuyan.valid_to
    )
    for rnd in current.filter(required_agencies=tuyan):
        report = rnd.reports.get(agency=tuyan)
        assert not report.is_editable, rnd.title
    assert not [
        r for r in AgencyReport.objects.filter(agency=tuyan, round__in=current) if r.is_editable
    ]


def test_rounds_of_years_before_the_change_keep_their_bodies(seeded):
    """A round of a period that ended before the plans (2024) is the past, even if nobody
    closed it: its reports and places stay with the bodies of that time, never with a body
    that did not exist yet."""
    first_change = Plan.objects.order_by("effective_date").first().effective_date
    for rnd in ReportRound.objects.filter(deadline__lt=first_change):
        later = rnd.required_agencies.filter(valid_from__gte=first_change)
        assert not later.exists(), (rnd.title, list(later.values_list("code", flat=True)))
        assert not rnd.reports.filter(agency__valid_from__gte=first_change).exists(), rnd.title


def test_the_items_of_tuy_hoa_went_where_the_officer_chose(seeded):
    """The split's preview choices: two items to other new wards than the default one."""
    plan = Plan.objects.get(title="2025-07-01-communes")
    assert sorted(plan.choices.values()) == ["PBINHKIEN", "PPHUYEN"]
    for key, code in plan.choices.items():
        task = Task.objects.get(pk=int(key.split(":")[1]))
        codes = set(task.participations.values_list("agency__code", flat=True))
        assert code in codes and "TUYHOA" not in codes, task.title
    tuyhoa = _body("TUYHOA")
    assert not _open_parts(tuyhoa).exists()
    assert Participation.objects.filter(agency__code="PTUYHOA").exists()  # the default
    # Its open self-assessment is closed with a note naming the change (the period has no
    # criteria set for communes, so the new wards get none there).
    closed = Assessment.objects.get(agency=tuyhoa)
    assert closed.status == Assessment.Status.CLOSED and closed.closed_note


@pytest.mark.parametrize(
    ("username", "code", "role"),
    [
        ("dl_snnmt", "DL_SNNMT", roles.FOCAL_OFFICER),
        ("snnptnt", "DL_SNNMT", roles.FOCAL_OFFICER),  # moved with its body, twice
        ("ptuyhoa", "PTUYHOA", roles.FOCAL_OFFICER),
        ("tuyhoa", "PTUYHOA", roles.FOCAL_OFFICER),  # the split's default successor
        ("pbinhkien", "PBINHKIEN", roles.FOCAL_OFFICER),
        ("tuyan", "XTUYANBAC", roles.FOCAL_OFFICER),
        ("noivu", "DL_SNV", roles.NOIVU_OFFICER),
        ("snv", "DL_SNV", roles.FOCAL_OFFICER),
        ("lanhdao", "DL_VP", roles.LEADERSHIP),
    ],
)
def test_the_demo_logins_belong_to_the_bodies_of_today(seeded, username, code, role):
    user = User.objects.select_related("agency").get(username=username)
    assert user.agency.code == code and user.is_active
    assert role in roles.user_roles(user)
    assert user.check_password(PASSWORD)
    if username in {"dl_snnmt", "ptuyhoa", "pbinhkien"}:
        assert f"  {username:<10} Cán bộ đầu mối – {user.agency.name}" in seeded


def test_the_printed_logins_name_the_bodies_of_today(seeded):
    assert "  noivu      Cán bộ CCHC Sở Nội vụ – Sở Nội vụ tỉnh Đắk Lắk" in seeded
    assert "  tuyan " not in seeded  # ended bodies' focal officers are not listed
    people = list(User.objects.filter(is_active=True).values_list("full_name", flat=True))
    assert len(people) == len(set(people)), "two demo people share a name"


def test_the_noivu_officer_still_works_after_the_move(seeded):
    noivu = User.objects.get(username="noivu")
    assert manages_plans(noivu)
    client = login(noivu)
    for url in (reverse("home"), reverse("task_list"), reverse("reorg_plans")):
        assert client.get(url).status_code == 200, url
    html = client.get(reverse("task_list")).content.decode()
    assert "Triển khai Hệ thống thông tin giải quyết thủ tục hành chính" in html


def test_the_new_bodies_officers_see_their_work(seeded):
    ward = login(User.objects.get(username="pbinhkien")).get(reverse("home")).content.decode()
    assert "Triển khai Hệ thống thông tin giải quyết thủ tục hành chính" in ward
    dept = login(User.objects.get(username="dl_snnmt"))
    assert dept.get(reverse("home")).status_code == 200


def test_the_home_page_says_only_the_former_area_is_loaded(seeded, settings):
    client = login(User.objects.get(username="ptuyhoa"))
    assert NOTICE not in client.get(reverse("home")).content.decode()  # not in production
    settings.DEMO_MODE = True
    assert NOTICE in client.get(reverse("home")).content.decode()


def test_a_second_run_applies_nothing_new(seeded, monkeypatch):
    def counts():
        return [
            m.objects.count()
            for m in (Plan, Agency, User, Succession, Province, Task, Participation, AgencyReport)
        ]

    before = counts()
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    out = io.StringIO()
    call_command("seed_demo", scenario="2025", stdout=out)
    assert counts() == before
    assert out.getvalue().count("đã áp dụng, bỏ qua") == 3


@pytest.mark.django_db
def test_the_default_demo_applies_no_plan(settings):
    """``make demo`` stays in the province as it was: reorg's seed does nothing, and
    with one province there is no notice. (Runs inside this module's seeded transaction
    when the scenario ran first: the provinces after the first are removed here.)"""
    Province.objects.exclude(pk=Province.objects.first().pk).delete()
    before = (Plan.objects.count(), Agency.objects.count(), Province.objects.count())
    reorg_demo.seed(password=PASSWORD, stdout=io.StringIO())
    assert (Plan.objects.count(), Agency.objects.count(), Province.objects.count()) == before
    settings.DEMO_MODE = True
    assert demo_area_notice() == ""
