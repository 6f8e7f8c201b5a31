"""Handing a document to its reader (issue 13), and the services that queue its build.

``respond`` answers a download: the stored file when it was built from the data as they
are now (a file response, no rendering), a build in the request when the document is small
(``Ask.inline``), otherwise the job that builds it — created, or joined when someone asked
for the same data already — and a 303 to its status page. No request builds a large
document; the caller has authorised the reader before asking.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies import jobs
from reports import catalog, store
from reports.catalog import Ask
from reports.models import DocumentJob, GeneratedDocument

BUILD_TASK = "reports.tasks.build_document"


def respond(request: HttpRequest, ask: Ask) -> HttpResponse:
    doc = store.current(ask)
    if doc is None and ask.inline:
        doc = build_now(ask, request.user)
    handle = store.open_file(doc) if doc is not None else None
    if handle is not None:
        return file_response(handle, ask.filename, ask.content_type)
    job = document_request(actor=request.user, ask=ask)
    return HttpResponseRedirect(reverse("document_job", args=[job.pk]), status=303)


def file_response(handle, filename: str, content_type: str) -> FileResponse:
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)


def build_now(ask: Ask, user) -> GeneratedDocument:
    """Build and store ``ask`` in this thread (small documents; commands and tests). A
    frozen document is laid out from the snapshot its issuing job keeps, when there is one
    (an issued document is then signed: ``store.keep``)."""
    snapshot = _snapshot(ask) if ask.freeze else ""
    built = catalog.build(ask.kind, ask.params, user, snapshot=snapshot)
    doc = store.keep(
        kind=ask.kind,
        object_key=ask.object_key,
        data_key=ask.data_key,
        built=built,
        filename=ask.filename,
        freeze=ask.freeze,
    )
    ask.remember(doc.data_key)
    return doc


def _snapshot(ask: Ask) -> str:
    job = DocumentJob.objects.filter(kind=ask.kind, data_key=ask.data_key).exclude(snapshot="")
    return job.values_list("snapshot", flat=True).first() or ""


def document_bytes(ask: Ask, user=None) -> bytes:
    """The document's bytes: stored when current, else built now and stored."""
    doc = store.current(ask) or build_now(ask, user)
    with doc.file.open("rb") as handle:
        return handle.read()


# --- Services -----------------------------------------------------------------------------


def document_request(*, actor, ask: Ask) -> DocumentJob:
    """The job that builds ``ask`` from the data as they are now, created or joined (one
    job per kind and data key, however many ask); ``actor`` becomes one of the users who
    see it. The caller found no current stored document, so a job already done for these
    data lost its file (replaced or removed) and runs again, and so does one stuck (see
    ``_stuck``). A failed job is returned as it is: its page shows why and offers to try
    again."""
    with transaction.atomic():
        job, created = DocumentJob.objects.get_or_create(
            kind=ask.kind,
            data_key=ask.data_key,
            defaults={
                "object_key": ask.object_key,
                "params": ask.params,
                "filename": ask.filename,
                "freeze": ask.freeze,
                "requested_by": actor,
            },
        )
        job.requesters.add(actor)
        if created:
            jobs.enqueue(BUILD_TASK, job.pk)
        elif job.status == DocumentJob.Status.DONE or _stuck(job):
            _requeue(job)
    return job


def document_job_retry(*, actor, job: DocumentJob) -> DocumentJob:
    """Run a failed job again (its parameters, snapshot and requesters are kept)."""
    with transaction.atomic():
        job = DocumentJob.objects.select_for_update().get(pk=job.pk)
        if job.status != DocumentJob.Status.FAILED:
            raise ValidationError(_("Chỉ thử lại được khi việc tạo văn bản không thành công."))
        job.requesters.add(actor)
        _requeue(job)
    return job


def document_freeze(*, actor, ask: Ask) -> DocumentJob:
    """Freeze a document as the data are in the caller's transaction (issuing a report):
    its HTML is rendered here, from the data as issued, and a job lays out and stores
    exactly that, frozen, recorded under ``actor``. Until it is done, asking for the
    document joins that job."""
    html = catalog.html_of(ask.kind, ask.params, actor)
    job = DocumentJob.objects.create(
        kind=ask.kind,
        object_key=ask.object_key,
        data_key=ask.data_key,
        params=ask.params,
        filename=ask.filename,
        freeze=True,
        snapshot=html,
        requested_by=actor,
    )
    job.requesters.add(actor)
    jobs.enqueue(BUILD_TASK, job.pk)
    return job


def _requeue(job: DocumentJob) -> None:
    job.status, job.stage, job.progress = DocumentJob.Status.QUEUED, DocumentJob.Stage.QUEUED, 0
    job.error, job.finished_at, job.document = "", None, None
    job.queued_at = timezone.now()
    job.save()
    jobs.enqueue(BUILD_TASK, job.pk)


def _stuck(job: DocumentJob) -> bool:
    """Queued or running for longer than ``JOB_STALE_AFTER`` since it was queued or
    started: its task was lost (never reached the queue, or its worker died and nothing
    picked it up). Running the idempotent job again is safe."""
    if job.status == DocumentJob.Status.QUEUED:
        since = job.queued_at
    elif job.status == DocumentJob.Status.RUNNING:
        since = job.started_at or job.queued_at
    else:
        return False
    return since < timezone.now() - jobs.stale_after()


def document_job_refresh(job: DocumentJob) -> DocumentJob:
    """What the status page shows, kept true: a job still queued or running whose task
    the framework has marked failed (its worker stopped and recovery gave up) is shown
    failed, with a way to try again; a stuck one is queued again."""
    if _stuck(job):
        with transaction.atomic():
            _requeue(job)
        return job
    unfinished = job.status in {DocumentJob.Status.QUEUED, DocumentJob.Status.RUNNING}
    if unfinished and jobs.job_failed(job.task_result_id):
        with translation.override("vi"):
            message = _("Máy chạy nền đã dừng khi đang tạo văn bản này. Hãy bấm “Thử lại”.")
        DocumentJob.objects.filter(pk=job.pk, status=job.status).update(
            status=DocumentJob.Status.FAILED, error=message
        )
        job.refresh_from_db()
    return job
