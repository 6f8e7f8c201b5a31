"""The reports home: the rounds, the documents and the reminder letters (issue 14: its
lists start with what is current, in cached parts, ``agencies.fragments``)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies import fragments
from reports import access, selectors
from reports.models import AgencyReport
from reports.views import HOME_APPS

LATE_ROWS = 10  # late bodies listed before "xem tất cả" (issue 14)


@require_GET
def reports_home(request: HttpRequest) -> HttpResponse:
    """Long: the rounds (this year's and last year's unless ``?rounds=all``), the documents and
    the reminder letters, in two cached parts (``agencies.fragments``); the form that opens
    a year's rounds carries a one-time token, so it stays outside them."""
    user = request.user
    province = access.reports_province_documents(user)
    manage = access.reports_manage(user)
    every_round = request.GET.get("rounds") == "all"
    every_late = request.GET.get("late") == "all"

    def rounds_part() -> str:
        rounds = list(selectors.rounds_with_counts(user))
        shown = rounds if every_round else selectors.recent_rounds(rounds)
        return fragments.render(
            "reports/_home_rounds.html",
            {"rounds": shown, "rounds_total": len(rounds), "rounds_more": len(shown) < len(rounds)},
        )

    def tail_part() -> str:
        late = selectors.overdue_by_agency() if manage else []
        late.sort(key=lambda b: -b["n"])  # the most overdue first (stable: then by body)
        return fragments.render(
            "reports/_home_tail.html",
            {
                "province": province,
                "manage": manage,
                "overdue_bodies": late if every_late else late[:LATE_ROWS],
                "overdue_total": len(late),
                "status_periods": _status_periods() if province else [],
                **_scoring_documents(user, province),
            },
        )

    context = {
        "province": province,
        "manage": manage,
        "own_reports": []
        if province
        else list(
            access.own_body(AgencyReport.objects.visible_to(user), user)
            .select_related("round")
            .order_by("-round__deadline")
        ),
        "year": timezone.localdate().year,
        "tail_part": fragments.cached(
            request, "reports:home", apps_read=HOME_APPS, vary=[every_late], build=tail_part
        ),
    }
    if province:
        context["rounds_part"] = fragments.cached(
            request, "reports:rounds", apps_read=HOME_APPS, vary=[every_round], build=rounds_part
        )
    return render(request, "reports/report_home.html", context)


def _scoring_documents(user, province: bool) -> dict:
    """Scoring periods whose ranking the user may download, and their own scorecards."""
    from scoring.models import Assessment, ScoringPeriod

    periods = ScoringPeriod.objects.visible_to(user).order_by("-year", "-pk")
    if not province:
        periods = periods.filter(published_at__isnull=False)
    cards = (
        access.own_body(Assessment.objects.visible_to(user), user)
        .select_related("period")
        .order_by("-period__year", "-pk")
    )
    return {"scoring_periods": list(periods), "own_scorecards": list(cards)}


def _status_periods() -> list[dict]:
    """Periods offered for the coordination status report: this year and last year."""
    year = timezone.localdate().year
    return [
        {"label": _("Năm %(y)s") % {"y": y}, "start": dt.date(y, 1, 1), "end": dt.date(y, 12, 31)}
        for y in (year, year - 1)
    ]
