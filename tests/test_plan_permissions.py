"""Who may enter the annual plan (copy from an earlier year, import from .xlsx): only Nội vụ
officers; refused requests create nothing. Read by tests/test_permissions.py."""

from __future__ import annotations

import base64

import pytest
from django.urls import reverse

from coordination.models import Task
from tests.conftest import CAST
from tests.test_plan import YEAR, expect, item_in, plan_row, xlsx

# --- Permissions --------------------------------------------------------------------------


def _copy_it(task: Task) -> dict:
    return {"year": YEAR, "task": [task.pk], "action": "copy", "once": "token-of-the-copy-form"}


def _import_it(task: Task) -> dict:
    content = base64.b64encode(xlsx([plan_row(1)])).decode()
    return {"action": "save", "payload": content, "payload_name": "k.xlsx", "once": "t" * 24}


# (url name, method, POST data for the source item, status per cast member); allowed POSTs
# create items, refused ones create nothing.
MATRIX = [
    ("plan_copy", "get", None, expect(403, noivu=200)),
    ("plan_copy", "post", _copy_it, expect(403, noivu=302)),
    ("plan_import", "get", None, expect(403, noivu=200)),
    ("plan_import", "post", _import_it, expect(403, noivu=302)),
    ("plan_template", "get", None, expect(403, noivu=200)),
]
COVERED_URL_METHODS = {(row[0], row[1]) for row in MATRIX}


@pytest.mark.django_db
@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize(("url_name", "method", "data", "codes"), MATRIX)
def test_only_noivu_officers_enter_the_plan(cast, who, url_name, method, data, codes):
    task = item_in(YEAR, 6, 15, assign=False)
    before = Task.objects.count()
    client = cast(who)
    url = reverse(url_name)
    response = client.post(url, data(task)) if method == "post" else client.get(url)
    assert response.status_code == codes[who]
    if who == "anonymous":
        assert response.url.startswith(reverse("login"))
    created = Task.objects.count() - before
    assert created == (1 if method == "post" and codes[who] == 302 and who != "anonymous" else 0)
