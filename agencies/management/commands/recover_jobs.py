"""Put background jobs whose worker stopped back in the queue (agencies.jobs.jobs_recover).
Idempotent, and safe to run from several machines at once."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from agencies import jobs


class Command(BaseCommand):
    help = (
        "Xếp lại các việc chạy nền (hàng đợi trong cơ sở dữ liệu) đang “chạy” quá "
        "JOB_STALE_AFTER (mặc định 15 phút) vì tiến trình xử lý đã dừng giữa chừng; việc đã "
        "chạy JOB_MAX_ATTEMPTS lần (mặc định 3) thì đánh dấu thất bại để thấy trên trang "
        "“Việc chạy nền”. Chạy 5 phút một lần bằng cron hoặc systemd timer (jobs_worker tự "
        "làm việc này); chạy lại hoặc chạy đồng thời không xếp trùng."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--worker-id",
            default=None,
            help=(
                "Mã của một tiến trình xử lý vừa khởi động lại: các việc nó đang chạy dở được "
                "xếp lại ngay, không chờ hết JOB_STALE_AFTER."
            ),
        )
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            help="Chạy mãi, cứ mỗi chừng ấy giây một lần (mặc định: chạy một lần rồi thôi).",
        )

    def handle(self, *args, worker_id=None, every=0, **options):
        while True:
            self._recover_once(worker_id)
            if not every:
                return
            worker_id = None  # a worker's own jobs only at its start
            close_old_connections()
            time.sleep(every)

    def _recover_once(self, worker_id: str | None) -> None:
        try:
            recovery = jobs.jobs_recover(worker_id=worker_id)
        except DatabaseError as exc:  # a busy database: the next round tries again
            self.stderr.write(f"Chưa xếp lại được: {exc}")
            return
        self.stdout.write(
            f"Đã xếp lại {len(recovery.requeued)} việc, đánh dấu thất bại "
            f"{len(recovery.failed)} việc (quá {jobs.max_attempts()} lần chạy)."
        )
