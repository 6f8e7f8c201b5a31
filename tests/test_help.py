"""The user guide in the portal and the contextual help (issue 18, point 25): a guide per role
reached from the header of every page, built from the browser tests' screenshots (a guide that
shows a picture the browser tests no longer take fails here), and "?" help on the pages that
need it. Who may open what: tests/test_help_permissions.py."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from agencies import help_views
from tests.conftest import login
from tests.factories import UserFactory, agency
from tests.scoring_factories import assessment_of, build_period

GUIDES = list(help_views.GUIDES)
TIPS = ["self_assessment", "criteria_import", "plan_import", "score_bands", "publish_results"]


@pytest.mark.parametrize("role", GUIDES)
def test_every_screenshot_a_guide_shows_is_in_docs_screenshots(role):
    shown = help_views.referenced_screenshots(role)
    assert len(shown) >= 2, f"the guide of {role} shows the portal in pictures"
    missing = sorted(set(shown) - help_views.screenshot_names())
    assert not missing, (
        f"docs/guide/{role}.md shows pictures the browser tests no longer take "
        f"(tests/e2e/, docs/screenshots/): {missing}"
    )


@pytest.mark.parametrize("role", GUIDES)
def test_every_guide_walks_through_the_year_of_its_role(role):
    source = help_views.guide_source(role)
    assert source.startswith("# Hướng dẫn cho "), "a guide starts with its title"
    assert source.count("\n## ") >= 3, "a guide has its steps in sections"
    assert source.count("**") >= 10, "a guide names the buttons to press"


def _portal_text() -> str:
    """Every template and every Python module of the portal (not the tests), case-folded."""
    root = help_views.DOCS.parent
    files = [*(root / "templates").rglob("*.html")]
    for app in ("agencies", "coordination", "scoring", "reports", "phuyen_cchc"):
        files += (root / app).rglob("*.py")
    return "\n".join(f.read_text(encoding="utf-8") for f in files).casefold()


@pytest.mark.parametrize("role", GUIDES)
def test_every_name_a_guide_puts_in_bold_is_on_the_portal(role):
    """Buttons, links and headings are named in bold as the pages show them; when a page
    renames one, the guide is corrected with it ("…" stands for a number)."""
    portal = _portal_text()
    named = re.findall(r"\*\*(.+?)\*\*", help_views.guide_source(role), flags=re.S)
    missing = [
        name
        for name in named
        if not all(" ".join(part.split()).casefold() in portal for part in name.split("…"))
    ]
    assert not missing, f"docs/guide/{role}.md names what no page shows: {missing}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who,guide",
    [
        ("noivu", "noivu_officer"),
        ("leader", "leadership"),
        ("council", "council_member"),
        ("chair_focal", "focal_officer"),
        ("chair_staff", "agency_staff"),
    ],
)
def test_the_header_link_opens_the_guide_of_the_users_role(cast, who, guide):
    client = cast(who)
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("help_index")}"' in home
    assert ">Hướng dẫn<" in home
    response = client.get(reverse("help_index"))
    assert response.status_code == 302
    assert response.url == reverse("help_guide", args=[guide])


@pytest.mark.django_db
def test_an_administrator_gets_the_administrators_guide():
    admin = UserFactory(username="t_admin", agency=agency("SNV"), is_superuser=True)
    response = login(admin).get(reverse("help_index"))
    assert response.url == reverse("help_guide", args=["admin"])


@pytest.mark.django_db
def test_a_guide_lists_the_others_and_marks_the_users_own(chair_focal):
    page = login(chair_focal).get(reverse("help_guide", args=["noivu_officer"])).content.decode()
    for role in GUIDES:
        assert f'href="{reverse("help_guide", args=[role])}"' in page
    current = re.search(r'<a href="([^"]+)" aria-current="page">', page)
    assert current and current.group(1) == reverse("help_guide", args=["noivu_officer"])
    assert "(vai trò của anh/chị)" in page
    assert "<h1" in page and "Hướng dẫn cho cán bộ CCHC Sở Nội vụ" in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", GUIDES)
def test_a_guides_pictures_are_served_by_the_portal(noivu, role):
    client = login(noivu)
    page = client.get(reverse("help_guide", args=[role])).content.decode()
    sources = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert sources and all(s.startswith("/help/screenshots/") for s in sources)
    for source in sources:
        response = client.get(source)
        assert response.status_code == 200, source
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/help/khong-co/",
        "/help/screenshots/khong-co.png",
        "/help/screenshots/..%2F..%2FREADME.md",
        "/help/screenshots/..%2Fguide%2Fadmin.md",
        "/help/screenshots/%2Fetc%2Fpasswd",
    ],
)
def test_an_unknown_guide_or_picture_is_404(noivu, path):
    assert login(noivu).get(path).status_code == 404


@pytest.mark.django_db
def test_the_guide_page_costs_the_same_queries_for_every_guide(noivu, django_assert_num_queries):
    client = login(noivu)
    client.get(reverse("help_guide", args=["admin"]))  # session and caches warm
    for role in GUIDES:
        # The session, the user, the data version, the user's roles and body (kept: issue
        # 14), the header (cached), unread notifications; the guide itself reads no table.
        with django_assert_num_queries(6):
            assert client.get(reverse("help_guide", args=[role])).status_code == 200


@pytest.mark.django_db
def test_a_guide_is_read_again_when_its_file_changes(noivu, tmp_path, monkeypatch):
    (tmp_path / "admin.md").write_text(
        "# Hướng dẫn thử\n\n## Phần một\n\n![Ảnh](../screenshots/login-desktop.png)\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(help_views, "GUIDES_DIR", tmp_path)
    page = login(noivu).get(reverse("help_guide", args=["admin"])).content.decode()
    assert "Hướng dẫn thử" in page
    assert 'src="/help/screenshots/login-desktop.png"' in page
    assert 'href="#phan-mot"' in page


@pytest.mark.parametrize("tip", TIPS)
def test_each_help_tip_links_to_a_section_of_a_guide(tip):
    html = render_to_string(f"help/tips/{tip}.html")
    assert '<details class="help-tip">' in html and "<summary>" in html
    link = re.search(r'href="/help/([a-z_]+)/#([a-z0-9-]+)"', html)
    assert link, f"the {tip} help links to its guide"
    role, anchor = link.groups()
    sections = help_views._render(role, 0.0)[2]
    assert anchor in {a for a, _name in sections}, f"{role} guide has no section #{anchor}"


@pytest.mark.django_db
def test_the_pages_that_need_help_show_it(noivu, chair_focal):
    officer = login(noivu)
    period = build_period(noivu, codes=("STP",))
    pages = {
        reverse("criteria_set_import"): "Cách điền tệp bộ tiêu chí",
        reverse("plan_import"): "Cách điền tệp kế hoạch",
        reverse("period_create"): "Cách ghi xếp loại",
        reverse("period_edit", args=[period.pk]): "Cách ghi xếp loại",
        reverse("period_publish", args=[period.pk]): "Công bố kết quả có nghĩa là gì",
    }
    for url, summary in pages.items():
        page = officer.get(url).content.decode()
        assert 'class="help-tip"' in page and summary in page, url
    sheet = reverse("assessment_detail", args=[assessment_of(period, "STP").pk])
    page = login(chair_focal).get(sheet).content.decode()
    assert "Cách tự chấm điểm" in page
