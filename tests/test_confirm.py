"""Confirmation before every irreversible act (agencies/confirm.py, docs/confirmations.md).

Without ``confirmed=1`` an act answers with a page that says what will happen and changes
nothing; that page re-posts the same values with ``confirmed=1``, and sending it acts. A
user who may not act is refused as before, never asked. The detail page carries the same
question for the browser's dialog (``data-confirm``)."""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from agencies.confirm import confirmation
from agencies.once import new_token
from coordination import services
from coordination.models import Contribution, Participation, ReminderLog, Task
from tests.conftest import login
from tests.coordination_factories import make_task

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def hidden_fields(response) -> list[tuple[str, str]]:
    """The re-posted fields of the confirm form, in order (without the csrf token)."""
    page = response.content.decode()
    form = page[page.index('class="card confirm-page"') :]
    form = form[: form.index("</form>")]
    return [
        (name, html.unescape(value))
        for name, value in HIDDEN.findall(form)
        if name != "csrfmiddlewaretoken"
    ]


def repost(client, response):
    """Press the confirm page's button: post its hidden fields to its action."""
    page = response.content.decode()
    page = page[page.index('class="card confirm-page"') :]
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', page).group(1))
    data: dict[str, list[str]] = {}
    for name, value in hidden_fields(response):
        data.setdefault(name, []).append(value)
    return client.post(action, data)


def state():
    return (
        list(Task.objects.order_by("pk").values_list("status", "version", "return_reason")),
        list(Participation.objects.order_by("pk").values_list("status", "return_reason")),
        Contribution.objects.count(),
        Task.history.count(),
        Participation.history.count(),
        ReminderLog.objects.count(),
    )


# --- The mechanism ----------------------------------------------------------------------


def _request(data, **extra):
    request = RequestFactory().post("/tasks/1/assign/?x=1", data, **extra)
    request.user = type("U", (), {"is_authenticated": False})()
    return request


def test_a_confirmed_post_goes_through():
    request = _request({"confirmed": "1", "reason": "Hết nhu cầu"})
    assert confirmation(request, title="T", consequences=["C"], confirm_label="L") is None


@pytest.mark.django_db
def test_the_page_repeats_every_field_multi_valued_too_and_adds_confirmed(rf, noivu):
    request = rf.post(
        "/tasks/1/assign/?x=1",
        {"reason": 'Lý do "có" <b>dấu</b>', "agency": ["3", "5"], "once": "tok-1234567890abcdef"},
        HTTP_REFERER="http://testserver/tasks/1/",
    )
    request.user = noivu
    request._messages = []
    response = confirmation(
        request,
        title="Hủy nhiệm vụ?",
        consequences=["Một", "Hai"],
        confirm_label="Hủy nhiệm vụ",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 id="confirm-title">Hủy nhiệm vụ?</h1>' in page
    assert "<li>Một</li>" in page and "<li>Hai</li>" in page
    assert "&lt;b&gt;" in page  # typed text is escaped, never markup
    assert hidden_fields(response) == [
        ("reason", 'Lý do "có" <b>dấu</b>'),
        ("agency", "3"),
        ("agency", "5"),
        ("once", "tok-1234567890abcdef"),
        ("confirmed", "1"),
    ]
    assert 'action="/tasks/1/assign/?x=1"' in page
    assert 'href="http://testserver/tasks/1/">Quay lại' in page
    assert 'name="csrfmiddlewaretoken"' in page


@pytest.mark.django_db
def test_back_goes_to_the_cancel_url_and_never_off_site(rf, noivu):
    request = rf.post("/x/", {}, HTTP_REFERER="https://evil.example/phish")
    request.user = noivu
    page = confirmation(request, title="T", consequences=[], confirm_label="L").content.decode()
    assert "evil.example" not in page and 'href="/">Quay lại' in page
    page = confirmation(
        request, title="T", consequences=[], confirm_label="L", cancel_url="/tasks/9/"
    ).content.decode()
    assert 'href="/tasks/9/">Quay lại' in page


@pytest.mark.django_db
def test_a_post_with_files_is_not_reposted_and_says_to_go_back(rf, noivu):
    upload = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n", "application/pdf")
    request = rf.post("/x/", {"body": "Nội dung", "files": upload})
    request.user = noivu
    response = confirmation(request, title="Gửi?", consequences=["C"], confirm_label="Gửi")
    page = response.content.decode()
    assert "chọn lại tệp" in page
    assert 'name="confirmed"' not in page  # nothing that would act without the file


def test_the_template_tag_writes_the_dialog_attributes():
    from django.template import Context, Template

    out = Template(
        '{% load portal %}<form {% confirm_attrs t c label="Giao" %}>'
        '<form {% confirm_attrs "" c %}>'
    ).render(Context({"t": 'Giao "A"?', "c": ["Một", "Hai <b>"]}))
    assert 'data-confirm="Giao &quot;A&quot;?"' in out
    assert 'data-confirm-details="Một\nHai &lt;b&gt;"' in out
    assert 'data-confirm-label="Giao"' in out
    assert "<form >" in out  # no title: no question


# --- Coordination's acts ----------------------------------------------------------------


@pytest.fixture
def acts(noivu, contrib_focal, chair_focal):
    """One item in each state an act needs, and the act's URL, data and who may do it."""
    draft = make_task(actor=noivu, assign=False, title="Dự thảo kế hoạch")
    task = make_task(actor=noivu, contributors=("STC", "TUYHOA"))
    services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="Thống nhất", submit=True
    )
    review = make_task(actor=noivu, contributors=(), title="Chờ xem xét")
    services.contribution_save(
        actor=chair_focal, task=review, form="report", body="Kết quả", submit=True
    )
    stc = task.participations.get(agency__code="STC")
    tuyhoa = task.participations.get(agency__code="TUYHOA")
    return {
        "assign": (
            noivu,
            reverse("task_assign", args=[draft.pk]),
            {},
            "Giao nhiệm vụ “Dự thảo kế hoạch”?",
            lambda: Task.objects.get(pk=draft.pk).status == "assigned",
        ),
        "cancel": (
            noivu,
            reverse("task_cancel", args=[task.pk]),
            {"reason": "Không còn cần thiết"},
            "Nhiệm vụ đã hủy không mở lại được.",
            lambda: Task.objects.get(pk=task.pk).status == "cancelled",
        ),
        "task_accept": (
            noivu,
            reverse("task_review", args=[review.pk]),
            {"decision": "accept"},
            "Sau khi chấp nhận không trả lại được nữa.",
            lambda: Task.objects.get(pk=review.pk).status == "done",
        ),
        "part_accept": (
            chair_focal,
            reverse("participation_review", args=[task.pk, stc.pk]),
            {"decision": "accept"},
            "Chấp nhận nội dung của Sở Tài chính?",
            lambda: Participation.objects.get(pk=stc.pk).status == "accepted",
        ),
        "remind": (
            noivu,
            reverse("task_remind", args=[task.pk]),
            {"agency": str(tuyhoa.agency_id)},
            "Thư nhắc việc được gửi ngay tới cán bộ đầu mối của: Tuy Hòa.",
            lambda: ReminderLog.objects.filter(kind="manual").count() == 1,
        ),
        "exempt": (
            noivu,
            reverse("participation_exempt", args=[task.pk, tuyhoa.pk]),
            {"reason": "Không liên quan"},
            "không phải gửi nội dung cho nhiệm vụ này nữa",
            lambda: Participation.objects.get(pk=tuyhoa.pk).status == "exempt",
        ),
    }


ACTS = ["assign", "cancel", "task_accept", "part_accept", "exempt", "remind"]


@pytest.mark.django_db
@pytest.mark.parametrize("act", ACTS)
def test_without_confirmation_nothing_changes_and_the_page_says_what_will_happen(acts, act):
    user, url, data, says, done = acts[act]
    client = login(user)
    before = state()
    response = client.post(url, data)
    assert response.status_code == 200
    assert says in html.unescape(response.content.decode())
    assert state() == before and not done()
    assert hidden_fields(response) == [*data.items(), ("confirmed", "1")]


@pytest.mark.django_db
@pytest.mark.parametrize("act", ACTS)
def test_the_confirm_page_reposts_the_same_values_and_acts(acts, act):
    user, url, data, _says, done = acts[act]
    client = login(user)
    response = repost(client, client.post(url, data))
    assert response.status_code == 302
    assert done()


@pytest.mark.django_db
@pytest.mark.parametrize("act", ACTS)
def test_sent_with_confirmed_it_acts_at_once(acts, act):
    user, url, data, _says, done = acts[act]
    response = login(user).post(url, {**data, "confirmed": "1"})
    assert response.status_code == 302 and done()


@pytest.mark.django_db
@pytest.mark.parametrize("act", ACTS)
def test_a_user_who_may_not_act_is_refused_not_asked(acts, act, leader):
    _user, url, data, _says, done = acts[act]
    before = state()
    response = login(leader).post(url, data)
    assert response.status_code == 403
    assert state() == before


@pytest.mark.django_db
def test_a_missing_reason_is_said_first_nothing_to_confirm(acts):
    user, url, _data, _says, done = acts["cancel"]
    response = login(user).post(url, {"reason": ""}, follow=True)
    page = response.content.decode()
    assert "alert--error" in page and "confirm-title" not in page
    assert not done()


@pytest.mark.django_db
def test_returning_is_not_asked_it_can_be_answered_by_a_new_version(acts):
    user, url, _data, _says, _done = acts["part_accept"]
    response = login(user).post(url, {"decision": "return", "reason": "Bổ sung số liệu"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_an_act_already_done_by_someone_else_is_told_not_asked(noivu):
    task = make_task(actor=noivu)  # already assigned
    response = login(noivu).post(reverse("task_assign", args=[task.pk]), follow=True)
    assert "đã được giao" in response.content.decode()
    assert "confirm-title" not in response.content.decode()


@pytest.mark.django_db
def test_the_confirm_page_query_count(acts, django_assert_num_queries):
    user, url, data, _says, _done = acts["assign"]
    client = login(user)
    client.get(reverse("profile"))  # session, roles and header kept, as for a user browsing
    with django_assert_num_queries(12):  # with the data version (issue 14)
        response = client.post(url, data)
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_detail_page_asks_the_same_in_the_browser(acts, noivu, chair_focal):
    _u, _url, _d, _s, _done = acts["assign"]
    draft = Task.objects.get(title="Dự thảo kế hoạch")
    page = html.unescape(login(noivu).get(reverse("task_detail", args=[draft.pk])).content.decode())
    assert 'data-confirm="Giao nhiệm vụ “Dự thảo kế hoạch”?"' in page
    assert 'data-confirm-label="Giao nhiệm vụ"' in page
    assert "Nhiệm vụ đã hủy không mở lại được." in page  # the cancel form's question
    task = Task.objects.filter(status="in_progress").first()
    page = html.unescape(
        login(chair_focal).get(reverse("task_detail", args=[task.pk])).content.decode()
    )
    assert 'data-confirm="Chấp nhận nội dung của Sở Tài chính?"' in page
    assert page.count("data-confirm=") == 1  # the chair may accept, not cancel or exempt


# --- Submitting a contribution ------------------------------------------------------------


def _contribution(**extra):
    return {
        "form": "comment",
        "body": "Sở Tài chính thống nhất.",
        "nom-TOTAL_FORMS": "0",
        "nom-INITIAL_FORMS": "0",
        "once": new_token(),
        **extra,
    }


@pytest.mark.django_db
def test_submitting_is_confirmed_and_the_draft_button_is_not(noivu, contrib_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    client = login(contrib_focal)
    url = reverse("contribution_new", args=[task.pk])
    response = client.post(url, _contribution(submit="1"))
    assert response.status_code == 200
    assert "Gửi chính thức nội dung (lần 1)?" in response.content.decode()
    assert not Contribution.objects.exists()
    assert repost(client, response).status_code == 302
    assert Contribution.objects.get().submitted_at is not None
    # Saving a draft changes nothing irreversible: no question.
    other = make_task(actor=noivu, contributors=("STC",), title="Khác")
    response = client.post(reverse("contribution_new", args=[other.pk]), _contribution(save="1"))
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_submission_with_files_confirms_in_the_browser_only(noivu, contrib_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    upload = SimpleUploadedFile("cv.pdf", b"%PDF-1.4\n%x\n", "application/pdf")
    page = login(contrib_focal).get(reverse("contribution_new", args=[task.pk])).content.decode()
    assert 'data-confirm="Gửi chính thức nội dung (lần 1)?"' in html.unescape(page)
    response = login(contrib_focal).post(
        reverse("contribution_new", args=[task.pk]), _contribution(submit="1", files=upload)
    )
    assert response.status_code == 302  # the file would be lost on a confirm page
    assert Contribution.objects.get().attachments.count() == 1
