"""Reporting's half of a body's handover (``agencies.handover``): the open obligations of
the body that ends move to its successor.

What moves: in every round still open (``ReportRound.Status.OPEN``) whose deadline is on or
after the change's date (the current round; a round whose deadline passed before the change
keeps the ended body's overdue draft as it was), the ending body's
report while it is editable (draft or returned) and, where it has none yet, its place
among the round's required bodies. The successor takes the body's place in the round
and its report. A successor that already has its own report in the round keeps it: the
ended body's draft stays where it is (no duplicate), with a history row saying why.
Submitted and accepted reports and closed rounds stay with the ended body: the past
keeps the body as it was.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from agencies import history
from agencies.handover import Handover, HandoverLine
from agencies.models import Agency
from reports.models import AgencyReport, ReportRound


@dataclass
class _Obligation:
    """One open round where the ending body owes something."""

    round: ReportRound
    report: AgencyReport | None  # the ending body's editable report, if created
    taken: set[int]  # the bodies (among the successors) with a report of their own there
    required_ids: set[int]  # the successors already required in the round

    @property
    def key(self) -> str:
        return f"report:{self.report.pk}" if self.report else f"round:{self.round.pk}"


def _obligations(handover: Handover) -> list[_Obligation]:
    """The ending body's open obligations, round by round (long, but three queries)."""
    ending = handover.ending
    rounds = list(
        ReportRound.objects.filter(
            status=ReportRound.Status.OPEN, deadline__gte=handover.effective_date
        )
        .filter(Q(required_agencies=ending) | Q(reports__agency=ending))
        .distinct()
        .order_by("deadline", "pk")
    )
    if not rounds:
        return []
    successor_ids = {a.pk for a in handover.successors} - {ending.pk}
    reports = AgencyReport.objects.filter(
        round__in=rounds, agency_id__in={ending.pk, *successor_ids}
    ).order_by("pk")
    own: dict[int, AgencyReport] = {}
    taken: dict[int, set[int]] = defaultdict(set)
    for report in reports:
        if report.agency_id == ending.pk:
            own[report.round_id] = report
        else:
            taken[report.round_id].add(report.agency_id)
    through = ReportRound.required_agencies.through
    required: dict[int, set[int]] = defaultdict(set)
    for round_id, agency_id in through.objects.filter(
        reportround_id__in=[r.pk for r in rounds], agency_id__in={ending.pk, *successor_ids}
    ).values_list("reportround_id", "agency_id"):
        required[round_id].add(agency_id)
    found = []
    for rnd in rounds:
        report = own.get(rnd.pk)
        if report is not None and not report.is_editable:
            continue  # sent or accepted: done work stays with the ended body
        found.append(
            _Obligation(
                round=rnd,
                report=report,
                taken=taken[rnd.pk],
                required_ids=required[rnd.pk] - {ending.pk},
            )
        )
    return found


def _untouched(report: AgencyReport | None) -> bool:
    """A draft nobody has written in (made empty when the round opened, never sent)."""
    return (
        report is not None
        and report.status == AgencyReport.Status.DRAFT
        and report.version == 0
        and not any(report.sections.values())
        and not any(v not in (None, "") for v in report.indicators.values())
    )


def _detail(item: _Obligation, successor: Agency) -> str:
    status = item.report.get_status_display() if item.report else _("Chưa tạo báo cáo của cơ quan")
    if successor.pk not in item.taken:
        return str(status)
    if _untouched(item.report):
        return _(
            "%(status)s (chưa có nội dung); %(successor)s đã có báo cáo của mình trong kỳ này "
            "nên bản trống này được bỏ"
        ) % {"status": status, "successor": successor.name}
    if item.report is None:
        return _("%(status)s; %(successor)s đã có báo cáo của mình trong kỳ này") % {
            "status": status,
            "successor": successor.name,
        }
    return _(
        "%(status)s; %(successor)s đã có báo cáo của mình trong kỳ này nên báo cáo này "
        "được giữ lại với cơ quan cũ, không chuyển"
    ) % {"status": status, "successor": successor.name}


def handover_preview(handover: Handover) -> list[HandoverLine]:
    """What would move: one line per open round where the ending body owes a report
    (read-only, three queries)."""
    lines = []
    for item in _obligations(handover):
        successor = handover.successor_for(item.key)
        lines.append(
            HandoverLine(
                key=item.key,
                kind=_("Báo cáo"),
                label=item.round.title,
                detail=_detail(item, successor),
                successor=successor,
                choosable=handover.is_split,
            )
        )
    return lines


def handover_apply(handover: Handover) -> int:
    """Move the ending body's open obligations to the successor (inside the caller's
    transaction): its place in each open round and its editable report, with history
    naming the legal basis. Returns how many obligations moved."""
    ending, reason = handover.ending, handover.reason
    moved = 0
    for item in _obligations(handover):
        successor = handover.successor_for(item.key)
        rnd, report = item.round, item.report
        if successor.pk in item.taken and _untouched(report) and not report.attachments.exists():
            # The successor reports in this round already; the ended body's empty draft,
            # made when the round opened, is not a record of anything: it goes.
            history.delete(report, reason, handover.actor)
            moved += 1
        elif report is not None and successor.pk in item.taken:
            # The successor reports in this round already: no second report of one body.
            note = _(
                "%(reason)s: %(successor)s đã có báo cáo trong kỳ này; báo cáo này giữ lại "
                "với cơ quan cũ"
            ) % {"reason": reason, "successor": successor.name}
            history.save(report, note)
        elif report is not None:
            report.agency = successor
            history.save(report, reason)
            moved += 1
        else:
            if successor.pk not in item.taken:
                history.save(AgencyReport(round=rnd, agency=successor), reason)
            moved += 1
        rnd.required_agencies.remove(ending)
        if successor.pk not in item.required_ids:
            rnd.required_agencies.add(successor)
        history.save(rnd, reason)
    return moved
