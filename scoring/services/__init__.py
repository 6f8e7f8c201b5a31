"""Writes for PAR index scoring. Each service is a transaction: it checks who acts, the
period's window and the assessment's state, validates everything first, and only then
saves with a history reason. On any error nothing is saved."""

from scoring.services.appeals import appeal_decide, appeal_submit
from scoring.services.assessments import (
    area_of,
    assessment_appraisal_complete,
    assessment_explain,
    assessment_finalise,
    assessment_submit,
    evidence_add,
    score_appraise,
    score_self_assess,
    submission_problems,
)
from scoring.services.common import STEP_LABELS, ScoreEntry, check_window, validate_value
from scoring.services.criteria import (
    criteria_set_copy,
    criteria_set_errors,
    criteria_set_import,
    criteria_set_publish,
)
from scoring.services.periods import (
    assignment_add,
    exclusion_problems,
    period_create,
    period_publish,
    period_update,
    province_assessment_record,
    publication_pending,
)

__all__ = [
    "STEP_LABELS",
    "ScoreEntry",
    "appeal_decide",
    "appeal_submit",
    "area_of",
    "assessment_appraisal_complete",
    "assessment_explain",
    "assessment_finalise",
    "assessment_submit",
    "assignment_add",
    "check_window",
    "criteria_set_copy",
    "criteria_set_errors",
    "criteria_set_import",
    "criteria_set_publish",
    "evidence_add",
    "exclusion_problems",
    "period_create",
    "period_publish",
    "period_update",
    "province_assessment_record",
    "publication_pending",
    "score_appraise",
    "score_self_assess",
    "submission_problems",
    "validate_value",
]
