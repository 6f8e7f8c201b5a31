"""Calendar feeds of a body's deadlines (issue 17, point 4): what the feed holds for each
body, that it is valid RFC 5545 with Vietnamese text, and that the secret address is the
only key (regenerate, revoke, a deactivated user, another user's session)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from coordination import services as coord
from coordination.models import Participation, Task
from feeds import services
from feeds.models import CalendarFeed
from reports.models import AgencyReport
from tests.conftest import form_token, login
from tests.coordination_factories import make_task
from tests.factories import in_days
from tests.reports_factories import make_round, report_of, submit

pytestmark = pytest.mark.django_db


def feed_path(user) -> str:
    feed, _created = services.feed_create(actor=user)
    return reverse("calendar_feed_file", args=[feed.secret()])


def read(client, path: str) -> Calendar:
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events(user, client=None) -> dict[str, object]:
    """The user's feed as {summary: VEVENT}, read without a session."""
    from django.test import Client

    calendar = read(client or Client(), feed_path(user))
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


def set_due(task: Task, days: int) -> None:
    """Move an item's deadline (test data only: the services refuse a past deadline)."""
    Task.objects.filter(pk=task.pk).update(due_date=in_days(days))
    Participation.objects.filter(task=task).update(due_date=None)


# --- What is in it -------------------------------------------------------------------


def test_chairing_body_gets_the_item_with_its_role_link_and_reminder(noivu, chair_focal):
    task = make_task(actor=noivu, title="Góp ý dự thảo Quy chế phối hợp", due=20)
    event = events(chair_focal)["Hạn: Góp ý dự thảo Quy chế phối hợp"]
    assert event.decoded("DTSTART") == task.due_date
    assert event["DTSTART"].params["VALUE"] == "DATE"
    assert event.decoded("DTEND") == task.due_date + dt.timedelta(days=1)
    link = f"http://testserver{reverse('task_detail', args=[task.pk])}"
    assert str(event["URL"]) == link
    description = str(event["DESCRIPTION"])
    assert "Vai trò của Sở Tư pháp" in description and ": chủ trì" in description
    assert link in description
    assert str(event["UID"]).startswith("participation-")
    assert event["DTSTAMP"]
    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    # At 09:00 the day before (ICAL_ALARM_DAYS = 1).
    assert alarm.decoded("TRIGGER") == -dt.timedelta(hours=15)


def test_the_reminder_follows_the_setting(settings, noivu, chair_focal):
    settings.ICAL_ALARM_DAYS = 3
    make_task(actor=noivu, title="Nhiệm vụ có nhắc", due=20)
    (alarm,) = events(chair_focal)["Hạn: Nhiệm vụ có nhắc"].walk("VALARM")
    assert alarm.decoded("TRIGGER") == dt.timedelta(hours=9) - dt.timedelta(days=3)


def test_contributing_body_gets_its_own_deadline_and_role(noivu, contrib_focal):
    from tests.factories import agency

    make_task(
        actor=noivu,
        title="Xây dựng đề án",
        due=30,
        contributor_due_dates={agency("STC").pk: in_days(12)},
    )
    event = events(contrib_focal)["Hạn: Xây dựng đề án"]
    assert event.decoded("DTSTART") == in_days(12)
    assert "Vai trò của Sở Tài chính: phối hợp" in str(event["DESCRIPTION"])
    assert "Cơ quan chủ trì: Sở Tư pháp" in str(event["DESCRIPTION"])


def test_unrelated_body_does_not_see_the_item(noivu, unrelated_focal):
    make_task(actor=noivu, title="Việc của cơ quan khác")
    assert events(unrelated_focal) == {}


def test_draft_items_are_left_out(noivu, chair_focal):
    make_task(actor=noivu, title="Nhiệm vụ dự thảo", assign=False)
    assert events(chair_focal) == {}
    assert events(noivu) == {}  # a Nội vụ officer reads drafts, but a draft has no deadline yet


def test_submitted_participation_is_dropped(noivu, chair_focal, contrib_focal):
    task = make_task(actor=noivu, title="Góp ý văn bản", contributors=("STC",))
    assert "Hạn: Góp ý văn bản" in events(contrib_focal)
    coord.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="Đồng ý", submit=True
    )
    assert "Hạn: Góp ý văn bản" not in events(contrib_focal)
    assert "Hạn: Góp ý văn bản" in events(chair_focal)  # the chair's part is still open


def test_cancelled_and_done_items_are_left_out(noivu, chair_focal):
    task = make_task(actor=noivu, title="Nhiệm vụ bị hủy")
    coord.task_cancel(actor=noivu, task=task, reason="Không còn cần thiết")
    assert events(chair_focal) == {}


def test_overdue_items_stay_but_only_within_the_window(noivu, chair_focal):
    recent = make_task(actor=noivu, title="Quá hạn gần đây")
    old = make_task(actor=noivu, title="Quá hạn từ lâu")
    set_due(recent, -10)
    set_due(old, -91)
    found = events(chair_focal)
    assert "Hạn: Quá hạn gần đây" in found
    assert "Quá hạn" in str(found["Hạn: Quá hạn gần đây"]["DESCRIPTION"])
    assert "Hạn: Quá hạn từ lâu" not in found


def test_report_round_obligations_are_included_until_sent(noivu, chair_focal, unrelated_focal):
    rnd = make_round(codes=("STP", "STC"), actor=noivu)
    summary = f"Hạn báo cáo: {rnd.title}"
    event = events(chair_focal)[summary]
    assert event.decoded("DTSTART") == rnd.deadline
    report = report_of(rnd, "STP")
    link = f"http://testserver{reverse('agency_report_detail', args=[report.pk])}"
    assert str(event["URL"]) == link
    assert "Vai trò của Sở Tư pháp: cơ quan gửi báo cáo" in str(event["DESCRIPTION"])
    assert str(event["UID"]).startswith(f"agency-report-{report.pk}@")
    assert event.walk("VALARM")
    assert summary not in events(unrelated_focal)  # SYT owes no report in this round
    submit(rnd, "STP", user=chair_focal)
    assert AgencyReport.objects.get(pk=report.pk).status == AgencyReport.Status.SUBMITTED
    assert summary not in events(chair_focal)


def test_noivu_officer_gets_its_own_bodys_deadlines_not_the_provinces(noivu):
    make_task(actor=noivu, title="Sở Nội vụ theo dõi", tracker="SNV")
    make_task(actor=noivu, title="Sở Tài chính theo dõi", tracker="STC", contributors=())
    found = events(noivu)
    assert "Vai trò của Sở Nội vụ: theo dõi" in str(found["Hạn: Sở Nội vụ theo dõi"]["DESCRIPTION"])
    assert "Hạn: Sở Tài chính theo dõi" not in found


# --- RFC 5545 ------------------------------------------------------------------------


def test_the_feed_is_valid_rfc5545_with_vietnamese_text(noivu, chair_focal):
    long_title = (
        "Triển khai thí điểm mô hình một cửa liên thông hiện đại tại Ủy ban nhân dân "
        "thị xã Sông Cầu, huyện Đồng Xuân và huyện Tuy An năm 2026"
    )
    make_task(actor=noivu, title=long_title)
    make_round(codes=("STP",), actor=noivu)
    response = login(chair_focal).get(feed_path(chair_focal))
    raw = response.content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    lines = raw.split(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")  # every line ends with CRLF
    assert max(len(line) for line in lines) <= 75  # folded at 75 octets
    raw.decode("utf-8")  # folding never splits a Vietnamese character
    calendar = Calendar.from_ical(raw)
    assert str(calendar["VERSION"]) == "2.0"
    assert "Cổng điều phối CCHC" in str(calendar["PRODID"])
    assert str(calendar["X-WR-CALNAME"]) == "CCHC – Sở Tư pháp"
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Ho_Chi_Minh"
    summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert f"Hạn: {long_title}" in summaries
    for event in calendar.walk("VEVENT"):
        for name in ("UID", "DTSTAMP", "DTSTART", "SUMMARY", "URL", "DESCRIPTION"):
            assert name in event, name
        (alarm,) = event.walk("VALARM")
        assert {"ACTION", "TRIGGER", "DESCRIPTION"} <= set(alarm)


def test_uids_are_stable_and_unique(noivu, chair_focal):
    make_task(actor=noivu, title="Nhiệm vụ một")
    make_task(actor=noivu, title="Nhiệm vụ hai")
    make_round(codes=("STP",), actor=noivu)
    path = feed_path(chair_focal)
    first = [str(e["UID"]) for e in read(login(chair_focal), path).walk("VEVENT")]
    second = [str(e["UID"]) for e in read(login(chair_focal), path).walk("VEVENT")]
    assert first == second and len(set(first)) == 3


def test_the_feed_is_vietnamese_whatever_the_language_cookie(noivu, chair_focal):
    make_task(actor=noivu, title="Nhiệm vụ")
    from django.test import Client

    client = Client()
    client.cookies["django_language"] = "en"
    (event,) = read(client, feed_path(chair_focal)).walk("VEVENT")
    assert "Vai trò của Sở Tư pháp: chủ trì" in str(event["DESCRIPTION"])


def test_query_count_does_not_grow_with_the_events(
    noivu, chair_focal, client, django_assert_num_queries
):
    path = feed_path(chair_focal)
    make_task(actor=noivu, title="Nhiệm vụ 1")
    # the feed, the user's roles, the body's parts, the body's reports
    with django_assert_num_queries(4):
        assert len(read(client, path).walk("VEVENT")) == 1
    make_task(actor=noivu, title="Nhiệm vụ 2")
    make_round(codes=("STP",), actor=noivu)
    with django_assert_num_queries(4):
        assert len(read(client, path).walk("VEVENT")) == 3


# --- The address is the only key -------------------------------------------------------


def test_unknown_or_malformed_address_gives_404(client, chair_focal):
    services.feed_create(actor=chair_focal)
    for secret in ["A" * 43, "khong-co", "A" * 44, "%2e%2e"]:
        assert client.get(reverse("calendar_feed_file", args=[secret])).status_code == 404


def test_regenerate_asks_first_then_the_old_address_stops(client, chair_focal):
    old = feed_path(chair_focal)
    browser = login(chair_focal)
    asked = browser.post(reverse("calendar_regenerate"))
    assert asked.status_code == 200
    assert "Tạo địa chỉ lịch mới?" in asked.content.decode()
    assert client.get(old).status_code == 200  # nothing changed yet
    done = browser.post(reverse("calendar_regenerate"), {"confirmed": "1"})
    assert done.status_code == 302
    assert client.get(old).status_code == 404
    new = reverse("calendar_feed_file", args=[CalendarFeed.objects.get().secret()])
    assert new != old
    assert client.get(new).status_code == 200
    page = browser.get(reverse("calendar_settings")).content.decode()
    assert f"http://testserver{new}" in page and f"http://testserver{old}" not in page
    reasons = list(
        CalendarFeed.history.order_by("history_date").values_list(
            "history_type", "history_change_reason", "history_user"
        )
    )
    assert reasons == [
        ("+", "Tạo địa chỉ lịch công việc (iCal)", chair_focal.pk),
        ("~", "Tạo địa chỉ lịch mới; địa chỉ cũ ngừng hoạt động", chair_focal.pk),
    ]


def test_revoke_turns_the_address_off(client, chair_focal):
    path = feed_path(chair_focal)
    browser = login(chair_focal)
    assert browser.post(reverse("calendar_revoke")).status_code == 200  # asks first
    assert client.get(path).status_code == 200
    assert browser.post(reverse("calendar_revoke"), {"confirmed": "1"}).status_code == 302
    assert client.get(path).status_code == 404
    assert not CalendarFeed.objects.exists()
    record = CalendarFeed.history.latest("history_date")
    assert (record.history_type, record.history_user_id) == ("-", chair_focal.pk)
    assert record.history_change_reason == "Tắt lịch công việc (iCal)"
    # Turned on again: a new address, the old one still 404.
    page = browser.get(reverse("calendar_settings"))
    browser.post(reverse("calendar_create"), {"once": form_token(page)})
    assert client.get(path).status_code == 404
    assert CalendarFeed.objects.count() == 1


def test_deactivated_user_gets_404(client, chair_focal):
    path = feed_path(chair_focal)
    chair_focal.is_active = False
    chair_focal.save()
    assert client.get(path).status_code == 404


def test_another_users_session_changes_nothing(noivu, chair_focal, unrelated_focal, client):
    make_task(actor=noivu, title="Việc của Sở Tư pháp")
    path = feed_path(chair_focal)
    anonymous = client.get(path).content
    other = login(unrelated_focal)
    seen = Calendar.from_ical(other.get(path).content)
    assert [str(e["SUMMARY"]) for e in seen.walk("VEVENT")] == ["Hạn: Việc của Sở Tư pháp"]
    assert str(seen["X-WR-CALNAME"]) == "CCHC – Sở Tư pháp"
    assert len(anonymous) == len(other.get(path).content)
    # The settings page shows only one's own address, and acts only on one's own.
    page = other.get(reverse("calendar_settings")).content.decode()
    assert path not in page and "Tạo địa chỉ lịch" in page
    other.post(reverse("calendar_regenerate"), {"confirmed": "1"})
    other.post(reverse("calendar_revoke"), {"confirmed": "1"})
    assert client.get(path).status_code == 200
    assert CalendarFeed.objects.get().user == chair_focal


def test_double_submit_of_create_makes_one_feed(chair_focal):
    browser = login(chair_focal)
    token = form_token(browser.get(reverse("calendar_settings")))
    other_tab = form_token(browser.get(reverse("calendar_settings")))
    first = browser.post(reverse("calendar_create"), {"once": token})
    second = browser.post(reverse("calendar_create"), {"once": token})
    assert first.status_code == second.status_code == 302
    assert CalendarFeed.objects.filter(user=chair_focal).count() == 1
    # The form of a second tab (another token) finds the address already there.
    third = browser.post(reverse("calendar_create"), {"once": other_tab}, follow=True)
    assert "Anh/chị đã có địa chỉ lịch; không tạo thêm." in third.content.decode()
    assert CalendarFeed.objects.count() == 1
    assert CalendarFeed.history.filter(history_type="+").count() == 1


def test_create_without_the_form_token_is_refused_in_words(chair_focal):
    response = login(chair_focal).post(reverse("calendar_create"), follow=True)
    assert "Biểu mẫu này được mở từ một trang cũ" in response.content.decode()
    assert not CalendarFeed.objects.exists()


def test_settings_page_shows_the_address_again_with_webcal(chair_focal):
    path = feed_path(chair_focal)
    browser = login(chair_focal)
    page = browser.get(reverse("calendar_settings")).content.decode()
    assert f'value="http://testserver{path}"' in page
    assert f'href="webcal://testserver{path}"' in page
    assert "Google Lịch" in page and "Thunderbird" in page and "Outlook" in page
    # Shown again on every visit: the same address.
    assert f"http://testserver{path}" in browser.get(reverse("calendar_settings")).content.decode()


def test_the_database_alone_does_not_hold_the_address(chair_focal):
    path = feed_path(chair_focal)
    secret = path.rsplit("/", 1)[1].removesuffix(".ics")
    feed = CalendarFeed.objects.get()
    assert secret not in (feed.nonce, feed.digest)
    row = CalendarFeed.history.values().get()
    assert secret not in str(row) and "nonce" not in row and "digest" not in row


def test_rotating_the_server_key_keeps_the_address_working(settings, client, chair_focal):
    path = feed_path(chair_focal)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "x" * 60
    assert client.get(path).status_code == 200  # found by the digest, whatever the key
    browser = login(chair_focal)
    page = browser.get(reverse("calendar_settings")).content.decode()
    assert "không hiển thị lại được" in page.lower() and path not in page
    settings.SECRET_KEY_FALLBACKS = [old_key]
    browser = login(chair_focal)
    assert path in browser.get(reverse("calendar_settings")).content.decode()


def test_profile_links_to_the_calendar_page(chair_focal):
    page = login(chair_focal).get(reverse("profile")).content.decode()
    assert reverse("calendar_settings") in page


def test_feed_response_headers(client, chair_focal):
    response = client.get(feed_path(chair_focal))
    assert response["Content-Disposition"].startswith("inline")
    assert "private" in response["Cache-Control"]
    assert response.headers.get("Set-Cookie") is None


def test_today_is_the_local_date(noivu, chair_focal):
    """An item due today (Phú Yên time) is in the feed as due soon, not overdue."""
    task = make_task(actor=noivu, title="Hạn hôm nay")
    set_due(task, 0)
    event = events(chair_focal)["Hạn: Hạn hôm nay"]
    assert event.decoded("DTSTART") == timezone.localdate()
    assert "Sắp đến hạn" in str(event["DESCRIPTION"])
