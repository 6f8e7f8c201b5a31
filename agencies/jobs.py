"""Background jobs: the one way the portal hands work to a worker.

Jobs are Django Tasks (the django-tasks backport; ``settings.TASKS``): the database backend
by default, RQ on Redis as an option, the immediate backend in tests. A feature app defines
its jobs in its own ``tasks.py`` with ``@task`` and enqueues them through ``enqueue`` here,
which waits for the caller's transaction to commit, so a job never sees data that was rolled
back and never runs before the rows it reads exist. Every job is idempotent: running it
twice (a retry, a worker killed mid-job and its job picked up again) has the effect of
running it once.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction


def enqueue(task, *args, **kwargs) -> None:
    """Enqueue ``task`` with these arguments once the current transaction commits (at once
    when there is none)."""
    transaction.on_commit(partial(task.enqueue, *args, **kwargs), robust=False)
