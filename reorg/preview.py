"""The preview of a plan: what it creates, ends and renames, and for every body that ends
the open work and the users that move and where to. Computed by applying the plan's new
bodies inside a transaction that is rolled back, so every app's preview sees the
successors as they will be; nothing is written."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agencies import history
from agencies.handover import Handover, HandoverLine
from agencies.models import Agency, User
from coordination import succession as coordination_succession
from reorg.models import Plan
from reorg.parsing import PlanRow
from reorg.plan import Reading, read
from reports import succession as reports_succession
from scoring import succession as scoring_succession

# The apps that hold a body's open work, in the order they hand it over.
APPS = (coordination_succession, reports_succession, scoring_succession)


@dataclass
class EndingBody:
    agency: Agency
    change: str
    successors: list[Agency]
    default: Agency
    lines: list[HandoverLine] = field(default_factory=list)
    users: list[User] = field(default_factory=list)

    @property
    def change_label(self) -> str:
        from reorg.models import Change

        return str(Change(self.change).label)


@dataclass
class PlanPreview:
    plan: Plan
    reading: Reading
    created: list[PlanRow]
    renamed: list[tuple[Agency, PlanRow]]
    ending: list[EndingBody]
    province: PlanRow | None
    errors: list[str]

    @property
    def line_count(self) -> int:
        return sum(len(e.lines) for e in self.ending)


def rows_of(plan: Plan) -> list[PlanRow]:
    return [PlanRow.from_dict(r) for r in plan.rows]


def renames(reading: Reading, bodies: dict[str, Agency]) -> list[tuple[Agency, PlanRow]]:
    """Existing bodies that carry on with another name, short name or abbreviation."""
    found = []
    for code, row in reading.updated.items():
        agency = bodies[code]
        new = (row.to_name, row.to_short_name, row.to_abbreviation)
        if any(new) and new != (agency.name, agency.short_name, agency.abbreviation):
            found.append((agency, row))
    return found


def handovers(reading: Reading, bodies: dict[str, Agency], plan: Plan, actor=None):
    """One ``Handover`` per ending body (the successors must exist in ``bodies``)."""
    for ending in reading.endings:
        successors = [bodies[c] for c in ending.successor_codes]
        yield (
            Handover(
                ending=bodies[ending.code],
                successor=bodies[ending.default_code],
                successors=successors,
                effective_date=reading.effective_date,
                legal_basis=reading.legal_basis,
                choices=own_choices(plan.choices or {}, ending.code),
                actor=actor,
            ),
            ending,
        )


def choice_key(ending_code: str, key: str) -> str:
    """A pick's key in ``Plan.choices``: the ended body's code and the item's key
    (``TUYHOA/task:12``), since one item may have several ended bodies taking part."""
    return f"{ending_code}/{key}"


def own_choices(choices: dict[str, str], ending_code: str) -> dict[str, str]:
    """The picks for one ended body's items, by the item's key (``Handover.choices``)."""
    prefix = choice_key(ending_code, "")
    return {k.removeprefix(prefix): v for k, v in choices.items() if k.startswith(prefix)}


def create_bodies(reading: Reading, bodies: dict[str, Agency], reason="", actor=None) -> None:
    """The plan's new bodies, valid from its date, added to ``bodies`` (with history naming
    ``reason`` and ``actor`` when the plan is applied; the preview passes none)."""
    order = max((a.sort_order for a in bodies.values()), default=0)
    for code, row in reading.created.items():
        order += 10
        agency = Agency(
            code=code,
            name=row.to_name,
            short_name=row.to_short_name,
            abbreviation=row.to_abbreviation,
            kind=row.to_kind,
            level=row.to_level,
            valid_from=reading.effective_date,
            sort_order=order,
        )
        if reason:
            history.save(agency, reason, actor)
        else:
            agency.save()
        bodies[code] = agency


class _Rollback(Exception):
    pass


def plan_preview(plan: Plan) -> PlanPreview:
    """What applying ``plan`` would do, computed without writing anything (long: the new
    bodies are created in a transaction that is always rolled back)."""
    rows = rows_of(plan)
    bodies = {a.code: a for a in Agency.objects.all()}
    reading = read(rows, bodies)
    preview = PlanPreview(
        plan=plan,
        reading=reading,
        created=list(reading.created.values()),
        renamed=renames(reading, bodies),
        ending=[],
        province=reading.province,
        errors=list(reading.errors),
    )
    if reading.errors or plan.is_applied:
        return preview
    users = {}
    for user in User.objects.filter(
        agency__code__in=[e.code for e in reading.endings], is_active=True
    ).order_by("full_name", "username"):
        users.setdefault(user.agency_id, []).append(user)
    try:
        with transaction.atomic():
            # A lead body that ends must end before its successor is created (one active lead).
            for ending in reading.endings:
                agency = bodies[ending.code]
                if agency.kind == Agency.Kind.LEAD and agency.valid_to is None:
                    Agency.objects.filter(pk=agency.pk).update(valid_to=reading.effective_date)
            create_bodies(reading, bodies)
            for handover, ending in handovers(reading, bodies, plan):
                lines = [line for app in APPS for line in app.handover_preview(handover)]
                preview.ending.append(
                    EndingBody(
                        agency=handover.ending,
                        change=ending.change,
                        successors=handover.successors,
                        default=handover.successor,
                        lines=lines,
                        users=users.get(handover.ending.pk, []),
                    )
                )
            raise _Rollback
    except _Rollback:
        pass
    return preview


def checked_choices(preview: PlanPreview, choices: dict[str, str]) -> dict[str, str]:
    """The successors the officer picked for a split's items (``choice_key`` -> a
    successor's code), checked against the preview: only choosable lines, only that
    body's successors. ValidationError names every item whose pick is not one of them
    (nothing is dropped in silence)."""
    checked: dict[str, str] = {}
    errors: list[str] = []
    for body in preview.ending:
        allowed = {a.code for a in body.successors}
        for line in body.lines:
            key = choice_key(body.agency.code, line.key)
            code = choices.get(key, "") if line.choosable else ""
            if not code:
                continue
            if code not in allowed:
                errors.append(
                    _("“%(label)s”: cơ quan nhận đã chọn không phải cơ quan kế thừa của %(body)s.")
                    % {"label": line.label, "body": body.agency.name}
                )
                continue
            checked[key] = code
    known = {
        choice_key(body.agency.code, line.key)
        for body in preview.ending
        for line in body.lines
        if line.choosable
    }
    for key in sorted(set(choices) - known):
        errors.append(
            _("“%(key)s” không phải việc được chọn cơ quan nhận trong phương án này.")
            % {"key": key}
        )
    if errors:
        raise ValidationError(errors)
    return checked
