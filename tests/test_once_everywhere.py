"""No duplicates, ever (issue 18, point 9): every create form carries a one-time token
that its view checks (``agencies/once.py``).

The test walks the URL conf. A view creates something when its name or a service it calls
says so (create, add, copy, new, import, upload, appeal); such a view must run its write
inside ``once(request)`` (in its own body or a helper of its module it calls), and every
POST form in the templates that sends to it must carry ``{% once_token %}``. A view whose
name matches but that creates nothing new is listed in ``NOT_CREATING`` with the reason, so
a new create view cannot slip through unnoticed."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from django.conf import settings
from django.urls import URLResolver, get_resolver

APPS = {"agencies", "coordination", "scoring", "reports", "reorg", "phuyen_cchc"}
CREATES = re.compile(r"create|add|copy|new|import|upload|appeal")
CALL = re.compile(r"\b(\w*services|planning|delivery|jobs|reminders)\.(\w+)\(")

# Create forms named in the issue: they must be found by the walk, whatever the heuristic.
KNOWN = {
    "task_create",  # items
    "contribution_new",  # contributions
    "round_create",  # report rounds
    "rounds_create_year",
    "criteria_set_copy",  # criteria copies
    "criteria_set_import",
    "period_create",  # scoring periods
    "evidence_upload",  # evidence rows
    "appeal_submit",  # appeals
    "assignment_add",  # appraiser assignments
}

NOT_CREATING = {
    # Every body has one consolidated report per round: get-or-create, then edit.
    "consolidated_edit": "edits the round's single consolidated report (get or create)",
    "appeal_decide": "decides a pending appeal: a change of state, refused once decided",
    "criteria_set_template": "a GET download of the empty spreadsheet",
    "plan_template": "a GET download of the empty spreadsheet",
}


def _walk(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns)
        elif pattern.name:
            yield pattern.name, inspect.unwrap(pattern.callback)


def _views() -> dict:
    return {
        name: view
        for name, view in _walk(get_resolver().url_patterns)
        if getattr(view, "__module__", "").split(".")[0] in APPS
    }


def _source(view, depth: int = 2) -> str:
    """The view's code and that of the module's own functions it calls (``depth`` deep)."""
    try:
        text = inspect.getsource(view)
    except (OSError, TypeError):
        return ""
    if depth:
        module = inspect.getmodule(view)
        for name in set(re.findall(r"\b(_?\w+)\(", text)):
            helper = getattr(module, name, None)
            if (
                inspect.isfunction(helper)
                and helper is not view
                and helper.__module__ == module.__name__
            ):
                text += _source(helper, depth - 1)
    return text


def _creates(name: str, view) -> bool:
    calls = {call for _mod, call in CALL.findall(_source(view, depth=1))}
    return name not in NOT_CREATING and (
        bool(CREATES.search(name)) or any(CREATES.search(c) for c in calls)
    )


def _templates() -> dict[str, str]:
    roots = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    return {
        str(path.relative_to(root)): path.read_text(encoding="utf-8")
        for root in roots
        for path in root.rglob("*.html")
    }


FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)
ACTION = re.compile(r"""action="\{%\s*url\s+['"](\w+)['"]""")


def _post_forms(text: str) -> list[tuple[str | None, str]]:
    """(URL name the form sends to, or None for "this page"; the form's markup)."""
    forms = []
    for block in FORM.findall(text):
        opening = block[: block.index(">") + 1]
        if 'method="post"' not in opening.lower():
            continue
        match = ACTION.search(opening)
        forms.append((match.group(1) if match else None, block))
    return forms


def _rendered_templates(view) -> set[str]:
    module = inspect.getmodule(view)
    text = _source(view)
    names = set(re.findall(r"""["']([\w/]+\.html)["']""", text))
    for constant in re.findall(r"\b(TEMPLATE_\w+)\b", text):
        value = getattr(module, constant, None)
        if isinstance(value, str):
            names.add(value)
    return names


def test_the_walk_finds_every_create_form_named_in_the_issue():
    views = _views()
    found = {name for name, view in views.items() if _creates(name, view)}
    assert KNOWN - set(views) == set(), "a create URL of the issue is gone"
    assert found >= KNOWN


def test_every_create_view_checks_a_one_time_token():
    missing = [
        f"{name} ({view.__module__}.{view.__name__})"
        for name, view in _views().items()
        if _creates(name, view) and "once(request)" not in _source(view)
    ]
    assert not missing, (
        "create views without `with once(request) as receipt:` around their write: "
        + ", ".join(missing)
    )


def test_every_form_that_sends_to_a_create_view_carries_the_token():
    views = _views()
    creating = {name for name, view in views.items() if _creates(name, view)}
    templates = _templates()
    by_template: dict[str, set[str]] = {}
    for name in creating:
        for template in _rendered_templates(views[name]):
            by_template.setdefault(template, set()).add(name)
    missing, seen = [], set()
    for path, text in templates.items():
        for target, block in _post_forms(text):
            targets = {target} if target else by_template.get(path, set())
            for name in targets & creating:
                seen.add(name)
                if "once_token" not in block:
                    missing.append(f"{path} → {name}")
    assert not missing, "create forms without {% once_token %}: " + ", ".join(missing)
    assert seen >= KNOWN, f"no form found for {sorted(KNOWN - seen)}"


def test_the_walker_sees_a_form_without_its_token():
    """The check itself: a form sending to a create view without the token is caught."""
    bad = """<form method="post" action="{% url 'task_create' %}">{% csrf_token %}</form>"""
    good = """<form method="post" action="{% url 'task_create' %}">{% once_token %}</form>"""
    [(target, block)] = _post_forms(bad)
    assert target == "task_create" and "once_token" not in block
    [(_target, block)] = _post_forms(good)
    assert "once_token" in block
    assert _post_forms('<form method="get" action="{% url \'task_list\' %}"></form>') == []
