"""Issue 11 checked in the browser, as a new user would on `make demo`: a body's unsent
draft is its own, on every page and document; a self-assessment submits what is typed."""

from __future__ import annotations

from playwright.sync_api import expect

from coordination.models import Contribution, Task
from scoring.models import Assessment
from tests.test_pdf import pdf_text

from .helpers import login

SENTENCE = "Câu riêng của Sở Tài chính: đề nghị giữ nguyên Điều 7 (chưa gửi)"
ITEM = "Đề án nâng cao Chỉ số PAR INDEX và SIPAS tỉnh Phú Yên giai đoạn 2025–2030"


def _dossier_text(page, pk: int) -> str:
    response = page.request.get(f"/reports/tasks/{pk}/dossier.pdf")
    assert response.ok, response.status
    return pdf_text(response.body())


def test_a_draft_stays_with_its_body_on_every_page(demo, new_page):
    task = Task.objects.get(title=ITEM)  # chair Nội vụ, STC and SKHĐT coordinate
    stc = new_page()
    login(stc, "stc")
    stc.goto(f"/tasks/{task.pk}/contribute/")
    stc.locator("textarea[name='body']").fill(SENTENCE)
    stc.get_by_role("button", name="Lưu dự thảo").click()
    expect(stc.locator(".alert").first).to_be_visible()
    assert Contribution.objects.filter(body=SENTENCE, submitted_at__isnull=True).exists()
    stc.goto(f"/tasks/{task.pk}/")
    expect(stc.get_by_text(SENTENCE).first).to_be_visible()

    for username in ("skhdt", "stp", "noivu", "lanhdao", "vpubnd"):
        page = new_page()
        login(page, username)
        for path in (f"/tasks/{task.pk}/", f"/tasks/{task.pk}/history/"):
            response = page.goto(path)
            assert response is not None and response.ok, (username, path)
            assert SENTENCE not in page.content(), (username, path)
        assert SENTENCE not in _dossier_text(page, task.pk), username


def test_submitting_a_self_assessment_keeps_what_was_typed(demo, new_page):
    """Five scores typed, "Gửi bản tự đánh giá" pressed without "Lưu nháp" first."""
    assessment = Assessment.objects.get(agency__code="TUYHOA", criteria_set__target="district")
    page = new_page()
    login(page, "tuyhoa")
    # Every area on one page ("Xem tất cả lĩnh vực"; issue 14 opens one area by default).
    page.goto(f"/scoring/assessments/{assessment.pk}/?area=all")
    boxes = page.locator("input[name^='score_']:not([disabled])")
    typed = {}
    for i in range(5):
        box = boxes.nth(i)
        box.fill("0")
        typed[int(box.get_attribute("name").removeprefix("score_"))] = 0
    for note in page.locator("textarea[name^='note_']").all():
        if not note.input_value():
            note.fill("Đã có văn bản, bổ sung sau.")
    page.get_by_role("button", name="Gửi bản tự đánh giá").click()
    page.get_by_role("dialog").get_by_role("button", name="Gửi bản tự đánh giá").click()
    # The next page's message, not an alert already on this one.
    expect(page.get_by_text("Đã gửi bản tự đánh giá; bản này đã bị khóa.")).to_be_visible()
    assessment.refresh_from_db()
    assert assessment.status == "submitted", page.locator(".alert").all_inner_texts()
    saved = dict(
        assessment.scores.filter(criterion_id__in=typed).values_list("criterion_id", "self_score")
    )
    assert {k: float(v) for k, v in saved.items()} == typed
