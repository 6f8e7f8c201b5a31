"""The province's own self-scoring is a coordination item (category ``province_scoring``):
each body enters the areas it is responsible for; Sở Nội vụ consolidates and submits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from coordination.models import Participation, Task
from scoring import selectors, services
from scoring.models import Assessment, Criterion, Target
from tests.conftest import login
from tests.factories import agency
from tests.scoring_factories import (  # noqa: F401 - fast_passwords is an autouse fixture
    build_set,
    fast_passwords,
    score,
    windows,
)

D = Decimal


@pytest.fixture
def province_period(noivu):
    province = build_set(target=Target.PROVINCE)
    Criterion.objects.filter(criteria_set=province, code="1").update(
        responsible_agency=agency("SNV")
    )
    Criterion.objects.filter(criteria_set=province, code="2").update(
        responsible_agency=agency("STP")
    )
    Criterion.objects.filter(criteria_set=province, code="3").update(
        responsible_agency=agency("STC")
    )
    return services.period_create(
        actor=noivu,
        year=2024,
        title="Đợt 2024",
        windows=windows(),
        agencies=[agency("STP")],
        department_set=build_set(),
        province_set=province,
    )


def _province(period) -> Assessment:
    return Assessment.objects.get(period=period, criteria_set__target=Target.PROVINCE)


@pytest.mark.django_db
def test_opening_creates_a_province_scoring_coordination_item(province_period):
    assessment = _province(province_period)
    assert assessment.agency.code == "SNV"
    task = assessment.coordination_task
    assert task.category == "province_scoring" and task.status == Task.Status.ASSIGNED
    roles = dict(task.participations.values_list("agency__code", "role"))
    assert roles["SNV"] == Participation.Role.CHAIR
    assert roles["STP"] == roles["STC"] == Participation.Role.CONTRIBUTE


@pytest.mark.django_db
def test_each_body_enters_only_its_areas_and_nui_vu_submits(
    province_period, chair_focal, tracker_focal, unrelated_focal
):
    assessment = _province(province_period)
    url = f"/scoring/assessments/{assessment.pk}"
    stp = login(chair_focal)
    assert stp.get(f"{url}/").status_code == 200
    c21 = Criterion.objects.get(criteria_set=assessment.criteria_set, code="2.1")
    c12 = Criterion.objects.get(criteria_set=assessment.criteria_set, code="1.2")
    page = stp.get(f"{url}/").content.decode()
    assert f'name="score_{c21.pk}"' in page and f'name="score_{c12.pk}"' not in page
    assert f'formaction="{url}/submit/"' not in page  # no "Gửi bản tự đánh giá" button
    response = stp.post(f"{url}/save/", {f"score_{c21.pk}": "14", f"note_{c21.pk}": "Theo KH"})
    assert response.status_code == 302
    assert score(assessment, "2.1").self_score == D("14")
    response = stp.post(f"{url}/save/", {f"score_{c12.pk}": "6", f"score_{c21.pk}": "13"})
    assert "không thuộc lĩnh vực cơ quan bạn phụ trách" in response.content.decode()
    assert score(assessment, "1.2").self_score is None
    assert score(assessment, "2.1").self_score == D("14")
    assert stp.post(f"{url}/submit/").status_code == 403
    assert login(unrelated_focal).get(f"{url}/").status_code == 404

    snv = login(tracker_focal)
    ids = Criterion.objects.filter(criteria_set=assessment.criteria_set)
    values = {"1.1": "4", "1.2": "6", "2.1": "14", "3": "5"}
    data = {f"score_{c.pk}": values[c.code] for c in ids if c.code in values}
    data.update({f"note_{c.pk}": "Tổng hợp" for c in ids})
    assert snv.post(f"{url}/save/", data).status_code == 302
    assert snv.post(f"{url}/submit/", {"confirmed": "1"}).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED


@pytest.mark.django_db
def test_province_self_assessment_is_not_ranked_with_departments(province_period, noivu):
    results = selectors.period_results(province_period, noivu)
    codes = {r.assessment.agency.code for g in results["groups"] for r in g["rows"]}
    assert codes == {"STP"}
