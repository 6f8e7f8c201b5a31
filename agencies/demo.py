"""Demo users: one per role plus one focal officer per body (username = code in lower case)."""

from __future__ import annotations

from agencies import history, roles
from agencies.models import Agency, User

DEMO_PEOPLE = [
    # username, agency code, full name, position, roles, superuser
    ("admin", "SNV", "Quản trị hệ thống", "Chuyên viên CNTT", [], True),
    ("noivu", "SNV", "Trần Thị Lan", "Chuyên viên Phòng CCHC", [roles.NOIVU_OFFICER], False),
    ("lanhdao", "VPUBND", "Nguyễn Văn Hùng", "Phó Chủ tịch UBND tỉnh", [roles.LEADERSHIP], False),
    (
        "hoidong",
        "SNV",
        "Lê Thị Thu",
        "Thành viên Hội đồng thẩm định Chỉ số CCHC",
        [roles.COUNCIL_MEMBER],
        False,
    ),
]

FOCAL_NAMES = {
    "STP": "Phạm Quang Minh",
    "STC": "Võ Thị Hạnh",
    "TUYHOA": "Huỳnh Văn Tâm",
    "SNV": "Đặng Thị Mai",
}


def _upsert(username, agency, full_name, position, role_names, superuser, password) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "agency": agency,
            "full_name": full_name,
            "position": position,
            "email": f"{username}@phuyen.gov.vn",
            "is_staff": superuser,
            "is_superuser": superuser,
        },
    )
    if created:
        user.set_password(password)
        history.save(user, "Tạo tài khoản trình diễn")
    user.groups.add(*[roles.role_group(r) for r in role_names])
    return user


def ensure_agencies() -> None:
    """The real bodies (normally loaded by migration 0002) exist, e.g. after a flush."""
    from agencies.data import ALL_AGENCIES

    for order, (code, name, short, abbr, kind, level, stats) in enumerate(ALL_AGENCIES, start=1):
        if not Agency.objects.filter(code=code).exists():
            Agency.objects.create(
                code=code,
                name=name,
                short_name=short,
                abbreviation=abbr,
                kind=kind,
                level=level,
                stats_code=stats,
                sort_order=order * 10,
            )


def seed_users(*, password: str) -> list[tuple[str, str]]:
    roles.ensure_roles()
    ensure_agencies()
    listing = []
    for username, code, full_name, position, role_names, superuser in DEMO_PEOPLE:
        agency = Agency.objects.get(code=code)
        _upsert(username, agency, full_name, position, role_names, superuser, password)
        label = "Quản trị viên" if superuser else str(roles.ROLE_LABELS[role_names[0]])
        listing.append((username, f"{label} – {agency.short_name}"))
    for agency in Agency.objects.active().order_by("sort_order"):
        username = agency.code.lower()
        _upsert(
            username,
            agency,
            FOCAL_NAMES.get(agency.code, f"Cán bộ đầu mối {agency.short_name}"),
            "Cán bộ đầu mối CCHC",
            [roles.FOCAL_OFFICER],
            False,
            password,
        )
        listing.append((username, f"Cán bộ đầu mối – {agency.name}"))
    return listing
