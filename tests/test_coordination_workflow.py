import datetime as dt
from io import BytesIO

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from agencies.models import OutgoingMail
from agencies.once import new_token
from coordination import reminders, selectors, services
from coordination.calendar import add_working_days, is_working_day
from coordination.models import Contribution, Participation, ReminderLog, Task
from tests.conftest import login
from tests.coordination_factories import make_task
from tests.factories import agency, in_days
from tests.reports_factories import fetch_document

PDF = b"%PDF-1.4\n%test\n"


def pdf(name="gop-y.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def create_payload(**overrides):
    data = {
        "title": "Góp ý dự thảo Quy chế kiểm soát TTHC",
        "category": "plan",
        "legal_basis": "Quyết định số 1242/QĐ-UBND ngày 14/9/2021",
        "description": "Đề nghị các cơ quan góp ý.",
        "chair": agency("STP").pk,
        "tracker": agency("SNV").pk,
        "contributors": [agency("STC").pk, agency("TUYHOA").pk],
        "due_mode": "date",
        "due_date": in_days(20).isoformat(),
        "contributor_due_date": in_days(15).isoformat(),
        "recurrence": "",
        "once": new_token(),
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_the_whole_workflow_through_the_pages(
    noivu,
    chair_focal,
    contrib_focal,
    district_focal,
    unrelated_focal,
    django_capture_on_commit_callbacks,
):
    officer = login(noivu)
    response = officer.post(
        reverse("task_create"), {**create_payload(), "files": pdf("du-thao.pdf")}
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.status == "draft" and task.attachments.count() == 1
    assert task.participations.get(agency__code="STC").due_date == in_days(15)
    with django_capture_on_commit_callbacks(execute=True):  # mail leaves after commit
        officer.post(reverse("task_assign", args=[task.pk]), {"confirmed": "1"})
    task.refresh_from_db()
    assert task.status == "assigned"
    assert any("Nhiệm vụ mới" in m.subject for m in mail.outbox)

    stc = login(contrib_focal)
    response = stc.post(
        reverse("contribution_new", args=[task.pk]),
        {
            "form": "comment",
            "body": "Sở Tài chính thống nhất.",
            "submit": "1",
            "once": new_token(),
            "files": pdf(),
            "nom-TOTAL_FORMS": "0",
            "nom-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    stc_part = task.participations.get(agency__code="STC")
    assert stc_part.status == "submitted"

    stp = login(chair_focal)
    page = stp.get(reverse("contribution_new", args=[task.pk])).content.decode()
    assert "Sở Tài chính thống nhất." in page  # side by side for the chair
    stp.post(
        reverse("participation_review", args=[task.pk, stc_part.pk]),
        {"decision": "return", "reason": "Bổ sung số liệu"},
    )
    stc_part.refresh_from_db()
    assert stc_part.status == "returned"
    stc.post(
        reverse("contribution_new", args=[task.pk]),
        {
            "form": "comment",
            "body": "Bản sửa: thống nhất, bổ sung số liệu.",
            "submit": "1",
            "confirmed": "1",
            "once": new_token(),
            "nom-TOTAL_FORMS": "0",
            "nom-INITIAL_FORMS": "0",
        },
    )
    versions = list(Contribution.objects.filter(participation=stc_part).order_by("version"))
    assert [c.version for c in versions] == [1, 2]
    assert versions[0].body == "Sở Tài chính thống nhất."  # never overwritten
    stp.post(
        reverse("participation_review", args=[task.pk, stc_part.pk]),
        {"decision": "accept", "confirmed": "1"},
    )
    stp.post(
        reverse("contribution_new", args=[task.pk]),
        {
            "form": "report",
            "body": "Tổng hợp ý kiến.",
            "submit": "1",
            "confirmed": "1",
            "once": new_token(),
            "nom-TOTAL_FORMS": "0",
            "nom-INITIAL_FORMS": "0",
        },
    )
    task.refresh_from_db()
    assert task.status == "under_review"
    officer.post(reverse("task_review", args=[task.pk]), {"decision": "accept", "confirmed": "1"})
    task.refresh_from_db()
    assert task.status == "done" and not task.completed_late
    assert selectors.task_state(task) == "done_on_time"

    # An unrelated body sees nothing of it: item, files, history.
    syt = login(unrelated_focal)
    assert syt.get(reverse("task_detail", args=[task.pk])).status_code == 404
    assert syt.get(reverse("task_history", args=[task.pk])).status_code == 404
    assert (
        syt.get(reverse("attachment_download", args=[task.attachments.first().pk])).status_code
        == 404
    )

    history = officer.get(reverse("task_history", args=[task.pk])).content.decode()
    for text in ["Tạo nhiệm vụ", "Giao nhiệm vụ", "Trả lại: Bổ sung số liệu", "Chấp nhận kết quả"]:
        assert text in history


@pytest.mark.django_db
def test_working_days_skip_weekends_and_tet():
    start = dt.date(2026, 2, 9)  # Monday before Tết Bính Ngọ
    assert not is_working_day(dt.date(2026, 2, 17))  # Lunar New Year
    assert not is_working_day(dt.date(2026, 2, 14))  # Saturday
    assert add_working_days(start, 5) == dt.date(2026, 2, 23)


@pytest.mark.django_db
def test_deadline_as_working_days_becomes_a_date(noivu):
    response = login(noivu).post(
        reverse("task_create"),
        create_payload(
            due_mode="working_days", due_date="", due_working_days="15", contributor_due_date=""
        ),
    )
    assert response.status_code == 302
    from django.utils import timezone

    assert Task.objects.get().due_date == add_working_days(timezone.localdate(), 15)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"due_date": in_days(-1).isoformat()}, "Hạn xử lý không được ở trong quá khứ."),
        ({"contributors": ["STP"]}, "Cơ quan chủ trì không được đồng thời là cơ quan phối hợp."),
        ({"title": ""}, "Trường này là bắt buộc."),
        ({"chair": 999999}, "Hãy chọn một lựa chọn hợp lệ."),
        ({"contributor_due_date": in_days(40).isoformat()}, "không được sau hạn của nhiệm vụ"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(noivu, overrides, message):
    if "contributors" in overrides:
        overrides = {**overrides, "contributors": [agency(c).pk for c in overrides["contributors"]]}
    response = login(noivu).post(reverse("task_create"), create_payload(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Task.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "upload,message",
    [
        (
            SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 executable", "application/pdf"),
            "không đúng với loại PDF",
        ),
        (
            SimpleUploadedFile("script.exe", b"MZ\x90\x00", "application/octet-stream"),
            "không được chấp nhận",
        ),
    ],
)
def test_forbidden_files_are_refused(noivu, upload, message):
    response = login(noivu).post(reverse("task_create"), {**create_payload(), "files": upload})
    assert message in response.content.decode()
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_oversized_file_is_refused(noivu, settings):
    settings.UPLOAD_MAX_BYTES = 10
    response = login(noivu).post(reverse("task_create"), {**create_payload(), "files": pdf()})
    assert "quá lớn" in response.content.decode()
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_stale_edit_does_not_overwrite_a_newer_one(noivu):
    task = make_task(actor=noivu)
    client = login(noivu)
    form = {
        "title": "Bản A",
        "category": "plan",
        "legal_basis": "",
        "description": "",
        "due_date": in_days(30).isoformat(),
        "recurrence": "",
        "version": task.version,
    }
    assert client.post(reverse("task_edit", args=[task.pk]), form).status_code == 302
    response = client.post(reverse("task_edit", args=[task.pk]), {**form, "title": "Bản B"})
    assert response.status_code == 200
    assert "người khác sửa" in response.content.decode()
    task.refresh_from_db()
    assert task.title == "Bản A"


@pytest.mark.django_db
def test_changing_participants_grants_and_revokes_at_once(noivu, contrib_focal, unrelated_focal):
    task = make_task(actor=noivu)
    syt, stc = login(unrelated_focal), login(contrib_focal)
    assert syt.get(reverse("task_detail", args=[task.pk])).status_code == 404
    login(noivu).post(
        reverse("task_participants", args=[task.pk]),
        {
            "chair": agency("STP").pk,
            "tracker": agency("SNV").pk,
            "contributors": [agency("SYT").pk],
        },
    )
    assert syt.get(reverse("task_detail", args=[task.pk])).status_code == 200
    assert stc.get(reverse("task_detail", args=[task.pk])).status_code == 404
    call_command("check_permissions", stdout=BytesIO_text())


class BytesIO_text:
    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s

    def flush(self):
        pass


@pytest.mark.django_db
def test_check_permissions_reports_and_repairs(noivu):
    from coordination.models import TaskGroupObjectPermission

    task = make_task(actor=noivu)
    TaskGroupObjectPermission.objects.filter(
        content_object=task, group__agency__code="STC"
    ).delete()
    out = BytesIO_text()
    call_command("check_permissions", stdout=out)
    assert "THIẾU" in out.text
    call_command("check_permissions", "--fix", stdout=BytesIO_text())
    out = BytesIO_text()
    call_command("check_permissions", stdout=out)
    assert "khớp" in out.text


@pytest.mark.django_db
def test_lateness_at_acceptance_is_kept(noivu, chair_focal):
    task = make_task(actor=noivu, contributors=())
    Task.objects.filter(pk=task.pk).update(due_date=in_days(-2))
    services.contribution_save(
        actor=chair_focal, task=task, form="report", body="Xong.", submit=True
    )
    task = services.task_review(actor=noivu, task=task, accept=True)
    assert task.completed_late and selectors.task_state(task) == "done_late"


@pytest.mark.django_db
def test_only_allowed_transitions(noivu, chair_focal, contrib_focal, leader):
    task = make_task(actor=noivu)
    with pytest.raises(PermissionDenied):
        services.task_review(actor=noivu, task=task, accept=True)  # not under review
    with pytest.raises(PermissionDenied):
        services.task_assign(actor=leader, task=task)
    with pytest.raises(PermissionDenied):
        services.task_cancel(actor=chair_focal, task=task, reason="x")
    with pytest.raises(ValidationError):
        services.task_cancel(actor=noivu, task=task, reason="  ")


@pytest.mark.django_db
def test_staff_may_draft_but_only_the_focal_officer_submits(noivu, chair_staff):
    task = make_task(actor=noivu, contributors=())
    services.contribution_save(
        actor=chair_staff, task=task, form="report", body="Dự thảo", submit=False
    )
    with pytest.raises(PermissionDenied):
        services.contribution_save(
            actor=chair_staff, task=task, form="report", body="Gửi", submit=True
        )
    assert Participation.objects.get(task=task, role="chair").status == "in_progress"


@pytest.mark.django_db
def test_nomination_of_officials(noivu, contrib_focal):
    task = make_task(actor=noivu)
    response = login(contrib_focal).post(
        reverse("contribution_new", args=[task.pk]),
        {
            "form": "nomination",
            "body": "",
            "submit": "1",
            "confirmed": "1",
            "once": new_token(),
            "nom-TOTAL_FORMS": "1",
            "nom-INITIAL_FORMS": "0",
            "nom-0-full_name": "Nguyễn Thị Bích",
            "nom-0-position": "Phó Trưởng phòng",
            "nom-0-agency_name": "Sở Tài chính",
            "nom-0-team": "inspection_team",
        },
    )
    assert response.status_code == 302
    assert Contribution.objects.get().nominations.get().full_name == "Nguyễn Thị Bích"


@pytest.mark.django_db
def test_reminders_go_once_before_on_and_after_the_deadline(noivu, contrib_focal):
    task = make_task(actor=noivu, due=2)
    today = in_days(0)
    assert reminders.send_due_reminders(today=today)["sent"] == 3  # chair and two contributors
    assert reminders.send_due_reminders(today=today)["sent"] == 0
    assert (
        reminders.send_due_reminders(today=in_days(2))["sent"] == 3
    )  # due day: chair + 2 contributors
    assert reminders.send_due_reminders(today=in_days(3))["sent"] == 3
    assert reminders.send_due_reminders(today=in_days(3))["sent"] == 0
    assert ReminderLog.objects.filter(participation__task=task, kind="overdue").count() == 3


@pytest.mark.django_db
def test_reminder_recorded_and_its_mail_kept_when_mail_server_is_down(
    noivu, contrib_focal, monkeypatch, django_capture_on_commit_callbacks
):
    # The mail leaves after commit through the outbox, which keeps it for
    # send_pending_mail (tests/test_side_effects.py); the reminder is recorded once.
    make_task(actor=noivu, due=1)

    def down(*args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr("agencies.tasks.django_mail.send_mail", down)
    with django_capture_on_commit_callbacks(execute=True):
        counts = reminders.send_due_reminders(today=in_days(0))
    assert counts["sent"] >= 1
    assert ReminderLog.objects.filter(participation__agency__code="STC").exists()
    assert OutgoingMail.objects.filter(subject__contains="Nhắc việc", status="failed").exists()
    monkeypatch.undo()
    assert reminders.send_due_reminders(today=in_days(0))["sent"] == 0


@pytest.mark.django_db
def test_manual_reminder_from_the_item_page(
    noivu, contrib_focal, django_capture_on_commit_callbacks
):
    task = make_task(actor=noivu)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        login(noivu).post(reverse("task_remind", args=[task.pk]), {"confirmed": "1"})
    assert ReminderLog.objects.filter(kind="manual").count() == 3
    assert any(contrib_focal.email in m.to for m in mail.outbox)


@pytest.mark.django_db
def test_silence_counts_as_agreement_when_the_item_says_so(noivu):
    task = make_task(actor=noivu, silence_means_agreement=True, due=5)
    assert services.task_apply_silence(task=task, today=in_days(6)) == 2
    part = task.participations.get(agency__code="STC")
    assert part.status == "accepted" and part.agreed_by_silence


@pytest.mark.django_db
def test_recurring_item_creates_its_next_occurrence_once(noivu):
    task = make_task(actor=noivu, recurrence="quarterly", due=3)
    assert reminders.create_due_occurrences(today=in_days(2)) == []
    created = reminders.create_due_occurrences(today=in_days(3))
    assert len(created) == 1 and created[0].status == "assigned"
    assert created[0].participations.count() == 4
    assert reminders.create_due_occurrences(today=in_days(4)) == []
    task.refresh_from_db()
    assert task.next_occurrence == created[0]


@pytest.mark.django_db
def test_send_reminders_command_runs_twice_without_duplicates(noivu):
    make_task(actor=noivu, due=1)
    out = BytesIO_text()
    call_command("send_reminders", stdout=out)
    call_command("send_reminders", stdout=out)
    assert ReminderLog.objects.count() == 3


@pytest.mark.django_db
def test_excel_export_matches_the_filtered_list_and_neutralises_formulas(noivu):
    make_task(actor=noivu, title='=HYPERLINK("http://x")', category="plan")
    make_task(actor=noivu, title="Kiểm tra CCHC", category="inspection")
    response = fetch_document(login(noivu), reverse("task_export") + "?category=plan")
    sheet = load_workbook(BytesIO(response.data)).active
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 1
    title = rows[0][1]
    assert title.value == '=HYPERLINK("http://x")'  # shown as typed, no apostrophe
    assert title.data_type == "s" and title.quotePrefix  # text, never a formula


@pytest.mark.django_db
def test_list_filters_by_body_and_role(noivu, chair_focal):
    make_task(actor=noivu, title="A", chair="STP")
    make_task(actor=noivu, title="B", chair="STC", contributors=("STP",))
    html = (
        login(noivu)
        .get(reverse("task_list"), {"agency": agency("STC").pk, "role": "chair"})
        .content.decode()
    )
    assert ">B<" in html and ">A<" not in html
    html = login(chair_focal).get(reverse("task_list"), {"role": "contribute"}).content.decode()
    assert ">B<" in html and ">A<" not in html


@pytest.mark.django_db
def test_home_shows_body_work_in_order_of_urgency(noivu, chair_focal):
    make_task(actor=noivu, title="Việc chủ trì", chair="STP")
    html = login(chair_focal).get(reverse("home")).content.decode()
    assert "Việc chủ trì" in html and "Cơ quan chủ trì" in html


@pytest.mark.django_db
def test_history_written_for_each_transition(noivu, chair_focal):
    task = make_task(actor=noivu, contributors=())
    services.contribution_save(actor=chair_focal, task=task, form="report", body="x", submit=True)
    services.task_review(actor=noivu, task=task, accept=False, reason="Thiếu số liệu")
    reasons = list(Task.history.filter(id=task.pk).values_list("history_change_reason", flat=True))
    assert (
        "Tạo nhiệm vụ" in reasons
        and "Giao nhiệm vụ" in reasons
        and "Trả lại: Thiếu số liệu" in reasons
    )
    users = set(Task.history.filter(id=task.pk).values_list("history_user__username", flat=True))
    assert users == {noivu.username, chair_focal.username}


def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    import zipfile

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.django_db
def test_zip_bomb_is_refused_and_a_normal_zip_accepted(noivu):
    bomb = SimpleUploadedFile(
        "ho-so.zip", _zip_bytes({"a.txt": b"0" * 5_000_000}), "application/zip"
    )
    response = login(noivu).post(reverse("task_create"), {**create_payload(), "files": bomb})
    assert "giải nén ra quá lớn" in response.content.decode()
    assert not Task.objects.exists()
    normal = SimpleUploadedFile("ho-so.zip", _zip_bytes({"a.pdf": PDF}), "application/zip")
    response = login(noivu).post(reverse("task_create"), {**create_payload(), "files": normal})
    assert response.status_code == 302


@pytest.mark.django_db
def test_files_of_one_item_stay_within_the_item_limit(noivu, contrib_focal, settings):
    task = make_task(actor=noivu)
    settings.UPLOAD_MAX_ITEM_BYTES = len(PDF) * 2
    services.attachment_add(actor=noivu, task=task, upload=pdf("a.pdf"))
    services.attachment_add(actor=noivu, task=task, upload=pdf("b.pdf"))
    response = login(contrib_focal).post(
        reverse("contribution_new", args=[task.pk]),
        {
            "form": "comment",
            "body": "x",
            "submit": "1",
            "once": new_token(),
            "files": pdf("c.pdf"),
            "nom-TOTAL_FORMS": "0",
            "nom-INITIAL_FORMS": "0",
        },
    )
    assert "vượt giới hạn" in response.content.decode()
    assert not Contribution.objects.exists() and task.attachments.count() == 2


@pytest.mark.django_db
def test_a_long_return_reason_is_kept_whole_in_history(noivu, chair_focal):
    task = make_task(actor=noivu, contributors=())
    services.contribution_save(actor=chair_focal, task=task, form="report", body="x", submit=True)
    reason = "Đề nghị bổ sung số liệu và tài liệu kiểm chứng. " * 8
    services.task_review(actor=noivu, task=task, accept=False, reason=reason)
    assert Task.history.filter(id=task.pk).first().history_change_reason.endswith(reason.strip())
