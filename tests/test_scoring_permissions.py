"""The permission matrix of every scoring URL × method × cast member.

anonymous → redirect to login; a body with no part in Sở Tư pháp's assessment → 404; a
visible assessment but a role that may not act → 403; allowed → 200/302 and state
changed. Refused POSTs change nothing (a fingerprint of every scoring table and history).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agencies.once import new_token
from scoring import services
from scoring import urls as scoring_urls
from scoring.models import (
    Appeal,
    AppraiserAssignment,
    Assessment,
    CriteriaSet,
    Criterion,
    Evidence,
    Score,
    ScoringPeriod,
)
from scoring.services import ScoreEntry
from tests.conftest import CAST
from tests.scoring_factories import (  # noqa: F401 - fast_passwords is an autouse fixture
    assessment_of,
    build_period,
    criterion,
    fast_passwords,
    score,
)

COVERED_URL_NAMES = {
    "scoring_home",
    "criteria_set_list",
    "criteria_set_import",
    "criteria_set_template",
    "criteria_set_detail",
    "criteria_set_copy",
    "criteria_set_publish",
    "period_create",
    "period_detail",
    "period_edit",
    "assignment_add",
    "period_publish",
    "period_results",
    "period_results_export",
    "assessment_detail",
    "assessment_save",
    "assessment_submit",
    "evidence_upload",
    "assessment_appraise",
    "assessment_appraisal_complete",
    "assessment_explain",
    "assessment_finalise",
    "appeal_submit",
    "assessment_history",
    "evidence_download",
    "appeal_decide",
}

BANDS = {"bands-0-label": "A", "bands-0-from": "90", "bands-0-to": "100"}
BANDS.update({"bands-1-label": "B", "bands-1-from": "0", "bands-1-to": "90"})
VALUES = {"1.1": "4", "1.2": "5.5", "2.1": "14.5", "3": "5"}
PDF = b"%PDF-1.4\n% test\n"
CSV = ("code,title,max_points\n1,Lĩnh vực một,60\n1.1,Tiêu chí,60\n2,Lĩnh vực hai,40\n").encode()


@dataclass
class World:
    period: ScoringPeriod
    stp: Assessment
    users: dict


def _entries(assessment, note=""):
    return [
        ScoreEntry(
            criterion(assessment, c).pk,
            Decimal(v),
            note or ("Ghi chú" if c in {"1.1", "2.1"} else ""),
        )
        for c, v in VALUES.items()
    ]


def build_world(request, stage: str) -> World:
    users = {n: request.getfixturevalue(n) for n in ("noivu", "chair_focal", "council")}
    noivu, focal, council = users["noivu"], users["chair_focal"], users["council"]
    period = build_period(noivu, codes=("STP", "STC"))
    stp = assessment_of(period, "STP")
    services.assignment_add(actor=noivu, period=period, user=council, assessment=stp)
    services.score_self_assess(actor=focal, assessment=stp, entries=_entries(stp))
    services.evidence_add(
        actor=focal,
        assessment=stp,
        upload=SimpleUploadedFile("a.pdf", PDF),
        score_ids=[score(stp, "1.1").pk],
    )
    if stage in {"submitted", "appraising", "appraised", "finalised", "appeal", "all_finalised"}:
        services.assessment_submit(actor=focal, assessment=stp)
    if stage in {"appraising", "appraised", "finalised", "appeal", "all_finalised"}:
        services.score_appraise(actor=noivu, assessment=stp, entries=_entries(stp, "x"))
    if stage in {"appraised", "finalised", "appeal", "all_finalised"}:
        services.assessment_appraisal_complete(actor=noivu, assessment=stp)
    if stage in {"finalised", "appeal", "all_finalised"}:
        services.assessment_finalise(actor=noivu, assessment=stp)
    if stage == "appeal":
        services.appeal_submit(actor=focal, score=score(stp, "1.2"), reason="Xin xem lại")
    if stage == "all_finalised":
        Assessment.objects.filter(period=period).update(status="finalised")
    stp.refresh_from_db()
    return World(period, stp, users)


def fingerprint() -> tuple:
    return (
        tuple(ScoringPeriod.objects.order_by("pk").values_list("title", "self_to")),
        CriteriaSet.objects.count(),
        CriteriaSet.objects.filter(status="published").count(),
        Criterion.objects.count(),
        ScoringPeriod.objects.count(),
        ScoringPeriod.objects.filter(published_at__isnull=False).count(),
        AppraiserAssignment.objects.count(),
        Evidence.objects.count(),
        Appeal.objects.count(),
        Appeal.objects.filter(status="pending").count(),
        Score.history.count(),
        Assessment.history.count(),
    )


# Who may act: "manager" = Nội vụ only (403 for others); "open" = every signed-in user;
# a set of cast names = on Sở Tư pháp's assessment (visible: noivu, leader, the assigned
# council member, STP's focal officer; 404 for the other bodies).
VISIBLE = {"noivu", "leader", "council", "chair_focal", "chair_staff"}
MANAGER = "manager"
OPEN = "open"
# The period's pages: the bodies assessed in it (STP, STC), its appraisers and the roles
# that read everything; 404 for a body with no part in it.
IN_PERIOD = "in_period"
PERIOD_VISIBLE = {"noivu", "leader", "council", "chair_focal", "chair_staff", "contrib_focal"}


def _period_form(world):
    sets = {"department": world.stp.criteria_set_id}
    data = {
        "year": "2025",
        "title": "Đợt mới",
        "department_set": sets["department"],
        "district_set": world.period.district_set_id,
        "agencies": [world.stp.agency_id],
        **BANDS,
        "once": new_token(),
    }
    for key, value in world.period.__dict__.items():
        if key.endswith(("_from", "_to")):
            data[key] = value.isoformat()
    return data


def _period_edit_form(world):
    data = _period_form(world)
    data["self_to"] = (world.period.self_to + dt.timedelta(days=10)).isoformat()
    data["title"] = "Đợt đã gia hạn"
    return data


def _evidence(world):
    return {
        "file": SimpleUploadedFile("b.pdf", PDF),
        "document_number": "1/KH",
        "scores": [score(world.stp, "1.2").pk],
        "once": new_token(),
    }


CASES = [
    # name, method, stage, who, url kwargs, data
    ("scoring_home", "get", "draft", OPEN, None, None),
    ("criteria_set_list", "get", "draft", OPEN, None, None),
    ("criteria_set_detail", "get", "draft", OPEN, "set", None),
    ("criteria_set_import", "get", "draft", MANAGER, None, None),
    (
        "criteria_set_import",
        "post",
        "draft",
        MANAGER,
        None,
        lambda w: {
            "year": "2025",
            "target": "department",
            "title": "Bộ mới",
            "total_points": "100",
            "file": SimpleUploadedFile("t.csv", CSV),
            "action": "save",
            "once": new_token(),
        },
    ),
    ("criteria_set_template", "get", "draft", MANAGER, None, None),
    (
        "criteria_set_copy",
        "post",
        "draft",
        MANAGER,
        "set",
        lambda w: {"year": "2025", "once": new_token()},
    ),
    ("criteria_set_publish", "post", "draft", MANAGER, "draft_set", None),
    ("period_create", "get", "draft", MANAGER, None, None),
    ("period_create", "post", "draft", MANAGER, None, _period_form),
    ("period_detail", "get", "draft", IN_PERIOD, "period", None),
    ("period_edit", "get", "draft", MANAGER, "period", None),
    ("period_edit", "post", "draft", MANAGER, "period", _period_edit_form),
    (
        "assignment_add",
        "post",
        "draft",
        MANAGER,
        "period",
        lambda w: {"user": w.users["noivu"].pk, "assessment": w.stp.pk, "once": new_token()},
    ),
    ("period_publish", "get", "draft", MANAGER, "period", None),
    ("period_publish", "post", "all_finalised", MANAGER, "period", lambda w: {"confirmed": "1"}),
    ("period_results", "get", "draft", IN_PERIOD, "period", None),
    ("period_results_export", "get", "draft", IN_PERIOD, "period", None),
    ("assessment_detail", "get", "draft", VISIBLE, "stp", None),
    ("assessment_history", "get", "draft", VISIBLE, "stp", None),
    ("evidence_download", "get", "draft", VISIBLE, "evidence", None),
    (
        "assessment_save",
        "post",
        "draft",
        {"chair_focal"},
        "stp",
        lambda w: {f"score_{criterion(w.stp, '3').pk}": "2"},
    ),
    ("assessment_submit", "post", "draft", {"chair_focal"}, "stp", lambda w: {"confirmed": "1"}),
    ("evidence_upload", "post", "draft", {"chair_focal"}, "stp", _evidence),
    ("assessment_appraise", "get", "submitted", {"noivu", "council"}, "stp", None),
    (
        "assessment_appraise",
        "post",
        "submitted",
        {"noivu", "council"},
        "stp",
        lambda w: {f"score_{criterion(w.stp, '3').pk}": "5"},
    ),
    ("assessment_appraisal_complete", "post", "appraising", {"noivu", "council"}, "stp", None),
    (
        "assessment_explain",
        "post",
        "appraised",
        {"chair_focal"},
        "stp",
        lambda w: {f"explanation_{criterion(w.stp, '1.2').pk}": "Giải trình", "action": "submit"},
    ),
    ("assessment_finalise", "post", "appraised", {"noivu"}, "stp", lambda w: {"confirmed": "1"}),
    (
        "appeal_submit",
        "post",
        "finalised",
        {"chair_focal"},
        "stp",
        lambda w: {"score": score(w.stp, "1.2").pk, "reason": "Xin xem lại", "once": new_token()},
    ),
    (
        "appeal_decide",
        "post",
        "appeal",
        {"noivu"},
        "appeal",
        lambda w: {"accept": "1", "decision": "Đồng ý", "new_score": "6"},
    ),
]


def _kwargs(world, key):
    if key is None:
        return {}
    if key == "set":
        return {"pk": world.stp.criteria_set_id}
    if key == "draft_set":
        copy = services.criteria_set_copy(
            actor=world.users["noivu"], source=world.stp.criteria_set, year=2030
        )
        return {"pk": copy.pk}
    if key == "period":
        return {"pk": world.period.pk}
    if key == "stp":
        return {"pk": world.stp.pk}
    if key == "evidence":
        return {"pk": world.stp.evidence.get().pk}
    if key == "appeal":
        return {"pk": Appeal.objects.get().pk}
    raise AssertionError(key)


COVERED_URL_METHODS = {(case[0], case[1]) for case in CASES}


# GET addresses that hand over to another app's once the object is visible: the results
# export is built and stored by reports (tests/test_reports_permissions.py covers the file).
HANDS_OVER = {"period_results_export"}


def expected_status(who, member: str, method: str, name: str = "") -> int:
    ok = 200 if method == "get" and name not in HANDS_OVER else 302
    if member == "anonymous":
        return 302
    if who == OPEN:
        return ok
    if who == IN_PERIOD:
        return ok if member in PERIOD_VISIBLE else 404
    if who == MANAGER:
        return ok if member == "noivu" else 403
    if member in who:
        return ok
    return 403 if member in VISIBLE else 404


def test_every_scoring_url_is_covered():
    names = {p.name for p in scoring_urls.urlpatterns}
    assert names == COVERED_URL_NAMES
    assert {case[0] for case in CASES} == COVERED_URL_NAMES


@pytest.mark.django_db
@pytest.mark.parametrize("member", CAST)
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_permission_matrix(request, cast, case, member):
    name, method, stage, who, key, data = case
    world = build_world(request, stage)
    url = reverse(name, kwargs=_kwargs(world, key))
    payload = data(world) if data else {}
    before = fingerprint()
    response = getattr(cast(member), method)(url, payload)
    expected = expected_status(who, member, method, name)
    assert response.status_code == expected, (name, member, response.status_code)
    if member == "anonymous":
        assert "/accounts/login/" in response["Location"]
    if method == "post":
        if expected == 302 and member != "anonymous":
            assert fingerprint() != before, f"{name} by {member} changed nothing"
        else:
            assert fingerprint() == before, f"refused {name} by {member} changed state"


@pytest.mark.django_db
def test_agency_staff_reads_own_assessment_but_cannot_score(request, chair_staff):
    from tests.conftest import login

    world = build_world(request, "draft")
    client = login(chair_staff)
    url = reverse("assessment_detail", kwargs={"pk": world.stp.pk})
    assert client.get(url).status_code == 200
    before = fingerprint()
    save = reverse("assessment_save", kwargs={"pk": world.stp.pk})
    assert client.post(save, {f"score_{criterion(world.stp, '3').pk}": "1"}).status_code == 403
    assert fingerprint() == before
