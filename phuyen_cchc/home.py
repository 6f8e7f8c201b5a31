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
- Everyone with a body: the body's work, each tile linking to the rows it counts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from agencies import roles
from agencies.access import is_council_member, reads_everything
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


def home_context(user) -> dict:
    context: dict = {"is_overview": reads_everything(user)}
    if reads_everything(user):
        context["tiles"] = task_tiles(user)
        context["overview"] = province_overview(limit=None, task_counts=False)
        context["par"] = par_glance(user)
        context["reporting"] = latest_round_missing(user)
    if is_council_member(user):
        context["appraisals"] = appraisal_work(user)
    if _works_for_body(user):
        context["work"] = agency_work(user)
    return context


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "agencies/home.html", home_context(request.user))
