"""Every main page, per role: no serious or critical axe-core violation (WCAG 2.1 AA), no
sideways scrolling at 360 px, and a screenshot at desktop and phone width in docs/screenshots/."""

from __future__ import annotations

from coordination.models import Task
from scoring.models import Assessment, ScoringPeriod

from .helpers import assert_accessible, check_page, login, screenshot


def test_login_page(demo, new_page):
    check_page(new_page(), "/accounts/login/", "login")


def test_home_page_of_every_role(demo, new_page):
    for username in ("noivu", "lanhdao", "hoidong", "stp", "tuyhoa", "admin"):
        page = new_page()
        login(page, username)
        check_page(page, "/", f"home-{username}")


def test_coordination_pages(demo, new_page):
    page = new_page()
    login(page, "noivu")
    task = Task.objects.exclude(status="draft").order_by("pk").first()
    check_page(page, "/tasks/", "task-list")
    check_page(page, "/tasks/?status=cancelled&q=khong-co-gi", "task-list-empty")
    check_page(page, f"/tasks/{task.pk}/", "task-detail")
    check_page(page, f"/tasks/{task.pk}/history/", "task-history")
    check_page(page, "/tasks/new/", "task-create")
    check_page(page, "/tasks/overview/", "task-overview")
    check_page(page, "/agencies/", "directory")
    check_page(page, "/tasks/notifications/", None)
    # The create form with its errors: each message is tied to its field.
    page.goto("/tasks/new/")
    page.get_by_role("button", name="Tạo nhiệm vụ").click()
    title = page.get_by_label("Tên nhiệm vụ")
    assert title.get_attribute("aria-invalid") == "true"
    described = title.get_attribute("aria-describedby")
    assert described and page.locator(f"#{described.split()[-1]}").inner_text().strip()
    assert_accessible(page)
    screenshot(page, "task-create-errors")


def test_body_pages(demo, new_page):
    page = new_page()
    login(page, "stp")
    task = Task.objects.filter(chair_agency__code="STP").exclude(status="draft").first()
    check_page(page, "/tasks/", None)
    check_page(page, f"/tasks/{task.pk}/", "task-detail-chair")
    check_page(page, f"/tasks/{task.pk}/contribute/", "contribution-form")
    check_page(page, "/reports/", "reports-home-body")


def test_scoring_pages(demo, new_page):
    period = ScoringPeriod.objects.order_by("-year").first()
    tuyhoa = Assessment.objects.get(agency__code="TUYHOA", period=period)
    stp = Assessment.objects.get(
        agency__code="STP", period=period, criteria_set__target="department"
    )
    page = new_page()
    login(page, "tuyhoa")
    check_page(page, "/scoring/", "scoring-home-body")
    check_page(page, f"/scoring/assessments/{tuyhoa.pk}/", "assessment-self")
    noivu = new_page()
    login(noivu, "noivu")
    check_page(noivu, "/scoring/", "scoring-home")
    check_page(noivu, f"/scoring/periods/{period.pk}/", "scoring-period")
    check_page(noivu, f"/scoring/periods/{period.pk}/results/", "scoring-results")
    check_page(noivu, "/scoring/criteria/", "criteria-sets")
    council = new_page()
    login(council, "hoidong")
    check_page(council, f"/scoring/assessments/{stp.pk}/", None)
    check_page(council, f"/scoring/assessments/{stp.pk}/appraise/", "assessment-appraise")


def test_reports_pages(demo, new_page):
    page = new_page()
    login(page, "lanhdao")
    check_page(page, "/reports/", "reports-home")
    noivu = new_page()
    login(noivu, "noivu")
    noivu.goto("/reports/")
    round_link = noivu.locator("a[href^='/reports/rounds/']").first
    check_page(noivu, round_link.get_attribute("href"), "report-round")


def test_not_found_page(demo, new_page):
    page = new_page()
    login(page, "syt")
    response = page.goto("/tasks/999999/")
    assert response.status == 404
    assert_accessible(page)
    screenshot(page, "not-found")
