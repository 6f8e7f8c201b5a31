"""The production settings plus the benchmark's bare page (served only by the bench run)."""

import os

from phuyen_cchc.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# The same hashed static URLs as production, without WhiteNoise's compressed copies: the bench
# requests no static file, and compressing ~1,100 files took ~90 s of every run (issue 14).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

# The two data sets' measuring processes share the bench's Redis database while they take
# turns within a page (``bench.run.pages_in_step``): each keeps its own keys (its data
# versions, page parts and sessions) under its own prefix.
CACHES["default"]["KEY_PREFIX"] = os.environ.get("BENCH_CACHE_PREFIX", "")  # noqa: F405
