"""Documents built by jobs and stored under the version of their data (issue 13), through
the test client on the immediate task backend: a job enqueued after commit runs when the
captured on-commit callbacks run.

Ask → 303 → status page → done → the file; asking again with unchanged data is a stored
file with no job and no rendering; a change in the data builds again; two people asking
share one job; a job is seen only by those who asked; a failed job says why and can be
tried again; issuing freezes the consolidated report byte for byte.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from agencies import history
from coordination import services as coord
from reports import catalog, pdf, services, tasks
from reports.models import DocumentJob, GeneratedDocument
from tests.conftest import login
from tests.reports_factories import make_round, make_task, report_of, submit
from tests.scoring_factories import build_period

pytestmark = pytest.mark.django_db


def status_url() -> str:
    year = timezone.localdate().year
    return reverse("coordination_status_pdf") + f"?from={year}-01-01&to={year}-12-31"


def job_of(response) -> DocumentJob:
    assert response.status_code == 303, response.status_code
    job_url = response["Location"]
    job = DocumentJob.objects.get()
    assert job_url == reverse("document_job", args=[job.pk])
    return job


def rename(task, actor) -> None:
    """A change to the data, through the service (with history, as every change)."""
    task.refresh_from_db()
    coord.task_update(
        actor=actor, task=task, expected_version=task.version, changes={"title": "Tên mới"}
    )


@pytest.fixture
def built(noivu, django_capture_on_commit_callbacks):
    """The year's coordination status, asked for by a Nội vụ officer and built."""
    make_task(actor=noivu)
    client = login(noivu)
    with django_capture_on_commit_callbacks(execute=True):
        job = job_of(client.get(status_url()))
    job.refresh_from_db()
    return client, job


@pytest.fixture
def no_rendering(monkeypatch):
    """Any layout from here on fails the test."""

    def refuse(html):
        raise AssertionError("a document was rendered")

    monkeypatch.setattr(pdf, "layout", refuse)


def test_asking_shows_a_page_that_follows_the_job_and_then_offers_the_pdf(
    noivu, django_capture_on_commit_callbacks
):
    make_task(actor=noivu)
    client = login(noivu)
    with django_capture_on_commit_callbacks() as callbacks:
        job = job_of(client.get(status_url()))
    page = client.get(reverse("document_job", args=[job.pk])).content.decode()
    assert "Đang chuẩn bị…" in page and "Đang chờ đến lượt" in page
    assert 'http-equiv="refresh"' in page  # without scripts the page refreshes itself
    state = client.get(reverse("document_job_status", args=[job.pk])).json()
    assert (state["status"], state["progress"], state["download"]) == ("queued", 0, "")
    assert len(callbacks) == 1  # the job is enqueued once the request's transaction commits
    callbacks[0]()  # the worker runs it
    state = client.get(reverse("document_job_status", args=[job.pk])).json()
    assert state["done"] and state["progress"] == 100 and state["stage"] == "Đã xong"
    page = client.get(reverse("document_job", args=[job.pk])).content.decode()
    assert "Văn bản đã sẵn sàng" in page and state["download"] in page
    response = client.get(state["download"])
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    job.refresh_from_db()
    assert job.pages >= 1 and job.attempts == 1 and job.finished_at is not None


def test_the_job_reports_each_stage_in_order(
    noivu, monkeypatch, django_capture_on_commit_callbacks
):
    seen = []
    real = tasks._step
    monkeypatch.setattr(
        tasks, "_step", lambda pk, stage, pages=None: (seen.append(stage), real(pk, stage, pages))
    )
    make_task(actor=noivu)
    with django_capture_on_commit_callbacks(execute=True):
        login(noivu).get(status_url())
    assert seen == ["collect", "layout", "write", "store"]


def test_the_worker_frees_a_documents_garbage_once_the_file_is_ready(
    noivu, monkeypatch, django_capture_on_commit_callbacks
):
    """A laid-out document's reference cycles are collected after the job is done (the
    user no longer waits), not in the middle of the next job."""
    collected = []
    monkeypatch.setattr(
        tasks.gc,
        "collect",
        lambda *args: collected.append(DocumentJob.objects.values_list("status", flat=True)[0]),
    )
    make_task(actor=noivu)
    with django_capture_on_commit_callbacks(execute=True):
        job_of(login(noivu).get(status_url()))
    assert collected == [DocumentJob.Status.DONE]


def test_asking_again_with_unchanged_data_serves_the_stored_file_without_a_job(
    built, no_rendering, django_assert_max_num_queries
):
    client, job = built
    stored = GeneratedDocument.objects.get(kind="coordination_status")
    client.get(reverse("profile"))  # the user's roles and body kept (issue 14)
    with django_assert_max_num_queries(17):  # with the data version (issue 14)
        response = client.get(status_url())
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == stored.file.open("rb").read()
    assert DocumentJob.objects.count() == 1


def test_another_reader_of_the_same_data_gets_the_stored_file_too(built, leader, no_rendering):
    response = login(leader).get(status_url())
    assert response.status_code == 200
    assert DocumentJob.objects.count() == 1


def test_a_change_in_the_data_builds_a_new_document(
    built, noivu, django_capture_on_commit_callbacks
):
    client, first = built
    before = GeneratedDocument.objects.get(kind="coordination_status").data_key
    task = make_task(actor=noivu)
    rename(task, noivu)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(status_url())
    assert response.status_code == 303
    second = DocumentJob.objects.exclude(pk=first.pk).get()
    assert second.status == "done" and second.data_key != first.data_key
    doc = GeneratedDocument.objects.get(kind="coordination_status")  # one row, new version
    assert doc.data_key != before and doc.data_key == second.data_key


def test_the_data_key_takes_a_few_queries_and_no_rendering(
    noivu, no_rendering, django_assert_max_num_queries
):
    make_task(actor=noivu)
    ask = catalog.coordination_status(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    with django_assert_max_num_queries(11):  # and the witness read before it (one cache read)
        key = ask.data_key
    assert len(key) == 64
    again = catalog.coordination_status(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert again.data_key == key
    other = catalog.coordination_status(dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    assert other.data_key != key


def test_two_people_asking_at_once_share_one_job(noivu, leader, django_capture_on_commit_callbacks):
    make_task(actor=noivu)
    with django_capture_on_commit_callbacks() as callbacks:
        first = login(noivu).get(status_url())
        second = login(leader).get(status_url())
    assert first["Location"] == second["Location"]
    job = DocumentJob.objects.get()
    assert set(job.requesters.all()) == {noivu, leader}
    assert len(callbacks) == 1  # built once


def test_only_those_who_asked_see_the_job(built, leader, unrelated_focal, contrib_focal):
    client, job = built
    names = ("document_job", "document_job_status", "document_job_download")
    for name in names:
        assert client.get(reverse(name, args=[job.pk])).status_code == 200
    for user in (leader, unrelated_focal, contrib_focal):
        other = login(user)
        for name in names:
            assert other.get(reverse(name, args=[job.pk])).status_code == 404, (user, name)
        assert other.post(reverse("document_job_retry", args=[job.pk])).status_code == 404


def test_a_failed_job_says_why_and_trying_again_builds_it(
    noivu, monkeypatch, django_capture_on_commit_callbacks
):
    make_task(actor=noivu)
    client = login(noivu)
    real = pdf.layout

    def broken(html):
        raise RuntimeError("font cache unreadable")

    monkeypatch.setattr(pdf, "layout", broken)
    with django_capture_on_commit_callbacks(execute=True):
        job = job_of(client.get(status_url()))
    job.refresh_from_db()
    assert job.status == "failed"
    page = client.get(reverse("document_job", args=[job.pk])).content.decode()
    assert "Không tạo được văn bản" in page and "RuntimeError" in page and "Thử lại" in page
    assert client.get(reverse("document_job_status", args=[job.pk])).json()["failed"]
    assert client.get(reverse("document_job_download", args=[job.pk])).status_code == 404
    # Asking again shows the same failed job (and its button) rather than hammering.
    assert client.get(status_url())["Location"] == reverse("document_job", args=[job.pk])
    monkeypatch.setattr(pdf, "layout", real)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("document_job_retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == ("done", 2, "")
    download = client.get(reverse("document_job_download", args=[job.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_retrying_a_job_that_did_not_fail_changes_nothing(built):
    client, job = built
    response = client.post(reverse("document_job_retry", args=[job.pk]), follow=True)
    assert "Chỉ thử lại được khi việc tạo văn bản không thành công." in response.content.decode()
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 1


# The page: session, user, the job, and what every page reads (roles for the menu, unread
# notifications, the user's body); its JSON: session, user, the job.
BUDGET = {"document_job": 6, "document_job_status": 3}


@pytest.mark.parametrize("name", sorted(BUDGET))
def test_the_status_page_takes_the_same_few_queries_queued_or_done(
    name, built, noivu, django_assert_num_queries, django_capture_on_commit_callbacks
):
    client, done = built
    rename(make_task(actor=noivu), noivu)
    with django_capture_on_commit_callbacks():  # not run: stays queued
        queued = DocumentJob.objects.get(pk=client.get(status_url())["Location"].split("/")[-2])
    assert (queued.status, done.status) == ("queued", "done")
    for job in (queued, done):
        client.get(reverse(name, args=[job.pk]))  # warm the session
        with django_assert_num_queries(BUDGET[name]):
            assert client.get(reverse(name, args=[job.pk])).status_code == 200


def test_issuing_freezes_the_consolidated_report_and_serves_it_byte_for_byte(
    noivu, leader, django_capture_on_commit_callbacks
):
    rnd = make_round(actor=noivu)
    submit(rnd, "STP")
    cons = services.consolidated_get_or_create(actor=noivu, rnd=rnd)
    cons.signer_name = "Nguyễn Văn An"
    cons.save()
    with django_capture_on_commit_callbacks() as callbacks:
        services.consolidated_issue(actor=noivu, report=cons)
    job = DocumentJob.objects.get(kind="consolidated")
    assert job.freeze and "Nguyễn Văn An" in job.snapshot  # rendered as issued
    # Asked before the job ran: the reader joins the issuing job.
    response = login(leader).get(reverse("consolidated_pdf", args=[rnd.pk]))
    assert response["Location"] == reverse("document_job", args=[job.pk])
    for callback in callbacks:
        callback()
    doc = GeneratedDocument.objects.get(kind="consolidated")
    issued = doc.file.open("rb").read()
    assert doc.frozen and doc.history.get().history_user == noivu
    # Later changes to the data change nothing: the stored file, no new job.
    report = report_of(rnd, "STP")
    report.indicators = dict(report.indicators, inspections=99)
    history.save(report, "Sửa sau khi ban hành", noivu)
    response = login(leader).get(reverse("consolidated_pdf", args=[rnd.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == issued
    assert DocumentJob.objects.count() == 1


def test_a_small_dossier_is_built_in_the_request_and_a_large_one_by_a_job(
    noivu, settings, django_capture_on_commit_callbacks
):
    task = make_task(actor=noivu)
    client = login(noivu)
    url = reverse("task_dossier_pdf", args=[task.pk])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    rename(task, noivu)
    settings.DOSSIER_INLINE_ENTRIES = 5
    with django_capture_on_commit_callbacks(execute=True):
        job = job_of(client.get(url))
    job.refresh_from_db()
    assert job.status == "done" and job.params["user"] == noivu.pk


def test_dossiers_are_stored_per_reader_variant(noivu, chair_focal, contrib_focal):
    task = make_task(actor=noivu)
    for user in (noivu, chair_focal, contrib_focal):
        assert login(user).get(reverse("task_dossier_pdf", args=[task.pk])).status_code == 200
    keys = set(GeneratedDocument.objects.values_list("object_key", flat=True))
    assert len(keys) == 3


def test_an_item_export_over_the_threshold_is_built_by_a_job(
    noivu, settings, django_capture_on_commit_callbacks
):
    make_task(actor=noivu)
    client = login(noivu)
    handed = client.get(reverse("task_export") + "?category=plan")
    assert handed.status_code == 302
    assert handed["Location"] == reverse("task_export_file") + "?category=plan"
    small = client.get(handed["Location"])
    assert small.status_code == 200
    settings.EXPORT_INLINE_ROWS = 0
    with django_capture_on_commit_callbacks(execute=True):
        job = job_of(client.get(reverse("task_export_file") + "?category=plan&ordering=title"))
    download = client.get(reverse("document_job_download", args=[job.pk]))
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet.max_row == 2  # the header and the one item


def test_a_results_export_is_handed_to_reports_and_built(
    noivu, settings, django_capture_on_commit_callbacks
):
    period = build_period(noivu)
    client = login(noivu)
    handed = client.get(reverse("period_results_export", args=[period.pk]))
    assert handed["Location"] == reverse("results_export_file", args=[period.pk])
    settings.EXPORT_INLINE_ROWS = 1  # three bodies
    with django_capture_on_commit_callbacks(execute=True):
        job = job_of(client.get(handed["Location"]))
    assert DocumentJob.objects.get(pk=job.pk).status == "done"


def test_a_job_whose_worker_was_lost_is_shown_failed(built, monkeypatch):
    client, job = built
    DocumentJob.objects.filter(pk=job.pk).update(status="running", task_result_id="abc")
    monkeypatch.setattr("agencies.jobs.job_failed", lambda result_id: result_id == "abc")
    state = client.get(reverse("document_job_status", args=[job.pk])).json()
    assert state["failed"] and "Máy chạy nền đã dừng" in state["error"]


def test_a_job_whose_task_was_lost_is_queued_again_from_its_page(
    noivu, django_capture_on_commit_callbacks
):
    make_task(actor=noivu)
    client = login(noivu)
    with django_capture_on_commit_callbacks():  # the enqueue is lost: never runs
        job = job_of(client.get(status_url()))
    long_ago = timezone.now() - dt.timedelta(hours=1)
    DocumentJob.objects.filter(pk=job.pk).update(queued_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        state = client.get(reverse("document_job_status", args=[job.pk])).json()
    assert state["status"] == "queued"  # queued again, and the worker has now run it
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 1
