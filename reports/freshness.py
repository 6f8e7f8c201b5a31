"""Knowing cheaply that a stored document is still current (issue 14).

``Ask.data_key`` (``reports.catalog``) is exact: two indexed queries per history table the
document reads, the names and the signer; 8 to 16 queries, 7–10 ms on the bench data, and
every download of a stored document paid them. A download rarely follows a change, so the
exact check is done once and remembered against a cheap witness of the same data
(``witness``): the *write stamps* of the tables the key reads, which django-cachalot keeps
in the shared cache (``agencies.fragments``; settings ``CACHALOT_*``; the signer's name by
the stamps of the bodies and of the people's version, ``catalog.Read``), together with
everything else in the key that is not read from those tables (layout version, kind,
object, parameters, today). While the witness is unchanged, the stored
document whose exact key was found current is served with one cache read.

Why this never serves a document built from older data:

- a witness is read *before* the exact key it is remembered with, and a change commits
  its stamp after it is written (in a transaction cachalot stamps at commit): a change
  committed after the exact key was computed moves a stamp, so the witness no longer
  matches and the exact key is computed again;
- outside a transaction cachalot stamps a table just before the statement that writes
  it, so a witness whose newest stamp is younger than ``SETTLE_SECONDS`` is not
  remembered (that statement may not have committed when the exact key was read);
- stamps are compared table by table for equality, never by their maximum (a
  transaction that wrote first but committed last sets an older stamp);
- a stamp missing from the cache (cleared, evicted, or never written since) is created
  with a new time (``add``): a stamp evicted and then written again always differs;
- a table cachalot does not track gives no witness: its documents are always checked
  exactly;
- a remembered check is trusted for ``TRUST_SECONDS`` at most (a process stopped between
  its commit and its stamp leaves a stale stamp; it cannot outlive this).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time

from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS

TRUST_SECONDS = 600
SETTLE_SECONDS = 5
PREFIX = "document-current"
logger = logging.getLogger("reports.freshness")


def _cachalot():
    from cachalot.cache import cachalot_caches
    from cachalot.settings import cachalot_settings
    from cachalot.utils import is_cachable

    return cachalot_caches, cachalot_settings, is_cachable


def _entry_key(kind: str, object_key: str) -> str:
    digest = hashlib.sha256(f"{kind}\x1f{object_key}".encode()).hexdigest()[:32]
    return f"{PREFIX}:{digest}"


def witness(kind: str, object_key: str, tables: list[str], values: list) -> tuple[str, object]:
    """(the witness of these tables' data and ``values``, the check remembered for this
    document or None), with one cache read; ("", None) when a table is not tracked. The
    witness is "" too while a stamp is younger than ``SETTLE_SECONDS``."""
    cachalot_caches, cachalot_settings, is_cachable = _cachalot()
    if not tables or not all(is_cachable(table) for table in tables):
        return "", None
    keygen = cachalot_settings.CACHALOT_TABLE_KEYGEN
    keys = [keygen(DEFAULT_DB_ALIAS, table) for table in tables]
    entry = _entry_key(kind, object_key)
    alias = cachalot_settings.CACHALOT_CACHE
    try:
        found = cachalot_caches.get_cache(alias, DEFAULT_DB_ALIAS).get_many([*keys, entry])
        if missing := [key for key in keys if key not in found]:
            found.update(_create_stamps(alias, missing))
    except Exception:  # the cache is down: the exact key decides, as before
        logger.warning("document freshness: cache unavailable", exc_info=True)
        return "", None
    stamps = [found[key] for key in keys]
    if max(stamps) > time.time() - SETTLE_SECONDS:
        return "", None
    payload = json.dumps([stamps, values], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest(), found.get(entry)


def _create_stamps(alias: str, keys: list[str]) -> dict:
    """Stamps for tables with none in the cache: a new time, older than the settling
    delay (nothing is being written that made them), unless a writer stamped first."""
    cache = caches[alias]
    stamp = time.time() - SETTLE_SECONDS - 1
    for key in keys:
        cache.add(key, stamp, None)
    return cache.get_many(keys)


def known_current(witness_key: str, remembered, data_key: str) -> bool:
    """Whether the stored document with ``data_key`` was found current under this witness."""
    return bool(witness_key) and remembered == [witness_key, data_key]


def remember(kind: str, object_key: str, witness_key: str, data_key: str) -> None:
    """Remember that ``data_key`` is current while the witness read before it holds."""
    if witness_key:
        alias = _cachalot()[1].CACHALOT_CACHE
        try:
            caches[alias].set(_entry_key(kind, object_key), [witness_key, data_key], TRUST_SECONDS)
        except Exception:
            logger.warning("document freshness: cache unavailable", exc_info=True)
