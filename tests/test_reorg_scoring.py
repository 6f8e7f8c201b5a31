"""Scoring when bodies reorganise (issue 15): an open period's assessment of an ended body
is closed with a note and its successor gets one; published periods stay; communes are a
group of their own; "year over year" shows the predecessors' results, labelled; a
successor's officers read their predecessors' assessments, read-only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from agencies.handover import Handover
from agencies.models import Agency, AgencyName, Succession
from scoring import selectors, services
from scoring.demo import DATA, commune_set
from scoring.models import Assessment, ScoringPeriod, Target
from scoring.succession import handover_apply, handover_preview
from tests.conftest import login
from tests.factories import AgencyFactory, agency
from tests.scoring_factories import assessment_of, build_period, build_set, windows

pytestmark = pytest.mark.django_db
D = Decimal
BASIS = "Nghị định 45/2025/NĐ-CP"
DAY = dt.date(2025, 3, 1)


def handover(ending: str, *successors: Agency, actor=None, choices=None) -> Handover:
    return Handover(
        ending=agency(ending),
        successor=successors[0],
        successors=list(successors),
        effective_date=DAY,
        legal_basis=BASIS,
        choices=choices or {},
        actor=actor,
    )


def succession(before: str, after: Agency, change=Succession.Change.MERGE) -> Succession:
    return Succession.objects.create(
        predecessor=agency(before),
        successor=after,
        change=change,
        effective_date=DAY,
        legal_basis=BASIS,
    )


def new_body(code: str, name: str, kind=Agency.Kind.DEPARTMENT, level="province") -> Agency:
    return AgencyFactory(code=code, name=name, short_name=name, kind=kind, level=level)


def commune(code="PTUYHOA", name="Ủy ban nhân dân phường Tuy Hòa") -> Agency:
    return new_body(code, name, Agency.Kind.COMMUNE, Agency.Level.COMMUNE)


def self_score_all(assessment: Assessment, ratio: str) -> None:
    """Every applicable leaf self-scored at ``ratio`` of its maximum (the index = ratio)."""
    for score in assessment.scores.select_related("criterion"):
        score.self_score = (score.criterion.max_points * D(ratio)).quantize(D("0.01"))
        score.save()


# --- Handover in an open period ----------------------------------------------------------


def test_merge_into_a_body_already_assessed_closes_the_ended_ones_with_a_note(noivu):
    period = build_period(noivu, codes=("SKHDT", "STC", "TUYHOA"))
    ended, kept = assessment_of(period, "SKHDT"), assessment_of(period, "STC")
    move = handover("SKHDT", agency("STC"), actor=noivu)

    lines = handover_preview(move)
    assert [line.key for line in lines] == [f"assessment:{ended.pk}"]
    assert lines[0].kind == "Bài tự chấm điểm" and lines[0].label == period.title
    assert "Sở Tài chính đã có bản tự chấm điểm" in lines[0].detail
    assert lines[0].successor == agency("STC") and not lines[0].choosable
    assert Assessment.objects.get(pk=ended.pk).status == Assessment.Status.DRAFT  # read-only

    assert handover_apply(move) == 1
    ended.refresh_from_db()
    assert ended.status == Assessment.Status.CLOSED and ended.closed_at is not None
    assert BASIS in ended.closed_note and "Sở Tài chính" in ended.closed_note
    record = ended.history.latest()
    assert record.history_change_reason == f"Chuyển giao theo {BASIS}"
    assert record.history_user == noivu
    assert Assessment.objects.filter(period=period, agency__code="STC").get() == kept
    assert ended.scores.count() == kept.scores.count()  # the record keeps its scores

    # Not ranked, not pending publication, not in a work list; kept as a record.
    self_score_all(kept, "0.8")
    results = selectors.period_results(period, noivu)
    rows = {r.assessment.agency.code: r for g in results["groups"] for r in g["rows"]}
    assert rows["STC"].rank == 1 and rows["SKHDT"].rank is None
    assert rows["SKHDT"].index is None and BASIS in rows["SKHDT"].excluded
    assert ended not in services.publication_pending(period)
    assert handover_apply(move) == 0  # nothing open is left to hand over


def test_a_new_successor_gets_an_assessment_with_its_groups_set(noivu, django_assert_num_queries):
    period = build_period(noivu, codes=("STNMT", "SNNPTNT", "TUYHOA"))
    merged = new_body("SNNMT", "Sở Nông nghiệp và Môi trường")
    first = handover("STNMT", merged)
    with django_assert_num_queries(3):  # assessments, the successors' ones, the sets
        (line,) = handover_preview(first)
    assert "mở bản tự chấm điểm cho Sở Nông nghiệp và Môi trường" in line.detail

    assert handover_apply(first) == 1
    opened = assessment_of(period, "SNNMT")
    assert opened.criteria_set == period.department_set
    assert opened.status == Assessment.Status.DRAFT
    assert opened.scores.count() == assessment_of(period, "STNMT").scores.count()
    assert opened.history.latest().history_change_reason == f"Chuyển giao theo {BASIS}"

    # The second body of the merge finds the successor's assessment: no duplicate.
    second = handover("SNNPTNT", merged)
    assert "đã có bản tự chấm điểm" in handover_preview(second)[0].detail
    assert handover_apply(second) == 1
    assert Assessment.objects.filter(period=period, agency=merged).count() == 1
    assert set(
        Assessment.objects.filter(period=period, status="closed").values_list(
            "agency__code", flat=True
        )
    ) == {"STNMT", "SNNPTNT"}


def test_preview_queries_do_not_grow_with_the_periods(noivu, django_assert_num_queries):
    sets = (build_set(), build_set(target=Target.DISTRICT))
    build_period(noivu, codes=("SKHDT",), year=2023, sets=sets)
    move = handover("SKHDT", agency("STC"))
    with django_assert_num_queries(3):
        assert len(handover_preview(move)) == 1
    build_period(noivu, codes=("SKHDT", "STC"), year=2024, sets=sets)
    build_period(noivu, codes=("SKHDT",), year=2025, sets=sets)
    with django_assert_num_queries(3):
        assert len(handover_preview(move)) == 3


def test_published_periods_and_finalised_assessments_stay_with_the_ended_body(noivu):
    published = build_period(noivu, codes=("SKHDT", "STC"), year=2023)
    published.published_at = timezone.now()
    published.save()
    open_period = build_period(noivu, codes=("SKHDT", "STC"), year=2024)
    done = assessment_of(open_period, "SKHDT")
    Assessment.objects.filter(pk=done.pk).update(status=Assessment.Status.FINALISED)
    move = handover("SKHDT", agency("STC"))

    assert handover_preview(move) == []
    assert handover_apply(move) == 0
    statuses = set(Assessment.objects.filter(agency__code="SKHDT").values_list("status", flat=True))
    assert statuses == {Assessment.Status.DRAFT, Assessment.Status.FINALISED}
    assert not Assessment.objects.filter(agency__code="SKHDT", closed_note__gt="").exists()


def test_a_split_district_hands_over_to_the_chosen_commune_with_the_commune_set(noivu):
    commune_rules = build_set(target=Target.COMMUNE)
    period = services.period_create(
        actor=noivu,
        year=2025,
        title="Đợt 2025",
        windows=windows(),
        agencies=[agency("STP"), agency("TUYHOA")],
        department_set=build_set(),
        district_set=build_set(target=Target.DISTRICT),
        commune_set=commune_rules,
    )
    default, chosen = commune(), commune("PPHUYEN", "Ủy ban nhân dân phường Phú Yên")
    district = assessment_of(period, "TUYHOA")
    move = handover("TUYHOA", default, chosen, choices={f"assessment:{district.pk}": chosen.code})
    (line,) = handover_preview(move)
    assert line.choosable and line.successor == chosen

    assert handover_apply(move) == 1
    assert assessment_of(period, "PPHUYEN").criteria_set == commune_rules
    # The split's other ward is scored in its group too, with its own empty assessment.
    other = Assessment.objects.get(period=period, agency=default)
    assert other.criteria_set == commune_rules and other.status == Assessment.Status.DRAFT
    assert not other.scores.exclude(self_score=None).exists()


def test_no_commune_set_in_the_period_closes_and_says_so(noivu):
    period = build_period(noivu, codes=("TUYHOA",))
    move = handover("TUYHOA", commune())
    (line,) = handover_preview(move)
    assert "đợt chưa có bộ tiêu chí UBND cấp xã" in line.detail
    assert handover_apply(move) == 1
    assert not Assessment.objects.filter(period=period, agency__code="PTUYHOA").exists()


# --- Communes ----------------------------------------------------------------------------


def test_a_commune_period_assesses_communes_by_their_set_and_ranks_them_apart(noivu):
    wards = [commune(), commune("PPHUYEN", "Ủy ban nhân dân phường Phú Yên")]
    commune_rules = build_set(target=Target.COMMUNE)
    period = services.period_create(
        actor=noivu,
        year=2025,
        title="Đợt 2025",
        windows=windows(),
        agencies=[agency("STP"), agency("STC"), *wards],
        department_set=build_set(),
        commune_set=commune_rules,
    )
    assert period.commune_set == commune_rules
    for code, ratio in (("PTUYHOA", "0.6"), ("PPHUYEN", "0.9"), ("STP", "0.7"), ("STC", "0.5")):
        self_score_all(assessment_of(period, code), ratio)
    assert assessment_of(period, "PTUYHOA").criteria_set == commune_rules

    groups = selectors.period_results(period, noivu)["groups"]
    assert [(g["target"], str(g["label"])) for g in groups] == [
        ("department", "Sở, ban, ngành"),
        ("commune", "UBND cấp xã"),
    ]
    ranks = [(r.assessment.agency.code, r.rank) for r in groups[1]["rows"]]
    assert ranks == [("PPHUYEN", 1), ("PTUYHOA", 2)]  # ranked among communes only

    page = login(noivu).get(reverse("period_results", args=[period.pk]))
    assert page.status_code == 200 and "UBND cấp xã" in page.content.decode()
    assert login(noivu).get(reverse("period_detail", args=[period.pk])).status_code == 200


def test_a_commune_set_that_is_not_one_is_refused_and_nothing_is_created(noivu):
    district_rules = build_set(target=Target.DISTRICT)
    before = ScoringPeriod.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.period_create(
            actor=noivu,
            year=2025,
            title="Đợt 2025",
            windows=windows(),
            agencies=[commune()],
            commune_set=district_rules,
        )
    assert "không dùng cho UBND cấp xã" in " ".join(refused.value.messages)
    with pytest.raises(ValidationError) as missing:
        services.period_create(
            actor=noivu, year=2025, title="Đợt 2025", windows=windows(), agencies=[commune()]
        )
    assert "Chưa chọn bộ tiêu chí cho Ủy ban nhân dân phường Tuy Hòa." in missing.value.messages
    assert ScoringPeriod.objects.count() == before

    # The form offers commune sets only: a district set posted as the commune set is refused.
    data = {"year": 2025, "title": "Đợt 2025", "commune_set": district_rules.pk}
    response = login(noivu).post(reverse("period_create"), data)
    assert response.status_code == 200 and ScoringPeriod.objects.count() == before
    assert "commune_set" in response.context["form"].errors


def test_the_illustrative_commune_set_imports_and_says_it_is_illustrative(noivu):
    assert (DATA / "commune_illustrative.csv").exists()
    criteria_set = commune_set(noivu, 2025)
    assert criteria_set.target == Target.COMMUNE and criteria_set.is_illustrative
    assert criteria_set.status == "published" and "minh họa" in criteria_set.title
    assert criteria_set.criteria.filter(depth=1).count() == 8
    assert sum(c.max_points for c in criteria_set.criteria.filter(depth=1)) == D("100")
    assert commune_set(noivu, 2025) == criteria_set  # idempotent


# --- Year over year with predecessors -------------------------------------------------------


def _published(period: ScoringPeriod) -> ScoringPeriod:
    period.published_at = timezone.now()
    period.save()
    return period


def test_year_over_year_shows_the_predecessors_results_labelled(noivu, django_assert_num_queries):
    sets = (build_set(), build_set(target=Target.DISTRICT))
    before = build_period(noivu, codes=("SKHDT", "STC", "STNMT", "BDT"), year=2024, sets=sets)
    for code, ratio in (("SKHDT", "0.8"), ("STC", "0.6"), ("STNMT", "0.5"), ("BDT", "0.7")):
        self_score_all(assessment_of(before, code), ratio)
    _published(before)
    merged = new_body("SNNMT", "Sở Nông nghiệp và Môi trường")
    succession("SKHDT", agency("STC"))
    succession("STNMT", merged)
    renamed = agency("BDT")
    AgencyName.objects.create(
        agency=renamed,
        code="BDT",
        name="Ban Dân tộc",
        short_name="Ban Dân tộc",
        abbreviation="BDT",
        valid_to=DAY - dt.timedelta(days=1),
    )
    Agency.objects.filter(pk=renamed.pk).update(name="Sở Dân tộc và Tôn giáo")
    now = build_period(noivu, codes=("STC", "SNNMT", "BDT", "STP"), year=2025, sets=sets)
    for code in ("STC", "SNNMT", "BDT"):
        self_score_all(assessment_of(now, code), "0.75")

    # The bodies before each one are read from its archive_ids: no query for the lineage;
    # both years' names in one query, the year before's period with its assessments.
    with django_assert_num_queries(6):
        results = selectors.period_results(now, noivu)
    rows = {r.assessment.agency.code: r for g in results["groups"] for r in g["rows"]}
    stc = rows["STC"]
    assert stc.previous_label == "Năm trước (của Sở Kế hoạch và Đầu tư, Sở Tài chính)"
    assert [(p.name, p.index) for p in stc.previous_results] == [
        ("Sở Kế hoạch và Đầu tư", D("80.00")),
        ("Sở Tài chính", D("60.00")),
    ]
    assert stc.previous_index is None and stc.change is None  # two results are not one
    assert rows["SNNMT"].previous_label == "Năm trước (của Sở Tài nguyên và Môi trường)"
    assert rows["SNNMT"].previous_index == D("50.00") and rows["SNNMT"].change == D("25.00")
    assert rows["BDT"].previous_label == "Năm trước (của Ban Dân tộc)"  # its name then
    assert rows["BDT"].name == "Sở Dân tộc và Tôn giáo"
    assert rows["STP"].previous_label == "" and rows["STP"].previous_results == []

    page = login(noivu).get(reverse("period_results", args=[now.pk])).content.decode()
    assert "Năm trước (của Sở Kế hoạch và Đầu tư, Sở Tài chính)" in page
    # The 2024 ranking keeps the names of 2024.
    old = login(noivu).get(reverse("period_results", args=[before.pk])).content.decode()
    assert "Ban Dân tộc" in old and "Sở Dân tộc và Tôn giáo" not in old


# --- The archive: read, never act ----------------------------------------------------------


def test_a_successors_officer_reads_the_predecessors_assessment_but_cannot_act(
    noivu, contrib_focal, chair_focal
):
    period = build_period(noivu, codes=("SKHDT", "STC"))
    ended = assessment_of(period, "SKHDT")
    detail = reverse("assessment_detail", args=[ended.pk])
    assert login(contrib_focal).get(detail).status_code == 404  # no succession yet

    succession("SKHDT", agency("STC"))
    contrib_focal = type(contrib_focal).objects.get(pk=contrib_focal.pk)  # fresh archive cache
    client = login(contrib_focal)
    page = client.get(detail)
    assert page.status_code == 200
    actions = page.context["actions"]
    assert not any(actions[k] for k in ("self_assess", "submit", "explain", "appeal", "appraise"))
    response = client.post(reverse("assessment_submit", args=[ended.pk]))
    assert response.status_code == 403
    assert Assessment.objects.get(pk=ended.pk).status == Assessment.Status.DRAFT
    # Another body's officer still does not see it.
    assert login(chair_focal).get(detail).status_code == 404
    # Before publication the successor's results show its own row and its predecessor's.
    codes = {
        r.assessment.agency.code
        for g in selectors.period_results(period, contrib_focal)["groups"]
        for r in g["rows"]
    }
    assert codes == {"STC", "SKHDT"}
