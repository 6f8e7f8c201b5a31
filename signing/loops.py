"""pyHanko's synchronous API runs its coroutines with ``asyncio.run``, which refuses to start
inside a thread whose event loop is running (a thread of an async server, a test driving a
browser through Playwright's synchronous API). ``outside_event_loop`` runs such a call in a
short-lived thread of its own there, and directly everywhere else (request threads and
workers have no running loop). The thread's database connections are closed when it ends:
left open, each would keep a connection out of the pool."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from django.db import connections


def outside_event_loop(function, *args, **kwargs):
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(1, thread_name_prefix="pyhanko") as pool:
        return pool.submit(_closing_connections, function, *args, **kwargs).result()


def _closing_connections(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    finally:
        connections.close_all()
