"""The cache settings (``phuyen_cchc.settings`` reads them from here).

Cache: shared by every app server and worker, never per process (docs/deployment.md), so
nothing cached on one machine is missing or stale on another. The database table
``cchc_cache`` by default (``migrate`` creates it before its first migration; the test
runner too); ``CACHE_URL=redis://host:6379/1`` uses Redis instead. Sessions are in the
database (Django's default engine), sign-in lockouts too (django-axes' database handler).

Data versions of cached page parts (issue 14; ``agencies/fragments.py``,
docs/benchmark.md): django-cachalot caches no query here, it records when each table of
``TRACKED_APPS`` was last written (after commit; ORM, bulk and raw SQL). Not tracked: tables
written on every request or sign-in, mail, form receipts, notifications, documents being
built and import jobs; a change of a person moves ``fragments_people`` instead
(``agencies.fragments.people_changed``). Notifications are tracked apart (``TRACKED_APART``):
written by reminders and by the reader, they move only the bell's unread count, not the
version of everything ``coordination`` shows.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

TRACKED_APPS = ("auth", "guardian", "agencies", "coordination", "scoring", "reports", "reorg")
TRACKED_EXTRA = ("fragments_people",)  # not a table: agencies.fragments.PEOPLE
# Tracked, but outside their app's data version: a part names them (``tables_read``).
TRACKED_APART = ("coordination_notification",)
UNTRACKED_TABLES = (
    "django_migrations",
    "agencies_securityevent",
    "agencies_usersession",
    "agencies_outgoingmail",
    "agencies_formreceipt",
    "agencies_user",
    "agencies_historicaluser",
    "reports_documentjob",
    "reports_documentjob_requesters",
    "reports_generateddocument",
    "reports_historicalgenerateddocument",
    "scoring_importjob",
)


def caches(cache_url: str) -> dict:
    if cache_url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": cache_url,
            }
        }
    if cache_url:
        raise ImproperlyConfigured("CACHE_URL must be empty (database cache) or a redis:// URL.")
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "cchc_cache",
            "OPTIONS": {"MAX_ENTRIES": 200_000},  # a day of per-user page parts
        }
    }
