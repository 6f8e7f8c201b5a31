"""Reports' jobs: building a document in the background (``DocumentJob``).

A job is idempotent: a done job is left as it is; a job run again (a retry, or a worker
killed in the middle and its job picked up again by ``agencies.jobs.jobs_recover``) starts
over and stores the same document under the same object key. An issued document is signed
and stored once (``store.save_issued``): a job run again after that finds it stored and
neither signs nor numbers anything. It reports its stage and
progress as it goes, and on failure keeps a message for the reader before raising, so the
task framework records the failure too.
"""

from __future__ import annotations

import gc
import logging
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import TaskContext, task

from agencies.jobs import register_label
from agencies.models import User
from reports import catalog, store
from reports.models import DocumentJob, GeneratedDocument

logger = logging.getLogger("reports.tasks")
Stage = DocumentJob.Stage
# Progress shown at the start of each stage (the layout is most of the work).
PROGRESS = {
    Stage.QUEUED: 0,
    Stage.COLLECT: 5,
    Stage.LAYOUT: 25,
    Stage.WRITE: 80,
    Stage.STORE: 95,
    Stage.DONE: 100,
}


@task(queue_name="documents", takes_context=True)
def build_document(context: TaskContext, job_id: int) -> int | None:
    """Build, store and mark done the document of job ``job_id``; the stored document's
    id, or None when there was nothing to do (the job is done or gone)."""
    job = _claim(job_id, str(context.task_result.id))
    if job is None:
        return None
    try:
        doc, pages = _produce(job)
    except Exception as exc:
        _fail(job, exc)
        raise
    DocumentJob.objects.filter(pk=job.pk).update(
        status=DocumentJob.Status.DONE,
        stage=Stage.DONE,
        progress=PROGRESS[Stage.DONE],
        pages=pages,
        document=doc,
        finished_at=timezone.now(),
    )
    # A laid-out document leaves reference cycles (WeasyPrint's boxes) that only a full
    # collection frees: freed now, the file ready, rather than in the middle of the next job
    # (0.1-0.2 s after a whole-year status; docs/benchmark.md, issue 14).
    gc.collect()
    return doc.pk


register_label(build_document, gettext_lazy("Tạo văn bản, xuất Excel"))


def _claim(job_id: int, result_id: str) -> DocumentJob | None:
    with transaction.atomic():
        job = DocumentJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status == DocumentJob.Status.DONE:
            return None
        job.status, job.stage = DocumentJob.Status.RUNNING, Stage.COLLECT
        job.progress, job.error = PROGRESS[Stage.COLLECT], ""
        job.attempts += 1
        job.started_at, job.finished_at = timezone.now(), None
        job.task_result_id = result_id
        job.save()
    return job


def _step(job_id: int, stage: str, pages: int | None = None) -> None:
    DocumentJob.objects.filter(pk=job_id).update(stage=stage, progress=PROGRESS[stage], pages=pages)


def _produce(job: DocumentJob) -> tuple[GeneratedDocument, int | None]:
    """Build from the data as they are when the job starts: its key is computed again
    now (before anything is read), so the document is stored under the version it shows.
    An issued report keeps its fixed key and is laid out from its snapshot, then signed."""
    ask = catalog.Ask(job.kind, job.object_key, job.params, job.filename)
    data_key = job.data_key if job.freeze else ask.data_key
    if not job.freeze and (doc := store.current(ask)) is not None:
        return doc, None  # built meanwhile by another job
    if job.freeze and (row := store.issued_row(job.kind, job.object_key)) and row.document:
        return row.document, None  # issued, signed and stored by an earlier run
    reader = User.objects.get(pk=job.params["user"]) if "user" in job.params else None
    built = catalog.build(
        job.kind, job.params, reader, snapshot=job.snapshot, progress=partial(_step, job.pk)
    )
    _step(job.pk, Stage.STORE, built.pages)
    doc = store.keep(
        kind=job.kind,
        object_key=job.object_key,
        data_key=data_key,
        built=built,
        filename=job.filename,
        freeze=job.freeze,
        actor=job.requested_by if job.freeze else None,
    )
    if not job.freeze:
        ask.remember(doc.data_key)  # its next download reads one cache entry
    return doc, built.pages


def failure_message(exc: Exception) -> str:
    """What the reader is told (in Vietnamese, like the documents); the traceback goes
    to the log and to the task framework's record."""
    with translation.override("vi"):
        if isinstance(exc, ValidationError):
            return " ".join(exc.messages)
        return _(
            "Không tạo được văn bản do lỗi khi xử lý (%(error)s). Hãy bấm “Thử lại”; "
            "nếu vẫn lỗi, xin báo quản trị viên."
        ) % {"error": type(exc).__name__}


def _fail(job: DocumentJob, exc: Exception) -> None:
    logger.exception("document job %s (%s) failed", job.pk, job.kind)
    DocumentJob.objects.filter(pk=job.pk).update(
        status=DocumentJob.Status.FAILED, error=failure_message(exc), finished_at=timezone.now()
    )
