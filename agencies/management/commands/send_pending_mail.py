"""The outbox's sweeper (agencies/mail.py): enqueue a send job for every message not yet
sent whose next attempt is due, and take back messages left "sending" by a dead worker.
Run every few minutes (docs/jobs.md). Idempotent: each job claims its message before
sending, so a message is never sent twice."""

from django.core.management.base import BaseCommand

from agencies import mail, tasks


class Command(BaseCommand):
    help = (
        "Đưa vào hàng đợi gửi các thư điện tử còn chờ gửi hoặc gửi lỗi đã đến lần thử lại "
        "(sau n lần không thành công, thư được thử lại sau 2^n phút; quá số lần tối đa thì "
        "dừng, xem danh sách “Thư đi” trong trang quản trị), và nhận lại thư bị bỏ dở khi "
        "worker dừng giữa chừng. Chạy 5 phút một lần bằng cron hoặc systemd timer; chạy lại "
        "hoặc chạy đồng thời không gửi trùng."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-attempts",
            type=int,
            default=None,
            help=(
                "Số lần gửi tối đa cho mỗi thư (mặc định OUTGOING_MAIL_MAX_ATTEMPTS, "
                f"hoặc {tasks.DEFAULT_MAX_ATTEMPTS})."
            ),
        )

    def handle(self, *args, max_attempts=None, **options):
        counts = mail.send_pending(attempts=max_attempts)
        self.stdout.write(
            f"Đã đưa {counts['enqueued']} thư vào hàng đợi gửi, "
            f"{counts['waiting']} thư chờ đến lần thử lại, "
            f"nhận lại {counts['recovered']} thư gửi dở, "
            f"ngừng gửi {counts['given_up']} thư (quá số lần tối đa)."
        )
