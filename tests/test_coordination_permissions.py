"""URL × method × cast matrix for agencies and coordination (STYLE.md rule 11).

Allowed POSTs must change state; refused ones must change nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from coordination import services
from coordination.models import (
    Attachment,
    Contribution,
    Notification,
    Participation,
    ReminderLog,
    Task,
)
from tests.conftest import CAST
from tests.coordination_factories import make_task

ANON = 302  # redirect to the sign-in page
ALL_OK = {name: 200 for name in CAST} | {"anonymous": ANON}


def expect(default: int, **overrides: int) -> dict[str, int]:
    codes = {name: default for name in CAST}
    codes["anonymous"] = ANON
    codes.update(overrides)
    return codes


VISIBLE_ONLY = expect(200, unrelated_focal=404)

# (url name, which object, method, POST data, expected status per cast member)
MATRIX = [
    ("home", None, "get", None, ALL_OK),
    ("agency_list", None, "get", None, ALL_OK),
    ("agency_detail", "agency", "get", None, ALL_OK),
    ("profile", None, "get", None, ALL_OK),
    ("password_change", None, "get", None, ALL_OK),
    ("password_change_done", None, "get", None, ALL_OK),
    # A wrong current password: the form again with a message, nothing changed.
    (
        "password_change",
        None,
        "post",
        {"old_password": "sai", "new_password1": "Mk-moi-2026!x", "new_password2": "Mk-moi-2026!x"},
        ALL_OK,
    ),
    ("login", None, "get", None, expect(302, anonymous=200)),
    # A wrong password: the form again for a visitor; a signed-in user is sent on.
    ("login", None, "post", {"username": "t_x", "password": "sai"}, expect(302, anonymous=200)),
    ("logout", None, "post", {}, expect(302, anonymous=302)),
    ("set_language", None, "post", {"language": "en", "next": "/"}, expect(302)),
    ("set_language", None, "get", None, expect(302, anonymous=302)),
    ("task_list", None, "get", None, ALL_OK),
    # Hands over to the export file in reports (tests/test_reports_permissions.py).
    ("task_export", None, "get", None, expect(302)),
    ("task_overview", None, "get", None, expect(403, noivu=200, leader=200)),
    ("task_create", None, "get", None, expect(403, noivu=200)),
    ("task_detail", "task", "get", None, VISIBLE_ONLY),
    ("task_history", "task", "get", None, VISIBLE_ONLY),
    ("attachment_download", "attachment", "get", None, VISIBLE_ONLY),
    (
        "task_edit",
        "task",
        "get",
        None,
        expect(403, noivu=200, chair_focal=200, unrelated_focal=404),
    ),
    ("task_participants", "task", "get", None, expect(403, noivu=200, unrelated_focal=404)),
    (
        "contribution_new",
        "task",
        "get",
        None,
        # Staff of a taking-part body draft for their focal officer.
        expect(403, chair_focal=200, contrib_focal=200, unrelated_focal=404, chair_staff=200),
    ),
    ("notification_list", None, "get", None, ALL_OK),
    ("notification_read_all", None, "post", {}, expect(302)),
    (
        "task_assign",
        "draft",
        "post",
        {"confirmed": "1"},
        expect(404, noivu=302, leader=403),
    ),
    (
        "task_cancel",
        "task",
        "post",
        {"reason": "Không còn cần thiết", "confirmed": "1"},
        expect(403, noivu=302, unrelated_focal=404),
    ),
    (
        "task_review",
        "review",
        "post",
        {"decision": "accept", "confirmed": "1"},
        expect(403, noivu=302, tracker_focal=302, contrib_focal=404, unrelated_focal=404),
    ),
    (
        "task_remind",
        "task",
        "post",
        {"confirmed": "1"},
        expect(403, noivu=302, tracker_focal=302, unrelated_focal=404),
    ),
    (
        "participation_review",
        "submitted_part",
        "post",
        {"decision": "return", "reason": "Bổ sung"},
        expect(403, noivu=302, chair_focal=302, tracker_focal=302, unrelated_focal=404),
    ),
    (
        "participation_exempt",
        "submitted_part",
        "post",
        {"reason": "Không liên quan", "confirmed": "1"},
        expect(403, noivu=302, unrelated_focal=404),
    ),
    (
        "contribution_new",
        "task",
        "post",
        {
            "form": "comment",
            "body": "Ý kiến",
            "submit": "1",
            "confirmed": "1",
            "once": "a-one-time-token-of-the-form",
            "nom-TOTAL_FORMS": "0",
            "nom-INITIAL_FORMS": "0",
        },
        # STC has already sent its part: the form answers with a message, nothing saved.
        expect(403, chair_focal=302, contrib_focal=200, unrelated_focal=404),
    ),
    (
        "task_edit",
        "task",
        "post",
        {"description": "Sửa mô tả", "legal_basis": "QĐ 1242", "version": "current"},
        expect(403, noivu=200, chair_focal=302, unrelated_focal=404),
    ),
    (
        "task_participants",
        "task",
        "post",
        {"chair": "", "tracker": ""},
        expect(403, noivu=200, unrelated_focal=404),
    ),
    ("task_create", None, "post", {"title": ""}, expect(403, noivu=200)),
]

COVERED_URL_NAMES = {row[0] for row in MATRIX}
COVERED_URL_METHODS = {(row[0], row[2]) for row in MATRIX}

PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture
def world(
    noivu, leader, council, chair_focal, tracker_focal, contrib_focal, unrelated_focal, chair_staff
):
    task = make_task(actor=noivu, contributors=("STC",))
    services.attachment_add(
        actor=noivu, task=task, upload=SimpleUploadedFile("du-thao.pdf", PDF, "application/pdf")
    )
    services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="Ý kiến", submit=True
    )
    review = make_task(actor=noivu, contributors=(), title="Chờ xem xét")
    services.contribution_save(
        actor=chair_focal, task=review, form="report", body="Kết quả", submit=True
    )
    draft = make_task(actor=noivu, assign=False, title="Dự thảo")
    for user in [
        noivu,
        leader,
        council,
        chair_focal,
        tracker_focal,
        contrib_focal,
        unrelated_focal,
        chair_staff,
    ]:
        Notification.objects.create(user=user, message="Thông báo")
    return {
        "task": (task.pk,),
        "draft": (draft.pk,),
        "review": (review.pk,),
        "attachment": (Attachment.objects.get(task=task).pk,),
        "submitted_part": (task.pk, task.participations.get(agency__code="STC").pk),
        "agency": ("STP",),
    }


def snapshot():
    return (
        list(Task.objects.order_by("pk").values_list("status", "version", "description")),
        list(Participation.objects.order_by("pk").values_list("status", "agency_id")),
        Contribution.objects.count(),
        ReminderLog.objects.count(),
        Notification.objects.filter(read_at__isnull=True).count(),
    )


CASES = [
    pytest.param(url, obj, method, data, who, codes[who], id=f"{method}-{url}-{who}")
    for url, obj, method, data, codes in MATRIX
    for who in ["anonymous", *CAST[1:]]
]


@pytest.mark.django_db
@pytest.mark.parametrize("url_name,obj,method,data,who,expected", CASES)
def test_permission_matrix(world, cast, url_name, obj, method, data, who, expected):
    url = reverse(url_name, args=world[obj] if obj else ())
    client = cast(who)
    if data and data.get("version") == "current":
        data = {**data, "version": Task.objects.get(pk=world[obj][0]).version}
    before = snapshot()
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    assert response.status_code == expected, response.content[:300]
    if who == "anonymous" and url_name not in {"login", "set_language"}:
        assert response.url.startswith(reverse("login"))
    # Session or cookie only, or (login) a signed-in user sent on before anything is done.
    if method == "post" and url_name not in {"logout", "set_language", "login"}:
        changed = snapshot() != before
        allowed = expected == 302 and who != "anonymous"
        assert changed == allowed, "allowed POSTs change state; refused ones change nothing"


@pytest.mark.django_db
def test_unrelated_body_gets_404_walking_other_bodies_ids(world, unrelated_focal, cast):
    client = cast("unrelated_focal")
    for task in Task.objects.all():
        for name in ["task_detail", "task_history", "task_edit", "contribution_new"]:
            assert client.get(reverse(name, args=[task.pk])).status_code == 404
    for attachment in Attachment.objects.all():
        assert client.get(reverse("attachment_download", args=[attachment.pk])).status_code == 404


@pytest.mark.django_db
def test_another_bodys_draft_files_stay_with_that_body(noivu, chair_focal, contrib_focal, cast):
    task = make_task(actor=noivu, contributors=("STC",))
    services.contribution_save(
        actor=contrib_focal,
        task=task,
        form="comment",
        body="Nháp",
        submit=False,
        files=[SimpleUploadedFile("nhap.pdf", PDF, "application/pdf")],
    )
    attachment = Attachment.objects.get()
    assert (
        cast("chair_focal").get(reverse("attachment_download", args=[attachment.pk])).status_code
        == 404
    )
    response = cast("contrib_focal").get(reverse("attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")


# --- Drafts in a body's name (issue 18, point 21) ----------------------------------------

DRAFT_PAYLOAD = {
    "form": "comment",
    "body": "Dự thảo ý kiến",
    "save": "1",
    "nom-TOTAL_FORMS": "0",
    "nom-INITIAL_FORMS": "0",
}


@pytest.fixture
def body_item(noivu):
    """An item where every cast member's body takes part without tracking it: Nội vụ
    (noivu, council) and the UBND office (leader) coordinate, STP chairs, STC tracks."""
    return make_task(actor=noivu, tracker="STC", contributors=("SNV", "VPUBND"))


# who -> may they save a draft for their body (docs/permissions.md)
DRAFTERS = {
    "noivu": True,  # a Nội vụ officer acts for Sở Nội vụ
    "chair_focal": True,
    "chair_staff": True,  # staff draft for their focal officer
    "leader": False,  # leadership reads, never writes a body's contribution
    "council": False,  # council members appraise, never write a body's contribution
}


@pytest.mark.django_db
@pytest.mark.parametrize("who,allowed", DRAFTERS.items())
def test_only_the_roles_that_may_save_drafts_for_their_body(body_item, cast, request, who, allowed):
    from agencies.once import new_token
    from coordination import access

    user = request.getfixturevalue(who)
    client = cast(who)
    url = reverse("contribution_new", args=[body_item.pk])
    assert access.task_actions(user, body_item)["draft"] is allowed
    detail = client.get(reverse("task_detail", args=[body_item.pk])).content.decode()
    assert (url in detail) is allowed  # no button a user may not press
    assert client.get(url).status_code == (200 if allowed else 403)
    response = client.post(url, {**DRAFT_PAYLOAD, "once": new_token()})
    assert response.status_code == (302 if allowed else 403)
    assert Contribution.objects.exists() is allowed
    if not allowed:  # the service refuses too, whatever the caller
        with pytest.raises(PermissionDenied):
            services.contribution_save(
                actor=user, task=body_item, form="comment", body="Nháp", submit=False
            )
        assert not Contribution.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["tracker_focal", "unrelated_focal"])
def test_bodies_without_a_part_to_write_have_no_draft_button(world, cast, who):
    task_pk = world["task"][0]
    detail = cast(who).get(reverse("task_detail", args=[task_pk]))
    assert reverse("contribution_new", args=[task_pk]) not in detail.content.decode()
