"""Races: the same form sent twice, two people acting on the same thing at the same moment.

Each create form carries a one-time token (``agencies.once``): a double-click, Back and
resubmit or two tabs create one record and show it. The one whose request lost a race on
assign, acceptance or report submission is told what happened in words, not a bare 403."""

from __future__ import annotations

import threading

import pytest
from django.contrib.messages import get_messages
from django.db import connection, connections
from django.urls import reverse

from agencies.models import FormReceipt
from agencies.once import new_token
from coordination import services as coord
from coordination.models import Participation, Task
from reports.models import AgencyReport, ReportRound
from scoring.models import CriteriaSet, ScoringPeriod
from tests.conftest import form_token, login
from tests.coordination_factories import make_task
from tests.factories import UserFactory, agency
from tests.reports_factories import GOOD_VALUES, focal, make_round, report_of
from tests.test_coordination_workflow import create_payload
from tests.test_scoring_permissions import _period_form, build_world


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- The same form twice ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_double_clicked_item_form_creates_one_item_and_shows_it(noivu):
    client = login(noivu)
    token = form_token(client.get(reverse("task_create")))
    data = create_payload(once=token)
    first = client.post(reverse("task_create"), data)
    second = client.post(reverse("task_create"), data)  # the second click, or Back + resend
    task = Task.objects.get()
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("task_detail", args=[task.pk])
    assert any("đã được gửi trước đó" in m for m in _messages(second))
    assert task.history.count() == 1


@pytest.mark.django_db
def test_a_form_changed_after_back_is_a_new_item(noivu):
    """Back, another title typed, sent again: the user meant a second item."""
    client = login(noivu)
    token = new_token()
    client.post(reverse("task_create"), create_payload(once=token))
    client.post(reverse("task_create"), create_payload(once=token, title="Một nhiệm vụ khác"))
    assert sorted(Task.objects.values_list("title", flat=True)) == [
        "Góp ý dự thảo Quy chế kiểm soát TTHC",
        "Một nhiệm vụ khác",
    ]


@pytest.mark.django_db
def test_a_form_without_its_token_keeps_what_was_typed_and_saves_nothing(noivu):
    data = create_payload(title="Kế hoạch kiểm tra CCHC năm 2027")
    del data["once"]
    response = login(noivu).post(reverse("task_create"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Kế hoạch kiểm tra CCHC năm 2027" in page  # the typed title is still there
    assert "trang cũ" in page
    assert 'name="once"' in page  # a fresh token to send again
    assert not Task.objects.exists() and not FormReceipt.objects.exists()


@pytest.mark.django_db
def test_a_refused_form_keeps_its_token_for_the_corrected_send(noivu):
    client = login(noivu)
    token = new_token()
    refused = client.post(reverse("task_create"), create_payload(once=token, due_date="2020-01-01"))
    assert refused.status_code == 200 and not Task.objects.exists()
    assert client.post(reverse("task_create"), create_payload(once=token)).status_code == 302
    assert Task.objects.count() == 1


@pytest.mark.django_db
def test_a_token_belongs_to_its_user(noivu):
    token = new_token()
    login(noivu).post(reverse("task_create"), create_payload(once=token))
    other = UserFactory(username="noivu2", agency=agency("SNV"), roles=["noivu_officer"])
    response = login(other).post(reverse("task_create"), create_payload(once=token))
    assert response.status_code == 302 and response.url == reverse("task_list")
    assert Task.objects.count() == 1


@pytest.mark.django_db
def test_a_round_form_sent_twice_opens_one_round(noivu):
    client = login(noivu)
    token = form_token(client.get(reverse("round_create")))
    data = {
        "kind": "ad_hoc",
        "year": "2026",
        "title": "Báo cáo chuyên đề số hóa hồ sơ",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "deadline": "2026-07-10",
        "agencies": [agency("STP").pk, agency("STC").pk],
        "once": token,
    }
    first = client.post(reverse("round_create"), data)
    second = client.post(reverse("round_create"), data)
    rnd = ReportRound.objects.get()
    assert first.url == second.url == reverse("round_detail", args=[rnd.pk])
    assert AgencyReport.objects.filter(round=rnd).count() == 2


@pytest.mark.django_db
def test_the_year_schedule_button_clicked_twice_opens_each_round_once(noivu):
    client = login(noivu)
    token = form_token(client.get(reverse("reports_home")))
    for _ in range(2):
        client.post(reverse("rounds_create_year"), {"year": "2027", "once": token})
    assert ReportRound.objects.filter(year=2027).count() == 4
    # Another officer with another token meets the rounds already there: nothing twice.
    client.post(reverse("rounds_create_year"), {"year": "2027", "once": new_token()})
    assert ReportRound.objects.filter(year=2027).count() == 4


@pytest.mark.django_db
def test_a_criteria_copy_and_a_period_sent_twice_make_one_each(request, noivu):
    world = build_world(request, "draft")
    client = login(world.users["noivu"])
    source = world.stp.criteria_set
    before = CriteriaSet.objects.count()
    data = {"year": "2031", "once": new_token()}
    first = client.post(reverse("criteria_set_copy", args=[source.pk]), data)
    second = client.post(reverse("criteria_set_copy", args=[source.pk]), data)
    assert CriteriaSet.objects.count() == before + 1
    assert first.url == second.url
    periods = ScoringPeriod.objects.count()
    form = _period_form(world)
    client.post(reverse("period_create"), form)
    client.post(reverse("period_create"), form)
    assert ScoringPeriod.objects.count() == periods + 1


# --- Two people at the same moment ----------------------------------------------------------


@pytest.mark.django_db
def test_the_officer_who_assigns_second_is_told_it_is_already_assigned(noivu):
    task = make_task(actor=noivu, assign=False)
    other = UserFactory(username="noivu2", agency=agency("SNV"), roles=["noivu_officer"])
    coord.task_assign(actor=noivu, task=task)
    response = login(other).post(reverse("task_assign", args=[task.pk]))
    assert response.status_code == 302  # not a bare 403
    [message] = _messages(response)
    assert "đã được giao" in message and str(noivu) in message
    task.refresh_from_db()
    assert task.status == "assigned" and task.history.count() == 2


@pytest.mark.django_db
def test_the_reviewer_who_accepts_second_is_told_who_did_it(noivu, chair_focal, contrib_focal):
    task = make_task(actor=noivu)
    coord.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="Thống nhất.", submit=True
    )
    part = Participation.objects.get(task=task, agency=contrib_focal.agency)
    coord.participation_review(actor=noivu, participation=part, accept=False, reason="Bổ sung")
    response = login(chair_focal).post(
        reverse("participation_review", args=[task.pk, part.pk]), {"decision": "accept"}
    )
    [message] = _messages(response)
    assert "vừa được xử lý" in message and "bị trả lại" in message
    part.refresh_from_db()
    assert part.status == "returned"


@pytest.mark.django_db
def test_the_colleague_who_submits_second_keeps_what_they_typed():
    rnd = make_round(codes=("STC",))
    report = report_of(rnd, "STC")
    colleague = UserFactory(username="f_stc2", agency=agency("STC"), roles=["focal_officer"])
    first, second = login(focal("STC")), login(colleague)
    url = reverse("agency_report_edit", args=[report.pk])
    form = {f"ind_{k}": str(v) for k, v in GOOD_VALUES.items()} | {"action": "submit"}
    assert first.post(url, form | {"sec_direction": "Bản của người thứ nhất."}).status_code == 302
    response = second.post(url, form | {"sec_direction": "Bản của người thứ hai."})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Báo cáo đã được gửi" in page and "Bản của người thứ hai." in page
    report.refresh_from_db()
    assert report.sections["direction"] == "Bản của người thứ nhất." and report.version == 1
    # Opening the form again leads to the report, with the reason.
    again = second.get(url)
    assert again.status_code == 302 and again.url == reverse(
        "agency_report_detail", args=[report.pk]
    )


def _race(posts) -> list:
    """Send the requests from threads released at the same moment; each its own connection."""
    barrier = threading.Barrier(len(posts))
    results: list = [None] * len(posts)

    def run(i, post):
        try:
            barrier.wait()
            results[i] = post()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(posts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_identical_posts_at_the_same_moment_create_one_item(noivu):
    data = create_payload(once=new_token())
    clients = [login(noivu), login(noivu)]
    results = _race([lambda c=c: c.post(reverse("task_create"), data) for c in clients])
    assert [getattr(r, "status_code", r) for r in results] == [302, 302]
    assert Task.objects.count() == 1
    assert {r.url for r in results} == {reverse("task_detail", args=[Task.objects.get().pk])}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_officers_opening_the_same_year_at_once_make_each_round_once(noivu):
    other = UserFactory(username="noivu2", agency=agency("SNV"), roles=["noivu_officer"])
    clients = [login(noivu), login(other)]
    results = _race(
        [
            lambda c=c: c.post(reverse("rounds_create_year"), {"year": "2028", "once": new_token()})
            for c in clients
        ]
    )
    assert [getattr(r, "status_code", r) for r in results] == [302, 302]
    assert ReportRound.objects.filter(year=2028).count() == 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_officers_assigning_at_once_assign_once_and_both_get_an_answer(noivu):
    task = make_task(actor=noivu, assign=False)
    other = UserFactory(username="noivu2", agency=agency("SNV"), roles=["noivu_officer"])
    clients = [login(noivu), login(other)]
    url = reverse("task_assign", args=[task.pk])
    results = _race([lambda c=c: c.post(url, {"confirmed": "1"}) for c in clients])
    assert [getattr(r, "status_code", r) for r in results] == [302, 302]
    task.refresh_from_db()
    assert task.status == "assigned"
    assert task.history.filter(history_change_reason="Giao nhiệm vụ").count() == 1


@pytest.mark.django_db
def test_an_evidence_form_sent_twice_attaches_one_file(request):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from scoring.models import Evidence
    from tests.scoring_factories import score

    world = build_world(request, "draft")
    client = login(world.users["chair_focal"])
    page = reverse("assessment_detail", args=[world.stp.pk])
    token = form_token(client.get(page))
    before = Evidence.objects.filter(assessment=world.stp).count()
    for _ in range(2):
        response = client.post(
            reverse("evidence_upload", args=[world.stp.pk]),
            {
                "file": SimpleUploadedFile("kh.pdf", b"%PDF-1.4 kiem chung"),
                "document_number": "15/KH-STP",
                "scores": [score(world.stp, "1.2").pk],
                "once": token,
            },
        )
        assert response.status_code == 302 and response.url == page
    assert Evidence.objects.filter(assessment=world.stp).count() == before + 1
