"""The scoring home page."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from scoring import access, selectors
from scoring.models import Assessment, Target


@require_GET
def scoring_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    own = list(
        Assessment.objects.visible_to(user)
        .filter(Q(agency_id=user.agency_id or 0) | Q(criteria_set__target=Target.PROVINCE))
        .exclude(status=Assessment.Status.CLOSED)  # a reorganised body's: a record, not work
        .select_related("period", "criteria_set", "agency")
        .order_by("-period__year", "pk")
    )
    return render(
        request,
        "scoring/home.html",
        {
            "periods": selectors.period_list(user),
            "own_assessments": own,
            "work": selectors.appraisal_work(user),
            "manages": access.manages_scoring(user),
        },
    )
