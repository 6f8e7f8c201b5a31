"""Reorganisation plans: stored as drafts after they are read and checked, applied once in
one transaction (docs/reorganisation.md). The one way bodies merge, split, are renamed,
abolished or created, and the province's name changes."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import history
from agencies.models import Agency, AgencyName, Province, Succession, User
from reorg.models import Plan
from reorg.parsing import PlanRow, read_plan_file
from reorg.plan import digest, read
from reorg.preview import (
    APPS,
    checked_choices,
    create_bodies,
    handovers,
    plan_preview,
    renames,
    rows_of,
)


def plan_from_file(*, actor, upload) -> Plan:
    """A draft plan from an uploaded .csv or .xlsx; ValidationError lists what is wrong."""
    rows = read_plan_file(upload)
    name = getattr(upload, "name", "") or ""
    title = name.rsplit("/", 1)[-1].rsplit(".", 1)[0] or _("Phương án sắp xếp")
    return plan_create(actor=actor, rows=rows, title=title, source_name=name)


def plan_create(*, actor, rows: list[PlanRow], title: str, source_name: str = "") -> Plan:
    """A draft plan of ``rows`` once they make sense against the bodies as they are."""
    if not rows:
        raise ValidationError(_("Phương án không có dòng nào."))
    reading = read(rows)
    if reading.errors:
        raise ValidationError(reading.errors)
    _refuse_applied(digest(rows))
    plan = Plan(
        title=title[:255],
        source_name=source_name[:255],
        effective_date=reading.effective_date,
        legal_basis=reading.legal_basis,
        rows=[row.as_dict() for row in rows],
        digest=digest(rows),
        created_by=actor,
    )
    history.save(plan, _("Tải lên phương án sắp xếp"), actor)
    return plan


def _refuse_applied(key: str) -> None:
    earlier = Plan.objects.filter(digest=key, status=Plan.Status.APPLIED).first()
    if earlier is not None:
        raise ValidationError(
            _("Phương án này đã được áp dụng ngày %(day)s (“%(title)s”); không áp dụng lại.")
            % {
                "day": timezone.localtime(earlier.applied_at).strftime("%d/%m/%Y"),
                "title": earlier.title,
            }
        )


def plan_apply(plan: Plan, *, actor, choices=None, deactivate_users: bool = False) -> Plan:
    """Apply the plan, all of it or nothing (long: it locks the plan, reads it again against
    the bodies as they are now, then ends, creates and renames bodies, hands every ended
    body's open work to its successors, moves its users and changes the province)."""
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if plan.is_applied:
            raise ValidationError(_("Phương án này đã được áp dụng; không áp dụng lại."))
        _refuse_applied(plan.digest)
        rows = rows_of(plan)
        bodies = {a.code: a for a in Agency.objects.select_for_update().order_by("pk")}
        reading = read(rows, bodies)
        if reading.errors:
            raise ValidationError(reading.errors)
        if choices is not None:  # the officer's picks, checked against what the preview offers
            plan.choices = checked_choices(plan_preview(plan), dict(choices))
        plan.deactivate_users = deactivate_users
        day, reason = reading.effective_date, _("Theo %(basis)s") % {"basis": reading.legal_basis}
        ending = [bodies[e.code] for e in reading.endings]
        for agency in ending:  # a lead that ends goes before its successor exists
            agency.valid_to = day - dt.timedelta(days=1)
            history.save(agency, reason, actor, update_fields=["valid_to"])
        renamed = renames(reading, bodies)
        _rename(renamed, day, reason, actor)
        create_bodies(reading, bodies, reason, actor)
        summary = {}
        for handover, item in handovers(reading, bodies, plan, actor):
            moved = {app.__name__.split(".")[0]: app.handover_apply(handover) for app in APPS}
            for successor in handover.successors:
                Succession.objects.create(
                    predecessor=handover.ending,
                    successor=successor,
                    change=item.change,
                    effective_date=day,
                    legal_basis=handover.legal_basis,
                    is_default=successor == handover.successor,
                )
            moved["users"] = _move_users(handover, deactivate_users, actor)
            summary[handover.ending.code] = {
                "name": handover.ending.name,
                "successors": [s.code for s in handover.successors],
                "default": handover.successor.code,
                **moved,
            }
        if reading.province is not None:
            _province(reading.province, day, actor)
        plan.status = Plan.Status.APPLIED
        plan.applied_by, plan.applied_at = actor, timezone.now()
        plan.summary = {
            "ended": summary,
            "created": sorted(reading.created),
            "renamed": [agency.code for agency, _row in renamed],
        }
        try:
            with transaction.atomic():
                history.save(plan, _("Áp dụng phương án sắp xếp"), actor)
        except IntegrityError as exc:  # the same content applied at the same moment
            raise ValidationError(_("Phương án này đã được áp dụng; không áp dụng lại.")) from exc
    return plan


def _rename(renamed, day: dt.date, reason: str, actor) -> None:
    """Existing bodies that carry on with a new name: the old one stays for the past."""
    for agency, row in renamed:
        AgencyName.objects.update_or_create(
            agency=agency,
            valid_to=day - dt.timedelta(days=1),
            defaults={
                "code": agency.code,
                "name": agency.name,
                "short_name": agency.short_name,
                "abbreviation": agency.abbreviation,
                "legal_basis": row.legal_basis,
            },
        )
        agency.name = row.to_name or agency.name
        agency.short_name = row.to_short_name or agency.short_name
        agency.abbreviation = row.to_abbreviation or agency.abbreviation
        if row.to_kind:
            agency.kind = row.to_kind
        if row.to_level:
            agency.level = row.to_level
        history.save(agency, reason, actor)


def _move_users(handover, deactivate: bool, actor) -> int:
    """The ended body's active users move to the default successor (or are deactivated)."""
    users = list(User.objects.filter(agency=handover.ending, is_active=True))
    for user in users:
        if deactivate:
            user.is_active = False
        else:
            user.agency = handover.successor
        history.save(user, handover.reason, actor)
    return len(users)


def _province(row: PlanRow, day: dt.date, actor) -> None:
    """From ``day`` the province printed on pages and documents is the row's."""
    for current in Province.objects.filter(valid_to__isnull=True):
        current.valid_to = day - dt.timedelta(days=1)
        history.save(current, row.legal_basis, actor)
    province = Province(
        name=row.to_name, short_name=row.to_short_name, valid_from=day, legal_basis=row.legal_basis
    )
    history.save(province, row.legal_basis, actor)


def plan_discard(plan: Plan, *, actor) -> None:
    """Delete a draft plan (an applied one is a record and stays)."""
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if plan.is_applied:
            raise ValidationError(_("Phương án đã áp dụng không xóa được."))
        history.delete(plan, _("Bỏ phương án chưa áp dụng"), actor)
