"""Every coordination reader says the same about lateness: the list filter and its rows,
the overview, the export and the reminders all read ``coordination.timeliness``."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from coordination import reminders, selectors, services
from coordination.models import Participation, ReminderLog, Task
from tests.conftest import login
from tests.coordination_factories import make_task
from tests.factories import agency, in_days
from tests.reports_factories import fetch_document


@pytest.fixture
def items(noivu, chair_focal, contrib_focal):
    """One item overdue, one whose chair sent its result before it fell due (awaiting
    review, not overdue), one due soon."""
    late = make_task(actor=noivu, title="Nhiệm vụ trễ LATE1", contributors=("STC",))
    sent = make_task(actor=noivu, title="Nhiệm vụ đã gửi SENT1", contributors=())
    services.contribution_save(
        actor=chair_focal, task=sent, form="report", body="Kết quả", submit=True
    )
    services.contribution_save(
        actor=contrib_focal, task=late, form="comment", body="Ý kiến", submit=True
    )
    Task.objects.filter(pk__in=[late.pk, sent.pk]).update(due_date=in_days(-3))
    soon = make_task(actor=noivu, title="Nhiệm vụ sắp đến hạn SOON1", due=3)
    return {"late": late, "sent": sent, "soon": soon}


@pytest.mark.django_db
def test_list_filter_and_rows_read_the_annotation(noivu, items):
    client = login(noivu)
    html = client.get(reverse("task_list"), {"timeliness": "overdue"}).content.decode()
    assert "LATE1" in html and "SENT1" not in html and "SOON1" not in html
    assert "Quá hạn" in html
    html = client.get(reverse("task_list"), {"timeliness": "submitted"}).content.decode()
    assert "SENT1" in html and "LATE1" not in html
    html = client.get(reverse("task_list"), {"timeliness": "due_soon"}).content.decode()
    assert "SOON1" in html and "LATE1" not in html


@pytest.mark.django_db
def test_list_filter_by_body_follows_that_bodys_part(noivu, items):
    # Sở Tài chính sent its part of LATE1: for that body it is awaiting review.
    stc = agency("STC").pk
    html = (
        login(noivu)
        .get(reverse("task_list"), {"agency": stc, "timeliness": "overdue"})
        .content.decode()
    )
    assert "LATE1" not in html
    html = (
        login(noivu)
        .get(reverse("task_list"), {"agency": stc, "timeliness": "submitted"})
        .content.decode()
    )
    assert "LATE1" in html


@pytest.mark.django_db
def test_overview_counts_by_the_annotation(items):
    overview = selectors.province_overview()
    rows = {r.agency.code: r for r in overview["rows"]}
    assert rows["STP"].overdue == 1 and rows["STP"].submitted == 1
    assert rows["STC"].submitted == 1 and rows["STC"].overdue == 0
    assert overview["task_counts"]["overdue"] == 1


@pytest.mark.django_db
def test_export_progress_column_reads_the_annotation(noivu, items):
    data = fetch_document(login(noivu), reverse("task_export")).data
    sheet = load_workbook(io.BytesIO(data)).active
    progress = {row[1]: row[9] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert progress["Nhiệm vụ trễ LATE1"] == "Quá hạn"
    assert progress["Nhiệm vụ đã gửi SENT1"] == "Đã gửi, chờ xem xét"
    assert progress["Nhiệm vụ sắp đến hạn SOON1"] == "Sắp đến hạn"


@pytest.mark.django_db
def test_no_overdue_reminder_for_a_part_already_sent(items):
    reminders.send_due_reminders(today=in_days(0))
    overdue = ReminderLog.objects.filter(kind="overdue")
    assert overdue.filter(participation__task=items["late"], participation__role="chair").exists()
    assert not overdue.filter(participation__agency__code="STC").exists()
    assert not overdue.filter(participation__task=items["sent"]).exists()
    log = ReminderLog.objects.first()
    assert log.history.get().history_user.username == "he-thong"  # the named system actor


@pytest.mark.django_db
def test_item_page_participants_read_the_annotation(chair_focal, items):
    html = login(chair_focal).get(reverse("task_detail", args=[items["late"].pk])).content
    assert "Đã gửi, chờ xem xét" in html.decode()  # Sở Tài chính's part
    parts = selectors.task_participants(items["late"])
    assert {p.agency.code: p.timeliness for p in parts if p.role != "track"} == {
        "STP": "overdue",
        "STC": "submitted",
    }
    assert Participation.objects.count() >= 3
