"""Confirmations in the browser (issue 18, point 8) and a revision that starts from the
previous version (point 11).

With scripts an irreversible act asks in a modal dialog: focus stays in it, Esc or "Quay lại"
changes nothing, the act's button acts. Without scripts the server's confirm page asks the
same and re-posts the form. Screenshots at 1280 and 360 px (docs/screenshots/confirm-*)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from agencies.models import User
from coordination import services
from coordination.models import Contribution, Participation, Task
from tests.coordination_factories import make_task

from .helpers import PHONE, assert_accessible, login, screenshot

TITLE = "Rà soát quy trình nội bộ giải quyết TTHC năm 2027"


def _draft() -> Task:
    return make_task(actor=User.objects.get(username="noivu"), assign=False, title=TITLE)


def test_assigning_asks_in_a_dialog_esc_cancels_and_ok_acts(demo, new_page):
    task = _draft()
    page = new_page()
    login(page, "noivu")
    page.goto(f"/tasks/{task.pk}/")
    button = page.locator(".actions").get_by_role("button", name="Giao nhiệm vụ")
    button.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text(f"Giao nhiệm vụ “{TITLE}”?")
    expect(dialog).to_contain_text("Nhiệm vụ đã giao không trở lại dự thảo được.")
    expect(dialog.get_by_role("button", name="Quay lại")).to_be_focused()
    # Focus stays in the dialog.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Quay lại")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Giao nhiệm vụ")).to_be_focused()
    assert_accessible(page)
    screenshot(page, "confirm-dialog")

    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(button).to_be_focused()
    task.refresh_from_db()
    assert task.status == Task.Status.DRAFT  # nothing sent

    button.click()
    page.get_by_role("dialog").get_by_role("button", name="Giao nhiệm vụ").click()
    expect(page.locator(".alert--success")).to_contain_text("Đã giao nhiệm vụ")
    task.refresh_from_db()
    assert task.status == Task.Status.ASSIGNED
    assert task.history.filter(history_change_reason="Giao nhiệm vụ").count() == 1


def test_on_a_phone_back_cancels_and_the_act_keeps_what_was_typed(demo, new_page):
    task = make_task(actor=User.objects.get(username="noivu"), title=TITLE)
    page = new_page(**PHONE)
    login(page, "noivu")
    page.goto(f"/tasks/{task.pk}/")
    page.get_by_text("Hủy nhiệm vụ", exact=True).first.click()  # opens the <details>
    page.get_by_label("Lý do hủy").fill("Đã gộp vào kế hoạch năm")
    page.locator("form[action$='/cancel/']").get_by_role("button").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Nhiệm vụ đã hủy không mở lại được.")
    box = dialog.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    dialog.get_by_role("button", name="Quay lại").click()
    expect(dialog).to_have_count(0)
    task.refresh_from_db()
    assert task.status != Task.Status.CANCELLED
    expect(page.get_by_label("Lý do hủy")).to_have_value("Đã gộp vào kế hoạch năm")
    page.locator("form[action$='/cancel/']").get_by_role("button").click()
    page.get_by_role("dialog").get_by_role("button", name="Hủy nhiệm vụ").click()
    expect(page.locator(".alert--success")).to_contain_text("Đã hủy nhiệm vụ")
    task.refresh_from_db()
    assert task.status == Task.Status.CANCELLED
    assert task.return_reason == "Đã gộp vào kế hoạch năm"


def test_without_scripts_the_confirm_page_asks_and_reposts(demo, browser, live_server):
    task = _draft()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        login(page, "noivu")
        page.goto(f"/tasks/{task.pk}/")
        page.locator(".actions").get_by_role("button", name="Giao nhiệm vụ").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Giao nhiệm vụ “{TITLE}”?")
        expect(page.locator(".confirm-consequences li")).to_have_count(3)
        task.refresh_from_db()
        assert task.status == Task.Status.DRAFT
        page.locator(".confirm-page").get_by_role("button", name="Giao nhiệm vụ").click()
        expect(page.locator(".alert--success")).to_contain_text("Đã giao nhiệm vụ")
        task.refresh_from_db()
        assert task.status == Task.Status.ASSIGNED
    finally:
        context.close()


def test_the_confirm_page_is_accessible_at_both_widths(demo, new_page):
    """The page a browser without scripts gets (axe needs scripts: the dialog's attributes
    are taken off here instead, so the form goes to the server unconfirmed)."""
    task = _draft()
    page = new_page()
    login(page, "noivu")
    page.goto(f"/tasks/{task.pk}/")
    page.evaluate("() => document.querySelector('[data-confirm]').removeAttribute('data-confirm')")
    page.locator(".actions").get_by_role("button", name="Giao nhiệm vụ").click()
    expect(page.locator(".confirm-page")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "confirm-page")
    task.refresh_from_db()
    assert task.status == Task.Status.DRAFT


def test_a_revision_starts_from_the_returned_version(demo, new_page):
    noivu = User.objects.get(username="noivu")
    stc = User.objects.get(username="stc")
    task = make_task(actor=noivu, title=TITLE, contributors=("STC",))
    services.contribution_save(
        actor=stc,
        task=task,
        form="comment",
        body="Thống nhất, chưa có số liệu.",
        files=[SimpleUploadedFile("cong-van-stc.pdf", b"%PDF-1.4\n%stc\n", "application/pdf")],
        submit=True,
    )
    part = Participation.objects.get(task=task, agency__code="STC")
    chair = User.objects.filter(agency__code="STP", username="stp").get()
    services.participation_review(actor=chair, participation=part, accept=False, reason="Bổ sung")

    page = new_page()
    login(page, "stc")
    page.goto(f"/tasks/{task.pk}/contribute/")
    expect(page.get_by_text("Biểu mẫu bắt đầu từ nội dung lần 1 đã gửi")).to_be_visible()
    expect(page.get_by_label("Nội dung")).to_have_value("Thống nhất, chưa có số liệu.")
    expect(page.get_by_label("cong-van-stc.pdf")).to_be_checked()
    assert_accessible(page)
    screenshot(page, "contribution-revision")
    page.get_by_label("Nội dung").fill("Thống nhất; đã bổ sung số liệu.")
    page.get_by_role("button", name="Gửi chính thức").click()
    page.get_by_role("dialog").get_by_role("button", name="Gửi chính thức").click()
    expect(page.locator(".alert--success")).to_contain_text("Đã gửi.")
    v2 = Contribution.objects.get(participation=part, version=2)
    assert v2.body == "Thống nhất; đã bổ sung số liệu." and v2.submitted_at is not None
    assert [a.original_name for a in v2.attachments.all()] == ["cong-van-stc.pdf"]
