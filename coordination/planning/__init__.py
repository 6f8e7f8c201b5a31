"""Entering a year's plan in bulk: copying items of an earlier year (``copying``), and
importing a plan from an .xlsx file (``importing``); see docs/plan-import.md.

Both only read, shift dates and report; every item is made by ``services.task_create`` as
a draft, so an item's rules (who may create, deadlines, bodies) are the service's. The
previews run the service's own checks without writing, and the confirmations run the
service itself for every item in one transaction: one refused item saves nothing."""

from coordination.planning.common import a_year_later, next_working_day
from coordination.planning.copying import CopyCandidate, copy_candidates, plan_copy, plan_years
from coordination.planning.importing import (
    COLUMNS,
    MAX_ROWS,
    PlanImport,
    parse_plan_file,
    plan_import,
    template_workbook,
)

__all__ = [
    "COLUMNS",
    "MAX_ROWS",
    "CopyCandidate",
    "PlanImport",
    "a_year_later",
    "copy_candidates",
    "next_working_day",
    "parse_plan_file",
    "plan_copy",
    "plan_import",
    "plan_years",
    "template_workbook",
]
