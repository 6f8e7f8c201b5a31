"""Scoring pages run the same number of queries for few and for many rows (STYLE rule 12)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scoring import services
from scoring.models import Assessment, Target
from scoring.services import ScoreEntry
from tests.conftest import login
from tests.factories import agency
from tests.scoring_factories import (  # noqa: F401 - fast_passwords is an autouse fixture
    assessment_of,
    build_set,
    fast_passwords,
    windows,
)

BUDGET = 25  # per page, whatever the number of rows
DEPARTMENTS = ["STP", "STC", "SYT", "SKHCN", "SXD", "SCT", "SGTVT"]
DISTRICTS = ["TUYHOA", "SONGCAU", "DONGHOA", "TUYAN"]


def tree(areas: int, children: int) -> list:
    rows = []
    for a in range(1, areas + 1):
        rows.append((str(a), str(children * 2), "range", [], False, ""))
        for c in range(1, children + 1):
            method, options = (
                ("options", [("Đạt", "2"), ("Không", "0")]) if c % 2 else ("range", [])
            )
            rows.append((f"{a}.{c}", "2", method, options, c == 1, ""))
    return rows


def scenario(noivu, focal, *, size: int):
    """A period whose size grows with ``size``: criteria, bodies, scores, evidence."""
    areas, children = (2, 2) if size == 1 else (6, 5)
    total = Decimal(areas * children * 2)
    dept = build_set(tree(areas, children), total_points=total)
    dist = build_set(tree(areas, children), total_points=total, target=Target.DISTRICT)
    codes = DEPARTMENTS[:2] + DISTRICTS[:1] if size == 1 else DEPARTMENTS + DISTRICTS
    period = services.period_create(
        actor=noivu,
        year=2024,
        title="Đợt",
        windows=windows(),
        agencies=[agency(c) for c in codes],
        department_set=dept,
        district_set=dist,
    )
    stp = assessment_of(period, "STP")
    scores = list(stp.scores.select_related("criterion"))
    services.score_self_assess(
        actor=focal,
        assessment=stp,
        entries=[
            ScoreEntry(
                s.criterion_id,
                Decimal("2") if s.criterion.method == "options" else Decimal("1.5"),
                "Ghi chú",
            )
            for s in scores
        ],
    )
    for n in range(size):
        services.evidence_add(
            actor=focal,
            assessment=stp,
            upload=SimpleUploadedFile(f"{n}.pdf", b"%PDF-1.4\n"),
            score_ids=[s.pk for s in scores[: 1 + n]],
            document_number=f"{n}/KH",
        )
    services.assessment_submit(actor=focal, assessment=stp)
    services.score_appraise(
        actor=noivu,
        assessment=stp,
        entries=[ScoreEntry(s.criterion_id, Decimal("0"), "Thiếu") for s in scores[: size * 3]],
    )
    return period, Assessment.objects.get(pk=stp.pk)


PAGES = [
    ("scoring_home", None, "noivu"),
    ("criteria_set_list", None, "noivu"),
    ("criteria_set_detail", "set", "noivu"),
    ("period_detail", "period", "noivu"),
    ("period_edit", "period", "noivu"),
    ("period_create", None, "noivu"),
    ("period_results", "period", "noivu"),
    ("period_results", "period", "focal"),
    ("assessment_detail", "stp", "focal"),
    ("assessment_detail", "stp", "noivu"),
    ("assessment_appraise", "stp", "noivu"),
    ("assessment_history", "stp", "noivu"),
]


def count(client, name, key, period, stp) -> int:
    kwargs = {
        "set": {"pk": stp.criteria_set_id},
        "period": {"pk": period.pk},
        "stp": {"pk": stp.pk},
    }.get(key, {})
    url = reverse(name, kwargs=kwargs)
    client.get(url)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("name,key,who", PAGES, ids=[f"{p[0]}-{p[2]}" for p in PAGES])
def test_page_query_count_is_constant(noivu, chair_focal, name, key, who):
    users = {"noivu": noivu, "focal": chair_focal}
    client = login(users[who])
    few = count(client, name, key, *scenario(noivu, chair_focal, size=1))
    many = count(client, name, key, *scenario(noivu, chair_focal, size=4))
    assert few == many, (name, few, many)
    assert many <= BUDGET, (name, many)
