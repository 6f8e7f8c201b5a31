"""Province-scale benchmark data: five years of a province, inserted in bulk."""

import os
import time

from django.core.management.base import BaseCommand, CommandError

from bench.scale_data import Plan, generate
from coordination.models import Task


class Command(BaseCommand):
    help = (
        "Tạo dữ liệu thử tải cấp tỉnh (mặc định 5 năm: 60 cơ quan, 600 người dùng, 20.000 "
        "nhiệm vụ, ~100.000 lượt tham gia, 40.000 nội dung phối hợp có lịch sử, 5 đợt chấm "
        "điểm, 20 kỳ báo cáo) vào một cơ sở dữ liệu trống. --scale 5 --bodies 150: tỉnh sau "
        "sáp nhập (100.000 nhiệm vụ, 150 cơ quan). Chỉ dùng cho đo hiệu năng."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=float, default=1.0, help="Hệ số độ sâu dữ liệu (0.1 = 2.000 nhiệm vụ)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Hạt giống ngẫu nhiên.")
        parser.add_argument("--bodies", type=int, default=60, help="Số cơ quan (mặc định 60).")
        parser.add_argument(
            "--users-per-body", type=int, default=10, help="Người dùng mỗi cơ quan (mặc định 10)."
        )
        parser.add_argument(
            "--criteria", type=int, default=100, help="Số tiêu chí mỗi bộ (mặc định 100)."
        )
        parser.add_argument(
            "--scored-bodies",
            type=int,
            default=30,
            help="Số cơ quan được chấm điểm mỗi đợt (mặc định 30).",
        )
        parser.add_argument(
            "--report-bodies",
            type=int,
            default=30,
            help="Số cơ quan báo cáo mỗi kỳ (mặc định 30).",
        )

    def handle(self, *args, **options):
        if Task.objects.exists():
            raise CommandError("Cơ sở dữ liệu đã có nhiệm vụ: hãy dùng một cơ sở dữ liệu trống.")
        if options["bodies"] < 4:
            raise CommandError("Cần ít nhất 4 cơ quan.")
        plan = Plan.scaled(
            options["scale"],
            bodies=options["bodies"],
            users_per_body=options["users_per_body"],
            criteria=options["criteria"],
            scored_bodies=options["scored_bodies"],
            report_bodies=options["report_bodies"],
        )
        started = time.perf_counter()
        password = os.environ.get("BENCH_PASSWORD", "Bench@CCHC2024")
        counts = generate(plan, seed=options["seed"], password=password, log=self.stdout.write)
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{k}={v}" for k, v in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Xong trong {elapsed:.1f} s: {summary}"))
