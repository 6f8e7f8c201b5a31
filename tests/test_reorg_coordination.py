"""Issue 15 in coordination: an ending body hands its open items to its successors
(coordination/succession.py), closed items keep it, and the successor's users read the
predecessor's past items without acting on them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from agencies import roles
from agencies.handover import Handover
from agencies.models import Agency, Succession
from coordination import services, succession
from coordination.models import Contribution, Participation, Task
from tests.conftest import login
from tests.coordination_factories import make_task
from tests.factories import UserFactory, agency, in_days

P = Participation
BASIS = "Quyết định số 45/QĐ-UBND ngày 20/02/2025"
REASON = f"Chuyển giao theo {BASIS}"
DAY = dt.date(2025, 3, 1)


def handover(ending: str, *successors: str, change="merge", choices=None) -> Handover:
    """The Handover the reorganisation service would build, with its successions."""
    bodies = [agency(code) for code in successors]
    for index, body in enumerate(bodies):
        Succession.objects.create(
            predecessor=agency(ending),
            successor=body,
            change=change,
            effective_date=DAY,
            legal_basis=BASIS,
            is_default=index == 0,
        )
    return Handover(
        ending=agency(ending),
        successor=bodies[0],
        successors=bodies,
        effective_date=DAY,
        legal_basis=BASIS,
        choices=choices or {},
    )


def apply(plan: Handover) -> int:
    """Apply, then end the body as the reorganisation service does afterwards."""
    moved = succession.handover_apply(plan)
    Agency.objects.filter(pk=plan.ending.pk).update(valid_to=DAY - dt.timedelta(days=1))
    return moved


def close(task: Task, year: int | None = None) -> None:
    fields = {"status": Task.Status.DONE}
    if year:
        fields["due_date"] = dt.date(year, 10, 15)
    Task.objects.filter(pk=task.pk).update(**fields)
    task.refresh_from_db()


def roles_on(task: Task) -> dict[str, str]:
    return {p.agency.code: p.role for p in task.participations.select_related("agency")}


def group_perms(task: Task, code: str) -> set[str]:
    group = agency(code).group
    return {
        p.permission.codename
        for p in task.taskgroupobjectpermission_set.filter(group=group).select_related("permission")
    }


def permissions_report() -> str:
    out = io.StringIO()
    call_command("check_permissions", stdout=out)
    return out.getvalue()


def grants_are_clean() -> bool:
    report = permissions_report()
    return "Quyền truy cập khớp" in report and "THIẾU" not in report and "THỪA" not in report


def focal(code: str):
    return UserFactory(
        username=f"t_{code.lower()}", agency=agency(code), roles=[roles.FOCAL_OFFICER]
    )


def contribute(task: Task, user, text: str = "Ý kiến góp ý", submit=True) -> Contribution:
    return services.contribution_save(
        actor=user, task=task, form="comment", body=text, submit=submit
    )


# --- Merge ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_merge_moves_open_items_with_their_grants_and_one_row_per_body(noivu):
    both = make_task(actor=noivu, title="Cả hai", contributors=("SKHDT", "STC"))
    chaired = make_task(actor=noivu, title="Chủ trì", chair="SKHDT", contributors=("STP",))
    alone = make_task(actor=noivu, title="Riêng", contributors=("SKHDT", "SYT"))
    draft = make_task(actor=noivu, title="Dự thảo", contributors=("SKHDT",), assign=False)
    closed = make_task(actor=noivu, title="Đã xong", contributors=("SKHDT",))
    close(closed)
    plan = handover("SKHDT", "STC")

    assert apply(plan) == 4

    assert roles_on(both) == {"STP": "chair", "SNV": "track", "STC": "contribute"}
    chaired.refresh_from_db()
    assert chaired.chair_agency.code == "STC"
    assert roles_on(chaired) == {"STC": "chair", "SNV": "track", "STP": "contribute"}
    assert roles_on(alone)["STC"] == "contribute" and "SKHDT" not in roles_on(alone)
    assert roles_on(draft)["STC"] == "contribute"  # a draft is open work too
    assert roles_on(closed)["SKHDT"] == "contribute"  # closed: untouched
    for task in (both, chaired, alone, draft):
        assert group_perms(task, "SKHDT") == set()
    assert group_perms(chaired, "STC") == {"view_task", "change_task", "consolidate_task"}
    assert group_perms(alone, "STC") == {"view_task", "contribute_task"}
    assert group_perms(closed, "SKHDT") == {"view_task", "contribute_task"}
    assert grants_are_clean()


@pytest.mark.django_db
def test_history_names_the_legal_basis(noivu):
    chaired = make_task(actor=noivu, chair="SKHDT", contributors=("STP",))
    both = make_task(actor=noivu, contributors=("SKHDT", "STC"))
    apply(handover("SKHDT", "STC"))
    assert chaired.history.first().history_change_reason == REASON
    part = chaired.participations.get(role=P.Role.CHAIR)
    assert part.history.first().history_change_reason == REASON
    removed = P.history.filter(task_id=both.pk, agency_id=agency("SKHDT").pk).first()
    assert removed.history_type == "-" and removed.history_change_reason == REASON


@pytest.mark.django_db
def test_merge_where_the_ended_body_chaired_and_had_written(noivu):
    task = make_task(actor=noivu, chair="SKHDT", contributors=("STC", "STP"))
    contribute(task, focal("SKHDT"), "Bản tổng hợp dở dang", submit=False)
    apply(handover("SKHDT", "STC"))
    task.refresh_from_db()
    assert task.chair_agency.code == "STC"
    ours = task.participations.get(agency__code="STC")
    assert (ours.role, ours.status) == (P.Role.CHAIR, P.Status.IN_PROGRESS)
    ended = task.participations.get(agency__code="SKHDT")  # it holds what it wrote
    assert (ended.role, ended.status) == (P.Role.CONTRIBUTE, P.Status.EXEMPT)
    assert BASIS in ended.return_reason and "Sở Tài chính" in ended.return_reason
    assert ended.contributions.count() == 1
    assert group_perms(task, "STC") == {"view_task", "change_task", "consolidate_task"}
    assert group_perms(task, "SKHDT") == {"view_task", "contribute_task"}
    assert grants_are_clean()


@pytest.mark.django_db
def test_merge_keeps_the_successors_stronger_role(noivu):
    task = make_task(actor=noivu, chair="STC", contributors=("SKHDT",))
    apply(handover("SKHDT", "STC"))
    assert roles_on(task) == {"STC": "chair", "SNV": "track"}
    assert grants_are_clean()


@pytest.mark.django_db
def test_a_successor_that_tracked_and_takes_the_chair_holds_both(noivu):
    """Sở LĐ-TB&XH chaired, Sở Nội vụ tracked: Nội vụ chairs and the item names it as
    tracker too, so the participants page asks for another tracker."""
    task = make_task(actor=noivu, chair="SLDTBXH", tracker="SNV", contributors=("STP",))
    apply(handover("SLDTBXH", "SNV", change="split"))
    task.refresh_from_db()
    assert (task.chair_agency.code, task.tracking_agency.code) == ("SNV", "SNV")
    assert roles_on(task) == {"SNV": "chair", "STP": "contribute"}
    assert grants_are_clean()
    page = login(noivu).post(
        reverse("task_participants", args=[task.pk]),
        {"chair": agency("SNV").pk, "tracker": agency("SNV").pk, "contributors": []},
    )
    assert "Cơ quan chủ trì và cơ quan theo dõi phải khác nhau." in page.content.decode()


# --- Split and abolish ---------------------------------------------------------------------


@pytest.mark.django_db
def test_split_goes_where_the_officer_chose_item_by_item(noivu, django_assert_num_queries):
    first = make_task(actor=noivu, title="Một", contributors=("SLDTBXH",))
    second = make_task(actor=noivu, title="Hai", contributors=("SLDTBXH", "STC"))
    third = make_task(actor=noivu, title="Ba", chair="SLDTBXH", tracker="STC", contributors=())
    plan = handover(
        "SLDTBXH",
        "SNV",
        "SYT",
        "SGDDT",
        change="split",
        choices={f"task:{second.pk}": agency("SYT").pk, f"task:{third.pk}": agency("SGDDT").pk},
    )
    with django_assert_num_queries(1):
        lines = succession.handover_preview(plan)
    assert [(line.key, line.label, line.detail) for line in lines] == [
        (f"task:{first.pk}", "Một", "Phối hợp"),
        (f"task:{second.pk}", "Hai", "Phối hợp"),
        (f"task:{third.pk}", "Ba", "Chủ trì"),
    ]
    assert all(line.choosable and line.kind == "Nhiệm vụ" for line in lines)
    assert [line.successor.code for line in lines] == ["SNV", "SYT", "SGDDT"]
    assert lines[0].url == reverse("task_detail", args=[first.pk])

    assert apply(plan) == 3
    assert roles_on(first) == {"STP": "chair", "SNV": "track"}  # Nội vụ already tracked
    assert roles_on(second)["SYT"] == "contribute"
    third.refresh_from_db()
    assert third.chair_agency.code == "SGDDT"
    assert grants_are_clean()


@pytest.mark.django_db
def test_abolished_body_hands_its_items_to_the_named_body(noivu):
    task = make_task(actor=noivu, contributors=("SNGV", "STC"))
    plan = handover("SNGV", "VPUBND", change="abolish")
    assert not plan.is_split
    assert [line.choosable for line in succession.handover_preview(plan)] == [False]
    apply(plan)
    assert roles_on(task)["VPUBND"] == "contribute" and "SNGV" not in roles_on(task)
    assert group_perms(task, "VPUBND") == {"view_task", "contribute_task"}
    assert grants_are_clean()


@pytest.mark.django_db
def test_preview_queries_do_not_grow_with_the_items(noivu, django_assert_num_queries):
    plan = handover("SKHDT", "STC")
    for n in range(2):
        make_task(actor=noivu, title=f"Ít {n}", contributors=("SKHDT",))
    with django_assert_num_queries(1):
        assert len(succession.handover_preview(plan)) == 2
    for n in range(5):
        make_task(actor=noivu, title=f"Nhiều {n}", chair="SKHDT", contributors=("STP",))
    with django_assert_num_queries(1):
        assert len(succession.handover_preview(plan)) == 7
    assert Task.objects.count() == 7  # the preview wrote nothing
    assert not Task.history.filter(history_change_reason=REASON).exists()


# --- Closed work ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_closed_items_and_finished_parts_keep_the_ended_body(noivu):
    closed = make_task(actor=noivu, title="Năm 2024", chair="SKHDT", contributors=("STP",))
    close(closed, year=2024)
    open_item = make_task(actor=noivu, contributors=("SKHDT", "SYT"))
    P.objects.filter(task=open_item, agency__code="SKHDT").update(status=P.Status.ACCEPTED)
    plan = handover("SKHDT", "STC")
    assert succession.handover_preview(plan) == []
    assert apply(plan) == 0
    closed.refresh_from_db()
    assert closed.chair_agency.code == "SKHDT" and roles_on(closed)["SKHDT"] == "chair"
    assert roles_on(open_item)["SKHDT"] == "contribute"  # its accepted part is done
    assert not closed.history.filter(history_change_reason=REASON).exists()
    html = login(noivu).get(reverse("task_detail", args=[closed.pk])).content.decode()
    assert "Sở Kế hoạch và Đầu tư" in html
    assert grants_are_clean()


# --- The archive the successor reads --------------------------------------------------------


@pytest.fixture
def past_item(noivu):
    """A 2024 item Sở KH&ĐT chaired and wrote for, closed; then Sở KH&ĐT merges into
    Sở Tài chính."""
    task = make_task(actor=noivu, title="Kiểm tra CCHC 2024", chair="SKHDT", contributors=("STP",))
    contribute(task, focal("STP"), "Ý kiến của Sở Tư pháp")
    contribute(task, focal("SKHDT"), "Kết quả tổng hợp của Sở KH&ĐT")
    close(task, year=2024)
    apply(handover("SKHDT", "STC"))
    return task


@pytest.mark.django_db
def test_successor_reads_the_predecessors_past_item_without_acting(past_item, contrib_focal):
    client = login(contrib_focal)  # Sở Tài chính
    page = client.get(reverse("task_detail", args=[past_item.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Kết quả tổng hợp của Sở KH&amp;ĐT" in html  # its predecessor's own
    assert "Ý kiến của Sở Tư pháp" in html  # what its predecessor, chairing, saw
    assert reverse("task_edit", args=[past_item.pk]) not in html
    assert reverse("contribution_new", args=[past_item.pk]) not in html
    assert client.get(reverse("task_edit", args=[past_item.pk])).status_code == 403
    assert client.get(reverse("contribution_new", args=[past_item.pk])).status_code == 403
    assert past_item.pk in set(Task.objects.visible_to(contrib_focal).values_list("pk", flat=True))


@pytest.mark.django_db
def test_another_body_does_not_see_the_past_item(past_item, unrelated_focal, chair_focal):
    assert (
        login(unrelated_focal).get(reverse("task_detail", args=[past_item.pk])).status_code == 404
    )
    # Sở Tư pháp took part: it sees the item and its own contribution, not the chair's.
    html = login(chair_focal).get(reverse("task_detail", args=[past_item.pk])).content.decode()
    assert "Ý kiến của Sở Tư pháp" in html and "Kết quả tổng hợp" not in html


@pytest.mark.django_db
def test_a_moved_draft_stays_noi_vus_working_copy(noivu, contrib_focal):
    draft = make_task(actor=noivu, chair="SKHDT", contributors=("STP",), assign=False)
    apply(handover("SKHDT", "STC"))
    assert group_perms(draft, "STC") == {"view_task", "change_task", "consolidate_task"}
    assert not Task.objects.visible_to(contrib_focal).filter(pk=draft.pk).exists()


# --- Body pickers ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_pickers_offer_the_bodies_of_the_items_dates(noivu):
    from coordination.forms import ParticipantsForm, TaskCreateForm

    task = make_task(actor=noivu, contributors=("STC",), due=60)
    Agency.objects.filter(code="SYT").update(valid_to=in_days(30))  # ends before the deadline
    Agency.objects.filter(code="STC").update(valid_to=in_days(30))  # on the item already
    task.refresh_from_db()
    codes = {a.code for a in ParticipantsForm(task=task).fields["chair"].queryset}
    assert "SYT" not in codes and {"STC", "STP", "SNV"} <= codes
    assert {a.code for a in TaskCreateForm(user=noivu).fields["chair"].queryset} >= {"SYT"}
    with pytest.raises(ValidationError) as refused:
        services.validate_participants(
            services.ParticipantSpec(agency("STP"), agency("SNV"), [agency("SYT")], {}),
            in_days(60),
        )
    assert "Sở Y tế không còn hoạt động vào ngày" in " ".join(refused.value.messages)


@pytest.mark.django_db
def test_a_body_that_starts_before_the_deadline_may_take_part(noivu):
    new = Agency.objects.create(
        code="SMOI",
        name="Sở Mới",
        short_name="Sở Mới",
        abbreviation="SM",
        kind="department",
        valid_from=in_days(10),
    )
    spec = services.ParticipantSpec(agency("STP"), agency("SNV"), [new], {})
    services.validate_participants(spec, in_days(30))
    with pytest.raises(ValidationError) as refused:
        services.validate_participants(spec, in_days(5))
    assert "Sở Mới chưa hoạt động vào ngày" in " ".join(refused.value.messages)


@pytest.mark.django_db
def test_moving_a_deadline_past_a_bodys_end_is_refused(noivu):
    task = make_task(actor=noivu, contributors=("SYT",), due=20)
    Agency.objects.filter(code="SYT").update(valid_to=in_days(30))
    with pytest.raises(ValidationError) as refused:
        services.task_update(
            actor=noivu, task=task, expected_version=task.version, changes={"due_date": in_days(40)}
        )
    assert "due_date" in refused.value.message_dict
    task.refresh_from_db()
    assert task.due_date == in_days(20)


# --- Copying a year's plan ------------------------------------------------------------------


@pytest.mark.django_db
def test_copying_items_of_ended_bodies_reads_the_successions_once(noivu):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from coordination import planning

    year = dt.date.today().year
    ids = []
    for n in range(6):
        task = make_task(actor=noivu, title=f"Việc {n}", chair="SKHDT", contributors=("SLDTBXH",))
        Task.objects.filter(pk=task.pk).update(due_date=dt.date(year, 9, 15))
        ids.append(task.pk)
    handover("SKHDT", "STC")
    handover("SLDTBXH", "SYT", "SNV", change="split")
    Agency.objects.filter(code__in=["SKHDT", "SLDTBXH"]).update(valid_to=dt.date(year, 12, 31))

    def queries(chosen) -> int:
        with CaptureQueriesContext(connection) as captured:
            candidates = planning.copy_candidates(actor=noivu, year=year, ids=chosen)
        assert len(candidates) == len(chosen) and all(c.copyable for c in candidates)
        return len(captured)

    assert queries(ids[:2]) == queries(ids) == 3  # items, their contributors, successions
    candidate = planning.copy_candidates(actor=noivu, year=year, ids=ids[:1])[0]
    assert candidate.spec.chair.code == "STC"
    assert [a.code for a in candidate.spec.contributors] == ["SYT"]  # the default successor
