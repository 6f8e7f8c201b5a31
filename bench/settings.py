"""The production settings plus the benchmark's bare page (served only by the bench run)."""

from phuyen_cchc.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# The same hashed static URLs as production, without WhiteNoise's compressed copies: the bench
# requests no static file, and compressing ~1,100 files took ~90 s of every run (issue 14).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
