"""The API's rate limit: API_TOKEN_RATE (default "600/min") per token, and the same rate
per user for requests signed in with the portal's session; over it, 429 with Retry-After.

Counted in the default cache (the database cache unless CACHE_URL names Redis), which
every app server shares, so the limit holds across processes. The rate is read from
``settings.API_TOKEN_RATE`` each time (DRF builds the throttle per request), so tests can
change it with the settings fixture."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_rate(self) -> str:
        return settings.API_TOKEN_RATE

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"t{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            return None  # refused by authentication; public schema pages are not counted
        return self.cache_format % {"scope": self.scope, "ident": ident}
