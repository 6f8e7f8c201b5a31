"""Entering the year's plan in bulk: copy from an earlier year, import from .xlsx
(coordination/planning, coordination/plan_views.py, docs/plan-import.md)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from agencies.models import Agency, Succession
from coordination import calendar, planning
from coordination.models import Participation, Task
from tests.conftest import CAST, form_token
from tests.coordination_factories import make_task
from tests.factories import agency

ANON = 302
YEAR = timezone.localdate().year  # the source year; copies land in YEAR + 1


def expect(default: int, **overrides: int) -> dict[str, int]:
    return {name: default for name in CAST} | {"anonymous": ANON} | overrides


# --- Helpers ------------------------------------------------------------------------------


def working_day(after_days: int) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=after_days)
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def item_in(year: int, month: int, day: int, **kwargs) -> Task:
    """An item made by the service, then dated in ``year`` (a past date cannot be created)."""
    task = make_task(**kwargs)
    Task.objects.filter(pk=task.pk).update(due_date=dt.date(year, month, day))
    task.refresh_from_db()
    return task


def saturday_next_year() -> tuple[dt.date, dt.date]:
    """A date of YEAR falling on a Saturday in YEAR + 1 whose Monday is a working day,
    and that Monday."""
    day = dt.date(YEAR, 3, 1)
    while True:
        later = day.replace(year=YEAR + 1)
        monday = later + dt.timedelta(days=2)
        if later.weekday() == 5 and calendar.is_working_day(monday):
            return day, monday
        day += dt.timedelta(days=1)


HEADINGS = [heading for _code, heading, _required in planning.COLUMNS]
CODES = [code for code, _heading, _required in planning.COLUMNS]


def xlsx(rows: list[dict], *, headings: bool = True, codes: bool = True) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if headings:
        sheet.append(HEADINGS)
    if codes:
        sheet.append(CODES)
    for row in rows:
        sheet.append([row.get(code) for code in CODES])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plan_row(n: int = 1, **overrides) -> dict:
    return {
        "title": f"Nhiệm vụ kế hoạch số {n}",
        "category": "Báo cáo CCHC",
        "chair": "STP",
        "tracker": "SNV",
        "contributors": "STC, TUYHOA",
        "due_date": working_day(40 + n),
        "legal_basis": "Kế hoạch CCHC năm",
        "description": "Mô tả",
        **overrides,
    }


def upload(content: bytes, name: str = "ke-hoach.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def preview(client, content: bytes, name: str = "ke-hoach.xlsx"):
    return client.post(
        reverse("plan_import"),
        {"action": "preview", "file": upload(content, name), "once": "a-token-of-the-form-xx"},
    )


def save_from(client, page) -> object:
    html = page.content.decode()
    payload = re.search(r'name="payload" value="([^"]+)"', html).group(1)
    name = re.search(r'name="payload_name" value="([^"]+)"', html).group(1)
    data = {"action": "save", "payload": payload, "payload_name": name, "once": form_token(page)}
    return client.post(reverse("plan_import"), data)


def errors_of(response) -> list[str]:
    return re.findall(r"<li>(Dòng \d+: [^<]*)</li>", response.content.decode())


# --- Copy from an earlier year ------------------------------------------------------------


@pytest.mark.django_db
def test_copy_page_shows_new_deadlines_and_creates_nothing(noivu, cast):
    source_day, monday = saturday_next_year()
    task = item_in(YEAR, source_day.month, source_day.day, actor=noivu, title="Báo cáo quý")
    client = cast("noivu")
    page = client.get(reverse("plan_copy"), {"year": YEAR})
    html = page.content.decode()
    assert "Báo cáo quý" in html
    assert monday.strftime("%d/%m/%Y") in html
    assert "dời sang ngày làm việc tiếp theo" in html
    preview_page = client.post(
        reverse("plan_copy"),
        {"year": YEAR, "task": [task.pk], "action": "preview", "once": form_token(page)},
    )
    assert preview_page.status_code == 200
    assert monday.strftime("%d/%m/%Y") in preview_page.content.decode()
    assert "Tạo 1 bản sao (dự thảo)" in preview_page.content.decode()
    assert Task.objects.count() == 1


@pytest.mark.django_db
def test_copy_creates_drafts_with_bodies_deadlines_and_history(noivu, cast):
    source_day, monday = saturday_next_year()
    first = item_in(
        YEAR,
        source_day.month,
        source_day.day,
        actor=noivu,
        title="Kiểm tra CCHC",
        category="inspection",
        description="Kiểm tra 5 sở",
        recurrence="yearly",
        contributors=("STC", "TUYHOA"),
    )
    second = item_in(YEAR, 11, 20, actor=noivu, title="Báo cáo năm", assign=False)
    client = cast("noivu")
    page = client.get(reverse("plan_copy"), {"year": YEAR, "all": "1"})
    assert page.content.decode().count(" checked") == 2
    data = {"year": YEAR, "task": [first.pk, second.pk], "action": "preview"}
    confirm = client.post(reverse("plan_copy"), data | {"once": form_token(page)})
    response = client.post(
        reverse("plan_copy"), data | {"action": "copy", "once": form_token(confirm)}
    )
    assert response.status_code == 302
    assert "status=draft" in response.url
    copy = Task.objects.get(title="Kiểm tra CCHC", due_date__year=YEAR + 1)
    assert copy.status == Task.Status.DRAFT
    assert copy.due_date == monday
    assert (copy.category, copy.description, copy.recurrence) == (
        "inspection",
        "Kiểm tra 5 sở",
        "yearly",
    )
    assert (copy.chair_agency.code, copy.tracking_agency.code) == ("STP", "SNV")
    contributors = {p.agency.code for p in copy.participations.filter(role="contribute")}
    assert contributors == {"STC", "TUYHOA"}
    reasons = list(copy.history.values_list("history_change_reason", flat=True))
    assert f"Sao chép từ #{first.pk} “Kiểm tra CCHC” năm {YEAR}" in reasons
    assert copy.history.first().history_user == noivu
    assert Task.objects.filter(due_date__year=YEAR + 1, status="draft").count() == 2


@pytest.mark.django_db
def test_copy_sent_twice_creates_nothing_twice_and_lands_on_the_result(noivu, cast):
    task = item_in(YEAR, 10, 5, actor=noivu)
    client = cast("noivu")
    data = {"year": YEAR, "task": [task.pk], "action": "copy", "once": "same-token-of-this-form"}
    first = client.post(reverse("plan_copy"), data)
    again = client.post(reverse("plan_copy"), data)
    assert again.status_code == 302 and again.url == first.url
    assert Task.objects.filter(due_date__year=YEAR + 1).count() == 1
    messages = [str(m) for m in again.wsgi_request._messages]
    assert any("đã được gửi trước đó" in m for m in messages)


@pytest.mark.django_db
def test_bodies_gone_on_the_new_date_are_reported_not_dropped_silently(noivu, cast):
    task = item_in(YEAR, 9, 15, actor=noivu, contributors=("STC", "TUYHOA", "SYT"))
    new_due = planning.a_year_later(task.due_date)
    gone = agency("TUYHOA")
    Agency.objects.filter(pk=gone.pk).update(valid_to=new_due - dt.timedelta(days=1))
    Agency.objects.filter(code="STC").update(valid_to=new_due - dt.timedelta(days=1))
    Succession.objects.create(
        predecessor=agency("STC"),
        successor=agency("SKHDT"),
        change=Succession.Change.MERGE,
        effective_date=new_due,
    )
    client = cast("noivu")
    html = client.get(reverse("plan_copy"), {"year": YEAR}).content.decode()
    assert "không còn hoạt động vào hạn mới, không có cơ quan kế thừa" in html
    assert "thay bằng cơ quan kế thừa" in html
    client.post(
        reverse("plan_copy"),
        {"year": YEAR, "task": [task.pk], "action": "copy", "once": "token-of-the-copy-form"},
    )
    copy = Task.objects.get(due_date__year=YEAR + 1)
    codes = {p.agency.code for p in copy.participations.filter(role="contribute")}
    assert codes == {"SKHDT", "SYT"}
    reason = copy.history.filter(history_change_reason__startswith="Sao chép").get()
    assert "không còn hoạt động nên không sao chép" in reason.history_change_reason
    assert "→" in reason.history_change_reason


@pytest.mark.django_db
def test_item_whose_chair_is_gone_cannot_be_copied(noivu, cast):
    task = item_in(YEAR, 9, 15, actor=noivu, chair="STP")
    Agency.objects.filter(code="STP").update(valid_to=dt.date(YEAR, 12, 31))
    client = cast("noivu")
    html = client.get(reverse("plan_copy"), {"year": YEAR}).content.decode()
    assert "Không sao chép được:" in html and " disabled" in html
    response = client.post(
        reverse("plan_copy"),
        {"year": YEAR, "task": [task.pk], "action": "copy", "once": "token-of-the-copy-form"},
    )
    assert response.status_code == 200
    assert Task.objects.filter(due_date__year=YEAR + 1).count() == 0


@pytest.mark.django_db
def test_copy_without_a_choice_is_refused_in_vietnamese(noivu, cast):
    item_in(YEAR, 9, 15, actor=noivu)
    response = cast("noivu").post(
        reverse("plan_copy"), {"year": YEAR, "action": "preview"}, follow=True
    )
    assert "Hãy chọn ít nhất một nhiệm vụ." in response.content.decode()


def _copy_page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("plan_copy"), {"year": YEAR}).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_copy_page_queries_are_constant(noivu, cast, django_assert_num_queries):
    client = cast("noivu")
    for n in range(2):
        item_in(YEAR, 3 + n, 10, actor=noivu, title=f"Ít {n}")
    _copy_page_queries(client)  # warm the per-process caches (roles, content types)
    few = _copy_page_queries(client)
    for n in range(6):
        item_in(YEAR, 5 + n, 12, actor=noivu, title=f"Nhiều {n}", contributors=("STC", "SYT"))
    with django_assert_num_queries(few):
        client.get(reverse("plan_copy"), {"year": YEAR})
    assert few == 9  # as on every page (6: issue 14), then the page's own


# --- Import from .xlsx --------------------------------------------------------------------


@pytest.mark.django_db
def test_template_has_vietnamese_headings_codes_example_and_lists(noivu, cast):
    response = cast("noivu").get(reverse("plan_template"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Kế hoạch", "Cơ quan", "Danh mục"]
    plan = list(workbook["Kế hoạch"].iter_rows(values_only=True))
    assert plan[0][0] == "Tên nhiệm vụ *" and plan[1][0] == "title"
    assert plan[2][0].startswith("(Ví dụ")
    codes = [row[0] for row in workbook["Cơ quan"].iter_rows(min_row=2, values_only=True)]
    assert {"SNV", "STP", "STC"} <= set(codes)
    # The template as downloaded is read back: its example row is skipped, nothing to create.
    page = preview(cast("noivu"), response.content)
    assert "Bỏ qua dòng ví dụ của tệp mẫu:" in page.content.decode()
    assert "Tệp không có dòng nhiệm vụ nào" in page.content.decode()


@pytest.mark.django_db
def test_preview_shows_rows_and_saves_nothing(noivu, cast):
    page = preview(cast("noivu"), xlsx([plan_row(1), plan_row(2)]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Tệp hợp lệ: 2 nhiệm vụ sẽ được tạo (dự thảo)." in html
    assert "Nhiệm vụ kế hoạch số 2" in html and 'name="payload"' in html
    assert Task.objects.count() == 0


@pytest.mark.django_db
def test_errors_carry_line_numbers_and_nothing_is_saved(noivu, cast):
    saturday = timezone.localdate() + dt.timedelta(days=40)
    while saturday.weekday() != 5:
        saturday += dt.timedelta(days=1)
    rows = [
        plan_row(1),
        plan_row(2, chair="KHONGCO"),
        plan_row(3, title=""),
        plan_row(4, due_date="31/02/2027"),
        plan_row(5, due_date=saturday),
        plan_row(6, due_date=working_day(-30)),
        plan_row(1),
        plan_row(8, category="Không có"),
        plan_row(9, chair="STP", tracker="STP"),
    ]
    client = cast("noivu")
    page = preview(client, xlsx(rows))
    found = errors_of(page)
    assert any(
        e.startswith("Dòng 4: cơ quan chủ trì: không có cơ quan mã “KHONGCO”") for e in found
    )
    assert "Dòng 5: thiếu tên nhiệm vụ." in found
    assert any(e.startswith("Dòng 6: hạn xử lý “31/02/2027” không phải ngày hợp lệ") for e in found)
    assert any(e.startswith("Dòng 7: Hạn xử lý") and "là ngày nghỉ" in e for e in found)
    assert "Dòng 8: Hạn xử lý không được ở trong quá khứ." in found
    assert "Dòng 9: trùng với dòng 3 (cùng tên, cùng hạn)." in found
    assert any(e.startswith("Dòng 10: nội dung phối hợp “Không có”") for e in found)
    assert "Dòng 11: Cơ quan chủ trì và cơ quan theo dõi phải khác nhau." in found
    assert 'name="payload"' not in page.content.decode()
    # Saving the same file anyway (a hand-made request) creates nothing.
    content = base64.b64encode(xlsx(rows)).decode()
    client.post(
        reverse("plan_import"),
        {"action": "save", "payload": content, "payload_name": "x.xlsx", "once": "tok-" + "x" * 20},
    )
    assert Task.objects.count() == 0


@pytest.mark.django_db
def test_wrong_file_type_and_too_many_rows_are_refused(noivu, cast):
    client = cast("noivu")
    for name, content in (("ke-hoach.csv", b"title,chair\nA,STP\n"), ("gia.xlsx", b"not a zip")):
        page = preview(client, content, name)
        assert "Chỉ nhận tệp Excel .xlsx" in page.content.decode()
    many = [plan_row(n, due_date=working_day(40)) for n in range(planning.MAX_ROWS + 1)]
    page = preview(client, xlsx(many))
    assert f"nhiều hơn {planning.MAX_ROWS} dòng" in page.content.decode()
    assert Task.objects.count() == 0


@pytest.mark.django_db
def test_headings_alone_or_codes_alone_are_read(noivu, cast):
    client = cast("noivu")
    for kwargs in ({"codes": False}, {"headings": False}):
        page = preview(client, xlsx([plan_row(1)], **kwargs))
        assert "Tệp hợp lệ: 1 nhiệm vụ" in page.content.decode()
    page = preview(client, xlsx([plan_row(1)], headings=False, codes=False))
    assert "thiếu cột bắt buộc" in page.content.decode()


@pytest.mark.django_db
def test_confirm_creates_drafts_with_history_once(noivu, cast):
    client = cast("noivu")
    page = preview(client, xlsx([plan_row(1), plan_row(2, contributors="", recurrence="Hằng quý")]))
    response = save_from(client, page)
    assert response.status_code == 302 and "status=draft" in response.url
    tasks = list(Task.objects.order_by("pk"))
    assert [t.status for t in tasks] == ["draft", "draft"]
    assert tasks[1].recurrence == "quarterly"
    first = tasks[0]
    assert {p.agency.code: p.role for p in first.participations.all()} == {
        "STP": Participation.Role.CHAIR,
        "SNV": Participation.Role.TRACK,
        "STC": Participation.Role.CONTRIBUTE,
        "TUYHOA": Participation.Role.CONTRIBUTE,
    }
    reasons = set(first.history.values_list("history_change_reason", flat=True))
    assert {"Tạo nhiệm vụ", "Nhập từ kế hoạch ke-hoach.xlsx, dòng 3"} <= reasons
    # The same confirmation again (double click, Back and resend): nothing new.
    again = save_from(client, page)
    assert again.status_code == 302 and again.url == response.url
    assert Task.objects.count() == 2
    # The same file with a fresh form: every row is already on the portal.
    page = preview(client, xlsx([plan_row(1), plan_row(2, contributors="")]))
    assert "Dòng 3: đã có nhiệm vụ" in page.content.decode()


def _preview_queries(client, rows: int) -> int:
    content = xlsx([plan_row(n) for n in range(1, rows + 1)])
    with CaptureQueriesContext(connection) as queries:
        page = preview(client, content)
    assert f"Tệp hợp lệ: {rows} nhiệm vụ" in page.content.decode()
    return len(queries)


@pytest.mark.django_db
def test_preview_queries_are_constant(noivu, cast, django_assert_num_queries):
    client = cast("noivu")
    _preview_queries(client, 1)  # warm the per-process caches
    few = _preview_queries(client, 3)
    assert few == _preview_queries(client, 30)
    with django_assert_num_queries(few):
        preview(client, xlsx([plan_row(n) for n in range(1, 11)]))
    assert few == 8  # as on every page (6: issue 14), then the preview's own


@pytest.mark.django_db
def test_task_list_offers_the_two_entries_to_officers_only(cast):
    assert "Nhập kế hoạch từ Excel" in cast("noivu").get(reverse("task_list")).content.decode()
    for who in ("leader", "chair_focal"):
        html = cast(who).get(reverse("task_list")).content.decode()
        assert "Sao chép từ năm trước" not in html and "Nhập kế hoạch từ Excel" not in html


def test_a_year_later_keeps_the_day_and_moves_off_holidays():
    assert planning.a_year_later(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)
    # 30/4 and 1/5/2027 are holidays, 2/5 a Sunday, 3/5 the day off in lieu of 1/5.
    assert planning.a_year_later(dt.date(2026, 4, 30)) == dt.date(2027, 5, 4)
    assert planning.a_year_later(dt.date(2026, 3, 10)) == dt.date(2027, 3, 10)


@pytest.mark.django_db
def test_parent_and_child_copied_together_stay_together(noivu, cast):
    parent = item_in(YEAR, 11, 10, actor=noivu, title="Kế hoạch chung")
    child = make_task(actor=noivu, title="Phần việc", parent=parent, due=20)
    Task.objects.filter(pk=child.pk).update(due_date=dt.date(YEAR, 11, 3))
    Participation.objects.filter(task=child, role="contribute").update(
        due_date=dt.date(YEAR, 11, 2)
    )
    cast("noivu").post(
        reverse("plan_copy"),
        {"year": YEAR, "task": [child.pk, parent.pk], "action": "copy", "once": "t" * 24},
    )
    child_copy = Task.objects.get(title="Phần việc", due_date__year=YEAR + 1)
    assert child_copy.parent == Task.objects.get(title="Kế hoạch chung", due_date__year=YEAR + 1)
    own = {p.due_date for p in child_copy.participations.filter(role="contribute")}
    assert own == {planning.a_year_later(dt.date(YEAR, 11, 2))}


@pytest.mark.django_db
def test_short_names_and_content_numbers_are_understood(noivu, cast):
    row = plan_row(1, chair="Tư pháp", category="4", contributors="stc; Tuy Hòa", tracker=None)
    page = preview(cast("noivu"), xlsx([row]))
    html = page.content.decode()
    assert "Tệp hợp lệ: 1 nhiệm vụ" in html
    assert "Kiểm tra CCHC" in html  # content number 4 of the regulation's list
    assert "Nội vụ" in html  # no tracker: Sở Nội vụ


@pytest.mark.django_db
def test_missing_content_is_named_and_codes_in_data_are_not_headings(noivu, cast):
    rows = [plan_row(1, category=""), plan_row(2, title="title", category="plan")]
    page = preview(cast("noivu"), xlsx(rows, codes=False))
    assert "Dòng 2: thiếu nội dung phối hợp." in errors_of(page)
    assert "Nhiệm vụ kế hoạch số 2" not in page.content.decode()  # row 3 is data: "title"
    assert ">title<" in page.content.decode()


@pytest.mark.django_db
def test_a_body_closed_between_preview_and_confirm_stops_the_whole_file(noivu, cast):
    client = cast("noivu")
    page = preview(client, xlsx([plan_row(1), plan_row(2, contributors="SYT")]))
    assert 'name="payload"' in page.content.decode()
    Agency.objects.filter(code="SYT").update(valid_to=timezone.localdate() - dt.timedelta(days=1))
    response = save_from(client, page)
    assert response.status_code == 200
    assert any(e.startswith("Dòng 4:") and "không còn hoạt động" in e for e in errors_of(response))
    assert Task.objects.count() == 0
