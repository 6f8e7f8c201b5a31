"""``make demo``: the web server and one job worker side by side; Ctrl+C (or SIGTERM) stops
both. Each child runs in a session of its own, so the terminal's Ctrl+C reaches only this
process, which forwards it to each child's whole process group (autoreloaders included),
waits for the worker to finish its current job, and kills what is still running after a
grace period. When either child exits, the other is stopped too.

Both children run as production does where a user can see it (``demo_environment``): DEBUG
off, so a mistyped address gets the portal's Vietnamese 404 page, not Django's debug page
listing every route; DEMO_MODE on (plain HTTP on this machine, static files served by
WhiteNoise from static/, mail printed on the console); and SITE_URL set to the address the
demo is served at, so the links in its e-mails lead back to it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.management.utils import get_random_secret_key

GRACE_SECONDS = 10
# django-tasks logs every job twice ("Task id=<uuid> path=<task> state=RUNNING", then the
# outcome); the demo shows the outcome only, shortened.
TASK_LINE = re.compile(r"Task id=(?P<id>\S+) path=(?P<path>\S+) state=(?P<state>\w+)")


def site_url(addrport: str) -> str:
    """The address a browser reaches ``runserver <addrport>`` at: "8302" and
    "0.0.0.0:8302" -> http://127.0.0.1:8302; "127.0.0.1:8302" as it is."""
    host, _sep, port = addrport.rpartition(":")
    if not port.isdigit():
        raise CommandError(f"Địa chỉ không hợp lệ: {addrport!r} (ví dụ đúng: 127.0.0.1:8000).")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def demo_environment(addrport: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the demo's web server and worker: production's behaviour where a
    user sees it, over plain HTTP on this machine (phuyen_cchc/settings.py, DEMO_MODE)."""
    env = dict(os.environ if environ is None else environ)
    url = site_url(addrport)
    host = url.split("//", 1)[1].rsplit(":", 1)[0].strip("[]")
    hosts = [h for h in env.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    env.update(
        DEBUG="0",
        DEMO_MODE="1",
        SITE_URL=url,
        ALLOWED_HOSTS=",".join(dict.fromkeys([*hosts, "127.0.0.1", "localhost", host])),
        PYTHONUNBUFFERED="1",
    )
    if len(env.get("SECRET_KEY", "")) < 50:
        # One key for this run (both children, and the autoreloader's restarts, share it).
        env["SECRET_KEY"] = get_random_secret_key() + get_random_secret_key()
    return env


def worker_command(queues: list[str]) -> list[str] | None:
    """The worker for the configured backend (docs/jobs.md); None when jobs run at once."""
    backend = settings.TASKS["default"]["BACKEND"]
    if backend.startswith("django_tasks_db."):
        # jobs_worker: db_worker plus recovery of jobs a stopped worker left half done.
        return ["jobs_worker", "--queue-name", ",".join(queues), "--worker-id", "demo-1"]
    if backend.startswith("django_tasks_rq."):
        return ["rqworker", "--with-scheduler", *queues]
    return None


class Command(BaseCommand):
    help = (
        "Chạy máy chủ web (runserver) và một worker xử lý công việc nền cùng lúc; "
        "Ctrl+C dừng cả hai."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        env = demo_environment(addrport)
        children = {"web": self._start([*manage, "runserver", addrport], env)}
        worker = worker_command(settings.TASK_QUEUES)
        if worker:
            children["worker"] = self._start([*manage, *worker], env, prefix="[worker] ")
        stopping = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stopping.set())
        while not stopping.is_set() and all(p.poll() is None for p in children.values()):
            stopping.wait(0.2)
        sys.exit(self._stop(children))

    def _start(self, command: list[str], env: dict[str, str], prefix: str = "") -> subprocess.Popen:
        """Start a child in its own session; with ``prefix``, its output is relayed line by
        line under that prefix (the worker's lines stand apart from the web server's)."""
        piped = subprocess.PIPE if prefix else None
        child = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=piped,
            stderr=subprocess.STDOUT if prefix else None,
            start_new_session=True,
            text=True,
        )
        if prefix:
            threading.Thread(target=self._relay, args=(child, prefix), daemon=True).start()
        return child

    def _relay(self, child: subprocess.Popen, prefix: str) -> None:
        for line in child.stdout:
            if (shown := compact(line.rstrip("\n"))) is not None:
                self.stdout.write(prefix + shown)
                self.stdout.flush()

    def _stop(self, children: dict[str, subprocess.Popen]) -> int:
        """Ctrl+C each child's process group, wait, then kill what is left; the exit code
        is the first child's that stopped on its own (0 after Ctrl+C)."""
        failed = next((p.returncode for p in children.values() if p.poll() not in (None, 0)), 0)
        for child in children.values():
            _signal_group(child, signal.SIGINT)
        deadline = time.monotonic() + GRACE_SECONDS
        for child in children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(child, signal.SIGKILL)
                child.wait()
        return failed


def compact(line: str) -> str | None:
    """A job's log line as the demo shows it: "<task> successful (<id prefix>)"; None for
    "running"; any other line unchanged."""
    match = TASK_LINE.search(line)
    if not match:
        return line
    if match["state"] == "RUNNING":
        return None
    return f"{match['path']} {match['state'].lower()} ({match['id'][:8]})"


def _signal_group(child: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(child.pid, sig)
