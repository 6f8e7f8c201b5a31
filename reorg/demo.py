"""The demo's 2025 scenario (``seed_demo --scenario 2025``, ``make demo-2025``): over the
default demo's history, the three plans of ``reorg/plans/`` are applied in order through
the same service an officer uses, as the demo's Nội vụ officer, so the portal stands in the
merged province today with the former one's past intact. The default demo (``make demo``)
is not touched: ``seed`` does nothing. Idempotent: an applied plan is not applied again."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max

from agencies import history, roles
from agencies.demo import focal_name
from agencies.models import Agency, User
from reorg import services
from reorg.models import Plan
from reorg.parsing import read_plan_file
from reorg.plan import digest
from reorg.preview import choice_key, plan_preview
from scoring import demo as scoring_demo
from scoring.models import ScoringPeriod

PLANS = Path(__file__).resolve().parent / "plans"
# Applied in this order (reorg/plans/README.md).
PLAN_FILES = (
    "2025-03-01-departments.csv",
    "2025-07-01-communes.csv",
    "2025-07-01-province.csv",
)
# What the officer picks in the preview for a split body's open items: the ending body's
# choosable coordination items go, in turn, to these successors instead of the default
# one (so the demo shows items of one district at different new wards).
COMMUNES = "2025-07-01-communes.csv"
# The scenario's history (items, report rounds, scoring) stands as on this day, before the
# first plan: 2024 is its last full year, so 2024's records name the bodies of 2024. Each
# plan is then applied as on its effective date (seed_demo's clock).
SCENARIO_HISTORY_AS_OF = {"2025": "2025-02-20 09:00:00 +07:00"}
SPLIT_CHOICES = {"TUYHOA": ("PBINHKIEN", "PPHUYEN")}
# Named focal officers of some new bodies (illustrative names); the others get a name from
# agencies.demo.focal_name, distinct from every demo person's.
FOCAL_NAMES = {
    "DL_SNNMT": "Lương Thị Ngọc Ánh",
    "PTUYHOA": "Hồ Văn Thành",
    "PBINHKIEN": "Cao Thị Mỹ Duyên",
}


def seed(*, password: str, stdout) -> None:
    """The default demo stands in the province as it was before 2025: nothing to seed."""


def seed_scenario_2025(*, password: str, stdout) -> None:
    """Apply the 2025 plans not applied yet, then give every body in being today a focal
    officer (user name: its code in lower case, as for the other bodies)."""
    noivu = User.objects.get(username="noivu")
    for name in PLAN_FILES:
        if name == COMMUNES:
            _communes_scored(noivu, stdout)
        _apply(name, noivu, stdout)
    created = _focal_officers(password)
    stdout.write(f"Kịch bản sắp xếp 2025: tạo mới {created} tài khoản đầu mối của cơ quan mới.")
    stdout.write(
        "Tài khoản của các cơ quan đã kết thúc (ví dụ snv, tuyan, tuyhoa) vẫn đăng nhập được, "
        "nay thuộc cơ quan kế thừa (noivu ở Sở Nội vụ mới)."
    )


def _communes_scored(noivu: User, stdout) -> None:
    """Before the districts end, the open scoring periods get the (illustrative) commune
    criteria set, as the officer would add it, so the new communes are scored in their own
    group from the handover on."""
    for period in ScoringPeriod.objects.filter(
        published_at__isnull=True, commune_set__isnull=True
    ).order_by("year"):
        period.commune_set = scoring_demo.commune_set(noivu, period.year)
        history.save(period, "Bổ sung bộ tiêu chí cấp xã (minh họa)", noivu)
        stdout.write(f"Đợt chấm điểm {period.title}: thêm bộ tiêu chí cấp xã (minh họa).")


def _upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (PLANS / name).read_bytes(), "text/csv")


def _apply(name: str, noivu: User, stdout) -> Plan | None:
    """Upload, preview and apply one plan as the officer would; skipped when applied."""
    key = digest(read_plan_file(_upload(name)))
    if Plan.objects.filter(digest=key, status=Plan.Status.APPLIED).exists():
        stdout.write(f"Phương án {name}: đã áp dụng, bỏ qua.")
        return None
    day = read_plan_file(_upload(name))[0].effective_date
    with time_machine.travel(_start_of_work(day), tick=True):
        plan = services.plan_from_file(actor=noivu, upload=_upload(name))
        plan = services.plan_apply(plan, actor=noivu, choices=_choices(plan))
    ended = len(plan.summary.get("ended", {}))
    created = len(plan.summary.get("created", []))
    stdout.write(f"Phương án {name}: đã áp dụng ({ended} cơ quan kết thúc, {created} cơ quan mới).")
    return plan


def _start_of_work(day: dt.date) -> dt.datetime:
    """8:00 on the plan's day, or a minute after the plan applied last when that is later
    (two plans take effect on 1/7/2025: the province's is applied after the communes')."""
    start = dt.datetime.combine(day, dt.time(8), tzinfo=dt.timezone(dt.timedelta(hours=7)))
    last = Plan.objects.filter(applied_at__isnull=False).aggregate(last=Max("applied_at"))["last"]
    return max(start, last + dt.timedelta(minutes=1)) if last else start


def _choices(plan: Plan) -> dict[str, str]:
    """The officer's picks in the preview (``SPLIT_CHOICES``): item key -> successor code."""
    choices: dict[str, str] = {}
    for body in plan_preview(plan).ending:
        targets = SPLIT_CHOICES.get(body.agency.code)
        if not targets:
            continue
        items = [line for line in body.lines if line.choosable and line.key.startswith("task:")]
        for line, code in zip(items, targets, strict=False):
            choices[choice_key(body.agency.code, line.key)] = code
    return choices


def _focal_officers(password: str) -> int:
    """A focal officer for every body in being today that has none (the bodies the plans
    created); moved users keep their accounts at the successor."""
    taken = set(User.objects.values_list("full_name", flat=True))
    group = roles.role_group(roles.FOCAL_OFFICER)
    names = (focal_name("", i) for i in itertools.count(len(taken)))
    created = 0
    for agency in Agency.objects.active().order_by("sort_order"):
        username = agency.code.lower()
        if User.objects.filter(username=username).exists():
            continue
        full_name = FOCAL_NAMES.get(agency.code) or next(n for n in names if n not in taken)
        taken.add(full_name)
        user = User(
            username=username,
            agency=agency,
            full_name=full_name,
            position="Cán bộ đầu mối CCHC",
            email=f"{username}@demo.invalid",
        )
        user.set_password(password)
        history.save(user, "Tạo tài khoản trình diễn")
        user.groups.add(group)
        created += 1
    return created
