"""Demo reporting data: the 2024 periodic schedule, with the Q1 round mostly reported
(some late, one returned, a few missing), and this year's schedule as production would have
it today: rounds whose deadline has passed reported by most bodies, the round open now
reported by some. Figures are illustrative and marked so. Idempotent: each year's rounds
are made once."""

from __future__ import annotations

import datetime as dt
import zlib

from django.utils import timezone

from agencies import history
from agencies.models import Agency, User
from reports import services
from reports.models import AgencyReport, ReportRound

YEAR = 2024
MISSING = {"SNGV", "BDT", "SONGHINH"}
LATE = {"SXD", "SGTVT", "TUYAN", "SONHOA"}
RETURNED = "TAYHOA"

TEXTS = {
    "direction": "Ban hành Kế hoạch cải cách hành chính năm {y}; tổ chức quán triệt đến toàn thể "
    "cán bộ, công chức; kiện toàn bộ phận đầu mối CCHC của {name}.",
    "institutions": "Rà soát các văn bản quy phạm pháp luật thuộc lĩnh vực quản lý; đề xuất sửa "
    "đổi những quy định không còn phù hợp.",
    "procedures": "Công khai đầy đủ thủ tục hành chính trên Cổng dịch vụ công; tiếp nhận và giải "
    "quyết hồ sơ đúng quy trình tại Bộ phận Một cửa.",
    "apparatus": "Thực hiện sắp xếp tổ chức bộ máy theo quy định; không phát sinh đầu mối mới.",
    "civil_service": "Thực hiện đánh giá, xếp loại công chức hằng quý; siết chặt kỷ luật, kỷ "
    "cương hành chính.",
    "public_finance": "Thực hiện cơ chế tự chủ tài chính; công khai dự toán ngân sách theo "
    "quy định.",
    "digital_gov": "Duy trì hệ thống quản lý văn bản và điều hành; tăng tỷ lệ hồ sơ trực tuyến.",
    "limitations": "Tỷ lệ hồ sơ nộp trực tuyến toàn trình còn thấp; một số hồ sơ giải quyết trễ "
    "hạn do phải lấy ý kiến nhiều cơ quan.",
    "proposals": "Đề nghị Sở Nội vụ tiếp tục tổ chức tập huấn nghiệp vụ cải cách hành chính.",
}


def _values(code: str) -> dict[str, int]:
    h = zlib.crc32(code.encode())
    received = 300 + (h % 40) * 25
    late = h % 9
    on_time = received - late - (h % 5)
    return {
        "documents_issued": 2 + h % 6,
        "inspections": h % 4,
        "tthc_received": received,
        "tthc_on_time": on_time,
        "tthc_late": late,
        "online_received": received * (45 + h % 40) // 100,
        "online_services": 20 + h % 60,
    }


def _sections(agency: Agency) -> dict[str, str]:
    return {code: text.format(y=YEAR, name=agency.name) for code, text in TEXTS.items()}


def _at(day: int, month: int = 3) -> dt.datetime:
    return timezone.make_aware(dt.datetime(YEAR, month, day, 9, 30))


def _submit(report: AgencyReport, focal: User, when: dt.datetime, values=None) -> None:
    services.report_save(
        actor=focal,
        report=report,
        sections=_sections(report.agency),
        indicators=values or _values(report.agency.code),
        submit=True,
        when=when,
    )


def seed(*, password: str, stdout) -> None:
    _current_year(stdout)
    if ReportRound.objects.filter(year=YEAR).exists():
        stdout.write("Kỳ báo cáo mẫu: đã có, bỏ qua.")
        return
    noivu = User.objects.get(username="noivu")
    rounds = services.rounds_create_for_year(actor=noivu, year=YEAR)
    for rnd in rounds:
        rnd.illustrative = True
        history.save(rnd, "Dữ liệu trình diễn: số liệu minh họa", None)  # system actor
    q1 = ReportRound.objects.get(year=YEAR, period=ReportRound.Period.Q1)
    focal = {
        u.agency.code: u
        for u in User.objects.filter(
            username__in=[c.lower() for c in q1.required_agencies.values_list("code", flat=True)]
        ).select_related("agency")
    }
    reports = q1.reports.select_related("agency").order_by("agency__sort_order")
    for i, report in enumerate(reports):
        code = report.agency.code
        if code in MISSING or code not in focal:
            continue
        day = 12 + i % 2 if code in LATE else 4 + i % 6
        if code == RETURNED:
            bad = _values(code) | {"tthc_received": 1000, "tthc_on_time": 900, "tthc_late": 100}
            _submit(report, focal[code], _at(day), bad)
            services.report_return(
                actor=noivu,
                report=report,
                reason="Số hồ sơ giải quyết đúng hạn và quá hạn chưa khớp với số liệu trên Hệ "
                "thống thông tin giải quyết TTHC của tỉnh; đề nghị rà soát, gửi lại.",
            )
            continue
        _submit(report, focal[code], _at(day))
        if i % 3 != 0:
            services.report_accept(actor=noivu, report=report, when=_at(day + 2))
    services.consolidated_get_or_create(actor=noivu, rnd=q1)
    stdout.write(f"Kỳ báo cáo mẫu năm {YEAR}: tạo mới {len(rounds)} kỳ.")


def _focal_officers() -> dict[str, User]:
    return {
        u.agency.code: u
        for u in User.objects.filter(agency__isnull=False).select_related("agency")
        if u.username == u.agency.code.lower()
    }


def _current_year(stdout) -> None:
    """This year's periodic rounds (illustrative): a passed deadline was met by all but
    the ``MISSING`` bodies; the round open now has reports from a third of the bodies.
    Rounds not yet begun are left empty."""
    today = timezone.localdate()
    year = today.year
    if year == YEAR or ReportRound.objects.filter(year=year).exists():
        return
    noivu = User.objects.get(username="noivu")
    rounds = services.rounds_create_for_year(actor=noivu, year=year)
    focal = _focal_officers()
    for rnd in rounds:
        rnd.illustrative = True
        history.save(rnd, "Dữ liệu trình diễn: số liệu minh họa", None)  # system actor
        if rnd.period_start > today:
            continue
        passed = rnd.deadline < today
        reports = rnd.reports.select_related("agency").order_by("agency__sort_order")
        for i, report in enumerate(reports):
            code = report.agency.code
            if code in MISSING or code not in focal or (not passed and i % 3):
                continue
            sent = min(rnd.deadline - dt.timedelta(days=2 + i % 5), today)
            when = timezone.make_aware(dt.datetime.combine(sent, dt.time(9, 30)))
            services.report_save(
                actor=focal[code],
                report=report,
                sections={c: t.format(y=year, name=report.agency.name) for c, t in TEXTS.items()},
                indicators=_values(code),
                submit=True,
                when=when,
            )
            if passed:
                services.report_accept(actor=noivu, report=report, when=when)
    stdout.write(f"Kỳ báo cáo mẫu năm {year}: tạo mới {len(rounds)} kỳ.")
