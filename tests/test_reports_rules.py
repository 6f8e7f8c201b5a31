"""Issue 11, reports part: one timeliness rule, services decide, a button submits what is
on screen, history with the acting user and a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from agencies.history import SYSTEM_USERNAME
from coordination import services as coord
from coordination import timeliness
from coordination.models import Participation
from reports import catalog, documents, pdf, services
from reports.models import AgencyReport, ConsolidatedReport, GeneratedDocument
from reports.selectors import coordination_status, overdue_by_agency
from scoring.computed import figures
from tests.conftest import login
from tests.factories import agency
from tests.reports_factories import (
    GOOD_VALUES,
    document,
    focal,
    make_overdue,
    make_round,
    make_task,
    officer,
    report_of,
    submit,
)

pytestmark = pytest.mark.django_db


def _report_form(values: dict, action: str = "submit", text: str = "Đã ban hành kế hoạch.") -> dict:
    return {f"ind_{k}": str(v) for k, v in values.items()} | {
        "sec_direction": text,
        "action": action,
    }


# --- A button submits what is on screen ------------------------------------------------


def test_submitting_a_body_report_without_saving_first_keeps_what_was_typed():
    rnd = make_round()
    report = report_of(rnd, "STP")
    typed = "Ban hành 04 văn bản chỉ đạo về cải cách hành chính."
    client = login(focal("STP"))
    response = client.post(
        reverse("agency_report_edit", args=[report.pk]), _report_form(GOOD_VALUES, text=typed)
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "submitted" and report.version == 1
    assert report.sections == {"direction": typed}
    assert report.indicators == GOOD_VALUES
    version = report.versions.get()
    assert version.sections == {"direction": typed} and version.indicators == GOOD_VALUES


def test_invalid_figures_are_refused_with_a_message_typed_values_shown_and_nothing_saved():
    rnd = make_round()
    report = report_of(rnd, "STP")
    client = login(focal("STP"))
    typed = "Nội dung đang soạn, chưa lưu lần nào."
    data = _report_form(GOOD_VALUES | {"inspections": "hai", "tthc_late": "-3"}, text=typed)
    response = client.post(reverse("agency_report_edit", args=[report.pk]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "phải là một số nguyên" in page and "không được là số âm" in page
    assert typed in page and 'value="hai"' in page and 'value="1200"' in page
    report.refresh_from_db()
    assert (report.status, report.sections, report.indicators, report.version) == (
        "draft",
        {},
        {},
        0,
    )
    assert report.history.count() == 1  # only its creation


def _consolidated_form(rnd, **overrides) -> dict:
    data = {
        "action": "issue",
        "signer_title": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
        "signer_name": "Nguyễn Văn An",
        "confirmed": "1",
    } | {f"sec_{c}": f"Nội dung biên tập {c}" for c in rnd.section_codes}
    return data | overrides


def test_issuing_the_consolidated_report_without_saving_first_issues_what_is_on_screen(noivu):
    rnd = make_round(actor=noivu)
    submit(rnd, "STP")
    cons = services.consolidated_get_or_create(actor=noivu, rnd=rnd)
    data = _consolidated_form(rnd, signer_name="Lê Văn Bình")
    response = login(noivu).post(reverse("consolidated_issue", args=[rnd.pk]), data)
    assert response.status_code == 302
    cons.refresh_from_db()
    assert cons.is_issued and cons.number == 1
    assert cons.signer_name == "Lê Văn Bình"
    assert cons.sections["direction"] == "Nội dung biên tập direction"
    assert "Nội dung biên tập direction" in pdf.consolidated_context(rnd)["sections"][0]["text"]


def test_issuing_with_a_missing_signer_changes_nothing_and_shows_what_was_typed(noivu):
    rnd = make_round(actor=noivu)
    cons = services.consolidated_get_or_create(actor=noivu, rnd=rnd)
    before = (cons.sections, cons.signer_name, cons.history.count())
    data = _consolidated_form(rnd, signer_name="  ", sec_direction="Văn bản vừa gõ")
    response = login(noivu).post(reverse("consolidated_issue", args=[rnd.pk]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Hãy nhập họ tên người ký trước khi ban hành." in page
    assert "Văn bản vừa gõ" in page
    cons.refresh_from_db()
    assert not cons.is_issued
    assert (cons.sections, cons.signer_name, cons.history.count()) == before
    assert not GeneratedDocument.objects.exists()


def test_return_without_a_reason_is_refused_by_the_service_with_its_message(noivu):
    rnd = make_round(actor=noivu)
    report = submit(rnd, "STP")
    client = login(noivu)
    response = client.post(
        reverse("agency_report_return", args=[report.pk]), {"reason": ""}, follow=True
    )
    assert "Hãy ghi lý do trả lại báo cáo." in response.content.decode()
    report.refresh_from_db()
    assert report.status == "submitted"


# --- One definition of timeliness ------------------------------------------------------


def test_status_report_counts_a_chair_that_has_submitted_as_submitted_not_overdue():
    actor = officer()
    task = make_overdue(make_task(actor=actor, chair="STP", contributors=("STC",)), days=3)
    coord.contribution_save(
        actor=focal("STP"), task=task, form="report", body="Kết quả tổng hợp.", submit=True
    )
    today = timezone.localdate()
    window = (today - dt.timedelta(days=30), today + dt.timedelta(days=30))
    rows = {s.agency.code: s for s in coordination_status(*window, today)}
    assert rows["STP"].submitted == 1 and rows["STP"].overdue == 0
    assert rows["STP"].done_on_time == rows["STP"].done_late == 0
    assert rows["STC"].overdue == 1  # the contributor sent nothing
    context = documents.coordination_status_content(*window, today)
    assert context["totals"]["submitted"] == 1 and context["totals"]["overdue"] == 1
    assert [r["agency"] for r in context["overdue"]] == [agency("STC").name]


def test_reminder_letter_lists_exactly_the_overdue_participations_of_the_annotation():
    actor = officer()
    late = make_overdue(make_task(actor=actor, chair="STP", contributors=("STC",)), days=4)
    sent = make_overdue(make_task(actor=actor, chair="STP", contributors=("STC", "SYT")), days=2)
    make_task(actor=actor, chair="STC", contributors=("STP",), due_in=3)  # not due yet
    coord.contribution_save(
        actor=focal("STC"), task=sent, form="comment", body="Góp ý của Sở.", submit=True
    )
    today = timezone.localdate()
    expected = set(
        timeliness.with_timeliness(
            Participation.objects.filter(agency=agency("STC")).exclude(role="track"), today
        )
        .filter(timeliness=timeliness.OVERDUE)
        .values_list("task__title", "task_id")
    )
    assert {t for _, t in expected} == {late.pk}
    content = documents.reminder_content(agency("STC"), today)
    assert [row["task"] for row in content["items"]] == [late.title]
    assert content["items"][0]["days"] == 4
    counts = {row["agency__code"]: row["n"] for row in overdue_by_agency(today)}
    assert counts["STC"] == 1 and counts["SYT"] == 1 and counts["STP"] == 2


def test_reports_on_time_ignores_a_round_not_yet_due():
    today = timezone.localdate()
    past = make_round(codes=("STP",), deadline=today - dt.timedelta(days=5))
    future = make_round(codes=("STP",), deadline=today + dt.timedelta(days=20))
    submit(past, "STP", when=timezone.now() - dt.timedelta(days=6))
    submit(future, "STP")
    args = {"agency_id": agency("STP").pk, "date_from": dt.date(today.year - 1, 1, 1)}
    assert figures("reports_on_time", **args, date_to=today) == (1, 1)
    late = make_round(codes=("STP",), deadline=today - dt.timedelta(days=2))
    submit(late, "STP", when=timezone.now())
    assert figures("reports_on_time", **args, date_to=today) == (1, 2)


# --- History ------------------------------------------------------------------------------


def _last(obj):
    return obj.history.order_by("-history_date", "-history_id").first()


def test_reports_history_rows_carry_the_acting_user_and_a_reason(noivu):
    rnd = make_round(actor=noivu)
    assert _last(rnd).history_user == noivu and _last(rnd).history_change_reason
    user = focal("STP")
    report = submit(rnd, "STP", user=user)
    assert (_last(report).history_user, _last(report).history_change_reason) == (
        user,
        "Gửi báo cáo",
    )
    services.report_return(actor=noivu, report=report, reason="Bổ sung số liệu")
    row = _last(AgencyReport.objects.get(pk=report.pk))
    assert row.history_user == noivu and "Bổ sung số liệu" in row.history_change_reason
    submit(rnd, "STP", user=user)
    services.report_accept(actor=noivu, report=report)
    row = _last(AgencyReport.objects.get(pk=report.pk))
    assert (row.history_user, row.history_change_reason) == (noivu, "Chấp nhận báo cáo")
    cons = services.consolidated_get_or_create(actor=noivu, rnd=rnd)
    services.consolidated_issue(
        actor=noivu,
        report=cons,
        edit=services.ConsolidatedEdit(
            sections={"direction": "Đã biên tập."},
            signer_title="KT. GIÁM ĐỐC",
            signer_name="Nguyễn Văn An",
        ),
    )
    reasons = [
        (h.history_user, h.history_change_reason)
        for h in ConsolidatedReport.objects.get(pk=cons.pk).history.order_by("history_id")
    ]
    assert reasons == [(noivu, "Tổng hợp báo cáo"), (noivu, "Ban hành báo cáo tổng hợp")]
    assert (_last(rnd.__class__.objects.get(pk=rnd.pk)).history_user) == noivu


def test_generated_documents_have_history_with_system_actor_or_the_issuer(noivu):
    rnd = make_round(actor=noivu)
    report = submit(rnd, "STP")
    document(catalog.agency_report(report))
    doc = GeneratedDocument.objects.get(kind="agency_report")
    first = doc.history.get()
    assert first.history_user.username == SYSTEM_USERNAME
    assert first.history_change_reason == "Tạo văn bản"
    services.report_return(actor=noivu, report=report, reason="Bổ sung")
    submit(rnd, "STP", values=GOOD_VALUES | {"inspections": 9})
    document(catalog.agency_report(AgencyReport.objects.get(pk=report.pk)))
    assert [h.history_change_reason for h in doc.history.order_by("history_id")] == [
        "Tạo văn bản",
        "Tạo lại văn bản do dữ liệu thay đổi",
    ]
    cons = services.consolidated_get_or_create(actor=noivu, rnd=rnd)
    cons.signer_name = "Nguyễn Văn An"
    cons.save()
    with TestCase.captureOnCommitCallbacks(execute=True):  # the freezing job runs
        services.consolidated_issue(actor=noivu, report=cons)
    issued = GeneratedDocument.objects.get(kind="consolidated").history.get()
    assert issued.history_user == noivu and issued.frozen
    assert issued.history_change_reason == "Ban hành và lưu văn bản"


def test_status_and_reminder_queries_do_not_grow_with_items():
    actor = officer()
    today = timezone.localdate()
    window = (today - dt.timedelta(days=30), today + dt.timedelta(days=30))
    stc = agency("STC")

    def counts() -> tuple[int, ...]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        sizes = []
        for run in (
            lambda: coordination_status(*window, today),
            lambda: documents.reminder_content(stc, today),
            lambda: overdue_by_agency(today),
        ):
            with CaptureQueriesContext(connection) as ctx:
                run()
            sizes.append(len(ctx))
        return tuple(sizes)

    make_overdue(make_task(actor=actor, chair="STP", contributors=("STC",)), days=3)
    few = counts()
    for chair in ("SYT", "TUYHOA", "SYT"):
        make_overdue(make_task(actor=actor, chair=chair, contributors=("STC", "STP")), days=2)
    # The reminder reads the bodies' former names too (their names on the letter's date).
    assert counts() == few == (3, 2, 1)


# --- Figures in bodies' reports (issue 18, point 20) ------------------------------------


def _post_figure(raw: str, rnd=None):
    rnd = rnd or make_round()
    report = report_of(rnd, "STP")
    data = _report_form(GOOD_VALUES | {"inspections": raw})
    response = login(focal("STP")).post(reverse("agency_report_edit", args=[report.pk]), data)
    report.refresh_from_db()
    return response, report


@pytest.mark.parametrize("raw", ["1.5", "1,5", "1.234,5", "2.50"])
def test_an_ambiguous_figure_is_refused_naming_the_indicator(raw):
    response, report = _post_figure(raw)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Số cuộc kiểm tra CCHC đã thực hiện phải là một số nguyên" in page
    assert "không rõ" in page
    assert f'value="{raw}"' in page  # kept on screen
    assert (report.status, report.indicators, report.version) == ("draft", {}, 0)


@pytest.mark.parametrize(("raw", "stored"), [("1.234", 1234), ("1.234.567", 1234567), ("15", 15)])
def test_vietnamese_thousands_are_read_unambiguously(raw, stored):
    response, report = _post_figure(raw)
    assert response.status_code == 302
    assert report.indicators["inspections"] == stored


def test_a_twenty_digit_figure_is_refused_not_stored_as_a_float():
    response, report = _post_figure("12345678901234567890")
    page = response.content.decode()
    assert "Số cuộc kiểm tra CCHC đã thực hiện có quá nhiều chữ số" in page
    assert report.indicators == {} and "e+" not in str(report.indicators)


def test_a_figure_outside_the_indicators_own_range_is_refused():
    rnd = make_round()
    rnd.indicators = [dict(i, max=100) if i["code"] == "inspections" else i for i in rnd.indicators]
    rnd.save()
    response, report = _post_figure("150", rnd)
    page = response.content.decode()
    assert "Số cuộc kiểm tra CCHC đã thực hiện phải nằm trong khoảng 0 – 100" in page
    assert report.indicators == {}
    # The service holds the same rule for any other channel (the API, imports).
    with pytest.raises(Exception, match="0 – 100"):
        services.validate_indicators(rnd, GOOD_VALUES | {"inspections": 150}, complete=True)
    with pytest.raises(Exception, match="không rõ"):
        services.validate_indicators(rnd, GOOD_VALUES | {"inspections": 1.5}, complete=True)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1.234,5", "1234.5"),
        ("1.234.567", "1234567"),
        ("1.234.567,25", "1234567.25"),
        ("1,5", "1.5"),
    ],
)
def test_the_one_number_rule_reads_vietnamese_grouped_decimals(raw, value):
    from decimal import Decimal

    from agencies.validators import parse_decimal

    read = parse_decimal(raw, max_digits=12, decimal_places=2, minimum=0, maximum=10**9)
    assert read == Decimal(value)
