"""Issue 12 checked in the browser on the demo data: a double-click creates one round, a
hostile number is refused with words, a user who turned on two-factor is asked for it."""

from __future__ import annotations

import re

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from reports.models import ReportRound
from scoring.models import Assessment, Score

from .helpers import DEMO_PASSWORD, PHONE

TITLE = "Báo cáo chuyên đề thử bấm hai lần"


def _sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_a_double_clicked_round_form_opens_one_round(demo, new_page):
    page = new_page()
    _sign_in(page, "noivu")
    page.goto("/reports/rounds/new/")
    page.get_by_label("Loại báo cáo").select_option("ad_hoc")
    page.get_by_label("Tên kỳ báo cáo").fill(TITLE)
    page.get_by_label("Số liệu từ ngày").fill("2026-01-01")
    page.get_by_label("Số liệu đến ngày").fill("2026-06-30")
    page.get_by_label("Hạn gửi báo cáo").fill("2026-12-30")
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    # A double-click sends the form once (static/js/portal.js); the server would refuse a
    # second copy anyway (tests/test_races.py).
    page.get_by_role("button", name="Mở kỳ báo cáo").dblclick()
    expect(page).to_have_url(re.compile(r"/reports/rounds/\d+/$"))
    assert ReportRound.objects.filter(title=TITLE).count() == 1
    # Back to the form, and send it again as it stands.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/reports/rounds/new/$"))
    expect(page.get_by_label("Tên kỳ báo cáo")).to_have_value(TITLE)  # restored by the browser
    page.get_by_role("button", name="Mở kỳ báo cáo").click()
    expect(page).to_have_url(re.compile(r"/reports/rounds/\d+/$"))
    expect(page.get_by_text("đã được gửi trước đó").first).to_be_visible()
    assert len(posts) == 2  # sent twice, opened once
    assert ReportRound.objects.filter(title=TITLE).count() == 1


def test_a_score_written_as_a_power_of_ten_is_refused_in_words(demo, new_page):
    assessment = Assessment.objects.get(agency__code="TUYHOA", criteria_set__target="district")
    page = new_page(**PHONE)
    _sign_in(page, "tuyhoa")
    page.goto(f"/scoring/assessments/{assessment.pk}/")
    box = page.locator("input[name^='score_']:not([disabled])").first
    criterion_id = int(box.get_attribute("name").removeprefix("score_"))
    before = Score.objects.get(assessment=assessment, criterion_id=criterion_id).self_score
    box.fill("1E+50")
    page.get_by_role("button", name="Lưu nháp", exact=True).click()
    expect(page.get_by_text("không dùng cách viết lũy thừa").first).to_be_visible()
    expect(box).to_have_value("1E+50")  # what was typed is still on screen
    after = Score.objects.get(assessment=assessment, criterion_id=criterion_id).self_score
    assert after == before


def test_a_focal_officer_with_two_factor_is_asked_for_the_code(demo, new_page):
    from agencies.models import User

    user = User.objects.get(username="stc")
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    page = new_page()
    _sign_in(page, "stc")
    expect(page).to_have_url(re.compile(r"/accounts/security/2fa/verify/"))
    for path in ("/tasks/", "/accounts/security/", "/accounts/password_change/"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/accounts/security/2fa/verify/"))
    expect(page.get_by_label("Mã xác thực")).to_be_visible()
