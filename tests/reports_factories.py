"""Factories for reporting rounds, bodies' reports and coordination items used by the
reports tests. Data goes through the services, as users would create it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from agencies import roles
from agencies.models import User
from coordination import services as coord
from coordination.models import Participation, Task
from reports import services
from reports.models import AgencyReport, ReportRound
from tests.factories import UserFactory, agency

GOOD_VALUES = {
    "documents_issued": 4,
    "inspections": 2,
    "tthc_received": 1200,
    "tthc_on_time": 1150,
    "tthc_late": 12,
    "online_received": 800,
    "online_services": 95,
}
GOOD_SECTIONS = {
    "direction": "Ban hành kế hoạch cải cách hành chính năm; tổ chức quán triệt đến công chức.",
    "procedures": "Rà soát, đơn giản hóa thủ tục hành chính thuộc thẩm quyền giải quyết.",
}


def _user(username: str, code: str, role: str):
    existing = User.objects.filter(username=username).first()
    return existing or UserFactory(username=username, agency=agency(code), roles=[role])


def officer():
    return _user("f_noivu", "SNV", roles.NOIVU_OFFICER)


def focal(code: str):
    return _user(f"f_{code.lower()}", code, roles.FOCAL_OFFICER)


def make_round(
    *, codes=("STP", "STC", "TUYHOA"), period="", year=2024, deadline=None, actor=None
) -> ReportRound:
    actor = actor or officer()
    today = timezone.localdate()
    return services.round_create(
        actor=actor,
        kind=ReportRound.Kind.AD_HOC if not period else "",
        year=year,
        period=period,
        title="" if period else "Báo cáo chuyên đề cải cách thủ tục hành chính",
        period_start=None if period else today - dt.timedelta(days=90),
        period_end=None if period else today,
        deadline=deadline or (None if period else today + dt.timedelta(days=10)),
        agencies=[agency(c) for c in codes],
    )


def report_of(rnd: ReportRound, code: str) -> AgencyReport:
    return AgencyReport.objects.get(round=rnd, agency__code=code)


def submit(rnd: ReportRound, code: str, *, values=None, sections=None, when=None, user=None):
    return services.report_save(
        actor=user or focal(code),
        report=report_of(rnd, code),
        sections=sections or GOOD_SECTIONS,
        indicators=values or GOOD_VALUES,
        submit=True,
        when=when,
    )


def make_task(*, actor=None, chair="STP", tracker="SNV", contributors=("STC",), due_in=20):
    actor = actor or officer()
    task = coord.task_create(
        actor=actor,
        title="Xây dựng Kế hoạch cải cách hành chính năm của tỉnh Phú Yên",
        category="plan",
        due_date=timezone.localdate() + dt.timedelta(days=due_in),
        legal_basis="Quyết định số 1242/QĐ-UBND",
        spec=coord.ParticipantSpec(
            chair=agency(chair),
            tracker=agency(tracker),
            contributors=[agency(c) for c in contributors],
            contributor_due_dates={},
        ),
    )
    coord.task_assign(actor=actor, task=task)
    return task


def make_overdue(task: Task, days: int = 5) -> Task:
    """Move an item's deadline into the past (test data only)."""
    due = timezone.localdate() - dt.timedelta(days=days)
    Task.objects.filter(pk=task.pk).update(due_date=due)
    Participation.objects.filter(task=task).update(due_date=None)
    task.refresh_from_db()
    return task


def document(ask, user=None) -> bytes:
    """A document's bytes as the portal stores it (stored when current, else built now)."""
    from reports.delivery import document_bytes

    return document_bytes(ask, user)


def fetch_document(client, url: str):
    """Ask for a document as a reader does and return the response that carries the file:
    a stored or small document comes at once; otherwise follow the 303 to its status page,
    let the job run (immediate backend, after commit) and download the file. The file's
    bytes are ``response.data``."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.get(url)
    if response.status_code == 303:
        job_url = response["Location"]
        assert client.get(job_url).status_code == 200
        state = client.get(job_url + "status/").json()
        assert state["done"], state
        response = client.get(state["download"])
    if response.status_code == 302:  # an address that hands over to reports'
        return fetch_document(client, response["Location"])
    streaming = getattr(response, "streaming", False)
    response.data = b"".join(response.streaming_content) if streaming else b""
    return response
