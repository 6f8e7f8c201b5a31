"""Retry the outbox: e-mail not yet sent, or refused by the mail server (agencies/mail.py).
Idempotent: a message is claimed before it is sent, so it is never sent twice."""

from django.core.management.base import BaseCommand

from agencies import mail


class Command(BaseCommand):
    help = (
        "Gửi lại thư điện tử còn chờ gửi hoặc gửi lỗi trong hộp thư đi. Sau n lần gửi "
        "không thành công, thư được thử lại sau 2^n phút; quá số lần tối đa thì dừng (xem "
        "danh sách “Thư đi” trong trang quản trị). Chạy 5 phút một lần bằng cron; chạy lại "
        "hoặc chạy đồng thời không gửi trùng."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-attempts",
            type=int,
            default=None,
            help=(
                "Số lần gửi tối đa cho mỗi thư (mặc định OUTGOING_MAIL_MAX_ATTEMPTS, "
                f"hoặc {mail.DEFAULT_MAX_ATTEMPTS})."
            ),
        )

    def handle(self, *args, max_attempts=None, **options):
        counts = mail.send_pending(attempts=max_attempts)
        self.stdout.write(
            f"Đã gửi {counts['sent']} thư, lỗi {counts['failed']} (sẽ thử lại), "
            f"chờ thử lại {counts['waiting']}, bỏ qua {counts['skipped']}, "
            f"ngừng gửi {counts['given_up']} (quá số lần tối đa)."
        )
