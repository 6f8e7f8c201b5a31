"""Every role's day, driven in real Chromium through the pages people use (JOURNEYS.md)."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import expect

from agencies.models import Agency
from coordination.models import Participation, Task
from scoring.models import Assessment, Score

from .conftest import DEMO_PASSWORD
from .helpers import assert_accessible, login

TITLE = "Kế hoạch kiểm tra CCHC năm 2025 (kiểm thử trình duyệt)"


def _pk(code: str) -> str:
    return str(Agency.objects.get(code=code).pk)


def _file(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4\n% " + text.encode() + b"\n")
    return str(path)


def test_demo_roles_sign_in_through_the_login_form(demo, new_page):
    for username in ("admin", "noivu", "lanhdao", "hoidong", "stp", "stc", "tuyhoa", "syt"):
        page = new_page()
        login(page, username)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.url.rstrip("/").endswith(page.url.split("/")[2])  # landed on home


def test_wrong_password_is_refused_in_vietnamese(demo, new_page):
    page = new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill("noivu")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_contain_text("không đúng")


def test_item_from_creation_to_acceptance(demo, new_page, tmp_path):
    # Nội vụ creates the item with a chair, two coordinating bodies and a file, and assigns it.
    lan = new_page()
    login(lan, "noivu")
    lan.goto("/tasks/new/")
    lan.get_by_label("Tên nhiệm vụ").fill(TITLE)
    lan.get_by_label("Cơ quan chủ trì").select_option(_pk("STP"))
    picker = lan.locator("[data-picker]")
    picker.get_by_label("Sở Tài chính").check()
    picker.get_by_label("Ủy ban nhân dân thành phố Tuy Hòa").check()
    due = timezone.localdate() + dt.timedelta(days=30)
    lan.get_by_label("Hạn xử lý").fill(due.isoformat())
    lan.get_by_label("Tệp đính kèm").set_input_files(_file(tmp_path, "ke-hoach.pdf", "plan"))
    lan.get_by_role("button", name="Tạo nhiệm vụ").click()
    expect(lan.get_by_role("heading", level=1)).to_have_text(TITLE)
    task = Task.objects.get(title=TITLE)
    lan.get_by_role("button", name="Giao nhiệm vụ").click()
    lan.get_by_role("dialog").get_by_role("button", name="Giao nhiệm vụ").click()  # confirm
    expect(lan.locator(".alert--success")).to_contain_text("Đã giao nhiệm vụ")
    expect(lan.get_by_text("ke-hoach.pdf")).to_be_visible()
    task.refresh_from_db()
    assert task.status != Task.Status.DRAFT
    url = f"/tasks/{task.pk}/"

    # Sở Tài chính contributes its comments with a signed letter.
    stc = new_page()
    login(stc, "stc")
    stc.goto(url)
    stc.get_by_role("link", name="Gửi ý kiến, báo cáo, cử cán bộ").click()
    stc.get_by_label("Nội dung").fill("Sở Tài chính thống nhất dự thảo kế hoạch.")
    stc.get_by_label("Văn bản, tệp đính kèm").set_input_files(
        _file(tmp_path, "cong-van-stc.pdf", "stc")
    )
    stc.get_by_role("button", name="Gửi chính thức").click()
    stc.get_by_role("dialog").get_by_role("button", name="Gửi chính thức").click()
    expect(stc.locator(".alert--success")).to_contain_text("Đã gửi.")
    expect(stc.get_by_text("cong-van-stc.pdf")).to_be_visible()
    assert Participation.objects.get(task=task, agency__code="STC").status == "submitted"

    # The chair (Sở Tư pháp) sees the contribution and consolidates.
    stp = new_page()
    login(stp, "stp")
    stp.goto(url)
    expect(stp.get_by_text("Sở Tài chính thống nhất dự thảo kế hoạch.")).to_be_visible()
    stp.get_by_role("link", name="Tổng hợp, gửi kết quả").click()
    stp.get_by_label("Nội dung").fill("Dự thảo kế hoạch đã tổng hợp ý kiến các cơ quan.")
    stp.get_by_role("button", name="Gửi kết quả tổng hợp").click()
    stp.get_by_role("dialog").get_by_role("button", name="Gửi kết quả tổng hợp").click()
    expect(stp.locator(".alert--success")).to_contain_text("Đã gửi.")
    expect(stp.get_by_text("Dự thảo kế hoạch đã tổng hợp ý kiến các cơ quan.")).to_be_visible()

    # Nội vụ accepts: the item is done.
    lan.goto(url)
    lan.get_by_role("button", name="Chấp nhận, hoàn thành nhiệm vụ").click()
    lan.get_by_role("dialog").get_by_role("button", name="Chấp nhận, hoàn thành").click()
    expect(lan.locator(".alert--success")).to_contain_text("Đã chấp nhận kết quả")
    task.refresh_from_db()
    assert task.status == Task.Status.DONE
    expect(lan.locator(".badge--done").first).to_be_visible()

    # A body with no part in the item gets the not-found page, not the item.
    syt = new_page()
    login(syt, "syt")
    response = syt.goto(url)
    assert response.status == 404
    expect(syt.get_by_role("heading", level=1)).not_to_have_text(TITLE)
    assert TITLE not in syt.content()


def test_keyboard_only_sign_in_and_contribution(demo, new_page):
    """Tab and Enter are enough: skip link, login form, opening an item from the list."""
    page = new_page()
    page.goto("/accounts/login/")
    skip = page.locator(".skip-link")
    skip.focus()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))  # waits: the jump is not instant under load
    page.get_by_label("Tên đăng nhập").focus()
    page.keyboard.type("stp")
    page.keyboard.press("Tab")
    page.keyboard.type("PhuYen@CCHC2024")
    page.keyboard.press("Enter")
    expect(page.locator(".userbox")).to_be_visible()
    page.goto("/tasks/")
    first = page.locator("table a[href^='/tasks/']").first
    first.focus()
    title = first.inner_text()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def test_self_assessment_with_evidence_and_appraisal(demo, new_page, tmp_path):
    # Tuy Hòa's focal officer completes the draft self-assessment, attaches evidence, submits.
    assessment = Assessment.objects.get(agency__code="TUYHOA", criteria_set__target="district")
    page = new_page()
    login(page, "tuyhoa")
    page.goto("/scoring/")
    page.locator(f"a[href='/scoring/assessments/{assessment.pk}/']").first.click()
    first_score = page.locator("input[name^='score_']").first
    first_score.fill("1")
    page.get_by_role("button", name="Lưu nháp", exact=True).click()
    expect(page.locator(".alert").first).to_be_visible()
    page.get_by_label("Tệp tài liệu").set_input_files(_file(tmp_path, "bao-cao.pdf", "ev"))
    page.get_by_label("Số, ký hiệu văn bản").fill("20/BC-UBND")
    scores = page.get_by_label("Tài liệu chứng minh cho tiêu chí")
    scores.select_option(index=0)
    page.get_by_role("button", name="Đính kèm").click()
    expect(page.get_by_role("link", name="bao-cao.pdf").first).to_be_visible()
    # Evidence-required criteria without a document need an explanation before submitting.
    for note in page.locator("textarea[name^='note_']").all():
        if not note.input_value():
            note.fill("Đã có văn bản, bổ sung sau.")
    page.get_by_role("button", name="Lưu nháp", exact=True).click()
    page.get_by_role("button", name="Gửi bản tự đánh giá").click()
    page.get_by_role("dialog").get_by_role("button", name="Gửi bản tự đánh giá").click()
    expect(page.get_by_text("Đã gửi bản tự đánh giá; bản này đã bị khóa.")).to_be_visible()
    assessment.refresh_from_db()
    assert assessment.status != "draft", page.locator(".alert").all_inner_texts()

    # The council member appraises Sở Tư pháp's assessment she is assigned to.
    stp = Assessment.objects.get(agency__code="STP", criteria_set__target="department")
    council = new_page()
    login(council, "hoidong")
    council.goto(f"/scoring/assessments/{stp.pk}/appraise/")
    assert_accessible(council)
    box = council.locator("input[name^='score_']").first
    criterion_id = int(box.get_attribute("name").removeprefix("score_"))
    box.fill("0.5")
    council.locator(f"textarea[name='note_{criterion_id}']").fill("Thiếu biên bản kiểm tra.")
    council.get_by_role("button", name="Lưu điểm thẩm định").click()
    score = Score.objects.get(assessment=stp, criterion_id=criterion_id)
    assert score.appraised_score == 0.5 or str(score.appraised_score) in {"0.5", "0.50"}


def test_leadership_downloads_every_pdf(demo, new_page):
    page = new_page()
    login(page, "lanhdao")
    page.goto("/reports/")
    links = page.locator("a[href*='.pdf']")
    seen: dict[str, str] = {}
    for i in range(links.count()):
        href = links.nth(i).get_attribute("href")
        kind = re.sub(r"\d+", "N", href.split("?")[0])
        seen.setdefault(kind, href)
    assert len(seen) >= 3, seen
    for href in seen.values():
        page.goto("/reports/")
        link = page.locator(f"a[href='{href}']").first
        with page.expect_download() as info:
            # A stored or small document downloads at once; one built by a job opens its
            # status page, which starts the download when it is ready (tests/e2e/
            # test_documents.py follows that page while a worker builds it).
            link.click()
        download = info.value
        with open(download.path(), "rb") as fh:
            assert fh.read(5) == b"%PDF-", href
        assert download.suggested_filename.endswith(".pdf")


def test_officer_signs_in_with_the_second_factor(demo, new_page, settings):
    """With two-factor enforcement on, an officer reaches nothing before the TOTP code."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from agencies.models import User

    settings.MFA_REQUIRED = True
    device = TOTPDevice.objects.create(
        user=User.objects.get(username="noivu"), name="Điện thoại", confirmed=True
    )
    page = new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill("noivu")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Xác thực hai yếu tố")).to_be_visible()
    page.goto("/tasks/")  # nothing else is reachable yet
    expect(page.get_by_role("heading", name="Xác thực hai yếu tố")).to_be_visible()
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    page.get_by_label("Mã xác thực").fill(code)
    page.get_by_role("button", name="Xác thực").click()
    page.goto("/tasks/")
    expect(page.get_by_role("heading", name="Nhiệm vụ phối hợp", exact=True)).to_be_visible()
