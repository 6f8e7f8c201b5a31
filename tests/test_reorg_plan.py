"""Reorganisation plans: reading, checking and applying (reorg.parsing, reorg.plan,
reorg.services) with the real 2025 plans of the former Phú Yên (reorg/plans/)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from agencies.lineage import name_on, province_on
from agencies.models import Agency, AgencyName, Province, Succession, User
from reorg.models import Plan
from reorg.parsing import read_plan_file
from reorg.preview import plan_preview
from reorg.services import plan_apply, plan_create, plan_discard, plan_from_file
from tests.factories import UserFactory, agency

PLANS = Path(settings.BASE_DIR) / "reorg" / "plans"
DEPARTMENTS = "2025-03-01-departments.csv"
COMMUNES = "2025-07-01-communes.csv"
PROVINCE = "2025-07-01-province.csv"
HEADER = (
    "change,from_codes,to_code,to_name,to_short_name,to_abbreviation,to_kind,to_level,"
    "default,effective_date,legal_basis\n"
)
BASIS = "QĐ thử"
STC = "STC,Sở Tài chính,Tài chính,STC,department,province,"


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (PLANS / name).read_bytes(), content_type="text/csv")


def csv_upload(*lines: str, name="plan.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (HEADER + "\n".join(lines) + "\n").encode(), "text/csv")


def apply_file(name: str, actor, **kwargs) -> Plan:
    return plan_apply(plan_from_file(actor=actor, upload=upload(name)), actor=actor, **kwargs)


def messages(exc: pytest.ExceptionInfo) -> list[str]:
    return exc.value.messages


@pytest.mark.parametrize("name,rows", [(DEPARTMENTS, 9), (COMMUNES, 34), (PROVINCE, 16)])
def test_the_three_plans_read_as_they_are(name, rows):
    plan_rows = read_plan_file(upload(name))
    assert len(plan_rows) == rows
    assert plan_rows[0].line == 2
    assert {r.effective_date for r in plan_rows} == {
        dt.date(2025, 3, 1) if name == DEPARTMENTS else dt.date(2025, 7, 1)
    }


def test_an_xlsx_plan_reads_like_its_csv():
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    import csv
    import io

    for row in csv.reader(io.StringIO((PLANS / DEPARTMENTS).read_text("utf-8"))):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = read_plan_file(SimpleUploadedFile("plan.xlsx", buffer.getvalue()))
    assert [r.as_dict() for r in xlsx] == [r.as_dict() for r in read_plan_file(upload(DEPARTMENTS))]


@pytest.mark.parametrize(
    "lines,expected",
    [
        (
            [f"merge,SKHDT;SXYZ,{STC},2025-03-01,{BASIS}"],
            "Dòng 2: không có cơ quan mã SXYZ.",
        ),
        (
            [
                f"merge,SKHDT;STC,{STC},2025-03-01,{BASIS}",
                f"abolish,SKHDT,SXD,Sở XD,XD,SXD,department,province,,2025-03-01,{BASIS}",
            ],
            "Dòng 3: SKHDT đã kết thúc ở dòng 2.",
        ),
        (
            [f"abolish,SNV,STP,Sở Tư pháp,Tư pháp,STP,department,province,,2025-03-01,{BASIS}"],
            "sau thay đổi không còn cơ quan chủ trì CCHC",
        ),
        (
            [f"merge,SKHDT,{STC},2025-13-01,{BASIS}"],
            "Dòng 2: ngày hiệu lực “2025-13-01” không đúng dạng YYYY-MM-DD.",
        ),
        (
            [
                f"split,TUYAN,XA,Ủy ban nhân dân xã A,A,UBND,commune,commune,,2025-07-01,{BASIS}",
                f"split,TUYAN,XB,Ủy ban nhân dân xã B,B,UBND,commune,commune,,2025-07-01,{BASIS}",
            ],
            "Dòng 2: chia tách TUYAN cần đúng một cơ quan nhận mặc định (default = yes).",
        ),
        (
            [f"new,,XMOI,Ủy ban nhân dân xã Mới,,UBND,commune,commune,,2025-07-01,{BASIS}"],
            "Dòng 2: cơ quan mới XMOI thiếu to_short_name.",
        ),
        (
            [f"fold,SKHDT,{STC},2025-03-01,{BASIS}"],
            "Dòng 2: loại thay đổi “fold” không hợp lệ",
        ),
    ],
)
def test_a_plan_with_errors_is_refused_by_line_and_changes_nothing(noivu, lines, expected):
    before = (Agency.objects.count(), Succession.objects.count(), Plan.objects.count())
    with pytest.raises(ValidationError) as exc:
        plan_from_file(actor=noivu, upload=csv_upload(*lines))
    assert any(expected in m for m in messages(exc)), messages(exc)
    assert (Agency.objects.count(), Succession.objects.count(), Plan.objects.count()) == before


def test_a_date_before_the_body_began_is_refused(noivu):
    Agency.objects.filter(code="SKHDT").update(valid_from=dt.date(2025, 6, 1))
    with pytest.raises(ValidationError) as exc:
        plan_from_file(
            actor=noivu,
            upload=csv_upload(f"merge,SKHDT,{STC},2025-03-01,{BASIS}"),
        )
    assert messages(exc) == [
        "Dòng 2: ngày hiệu lực 01/03/2025 không sau ngày SKHDT bắt đầu hoạt động (01/06/2025)."
    ]


def test_a_missing_column_names_line_one(noivu):
    bad = SimpleUploadedFile("p.csv", b"change,from_codes\nmerge,SKHDT\n")
    with pytest.raises(ValidationError) as exc:
        plan_from_file(actor=noivu, upload=bad)
    assert messages(exc)[0].startswith("Dòng 1: thiếu cột to_code")


def test_the_departments_plan_previews_then_applies_once(noivu, contrib_focal):
    officer_khdt = UserFactory(username="t_khdt", agency=agency("SKHDT"))
    plan = plan_from_file(actor=noivu, upload=upload(DEPARTMENTS))
    assert plan.status == Plan.Status.DRAFT and Agency.objects.filter(code="SNNMT").count() == 0
    preview = plan_preview(plan)
    assert preview.errors == []
    assert {row.to_code for row in preview.created} == {"SNNMT", "SDTTG"}
    ended = {e.agency.code: e for e in preview.ending}
    assert set(ended) == {"SKHDT", "SGTVT", "STNMT", "SNNPTNT", "STTTT", "SLDTBXH", "BDT", "SNGV"}
    assert ended["SKHDT"].default.code == "STC" and ended["SKHDT"].users == [officer_khdt]
    assert [a.code for a in ended["SLDTBXH"].successors] == ["SNV", "SYT", "SGDDT"]
    assert [(a.code, row.to_abbreviation) for a, row in preview.renamed] == [
        ("SGDDT", "SGDDT"),
        ("VPUBND", "VP"),
    ]
    assert not Agency.objects.filter(code="SNNMT").exists()  # the preview wrote nothing

    plan_apply(plan, actor=noivu)

    plan.refresh_from_db()
    assert plan.status == Plan.Status.APPLIED and plan.applied_by == noivu
    khdt = Agency.objects.get(code="SKHDT")
    assert khdt.valid_to == dt.date(2025, 2, 28) and khdt.name == "Sở Kế hoạch và Đầu tư"
    assert list(khdt.successors.values_list("code", flat=True)) == ["STC"]
    snnmt = Agency.objects.get(code="SNNMT")
    assert snnmt.valid_from == dt.date(2025, 3, 1)
    created = snnmt.history.earliest()
    assert created.history_user == noivu and created.history_change_reason.startswith("Theo ")
    assert set(Agency.objects.get(code="SNNMT").predecessors.values_list("code", flat=True)) == {
        "STNMT",
        "SNNPTNT",
    }
    officer_khdt.refresh_from_db()
    assert officer_khdt.agency.code == "STC"
    assert officer_khdt.history.first().history_change_reason.startswith("Chuyển giao theo Sắp xếp")
    office = Agency.objects.get(code="VPUBND")
    assert office.abbreviation == "VP"
    assert name_on(office, dt.date(2024, 12, 31)).abbreviation == "VPUBND"
    assert name_on(office, dt.date(2025, 3, 1)).abbreviation == "VP"
    assert Agency.objects.lead(on=dt.date(2025, 3, 1)).code == "SNV"
    split = Succession.objects.filter(predecessor__code="SLDTBXH")
    assert list(split.filter(is_default=True).values_list("successor__code", flat=True)) == ["SNV"]
    assert khdt.history.first().history_change_reason.startswith("Theo Sắp xếp sở")

    with pytest.raises(ValidationError) as exc:
        plan_apply(plan, actor=noivu)
    assert "đã được áp dụng" in messages(exc)[0]
    with pytest.raises(ValidationError) as exc:  # the same content uploaded again
        plan_from_file(actor=noivu, upload=upload(DEPARTMENTS))
    assert any("đã kết thúc" in m or "đã được áp dụng" in m for m in messages(exc))


def test_the_three_plans_in_order_leave_dak_lak_with_phu_yen_s_past(noivu):
    for name in (DEPARTMENTS, COMMUNES, PROVINCE):
        apply_file(name, noivu)
    assert Agency.objects.lead().code == "DL_SNV"
    assert Agency.objects.lead(on=dt.date(2024, 6, 1)).code == "SNV"
    assert Agency.objects.active(on=dt.date(2025, 8, 1)).filter(level="district").count() == 0
    assert Agency.objects.active(on=dt.date(2025, 8, 1)).filter(kind="commune").count() == 34
    assert province_on(dt.date(2024, 12, 31)).name == "tỉnh Phú Yên"
    assert province_on(dt.date(2025, 7, 1)).name == "tỉnh Đắk Lắk"
    assert province_on(dt.date(2025, 7, 1)).upper == "ĐẮK LẮK"
    assert Province.objects.count() == 2
    noivu.refresh_from_db()
    assert noivu.agency.code == "DL_SNV" and noivu.is_active
    tuyan = Agency.objects.get(code="TUYAN")
    assert tuyan.valid_to == dt.date(2025, 6, 30)
    assert [s.code for s in tuyan.successors.order_by("sort_order")][:1] == ["XTUYANBAC"]
    # BQLNNCNC and SNNMT both merge into the one new DL_SNNMT.
    assert set(Agency.objects.get(code="DL_SNNMT").predecessors.values_list("code", flat=True)) == {
        "SNNMT",
        "BQLNNCNC",
    }


def test_users_can_be_deactivated_instead_of_moved(noivu):
    officer = UserFactory(username="t_sgtvt", agency=agency("SGTVT"))
    apply_file(DEPARTMENTS, noivu, deactivate_users=True)
    officer.refresh_from_db()
    assert officer.agency.code == "SGTVT" and not officer.is_active


def test_a_draft_can_be_discarded_an_applied_plan_cannot(noivu):
    plan = plan_from_file(actor=noivu, upload=upload(DEPARTMENTS))
    plan_discard(plan, actor=noivu)
    assert not Plan.objects.exists()
    plan = apply_file(DEPARTMENTS, noivu)
    with pytest.raises(ValidationError):
        plan_discard(plan, actor=noivu)
    assert Plan.objects.filter(pk=plan.pk).exists()


def test_a_one_off_rename_keeps_the_code_and_the_old_name_for_the_past(noivu):
    from reorg.parsing import PlanRow

    row = PlanRow(
        line=1,
        change="rename",
        from_codes=["STP"],
        to_code="STP",
        to_name="Sở Tư pháp (tên mới)",
        to_short_name="Tư pháp",
        to_abbreviation="STP",
        to_kind="department",
        to_level="province",
        effective_date=dt.date(2026, 1, 1),
        legal_basis=BASIS,
    )
    plan = plan_create(actor=noivu, rows=[row], title="Đổi tên")
    plan_apply(plan, actor=noivu)
    stp = Agency.objects.get(code="STP")
    assert stp.valid_to is None and stp.name == "Sở Tư pháp (tên mới)"
    assert name_on(stp, dt.date(2025, 12, 31)).name == "Sở Tư pháp"
    assert AgencyName.objects.filter(agency=stp).count() == 1
    assert not User.objects.filter(agency__code="STP", is_active=False).exists()


def test_an_abolished_body_hands_over_and_a_new_body_starts_on_the_date(noivu):
    from coordination.models import Participation
    from tests.coordination_factories import make_task

    task = make_task(actor=noivu, contributors=("BQLKKT",))
    officer = UserFactory(username="t_bqlkkt", agency=agency("BQLKKT"))
    plan = plan_from_file(
        actor=noivu,
        upload=csv_upload(
            f"abolish,BQLKKT,SCT,Sở Công Thương,Công Thương,SCT,department,province,,"
            f"2026-01-01,{BASIS}",
            f"new,,TTPVHCC,Trung tâm Phục vụ hành chính công tỉnh,Trung tâm PVHCC,TTPVHCC,"
            f"other,province,,2026-01-01,{BASIS}",
        ),
    )
    preview = plan_preview(plan)
    assert [e.agency.code for e in preview.ending] == ["BQLKKT"]
    assert [line.key for line in preview.ending[0].lines if line.key.startswith("task:")] == [
        f"task:{task.pk}"
    ]
    assert [row.to_code for row in preview.created] == ["TTPVHCC"]
    plan_apply(plan, actor=noivu)
    assert Agency.objects.get(code="BQLKKT").valid_to == dt.date(2025, 12, 31)
    new = Agency.objects.get(code="TTPVHCC")
    assert (new.valid_from, new.kind, list(new.predecessors.all())) == (
        dt.date(2026, 1, 1),
        "other",
        [],
    )
    assert Participation.objects.get(task=task, agency__code="SCT").role == "contribute"
    officer.refresh_from_db()
    assert officer.agency.code == "SCT"
    assert Succession.objects.get(predecessor__code="BQLKKT").change == "abolish"


def test_a_file_too_large_is_refused_before_it_is_read(noivu):
    from reorg.parsing import MAX_BYTES

    big = SimpleUploadedFile("plan.csv", HEADER.encode() + b"x" * MAX_BYTES, "text/csv")
    with pytest.raises(ValidationError) as exc:
        plan_from_file(actor=noivu, upload=big)
    assert messages(exc) == ["Tệp “plan.csv” quá lớn; giới hạn là 2,0\xa0MB."]
    assert not Plan.objects.exists()


def test_a_pick_that_is_not_a_successor_of_the_split_is_refused_and_nothing_changes(noivu):
    from tests.coordination_factories import make_task

    task = make_task(actor=noivu, contributors=("SLDTBXH",))
    plan = plan_from_file(actor=noivu, upload=upload(DEPARTMENTS))
    with pytest.raises(ValidationError) as exc:
        plan_apply(plan, actor=noivu, choices={f"SLDTBXH/task:{task.pk}": "STC"})
    assert "không phải cơ quan kế thừa của Sở Lao động" in messages(exc)[0]
    with pytest.raises(ValidationError) as exc:
        plan_apply(plan, actor=noivu, choices={"SLDTBXH/task:999999": "SYT"})
    assert "không phải việc được chọn cơ quan nhận" in messages(exc)[0]
    plan.refresh_from_db()
    assert plan.status == Plan.Status.DRAFT
    assert Agency.objects.get(code="SLDTBXH").valid_to is None
    plan_apply(plan, actor=noivu, choices={f"SLDTBXH/task:{task.pk}": "SYT"})
    assert task.participations.filter(agency__code="SYT").exists()
