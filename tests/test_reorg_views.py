"""The reorganisation pages (reorg/views.py) and the directory over time (agencies/views.py):
upload with errors stores nothing, the preview says what moves, "Áp dụng phương án" acts
once after a confirmation, a one-off change, the directory "as of" a date and a body's
lineage. The rules themselves are tested in tests/test_reorg_plan.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agencies.lineage import forget_provinces
from agencies.models import Agency, Succession, User
from coordination.models import Participation
from reorg.models import Plan
from reorg.services import plan_apply, plan_from_file
from tests.coordination_factories import make_task
from tests.factories import AgencyFactory, UserFactory

PLANS = Path(settings.BASE_DIR) / "reorg" / "plans"
DEPARTMENTS = "2025-03-01-departments.csv"
COMMUNES = "2025-07-01-communes.csv"
HEADER = (
    "change,from_codes,to_code,to_name,to_short_name,to_abbreviation,to_kind,to_level,"
    "default,effective_date,legal_basis\n"
)
BASIS = "Nghị định 45/2025/NĐ-CP"
ONCE = "mot-lan-gui-bieu-mau-0001"


@pytest.fixture(autouse=True)
def _fresh_province():
    forget_provinces()
    yield
    forget_provinces()


def plan_file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (PLANS / name).read_bytes(), content_type="text/csv")


def csv_file(*lines: str, name: str = "phuong-an.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (HEADER + "\n".join(lines) + "\n").encode(), "text/csv")


def draft(actor, name: str = DEPARTMENTS) -> Plan:
    return plan_from_file(actor=actor, upload=plan_file(name))


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- Who may use the pages ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["leader", "council", "chair_focal", "unrelated_focal"])
def test_other_roles_are_refused_and_see_no_menu_entry(cast, who, noivu):
    plan = draft(noivu)
    client = cast(who)
    assert client.get(reverse("reorg_plans")).status_code == 403
    assert client.get(reverse("reorg_plan", args=[plan.pk])).status_code == 403
    response = client.post(reverse("reorg_apply", args=[plan.pk]), {"confirmed": "1"})
    assert response.status_code == 403
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.DRAFT
    assert "Sắp xếp cơ quan" not in page(client, reverse("home"))


@pytest.mark.django_db
def test_noivu_officers_and_administrators_see_the_plans(cast, noivu, client):
    plan = draft(noivu)
    html = page(cast("noivu"), reverse("reorg_plans"))
    assert "Sắp xếp cơ quan" in html  # the menu entry
    assert plan.title in html and "01/03/2025" in html and "Chờ xác nhận" in html
    admin = UserFactory(username="quan_tri", agency=None, is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get(reverse("reorg_plan", args=[plan.pk])).status_code == 200
    assert client.get(reverse("reorg_plan", args=[999999])).status_code == 404


# --- Upload ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_plan_with_errors_is_listed_by_line_and_nothing_is_stored(cast):
    upload = csv_file(
        f"merge,SKHDT;STC,STC,Sở Tài chính,Tài chính,STC,department,province,,2025-03-01,{BASIS}",
        f"merge,KHONGCO,STC,Sở Tài chính,Tài chính,STC,department,province,,2025-03-01,{BASIS}",
    )
    response = cast("noivu").post(reverse("reorg_upload"), {"file": upload, "once": ONCE})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tệp có lỗi, chưa lưu gì" in html and "Dòng 3" in html and "KHONGCO" in html
    assert not Plan.objects.exists()
    assert Agency.objects.get(code="SKHDT").valid_to is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name,content,message",
    [
        ("phuong-an.xlsx", b"change,from_codes\n", "không đúng với loại XLSX"),
        ("phuong-an.csv", b"PK\x03\x04rest-of-a-zip", "không đúng với loại CSV"),
        ("phuong-an.pdf", b"%PDF-1.4", "Chỉ nhận tệp .csv hoặc .xlsx"),
    ],
)
def test_a_file_is_checked_by_its_content(cast, name, content, message):
    upload = SimpleUploadedFile(name, content)
    response = cast("noivu").post(reverse("reorg_upload"), {"file": upload, "once": ONCE})
    assert response.status_code == 200 and message in response.content.decode()
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_the_departments_plan_uploads_to_a_preview_of_what_moves(cast, noivu):
    task = make_task(actor=noivu, contributors=("SKHDT", "SYT"), title="Kế hoạch đầu tư công")
    client = cast("noivu")
    response = client.post(reverse("reorg_upload"), {"file": plan_file(DEPARTMENTS), "once": ONCE})
    plan = Plan.objects.get()
    assert response.status_code == 302 and response.url == reverse("reorg_plan", args=[plan.pk])
    html = page(client, response.url)
    assert "Sở Kế hoạch và Đầu tư</strong> — Hợp nhất, sáp nhập → Sở Tài chính" in html
    assert task.title in html and reverse("task_detail", args=[task.pk]) in html
    assert "Sở Nông nghiệp và Môi trường" in html  # created
    assert "Áp dụng phương án" in html and "data-confirm" in html
    assert 'name="deactivate_users"' in html
    # The split of Sở Lao động – Thương binh và Xã hội names its default successor.
    assert "Sở Nội vụ (mặc định)" in html
    assert Agency.objects.get(code="SKHDT").valid_to is None  # nothing changed yet


# --- Apply -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_apply_asks_first_then_applies_once(cast, noivu):
    task = make_task(actor=noivu, contributors=("SKHDT",), title="Kế hoạch đầu tư công")
    plan = draft(noivu)
    client = cast("noivu")
    url = reverse("reorg_apply", args=[plan.pk])
    asked = client.post(url, {})
    assert asked.status_code == 200 and "Áp dụng phương án" in asked.content.decode()
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.DRAFT

    response = client.post(url, {"confirmed": "1"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.is_applied and plan.applied_by == noivu
    assert Agency.objects.get(code="SKHDT").valid_to == dt.date(2025, 2, 28)
    assert Participation.objects.filter(task=task, agency__code="STC").exists()
    html = page(client, reverse("reorg_plan", args=[plan.pk]))
    assert "Kết quả áp dụng" in html and "Áp dụng phương án</button>" not in html
    assert "Sở Kế hoạch và Đầu tư" in html and "Nhiệm vụ, lượt tham gia phối hợp: 1" in html

    again = client.post(url, {"confirmed": "1"}, follow=True)
    assert "đã được áp dụng; không áp dụng lại" in again.content.decode()
    assert Succession.objects.filter(predecessor__code="SKHDT").count() == 1


@pytest.mark.django_db
def test_users_of_ended_bodies_are_deactivated_when_asked(cast, noivu):
    kept = UserFactory(username="t_skhdt", agency=Agency.objects.get(code="SKHDT"))
    plan = draft(noivu)
    cast("noivu").post(
        reverse("reorg_apply", args=[plan.pk]), {"confirmed": "1", "deactivate_users": "1"}
    )
    kept.refresh_from_db()
    assert not kept.is_active and kept.agency.code == "SKHDT"
    assert Plan.objects.get(pk=plan.pk).deactivate_users


@pytest.mark.django_db
def test_a_split_item_goes_to_the_successor_picked_in_the_preview(cast, noivu):
    plan_apply(draft(noivu), actor=noivu)
    task = make_task(actor=noivu, contributors=("TUYHOA",), title="Rà soát TTHC cấp huyện")
    plan = draft(noivu, COMMUNES)
    client = cast("noivu")
    html = page(client, reverse("reorg_plan", args=[plan.pk]))
    field = f'name="choice:TUYHOA/task:{task.pk}"'
    assert field in html and '<option value="PPHUYEN">' in html
    assert '<option value="PTUYHOA" selected>' in html  # the default is preselected
    url = reverse("reorg_apply", args=[plan.pk])
    wrong = client.post(url, {f"choice:TUYHOA/task:{task.pk}": "STP", "confirmed": "1"})
    assert wrong.status_code == 200 and "không phải cơ quan kế thừa" in wrong.content.decode()
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.DRAFT
    client.post(url, {f"choice:TUYHOA/task:{task.pk}": "PPHUYEN", "confirmed": "1"})
    assert Participation.objects.filter(task=task, agency__code="PPHUYEN").exists()
    assert not Participation.objects.filter(task=task, agency__code="PTUYHOA").exists()


@pytest.mark.django_db
def test_two_split_bodies_on_one_item_each_get_their_own_pick(cast, noivu):
    """Thành phố Tuy Hòa and Thị xã Sông Cầu both take part in one item: each has its own
    select, and each part goes to the successor picked for that body."""
    plan_apply(draft(noivu), actor=noivu)
    task = make_task(actor=noivu, contributors=("TUYHOA", "SONGCAU"), title="Một cửa liên thông")
    plan = draft(noivu, COMMUNES)
    client = cast("noivu")
    html = page(client, reverse("reorg_plan", args=[plan.pk]))
    assert f'name="choice:TUYHOA/task:{task.pk}"' in html
    assert f'name="choice:SONGCAU/task:{task.pk}"' in html
    picks = {
        f"choice:TUYHOA/task:{task.pk}": "PBINHKIEN",
        f"choice:SONGCAU/task:{task.pk}": "XXUANLOC",
    }
    client.post(reverse("reorg_apply", args=[plan.pk]), {**picks, "confirmed": "1"})
    codes = set(Participation.objects.filter(task=task).values_list("agency__code", flat=True))
    assert {"PBINHKIEN", "XXUANLOC"} <= codes and not {"PTUYHOA", "PSONGCAU"} & codes


@pytest.mark.django_db
def test_a_draft_is_discarded_after_a_confirmation(cast, noivu):
    plan = draft(noivu)
    client = cast("noivu")
    url = reverse("reorg_discard", args=[plan.pk])
    assert client.post(url, {}).status_code == 200  # the question
    assert Plan.objects.filter(pk=plan.pk).exists()
    response = client.post(url, {"confirmed": "1"})
    assert response.status_code == 302 and response.url == reverse("reorg_plans")
    assert not Plan.objects.filter(pk=plan.pk).exists()


# --- One-off change --------------------------------------------------------------------------


def _change(**overrides) -> dict:
    return {
        "change": "new",
        "to_code": "ttpvhcc",
        "to_name": "Trung tâm Phục vụ hành chính công tỉnh",
        "to_short_name": "Phục vụ hành chính công",
        "to_abbreviation": "TTPVHCC",
        "to_kind": "other",
        "to_level": "province",
        "effective_date": "2027-01-01",
        "legal_basis": "Quyết định thử của UBND tỉnh",
        "once": ONCE,
        **overrides,
    }


@pytest.mark.django_db
def test_a_one_off_new_body_is_a_plan_of_one_row(cast, noivu):
    client = cast("noivu")
    response = client.post(reverse("reorg_change"), _change())
    plan = Plan.objects.get()
    assert response.status_code == 302
    assert plan.rows[0]["to_code"] == "TTPVHCC" and plan.rows[0]["from_codes"] == []
    assert plan.title == "Thành lập mới: Trung tâm Phục vụ hành chính công tỉnh"
    client.post(reverse("reorg_apply", args=[plan.pk]), {"confirmed": "1"})
    created = Agency.objects.get(code="TTPVHCC")
    assert created.valid_from == dt.date(2027, 1, 1) and created.kind == Agency.Kind.OTHER


@pytest.mark.django_db
def test_a_one_off_rename_keeps_the_existing_body_and_its_old_name(cast, noivu):
    stp = Agency.objects.get(code="STP")
    data = _change(
        change="rename",
        from_bodies=[stp.pk],
        to_code="STP",
        to_name="Sở Tư pháp (tên mới)",
        to_short_name="",
        to_abbreviation="",
        to_kind="",
        to_level="",
    )
    client = cast("noivu")
    client.post(reverse("reorg_change"), data)
    plan = Plan.objects.get()
    assert plan.rows[0]["to_short_name"] == "Tư pháp"  # kept from the body
    client.post(reverse("reorg_apply", args=[plan.pk]), {"confirmed": "1"})
    html = page(client, reverse("agency_detail", args=["STP"]))
    assert "Sở Tư pháp (tên mới)" in html and "Tên trước đây" in html
    assert "dùng đến ngày 31/12/2026" in html


@pytest.mark.django_db
def test_a_one_off_change_with_errors_keeps_what_was_typed(cast):
    data = _change(change="merge", to_code="STC", to_name="Tên đã gõ cho sáp nhập")
    response = cast("noivu").post(reverse("reorg_change"), data)
    html = response.content.decode()
    assert response.status_code == 200 and "Hãy chọn cơ quan trước khi sắp xếp." in html
    assert 'value="Tên đã gõ cho sáp nhập"' in html and 'value="2027-01-01"' in html
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_a_one_off_change_the_service_refuses_is_shown_and_not_stored(cast):
    skhdt = Agency.objects.get(code="SKHDT")
    data = _change(change="merge", from_bodies=[skhdt.pk], to_code="KHONGCO", to_name="")
    response = cast("noivu").post(reverse("reorg_change"), data)
    assert response.status_code == 200
    assert "Thay đổi chưa được lưu" in response.content.decode()
    assert not Plan.objects.exists()


# --- The directory over time -------------------------------------------------------------


@pytest.mark.django_db
def test_the_directory_lists_the_bodies_of_a_date_with_their_names_then(cast, noivu):
    plan_apply(draft(noivu), actor=noivu)
    client = cast("chair_focal")
    today = page(client, reverse("agency_list"))
    assert "Sở Kế hoạch và Đầu tư" not in today and "Sở Nông nghiệp và Môi trường" in today
    before = page(client, reverse("agency_list") + "?on=2025-02-28")
    assert "Sở Kế hoạch và Đầu tư" in before and "Sở Nông nghiệp và Môi trường" not in before
    assert "Các cơ quan hoạt động ngày 28/02/2025" in before
    everything = page(client, reverse("agency_list") + "?ended=1")
    assert "Sở Kế hoạch và Đầu tư" in everything and "đến 28/02/2025" in everything


@pytest.mark.django_db
def test_a_wrong_date_gets_a_vietnamese_message_not_an_error(cast):
    html = page(cast("chair_focal"), reverse("agency_list") + "?on=31-02-2025")
    assert "Ngày “31-02-2025” không hợp lệ" in html and "Sở Tư pháp" in html


@pytest.mark.django_db
def test_communes_are_their_own_group(cast, noivu):
    plan_apply(draft(noivu), actor=noivu)
    plan_apply(draft(noivu, COMMUNES), actor=noivu)
    html = page(cast("chair_focal"), reverse("agency_list"))
    assert "UBND cấp xã" in html and "Ủy ban nhân dân phường Phú Yên" in html


@pytest.mark.django_db
def test_a_body_shows_its_lineage_both_ways(cast, noivu):
    plan_apply(draft(noivu), actor=noivu)
    client = cast("unrelated_focal")
    stc = page(client, reverse("agency_detail", args=["STC"]))
    assert "Tiếp nhận từ" in stc and reverse("agency_detail", args=["SKHDT"]) in stc
    assert "từ ngày 01/03/2025" in stc and BASIS in stc
    skhdt = page(client, reverse("agency_detail", args=["SKHDT"]))
    assert "Chuyển giao cho" in skhdt and reverse("agency_detail", args=["STC"]) in skhdt
    sldtbxh = page(client, reverse("agency_detail", args=["SLDTBXH"]))
    assert "nhận công việc đang mở" in sldtbxh  # the split's default successor


def _many_bodies(count: int) -> None:
    for n in range(count):
        body = AgencyFactory(code=f"QCOUNT{n}", valid_to=dt.date(2025, 6, 30))
        body.former_names.create(
            code=f"QOLD{n}", name=f"Tên cũ {n}", short_name="cũ", abbreviation="C",
            valid_to=dt.date(2024, 12, 31),
        )  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?on=2024-06-01", "?ended=1"])
def test_the_directory_costs_the_same_queries_with_many_bodies(
    cast, django_assert_num_queries, query
):
    client = cast("chair_focal")
    client.get(reverse("agency_list"))  # the session and the province, as on any page
    with django_assert_num_queries(QUERIES_LIST):
        page(client, reverse("agency_list") + query)
    _many_bodies(15)
    client.get(reverse("agency_list") + query)  # the user's roles and header read again
    with django_assert_num_queries(QUERIES_LIST):
        html = page(client, reverse("agency_list") + query)
    assert ("Tên cũ 14" in html) == (query == "?on=2024-06-01")  # the name of that date
    assert ("QCOUNT14" in html) == (query != "")  # ended 30/06/2025


@pytest.mark.django_db
def test_a_body_page_costs_the_same_queries_with_a_long_lineage(
    cast, noivu, django_assert_num_queries
):
    client = cast("chair_focal")
    client.get(reverse("agency_detail", args=["STC"]))
    with django_assert_num_queries(QUERIES_DETAIL):
        page(client, reverse("agency_detail", args=["STC"]))
    plan_apply(draft(noivu), actor=noivu)
    User.objects.filter(agency__code="STC").update(is_active=True)
    client.get(reverse("agency_detail", args=["STC"]))  # the user's roles and header read again
    with django_assert_num_queries(QUERIES_DETAIL):
        html = page(client, reverse("agency_detail", args=["STC"]))
    assert "Sở Kế hoạch và Đầu tư" in html


# Session, user, the data version, the header (cached) and the notifications count (as on
# every page), then the page's own: the bodies and their former names (list); the body,
# its users, their groups, its former names and its two lineage queries (detail). Neither
# asks the user's roles.
QUERIES_LIST = 7
QUERIES_DETAIL = 10


@pytest.mark.django_db
def test_the_plans_page_costs_the_same_queries_with_many_plans(
    cast, noivu, django_assert_num_queries
):
    client = cast("noivu")
    draft(noivu)
    client.get(reverse("reorg_plans"))
    with django_assert_num_queries(QUERIES_PLANS):
        page(client, reverse("reorg_plans"))
    plan_apply(Plan.objects.get(), actor=noivu)
    for n in range(4):
        data = _change(to_code=f"TTMOI{n}", to_name=f"Trung tâm mới {n}", once=f"{ONCE}-{n}")
        client.post(reverse("reorg_change"), data)
    client.get(reverse("reorg_plans"))  # the user's roles and header read again
    with django_assert_num_queries(QUERIES_PLANS):
        html = page(client, reverse("reorg_plans"))
    assert "Trung tâm mới 3" in html and "Đã áp dụng" in html


# As on every page (5) and the user's roles and body (kept), then the plans with who
# entered and applied them (1), and the bodies the one-off form offers (2: the body picker
# reads its choices twice, as on the item form).
QUERIES_PLANS = 9
