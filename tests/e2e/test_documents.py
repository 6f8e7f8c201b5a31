"""A document built by a job, in real Chromium: leadership asks for the year's coordination
status, sees "Đang chuẩn bị…" while a worker builds it, and the file downloads by itself
when it is ready (the status page polls its JSON; no inline script)."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from reports.models import DocumentJob, GeneratedDocument

from .helpers import assert_accessible, login


def _run_worker() -> None:
    """One database worker pass over the documents queue, as ``make demo`` runs beside the
    web server (here in the test's thread, against the live server's database)."""
    call_command(
        "db_worker",
        "--batch",
        "--queue-name",
        "documents",
        "--no-startup-delay",
        "--no-reload",
        verbosity=0,
    )


def test_leadership_asks_for_the_years_coordination_status_and_downloads_it(
    demo, new_page, settings
):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": settings.TASK_QUEUES,
        }
    }
    page = new_page()
    login(page, "lanhdao")
    page.goto("/reports/")
    year = timezone.localdate().year
    page.get_by_role("link", name=f"Năm {year} (01/01/{year} – 31/12/{year})").click()

    # The request only queued the job: the status page says so and follows it.
    expect(page.get_by_role("heading", name="Đang chuẩn bị…")).to_be_visible()
    expect(page.locator("[data-job-stage]")).to_have_text("Đang chờ đến lượt")
    assert_accessible(page)
    job = DocumentJob.objects.get(kind="coordination_status")
    assert job.status == "queued" and page.url.endswith(f"/reports/documents/{job.pk}/")

    with page.expect_download() as info:
        _run_worker()  # the page notices by itself and starts the download
    download = info.value
    with open(download.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    assert download.suggested_filename == f"tinh-hinh-phoi-hop-{year}0101-{year}1231.pdf"
    expect(page.get_by_role("heading", name="Văn bản đã sẵn sàng")).to_be_visible()
    expect(page.get_by_role("link", name="Tải văn bản")).to_be_visible()
    expect(page.locator("[data-job-percent]")).to_have_text("100%")

    # Asking again with unchanged data is the stored file at once: no new job.
    with page.expect_download() as again:
        page.goto("/reports/")
        page.get_by_role("link", name=f"Năm {year} (01/01/{year} – 31/12/{year})").click()
    assert again.value.suggested_filename == download.suggested_filename
    assert DocumentJob.objects.filter(kind="coordination_status").count() == 1
    assert GeneratedDocument.objects.get(kind="coordination_status").object_key == (
        f"{dt.date(year, 1, 1).isoformat()}_{dt.date(year, 12, 31).isoformat()}"
    )
