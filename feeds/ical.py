"""The calendar file (RFC 5545, written by the ``icalendar`` package) of a body's deadlines.

Each deadline is an all-day event on its date with a stable UID (so a calendar program that
reads the feed again updates the event rather than adding a second one), the page's address
as URL and at the end of the description, and a reminder (VALARM DISPLAY) at 09:00,
``settings.ICAL_ALARM_DAYS`` days before. ``icalendar`` folds lines at 75 octets and ends
them with CRLF; text is UTF-8 with full Vietnamese diacritics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event, vDuration

from feeds.selectors import Deadline

PRODID = "-//Cổng điều phối CCHC//Lịch hạn xử lý//VI"
TIMEZONE = "Asia/Ho_Chi_Minh"
REFRESH = dt.timedelta(hours=1)  # how often a calendar program should read the feed again
ALARM_HOUR = 9  # the reminder rings at this hour, ICAL_ALARM_DAYS days before


def uid_domain() -> str:
    """The right-hand side of every UID: this portal's host name (``SITE_URL``), fixed per
    installation so the UIDs do not depend on the address a feed was read through."""
    return urlsplit(settings.SITE_URL).hostname or "cchc.phuyen.gov.vn"


def alarm_trigger(days: int) -> dt.timedelta:
    """Offset from the start of the deadline's day (00:00) to ``ALARM_HOUR`` ``days`` days
    before: -15 hours for one day before."""
    return dt.timedelta(hours=ALARM_HOUR) - dt.timedelta(days=days)


def calendar_name(user) -> str:
    return _("CCHC – %(name)s") % {"name": user.agency.name if user.agency_id else str(user)}


def _event(deadline: Deadline, link: str, stamp: dt.datetime, domain: str) -> Event:
    event = Event()
    event.add("uid", f"{deadline.uid}@{domain}")
    event.add("dtstamp", stamp)
    event.add("dtstart", deadline.day)
    event.add("dtend", deadline.day + dt.timedelta(days=1))
    event.add("summary", deadline.summary)
    event.add("description", "\n".join([*deadline.details, _("Xem: %(url)s") % {"url": link}]))
    event.add("url", link)
    event.add("transp", "TRANSPARENT")  # a deadline does not make the day busy
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", deadline.summary)
    alarm.add("trigger", alarm_trigger(settings.ICAL_ALARM_DAYS))
    event.add_component(alarm)
    return event


def build_calendar(
    *, name: str, deadlines: Iterable[Deadline], absolute: Callable[[str], str]
) -> bytes:
    """The feed's bytes. ``absolute`` turns a page path into the full address (the view
    builds it from the request)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", TIMEZONE)
    calendar.add("x-wr-caldesc", _("Hạn công việc CCHC của cơ quan trên Cổng điều phối"))
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    domain = uid_domain()
    for deadline in deadlines:
        calendar.add_component(_event(deadline, absolute(deadline.path), stamp, domain))
    return calendar.to_ical()
