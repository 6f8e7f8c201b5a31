"""Scoring in the browser (issue 18, points 6, 7, 8, 15, 16): Nội vụ publishes the demo's
2024 ranking, leaving out the bodies not finalised with a reason each, after a dialog that
says what will happen; the results compare with the published 2023 year; score bands are
edited as rows; the council member's link to an assessment not yet sent says so.
Screenshots at 1280 and 360 px (docs/screenshots/scoring-*)."""

from __future__ import annotations

from playwright.sync_api import expect

from agencies.models import User
from scoring import services
from scoring.demo import PERIOD_TITLE
from scoring.models import Assessment, ScoringPeriod

from .helpers import PHONE, assert_accessible, check_page, login, screenshot

REASON = "Chưa chốt kết quả thẩm định tại thời điểm công bố"


def test_noivu_publishes_the_demo_ranking_leaving_out_bodies_not_finalised(demo, new_page):
    period = ScoringPeriod.objects.get(title=PERIOD_TITLE)
    pending = list(services.publication_pending(period))
    assert pending and all(a.criteria_set.target != "province" for a in pending)
    page = new_page()
    login(page, "noivu")
    page.goto(f"/scoring/periods/{period.pk}/")
    page.get_by_role("link", name="Công bố kết quả…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Công bố kết quả")
    boxes = page.locator("textarea[name^='reason_']")
    expect(boxes).to_have_count(len(pending))
    assert_accessible(page)

    # Without reasons: refused, each body named, nothing published.
    page.get_by_role("button", name="Công bố kết quả").click()
    page.get_by_role("dialog").get_by_role("button", name="Công bố kết quả").click()
    expect(page.locator(".alert--error")).to_contain_text("hãy ghi lý do không xếp hạng")
    period.refresh_from_db()
    assert period.published_at is None

    for i in range(len(pending)):
        page.locator("textarea[name^='reason_']").nth(i).fill(REASON)
    screenshot(page, "scoring-publish")
    page.get_by_role("button", name="Công bố kết quả").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Mọi cơ quan trong đợt thấy toàn bộ bảng xếp hạng.")
    page.keyboard.press("Escape")  # "Quay lại": nothing happens
    period.refresh_from_db()
    assert period.published_at is None
    page.get_by_role("button", name="Công bố kết quả").click()
    page.get_by_role("dialog").get_by_role("button", name="Công bố kết quả").click()
    expect(page.locator(".alert--success")).to_contain_text("Đã công bố kết quả")
    period.refresh_from_db()
    assert period.is_published
    assert Assessment.objects.filter(period=period, ranking_excluded_reason=REASON).count() == len(
        pending
    )

    # The results: ranked bodies compared with 2023, the others "không xếp hạng: <lý do>".
    expect(page.get_by_text(f"không xếp hạng: {REASON}").first).to_be_visible()
    expect(page.get_by_text("so với kết quả đã công bố của năm 2023")).to_be_visible()
    changes = page.locator("td[data-label='Tăng/giảm']").all_inner_texts()
    assert any(text.strip() not in {"", "–"} for text in changes), changes
    check_page(page, f"/scoring/periods/{period.pk}/results/", "scoring-results-published")

    # On a phone the area columns of a ranking card are named, not numbered.
    page.set_viewport_size(PHONE)
    labels = page.locator("td.num[data-label]").evaluate_all(
        "cells => cells.map(c => c.dataset.label)"
    )
    assert not any(label.isdigit() for label in labels), labels
    assert any(". " in label for label in labels), labels


def test_score_bands_are_edited_as_rows(demo, new_page):
    period = ScoringPeriod.objects.get(title=PERIOD_TITLE)
    page = new_page()
    login(page, "noivu")
    page.goto(f"/scoring/periods/{period.pk}/edit/")
    rows = page.locator("[data-band-row]")
    before = rows.count()
    page.get_by_role("button", name="Thêm dòng").click()
    expect(rows).to_have_count(before + 1)
    rows.last.locator("input").first.fill("Xuất sắc")
    rows.last.locator("input").nth(1).fill("95")
    rows.last.locator("input").nth(2).fill("100")
    page.get_by_role("button", name="Lưu").click()
    # A (90–100) and "Xuất sắc" (95–100) overlap: refused, named, typed rows kept.
    expect(page.locator(".errorlist").first).to_contain_text("chồng lên nhau từ 95% đến 100%")
    expect(page.locator("input[value='Xuất sắc']")).to_have_count(1)
    assert_accessible(page)
    screenshot(page, "scoring-bands")
    # Make A end at 95 and save.
    page.locator("input[name$='-to']").first.fill("95")
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator(".alert--success")).to_contain_text("Đã cập nhật đợt chấm điểm")
    period.refresh_from_db()
    assert period.bands[0] == {"label": "Xuất sắc", "min": 95.0}
    # Removing a row with its button.
    page.goto(f"/scoring/periods/{period.pk}/edit/")
    count = page.locator("[data-band-row]").count()
    page.locator("[data-band-row]").first.get_by_role("button", name="Xóa").click()
    expect(page.locator("[data-band-row]")).to_have_count(count - 1)


def test_council_member_sees_her_work_and_a_link_not_yet_open_says_so(demo, new_page):
    period = ScoringPeriod.objects.get(title=PERIOD_TITLE)
    tuyhoa = Assessment.objects.get(period=period, agency__code="TUYHOA")
    noivu, hoidong = (User.objects.get(username=n) for n in ("noivu", "hoidong"))
    services.assignment_add(actor=noivu, period=period, user=hoidong, assessment=tuyhoa)
    page = new_page()
    login(page, "hoidong")
    page.goto("/scoring/")
    expect(
        page.get_by_text("Chưa đến bước thẩm định: cơ quan chưa gửi bản tự đánh giá.")
    ).to_be_visible()
    expect(page.locator(f"a[href='/scoring/assessments/{tuyhoa.pk}/appraise/']")).to_have_count(0)
    screenshot(page, "scoring-home-council")
    page.goto(f"/scoring/assessments/{tuyhoa.pk}/appraise/")
    expect(page.get_by_text("chưa đến bước thẩm định").first).to_be_visible()
    assert "không được phép" not in page.content()


def test_the_figures_read_the_same_on_the_assessment_and_period_pages(demo, new_page):
    period = ScoringPeriod.objects.get(title=PERIOD_TITLE)
    stp = Assessment.objects.get(period=period, agency__code="STP")
    page = new_page()
    login(page, "hoidong")
    check_page(page, f"/scoring/assessments/{stp.pk}/", "scoring-assessment-figures")
    headline = page.locator(".stat__value").nth(1).inner_text()
    assert "/" in headline and "%" in headline
    expect(page.locator(".stat__label").nth(1)).to_have_text("Điểm tự đánh giá")
    expect(page.get_by_text("Điểm hiện tại sau thẩm định")).to_have_count(0)
    check_page(page, f"/scoring/periods/{period.pk}/", "scoring-period-figures")
    expect(page.get_by_text(headline).first).to_be_visible()
