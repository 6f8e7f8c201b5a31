"""Who sees which API tokens: a user sees only their own (anyone else's id gives 404)."""

from __future__ import annotations

from agencies.access import register_visibility
from api.models import ApiToken


@register_visibility(ApiToken)
def _tokens(queryset, user):
    return queryset.filter(user_id=user.pk)
