"""The coordination endpoints of the REST API (docs/api.md): bodies, items with their
participations and timeliness, contributions saved, given a file and sent through the
page's own service — same validation, history and notifications as the page — and the
one error format in Vietnamese."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.models import Agency
from api.tokens import token_create
from coordination import services
from coordination.models import Attachment, Contribution, Notification, Participation, Task
from tests.conftest import form_token, login
from tests.coordination_factories import make_task
from tests.factories import AgencyFactory, in_days

PDF = b"%PDF-1.4\n%test\n"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def bearer(user, scope: str = "write") -> Client:
    _token, key = token_create(user=user, name="Máy chủ LGSP", scope=scope, expires_at=in_days(30))
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    body = response.json()["error"]
    assert body["code"] == code and body["message"], body
    return body


def state():
    return (
        list(Contribution.objects.order_by("pk").values_list("version", "submitted_at", "body")),
        list(Participation.objects.order_by("pk").values_list("status")),
        list(Task.objects.order_by("pk").values_list("status", "version")),
        Attachment.objects.count(),
        Contribution.history.count(),
        Notification.objects.count(),
    )


# --- Reads ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_items_list_the_bodys_items_with_each_participation_and_its_timeliness(
    noivu, contrib_focal
):
    task = make_task(actor=noivu, contributors=("STC",), contributor_due_dates={})
    make_task(actor=noivu, chair="SYT", contributors=("TUYHOA",), title="Việc của Sở Y tế")
    data = api(contrib_focal).get(reverse("api:task-list")).json()
    assert data["count"] == 1 and data["previous"] is None and data["next"] is None
    item = data["results"][0]
    assert item["id"] == task.pk and item["my_role"] == "contribute"
    assert item["timeliness"] == "on_time" and item["timeliness_label"] == "Trong hạn"
    assert item["chair_agency"]["code"] == "STP"
    parts = {p["agency"]["code"]: p for p in item["participations"]}
    assert set(parts) == {"STP", "SNV", "STC"}
    assert parts["STC"]["role"] == "contribute" and parts["STC"]["status"] == "pending"
    assert parts["STC"]["effective_due_date"] == task.due_date.isoformat()


@pytest.mark.django_db
def test_item_detail_has_the_callers_action_flags(noivu, contrib_focal, leader):
    task = make_task(actor=noivu, contributors=("STC",))
    detail = api(contrib_focal).get(reverse("api:task-detail", args=[task.pk])).json()
    assert detail["legal_basis"].startswith("Quyết định")
    assert detail["actions"]["draft"] and detail["actions"]["contribute"]
    assert not detail["actions"]["consolidate"]
    leader_view = api(leader).get(reverse("api:task-detail", args=[task.pk])).json()
    assert leader_view["my_role"] is None and not leader_view["actions"]["draft"]


@pytest.mark.django_db
def test_another_bodys_item_is_404_in_the_error_format(noivu, unrelated_focal):
    task = make_task(actor=noivu)
    body = error(
        api(unrelated_focal).get(reverse("api:task-detail", args=[task.pk])), 404, "not_found"
    )
    assert body["message"].startswith("Không tìm thấy") and body["fields"] == {}
    assert api(unrelated_focal).get(reverse("api:task-list")).json()["count"] == 0


@pytest.mark.django_db
def test_a_draft_item_is_seen_by_noivu_only(noivu, chair_focal):
    draft = make_task(actor=noivu, assign=False)
    assert api(noivu).get(reverse("api:task-detail", args=[draft.pk])).status_code == 200
    response = api(chair_focal).get(reverse("api:task-detail", args=[draft.pk]))
    error(response, 404, "not_found")


@pytest.mark.django_db
def test_item_filters(noivu, chair_focal):
    soon = make_task(actor=noivu, due=3, title="Sắp đến hạn")
    later = make_task(actor=noivu, due=60, title="Còn xa", chair="SYT", contributors=("STP",))
    overdue = make_task(actor=noivu, due=10, title="Quá hạn")
    Task.objects.filter(pk=overdue.pk).update(due_date=in_days(-2))  # time passed
    client = api(chair_focal)

    def ids(**params) -> set[int]:
        response = client.get(reverse("api:task-list"), params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {soon.pk, later.pk, overdue.pk}
    assert ids(role="chair") == {soon.pk, overdue.pk}
    assert ids(role="contribute") == {later.pk}
    assert ids(overdue="true") == {overdue.pk}
    assert ids(overdue="false") == {soon.pk, later.pk}
    assert ids(timeliness="due_soon") == {soon.pk}
    assert ids(due_from=in_days(30).isoformat()) == {later.pk}
    assert ids(due_to=in_days(5).isoformat()) == {soon.pk, overdue.pk}
    assert ids(year=in_days(60).year) >= {later.pk}
    assert ids(status="assigned") == {soon.pk, later.pk, overdue.pk}
    assert ids(status="done") == set()
    assert ids(agency=Agency.objects.get(code="SYT").pk) == {later.pk}
    assert ids(q="Còn xa") == {later.pk}
    ordered = client.get(reverse("api:task-list"), {"ordering": "-due_date"}).json()["results"]
    assert [row["id"] for row in ordered] == [later.pk, soon.pk, overdue.pk]


@pytest.mark.django_db
def test_a_bad_filter_is_400_with_vietnamese_messages_by_field(chair_focal):
    response = api(chair_focal).get(
        reverse("api:task-list"), {"status": "xong", "year": "hai nghìn", "due_from": "31/02"}
    )
    body = error(response, 400, "validation")
    assert set(body["fields"]) == {"status", "year", "due_from"}
    assert "phải là một số nguyên" in body["fields"]["year"][0]
    assert "không hợp lệ" in body["message"]
    # A value quoted in the message may hold "%" (django-filter's own translation failed).
    response = api(chair_focal).get(reverse("api:task-list"), {"agency": "5%s", "year": "1%"})
    assert error(response, 400, "validation")["fields"]["year"] == [
        "Năm của hạn xử lý phải là một số nguyên (“1%”)."
    ]


@pytest.mark.django_db
def test_bodies_list_and_filters(chair_focal):
    client = api(chair_focal)
    data = client.get(reverse("api:agency-list"), {"kind": "lead"}).json()
    assert [row["code"] for row in data["results"]] == ["SNV"]
    old = AgencyFactory(code="CU", kind="other", valid_to=dt.date(2020, 1, 1))
    inactive = client.get(reverse("api:agency-list"), {"active": "false"}).json()["results"]
    assert [row["code"] for row in inactive] == [old.code] and not inactive[0]["is_active"]
    detail = client.get(reverse("api:agency-detail", args=[old.pk])).json()
    assert detail["name"] == old.name and detail["kind_label"] == "Cơ quan khác"
    error(client.get(reverse("api:agency-detail", args=[999999])), 404, "not_found")


@pytest.mark.django_db
def test_pagination_page_size_next_and_a_page_past_the_end(chair_focal):
    client = api(chair_focal)
    first = client.get(reverse("api:agency-list"), {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["count"] > 2
    assert "page=2" in first["next"] and "page_size=2" in first["next"]
    second = client.get(first["next"]).json()
    assert second["previous"] and second["results"][0]["id"] != first["results"][0]["id"]
    capped = client.get(reverse("api:agency-list"), {"page_size": 100000}).json()
    assert len(capped["results"]) == min(capped["count"], 200)
    body = error(client.get(reverse("api:agency-list"), {"page": 999}), 404, "not_found")
    assert body["message"] == "Trang “999” không tồn tại."


# --- Contributions: visibility --------------------------------------------------------------


@pytest.mark.django_db
def test_a_draft_is_its_own_bodys_alone(noivu, chair_focal, contrib_focal, tracker_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    draft = services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="Bản nháp", submit=False
    )
    url = reverse("api:contribution-detail", args=[draft.pk])
    assert api(contrib_focal).get(url).json()["submitted"] is False
    for other in (chair_focal, tracker_focal, noivu):
        error(api(other).get(url), 404, "not_found")
        assert api(other).get(reverse("api:contribution-list")).json()["count"] == 0
    services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="Bản gửi", submit=True
    )
    seen = api(chair_focal).get(reverse("api:contribution-list"), {"task": task.pk}).json()
    assert [row["body"] for row in seen["results"]] == ["Bản gửi"]


@pytest.mark.django_db
def test_contribution_filters(noivu, contrib_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="Gửi", submit=True
    )
    other = make_task(actor=noivu, contributors=("STC",), title="Khác")
    services.contribution_save(
        actor=contrib_focal, task=other, form="report", body="Nháp", submit=False
    )
    client = api(contrib_focal)

    def bodies(**params) -> list[str]:
        response = client.get(reverse("api:contribution-list"), params)
        return [row["body"] for row in response.json()["results"]]

    assert bodies(task=task.pk) == ["Gửi"]
    assert bodies(submitted="false") == ["Nháp"]
    assert bodies(form="report") == ["Nháp"]
    assert sorted(bodies(agency=Agency.objects.get(code="STC").pk)) == ["Gửi", "Nháp"]
    error(client.get(reverse("api:contribution-list"), {"task": "x"}), 400, "validation")


# --- Contributions: writes ------------------------------------------------------------------


@pytest.mark.django_db
def test_save_attach_submit_writes_what_the_page_writes(noivu, contrib_focal, district_focal):
    """The same act by the page (Tuy Hòa) and by the API (Sở Tài chính): the same history."""
    task = make_task(actor=noivu, contributors=("STC", "TUYHOA"))
    page = login(district_focal)
    url = reverse("contribution_new", args=[task.pk])
    page.post(
        url,
        {
            "form": "comment",
            "body": "Ý kiến",
            "once": form_token(page.get(url)),
            "nom-TOTAL_FORMS": "0",
            "nom-INITIAL_FORMS": "0",
            "files": SimpleUploadedFile("gop-y.pdf", PDF, "application/pdf"),
        },
    )
    page.post(
        url,
        {
            "form": "comment",
            "body": "Ý kiến",
            "submit": "1",
            "confirmed": "1",
            "once": form_token(page.get(url)),
            "nom-TOTAL_FORMS": "0",
            "nom-INITIAL_FORMS": "0",
        },
    )
    client = api(contrib_focal)
    created = client.post(
        reverse("api:contribution-list"),
        {"task": task.pk, "form": "comment", "body": "Ý kiến"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["submitted"] is False
    pk = created.json()["id"]
    upload = SimpleUploadedFile("gop-y.pdf", PDF, "application/pdf")
    attached = client.post(
        reverse("api:contribution-attach", args=[pk]), {"file": upload}, format="multipart"
    )
    assert attached.status_code == 201 and attached.json()["original_name"] == "gop-y.pdf"
    sent = client.post(reverse("api:contribution-submit", args=[pk]))
    assert sent.status_code == 200 and sent.json()["submitted"] is True
    assert [a["original_name"] for a in sent.json()["attachments"]] == ["gop-y.pdf"]

    def reasons(user) -> dict:
        part = Participation.objects.get(task=task, agency=user.agency)
        contribution = part.contributions.get()
        return {
            "participation": list(
                part.history.order_by("history_id").values_list("history_change_reason", flat=1)
            ),
            "contribution": list(
                contribution.history.order_by("history_id").values_list(
                    "history_change_reason", "history_user_id"
                )
            )[-1],
            "attachment": list(
                Attachment.history.filter(contribution_id=contribution.pk).values_list(
                    "history_change_reason", "history_user_id"
                )
            ),
            "status": part.status,
        }

    by_page, by_api = reasons(district_focal), reasons(contrib_focal)
    assert by_api["participation"] == by_page["participation"]
    assert by_api["contribution"] == ("Gửi nội dung", contrib_focal.pk)
    assert by_page["contribution"] == ("Gửi nội dung", district_focal.pk)
    assert by_api["attachment"] == [("Đính kèm tệp", contrib_focal.pk)]
    assert by_api["status"] == by_page["status"] == "submitted"


@pytest.mark.django_db
def test_the_chairs_result_sent_by_api_notifies_as_the_page_does(
    noivu, chair_focal, tracker_focal, django_capture_on_commit_callbacks
):
    by_page = make_task(actor=noivu, contributors=(), title="Qua trang")
    by_api = make_task(actor=noivu, contributors=(), title="Qua API")
    with django_capture_on_commit_callbacks(execute=True):  # notices leave after commit
        services.contribution_save(
            actor=chair_focal, task=by_page, form="report", body="Kết quả", submit=True
        )
        response = api(chair_focal).post(
            reverse("api:contribution-list"),
            {"task": by_api.pk, "form": "report", "body": "Kết quả", "submit": True},
            format="json",
        )
    assert response.status_code == 201 and response.json()["is_consolidation"]
    by_api.refresh_from_db()
    assert by_api.status == Task.Status.UNDER_REVIEW

    def notices(task):
        rows = Notification.objects.filter(task=task).order_by("user_id")
        return list(rows.values_list("user_id", flat=True))

    assert notices(by_api) == notices(by_page) and tracker_focal.pk in notices(by_api)


@pytest.mark.django_db
def test_a_second_save_replaces_the_one_draft(noivu, contrib_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    client = api(contrib_focal)
    first = client.post(
        reverse("api:contribution-list"),
        {"task": task.pk, "form": "nomination", "nominations": [
            {"full_name": "Lê Văn A", "position": "Phó Giám đốc", "agency_name": "Sở Tài chính",
             "team": "inspection_team"},
        ]},
        format="json",
    ).json()  # fmt: skip
    second = client.post(
        reverse("api:contribution-list"),
        {"task": task.pk, "form": "nomination", "document_number": "12/STC-VP"},
        format="json",
    ).json()
    assert second["id"] == first["id"] and second["document_number"] == "12/STC-VP"
    assert [n["full_name"] for n in second["nominations"]] == ["Lê Văn A"]
    assert Contribution.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload,field,words",
    [
        ({"form": "comment", "body": "  "}, "body", "Hãy nhập nội dung hoặc đính kèm văn bản."),
        ({"form": "thu"}, "form", "không phải là một lựa chọn hợp lệ"),
        ({"body": "Ý kiến"}, "form", "Trường này là bắt buộc."),
        ({"form": "comment", "body": "a\x00b"}, "body", "chứa ký tự điều khiển"),
        ({"form": "comment", "body": "x" * 50001}, "body", "dài quá 50000 ký tự"),
        ({"form": "comment", "body": "x", "document_number": "1\n2"}, "document_number",
         "chứa ký tự điều khiển"),
        ({"form": "nomination"}, None, "Hãy nhập ít nhất một cán bộ được cử."),
        ({"form": "nomination", "nominations": [{"full_name": "A", "position": "B",
          "agency_name": "C", "team": "doi"}]}, "nominations.0.team", "lựa chọn hợp lệ"),
        ({"form": "comment", "body": "x", "submit": "có"}, "submit", "Hãy gửi true hoặc false."),
        ({"form": "comment", "body": "x", "task": "1e3"}, "task", "lũy thừa"),
    ],
)  # fmt: skip
def test_bad_input_is_400_in_vietnamese_and_changes_nothing(
    noivu, contrib_focal, payload, field, words
):
    task = make_task(actor=noivu, contributors=("STC",))
    before = state()
    response = api(contrib_focal).post(
        reverse("api:contribution-list"), {"task": task.pk, **payload}, format="json"
    )
    body = error(response, 400, "validation")
    if field is None:
        assert words in body["message"] and body["fields"] == {}
    else:
        assert any(words in m for m in body["fields"][field]), body
    assert state() == before


@pytest.mark.django_db
def test_the_services_refusal_is_its_own_sentence(noivu, contrib_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="x", submit=True
    )
    before = state()
    response = api(contrib_focal).post(
        reverse("api:contribution-list"),
        {"task": task.pk, "form": "comment", "body": "Lần hai"},
        format="json",
    )
    body = error(response, 400, "validation")
    assert (
        body["message"] == "Phần việc của cơ quan đang ở trạng thái “Đã gửi”, không thể gửi thêm."
    )
    assert state() == before


@pytest.mark.django_db
def test_a_bad_file_is_refused_by_the_upload_rule(noivu, contrib_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    draft = services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="x", submit=False
    )
    before = state()
    url = reverse("api:contribution-attach", args=[draft.pk])
    exe = SimpleUploadedFile("virus.exe", b"MZ\x90\x00", "application/octet-stream")
    body = error(api(contrib_focal).post(url, {"file": exe}, format="multipart"), 400, "validation")
    assert "tệp" in body["message"].lower()
    body = error(api(contrib_focal).post(url, {}, format="multipart"), 400, "validation")
    assert body["fields"] == {"file": ["Hãy gửi một tệp."]}
    error(api(contrib_focal).post(url, {"file": "x"}, format="json"), 415, "unsupported_media_type")
    assert state() == before


@pytest.mark.django_db
def test_a_sent_contribution_takes_no_file_and_is_not_sent_twice(noivu, contrib_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    sent = services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="x", submit=True
    )
    before = state()
    client = api(contrib_focal)
    upload = SimpleUploadedFile("a.pdf", PDF, "application/pdf")
    response = client.post(
        reverse("api:contribution-attach", args=[sent.pk]), {"file": upload}, format="multipart"
    )
    assert "đã gửi" in error(response, 400, "validation")["message"]
    response = client.post(reverse("api:contribution-submit", args=[sent.pk]))
    assert error(response, 400, "validation")["message"] == "Nội dung này đã được gửi."
    assert state() == before


@pytest.mark.django_db
def test_roles_that_may_not_write_get_403_and_others_bodies_404(
    noivu, leader, chair_focal, unrelated_focal, contrib_focal
):
    task = make_task(actor=noivu, contributors=("STC",))
    before = state()
    payload = {"task": task.pk, "form": "comment", "body": "x"}
    body = error(
        api(leader).post(reverse("api:contribution-list"), payload, format="json"),
        403,
        "permission_denied",
    )
    assert body["message"] == "Anh/chị không có quyền thực hiện thao tác này."
    error(
        api(unrelated_focal).post(reverse("api:contribution-list"), payload, format="json"),
        404,
        "not_found",
    )
    sent = services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="x", submit=True
    )
    before = state()
    # The chairing body sees the coordinating body's sent text but may not send it.
    response = api(chair_focal).post(reverse("api:contribution-submit", args=[sent.pk]))
    error(response, 403, "permission_denied")
    assert state() == before


@pytest.mark.django_db
def test_errors_of_the_protocol_are_in_the_format(chair_focal):
    client = api(chair_focal)
    body = error(client.put(reverse("api:task-list")), 405, "method_not_allowed")
    assert body["message"] == "Địa chỉ này không nhận phương thức PUT."
    response = client.post(
        reverse("api:contribution-list"), "{hỏng", content_type="application/json"
    )
    error(response, 400, "parse_error")
    response = client.get(reverse("api:task-list"), HTTP_ACCEPT="text/csv")
    error_406 = response.status_code == 406
    assert error_406 and response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_a_call_without_credentials_is_401_not_a_sign_in_redirect():
    response = Client().get(reverse("api:task-list"))
    body = error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "Authorization: Bearer" in body["message"]
    response = Client().get(reverse("api:task-list"), HTTP_AUTHORIZATION="Bearer sai")
    error(response, 401, "authentication_failed")


@pytest.mark.django_db
def test_a_session_post_needs_the_csrf_token(noivu, contrib_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    client = Client(enforce_csrf_checks=True)
    client.force_login(contrib_focal)
    response = client.post(
        reverse("api:contribution-list"),
        json.dumps({"task": task.pk, "form": "comment", "body": "x"}),
        content_type="application/json",
    )
    assert "mã CSRF" in error(response, 403, "permission_denied")["message"]
    assert not Contribution.objects.exists()


# --- Query counts ---------------------------------------------------------------------------


@pytest.fixture
def no_throttle(monkeypatch):
    """The API's own queries: the rate limit's cache reads and writes (api.throttling,
    tested in its own module) are left out of the counts."""
    from api.base import PortalAPIMixin

    monkeypatch.setattr(PortalAPIMixin, "get_throttles", lambda self: [], raising=False)


def _count_queries(django_assert_num_queries, user, url, params, expected):
    """Queries of one request by a freshly loaded ``user`` (no roles cached on it)."""
    client = api(type(user).objects.get(pk=user.pk))
    with django_assert_num_queries(expected):
        response = client.get(url, params)
    assert response.status_code == 200
    return response.json()["count"]


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 3])
def test_item_list_queries_are_fixed(
    noivu, chair_focal, rows, django_assert_num_queries, no_throttle
):
    for n in range(rows):
        make_task(actor=noivu, title=f"Việc {n}", contributors=("STC", "TUYHOA"))
    url = reverse("api:task-list")
    # the caller's roles, the bodies before theirs (agencies.lineage.readable_agency_ids),
    # count, items, their participations
    assert _count_queries(django_assert_num_queries, chair_focal, url, {}, 5) == rows
    assert (
        _count_queries(django_assert_num_queries, chair_focal, url, {"overdue": "false"}, 5) == rows
    )


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 3])
def test_contribution_list_queries_are_fixed(
    noivu, chair_focal, contrib_focal, rows, django_assert_num_queries, no_throttle
):
    for n in range(rows):
        task = make_task(actor=noivu, title=f"Việc {n}", contributors=("STC",))
        services.contribution_save(
            actor=contrib_focal,
            task=task,
            form="comment",
            body="x",
            submit=True,
            files=[SimpleUploadedFile("a.pdf", PDF, "application/pdf")],
        )
    url = reverse("api:contribution-list")
    # the caller's roles, the bodies before theirs, count, contributions, nominations,
    # attachments
    assert _count_queries(django_assert_num_queries, chair_focal, url, {}, 6) == rows


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 3])
def test_body_list_queries_are_fixed(chair_focal, rows, django_assert_num_queries, no_throttle):
    # the count, the page, and one query each for the successors and predecessors
    for n in range(rows):
        AgencyFactory(code=f"KHAC{n}", kind="other")
    url = reverse("api:agency-list")
    assert _count_queries(django_assert_num_queries, chair_focal, url, {"kind": "other"}, 4) == rows


# --- A personal token, end to end -----------------------------------------------------------


@pytest.mark.django_db
def test_a_write_token_submits_and_the_page_and_history_show_it(noivu, contrib_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    client = bearer(contrib_focal)
    listed = client.get(reverse("api:task-list")).json()
    assert [row["id"] for row in listed["results"]] == [task.pk]
    response = client.post(
        reverse("api:contribution-list"),
        json.dumps({"task": task.pk, "form": "comment", "body": "Góp ý gửi qua LGSP"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    sent = client.post(reverse("api:contribution-submit", args=[pk]))
    assert sent.status_code == 200 and sent.json()["submitted"]
    page = login(noivu).get(reverse("task_detail", args=[task.pk])).content.decode()
    assert "Góp ý gửi qua LGSP" in page
    record = Contribution.history.filter(id=pk).latest("history_id")
    assert record.history_user == contrib_focal and record.history_change_reason == "Gửi nội dung"
    history = login(noivu).get(reverse("task_history", args=[task.pk])).content.decode()
    assert contrib_focal.display_name in history


@pytest.mark.django_db
def test_a_token_gets_404_on_another_bodys_item_and_a_read_token_cannot_write(
    noivu, contrib_focal, unrelated_focal
):
    task = make_task(actor=noivu, contributors=("STC",))
    other = bearer(unrelated_focal)
    error(other.get(reverse("api:task-detail", args=[task.pk])), 404, "not_found")
    before = state()
    reader = bearer(contrib_focal, scope="read")
    assert reader.get(reverse("api:task-detail", args=[task.pk])).status_code == 200
    response = reader.post(
        reverse("api:contribution-list"),
        json.dumps({"task": task.pk, "form": "comment", "body": "x"}),
        content_type="application/json",
    )
    assert "chỉ có quyền đọc" in error(response, 403, "permission_denied")["message"]
    assert state() == before
