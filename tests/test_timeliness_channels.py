"""One data set, the same counts on every channel that speaks of lateness (issue 11).

Sở Tài chính takes part in five items: one overdue, one sent in time and awaiting review
after its deadline passed, one accepted on time, one sent late and accepted, one due soon.
The home tiles and rows, the officer overview, the /tasks/ filter, the coordination status
report, the reminder letter, ``send_reminders`` and the PAR criterion "items on time" must
all say the same, because all read ``coordination.timeliness``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from coordination import reminders, selectors, services
from coordination.models import Participation, ReminderLog, Task
from reports import catalog
from reports import selectors as report_selectors
from scoring import computed
from tests.conftest import login
from tests.coordination_factories import make_task
from tests.factories import agency, in_days
from tests.reports_factories import document
from tests.test_pdf import pdf_text

STATES = {"overdue": 1, "submitted": 1, "done_on_time": 1, "done_late": 1, "due_soon": 1}


def _make(noivu, title: str, due: int):
    task = make_task(actor=noivu, title=title, contributors=("STC",), due=30)
    Task.objects.filter(pk=task.pk).update(due_date=in_days(due))
    return task


def _send(task, focal, days_ago: int):
    services.contribution_save(actor=focal, task=task, form="comment", body="Ý kiến", submit=True)
    sent = timezone.now() - dt.timedelta(days=days_ago)
    Participation.objects.filter(task=task, agency__code="STC").update(submitted_at=sent)


@pytest.fixture
def world(noivu, chair_focal, contrib_focal):
    _make(noivu, "QUAHAN-1 chưa gửi", -3)
    _send(_make(noivu, "DAGUI-1 gửi trong hạn, chờ xem xét", -2), contrib_focal, 5)
    on_time = _make(noivu, "DUNGHAN-1 chấp nhận", -4)
    _send(on_time, contrib_focal, 8)
    late = _make(noivu, "TRE-1 gửi trễ, chấp nhận", -10)
    _send(late, contrib_focal, 1)
    for task in (on_time, late):
        services.participation_review(
            actor=chair_focal,
            participation=task.participations.get(agency__code="STC"),
            accept=True,
        )
    _make(noivu, "SAPDEN-1 sắp đến hạn", 2)
    return agency("STC")


@pytest.mark.django_db
def test_every_channel_gives_the_same_counts(world, noivu, contrib_focal):
    stc = world
    # The body's home: tiles equal the rows beneath them.
    work = selectors.agency_work(contrib_focal)
    assert work["counts"]["overdue"] == len(work["overdue"]) == STATES["overdue"]
    assert len(work["due_soon"]) == STATES["due_soon"]
    # The officer overview.
    row = next(r for r in selectors.province_overview()["rows"] if r.agency == stc)
    assert {state: getattr(row, state) for state in STATES} == STATES
    # The /tasks/ filter, body by body.
    client = login(noivu)
    for state, expected in STATES.items():
        response = client.get(reverse("task_list"), {"agency": stc.pk, "timeliness": state})
        assert response.context["page"].paginator.count == expected, state
    # The coordination status report (items due in the last two months).
    today = timezone.localdate()
    status = report_selectors.coordination_status(today - dt.timedelta(days=60), today)
    line = next(s for s in status if s.agency == stc)
    assert (line.overdue, line.submitted, line.done_on_time, line.done_late) == (1, 1, 1, 1)
    # The reminder letter lists exactly the overdue item.
    letter = report_selectors.agency_overdue_items(stc)
    assert [p.task.title for p in letter] == ["QUAHAN-1 chưa gửi"]
    text = pdf_text(document(catalog.reminder(stc)))
    assert "QUAHAN-1" in text and "DAGUI-1" not in text and "TRE-1" not in text
    # The daily reminders: one overdue reminder, for the same item.
    reminders.send_due_reminders(today=today)
    overdue_logs = ReminderLog.objects.filter(
        participation__agency=stc, kind=ReminderLog.Kind.OVERDUE
    )
    assert [log.participation.task.title for log in overdue_logs] == ["QUAHAN-1 chưa gửi"]
    # The PAR criterion "items on time", cut off today: the item due soon does not count.
    on_time, total = computed.figures(
        "tasks_on_time", agency_id=stc.pk, date_from=today - dt.timedelta(days=60), date_to=today
    )
    assert (on_time, total) == (2, 4)  # accepted on time + sent in time, of four due
