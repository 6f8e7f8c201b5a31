"""Bodies over time: the one place that answers what a body was called on a date, which
province the portal served on a date, and which bodies a body's work came from.

A body's own fields hold its current name; ``AgencyName`` rows hold the names it carried
before a date, so a record is printed with the name of its own date. Successions link a
body that ended to the bodies that took over its work (``Succession``); the users of a
successor read the records of every body before it (the archive they inherit).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, ProgrammingError
from django.utils import timezone

from agencies.models import Agency, AgencyName, Province, Succession


@dataclass(frozen=True)
class BodyName:
    code: str
    name: str
    short_name: str
    abbreviation: str

    def __str__(self) -> str:
        return self.name


def name_on(agency: Agency, day: dt.date | dt.datetime | None) -> BodyName:
    """The body's name on ``day``: the earliest former name still in use on that day, else
    its current name. Uses prefetched ``former_names`` when present (no query)."""
    current = BodyName(agency.code, agency.name, agency.short_name, agency.abbreviation)
    if day is None:
        return current
    if isinstance(day, dt.datetime):
        day = timezone.localdate(day) if timezone.is_aware(day) else day.date()
    cache = getattr(agency, "_prefetched_objects_cache", {})
    if "former_names" in cache:
        former = sorted(
            (n for n in cache["former_names"] if n.valid_to >= day), key=lambda n: n.valid_to
        )
        row = former[0] if former else None
    else:
        row = agency.former_names.filter(valid_to__gte=day).order_by("valid_to").first()
    if row is None:
        return current
    return BodyName(row.code, row.name, row.short_name, row.abbreviation)


@dataclass(frozen=True)
class ProvinceName:
    name: str  # "tỉnh Phú Yên"
    short_name: str  # "Phú Yên": the place name on documents
    regulation: str = ""

    @property
    def upper(self) -> str:
        """`PHÚ YÊN`, for `UBND TỈNH PHÚ YÊN`."""
        return self.short_name.upper()


def province_on(day: dt.date | None = None, *, cached: bool = False) -> ProvinceName:
    """The province in force on ``day`` (today by default), from the ``Province`` rows;
    a portal with none configured falls back to ``PORTAL_PROVINCE_NAME``.

    Documents read the rows afresh; pages pass ``cached=True`` and read them from this
    process's memory (cleared when a row is saved here, re-read after ``PROVINCE_TTL``
    seconds elsewhere), so the page header costs no query."""
    day = day or timezone.localdate()
    if isinstance(day, dt.datetime):
        day = timezone.localdate(day) if timezone.is_aware(day) else day.date()
    rows = _cached_provinces() if cached else list(Province.objects.all())
    for row in rows:
        if row.exists_on(day):
            return ProvinceName(row.name, row.short_name, row.regulation)
    short = settings.PORTAL_PROVINCE_NAME
    return ProvinceName(f"tỉnh {short}" if short else "", short, settings.PORTAL_REGULATION)


PROVINCE_TTL = 300
_memo: dict[str, object] = {}


def _cached_provinces() -> list[Province]:
    now = time.monotonic()
    if _memo.get("until", 0) < now:
        try:
            rows = list(Province.objects.all())
        except (OperationalError, ProgrammingError):
            # A database not migrated yet (the error pages of a server just started) has
            # no provinces: the header falls back to the settings, nothing is remembered.
            return []
        _memo["rows"] = rows
        _memo["until"] = now + PROVINCE_TTL
    return _memo["rows"]


def forget_provinces(**_kwargs) -> None:
    """Signal receiver (and test hook): the next page reads the ``Province`` rows again."""
    _memo.clear()


def predecessor_ids(agency_ids) -> set[int]:
    """Every body whose work reached one of ``agency_ids`` through successions, however
    many steps back (not the bodies themselves). One query per generation."""
    found: set[int] = set()
    frontier = {pk for pk in agency_ids if pk}
    while frontier:
        parents = set(
            Succession.objects.filter(successor_id__in=frontier).values_list(
                "predecessor_id", flat=True
            )
        )
        frontier = parents - found - set(agency_ids)
        found |= frontier
    return found


def readable_agency_ids(user) -> list[int]:
    """The user's body and every body before it: the records a successor's users read
    (read-only; acting stays with their own body). From the body's ``archive_ids``, so no
    query beyond loading the user's body."""
    if not getattr(user, "agency_id", None):
        return []
    return [user.agency_id, *user.agency.archive_ids]


def on_succession_changed(sender, instance, **kwargs) -> None:
    """Signal receiver: a succession written or removed (the reorganisation service, the
    admin) changes the archive of its successor and of every body after it."""
    refresh_archive([instance.successor_id])


def refresh_archive(agency_ids) -> None:
    """Recompute ``archive_ids`` of ``agency_ids`` and of every body after them (call it
    after writing successions; a handful of queries per generation)."""
    pending = {pk for pk in agency_ids if pk}
    seen: set[int] = set()
    while pending:
        for agency_id in pending:
            Agency.objects.filter(pk=agency_id).update(
                archive_ids=sorted(predecessor_ids([agency_id]))
            )
        seen |= pending
        pending = (
            set(
                Succession.objects.filter(predecessor_id__in=pending).values_list(
                    "successor_id", flat=True
                )
            )
            - seen
        )


def default_successor(agency: Agency) -> Agency | None:
    """The body that took the ended body's open work (a split's default row)."""
    row = (
        Succession.objects.filter(predecessor=agency)
        .select_related("successor")
        .order_by("-is_default", "successor__sort_order")
        .first()
    )
    return row.successor if row else None


def default_successors() -> dict[int, Agency]:
    """Every ended body's default successor by the ended body's id (one query), for code
    that asks ``body_on`` about many bodies."""
    rows = Succession.objects.select_related("successor").order_by(
        "predecessor_id", "-is_default", "successor__sort_order"
    )
    found: dict[int, Agency] = {}
    for row in rows:
        found.setdefault(row.predecessor_id, row.successor)
    return found


def body_on(
    agency: Agency, day: dt.date, successors: dict[int, Agency] | None = None, steps: int = 3
) -> Agency | None:
    """The body itself on ``day``, else the default successor that exists then (following
    successions up to ``steps`` times), else None. ``successors`` is
    ``default_successors()`` when the caller asks about many bodies (no query here)."""
    candidate: Agency | None = agency
    for _step in range(steps + 1):
        if candidate is None:
            return None
        if candidate.exists_on(day):
            return candidate
        if successors is not None:
            candidate = successors.get(candidate.pk)
        else:
            candidate = default_successor(candidate)
    return None


def lineage(agency: Agency) -> dict[str, list[Succession]]:
    """The body's predecessors and successors with dates and legal basis (two queries)."""
    return {
        "predecessors": list(
            Succession.objects.filter(successor=agency).select_related("predecessor")
        ),
        "successors": list(
            Succession.objects.filter(predecessor=agency).select_related("successor")
        ),
    }


__all__ = [
    "AgencyName",
    "BodyName",
    "ProvinceName",
    "body_on",
    "default_successor",
    "default_successors",
    "lineage",
    "name_on",
    "predecessor_ids",
    "province_on",
    "readable_agency_ids",
    "refresh_archive",
]
