"""The portal's URLs plus a bare page: a 50-row table rendered by Django, no database.

It is the yardstick for throughput (issue 7): the same server, middleware and template
engine, nothing from the database. Served only through ``bench.settings``, never by the
portal's own URL configuration.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from phuyen_cchc.urls import urlpatterns as portal_urlpatterns

ROWS = [
    {
        "n": n,
        "title": f"Nhiệm vụ phối hợp số {n}: triển khai kế hoạch cải cách hành chính",
        "chair": f"Sở thử tải số {n % 17}",
        "due": f"{1 + n % 28:02d}/{1 + n % 12:02d}/2026",
        "state": "Trong hạn" if n % 3 else "Quá hạn",
    }
    for n in range(1, 51)
]

TEMPLATE = engines["django"].from_string(
    """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Bare</title></head>
<body><main><h1>Bảng 50 dòng</h1><table class="table">
<thead><tr><th>#</th><th>Nhiệm vụ</th><th>Chủ trì</th><th>Hạn</th><th>Tình trạng</th></tr></thead>
<tbody>{% for r in rows %}<tr><td>{{ r.n }}</td><td><a href="/tasks/{{ r.n }}/">{{ r.title }}</a>
</td><td>{{ r.chair }}</td><td>{{ r.due }}</td><td><span class="badge">{{ r.state }}</span></td>
</tr>{% endfor %}</tbody></table></main></body></html>"""
)


@login_not_required
def bare_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(TEMPLATE.render({"rows": ROWS}, request))


urlpatterns = [path("__bench__/bare/", bare_page, name="bench_bare"), *portal_urlpatterns]
