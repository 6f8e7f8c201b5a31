"""Jobs are observable and safe (issue 13, point 4): a job whose worker was killed is put
back in the queue, then failed visibly after JOB_MAX_ATTEMPTS runs, never twice by two
recoverers; the jobs page lists them for Nội vụ officers and administrators, and "Thử lại"
runs a failed job again as a new one, once."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from agencies import jobs
from tests.conftest import login
from tests.factories import UserFactory, agency

READY, RUNNING, FAILED, SUCCESSFUL = "READY", "RUNNING", "FAILED", "SUCCESSFUL"


@task
def double(value: int) -> int:
    """A job for these tests."""
    return value * 2


jobs.register_label(double, "Nhân đôi (thử nghiệm)")


@pytest.fixture
def db_tasks(settings):
    """The database backend (django-tasks-db) instead of the tests' immediate one."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }


@pytest.fixture
def admin_user(db):
    """An administrator of the portal (is_staff) with no role of the cast."""
    return UserFactory(username="t_quantri", agency=agency("SNV"), is_staff=True)


def enqueued(value: int = 21) -> DBTaskResult:
    return DBTaskResult.objects.get(pk=double.enqueue(value).id)


def running(worker: str = "w1", *, minutes_ago: float = 60, job=None) -> DBTaskResult:
    """A job claimed by ``worker`` that started ``minutes_ago`` (its worker is gone)."""
    job = job or enqueued()
    job.claim(worker)
    DBTaskResult.objects.filter(pk=job.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    job.refresh_from_db()
    return job


def failed(value: int = 21) -> DBTaskResult:
    job = enqueued(value)
    job.claim("w1")
    try:
        raise ValueError("tệp hỏng ở dòng 7")
    except ValueError as exc:
        job.set_failed(exc)
    return job


# --- Recovery ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_job_running_past_the_stale_limit_is_requeued(db_tasks):
    job = running(minutes_ago=16)
    recovery = jobs.jobs_recover()
    job.refresh_from_db()
    assert recovery.requeued == [job.pk] and not recovery.failed
    assert job.status == READY and job.started_at is None and job.worker_ids == ["w1"]


@pytest.mark.django_db
def test_a_fresh_running_job_is_left_alone(db_tasks):
    job = running(minutes_ago=5)
    assert jobs.jobs_recover().requeued == []
    job.refresh_from_db()
    assert job.status == RUNNING


@pytest.mark.django_db
def test_the_stale_limit_is_a_setting(db_tasks, settings):
    settings.JOB_STALE_AFTER = 60  # seconds
    job = running(minutes_ago=2)
    assert jobs.jobs_recover().requeued == [job.pk]


@pytest.mark.django_db
def test_a_job_is_failed_visibly_after_max_attempts(db_tasks, settings, noivu):
    settings.JOB_MAX_ATTEMPTS = 2
    job = running("w1")
    jobs.jobs_recover()
    job = running("w2", job=DBTaskResult.objects.get(pk=job.pk))
    recovery = jobs.jobs_recover()
    job.refresh_from_db()
    assert recovery.failed == [job.pk]
    assert job.status == FAILED and job.finished_at is not None
    assert job.traceback.strip().endswith("worker stopped; gave up after 2 attempts")
    html = login(noivu).get(reverse("job_list")).content.decode()
    assert "đã bỏ sau 2 lần chạy" in html


@pytest.mark.django_db
def test_two_recoverers_do_not_requeue_twice(db_tasks):
    """Both saw the job stale; the first requeues it and a worker claims it again; the
    second's update finds it changed and leaves the new run alone."""
    job = running("w1")
    seen_by_a, seen_by_b = jobs.stale_jobs(), jobs.stale_jobs()
    assert jobs.recover_one(seen_by_a[0]) == "requeued"
    DBTaskResult.objects.get(pk=job.pk).claim("w2")
    assert jobs.recover_one(seen_by_b[0]) is None
    job.refresh_from_db()
    assert job.status == RUNNING and job.worker_ids == ["w1", "w2"]
    assert jobs.recover_one(seen_by_a[0]) is None  # and never twice from one snapshot


@pytest.mark.django_db
def test_a_restarted_worker_requeues_its_own_job_at_once(db_tasks):
    job = running("w1", minutes_ago=1)
    assert jobs.jobs_recover(worker_id="w2").requeued == []
    assert jobs.jobs_recover(worker_id="w1").requeued == [job.pk]


# A real worker closes its connection between jobs: the test cannot sit in a transaction.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_jobs_worker_recovers_its_own_job_then_runs_it(db_tasks, settings):
    settings.JOB_RECOVER_EVERY = 0
    job = running("w1", minutes_ago=1)
    call_command(
        "jobs_worker",
        "--batch",
        "--no-reload",
        "--no-startup-delay",
        "--queue-name=*",
        "--worker-id=w1",
        stdout=io.StringIO(),
    )
    job.refresh_from_db()
    assert job.status == SUCCESSFUL and job.return_value == 42
    assert job.worker_ids == ["w1", "w1"]


@pytest.mark.django_db
def test_recover_jobs_command_says_what_it_did(db_tasks):
    running("w1")
    out = io.StringIO()
    call_command("recover_jobs", stdout=out)
    assert "Đã xếp lại 1 việc, đánh dấu thất bại 0 việc" in out.getvalue()
    call_command("recover_jobs", stdout=out)
    assert "Đã xếp lại 0 việc" in out.getvalue()


# --- The page ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_lists_jobs_in_words_with_vietnam_time(db_tasks, noivu):
    job = failed()
    DBTaskResult.objects.filter(pk=job.pk).update(
        enqueued_at=dt.datetime(2025, 3, 1, 1, 30, tzinfo=dt.UTC)
    )
    enqueued(5)
    html = login(noivu).get(reverse("job_list")).content.decode()
    assert html.count("Nhân đôi (thử nghiệm)") == 2
    assert "01/03/2025 08:30:00" in html  # UTC+7
    assert "ValueError: tệp hỏng ở dòng 7" in html
    assert "Thất bại" in html and "Đang chờ" in html


@pytest.mark.django_db
def test_the_status_filter(db_tasks, noivu):
    failed(1)
    enqueued(2)
    client = login(noivu)
    rows = client.get(reverse("job_list"), {"status": "failed"}).context["rows"]
    assert [row.job.args_kwargs["args"] for row in rows] == [[1]]
    assert len(client.get(reverse("job_list"), {"status": "nonsense"}).context["rows"]) == 2


@pytest.mark.django_db
def test_fifty_a_page_newest_first_without_counting(db_tasks, noivu):
    for value in range(51):
        enqueued(value)
    client = login(noivu)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(reverse("job_list"))
    assert not [
        q
        for q in queries.captured_queries
        if "COUNT(" in q["sql"].upper() and "tasks_db" in q["sql"]
    ]
    assert len(first.context["rows"]) == 50 and first.context["has_next"]
    assert first.context["rows"][0].job.args_kwargs["args"] == [50]
    second = client.get(reverse("job_list"), {"page": "2"})
    assert [r.job.args_kwargs["args"] for r in second.context["rows"]] == [[0]]
    assert not second.context["has_next"]


@pytest.mark.django_db
def test_the_traceback_is_for_administrators_only(db_tasks, noivu, admin_user):
    job = failed()
    url = reverse("job_detail", args=[job.pk])
    officer = login(noivu).get(url).content.decode()
    assert "ValueError: tệp hỏng ở dòng 7" in officer and "Traceback" not in officer
    assert "chỉ quản trị viên xem được" in officer
    admin = login(admin_user).get(url).content.decode()
    assert job.traceback.splitlines()[0] in admin


@pytest.mark.django_db
def test_the_menu_shows_the_page_to_those_who_may_see_it(noivu, admin_user, chair_focal):
    assert 'href="/jobs/"' in login(noivu).get("/").content.decode()
    assert 'href="/jobs/"' in login(admin_user).get("/").content.decode()
    assert 'href="/jobs/"' not in login(chair_focal).get("/").content.decode()


@pytest.mark.django_db
def test_the_page_says_where_rq_jobs_are_under_the_rq_backend(noivu, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": settings.TASK_QUEUES}
    }
    assert "rqstats" in login(noivu).get(reverse("job_list")).content.decode()


# --- Thử lại ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_retry_runs_the_same_job_again_once(db_tasks, noivu):
    job = failed(7)
    client = login(noivu)
    response = client.post(reverse("job_retry", args=[job.pk]))
    retry = DBTaskResult.objects.exclude(pk=job.pk).get()
    assert response.url == reverse("job_detail", args=[retry.pk])
    assert retry.status == READY and retry.task_path == job.task_path
    assert retry.task_result.args == [7] and retry.task_result.kwargs == {}
    assert retry.args_kwargs["retry_of"]["id"] == str(job.pk)
    assert retry.args_kwargs["retry_of"]["by_name"] == noivu.username
    job.refresh_from_db()
    assert job.args_kwargs["retried_as"]["id"] == str(retry.pk)
    again = client.post(reverse("job_retry", args=[job.pk]), follow=True)
    assert "Việc này đã được thử lại." in again.content.decode()
    assert DBTaskResult.objects.count() == 2
    page = client.get(reverse("job_detail", args=[retry.pk])).content.decode()
    assert f"do {noivu.username} yêu cầu" in page


@pytest.mark.django_db
def test_only_a_failed_job_is_retried(db_tasks, noivu):
    job = enqueued()
    response = login(noivu).post(reverse("job_retry", args=[job.pk]), follow=True)
    assert "Chỉ thử lại được việc đã thất bại." in response.content.decode()
    assert DBTaskResult.objects.count() == 1


# A real worker closes its connection between jobs: the test cannot sit in a transaction.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_retried_job_runs_on_a_worker(db_tasks, noivu):
    job = failed(4)
    login(noivu).post(reverse("job_retry", args=[job.pk]))
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", stdout=io.StringIO())
    assert DBTaskResult.objects.exclude(pk=job.pk).get().return_value == 8
