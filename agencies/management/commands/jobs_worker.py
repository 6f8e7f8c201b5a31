"""django-tasks-db's ``db_worker`` with recovery: at start it runs the warm-ups
(``WORKER_WARM_UPS``) and requeues the jobs it was running when it last stopped (under the
same ``--worker-id``), and every ``JOB_RECOVER_EVERY`` seconds (default 300) it recovers any
stale job (agencies.jobs)."""

from __future__ import annotations

import gc
import logging
import os
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django.utils.module_loading import import_string
from django_tasks_db.management.commands import db_worker

from agencies import jobs

logger = logging.getLogger("agencies.jobs")
DEFAULT_RECOVER_EVERY = 300


def _warm_up() -> None:
    """Run ``settings.WORKER_WARM_UPS`` (dotted paths of callables that load, once per
    process, what the first job would otherwise wait for: the signing keys and fonts).
    A failing warm-up is logged; the worker starts anyway."""
    for path in getattr(settings, "WORKER_WARM_UPS", []):
        try:
            import_string(path)()
        except Exception:
            logger.exception("Warm-up %s failed", path)


def start_up() -> None:
    """What a worker does before its first job: the warm-ups, then what the process holds
    (Django, the modules, fonts, keys: ~200,000 objects, alive as long as it is) is kept
    out of the cyclic collector's walks (``gc.freeze``); each full collection walked them
    all, ~0.12 s, in the middle of a long document (docs/benchmark.md, issue 14)."""
    _warm_up()
    gc.freeze()


def _recover(worker_id: str | None = None) -> None:
    try:
        jobs.jobs_recover(worker_id=worker_id)
    except DatabaseError:  # a busy database: the next round tries again
        logger.exception("job recovery failed")
    finally:
        if threading.current_thread() is not threading.main_thread():
            connections.close_all()


def _recover_every(seconds: float) -> None:
    while True:
        time.sleep(seconds)
        _recover()


class Command(db_worker.Command):
    help = (
        "Chạy một tiến trình xử lý việc nền (như db_worker của django-tasks-db, cùng các "
        "tùy chọn). Khi khởi động, các việc nó còn chạy dở lần trước (cùng --worker-id) "
        "được xếp lại; cứ JOB_RECOVER_EVERY giây (mặc định 300) nó xếp lại các việc mà "
        "tiến trình khác bỏ dở. Đặt --worker-id cố định và khác nhau cho từng tiến trình."
    )

    def handle(self, *args, worker_id: str, reload: bool, **options) -> None:
        # Under the autoreloader the parent process only watches files: the child recovers.
        if not reload or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            start_up()
            _recover(worker_id)
            every = float(getattr(settings, "JOB_RECOVER_EVERY", DEFAULT_RECOVER_EVERY))
            if every > 0:
                threading.Thread(
                    target=_recover_every, args=(every,), daemon=True, name="recover-jobs"
                ).start()
        super().handle(*args, worker_id=worker_id, reload=reload, **options)
