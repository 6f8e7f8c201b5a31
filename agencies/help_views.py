"""The user guide in the portal (issue 18, point 25): one Vietnamese guide per role, written
as Markdown in ``docs/guide/<role>.md`` and illustrated with the browser tests' screenshots in
``docs/screenshots/`` (``tests/e2e/test_pages.py`` rewrites them on every run, so the guide
shows the portal as it is). ``/help/`` opens the guide of the user's role; every guide lists
the others. Screenshots are served by name from the files that are in the docs folder."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import markdown
from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from markdown.extensions.toc import slugify

from agencies import roles

DOCS = Path(settings.BASE_DIR) / "docs"
GUIDES_DIR = DOCS / "guide"
SCREENSHOTS_DIR = DOCS / "screenshots"
# In the Markdown a picture is written as the docs folder has it (``../screenshots/x.png``),
# so the guide reads the same in an editor; the page serves it from the portal.
SCREENSHOT_PREFIX = "../screenshots/"

_PICTURE = re.compile(r'<img (?P<attrs>[^>]*src="(?P<src>[^"]+)"[^>]*)>')

ADMIN = "admin"
# Guides in the order they are listed; the key is the role code (the file's name).
GUIDES: dict[str, str] = {
    roles.NOIVU_OFFICER: _("Cán bộ CCHC Sở Nội vụ"),
    roles.FOCAL_OFFICER: _("Cán bộ đầu mối CCHC"),
    roles.AGENCY_STAFF: _("Công chức cơ quan"),
    roles.LEADERSHIP: _("Lãnh đạo"),
    roles.COUNCIL_MEMBER: _("Thành viên Hội đồng thẩm định"),
    ADMIN: _("Quản trị hệ thống"),
}


def guide_for(user) -> str:
    """The guide of the user's role: administrators first, then the role that does most."""
    if user.is_superuser:
        return ADMIN
    held = roles.user_roles(user)
    return next((role for role in GUIDES if role in held), roles.FOCAL_OFFICER)


def screenshot_names() -> set[str]:
    """The pictures the docs folder holds now (read on each call: the browser tests add and
    rewrite them)."""
    if not SCREENSHOTS_DIR.is_dir():
        return set()
    return {p.name for p in SCREENSHOTS_DIR.iterdir() if p.suffix == ".png" and p.is_file()}


def guide_source(role: str) -> str:
    return (GUIDES_DIR / f"{role}.md").read_text(encoding="utf-8")


def referenced_screenshots(role: str) -> list[str]:
    """Screenshot file names a guide shows, in order."""
    source = guide_source(role)
    names, start = [], 0
    while (at := source.find(SCREENSHOT_PREFIX, start)) != -1:
        end = source.find(")", at)
        names.append(source[at + len(SCREENSHOT_PREFIX) : end])
        start = end
    return names


@lru_cache(maxsize=16)
def _render(role: str, modified: float) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """The guide as HTML, its title and its sections (cached until the file changes)."""
    source = guide_source(role).replace(SCREENSHOT_PREFIX, _screenshot_url_prefix())
    md = markdown.Markdown(
        extensions=["tables", "toc", "sane_lists"],
        extension_configs={"toc": {"slugify": _slug, "toc_depth": "2"}},
        output_format="html",
    )
    html = md.convert(source)
    title = md.toc_tokens[0]["name"] if md.toc_tokens else str(GUIDES[role])
    sections = [(t["id"], t["name"]) for t in md.toc_tokens[0]["children"]] if md.toc_tokens else []
    # Pictures load when scrolled to; a tap opens one at full size (small on a phone).
    html = _PICTURE.sub(
        r'<a href="\g<src>" class="guide__zoom"><img loading="lazy" \g<attrs>></a>', html
    )
    return html, title, tuple(sections)


def _slug(text: str, separator: str) -> str:
    """ASCII anchors (``#thang-12-tu-danh-gia``) that contextual help links can name."""
    return slugify(text.replace("đ", "d").replace("Đ", "D"), separator)


def _screenshot_url_prefix() -> str:
    return reverse("help_screenshot", args=["x.png"]).removesuffix("x.png")


@require_GET
def help_index(request: HttpRequest) -> HttpResponse:
    """The header's "Hướng dẫn": the guide of the user's own role."""
    return redirect("help_guide", role=guide_for(request.user))


@require_GET
def help_guide(request: HttpRequest, role: str) -> HttpResponse:
    if role not in GUIDES:
        raise Http404
    path = GUIDES_DIR / f"{role}.md"
    html, title, sections = _render(role, path.stat().st_mtime)
    guides = [
        {"role": code, "label": label, "url": reverse("help_guide", args=[code])}
        for code, label in GUIDES.items()
    ]
    context = {
        "guide_html": mark_safe(html),  # the project's own docs, not user input
        "guide_title": title,
        "sections": sections,
        "role": role,
        "role_label": GUIDES[role],
        "own_role": guide_for(request.user),
        "guides": guides,
    }
    return render(request, "help/guide.html", context)


@require_GET
def help_screenshot(request: HttpRequest, name: str) -> HttpResponse:
    """One picture of ``docs/screenshots/``, by a name that is in that folder (no path)."""
    if name not in screenshot_names():
        raise Http404
    response = FileResponse((SCREENSHOTS_DIR / name).open("rb"), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response
