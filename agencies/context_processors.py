from django.conf import settings

from agencies.access import nav_for
from agencies.lineage import province_on
from agencies.roles import ROLE_LABELS, user_roles


def portal(request) -> dict:
    user = getattr(request, "user", None)
    province = province_on(cached=True)
    if user is None or not user.is_authenticated:
        return {"nav": {}, "demo_mode": settings.DEMO_MODE, "province": province}
    return {
        "nav": nav_for(user),
        "user_role_labels": [ROLE_LABELS[r] for r in sorted(user_roles(user)) if r in ROLE_LABELS],
        "demo_mode": settings.DEMO_MODE,
        "province": province,
    }
