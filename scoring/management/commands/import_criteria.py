"""Import a criteria set from .xlsx/.csv on the command line (same checks as the page)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError

from agencies import validators
from agencies.models import User
from scoring import services
from scoring.models import Target


class Command(BaseCommand):
    help = (
        "Nhập bộ tiêu chí Chỉ số CCHC từ tệp .xlsx hoặc .csv (định dạng trong "
        "docs/import-format.md). Mặc định chỉ kiểm tra và báo lỗi theo số dòng; thêm --save "
        "để lưu thành bộ tiêu chí dự thảo (phiên bản mới). Tệp có lỗi không bao giờ được lưu."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Đường dẫn tệp .xlsx hoặc .csv")
        parser.add_argument("--year", type=int, required=True, help="Năm đánh giá")
        parser.add_argument(
            "--target", choices=Target.values, required=True, help="Đối tượng của bộ tiêu chí"
        )
        parser.add_argument("--title", default="", help="Tên bộ tiêu chí")
        parser.add_argument("--total", default="100", help="Tổng điểm tối đa (mặc định 100)")
        parser.add_argument(
            "--user", required=True, help="Tên đăng nhập của cán bộ Sở Nội vụ thực hiện"
        )
        parser.add_argument("--save", action="store_true", help="Lưu khi tệp hợp lệ")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Không tìm thấy tệp {path}.")
        try:
            actor = User.objects.get(username=options["user"])
            total = validators.parse_decimal(
                options["total"],
                max_digits=6,
                decimal_places=2,
                minimum=Decimal("0.01"),
                maximum=Decimal("9999.99"),
                label="Tổng điểm",
            )
        except User.DoesNotExist as exc:
            raise CommandError(f"Không có người dùng {options['user']}.") from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if total is None:
            raise CommandError("Tổng điểm không hợp lệ.")
        result, created = services.criteria_set_import(
            actor=actor,
            file=SimpleUploadedFile(path.name, path.read_bytes()),
            year=options["year"],
            target=options["target"],
            commit=options["save"],
            title=options["title"],
            total_points=total,
        )
        if result.errors:
            for line, message in result.errors:
                self.stderr.write(f"Dòng {line}: {message}" if line else message)
            raise CommandError("Tệp có lỗi; không có gì được lưu.")
        self.stdout.write(f"Tệp hợp lệ: {len(result.rows)} tiêu chí, tổng {result.total}.")
        if created is not None:
            self.stdout.write(f"Đã lưu bộ tiêu chí #{created.pk} (phiên bản {created.version}).")
