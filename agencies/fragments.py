"""Rendered page parts kept in the shared cache, keyed by the data they were built from.

A fragment (the table of a work list, the overview's rows) is rendered once and served
from the cache until the data it shows changes (issue 14, docs/benchmark.md). Its key is
made of everything the HTML depends on:

- the **data version** of the apps it reads: when any of their tables was last written,
  recorded by django-cachalot in invalidation-only mode (``CACHALOT_ENABLED = False``: it
  caches no query, it only notes every INSERT, UPDATE and DELETE — ORM, bulk and raw SQL
  alike — after the transaction commits). Tables written by background work or by the
  reader themselves (the bell's notifications, ``settings.FRAGMENT_TABLES_APART``) are
  tracked on their own, outside their app's version: a part that shows them names them in
  ``tables_read``;
- the user (what one sees is decided per user by each app's ``access.py``), the language,
  today's date (lateness is counted in days), and what the caller passes in ``vary`` (the
  page's query string, a page number);

A fragment may hold forms: ``render`` puts a placeholder where ``{% csrf_token %}`` writes the
token, and ``cached`` replaces it with the reader's own token on every request. A create
form's one-time token (``agencies.once``) must be new on every page: such forms stay
outside fragments (``cached`` refuses them).

Nothing is ever served after a change: a write moves the version, and the old key is simply
no longer asked for (it expires after ``FRAGMENT_TIMEOUT``). Tables written on every request
or by background mail are not tracked (settings ``CACHALOT_UNCACHABLE_TABLES``).
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Iterable

from cachalot.api import invalidate
from cachalot.cache import cachalot_caches
from cachalot.settings import cachalot_settings
from cachalot.utils import is_cachable
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import DEFAULT_DB_ALIAS
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from agencies import once

__all__ = ["FRAGMENT_TIMEOUT", "cached", "data_version", "kept", "render", "tables_of"]

# A fragment nobody asks for again leaves the cache after a day.
FRAGMENT_TIMEOUT = 24 * 3600
_TABLES: dict[tuple[str, ...], tuple[str, ...]] = {}
# The version of the people pages show: the user table itself is not tracked (every sign-in
# writes it), ``people_changed`` moves this one.
PEOPLE = "fragments_people"
# What ``{% csrf_token %}`` writes in a cached fragment; the reader's token replaces it.
CSRF_PLACEHOLDER = "__fragment_csrf_token__"
_MISSING = object()


def tables_of(app_labels: Iterable[str]) -> tuple[str, ...]:
    """Every table of these apps (their models, history, many-to-many), computed once."""
    labels = tuple(sorted(app_labels))
    if labels not in _TABLES:
        tables = set()
        for label in labels:
            for model in apps.get_app_config(label).get_models(include_auto_created=True):
                tables.add(model._meta.db_table)
        _TABLES[labels] = tuple(sorted(tables))
    return _TABLES[labels]


def _apart() -> tuple[str, ...]:
    return tuple(getattr(settings, "FRAGMENT_TABLES_APART", ()))


@functools.cache
def _stamp_keys(app_labels: tuple[str, ...], tables_read: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The cache keys of the write stamps of these apps' tracked tables (and the people
    version) and of ``tables_read`` (tables tracked apart). Tables cachalot never stamps
    (``CACHALOT_UNCACHABLE_TABLES``) are left out: their keys would always be missing."""
    tables = [t for t in tables_of(app_labels) if is_cachable(t) and t not in _apart()]
    if "agencies" in app_labels:
        tables.append(PEOPLE)
    keygen = cachalot_settings.CACHALOT_TABLE_KEYGEN
    return tuple(keygen(DEFAULT_DB_ALIAS, t) for t in [*tables, *tables_read])


def _read_stamps(keys: Iterable[str]) -> dict[str, float]:
    """The stamps under these keys, in one cache read. From Redis the keys are made once per
    process and read by the backend's client: Django's ``get_many`` makes and checks every
    key on every call (~0.1 ms for the ~60 keys of a page)."""
    stamps = cachalot_caches.get_cache("default", DEFAULT_DB_ALIAS)
    keys = list(keys)
    client = getattr(stamps, "_cache", None) if isinstance(stamps, RedisCache) else None
    if client is None:
        return stamps.get_many(keys)
    made = _made_keys(stamps, tuple(keys))
    return {made[k]: v for k, v in client.get_many(list(made)).items()}


@functools.lru_cache(maxsize=64)
def _made_keys(stamps, keys: tuple[str, ...]) -> dict[str, str]:
    return {stamps.make_and_validate_key(k): k for k in keys}


def _digest(stamps: dict[str, float]) -> tuple[str, float]:
    """Every table's own stamp, not their maximum — a transaction that wrote early and
    committed late records an older stamp than one already seen, and must still change the
    version — and the newest stamp."""
    digest = hashlib.sha256(repr(sorted(stamps.items())).encode()).hexdigest()
    return digest, max(stamps.values(), default=0.0)


def data_version(app_labels: Iterable[str], tables_read: Iterable[str] = ()) -> tuple[str, float]:
    """These apps' (and tables') data version (one cache read) and their newest write stamp."""
    return _digest(_read_stamps(_stamp_keys(tuple(sorted(app_labels)), tuple(tables_read))))


def people_changed(sender, instance, update_fields=None, **kwargs) -> None:
    """A user saved (``post_save``): unless only the sign-in time changed, the pages that
    show people (names, bodies, who is active) are built again."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    invalidate(PEOPLE, cache_alias="default")


def _version(request, app_labels: Iterable[str], tables_read=()) -> tuple[str, float]:
    """``data_version`` within a request: the first part read on a page fetches the stamps
    of every tracked app and table at once (one cache read for the page's parts, its header
    and the bell)."""
    memo = request.__dict__.setdefault("_fragment_stamps", {"read": set(), "stamps": {}})
    keys = _stamp_keys(tuple(sorted(app_labels)), tuple(tables_read))
    missing = [k for k in keys if k not in memo["read"]]
    if missing:
        tracked = _stamp_keys(tuple(sorted(settings.CACHALOT_ONLY_CACHABLE_APPS)), _apart())
        wanted = [*dict.fromkeys([*missing, *(k for k in tracked if k not in memo["read"])])]
        memo["stamps"].update(_read_stamps(wanted))
        memo["read"].update(wanted)
    return _digest({k: memo["stamps"][k] for k in keys if k in memo["stamps"]})


def _key(request, name: str, app_labels: Iterable[str], vary: Iterable, tables_read=()) -> str:
    user = request.user
    parts = [
        name,
        str(user.pk),
        translation.get_language() or settings.LANGUAGE_CODE,
        timezone.localdate().isoformat(),
        _version(request, app_labels, tables_read)[0],
        *(str(v) for v in vary),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"fragment:{name}:{digest}"


def _settled(request, app_labels: Iterable[str], tables_read=()) -> bool:
    """Outside a transaction cachalot stamps a table just before the write runs: a part
    built within ``FRAGMENT_SETTLE_SECONDS`` of the newest stamp may predate the write it names, so
    it is served but not kept (``FRAGMENT_SETTLE_SECONDS``, 5 s)."""
    settle = getattr(settings, "FRAGMENT_SETTLE_SECONDS", 5)
    return time.time() - _version(request, app_labels, tables_read)[1] > settle


def cached(
    request,
    name: str,
    *,
    apps_read: Iterable[str],
    build: Callable[[], str | dict[str, str]],
    vary: Iterable = (),
) -> SafeString | dict[str, SafeString]:
    """The HTML ``build()`` renders, from the cache while ``apps_read``'s data is unchanged.

    ``build`` runs the queries and renders the template only on a miss; everything it shows
    must come from ``apps_read`` (plus the user, language, date and ``vary``). It may return
    several named parts of one page (``{"title": ..., "body": ...}``, each already escaped
    HTML), kept and returned together. A ``build`` that raises (a 404 for an object the user
    may not see) keeps nothing: a page whose ``build`` checks access first is served from
    the cache only to a user who passed that check at the same data version."""

    def checked() -> str | dict[str, str]:
        built = build()
        value = {k: str(v) for k, v in built.items()} if isinstance(built, dict) else str(built)
        for html in value.values() if isinstance(value, dict) else [value]:
            _check(name, html)
        return value

    value = kept(request, name, apps_read=apps_read, build=checked, vary=vary)
    if isinstance(value, dict):
        return {k: _filled(request, html) for k, html in value.items()}
    return _filled(request, value)


def kept(
    request,
    name: str,
    *,
    apps_read: Iterable[str],
    build: Callable,
    vary: Iterable = (),
    tables_read: tuple[str, ...] = (),
):
    """What ``build()`` returns (any picklable value: model instances, a dict of flags),
    from the cache while ``apps_read``'s data (and ``tables_read``'s, tables tracked apart)
    is unchanged, under the same key as a part (user, language, date, data version,
    ``vary``). For what a page needs besides its HTML: the object it is about, fetched
    through the access rule, and the user's actions on it; the bell's unread count."""
    key = _key(request, name, apps_read, vary, tables_read)
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = build()
        if _settled(request, apps_read, tables_read):
            cache.set(key, value, FRAGMENT_TIMEOUT)
    return value


def _check(name: str, html: str) -> None:
    """Refuse to keep a part whose forms would carry one reader's tokens to another: a CSRF
    token rendered as such (not the placeholder ``render`` writes) or a one-time token."""
    if "csrfmiddlewaretoken" in html and CSRF_PLACEHOLDER not in html:
        raise ValueError(f"The fragment {name!r} has a form: render it with fragments.render")
    if f'name="{once.FIELD}"' in html:  # a one-time token must be new on every page
        raise ValueError(f"The fragment {name!r} has a create form: keep it outside")


def _filled(request, html: str) -> SafeString:
    """The part with the reader's own CSRF token in its forms."""
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return mark_safe(html)


def render(template: str, context: dict) -> str:
    """A fragment's HTML: the template with ``context`` only (no context processors: the
    page around it has run them), forms' CSRF tokens left for ``cached`` to fill in."""
    return render_to_string(template, {**context, "csrf_token": CSRF_PLACEHOLDER})
