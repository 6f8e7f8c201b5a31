"""Every URL of every app is in a permission matrix (the completeness test)."""

import importlib
import pkgutil

from django.urls import URLPattern, URLResolver, get_resolver

import tests


def _url_names(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's own admin, guarded by is_staff
            yield from _url_names(pattern.url_patterns, pattern.namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def _covered() -> set[str]:
    covered: set[str] = set()
    for module in pkgutil.iter_modules(tests.__path__):
        if (
            module.name.startswith("test_")
            and module.name.endswith("_permissions")
            and module.name != __name__.rsplit(".", 1)[-1]
        ):
            covered |= set(importlib.import_module(f"tests.{module.name}").COVERED_URL_NAMES)
    return covered


def test_every_url_is_in_a_permission_matrix():
    missing = set(_url_names(get_resolver().url_patterns)) - _covered()
    assert not missing, f"URLs missing from the permission matrices: {sorted(missing)}"
