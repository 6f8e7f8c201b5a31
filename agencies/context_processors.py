from django.conf import settings
from django.utils.functional import SimpleLazyObject

from agencies import fragments
from agencies.access import nav_for
from agencies.lineage import province_on
from agencies.roles import ROLE_LABELS, user_roles

# What the header's user part shows: the user, their body, their roles (issue 14).
CHROME_APPS = ("auth", "agencies")
# The menu entries marked as the current page: by URL name, or by the section's address.
_CURRENT_BY_NAME = ("home", "task_list", "task_overview", "agency_list", "job_list")
_CURRENT_BY_PATH = (
    ("/scoring/", "scoring"),
    ("/reports/", "reports"),
    ("/reorganisation/", "reorg"),
)


def portal(request) -> dict:
    """The header and menu of every page. Roles and the menu are computed only when a
    template asks for them: the header reads them from its cached part (``chrome``)."""
    user = getattr(request, "user", None)
    province = province_on(cached=True)
    if user is None or not user.is_authenticated:
        return {"nav": {}, "demo_mode": settings.DEMO_MODE, "province": province}
    return {
        "nav": SimpleLazyObject(lambda: nav_for(user)),
        "user_role_labels": SimpleLazyObject(
            lambda: [ROLE_LABELS[r] for r in sorted(user_roles(user)) if r in ROLE_LABELS]
        ),
        "chrome": SimpleLazyObject(lambda: chrome(request)),
        "demo_mode": settings.DEMO_MODE,
        "province": province,
    }


def current_section(request) -> str:
    """Which menu entry the page belongs to ("" for none)."""
    match = request.resolver_match
    for prefix, section in _CURRENT_BY_PATH:
        if request.path.startswith(prefix):
            return section
    if match is not None and match.app_names[:1] == ["scoring"]:
        return "scoring"
    name = match.url_name if match is not None else ""
    return name if name in _CURRENT_BY_NAME else ""


def chrome(request) -> dict:
    """The header's user box and menu (around the live bell count), from the cache while
    the user, their body and their roles are unchanged."""
    section = current_section(request)

    def build() -> dict[str, str]:
        html = fragments.render(
            "_chrome.html", {"user": request.user, "nav": nav_for(request.user), "section": section}
        )
        head, rest = html.split("<!--chrome:nav-->")
        nav, after_bell = rest.split("<!--chrome:after-bell-->")
        return {"userbox": head, "nav": nav, "after_bell": after_bell}

    return fragments.cached(request, "chrome", apps_read=CHROME_APPS, vary=[section], build=build)
