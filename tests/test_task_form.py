"""The item form and the item pages (issue 18, points 2, 3, 4, 18): the grouped body
picker, working-day deadlines from a chosen start date with their preview, the reminder
letter from a late body's row, and dates that cannot be read."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agencies.models import Agency
from agencies.once import new_token
from agencies.widgets import DATE_INVALID, AgencyPicker, DateInput, picker_group
from coordination.calendar import count_working_days
from coordination.models import Participation, Task
from tests.conftest import login
from tests.coordination_factories import make_task
from tests.factories import agency, in_days

TET_2027 = dt.date(2027, 2, 1)  # a Monday; Tết Nguyên Đán is on Saturday 6 February 2027


def payload(**overrides):
    data = {
        "title": "Kế hoạch CCHC năm 2027",
        "category": "plan",
        "legal_basis": "",
        "description": "",
        "chair": agency("STP").pk,
        "tracker": agency("SNV").pk,
        "contributors": [agency("STC").pk, agency("TUYHOA").pk],
        "due_mode": "date",
        "due_date": in_days(20).isoformat(),
        "due_working_days": "",
        "due_start": "",
        "contributor_due_date": "",
        "recurrence": "",
        "once": new_token(),
    }
    data.update(overrides)
    return data


def queries(client, url, data=None) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data or {})
    return len(ctx.captured_queries), response


def checked_values(html: str, name: str) -> set[str]:
    return {
        m.group(1)
        for m in re.finditer(rf'<input type="checkbox" name="{name}" value="(\d+)"[^>]*>', html)
        if " checked" in m.group(0)
    }


# --- 2. The body picker ---------------------------------------------------------------


@pytest.mark.django_db
def test_bodies_are_grouped_by_kind_and_level():
    assert picker_group(agency("STP")) == "province"
    assert picker_group(agency("SNV")) == "province"
    assert picker_group(agency("VPUBND")) == "province"
    assert picker_group(agency("TUYHOA")) == "local"
    commune = Agency(kind=Agency.Kind.OTHER, level=Agency.Level.COMMUNE)
    assert picker_group(commune) == "local"
    assert picker_group(Agency(kind=Agency.Kind.OTHER, level=Agency.Level.PROVINCE)) == "other"


@pytest.mark.django_db
def test_the_item_form_offers_every_active_body_as_grouped_checkboxes(noivu):
    html = login(noivu).get(reverse("task_create")).content.decode()
    assert '<select name="contributors"' not in html
    assert "Giữ Ctrl" not in html
    picker = html[html.index("data-picker ") : html.index("data-picker-none")]
    for label in ("Văn phòng UBND tỉnh, sở, ban, ngành", "UBND cấp huyện, cấp xã"):
        assert label in picker
    boxes = re.findall(r'<input type="checkbox" name="contributors" value="(\d+)"', picker)
    active = Agency.objects.active()
    assert sorted(map(int, boxes)) == sorted(active.values_list("pk", flat=True))
    # One "Chọn tất cả" per group (shown by the script; plain checkboxes without it).
    assert picker.count("data-picker-all ") == picker.count("data-picker-group>") >= 2
    assert 'id="id_contributors_search"' in picker and "Tìm cơ quan theo tên" in picker
    assert "Đã chọn: <strong data-picker-count>0</strong>" in picker
    # Every checkbox has its own label (keyboard and screen readers).
    for i in range(len(boxes)):
        assert f'<label class="picker__option" for="id_contributors_{i}">' in picker


@pytest.mark.django_db
def test_a_refused_item_form_keeps_the_bodies_ticked_and_counted(noivu):
    stc, tuyhoa = agency("STC").pk, agency("TUYHOA").pk
    response = login(noivu).post(reverse("task_create"), payload(title=""))
    assert response.status_code == 200 and not Task.objects.exists()
    html = response.content.decode()
    assert checked_values(html, "contributors") == {str(stc), str(tuyhoa)}
    assert "Đã chọn: <strong data-picker-count>2</strong>" in html


@pytest.mark.django_db
def test_bodies_ticked_in_the_picker_become_coordinating_bodies(noivu):
    chosen = [agency(c).pk for c in ("STC", "SKHDT", "TUYHOA")]
    response = login(noivu).post(reverse("task_create"), payload(contributors=chosen))
    assert response.status_code == 302
    task = Task.objects.get()
    contributors = task.participations.filter(role=Participation.Role.CONTRIBUTE)
    assert sorted(contributors.values_list("agency_id", flat=True)) == sorted(chosen)
    assert task.history.exists()


@pytest.mark.django_db
def test_the_participants_page_uses_the_picker_with_the_current_bodies(noivu):
    task = make_task(actor=noivu, contributors=("STC", "TUYHOA"))
    html = login(noivu).get(reverse("task_participants", args=[task.pk])).content.decode()
    assert "data-picker " in html
    assert checked_values(html, "contributors") == {
        str(agency("STC").pk),
        str(agency("TUYHOA").pk),
    }


@pytest.mark.django_db
def test_the_participants_page_saves_what_is_ticked(noivu):
    task = make_task(actor=noivu, contributors=("STC",))
    data = {
        "chair": agency("STP").pk,
        "tracker": agency("SNV").pk,
        "contributors": [agency("SKHDT").pk],
    }
    response = login(noivu).post(reverse("task_participants", args=[task.pk]), data)
    assert response.status_code == 302
    codes = task.participations.filter(role="contribute").values_list("agency__code", flat=True)
    assert list(codes) == ["SKHDT"]


@pytest.mark.django_db
def test_a_report_round_chooses_its_bodies_with_the_picker(noivu):
    html = login(noivu).get(reverse("round_create")).content.decode()
    assert "data-picker " in html
    assert 'name="agencies"' in html and 'type="checkbox"' in html


def test_the_picker_is_the_widget_of_every_multi_body_field():
    from coordination.forms import ParticipantsForm, TaskCreateForm
    from reports.forms import RoundForm

    assert isinstance(TaskCreateForm.base_fields["contributors"].widget, AgencyPicker)
    assert isinstance(ParticipantsForm.base_fields["contributors"].widget, AgencyPicker)
    assert isinstance(RoundForm.base_fields["agencies"].widget, AgencyPicker)


# --- 3. Working-day deadlines from a chosen start date ----------------------------------


def test_working_days_over_tet_skip_the_holidays_and_weekends():
    count = count_working_days(TET_2027, 5)
    assert count.due == dt.date(2027, 2, 15)
    assert [off.day.day for off in count.skipped] == [4, 5, 6, 7, 8, 9, 10, 13, 14]
    assert [off.day.day for off in count.holidays] == [4, 5, 6, 7, 8, 9, 10]
    assert count.weekend_days == 2
    assert "Tết Nguyên Đán" in count.holidays[2].holiday  # names in Vietnamese


@pytest.mark.django_db
def test_an_item_planned_before_tet_counts_from_the_chosen_start(noivu):
    data = payload(due_mode="working_days", due_working_days="5", due_start="2027-02-01")
    response = login(noivu).post(reverse("task_create"), data)
    assert response.status_code == 302
    assert Task.objects.get().due_date == dt.date(2027, 2, 15)


@pytest.mark.django_db
def test_without_a_start_date_working_days_count_from_today(noivu):
    data = payload(due_mode="working_days", due_working_days="10", due_start="")
    assert login(noivu).post(reverse("task_create"), data).status_code == 302
    assert Task.objects.get().due_date == count_working_days(dt.date.today(), 10).due


@pytest.mark.django_db
def test_the_start_date_defaults_to_today_on_the_empty_form(noivu):
    html = login(noivu).get(reverse("task_create")).content.decode()
    assert f'name="due_start" value="{dt.date.today().isoformat()}"' in html
    assert 'data-deadline-preview="/tasks/new/deadline/"' in html


@pytest.mark.django_db
def test_the_deadline_preview_gives_the_date_and_the_days_skipped(noivu):
    url = reverse("deadline_preview")
    client = login(noivu)
    client.get(url, {"days": "1"})  # the user's roles kept, as for a user filling the form
    n, response = queries(client, url, {"days": "5", "start": "2027-02-01"})
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] and data["due"] == "2027-02-15" and data["start"] == "2027-02-01"
    assert [d["date"] for d in data["skipped"]][:2] == ["2027-02-04", "2027-02-05"]
    assert data["skipped"][-1] == {"date": "2027-02-14", "holiday": None}
    html = data["html"]
    assert "Hạn xử lý: Thứ 2, 15/02/2027" in html
    assert "Bỏ qua 9 ngày nghỉ: 2 ngày thứ Bảy, Chủ nhật và 7 ngày lễ, Tết." in html
    assert "Tết Nguyên Đán" in html
    # The session, the user, the data version and the user's roles (kept with their body:
    # agencies.middleware.KnownUserMiddleware).
    assert n == 4


@pytest.mark.django_db
def test_the_deadline_preview_accepts_the_vietnamese_date_form(noivu):
    response = login(noivu).get(reverse("deadline_preview"), {"days": "1", "start": "01/02/2027"})
    assert response.json()["due"] == "2027-02-02"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params,field,message",
    [
        ({"days": "abc", "start": "2027-02-01"}, "days", "Số ngày làm việc"),
        ({"days": "0", "start": "2027-02-01"}, "days", "Số ngày làm việc"),
        ({"days": "400"}, "days", "Số ngày làm việc"),
        ({"days": "5", "start": "31/02/2027"}, "start", "Ngày không hợp lệ"),
        ({"start": "2027-02-01"}, "days", ""),
    ],
)
def test_bad_input_to_the_deadline_preview_is_answered_in_vietnamese(noivu, params, field, message):
    response = login(noivu).get(reverse("deadline_preview"), params)
    assert response.status_code == 400
    data = response.json()
    assert data["ok"] is False and field in data["errors"]
    assert message in data["errors"][field][0]


@pytest.mark.django_db
def test_random_text_to_the_deadline_preview_is_answered_never_a_500(noivu):
    client = login(noivu)
    url = reverse("deadline_preview")

    @settings(
        max_examples=40,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(days=st.text(max_size=40), start=st.text(max_size=40))
    def ask(days, start):
        response = client.get(url, {"days": days, "start": start})
        assert response.status_code in (200, 400)
        assert response.json()["ok"] is (response.status_code == 200)

    ask()


@pytest.mark.django_db
def test_a_refused_form_shows_the_working_day_preview_again(noivu):
    data = payload(title="", due_mode="working_days", due_working_days="5", due_start="2027-02-01")
    html = login(noivu).post(reverse("task_create"), data).content.decode()
    assert "Hạn xử lý: Thứ 2, 15/02/2027" in html
    assert 'name="due_start" value="2027-02-01"' in html


@pytest.mark.django_db
def test_a_bad_start_date_is_refused_and_kept(noivu):
    data = payload(due_mode="working_days", due_working_days="5", due_start="30/02/2027")
    response = login(noivu).post(reverse("task_create"), data)
    html = response.content.decode()
    assert response.status_code == 200 and not Task.objects.exists()
    assert "Ngày không hợp lệ" in html
    assert 'type="text" name="due_start" value="30/02/2027"' in html


# --- 18. A date that cannot be read --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["31/02/2027", "15/13/2027", "ngày mai", "2027-02-30"])
def test_a_wrong_date_is_reported_as_invalid_and_kept_on_screen(noivu, typed):
    response = login(noivu).post(reverse("task_create"), payload(due_date=typed))
    assert response.status_code == 200 and not Task.objects.exists()
    html = response.content.decode()
    assert f'<ul class="errorlist" id="id_due_date_error"><li>{DATE_INVALID}</li>' in html
    assert "Hãy chọn hạn xử lý." not in html
    # A date input would show it blank: it comes back as text, exactly as typed.
    assert re.search(rf'<input type="text" name="due_date" value="{re.escape(typed)}"', html)


@pytest.mark.django_db
def test_an_empty_date_still_asks_for_one(noivu):
    html = login(noivu).post(reverse("task_create"), payload(due_date="")).content.decode()
    assert '<ul class="errorlist" id="id_due_date_error"><li>Hãy chọn hạn xử lý.</li>' in html


@pytest.mark.django_db
def test_a_date_written_day_first_is_read(noivu):
    due = in_days(30)
    response = login(noivu).post(reverse("task_create"), payload(due_date=due.strftime("%d/%m/%Y")))
    assert response.status_code == 302
    assert Task.objects.get().due_date == due


@pytest.mark.django_db
def test_a_wrong_date_in_the_edit_form_and_the_participants_form(noivu):
    task = make_task(actor=noivu, contributors=("STC",))
    client = login(noivu)
    response = client.post(
        reverse("task_edit", args=[task.pk]),
        {
            "title": task.title,
            "category": task.category,
            "legal_basis": "",
            "description": "",
            "due_date": "32/01/2027",
            "recurrence": "",
            "version": task.version,
        },
    )
    html = response.content.decode()
    assert str(DATE_INVALID) in html and 'value="32/01/2027"' in html
    task.refresh_from_db()
    assert task.due_date != dt.date(2027, 1, 32 - 1)
    stc = agency("STC").pk
    response = client.post(
        reverse("task_participants", args=[task.pk]),
        {
            "chair": agency("STP").pk,
            "tracker": agency("SNV").pk,
            "contributors": [stc],
            f"due_{stc}": "1/1/abc",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and str(DATE_INVALID) in html
    assert 'value="1/1/abc"' in html


def test_every_date_box_carries_the_message_for_the_browser_check():
    html = DateInput().render("d", None)
    assert 'type="date"' in html and "data-bad-date=" in html
    assert DateInput().render("d", dt.date(2027, 2, 6)).count('value="2027-02-06"') == 1
    assert 'value="2027-02-06"' in DateInput().render("d", "06/02/2027")
    assert 'type="text"' in DateInput().render("d", "06/02/20x7")


# --- 4. The reminder letter from a late body ---------------------------------------------


@pytest.fixture
def late_item(noivu):
    task = make_task(actor=noivu, contributors=("STC", "TUYHOA"))
    Task.objects.filter(pk=task.pk).update(due_date=in_days(-3))
    return task


@pytest.mark.django_db
def test_the_officer_gets_the_reminder_letter_from_a_late_bodys_row(noivu, late_item):
    html = login(noivu).get(reverse("task_detail", args=[late_item.pk])).content.decode()
    for code in ("STC", "TUYHOA", "STP"):
        assert reverse("reminder_letter_pdf", args=[code]) in html
    assert reverse("reminder_letter_pdf", args=["SNV"]) not in html  # the tracker is not late
    # The letter itself (made by a job; its page leads to the PDF).
    response = login(noivu).get(reverse("reminder_letter_pdf", args=["STC"]))
    assert response.status_code in {200, 303}


@pytest.mark.django_db
def test_no_reminder_letter_link_for_a_body_that_is_not_late(noivu):
    task = make_task(actor=noivu, contributors=("STC",))
    html = login(noivu).get(reverse("task_detail", args=[task.pk])).content.decode()
    assert "/reports/reminders/" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["leader", "chair_focal", "contrib_focal", "chair_staff"])
def test_who_may_not_download_the_letter_is_not_offered_it(request, late_item, who):
    client = login(request.getfixturevalue(who))
    html = client.get(reverse("task_detail", args=[late_item.pk])).content.decode()
    assert "/reports/reminders/" not in html
    assert client.get(reverse("reminder_letter_pdf", args=["STC"])).status_code == 403


@pytest.mark.django_db
def test_the_overview_offers_the_letter_for_late_bodies_to_the_officer(noivu, leader, late_item):
    html = login(noivu).get(reverse("task_overview")).content.decode()
    assert reverse("reminder_letter_pdf", args=["STC"]) in html
    assert reverse("reminder_letter_pdf", args=["SKHDT"]) not in html  # nothing overdue
    assert "Đôn đốc" in html
    html = login(leader).get(reverse("task_overview")).content.decode()
    assert "/reports/reminders/" not in html and "Đôn đốc" not in html


@pytest.mark.django_db
def test_the_letter_links_cost_no_query(noivu, leader, late_item):
    url = reverse("task_detail", args=[late_item.pk])
    officer, _ = queries(login(noivu), url)
    reader, _ = queries(login(leader), url)
    assert officer == reader


@pytest.mark.django_db
def test_a_wrong_date_in_the_list_filter_is_reported_and_kept(noivu):
    make_task(actor=noivu)
    response = login(noivu).get(reverse("task_list"), {"due_from": "31/02/2027"})
    html = response.content.decode()
    assert response.status_code == 200
    assert str(DATE_INVALID) in html
    assert 'type="text" name="due_from" value="31/02/2027"' in html


@pytest.mark.django_db
def test_the_parts_of_the_deadline_not_chosen_are_not_checked(noivu):
    client = login(noivu)
    data = payload(due_working_days="abc", due_start="31/02/2027")  # hidden: "Chọn ngày"
    assert client.post(reverse("task_create"), data).status_code == 302
    data = payload(
        title="Theo ngày làm việc",
        due_mode="working_days",
        due_date="31/02/2027",  # hidden: counted in working days
        due_working_days="5",
        due_start="2027-02-01",
    )
    assert client.post(reverse("task_create"), data).status_code == 302
    assert Task.objects.get(title="Theo ngày làm việc").due_date == dt.date(2027, 2, 15)


@pytest.mark.django_db
def test_the_bodies_own_deadlines_are_folded_unless_one_is_set(noivu):
    plain = make_task(actor=noivu, contributors=("STC",))
    html = login(noivu).get(reverse("task_participants", args=[plain.pk])).content.decode()
    assert '<details class="own-deadlines">' in html
    own = make_task(
        actor=noivu,
        contributors=("STC",),
        contributor_due_dates={agency("STC").pk: in_days(10)},
    )
    html = login(noivu).get(reverse("task_participants", args=[own.pk])).content.decode()
    assert '<details class="own-deadlines" open>' in html
