"""Demo data for scoring. Idempotent: a second run finds the demo period and stops.

- The province's eight areas under Decision 2948/QĐ-BNV (2017), from data/ (areas only).
- An illustrative department set and district set built on the published sample rules
  (data/sample_department_rules.csv, part of area 1), completed with illustrative criteria
  and clearly labelled "minh họa".
- A 2023 period, published, every body finalised (illustrative figures), so the 2024
  results compare with last year.
- One 2024 period: the province's self-scoring as a coordination item (stp has entered
  area 2, which Sở Tư pháp answers for); stp submitted and partly appraised by hoidong;
  tuyhoa in draft; two bodies finalised so the ranking has rows. The windows are open
  around today so every step can be tried in the demo.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from agencies.demo import letter_pdf
from agencies.models import Agency, User
from scoring import services
from scoring.models import Assessment, CriteriaSet, ScoringPeriod, Target
from scoring.services import ScoreEntry

DATA = Path(__file__).resolve().parent / "data"
DEMO_YEAR = 2024
PERIOD_TITLE = "Chấm điểm Chỉ số CCHC năm 2024 của sở, ngành, địa phương (trình diễn)"
COLUMNS = [
    "code",
    "parent_code",
    "title",
    "max_points",
    "method",
    "options",
    "evidence_required",
    "responsible_agency",
    "applies_to",
    "computed_source",
]
AREA_BODIES = {
    "1": "SNV",
    "2": "STP",
    "3": "VPUBND",
    "4": "SNV",
    "5": "SNV",
    "6": "STC",
    "7": "STTTT",
    "8": "SNV",
}

# Illustrative criteria completing the published sample (area 1 of Cà Mau's 2013 set).
ILLUSTRATIVE = [
    (
        "1.3",
        "Tỷ lệ nhiệm vụ phối hợp CCHC hoàn thành đúng hạn (số liệu của Cổng)",
        "4",
        "computed",
        "",
        "",
        "tasks_on_time",
    ),
    (
        "1.4",
        "Báo cáo CCHC gửi đúng hạn (số liệu của Cổng)",
        "2",
        "computed",
        "",
        "",
        "reports_on_time",
    ),
    ("1.5", "Công tác kiểm tra CCHC", "4", "range", "", "có", ""),
    ("1.6", "Công tác tuyên truyền CCHC", "3", "range", "", "", ""),
    ("2", "Cải cách thể chế", "15", "", "", "", ""),
    (
        "2.1",
        "Ban hành văn bản quy phạm pháp luật thuộc thẩm quyền tham mưu",
        "5",
        "options",
        "Đúng tiến độ=5|Chậm tiến độ=2.5|Không ban hành=0",
        "có",
        "",
    ),
    ("2.2", "Rà soát, hệ thống hóa văn bản quy phạm pháp luật", "5", "range", "", "", ""),
    ("2.3", "Kiểm tra, xử lý văn bản sau kiểm tra", "5", "range", "", "", ""),
    ("3", "Cải cách thủ tục hành chính", "20", "", "", "", ""),
    ("3.1", "Công bố, công khai thủ tục hành chính", "6", "range", "", "có", ""),
    ("3.2", "Thực hiện cơ chế một cửa, một cửa liên thông", "8", "range", "", "có", ""),
    ("3.3", "Tỷ lệ hồ sơ giải quyết đúng hạn", "6", "range", "", "", ""),
    ("4", "Cải cách tổ chức bộ máy hành chính", "10", "", "", "", ""),
    ("4.1", "Thực hiện quy định về tổ chức bộ máy", "5", "range", "", "", ""),
    ("4.2", "Quản lý, sử dụng biên chế", "5", "range", "", "", ""),
    ("5", "Xây dựng và nâng cao chất lượng đội ngũ CBCCVC", "10", "", "", "", ""),
    ("5.1", "Thực hiện vị trí việc làm", "5", "range", "", "", ""),
    ("5.2", "Kỷ luật, kỷ cương hành chính", "5", "range", "", "", ""),
    ("6", "Cải cách tài chính công", "10", "", "", "", ""),
    ("6.1", "Thực hiện cơ chế tự chủ tài chính", "5", "range", "", "", ""),
    ("6.2", "Quản lý, sử dụng tài sản công", "5", "range", "", "", ""),
    ("7", "Xây dựng và phát triển chính quyền điện tử, chính quyền số", "10", "", "", "", ""),
    ("7.1", "Ứng dụng công nghệ thông tin trong hoạt động", "5", "range", "", "", ""),
    ("7.2", "Cung cấp dịch vụ công trực tuyến", "5", "range", "", "", ""),
    ("8", "Tác động của CCHC (điều tra xã hội học)", "5", "", "", "", ""),
    ("8.1", "Mức độ hài lòng của người dân, tổ chức", "5", "survey", "", "", ""),
]


def _csv(rows: list[dict]) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return SimpleUploadedFile("demo.csv", buffer.getvalue().encode("utf-8"))


def province_rows() -> list[dict]:
    with open(DATA / "province_2948_2017_areas.csv", encoding="utf-8") as handle:
        return [
            {
                "code": r["code"],
                "title": r["title"],
                "max_points": r["max_points"],
                "method": "range",
                "evidence_required": "có",
                "responsible_agency": AREA_BODIES.get(r["code"], ""),
            }
            for r in csv.DictReader(handle)
        ]


def illustrative_rows() -> list[dict]:
    with open(DATA / "sample_department_rules.csv", encoding="utf-8") as handle:
        rows = [
            {
                "code": r["code"],
                "parent_code": r["parent_code"],
                "title": r["title"],
                "max_points": r["max_points"],
                "options": r["options"],
                "method": "options" if r["options"] else "",
                "evidence_required": "có" if r["code"] == "1.1.1" else "",
            }
            for r in csv.DictReader(handle)
        ]
    for code, title, max_points, method, options, evidence, source in ILLUSTRATIVE:
        rows.append(
            {
                "code": code,
                "title": title,
                "max_points": max_points,
                "method": method,
                "options": options,
                "evidence_required": evidence,
                "computed_source": source,
            }
        )
    for row in rows:
        if "." not in row["code"]:
            row["responsible_agency"] = AREA_BODIES.get(row["code"], "")
    return rows


def _import(noivu, rows, target, title, *, illustrative, note) -> CriteriaSet:
    existing = CriteriaSet.objects.filter(year=DEMO_YEAR, target=target).first()
    if existing:
        return existing
    result, criteria_set = services.criteria_set_import(
        actor=noivu,
        file=_csv(rows),
        year=DEMO_YEAR,
        target=target,
        commit=True,
        title=title,
        is_illustrative=illustrative,
        source_note=note,
    )
    assert criteria_set is not None, result.errors
    return services.criteria_set_publish(actor=noivu, criteria_set=criteria_set)


COMMUNE_NOTE = (
    "Minh họa: chưa tìm thấy bộ tiêu chí Chỉ số CCHC cấp xã của Trung ương; dựng theo cấu "
    "trúc bộ tiêu chí UBND cấp huyện minh họa (8 lĩnh vực, tổng 100 điểm)."
)


def commune_set(noivu, year: int) -> CriteriaSet:
    """The illustrative commune-level set of ``year`` (data/commune_illustrative.csv),
    imported and published through the services; the existing one when already there.
    For the 2025 scenario, whose communes and wards are scored from 1/7/2025."""
    existing = CriteriaSet.objects.filter(year=year, target=Target.COMMUNE).first()
    if existing:
        return existing
    content = (DATA / "commune_illustrative.csv").read_bytes()
    result, criteria_set = services.criteria_set_import(
        actor=noivu,
        file=SimpleUploadedFile("commune_illustrative.csv", content),
        year=year,
        target=Target.COMMUNE,
        commit=True,
        title=f"Bộ tiêu chí UBND cấp xã năm {year} (minh họa)",
        is_illustrative=True,
        source_note=COMMUNE_NOTE,
    )
    assert criteria_set is not None, result.errors
    return services.criteria_set_publish(actor=noivu, criteria_set=criteria_set)


def _entries(assessment: Assessment, ratio: Decimal, *, evidence: bool) -> list[ScoreEntry]:
    entries = []
    for score in assessment.scores.select_related("criterion"):
        c = score.criterion
        if c.method == "survey":
            continue
        if c.method == "options":
            value = (
                max(c.option_points)
                if ratio >= Decimal("0.8")
                else sorted(c.option_points)[len(c.option_points) // 2]
            )
        else:
            value = (c.max_points * ratio).quantize(Decimal("0.25"))
        note = "Theo số liệu của cơ quan" if c.method == "computed" else ""
        if c.evidence_required and not evidence:
            note = "Tài liệu kiểm chứng lưu tại cơ quan, sẽ bổ sung khi giải trình."
        entries.append(ScoreEntry(c.pk, value, note))
    return entries


def _appraise_all(noivu, assessment, ratio):
    entries = []
    for score in assessment.scores.select_related("criterion"):
        value = score.self_score
        if score.criterion.method == "survey":
            value = (score.criterion.max_points * ratio).quantize(Decimal("0.25"))
        entries.append(
            ScoreEntry(
                score.criterion_id,
                value,
                "Kết quả điều tra" if score.criterion.method == "survey" else "",
            )
        )
    services.score_appraise(actor=noivu, assessment=assessment, entries=entries)
    services.assessment_appraisal_complete(actor=noivu, assessment=assessment)
    services.assessment_finalise(actor=noivu, assessment=assessment)


PREVIOUS_YEAR = DEMO_YEAR - 1
PREVIOUS_TITLE = (
    "Chấm điểm Chỉ số CCHC năm 2023 của sở, ngành, địa phương (trình diễn, số liệu minh họa)"
)
# The bodies ranked when the 2024 demo ranking is published (Sở Tài chính and Sông Cầu are
# finalised) and three more. Sở Tư pháp and Tuy Hòa, whose 2024 assessments are still open in
# the demo, have no 2023 assessment: their demo pages stay one assessment per body.
PREVIOUS_RATIOS = {
    "SNV": Decimal("0.78"),  # the province's own self-assessment (Sở Nội vụ's, not ranked)
    "STC": Decimal("0.8"),
    "SYT": Decimal("0.7"),
    "SKHCN": Decimal("0.75"),
    "SONGCAU": Decimal("0.8"),
    "DONGHOA": Decimal("0.6"),
}


def _previous_sets(noivu, sets: list[CriteriaSet]) -> dict[str, CriteriaSet]:
    """Last year's sets: copies of this year's illustrative ones, published."""
    result = {}
    for source in sets:
        existing = CriteriaSet.objects.filter(year=PREVIOUS_YEAR, target=source.target).first()
        if existing is None:
            existing = services.criteria_set_copy(actor=noivu, source=source, year=PREVIOUS_YEAR)
            existing = services.criteria_set_publish(actor=noivu, criteria_set=existing)
        result[source.target] = existing
    return result


def _previous_year(noivu, hoidong, sets: list[CriteriaSet], windows) -> None:
    """An earlier, published year (illustrative figures) so the results compare this year
    with last year. Played through the services with open windows, then its windows and
    publication date are moved back to the year it stands for."""
    if ScoringPeriod.objects.filter(title=PREVIOUS_TITLE).exists():
        return
    sets = _previous_sets(noivu, sets)
    period = services.period_create(
        actor=noivu,
        year=PREVIOUS_YEAR,
        title=PREVIOUS_TITLE,
        windows=windows,
        agencies=list(Agency.objects.filter(code__in=PREVIOUS_RATIOS).exclude(kind="lead")),
        department_set=sets[Target.DEPARTMENT],
        district_set=sets[Target.DISTRICT],
        council_chair=hoidong,
    )
    services.province_assessment_record(
        actor=noivu, period=period, province_set=sets[Target.PROVINCE]
    )
    for assessment in period.assessments.select_related("agency"):
        ratio = PREVIOUS_RATIOS[assessment.agency.code]
        focal = User.objects.get(username=assessment.agency.code.lower())
        entries = _entries(assessment, ratio, evidence=False)
        services.assessment_submit(actor=focal, assessment=assessment, entries=entries)
        _appraise_all(noivu, assessment, ratio)
    # Published (and its results issued, numbered and signed) on the day it would have been.
    period = services.period_publish(actor=noivu, period=period, when=PREVIOUS_PUBLISHED)
    _move_back(noivu, hoidong, period)


PREVIOUS_PUBLISHED = timezone.make_aware(dt.datetime(2024, 2, 20, 9, 0))
PREVIOUS_WINDOWS = {
    "self_from": dt.date(2023, 12, 1),
    "self_to": dt.date(2023, 12, 20),
    "appraisal_from": dt.date(2023, 12, 21),
    "appraisal_to": dt.date(2024, 1, 10),
    "explanation_from": dt.date(2024, 1, 11),
    "explanation_to": dt.date(2024, 1, 20),
    "second_from": dt.date(2024, 1, 21),
    "second_to": dt.date(2024, 1, 31),
    "appeal_from": dt.date(2024, 2, 1),
    "appeal_to": dt.date(2024, 2, 15),
}


def _move_back(noivu, hoidong, period: ScoringPeriod) -> None:
    """The 2023 period's windows and publication day as they would have been."""
    period = services.period_update(
        actor=noivu,
        period=period,
        title=PREVIOUS_TITLE,
        windows=PREVIOUS_WINDOWS,
        publication_date=dt.date(2024, 2, 20),
        bands=period.bands,
        council_chair=hoidong,
    )


def seed(*, password: str, stdout) -> None:
    """Seed the demo's scoring year (idempotent). Long because it is one linear script of
    the demo story — criteria, period, self-assessments, appraisal, finalisation — played
    through the services in order; split up, the story would be hard to follow."""
    if ScoringPeriod.objects.filter(title=PERIOD_TITLE).exists():
        return
    noivu = User.objects.get(username="noivu")
    hoidong = User.objects.get(username="hoidong")
    province_set = _import(
        noivu,
        province_rows(),
        Target.PROVINCE,
        "Chỉ số CCHC cấp tỉnh – 8 lĩnh vực (Quyết định 2948/QĐ-BNV)",
        illustrative=False,
        note="Quyết định 2948/QĐ-BNV năm 2017: 8 lĩnh vực, tổng 100 điểm (chỉ có cấp lĩnh vực).",
    )
    note = (
        "Minh họa, dựng trên mẫu tiêu chí đã công bố (Quyết định 1880/QĐ-UBND năm 2013 "
        "của UBND tỉnh Cà Mau, một phần lĩnh vực 1) và các tiêu chí minh họa bổ sung."
    )
    rows = illustrative_rows()
    department_set = _import(
        noivu,
        rows,
        Target.DEPARTMENT,
        "Bộ tiêu chí sở, ban, ngành năm 2024",
        illustrative=True,
        note=note,
    )
    district_set = _import(
        noivu,
        rows,
        Target.DISTRICT,
        "Bộ tiêu chí UBND cấp huyện năm 2024",
        illustrative=True,
        note=note,
    )
    today = timezone.localdate()

    def day(n: int) -> dt.date:
        return today + dt.timedelta(days=n)

    windows = {
        "self_from": day(-20),
        "self_to": day(20),
        "appraisal_from": day(-10),
        "appraisal_to": day(30),
        "explanation_from": day(-5),
        "explanation_to": day(35),
        "second_from": day(-5),
        "second_to": day(40),
        "appeal_from": day(-5),
        "appeal_to": day(45),
    }
    codes = ["STP", "STC", "SYT", "SKHCN", "TUYHOA", "SONGCAU", "DONGHOA"]
    period = services.period_create(
        actor=noivu,
        year=DEMO_YEAR,
        title=PERIOD_TITLE,
        windows=windows,
        agencies=list(Agency.objects.filter(code__in=codes)),
        department_set=department_set,
        district_set=district_set,
        province_set=province_set,
        publication_date=day(50),
        council_chair=hoidong,
    )
    by_code = {a.agency.code: a for a in period.assessments.select_related("agency")}
    for code, ratio in (
        ("STP", Decimal("0.9")),
        ("STC", Decimal("0.85")),
        ("SONGCAU", Decimal("0.75")),
        ("TUYHOA", Decimal("0.6")),
    ):
        focal = User.objects.get(username=code.lower())
        assessment = by_code[code]
        services.score_self_assess(
            actor=focal,
            assessment=assessment,
            entries=_entries(assessment, ratio, evidence=code == "STP"),
        )
        if code == "TUYHOA":
            continue
        if code == "STP":
            scores = list(assessment.scores.filter(criterion__evidence_required=True))
            services.evidence_add(
                actor=focal,
                assessment=assessment,
                upload=SimpleUploadedFile(
                    "ke-hoach-cchc-2024.pdf",
                    letter_pdf("Kế hoạch cải cách hành chính năm 2024"),
                    "application/pdf",
                ),
                score_ids=[s.pk for s in scores],
                document_number="15/KH-STP",
                document_date=dt.date(2024, 1, 10),
                section="Mục II, trang 3",
            )
        services.assessment_submit(actor=focal, assessment=assessment)
        if code != "STP":
            _appraise_all(noivu, assessment, ratio)
    stp = by_code["STP"]
    services.assignment_add(actor=noivu, period=period, user=hoidong, assessment=stp)
    first = stp.scores.select_related("criterion").filter(criterion__code="1.5").first()
    if first is not None:
        services.score_appraise(
            actor=hoidong,
            assessment=stp,
            entries=[
                ScoreEntry(
                    first.criterion_id,
                    first.self_score - Decimal("1"),
                    "Chưa có biên bản kiểm tra của 2 đơn vị trực thuộc.",
                )
            ],
        )
    province = period.assessments.get(criteria_set=province_set)
    area_2 = province.scores.get(criterion__code="2")
    services.score_self_assess(
        actor=User.objects.get(username="stp"),
        assessment=province,
        entries=[
            ScoreEntry(
                area_2.criterion_id,
                Decimal("8.5"),
                "Sở Tư pháp chấm lĩnh vực 2; văn bản QPPL ban hành đúng kế hoạch 17/19.",
            )
        ],
    )
    _previous_year(noivu, hoidong, [department_set, district_set, province_set], windows)
    stdout.write(
        "  Chấm điểm CCHC: bộ tiêu chí tỉnh (8 lĩnh vực), bộ minh họa sở/huyện, đợt 2024 "
        "và năm 2023 đã công bố."
    )
