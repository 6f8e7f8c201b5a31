"""pyHanko's synchronous API runs its coroutines with ``asyncio.run``, which refuses to start
inside a thread whose event loop is running (a thread of an async server, a test driving a
browser through Playwright's synchronous API). ``outside_event_loop`` runs such a call in a
short-lived thread of its own there, and directly everywhere else (request threads and
workers have no running loop)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor


def outside_event_loop(function, *args, **kwargs):
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(1, thread_name_prefix="pyhanko") as pool:
        return pool.submit(function, *args, **kwargs).result()
