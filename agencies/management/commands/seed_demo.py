"""Create the demo users and data. Idempotent: running it twice changes nothing more."""

from __future__ import annotations

import importlib
import os

from django.core.management.base import BaseCommand
from django.db import transaction

from agencies import demo

DEFAULT_DEMO_PASSWORD = "PhuYen@CCHC2024"
# Each app that has demo data provides <app>/demo.py with seed(*, password, stdout).
APP_SEEDERS = ["coordination.demo", "scoring.demo", "reports.demo"]


class Command(BaseCommand):
    help = (
        "Tạo dữ liệu trình diễn: tài khoản admin, noivu, lanhdao, hoidong, một cán bộ đầu mối "
        "cho mỗi cơ quan (tên đăng nhập là mã cơ quan viết thường, ví dụ stp, tuyhoa) và dữ "
        "liệu mẫu. Chạy lại nhiều lần an toàn. Mật khẩu lấy từ biến môi trường DEMO_PASSWORD."
    )

    def handle(self, *args, **options):
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        with transaction.atomic():
            users = demo.seed_users(password=password)
            for module_name in APP_SEEDERS:
                try:
                    module = importlib.import_module(module_name)
                except ModuleNotFoundError as exc:
                    if exc.name != module_name:
                        raise
                    continue
                module.seed(password=password, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Dữ liệu trình diễn đã sẵn sàng."))
        self.stdout.write(f"Mật khẩu của mọi tài khoản trình diễn: {password}")
        for username, label in users:
            self.stdout.write(f"  {username:<10} {label}")
