"""What ``make scaleout`` checks after the queue drains (bench/scaleout.py): the jobs, the
mail received by its own SMTP server against the outbox, the documents.

A message is identified by its subject, recipients and body. The portal may send the same
text twice on purpose (two manual reminders of one item on one day), so the outbox rows
and the received messages are compared as multisets: more received than sent rows with
that text is a message delivered twice; fewer is a message lost. A lost and a doubled
message with the very same text would cancel out; the Message-ID check catches a message
delivered twice by a retry of the same send.
"""

from __future__ import annotations

import email
import socket
import threading
from collections import Counter
from email import policy

from bench.scaleout_load import JOBS, Db, Load


def _key(subject: str, recipients, body: str) -> tuple:
    lines = body.replace("\r\n", "\n").strip().split("\n")
    return (
        " ".join(str(subject).split()),
        tuple(sorted(r.strip().lower() for r in recipients)),
        "\n".join(line.rstrip() for line in lines),
    )


class MailSink:
    """An SMTP server (aiosmtpd, in a thread of this process) that keeps what it receives."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.received: list[tuple[str, tuple]] = []  # (Message-ID, key)
        self.lock = threading.Lock()
        self.controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd)
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        part = message.get_body(("plain",)) or message
        key = _key(message["Subject"] or "", envelope.rcpt_tos, part.get_content())
        with self.lock:
            self.received.append((str(message["Message-ID"]), key))
        return "250 Message accepted for delivery"


def mail_figures(db: Db, sink: MailSink) -> dict:
    rows = db.rows("SELECT status, subject, recipients, body FROM agencies_outgoingmail")
    sent = Counter(_key(s, r, b) for status, s, r, b in rows if status == "sent")
    got = Counter(key for _, key in sink.received)
    ids = Counter(mid for mid, _ in sink.received)
    return {
        "queued": len(rows),
        "sent": sum(sent.values()),
        "not_sent": sum(1 for row in rows if row[0] != "sent"),
        "received": len(sink.received),
        "missing": sum(max(0, n - got[k]) for k, n in sent.items()),
        "doubled": sum(max(0, n - sent[k]) for k, n in got.items()),
        "same_id_twice": sum(n - 1 for n in ids.values() if n > 1),
    }


def job_figures(db: Db) -> dict:
    rows = db.rows(f"SELECT status, count(*) FROM {JOBS} GROUP BY status")
    by_status = dict(rows)
    started_twice = db.one(
        f"SELECT count(*) FROM {JOBS} WHERE jsonb_array_length(worker_ids) > 1"  # noqa: S608
    )
    queues = dict(db.rows(f"SELECT queue_name, count(*) FROM {JOBS} GROUP BY 1"))
    return {
        "enqueued": sum(by_status.values()),
        "done": by_status.get("SUCCESSFUL", 0),
        "failed": by_status.get("FAILED", 0),
        "left": by_status.get("READY", 0) + by_status.get("RUNNING", 0),
        "started_twice": started_twice,
        "queues": queues,
    }


def daily_runs(db: Db) -> list:
    """What each run of the day's reminders job did (its return value), oldest first."""
    rows = db.rows(
        f"SELECT return_value FROM {JOBS} WHERE task_path LIKE %s ORDER BY finished_at",  # noqa: S608
        "%send_reminders_job",
    )
    return [row[0] for row in rows]


def documents_built_twice(db: Db) -> int:
    """Stored documents written more than once for the same version of their data: the
    history of one document (kind, object key) with two builds under one ``data_key``."""
    return db.one(
        "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n "
        "FROM reports_historicalgenerateddocument WHERE history_type IN ('+', '~') "
        "GROUP BY kind, object_key, data_key) AS builds WHERE n > 1"
    )


def document_jobs(db: Db) -> dict:
    rows = db.rows("SELECT status, count(*), sum(attempts) FROM reports_documentjob GROUP BY 1")
    return {status: f"{n} ({attempts} runs)" for status, n, attempts in rows}


def outcome(db_url: str, load: Load, sink: MailSink, events: dict, drained: float):
    """The printed figures and whether the run failed. Long only by the lines it prints."""
    db, stats = Db(db_url), load.stats
    jobs, mails = job_figures(db), mail_figures(db, sink)
    docs = stats.documents
    not_ready = stats.counts.get("documents not ready", 0)
    killed = events.get("killed", {})
    failed_jobs = jobs["failed"]
    errors = stats.errors + failed_jobs
    built_twice = documents_built_twice(db)
    lost = mails["not_sent"] + mails["missing"] + jobs["left"] + not_ready
    doubled = mails["doubled"] + mails["same_id_twice"] + built_twice
    same = all(d["same"] for d in docs)
    ready = sorted(d["ready_s"] for d in docs)
    lines = [
        "",
        f"requests: {stats.requests} through 2 app servers, errors {stats.errors}",
        "  " + ", ".join(f"{k} {v}" for k, v in sorted(stats.counts.items())),
        *(f"  error: {s}" for s in stats.samples),
        f"killed: {killed.get('worker')} during job {killed.get('job')} "
        f"({killed.get('task')}, queue {killed.get('queue')})",
        f"recovery: {events.get('recovery', 'not run')}",
        f"daily reminders, triggered twice: {daily_runs(db)}",
        f"jobs: enqueued {jobs['enqueued']}, done {jobs['done']}, failed {failed_jobs}, "
        f"left in the queue {jobs['left']}, started by two workers {jobs['started_twice']} "
        f"(by queue: {jobs['queues']})",
        f"document jobs by status: {document_jobs(db)}",
        f"jobs run twice (side effects): documents built twice {built_twice}, "
        f"mails delivered twice {mails['doubled'] + mails['same_id_twice']}",
        f"mails: queued {mails['queued']}, sent {mails['sent']}, received by the SMTP server "
        f"{mails['received']}, not sent {mails['not_sent']}, sent but not received "
        f"{mails['missing']}",
        f"documents: {len(docs)} downloaded from both servers, byte-identical: "
        f"{'yes' if same else 'NO'}; not ready in time {not_ready}; "
        f"ask → ready median {ready[len(ready) // 2] if ready else '-'} s, "
        f"max {ready[-1] if ready else '-'} s",
        f"queue drained in {drained:.1f} s after the load" if drained >= 0 else "queue not drained",
        f"scaleout: {stats.requests} requests, {errors} errors, {jobs['enqueued']} jobs, "
        f"{lost} lost, {doubled} doubled",
    ]
    return lines, bool(errors or lost or doubled or not same)
