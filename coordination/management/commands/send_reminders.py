"""Daily job: reminders before, on and after deadlines; comment rounds closed by silence;
next occurrences of recurring items. Idempotent: a second run the same day sends nothing."""

import datetime as dt

from django.core.management.base import BaseCommand

from coordination import reminders, services
from coordination.models import Task


class Command(BaseCommand):
    help = (
        "Gửi nhắc việc (trước hạn, đúng hạn, quá hạn; mỗi loại một lần), ghi nhận cơ quan "
        "không trả lời là thống nhất khi nhiệm vụ cho phép, và tạo kỳ tiếp theo của nhiệm vụ "
        "lặp lại. Chạy hằng ngày bằng cron; chạy lại không gửi trùng."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Ngày chạy (YYYY-MM-DD), mặc định hôm nay.")

    def handle(self, *args, **options):
        today = dt.date.fromisoformat(options["date"]) if options["date"] else None
        silent = 0
        for task in Task.objects.filter(silence_means_agreement=True).exclude(
            status__in=["draft", "done", "cancelled"]
        ):
            silent += services.task_apply_silence(task=task, today=today)
        created = reminders.create_due_occurrences(today=today)
        counts = reminders.send_due_reminders(today=today)
        self.stdout.write(
            f"Đã ghi {counts['sent']} nhắc việc (thư đi qua hàng đợi gửi thư), "
            f"bỏ qua {counts['skipped']}; "
            f"{silent} cơ quan được ghi nhận thống nhất; {len(created)} nhiệm vụ lặp lại mới."
        )
