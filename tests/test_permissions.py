"""Every URL of every app is in a permission matrix, method by method (the completeness
test): each URL name × method a view accepts is in a matrix, and every method a view
refuses answers 405 before anything else runs."""

import importlib
import inspect
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests

METHODS = ("get", "post")


def _patterns(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's own admin, guarded by is_staff
            if pattern.namespace == "api":
                # The REST API: its own completeness test knows DRF's methods (a viewset
                # route's actions, PUT/PATCH/DELETE) and its 401/405 answers
                # (tests/test_api_permissions.py).
                continue
            yield from _patterns(pattern.url_patterns, pattern.namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, pattern


def _allowed(callback) -> set[str]:
    """Methods a view accepts: a class-based view's handlers, a function view's
    ``require_http_methods`` list; both GET and POST when the view declares nothing."""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return {m for m in METHODS if m in view_class.http_method_names and hasattr(view_class, m)}
    function = callback
    while function is not None:
        listed = inspect.getclosurevars(function).nonlocals.get("request_method_list")
        if listed is not None:
            return {m.lower() for m in listed} & set(METHODS)
        function = getattr(function, "__wrapped__", None)
    return set(METHODS)


def _covered() -> set[tuple[str, str]]:
    covered: set[tuple[str, str]] = set()
    for module in pkgutil.iter_modules(tests.__path__):
        if module.name.startswith("test_") and module.name.endswith("_permissions"):
            if module.name == __name__.rsplit(".", 1)[-1]:
                continue
            covered |= set(importlib.import_module(f"tests.{module.name}").COVERED_URL_METHODS)
    return covered


URLS = dict(_patterns(get_resolver().url_patterns))


def test_every_url_and_method_is_in_a_permission_matrix():
    covered = _covered()
    missing = sorted(
        f"{method.upper()} {name}"
        for name, pattern in URLS.items()
        for method in _allowed(pattern.callback)
        if (name, method) not in covered
    )
    assert not missing, f"URL × method missing from the permission matrices: {missing}"


def _dummy_kwargs(pattern) -> dict:
    return {
        key: 999999 if converter.regex == "[0-9]+" else "KHONG-CO"
        for key, converter in pattern.pattern.converters.items()
    }


REFUSED = [
    (name, method)
    for name, pattern in URLS.items()
    for method in METHODS
    if method not in _allowed(pattern.callback)
]


@pytest.mark.parametrize("name,method", REFUSED, ids=[f"{m}-{n}" for n, m in REFUSED])
def test_a_method_the_view_refuses_gets_405(name, method, cast):
    url = reverse(name, kwargs=_dummy_kwargs(URLS[name]))
    response = getattr(cast("noivu"), method)(url)
    assert response.status_code == 405, (name, method, response.status_code)
