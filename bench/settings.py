"""The production settings plus the benchmark's bare page (served only by the bench run)."""

from phuyen_cchc.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
