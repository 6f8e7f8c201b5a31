"""The shape of the code (docs/architecture.md): dependencies point one way, no module
imports another that imports it back, every model a user can reach has a visibility rule,
views fetch only through it, and modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps

from agencies.access import visibility_rules

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    "agencies",
    "signing",
    "coordination",
    "scoring",
    "reports",
    "reorg",
    "sso",
    "feeds",
    "api",
    "bench",
    "phuyen_cchc",
]
# Packages with no models a user reaches (the benchmark, the project's settings and home).
NOT_FEATURE_APPS = {"bench", "phuyen_cchc"}
# Which top-level packages each package may import (the ground floor first).
MAY_IMPORT = {
    "agencies": {"agencies"},
    # Signing knows bodies and users only; uploads reach it through settings.UPLOAD_INSPECTORS.
    "signing": {"agencies", "signing"},
    "coordination": {"agencies", "coordination"},
    "scoring": {"agencies", "coordination", "scoring"},
    "reports": {"agencies", "signing", "coordination", "scoring", "reports"},
    # Reorganisation plans hand every app's open work over through its succession.py.
    "reorg": {"agencies", "coordination", "scoring", "reports", "reorg"},
    # Sign-in through the province's identity provider or directory: users and bodies only.
    "sso": {"agencies", "sso"},
    # Calendar feeds of deadlines: items and report rounds.
    "feeds": {"agencies", "coordination", "scoring", "reports", "feeds"},
    # The REST API reads every feature app through its access rules and services.
    "api": {"agencies", "signing", "coordination", "scoring", "reports", "api"},
}
# Models no URL reaches on its own: each is read only through its parent's rule.
INTERNAL_MODELS = {
    "agencies.Succession": "rows of an Agency's lineage, read with it in the directory",
    "agencies.AgencyName": "an Agency's former names, read with it",
    "agencies.Province": "the province in force, printed on every page (agencies.lineage)",
    "coordination.Nomination": "rows of a Contribution, read with it",
    "coordination.ReminderLog": "rows of a Participation, read with it",
    "reports.AgencyReportVersion": "frozen copies of an AgencyReport, read with it",
    "agencies.User": "the directory lists users through their Agency",
    "agencies.SecurityEvent": "the user's own events, read by user id",
    "agencies.UserSession": "the user's own sessions, read by user id",
    "agencies.OutgoingMail": "the outbox, for administrators in the admin site",
    "agencies.FormReceipt": "one-time form tokens, read by token and user in agencies.once",
    "signing.SigningCredential": "keys, for administrators in the admin site only",
    "signing.Seal": "seal images, for administrators in the admin site only",
    "signing.SignatureImage": "signature images, for administrators in the admin site only",
    "signing.TrustAnchor": "trust anchors, for administrators in the admin site only",
}


def _modules():
    for package in APPS:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            yield name.removesuffix(".__init__"), path


def _imports(path: Path) -> set[str]:
    """Every module imported anywhere in the file, at module level or in a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


MODULES = dict(_modules())


def _project_imports(name: str) -> set[str]:
    return {m for m in _imports(MODULES[name]) if m in MODULES and m != name}


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_dependencies_point_one_way(package):
    wrong = {
        f"{name} imports {target}"
        for name in MODULES
        if name.split(".")[0] == package
        for target in _project_imports(name)
        if target.split(".")[0] not in MAY_IMPORT[package]
    }
    assert not wrong, sorted(wrong)


def test_no_two_modules_import_each_other():
    graph = {name: _project_imports(name) for name in MODULES}
    # Package __init__ modules are imported implicitly by every submodule: not an edge back.
    cycles = set()

    def visit(node, path):
        for target in graph[node]:
            if target in path:
                cycle = path[path.index(target) :]
                if not any(n == target.rsplit(".", 1)[0] for n in cycle):
                    cycles.add(" -> ".join([*cycle, target]))
                continue
            if len(path) < 12:
                visit(target, [*path, target])

    for name in graph:
        visit(name, [name])
    assert not cycles, sorted(cycles)[:10]


def test_every_reachable_model_has_a_visibility_rule():
    rules = visibility_rules()
    missing = [
        model._meta.label
        for app in APPS
        if app not in NOT_FEATURE_APPS
        for model in apps.get_app_config(app).get_models()
        if not model.__name__.startswith("Historical")
        and not model.__name__.endswith("ObjectPermission")
        and model._meta.label not in INTERNAL_MODELS
        and model._meta.label not in rules
    ]
    assert not missing, f"models without a visibility rule: {missing}"


def test_views_fetch_only_through_the_access_layer():
    """No view looks an object up by id on its own (get_object_or_404 bypasses visible_to)."""
    offenders = [
        name
        for name, path in MODULES.items()
        if ".views" in name and "get_object_or_404" in path.read_text()
    ]
    assert not offenders, offenders


def test_no_module_is_over_600_lines():
    long = {
        name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > 600
    }
    assert not long, long


def test_a_long_function_says_why_in_its_docstring():
    """Functions stay short (STYLE.md); one over 40 lines carries its reason."""
    silent = [
        f"{name}:{node.lineno} {node.name}"
        for name, path in MODULES.items()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno >= 40
        and "long" not in (ast.get_docstring(node) or "").lower()
    ]
    assert not silent, silent
