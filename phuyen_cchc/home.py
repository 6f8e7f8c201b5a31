"""The home page: the one page that gathers every app's reads for the user's role.

It lives in the project package, above the apps, so that ``agencies`` (the ground floor)
reads no feature app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from agencies.access import reads_everything
from coordination.selectors import agency_work, province_overview
from reports.selectors import latest_round_missing


def home_context(user) -> dict:
    context: dict = {"is_overview": reads_everything(user)}
    if reads_everything(user):
        context["overview"] = province_overview(limit=None)
        context["reporting"] = latest_round_missing(user)
    if user.agency_id:
        context["work"] = agency_work(user)
    return context


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "agencies/home.html", home_context(request.user))
