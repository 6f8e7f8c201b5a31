"""Visibility rules of the ground floor's own models (the directory of bodies)."""

from __future__ import annotations

from agencies.access import register_visibility
from agencies.models import Agency


@register_visibility(Agency)
def _agencies(queryset, user):
    """The directory of bodies and their focal officers is open to every signed-in user:
    bodies must know whom they coordinate with."""
    return queryset
