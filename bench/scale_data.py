"""A province's five years of data, inserted in bulk with history and grants.

Bulk inserts bypass the services for speed, so this module writes what the services
would: a history row for every Task, Participation and Contribution
(``bulk_create_with_history``) and the guardian grants of ``access.TASK_GRANTS`` for
every participation, exactly as ``coordination.services._apply_participants`` does.
Scoring periods and report rounds are opened through their services.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from agencies import history, roles
from agencies.models import Agency, User
from agencies.roles import role_group
from coordination.models import (
    Category,
    Contribution,
    Participation,
    Task,
    TaskGroupObjectPermission,
)

P = Participation
S = Task.Status
BATCH = 2000
REASON = "Dữ liệu thử tải (generate_scale_data)"


@dataclass(frozen=True)
class Plan:
    """How much to create; ``scale`` multiplies the depth of history (years of items at a
    province's pace, scoring periods, report rounds), not the bodies or users."""

    bodies: int = 60
    users_per_body: int = 10
    items: int = 20_000
    contributors_per_item: float = 3.0  # + chair + tracker = ~5 participations per item
    contributions: int = 40_000
    periods: int = 5
    scored_bodies: int = 30
    criteria: int = 100
    rounds: int = 20
    report_bodies: int = 30

    @classmethod
    def scaled(cls, scale: float, **overrides) -> Plan:
        base = cls(**overrides)
        return cls(
            bodies=base.bodies,
            users_per_body=base.users_per_body,
            items=max(1, round(base.items * scale)),
            contributors_per_item=base.contributors_per_item,
            contributions=max(1, round(base.contributions * scale)),
            # At least two periods, so the results page compares with a previous year.
            periods=min(base.periods, max(2, round(base.periods * scale))),
            scored_bodies=min(base.scored_bodies, base.bodies - 1),
            criteria=base.criteria,
            rounds=max(1, round(base.rounds * scale)),
            report_bodies=min(base.report_bodies, base.bodies - 1),
        )


# --- Bodies and users ---------------------------------------------------------------


def make_agencies(plan: Plan) -> list[Agency]:
    """Sở Nội vụ (the lead) plus departments and districts, each with its group."""
    lead = Agency.objects.filter(kind=Agency.Kind.LEAD).first() or Agency.objects.create(
        code="SNV", name="Sở Nội vụ", short_name="Nội vụ", abbreviation="SNV", kind="lead"
    )
    agencies = [lead]
    for n in range(1, plan.bodies):
        district = n % 3 == 0
        agencies.append(
            Agency.objects.create(
                code=f"BENCH{n:03d}",
                name=f"{'UBND huyện' if district else 'Sở'} thử tải số {n}",
                short_name=f"Thử tải {n}",
                abbreviation=f"TT{n}",
                kind=Agency.Kind.DISTRICT if district else Agency.Kind.DEPARTMENT,
                level=Agency.Level.DISTRICT if district else Agency.Level.PROVINCE,
                sort_order=n,
                email=f"bench{n}@example.invalid",
            )
        )
    return agencies


def make_users(plan: Plan, agencies: list[Agency], password: str) -> dict[str, list[User]]:
    """Per body one focal officer and staff; Sở Nội vụ's users are officers, plus leaders."""
    hashed = make_password(password)  # hashed once: 600 PBKDF2 runs would take minutes
    cast: dict[str, list[User]] = {r: [] for r in roles.ROLE_PERMISSIONS}
    for agency in agencies:
        for n in range(plan.users_per_body):
            role = _role_of(agency, n)
            user = User(
                username=f"{agency.code.lower()}.{n}",
                agency=agency,
                full_name=f"Cán bộ {n} {agency.short_name}",
                email=f"{agency.code.lower()}.{n}@example.invalid",
                password=hashed,
            )
            history.save(user, REASON)
            user.groups.add(role_group(role))
            cast[role].append(user)
    return cast


def _role_of(agency: Agency, n: int) -> str:
    if agency.kind == Agency.Kind.LEAD:
        return roles.LEADERSHIP if n >= 8 else roles.NOIVU_OFFICER
    return roles.FOCAL_OFFICER if n < 2 else roles.AGENCY_STAFF


# --- Coordination items ---------------------------------------------------------------


def _task_status(rng: random.Random, due: dt.date, today: dt.date) -> str:
    age = (today - due).days
    roll = rng.random()
    if age > 365:  # older years are closed: done or cancelled
        return S.DONE if roll < 0.97 else S.CANCELLED
    if age > 60:  # a few of this year's items linger past their deadline
        return S.DONE if roll < 0.95 else (S.CANCELLED if roll < 0.98 else S.IN_PROGRESS)
    if age > 0:
        return S.DONE if roll < 0.6 else (S.UNDER_REVIEW if roll < 0.7 else S.IN_PROGRESS)
    return S.ASSIGNED if roll < 0.4 else (S.IN_PROGRESS if roll < 0.9 else S.DRAFT)


def make_tasks(plan: Plan, agencies, officers, rng, today) -> list[Task]:
    lead, bodies = agencies[0], agencies[1:]
    # Items per month stay those of a province; ``scale`` changes how many years deep.
    span = max(90, round(5 * 365 * plan.items / Plan.items))
    categories = [c.value for c in Category]
    tasks = []
    for n in range(plan.items):
        due = today - dt.timedelta(days=span) + dt.timedelta(days=(span + 90) * n // plan.items)
        status = _task_status(rng, due, today)
        late = status == S.DONE and rng.random() < 0.15
        done_on = due + dt.timedelta(days=rng.randint(1, 20) if late else -rng.randint(0, 10))
        tasks.append(
            Task(
                title=f"Nhiệm vụ phối hợp số {n + 1}: triển khai kế hoạch cải cách hành chính",
                category=rng.choice(categories),
                description="Nội dung nhiệm vụ phối hợp cải cách hành chính. " * 4,
                chair_agency=rng.choice(bodies),
                tracking_agency=lead,
                due_date=due,
                status=status,
                completed_at=_at(done_on) if status == S.DONE else None,
                completed_late=late,
                created_by=rng.choice(officers),
            )
        )
    return history.bulk_create(Task, tasks, REASON, officers[0], batch_size=BATCH)


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 30)))


def _part_status(task: Task, role: str, rng: random.Random) -> str:
    if task.status == S.DONE:
        return P.Status.ACCEPTED
    if task.status in {S.DRAFT, S.ASSIGNED, S.CANCELLED} or role == P.Role.TRACK:
        return P.Status.PENDING
    if role == P.Role.CHAIR:
        return P.Status.SUBMITTED if task.status == S.UNDER_REVIEW else P.Status.IN_PROGRESS
    return rng.choice([P.Status.PENDING, P.Status.IN_PROGRESS, P.Status.SUBMITTED])


def make_participations(plan: Plan, tasks, agencies, rng) -> list[Participation]:
    lead, bodies = agencies[0], agencies[1:]
    parts = []
    for task in tasks:
        others = [a for a in bodies if a.pk != task.chair_agency_id]
        k = min(len(others), _contributor_count(plan, rng))
        roles_of = [(task.chair_agency_id, P.Role.CHAIR), (lead.pk, P.Role.TRACK)]
        roles_of += [(a.pk, P.Role.CONTRIBUTE) for a in rng.sample(others, k)]
        for agency_id, role in roles_of:
            parts.append(_participation(task, agency_id, role, rng))
    return history.bulk_create(P, parts, REASON, batch_size=BATCH)


def _contributor_count(plan: Plan, rng: random.Random) -> int:
    low = int(plan.contributors_per_item)
    return (
        low + (1 if rng.random() < plan.contributors_per_item - low else 0) + rng.choice([-1, 0, 1])
    )


def _participation(task: Task, agency_id: int, role: str, rng) -> Participation:
    status = _part_status(task, role, rng)
    done = status in {P.Status.ACCEPTED, P.Status.SUBMITTED}
    return P(
        task=task,
        agency_id=agency_id,
        role=role,
        status=status,
        submitted_at=_at(task.due_date - dt.timedelta(days=rng.randint(0, 5))) if done else None,
        accepted_at=task.completed_at if status == P.Status.ACCEPTED else None,
        accepted_late=task.completed_late and status == P.Status.ACCEPTED,
    )


def grant_participations(parts: list[Participation], agencies) -> int:
    """The guardian rows ``_apply_participants`` would write: TASK_GRANTS per role."""
    from coordination.access import TASK_GRANTS

    group_of = {a.pk: a.group_id for a in agencies}
    perms = dict(
        Permission.objects.filter(content_type__app_label="coordination").values_list(
            "codename", "pk"
        )
    )
    rows = [
        TaskGroupObjectPermission(
            content_object_id=p.task_id, group_id=group_of[p.agency_id], permission_id=perms[c]
        )
        for p in parts
        for c in TASK_GRANTS[p.role]
    ]
    TaskGroupObjectPermission.objects.bulk_create(rows, batch_size=BATCH * 5)
    return len(rows)


def make_contributions(plan: Plan, parts, users_by_agency, rng) -> list[Contribution]:
    """Submitted contributions of finished participations (newest items first skipped)."""
    eligible = [
        p
        for p in parts
        if p.role in {P.Role.CONTRIBUTE, P.Role.CHAIR}
        and p.status in {P.Status.ACCEPTED, P.Status.SUBMITTED}
    ]
    chosen = rng.sample(eligible, min(plan.contributions, len(eligible)))
    rows = [
        Contribution(
            participation=p,
            form=Contribution.Form.REPORT if p.role == P.Role.CHAIR else Contribution.Form.COMMENT,
            body="Ý kiến góp ý của cơ quan về dự thảo kế hoạch cải cách hành chính. " * 6,
            document_number=f"{p.pk}/BC-TT",
            is_consolidation=p.role == P.Role.CHAIR,
            submitted_by=users_by_agency[p.agency_id],
            submitted_at=p.submitted_at,
        )
        for p in chosen
    ]
    return history.bulk_create(Contribution, rows, REASON, batch_size=BATCH)


# --- Scoring ------------------------------------------------------------------------


def make_criteria_set(year: int, target: str, criteria: int):
    """A published set of ``criteria`` leaves under ten areas (100 points in all)."""
    from scoring.models import CriteriaSet, Criterion

    areas = 10
    per_area = max(1, criteria // areas)
    cset = CriteriaSet.objects.create(
        year=year,
        target=target,
        title=f"Bộ tiêu chí thử tải {target} {year}",
        total_points=Decimal(areas * per_area),
        status=CriteriaSet.Status.PUBLISHED,
    )
    parents = Criterion.objects.bulk_create(
        Criterion(
            criteria_set=cset,
            code=str(a),
            title=f"Lĩnh vực {a}",
            max_points=Decimal(per_area),
            sort_order=a * 100,
        )
        for a in range(1, areas + 1)
    )
    Criterion.objects.bulk_create(
        Criterion(
            criteria_set=cset,
            parent=parent,
            code=f"{parent.code}.{c}",
            depth=2,
            title=f"Tiêu chí thành phần {parent.code}.{c} về cải cách hành chính",
            max_points=Decimal(1),
            sort_order=parent.sort_order + c,
        )
        for parent in parents
        for c in range(1, per_area + 1)
    )
    return cset


def _windows(year: int, today: dt.date, current: bool) -> dict[str, dt.date]:
    from scoring.models import ScoringPeriod

    result = {}
    for i, step in enumerate(ScoringPeriod.STEPS):
        first = dt.date(year + 1, 1, 5)
        start = today - dt.timedelta(days=5) if current else first + dt.timedelta(days=10 * i)
        result[f"{step}_from"] = start
        result[f"{step}_to"] = start + dt.timedelta(days=10 if current else 9)
    return result


def make_scoring(plan: Plan, agencies, officer, rng, today) -> list:
    """``plan.periods`` yearly periods; all but the latest finalised and published."""
    from scoring import services
    from scoring.models import Target

    scored = agencies[1 : 1 + plan.scored_bodies]
    periods = []
    for i in range(plan.periods):
        year = today.year - plan.periods + i
        current = i == plan.periods - 1
        period = services.period_create(
            actor=officer,
            year=year,
            title=f"Chấm điểm Chỉ số CCHC năm {year}",
            windows=_windows(year, today, current),
            agencies=scored,
            department_set=make_criteria_set(year, Target.DEPARTMENT, plan.criteria),
            district_set=make_criteria_set(year, Target.DISTRICT, plan.criteria),
        )
        _fill_scores(period, rng, final=not current)
        periods.append(period)
    return periods


def _fill_scores(period, rng, *, final: bool) -> None:
    from scoring.models import Assessment, Score

    scores = list(Score.objects.filter(assessment__period=period))
    for s in scores:
        s.self_score = Decimal(rng.choice(["0", "0.5", "0.75", "1"]))
        if final:
            s.appraised_score = s.final_score = s.self_score
    fields = ["self_score", "appraised_score", "final_score"]
    history.bulk_update(Score, scores, fields, REASON, batch_size=BATCH)
    if final:
        status, when = Assessment.Status.FINALISED, timezone.now()
        for a in Assessment.objects.filter(period=period):
            a.status, a.submitted_at, a.finalised_at = status, when, when
            history.save(a, REASON)
        period.published_at = when
        history.save(period, REASON)


# --- Reports ------------------------------------------------------------------------


def make_report_rounds(plan: Plan, agencies, officer, focal_of, rng, today) -> list:
    """The last ``plan.rounds`` periodic rounds; past ones with every report submitted."""
    from reports import services
    from reports.models import ReportRound

    slots = [
        (year, period)
        for year in range(today.year - 5, today.year + 1)
        for period in (ReportRound.Period.Q1, ReportRound.Period.H1, ReportRound.Period.Q3)
        + (ReportRound.Period.YEAR,)
    ]
    slots = [s for s in slots if services.default_window(s[1], s[0])[2] <= today]
    rounds = []
    bodies = agencies[1 : 1 + plan.report_bodies]
    for year, period in slots[-plan.rounds :]:
        rnd = services.round_create(
            actor=officer, kind="", year=year, period=period, agencies=bodies
        )
        _fill_reports(rnd, focal_of, rng)
        rounds.append(rnd)
    return rounds


def _fill_reports(rnd, focal_of, rng) -> None:
    from reports.models import AgencyReport

    reports = list(rnd.reports.all())
    for r in reports:
        late = rng.random() < 0.1
        r.status = AgencyReport.Status.ACCEPTED
        r.sections = {
            s["code"]: f"Kết quả {s['label'].lower()} trong kỳ. " * 8 for s in rnd.sections
        }
        received = rng.randint(500, 5000)
        r.indicators = {
            "documents_issued": rng.randint(1, 40),
            "inspections": rng.randint(0, 10),
            "tthc_received": received,
            "tthc_on_time": received - received // 50,
            "tthc_late": received // 50,
            "online_received": received // 2,
            "online_services": rng.randint(10, 200),
        }
        r.submitted_at = r.first_submitted_at = r.accepted_at = _at(
            rnd.deadline + dt.timedelta(days=3 if late else -2)
        )
        r.submitted_by, r.is_late, r.version = focal_of[r.agency_id], late, 1
    fields = ["status", "sections", "indicators", "submitted_at", "first_submitted_at"]
    fields += ["accepted_at", "submitted_by", "is_late", "version"]
    history.bulk_update(AgencyReport, reports, fields, REASON, batch_size=BATCH)


# --- All together -------------------------------------------------------------------


@transaction.atomic
def generate(plan: Plan, *, seed: int = 1, password: str, log=print) -> dict[str, int]:
    rng = random.Random(seed)
    today = timezone.localdate()
    agencies = make_agencies(plan)
    cast = make_users(plan, agencies, password)
    officer = cast[roles.NOIVU_OFFICER][0]
    focal_of = {u.agency_id: u for u in cast[roles.FOCAL_OFFICER]}
    focal_of[agencies[0].pk] = officer
    log(f"{len(agencies)} cơ quan, {sum(map(len, cast.values()))} người dùng")
    tasks = make_tasks(plan, agencies, cast[roles.NOIVU_OFFICER], rng, today)
    parts = make_participations(plan, tasks, agencies, rng)
    grants = grant_participations(parts, agencies)
    log(f"{len(tasks)} nhiệm vụ, {len(parts)} lượt tham gia, {grants} quyền")
    contributions = make_contributions(plan, parts, focal_of, rng)
    log(f"{len(contributions)} nội dung phối hợp")
    periods = make_scoring(plan, agencies, officer, rng, today)
    rounds = make_report_rounds(plan, agencies, officer, focal_of, rng, today)
    log(f"{len(periods)} đợt chấm điểm, {len(rounds)} kỳ báo cáo")
    return {
        "agencies": len(agencies),
        "users": sum(map(len, cast.values())),
        "tasks": len(tasks),
        "participations": len(parts),
        "grants": grants,
        "contributions": len(contributions),
        "periods": len(periods),
        "rounds": len(rounds),
    }
