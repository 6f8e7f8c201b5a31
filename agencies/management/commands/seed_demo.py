"""Create the demo users and data. Idempotent: running it twice changes nothing more."""

from __future__ import annotations

import contextlib
import os
import sys

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import autodiscover_modules

from agencies import demo

DEFAULT_DEMO_PASSWORD = "PhuYen@CCHC2024"
# Each installed app that has demo data provides <app>/demo.py with
# seed(*, password, stdout); they run in INSTALLED_APPS order (agencies names none of them).
# A scenario ("--scenario 2025") is a demo module's seed_scenario_<name>(*, password, stdout),
# run after every seed (reorg/demo.py: the 2025 reorganisation).
SCENARIOS = ("2025",)


class Command(BaseCommand):
    help = (
        "Tạo dữ liệu trình diễn: tài khoản admin, noivu, lanhdao, hoidong, một cán bộ đầu mối "
        "cho mỗi cơ quan (tên đăng nhập là mã cơ quan viết thường, ví dụ stp, tuyhoa) và dữ "
        "liệu mẫu. Chạy lại nhiều lần an toàn. Mật khẩu lấy từ biến môi trường DEMO_PASSWORD."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scenario",
            choices=SCENARIOS,
            help=(
                "2025: sau dữ liệu trình diễn, áp dụng ba phương án sắp xếp năm 2025 "
                "(reorg/plans/) để Cổng đứng ở thời điểm sau sắp xếp."
            ),
        )

    def handle(self, *args, **options):
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        scenario = options.get("scenario")
        modules = _app_demo_modules()
        with transaction.atomic(), _history_clock(scenario, modules):
            users = demo.seed_users(password=password)
            for module in modules:
                module.seed(password=password, stdout=self.stdout)
        with transaction.atomic():
            if scenario:
                _run_scenario(scenario, modules, password=password, stdout=self.stdout)
                users = _at_bodies_now(demo.seed_users(password=password))
        self.stdout.write(self.style.SUCCESS("Dữ liệu trình diễn đã sẵn sàng."))
        self.stdout.write(f"Mật khẩu của mọi tài khoản trình diễn: {password}")
        for username, label in users:
            self.stdout.write(f"  {username:<10} {label}")


def _history_clock(scenario: str | None, modules: list):
    """A scenario may say on which day its history stands (``SCENARIO_HISTORY_AS_OF`` in
    its module, e.g. before a reorganisation): the demo's history is then built as on that
    day, the clock running on from it. Without one, as today."""
    as_of = None
    for module in modules if scenario else ():
        as_of = getattr(module, "SCENARIO_HISTORY_AS_OF", {}).get(scenario) or as_of
    if as_of is None:
        return contextlib.nullcontext()
    import time_machine

    return time_machine.travel(as_of, tick=True)


def _run_scenario(scenario: str, modules: list, *, password: str, stdout) -> None:
    """The scenario's step, then every app's seed again over the bodies as they now are
    (e.g. the new lead body's test certificate): what a second run would add, so one run
    leaves what two leave."""
    hook = f"seed_scenario_{scenario}"
    for module in modules:
        if hasattr(module, hook):
            getattr(module, hook)(password=password, stdout=stdout)
    for module in modules:
        module.seed(password=password, stdout=stdout)


def _at_bodies_now(users: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The logins labelled with the body each user is at now (after a scenario the people
    of an ended body sit at its successor; ``seed_users`` names their first body)."""
    from agencies.models import User

    now = dict(
        User.objects.filter(username__in=[u for u, _label in users]).values_list(
            "username", "agency__name"
        )
    )
    listing = []
    for username, label in users:
        body = now.get(username)
        if body and body not in label:
            label = f"{label.partition(' – ')[0]} – {body}"
        listing.append((username, label))
    return listing


def _app_demo_modules() -> list:
    """Every installed app's ``demo`` module but this one's (``agencies.demo`` runs first)."""
    from django.apps import apps

    autodiscover_modules("demo")
    names = [f"{config.name}.demo" for config in apps.get_app_configs()]
    return [sys.modules[n] for n in names if n in sys.modules and n != "agencies.demo"]
