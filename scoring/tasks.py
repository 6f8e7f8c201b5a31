"""Scoring's background jobs: a large criteria file is checked, then saved, by a worker
(the bodies are services in scoring/services/criteria.py; these adapt them to the queue)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_tasks import TaskContext, task

from agencies import jobs
from scoring.services import criteria


@task(takes_context=True)
def criteria_import_check(context: TaskContext, import_job_id: int) -> None:
    criteria.import_job_running(import_job_id=import_job_id, task_id=str(context.task_result.id))
    criteria.criteria_import_check(import_job_id=import_job_id)


@task(takes_context=True)
def criteria_import_apply(context: TaskContext, import_job_id: int) -> None:
    criteria.import_job_running(import_job_id=import_job_id, task_id=str(context.task_result.id))
    criteria.criteria_import_apply(import_job_id=import_job_id)


jobs.register_label(criteria_import_check, _("Kiểm tra tệp tiêu chí"))
jobs.register_label(criteria_import_apply, _("Lưu bộ tiêu chí từ tệp"))
