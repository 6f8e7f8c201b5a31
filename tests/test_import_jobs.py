"""A criteria file over IMPORT_INLINE_BYTES is checked, then saved, by jobs (issue 13,
point 2): the officer sees "Đang kiểm tra tệp…" on a page that updates itself, then the
same preview and line-numbered errors as a small file gets in the request, and "Lưu"
saves it once."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from agencies import roles
from scoring.models import CriteriaSet, ImportJob
from tests.conftest import form_token, login
from tests.factories import UserFactory, agency
from tests.test_scoring_import import GOOD

URL = "/scoring/criteria/import/"
VALID = GOOD.replace('"Công khai TTHC",14,5', '"Công khai TTHC","14,5"')
BAD = VALID.replace('1.2,1,"Báo cáo",6,,,', '1.2,1,"Báo cáo",sáu,,,XYZ').replace(
    '2.1,2,"Công khai TTHC"', '2.1,3,"Công khai TTHC"'
)
FORM = {"year": "2025", "target": "department", "title": "Bộ 2025", "total_points": "24.5"}


def upload(client, text: str, **extra):
    data = {**FORM, "file": SimpleUploadedFile("tieu-chi.csv", text.encode()), **extra}
    return client.post(URL, {"action": "preview", **data})


def through_job(client, text, capture, **extra):
    """Upload a file taking the job path; the check job runs when the request commits."""
    with capture(execute=True):
        response = upload(client, text, **extra)
    job = ImportJob.objects.latest("pk")
    assert response.status_code == 302 and response.url == f"{URL}?job={job.pk}"
    return client.get(response.url), job


def preview_of(response) -> tuple:
    result = response.context["result"]
    rows = [(r.line, r.code, r.title, r.max_points, r.method_label, r.options) for r in result.rows]
    return rows, [tuple(e) for e in result.errors], result.total, result.ok


@pytest.fixture
def big(settings):
    settings.IMPORT_INLINE_BYTES = 100  # every test file is "large"


@pytest.mark.django_db
@pytest.mark.parametrize("text", [VALID, BAD], ids=["valid", "with-errors"])
def test_a_large_file_shows_the_same_preview_as_the_inline_path(
    text, noivu, settings, django_capture_on_commit_callbacks
):
    client = login(noivu)
    inline = upload(client, text)
    assert inline.status_code == 200 and not ImportJob.objects.exists()
    settings.IMPORT_INLINE_BYTES = 100
    page, job = through_job(client, text, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.CHECKED
    assert preview_of(page) == preview_of(inline)
    assert not CriteriaSet.objects.exists()


@pytest.mark.django_db
def test_errors_are_line_numbered_on_the_job_page(big, noivu, django_capture_on_commit_callbacks):
    page, _job = through_job(login(noivu), BAD, django_capture_on_commit_callbacks)
    html = page.content.decode()
    assert "Tệp có lỗi, chưa lưu gì:" in html
    assert "Dòng 4" in html and "không có cơ quan mã" in html
    assert 'name="action" value="save"' not in html  # no save button


@pytest.mark.django_db
def test_the_page_updates_itself_until_the_check_has_run(big, noivu):
    client = login(noivu)
    response = upload(client, VALID)  # no commit callbacks run: the job is still queued
    page = client.get(response.url)
    assert page["Refresh"] == "2"
    assert "Đang kiểm tra tệp…" in page.content.decode()
    assert page.context["result"] is None
    assert 'name="action" value="save"' not in page.content.decode()  # no save button


@pytest.mark.django_db
def test_save_by_job_works_once(big, noivu, django_capture_on_commit_callbacks):
    client = login(noivu)
    page, job = through_job(client, VALID, django_capture_on_commit_callbacks)
    token = form_token(page)
    save = {**FORM, "import_job": str(job.pk), "action": "save", "once": token}
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(URL, save)
    assert saved.url == f"{URL}?job={job.pk}"
    created = CriteriaSet.objects.get()
    assert created.criteria.count() == 5 and created.created_by == noivu
    assert client.get(saved.url).url == reverse("criteria_set_detail", args=[created.pk])
    with django_capture_on_commit_callbacks(execute=True):
        twice = client.post(URL, save)  # the same form again
        other_tab = client.post(URL, {**save, "once": "another-token-1234567890"}, follow=True)
    assert twice.status_code == 302
    assert "đã được lưu hoặc đang được xử lý" in other_tab.content.decode()
    assert CriteriaSet.objects.count() == 1


@pytest.mark.django_db
def test_a_changed_total_is_checked_again(big, noivu, django_capture_on_commit_callbacks):
    client = login(noivu)
    _page, job = through_job(client, VALID, django_capture_on_commit_callbacks)
    again = {**FORM, "total_points": "100", "import_job": str(job.pk), "action": "preview"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, again)
    html = client.get(f"{URL}?job={job.pk}").content.decode()
    assert "khác tổng điểm của bộ tiêu chí 100" in html


@pytest.mark.django_db
def test_a_file_with_errors_cannot_be_saved(big, noivu, django_capture_on_commit_callbacks):
    client = login(noivu)
    page, job = through_job(client, BAD, django_capture_on_commit_callbacks)
    save = {**FORM, "import_job": str(job.pk), "action": "save", "once": form_token(page)}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, save)
    assert not CriteriaSet.objects.exists()
    assert ImportJob.objects.get().status == ImportJob.Status.CHECKED


@pytest.mark.django_db
def test_another_officer_cannot_reach_the_file(big, noivu, django_capture_on_commit_callbacks):
    _page, job = through_job(login(noivu), VALID, django_capture_on_commit_callbacks)
    other = login(
        UserFactory(username="t_noivu2", agency=agency("SNV"), roles=[roles.NOIVU_OFFICER])
    )
    assert other.get(f"{URL}?job={job.pk}").status_code == 404
    save = {**FORM, "import_job": str(job.pk), "action": "save", "once": "x" * 20}
    assert other.post(URL, save).status_code == 404
    assert ImportJob.objects.get().status == ImportJob.Status.CHECKED


@pytest.mark.django_db
def test_a_focal_officer_cannot_start_an_import_job(big, chair_focal):
    assert upload(login(chair_focal), VALID).status_code == 403
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_a_failed_check_is_shown_instead_of_waiting(
    big, noivu, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }
    client = login(noivu)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, VALID)
    queued = DBTaskResult.objects.get(task_path="scoring.tasks.criteria_import_check")
    ImportJob.objects.update(task_id=str(queued.pk))
    queued.claim("w1")
    queued.set_failed(RuntimeError("worker out of memory"))
    page = client.get(response.url)
    assert "Refresh" not in page
    assert "gặp lỗi và đã dừng" in page.content.decode()


@pytest.mark.django_db
def test_a_file_over_the_default_limit_goes_through_the_job(
    noivu, django_capture_on_commit_callbacks
):
    """A real 200 KB+ file with the default IMPORT_INLINE_BYTES."""
    lines = ["code,parent_code,title,max_points"]
    for area in range(1, 11):
        lines.append(f'{area},,"Lĩnh vực {area}",10')
        lines += [f'{area}.{c},{area},"Tiêu chí {area}.{c} {"x" * 180}",0.1' for c in range(1, 101)]
    text = "\n".join(lines)
    assert len(text.encode()) > 200 * 1024
    client = login(noivu)
    page, job = through_job(client, text, django_capture_on_commit_callbacks, total_points="100")
    assert page.context["result"].ok and len(page.context["result"].rows) == 1010
    save = {**FORM, "total_points": "100", "import_job": str(job.pk), "action": "save"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {**save, "once": form_token(page)})
    assert CriteriaSet.objects.get().criteria.count() == 1010
