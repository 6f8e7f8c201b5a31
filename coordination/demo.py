"""Demo coordination items: every category (the province's self-scoring item comes with the
scoring demo's period), Phú Yên's bodies in every role, some on time, some late, some
overdue, some with contributions and returned versions. Titles are distinct, none a
variant of another (tests/test_demo_like_production.py). Idempotent: an item whose title
exists is left alone."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from agencies import history
from agencies.demo import letter_pdf
from agencies.models import Agency, User
from coordination import services
from coordination.models import Task

BASIS = "Quyết định số 1242/QĐ-UBND ngày 14/9/2021 của UBND tỉnh Phú Yên"

# title, category, chair, tracker, contributors, due in days, scenario
ITEMS = [
    (
        "Góp ý dự thảo Quy chế phối hợp kiểm soát thủ tục hành chính trên địa bàn tỉnh",
        "plan",
        "STP",
        "SNV",
        ["STC", "TUYHOA"],
        12,
        "journey",
    ),
    (
        "Xây dựng Kế hoạch cải cách hành chính năm 2025 của tỉnh",
        "plan",
        "SNV",
        "VPUBND",
        ["STP", "STC", "STTTT", "SKHCN", "VPUBND"],
        -40,
        "done_on_time",
    ),
    (
        "Đề án nâng cao Chỉ số PAR INDEX và SIPAS tỉnh Phú Yên giai đoạn 2025–2030",
        "index_project",
        "SNV",
        "VPUBND",
        ["STP", "STC", "STTTT", "SKHDT", "STNMT"],
        25,
        "in_progress",
    ),
    (
        "Triển khai Hệ thống thông tin giải quyết thủ tục hành chính dùng chung của tỉnh",
        "digital_gov",
        "STTTT",
        "SNV",
        ["VPUBND", "TUYHOA", "SONGCAU", "DONGHOA"],
        -10,
        "overdue",
    ),
    (
        "Kiểm tra công tác cải cách hành chính năm 2025 tại các cơ quan, địa phương",
        "inspection",
        "SNV",
        "VPUBND",
        ["STP", "STC", "SKHCN", "SNNPTNT", "TUYAN"],
        5,
        "nominations",
    ),
    (
        "Nhân rộng mô hình Bộ phận Một cửa hiện đại của thành phố Tuy Hòa",
        "initiative",
        "TUYHOA",
        "SNV",
        ["SONGCAU", "DONGHOA", "TUYAN"],
        -25,
        "done_late",
    ),
    (
        "Báo cáo kết quả cải cách hành chính quý III năm 2025",
        "reporting",
        "VPUBND",
        "SNV",
        ["STP", "STC", "SYT", "TUYHOA", "SONHOA"],
        -3,
        "overdue",
    ),
    # The province's self-scoring item ("province_scoring") is not here: opening the demo's
    # scoring period makes it (scoring.services.periods), and a second one would be a
    # near-duplicate of it.
    (
        "Xây dựng Kế hoạch tuyên truyền cải cách hành chính năm 2026 của tỉnh",
        "plan",
        "SNV",
        "VPUBND",
        ["STP", "STC", "STTTT", "SKHCN"],
        3,
        "returned",
    ),
    (
        "Thẩm định kết quả tự chấm điểm Chỉ số CCHC năm 2024 của sở, ban, ngành và UBND cấp huyện",
        "agency_scoring",
        "SNV",
        "VPUBND",
        ["STP", "STC", "STTTT", "SKHCN"],
        40,
        "assigned",
    ),
    (
        "Lấy ý kiến dự thảo Kế hoạch số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
        "digital_gov",
        "STTTT",
        "SNV",
        ["STP", "SXD", "SYT", "PHUHOA"],
        -2,
        "silence",
    ),
]


def _user(code: str) -> User:
    return User.objects.get(username=code.lower())


def _age(task: Task, days: int) -> None:
    """Move a demo item's deadline into the past (recorded in its history)."""
    today = timezone.localdate()
    task.refresh_from_db()
    task.due_date = today + dt.timedelta(days=days)
    task.version += 1
    history.save(task, "Dữ liệu trình diễn: lùi hạn xử lý", task.created_by)
    for part in task.participations.exclude(due_date=None):
        part.due_date = task.due_date
        history.save(part, "Dữ liệu trình diễn: lùi hạn", task.created_by)


def _contribute(task, code, text, *, submit=True, form="comment", nominations=None, files=()):
    return services.contribution_save(
        actor=_user(code),
        task=task,
        form=form,
        body=text,
        nominations=nominations,
        files=files,
        submit=submit,
    )


def _scenario(task: Task, scenario: str, contributors: list[str], noivu: User) -> None:
    """Play one demo scenario through the services; a linear script, long by nature."""
    chair = task.chair_agency.code
    tracker = _user(task.tracking_agency.code)
    if scenario == "journey":
        _contribute(
            task,
            "STC",
            "Sở Tài chính thống nhất với dự thảo; đề nghị bổ sung quy định về kinh phí thực hiện.",
            files=[
                SimpleUploadedFile(
                    "cong-van-gop-y-STC.pdf",
                    letter_pdf("Sở Tài chính góp ý dự thảo"),
                    "application/pdf",
                )
            ],
        )
        services.participation_review(
            actor=_user(chair),
            participation=task.participations.get(agency__code="STC"),
            accept=False,
            reason="Đề nghị nêu rõ điều, khoản cần sửa đổi.",
        )
        _contribute(
            task,
            "STC",
            "Sở Tài chính đề nghị bổ sung khoản 3 Điều 8 về nguồn kinh phí bảo đảm thực hiện.",
        )
        return
    if scenario in {"done_on_time", "done_late", "returned"}:
        for code in contributors:
            _contribute(task, code, f"Ý kiến của {Agency.objects.get(code=code).name}: thống nhất.")
        for part in task.participations.filter(role="contribute", status="submitted"):
            services.participation_review(actor=_user(chair), participation=part, accept=True)
        _contribute(
            task, chair, "Cơ quan chủ trì đã tổng hợp ý kiến và hoàn thiện dự thảo.", form="report"
        )
        if scenario == "returned":
            services.task_review(
                actor=tracker,
                task=task,
                accept=False,
                reason="Dự thảo chưa phân công cơ quan chủ trì cho từng nội dung tuyên truyền.",
            )
        else:
            services.task_review(actor=tracker, task=task, accept=True)
        return
    if scenario == "in_progress":
        _contribute(
            task,
            contributors[0],
            "Đề nghị bổ sung giải pháp nâng cao chất lượng dịch vụ công trực tuyến.",
        )
        _contribute(task, contributors[1], "Dự thảo góp ý đang hoàn thiện.", submit=False)
        return
    if scenario == "nominations":
        _contribute(
            task,
            "STP",
            "Sở Tư pháp cử cán bộ tham gia Đoàn kiểm tra.",
            form="nomination",
            nominations=[
                {
                    "full_name": "Nguyễn Thị Bích",
                    "position": "Phó Trưởng phòng",
                    "agency_name": "Sở Tư pháp",
                    "team": "inspection_team",
                },
                {
                    "full_name": "Lê Văn Phúc",
                    "position": "Chuyên viên",
                    "agency_name": "Sở Tư pháp",
                    "team": "inspection_team",
                },
            ],
        )
        return
    if scenario == "overdue":
        _contribute(task, contributors[0], "Đã triển khai tại Bộ phận Một cửa; đang chờ kết nối.")
        return


def seed(*, password: str, stdout) -> None:
    noivu = User.objects.get(username="noivu")
    today = timezone.localdate()
    created = 0
    for title, category, chair, tracker, contributors, due_in, scenario in ITEMS:
        if Task.objects.filter(title=title).exists():
            continue
        contributor_agencies = [Agency.objects.get(code=c) for c in contributors if c != tracker]
        early = today + dt.timedelta(days=max(due_in, 10) + 20 - 5)
        task = services.task_create(
            actor=noivu,
            title=title,
            category=category,
            legal_basis=BASIS,
            description="Thực hiện theo Quy chế phối hợp ban hành kèm theo " + BASIS + ".",
            due_date=today + dt.timedelta(days=max(due_in, 10) + 20),
            silence_means_agreement=scenario == "silence",
            recurrence="quarterly" if category == "reporting" else "",
            spec=services.ParticipantSpec(
                chair=Agency.objects.get(code=chair),
                tracker=Agency.objects.get(code=tracker),
                contributors=contributor_agencies,
                contributor_due_dates={a.pk: early for a in contributor_agencies},
            ),
        )
        if scenario != "draft":
            task = services.task_assign(actor=noivu, task=task)
        if due_in < 0 and scenario not in {"done_late"}:
            _age(task, due_in)
        if scenario == "done_late":
            _age(task, due_in)
        _scenario(task, scenario, [c for c in contributors if c != tracker], noivu)
        if due_in >= 0:
            task.refresh_from_db()
            if task.due_date != today + dt.timedelta(days=due_in) and not task.is_closed:
                _age(task, due_in)
        created += 1
    if created:
        services.task_apply_silence(task=Task.objects.get(title=ITEMS[-1][0]), today=today)
    stdout.write(f"Nhiệm vụ phối hợp mẫu: tạo mới {created}.")
