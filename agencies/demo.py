"""Demo users: one per role plus one focal officer per body (username = code in lower case)."""

from __future__ import annotations

from django.utils.html import escape

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
    # The deputy director who signs Sở Nội vụ's documents (agencies.people.director_of); the
    # name is illustrative, like the demo's signature image and certificate.
    ("pgdsnv", "SNV", "Võ Minh Khánh", "Phó Giám đốc Sở Nội vụ", [roles.AGENCY_STAFF], False),
]

FOCAL_NAMES = {
    "STP": "Phạm Quang Minh",
    "STC": "Võ Thị Hạnh",
    "TUYHOA": "Huỳnh Văn Tâm",
    "SNV": "Đặng Thị Mai",
}
# The other bodies' focal officers get a person's name too (never "Cán bộ đầu mối <body>",
# which pages would show beside the position "Cán bộ đầu mối CCHC"): family, middle and
# given names combined in turn, so no two demo people share a name.
FAMILY_NAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Bùi", "Đỗ", "Ngô", "Dương"]
MIDDLE_NAMES = ["Văn", "Thị", "Minh", "Thanh", "Hữu", "Ngọc"]
GIVEN_NAMES = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Giang",
    "Hòa",
    "Khánh",
    "Linh",
    "Nam",
    "Phương",
    "Quân",
    "Sơn",
    "Thảo",
    "Trung",
    "Uyên",
    "Vinh",
    "Xuân",
    "Yến",
    "Đức",
    "Hiền",
    "Kiên",
    "Lộc",
    "Nhung",
    "Oanh",
    "Phúc",
    "Quyên",
    "Tùng",
    "Vy",
    "Hải",
    "Trâm",
]


def focal_name(code: str, index: int) -> str:
    """The demo name of a body's focal officer (``index``: the body's place in the list)."""
    if code in FOCAL_NAMES:
        return FOCAL_NAMES[code]
    return " ".join(
        (
            FAMILY_NAMES[index % len(FAMILY_NAMES)],
            MIDDLE_NAMES[index % len(MIDDLE_NAMES)],
            GIVEN_NAMES[index % len(GIVEN_NAMES)],
        )
    )


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


def letter_pdf(title: str) -> bytes:
    """A one-page PDF standing for a body's letter in the demo (a real, readable PDF, so the
    check of its signatures finds it unsigned rather than broken), labelled illustrative."""
    from weasyprint import HTML

    html = (
        f"<h1 style='font-size:14pt'>{escape(title)}</h1>"
        "<p>Văn bản minh họa của dữ liệu trình diễn.</p>"
    )
    return HTML(string=html).write_pdf()


def seed_users(*, password: str) -> list[tuple[str, str]]:
    roles.ensure_roles()
    ensure_agencies()
    listing = []
    for username, code, full_name, position, role_names, superuser in DEMO_PEOPLE:
        agency = Agency.objects.get(code=code)
        _upsert(username, agency, full_name, position, role_names, superuser, password)
        label = "Quản trị viên" if superuser else str(roles.ROLE_LABELS[role_names[0]])
        # "Cán bộ CCHC Sở Nội vụ", not "Cán bộ CCHC Sở Nội vụ – Nội vụ".
        listing.append((username, label if agency.name in label else f"{label} – {agency.name}"))
    for index, agency in enumerate(Agency.objects.active().order_by("sort_order")):
        username = agency.code.lower()
        _upsert(
            username,
            agency,
            focal_name(agency.code, index),
            "Cán bộ đầu mối CCHC",
            [roles.FOCAL_OFFICER],
            False,
            password,
        )
        listing.append((username, f"Cán bộ đầu mối – {agency.name}"))
    return listing
