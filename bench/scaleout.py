"""``make scaleout`` (issue 13): the portal on more than one machine, proved on this one.

A fresh PostgreSQL database and one shared media folder; two gunicorn app servers on two
ports and two database workers (``manage.py jobs_worker``: django-tasks-db's ``db_worker``
with the portal's stale-job recovery) against them; production settings (``DEBUG=0``;
``MFA_REQUIRED=0`` because the demo accounts have no second factor and a sign-in by
password is what is measured); e-mail to an SMTP server run by this script that keeps
every message it receives. A mixed load goes through both app servers
(bench/scaleout_load.py); in the middle one worker is killed (SIGKILL) while it runs a
job, the stale-job recovery runs for it and it starts again under its id, then the queue
drains and the results are checked (bench/scaleout_check.py): errors, mails lost or sent
twice, documents built twice, and whether every document has the same bytes from both
servers. The last line is
``scaleout: <N> requests, <E> errors, <J> jobs, <L> lost, <D> doubled``; the exit status
is 1 when E, L or D is not 0. See docs/deployment.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import scaleout_load as L  # noqa: E402
from bench.scaleout_check import MailSink, outcome  # noqa: E402

PY = sys.executable
PG = os.environ.get("SCALEOUT_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("SCALEOUT_DB", "cchc_scaleout")
PASSWORD = os.environ.get("DEMO_PASSWORD") or "PhuYen@CCHC2024"
QUEUES = "default,documents,mail"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def say(message: str) -> None:
    print(f"[scaleout] {message}", flush=True)


class Cluster:
    """The database, the folder and the processes of one run; ``close()`` removes them
    all (also after Ctrl+C or a failure)."""

    def __init__(self, mail_port: int, keep: bool):
        self.tmp = Path(tempfile.mkdtemp(prefix="cchc_scaleout_"))
        self.keep = keep
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports = [free_port(), free_port()]
        self.db_url = f"{PG}/{DB_NAME}"
        self.env = self._env(mail_port)

    def _env(self, mail_port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CACHE_URL"}}
        env.update(
            DJANGO_SETTINGS_MODULE="phuyen_cchc.settings",
            DEBUG="0",
            SECRET_KEY="scaleout-" + "s" * 60,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="0",
            DATABASE_URL=self.db_url,
            DB_POOL_MIN="1",
            DB_POOL_MAX="4",
            TASKS_BACKEND="database",
            MEDIA_ROOT=str(self.tmp / "media"),  # the one shared media folder
            STATIC_ROOT=str(self.tmp / "static"),
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(mail_port),
            EMAIL_USE_TLS="0",
            SITE_URL=f"http://127.0.0.1:{self.ports[0]}",
            MFA_REQUIRED="0",
            DEMO_PASSWORD=PASSWORD,
            LOG_LEVEL="WARNING",
        )
        return env

    def psql(self, sql: str, *, check: bool = True) -> None:
        subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", sql], check=check)

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [PY, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        return done.stdout

    def build(self) -> float:
        started = time.perf_counter()
        self.psql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        self.psql(f'CREATE DATABASE "{DB_NAME}"')
        self.manage("migrate", "--noinput", "-v0")
        self.manage("createcachetable")
        self.manage("collectstatic", "--noinput", "-v0")
        self.manage("seed_demo")
        return time.perf_counter() - started

    def start(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl+C here is handled by close()
        )  # fmt: skip
        self.procs[f"{name}#{len(self.procs)}"] = proc
        return proc

    def running(self, name: str) -> subprocess.Popen | None:
        alive = (p for key, p in self.procs.items() if key.startswith(f"{name}#"))
        return next((p for p in alive if p.poll() is None), None)

    def start_web(self, port: int) -> None:
        self.start(
            f"web-{port}",
            [PY, "-m", "gunicorn", "phuyen_cchc.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"]
            + ["--threads", "2", "--timeout", "120", "--graceful-timeout", "5"],
        )

    def start_worker(self, worker_id: str) -> subprocess.Popen:
        return self.start(
            worker_id,
            [PY, "manage.py", "jobs_worker", "--queue-name", QUEUES, "--worker-id", worker_id]
            + ["--interval", "0.2", "--no-startup-delay", "--no-reload", "-v0"],
        )

    def wait_web(self) -> None:
        """Both app servers answer, and it is ours that answers: its log says it listens on
        that port (another program that took the port in between would answer too)."""
        for port in self.ports:
            log = self.tmp / f"web-{port}.log"
            for _ in range(150):
                listening = f"Listening at: http://127.0.0.1:{port}" in log.read_text()
                if listening and self.running(f"web-{port}"):
                    try:
                        urllib.request.urlopen(
                            f"http://127.0.0.1:{port}/accounts/login/", timeout=2
                        )
                        break
                    except OSError:
                        pass
                time.sleep(0.2)
            else:
                raise RuntimeError(f"the app server on port {port} did not start (see {log})")

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        if self.keep:
            say(f"kept: database {DB_NAME}, folder {self.tmp}")
            return
        self.psql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)', check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)


# --- The worker killed in the middle of a job ------------------------------------------


LAYING_OUT = (  # a document job of this worker past its start: laying out or writing the PDF
    f"SELECT r.id::text, r.task_path, r.queue_name FROM {L.JOBS} r "
    "JOIN reports_documentjob d ON d.task_result_id = r.id::text "
    "WHERE r.status = 'RUNNING' AND r.worker_ids->>-1 = %s "
    "AND d.status = 'running' AND d.stage IN ('layout', 'write') LIMIT 1"
)
ANY_BUT_MAIL = (  # a mail job killed mid-send waits for the sweeper: see docs/deployment.md
    f"SELECT id::text, task_path, queue_name FROM {L.JOBS} WHERE status = 'RUNNING' "
    "AND worker_ids->>-1 = %s AND queue_name <> 'mail' LIMIT 1"
)


def kill_during_job(cluster: Cluster, load: L.Load, worker_id: str, wait_s: float) -> dict:
    """Wait for ``worker_id`` to be in the middle of a document (laying it out), or of any
    job but a mail one after half the wait, then SIGKILL it. Returns what was killed."""
    proc = cluster.running(worker_id)
    if proc is None:
        return {"worker": worker_id, "job": None, "task": "it had stopped by itself", "queue": ""}
    db, until, anyjob_after = L.Db(cluster.db_url), time.time() + wait_s, time.time() + wait_s / 2
    while time.time() < until and not load.stop.is_set():
        job = db.rows(LAYING_OUT, worker_id)
        if not job and time.time() > anyjob_after:
            job = db.rows(ANY_BUT_MAIL, worker_id)
        if job:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)
            job_id, path, queue = job[0]
            return {"worker": worker_id, "job": job_id, "task": path, "queue": queue}
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(5)
    return {"worker": worker_id, "job": None, "task": "no job was running on it", "queue": ""}


def recover(cluster: Cluster, worker_id: str) -> str:
    """The stale-job recovery for the killed worker (``manage.py recover_jobs
    --worker-id``, as the worker's own restart does), when the command exists."""
    try:
        return cluster.manage("recover_jobs", "--worker-id", worker_id).strip()
    except subprocess.CalledProcessError as exc:
        return f"recover_jobs failed (exit {exc.returncode}): {exc.stdout.strip()[-500:]}"


def chaos(cluster: Cluster, load: L.Load, duration: float, events: dict) -> None:
    """In the middle of the load: the daily reminder trigger (twice: it is idempotent),
    a worker killed during a job, the recovery, and the worker started again under the
    same id (as systemd's Restart=always does)."""
    load.stop.wait(duration * 0.25)
    events["reminders"] = [cluster.manage("send_reminders").strip() for _ in range(2)]
    events["killed"] = kill_during_job(cluster, load, "scaleout-w1", duration * 0.5)
    say(f"killed worker scaleout-w1 during {events['killed']}")
    events["recovery"] = recover(cluster, "scaleout-w1")
    say(f"recovery: {events['recovery']}")
    cluster.start_worker("scaleout-w1")


# --- The run ---------------------------------------------------------------------------


def drive(cluster: Cluster, duration: float) -> tuple[L.Load, dict]:
    """Start the people and the mid-run events, stop the people after ``duration``."""
    db = L.Db(cluster.db_url)
    plan = L.make_plan(db)
    load = L.Load(ports=cluster.ports, password=PASSWORD, db=db, plan=plan)
    load.deadline = time.perf_counter() + duration + 180
    taken = {*plan.parts, plan.reviewer, "noivu", "lanhdao", "admin", "hoidong"}
    focal = db.rows(  # the demo's focal officers: username = body code in lower case
        "SELECT u.username FROM agencies_user u JOIN agencies_agency a ON a.id = u.agency_id "
        "WHERE u.username = lower(a.code) AND u.is_active ORDER BY a.sort_order"
    )
    readers = [row[0] for row in focal if row[0] not in taken][:12]
    people = [(L.contributor, name) for name in plan.parts]
    people += [(L.reviewer, plan.reviewer), (L.officer, "noivu"), (L.leader, "lanhdao")]
    people += [(L.reader, readers[0::2]), (L.reader, readers[1::2])]
    events: dict = {}
    threads = [threading.Thread(target=f, args=(load, who), daemon=True) for f, who in people]
    threads.append(
        threading.Thread(target=chaos, args=(cluster, load, duration, events), daemon=True)
    )
    for t in threads:
        t.start()
    load.stop.wait(duration)
    load.stop.set()
    say("load stopped; waiting for the people to finish their step…")
    for t in threads:
        t.join(240)
    return load, events


def drain(cluster: Cluster, timeout: float) -> float:
    """Wait until no job is ready or running and no mail is waiting; returns seconds."""
    db, started = L.Db(cluster.db_url), time.perf_counter()
    while time.perf_counter() - started < timeout:
        jobs = db.one(
            f"SELECT count(*) FROM {L.JOBS} WHERE status IN ('READY', 'RUNNING')"  # noqa: S608
        )
        mails = db.one(
            "SELECT count(*) FROM agencies_outgoingmail WHERE status IN ('pending', 'sending')"
        )
        if not jobs and not mails:
            return time.perf_counter() - started
        time.sleep(0.5)
    return -1.0


def run(args) -> int:
    sink = MailSink()
    sink.start()
    cluster = Cluster(sink.port, args.keep)
    try:
        say(f"fresh database {DB_NAME}, media in {cluster.tmp}…")
        setup_s = cluster.build()
        say(f"migrated and seeded in {setup_s:.0f} s; starting 2 app servers, 2 workers")
        for port in cluster.ports:
            cluster.start_web(port)
        cluster.start_worker("scaleout-w1")
        cluster.start_worker("scaleout-w2")
        cluster.wait_web()
        say(f"app servers on ports {cluster.ports}; {args.duration:.0f} s of load")
        load, events = drive(cluster, args.duration)
        drained = drain(cluster, args.drain)
        say(f"queue drained in {drained:.1f} s" if drained >= 0 else "queue did NOT drain")
        lines, failed = outcome(cluster.db_url, load, sink, events, drained)
    finally:
        sink.stop()
        cluster.close()
    print("\n".join(lines), flush=True)  # after the clean-up: the figures are the last lines
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=90, help="seconds of load")
    parser.add_argument("--drain", type=float, default=240, help="seconds to wait for the queue")
    parser.add_argument("--keep", action="store_true", help="keep the database and the folder")
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in background
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up as on Ctrl+C
    try:
        sys.exit(run(args))
    except KeyboardInterrupt:
        say("interrupted; processes, database and folder removed")
        sys.exit(130)


if __name__ == "__main__":
    main()
