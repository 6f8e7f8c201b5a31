"""Permission matrix for the register of issued documents and issuing a reminder letter:
every URL × method × cast member.

The register and its files follow ``IssuedDocument.visible_to``: Nội vụ officers,
leadership and the council see every document; a body sees what it issued (Sở Nội vụ's
focal officer: everything Sở Nội vụ issued) and what was addressed to it (Sở Tư pháp: the
letter sent to it), and gets 404 for the rest. Issuing a letter is for Nội vụ officers
(403 for everyone else). Refused POSTs change nothing; the allowed one issues a letter."""

from __future__ import annotations

import pytest
from django.test import TestCase
from django.urls import reverse

from agencies.once import new_token
from reports import issuing
from reports.models import DocumentJob, IssuedDocument
from scoring import services as scoring
from tests.conftest import CAST
from tests.factories import UserFactory, agency
from tests.reports_factories import make_overdue, make_task
from tests.scoring_factories import assessment_of, build_period


def expect(default: int, **overrides: int) -> dict[str, int]:
    result = dict.fromkeys(CAST, default)
    result.update(overrides)
    result["anonymous"] = 302
    return result


EVERYONE = expect(200)
SEES_ALL = {"noivu": 200, "leader": 200, "council": 200, "tracker_focal": 200}
LETTER_TO_STP = expect(404, **SEES_ALL, chair_focal=200, chair_staff=200)
RESULTS = expect(404, **SEES_ALL)
OFFICER_ONLY = expect(403, noivu=200)
ISSUE = expect(403, noivu=302)

MATRIX = [
    ("issued_list", None, "get", None, EVERYONE),
    ("issued_download", "letter", "get", None, LETTER_TO_STP),
    ("issued_download", "results", "get", None, RESULTS),
    ("reminder_issue", "late_body", "get", None, OFFICER_ONLY),
    ("reminder_issue", "late_body", "post", {"once": new_token(), "confirmed": "1"}, ISSUE),
]

COVERED_URL_METHODS = {(row[0], row[2]) for row in MATRIX}


@pytest.fixture
def world(db, noivu):
    """A letter issued to Sở Tư pháp (late) and a period's published results, both stored."""
    UserFactory(agency=agency("SNV"), full_name="Nguyễn Văn Bình", position="Giám đốc")
    make_overdue(make_task(actor=noivu, chair="STP", contributors=("STC",)))
    period = build_period(noivu, codes=("STP",))
    exclusions = {assessment_of(period, "STP").pk: "Chưa chốt kết quả"}
    with TestCase.captureOnCommitCallbacks(execute=True):
        letter = issuing.reminder_issue(actor=noivu, agency=agency("STP"))
        scoring.period_publish(actor=noivu, period=period, exclusions=exclusions)
    results = IssuedDocument.objects.get(kind="scoring_results")
    assert letter.recipient.code == "STP" and results.recipient is None
    assert IssuedDocument.objects.filter(document__isnull=False).count() == 2
    return {
        "letter": {"pk": letter.pk},
        "results": {"pk": results.pk},
        "late_body": {"code": "STP"},
    }


def snapshot() -> tuple:
    return (
        list(IssuedDocument.objects.order_by("pk").values_list("pk", "number", "sha256")),
        DocumentJob.objects.count(),
    )


CASES = [
    pytest.param(name, key, method, data, who, statuses[who], id=f"{name}-{key}-{method}-{who}")
    for name, key, method, data, statuses in MATRIX
    for who in CAST
]


@pytest.mark.parametrize(("name", "key", "method", "data", "who", "status"), CASES)
def test_permission_matrix(cast, world, name, key, method, data, who, status):
    url = reverse(name, kwargs=world[key] if key else None)
    client = cast(who)
    before = snapshot()
    response = client.get(url) if method == "get" else client.post(url, data)
    assert response.status_code == status
    if status == 302 and who == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    if method == "post":
        if status == 302 and who != "anonymous":
            assert snapshot() != before, "allowed POST must change state"
            assert IssuedDocument.objects.filter(kind="reminder").count() == 2
        else:
            assert snapshot() == before, "refused POST must change nothing"


def test_an_unknown_body_is_404_for_the_officer(cast, world):
    assert cast("noivu").get(reverse("reminder_issue", args=["KHONGCO"])).status_code == 404


def test_a_body_sees_in_the_register_only_what_concerns_it(cast, world):
    def references(who: str) -> set[str]:
        page = cast(who).get(reverse("issued_list")).content.decode()
        return {ref for ref in ("01/SNV-CCHC", "02/BC-SNV") if ref in page}

    assert references("noivu") == references("council") == {"01/SNV-CCHC", "02/BC-SNV"}
    assert references("tracker_focal") == {"01/SNV-CCHC", "02/BC-SNV"}  # Sở Nội vụ issued them
    assert references("chair_focal") == {"01/SNV-CCHC"}  # addressed to Sở Tư pháp
    assert references("contrib_focal") == references("unrelated_focal") == set()
