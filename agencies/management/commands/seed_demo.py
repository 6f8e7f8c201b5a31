"""Create the demo users and data. Idempotent: running it twice changes nothing more."""

from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import autodiscover_modules

from agencies import demo

DEFAULT_DEMO_PASSWORD = "PhuYen@CCHC2024"
# Each installed app that has demo data provides <app>/demo.py with
# seed(*, password, stdout); they run in INSTALLED_APPS order (agencies names none of them).


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
            for module in _app_demo_modules():
                module.seed(password=password, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Dữ liệu trình diễn đã sẵn sàng."))
        self.stdout.write(f"Mật khẩu của mọi tài khoản trình diễn: {password}")
        for username, label in users:
            self.stdout.write(f"  {username:<10} {label}")


def _app_demo_modules() -> list:
    """Every installed app's ``demo`` module but this one's (``agencies.demo`` runs first)."""
    from django.apps import apps

    autodiscover_modules("demo")
    names = [f"{config.name}.demo" for config in apps.get_app_configs()]
    return [sys.modules[n] for n in names if n in sys.modules and n != "agencies.demo"]
