"""The home page: the one page that gathers every app's reads for the user's role.

It lives in the project package, above the apps, so that ``agencies`` (the ground floor)
reads no feature app.

- Leadership and Nội vụ officers (read everything): the province at a glance first — the
  items by timeliness, each tile linking to the item list it counts; the PAR index, this
  year's self-score against last year's official result (``scoring.summary``); the bodies
  that have not sent the latest round that is due; the items by body.
- A council member: her appraisal assignments first (``scoring.selectors.appraisal_work``),
  links only where she can act; her body's coordination work only if another role of
  hers works on it.
- Everyone with a body: the body's work, each tile linking to the rows it counts.
- In the demo (``DEMO_MODE``), once the province has changed (more than one ``Province``
  row, as after ``seed_demo --scenario 2025``): a notice that only the first province's
  area is loaded."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies import fragments, roles
from agencies.access import is_council_member, reads_everything
from agencies.models import Province
from coordination.selectors import agency_work, province_overview, task_tiles
from reports.selectors import latest_round_missing
from scoring.selectors import appraisal_work
from scoring.summary import par_glance


def _works_for_body(user) -> bool:
    """A council member sits on the council in person: her body's coordination work is
    not hers unless another role of hers works on it."""
    return bool(user.agency_id) and (
        user.is_superuser or bool(roles.user_roles(user) - {roles.COUNCIL_MEMBER})
    )


def demo_area_notice() -> str:
    """In the demo, once the province has merged into another: only the former province's
    bodies are loaded, not the other province's own. Names come from the ``Province`` rows
    (the earliest and the one in force today); nothing here names a province. One query,
    in the demo only."""
    if not settings.DEMO_MODE:
        return ""
    rows = list(Province.objects.all())  # ordered by valid_from, the first province first
    if len(rows) < 2:
        return ""
    today = timezone.localdate()
    current = next((row for row in rows if row.exists_on(today)), None)
    former = rows[0]
    if current is None or current.short_name == former.short_name:
        return ""
    return _(
        "Dữ liệu trình diễn chỉ gồm các cơ quan, địa phương thuộc tỉnh %(former)s cũ; các cơ "
        "quan của tỉnh %(current)s trước sắp xếp chưa được nạp."
    ) % {"former": former.short_name, "current": current.short_name}


# Issue 14: each section of the body's work shows its first rows; a tile or "xem tất cả"
# opens the whole section (``?show=``), so the page stays short at any scale.
HOME_ROWS = 10
# Section → the element a tile or a "xem tất cả" link scrolls to.
WORK_SECTIONS = {
    "returned": "w-returned",
    "overdue": "w-overdue",
    "to_review": "w-review",
    "due_soon": "w-due-soon",
    "chaired": "w-open",
    "contributing": "w-open",
    "tracking": "w-open",
}
# The apps whose data each cached part shows (``agencies.fragments``).
WORK_APPS = ("auth", "guardian", "agencies", "coordination")
PROVINCE_APPS = (*WORK_APPS, "scoring", "reports")


def shown_work(work: dict, show: str) -> dict:
    """Per section: its first ``HOME_ROWS`` rows, or every row of the section the user
    opened (``show``: a section, or ``open`` for the three sections by role), its total and
    the link that opens it whole."""
    opened = {"chaired", "contributing", "tracking"} if show == "open" else {show}
    sections = {}
    for name, anchor in WORK_SECTIONS.items():
        rows = work[name]
        whole = name in opened or len(rows) <= HOME_ROWS
        sections[name] = {
            "rows": rows if whole else rows[:HOME_ROWS],
            "total": len(rows),
            "more": "" if whole else f"?show={name}#{anchor}",
        }
    return sections


def province_context(user) -> dict:
    return {
        "tiles": task_tiles(user),
        "overview": province_overview(limit=None, task_counts=False),
        "par": par_glance(user),
        "reporting": latest_round_missing(user),
    }


def home_context(request: HttpRequest) -> dict:
    """The page around its two cached parts: the province at a glance and the body's work
    (``agencies.fragments``: rendered once until the data they show changes)."""
    user = request.user
    context: dict = {"is_overview": reads_everything(user), "area_notice": demo_area_notice()}
    if reads_everything(user):
        context["province_part"] = fragments.cached(
            request,
            "home:province",
            apps_read=PROVINCE_APPS,
            build=lambda: fragments.render("agencies/_home_province.html", province_context(user)),
        )
    if is_council_member(user):
        context["appraisals"] = appraisal_work(user)
    if _works_for_body(user):
        show = request.GET.get("show", "")
        show = show if show == "open" or show in WORK_SECTIONS else ""

        def work_part() -> str:
            work = agency_work(user)
            return fragments.render(
                "agencies/_home_work.html",
                {"user": user, "work": work, "shown": shown_work(work, show)},
            )

        context["work_part"] = fragments.cached(
            request, "home:work", apps_read=WORK_APPS, vary=[show], build=work_part
        )
    return context


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "agencies/home.html", home_context(request))
