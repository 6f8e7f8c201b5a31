"""The read-only lists of items: the item list, the overview by body, an item's history.

Each page's heavy part is a cached fragment (``agencies.fragments``, issue 14): rendered
once until the coordination data it shows changes; access is checked before the cache.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import conditional_escape
from django.views.decorators.http import require_GET

from agencies import fragments
from coordination import access, selectors
from coordination import timeliness as tl
from coordination.forms import TaskFilter
from coordination.history import task_timeline
from coordination.models import Participation
from coordination.views import LIST_APPS, PAGE_SIZE, _task


def _filtered_tasks(request: HttpRequest) -> TaskFilter:
    base = (
        selectors.listed_tasks(request.user)
        .select_related("chair_agency", "tracking_agency")
        .prefetch_related(
            Prefetch(
                "participations",
                queryset=Participation.objects.filter(role="contribute").select_related("agency"),
                to_attr="contributor_list",
            )
        )
    )
    return TaskFilter(request.GET or None, queryset=base, user=request.user)


@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    """The filter form, the page of items and the pager: one cached part per query string
    (no form needing a CSRF token in it: the filter is a GET form)."""

    def list_part() -> str:
        task_filter = _filtered_tasks(request)
        page = Paginator(task_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
        for task in page:
            task.state_label = tl.LABELS[task.timeliness]
        return fragments.render(
            "coordination/_task_list_body.html",
            {"filter": task_filter, "page": page, "query": query_without_page},
        )

    query = request.GET.copy()
    query.pop("page", None)
    query_without_page = query.urlencode()
    part = fragments.cached(
        request, "tasks:list", apps_read=LIST_APPS, vary=[request.GET.urlencode()], build=list_part
    )
    return render(
        request, "coordination/task_list.html", {"list_part": part, "query": query_without_page}
    )


# Issue 14: the overview lists the bodies a page at a time, most overdue first (150 bodies
# after the 2025 merger); the totals are the whole province's.
OVERVIEW_PAGE_SIZE = 20


@require_GET
def task_overview(request: HttpRequest) -> HttpResponse:
    access.require(access.reads_everything(request.user))
    today = timezone.localdate()
    scope = selectors.overview_scope(request.GET.get("year", ""), today)
    number = request.GET.get("page", "")

    def overview_part() -> str:
        overview = selectors.province_overview(today=today, scope=scope)
        page = Paginator(overview["rows"], OVERVIEW_PAGE_SIZE).get_page(number)
        query = request.GET.copy()
        query.pop("page", None)
        return fragments.render(
            "coordination/_task_overview_body.html",
            {
                "overview": overview,
                "page": page,
                "query": query.urlencode(),
                "scope": scope,
                "years": [str(y) for y in range(today.year + 1, today.year - 5, -1)],
                "request": request,  # the reminder links ask the user's roles
            },
        )

    part = fragments.cached(
        request, "tasks:overview", apps_read=LIST_APPS, vary=[scope, number], build=overview_part
    )
    return render(request, "coordination/task_overview.html", {"overview_part": part})


@require_GET
def task_history(request: HttpRequest, pk: int) -> HttpResponse:
    """The item's history; cached with its access check as the item page (``task_detail``)."""

    def history_part() -> dict[str, str]:
        task = _task(request, pk)  # 404 for an item the user may not see
        return {
            "title": conditional_escape(task.title),
            "body": fragments.render(
                "coordination/_task_history_body.html",
                {"entries": task_timeline(task, request.user)},
            ),
        }

    parts = fragments.cached(
        request, "tasks:history", apps_read=LIST_APPS, vary=[pk], build=history_part
    )
    return render(request, "coordination/task_history.html", {"pk": pk, "parts": parts})
