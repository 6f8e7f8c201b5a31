"""Who may enter, preview, apply and discard reorganisation plans: only Nội vụ officers (and
administrators, tests/test_reorg_views.py); the others get 403 and change nothing, an
anonymous visitor is sent to sign in. Read by tests/test_permissions.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agencies.models import Agency
from reorg.models import Plan
from reorg.parsing import PlanRow
from reorg.services import plan_create
from tests.conftest import CAST
from tests.test_plan import expect

HEADER = (
    "change,from_codes,to_code,to_name,to_short_name,to_abbreviation,to_kind,to_level,"
    "default,effective_date,legal_basis\n"
)
ONCE = "mot-lan-gui-bieu-mau-0002"


def _rename_row() -> PlanRow:
    return PlanRow(
        line=2,
        change="rename",
        from_codes=["STP"],
        to_code="STP",
        to_name="Sở Tư pháp (tên mới)",
        to_short_name="Tư pháp",
        to_abbreviation="STP",
        to_kind="department",
        to_level="province",
        effective_date=dt.date(2027, 1, 1),
        legal_basis="Quyết định thử",
    )


def _upload(_plan: Plan) -> dict:
    line = "new,,TTTHU,Trung tâm thử,Thử,TTT,other,province,,2027-01-01,Quyết định thử\n"
    upload = SimpleUploadedFile("thu.csv", (HEADER + line).encode(), "text/csv")
    return {"file": upload, "once": ONCE}


def _change(_plan: Plan) -> dict:
    return {
        "change": "new",
        "to_code": "TTTHU",
        "to_name": "Trung tâm thử",
        "to_short_name": "Thử",
        "to_abbreviation": "TTT",
        "to_kind": "other",
        "to_level": "province",
        "effective_date": "2027-01-01",
        "legal_basis": "Quyết định thử",
        "once": ONCE,
    }


def _confirmed(_plan: Plan) -> dict:
    return {"confirmed": "1"}


def _state() -> tuple:
    """Plans and their status, and the name of the body the draft renames."""
    plans = tuple(Plan.objects.order_by("pk").values_list("pk", "status"))
    return plans, Agency.objects.get(code="STP").name


# (url name, takes the plan's pk, method, POST data, status per cast member); allowed POSTs
# change the plans (a draft stored, applied or discarded), refused ones change nothing.
MATRIX = [
    ("reorg_plans", False, "get", None, expect(403, noivu=200)),
    ("reorg_upload", False, "post", _upload, expect(403, noivu=302)),
    ("reorg_change", False, "post", _change, expect(403, noivu=302)),
    ("reorg_plan", True, "get", None, expect(403, noivu=200)),
    ("reorg_apply", True, "post", _confirmed, expect(403, noivu=302)),
    ("reorg_discard", True, "post", _confirmed, expect(403, noivu=302)),
]
COVERED_URL_METHODS = {(row[0], row[2]) for row in MATRIX}


@pytest.mark.django_db
@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize(("url_name", "with_pk", "method", "data", "codes"), MATRIX)
def test_only_noivu_officers_handle_plans(cast, noivu, who, url_name, with_pk, method, data, codes):
    plan = plan_create(actor=noivu, rows=[_rename_row()], title="Đổi tên Sở Tư pháp")
    url = reverse(url_name, args=[plan.pk] if with_pk else [])
    before = _state()
    client = cast(who)
    response = client.post(url, data(plan)) if method == "post" else client.get(url)
    assert response.status_code == codes[who]
    if who == "anonymous":
        assert response.url.startswith(reverse("login"))
    changed = _state() != before
    assert changed == (method == "post" and codes[who] == 302 and who != "anonymous")
