"""The daily trigger: enqueue the day's reminders job (coordination/tasks.py), or run it
here with ``--now``. Idempotent: a second run the same day sends nothing (docs/jobs.md)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_tasks import TaskResultStatus

from coordination.tasks import send_reminders_job


class Command(BaseCommand):
    help = (
        "Đưa vào hàng đợi việc hằng ngày: gửi nhắc việc (trước hạn, đúng hạn, quá hạn; mỗi "
        "loại một lần), ghi nhận cơ quan không trả lời là thống nhất khi nhiệm vụ cho phép, "
        "và tạo kỳ tiếp theo của nhiệm vụ lặp lại. Chạy hằng ngày bằng cron hoặc systemd "
        "timer; chạy lại không gửi trùng."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Ngày chạy (YYYY-MM-DD), mặc định hôm nay.")
        parser.add_argument(
            "--now",
            action="store_true",
            help="Chạy ngay trong tiến trình này thay vì đưa vào hàng đợi (cho người vận hành).",
        )

    def handle(self, *args, date=None, now=False, **options):
        try:
            day = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        if now:
            self._report(send_reminders_job.call(day.isoformat()))
            return
        result = send_reminders_job.enqueue(day.isoformat())
        if result.status == TaskResultStatus.SUCCESSFUL:  # a backend that runs jobs at once
            self._report(result.return_value)
        elif result.status == TaskResultStatus.FAILED:
            raise CommandError(f"Việc nhắc hằng ngày ngày {day:%d/%m/%Y} bị lỗi (mã {result.id}).")
        else:
            self.stdout.write(
                f"Đã đưa việc nhắc hằng ngày ngày {day:%d/%m/%Y} vào hàng đợi (mã {result.id})."
            )

    def _report(self, counts: dict) -> None:
        self.stdout.write(
            f"Đã ghi {counts['reminders_sent']} nhắc việc (thư đi qua hàng đợi gửi thư), "
            f"bỏ qua {counts['reminders_skipped']}; {counts['agreed_by_silence']} cơ quan được "
            f"ghi nhận thống nhất; {counts['occurrences_created']} nhiệm vụ lặp lại mới."
        )
