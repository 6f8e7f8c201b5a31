"""Who sees what of calendar feeds (the app's half of the access contract).

A calendar address is its user's alone: the settings page reads only the signed-in user's
own row, and no URL names another user's. The feed itself (``/calendar/<secret>.ics``) is
public by its secret: whoever holds the address reads the deadlines its user would see on
the pages (``feeds.selectors.body_deadlines`` reads through ``visible_to(feed user)``), never
the requester's session."""

from __future__ import annotations

from agencies.access import register_visibility
from feeds.models import CalendarFeed


@register_visibility(CalendarFeed)
def _feeds(queryset, user):
    return queryset.filter(user_id=user.pk)
