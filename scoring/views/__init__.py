"""Scoring pages: small typed function views. Each fetches through the access layer,
binds a form, calls one service and redirects or renders. No state changes on GET."""

from scoring.views.assessments import (
    appeal_decide,
    appeal_submit,
    assessment_appraisal_complete,
    assessment_appraise,
    assessment_detail,
    assessment_explain,
    assessment_finalise,
    assessment_history,
    assessment_save,
    assessment_submit,
    evidence_download,
    evidence_upload,
)
from scoring.views.criteria import (
    criteria_set_copy,
    criteria_set_detail,
    criteria_set_import,
    criteria_set_list,
    criteria_set_publish,
    criteria_set_template,
)
from scoring.views.home import scoring_home
from scoring.views.periods import (
    assignment_add,
    period_create,
    period_detail,
    period_edit,
    period_publish,
    period_results,
    period_results_export,
)

__all__ = [
    "appeal_decide",
    "appeal_submit",
    "assessment_appraisal_complete",
    "assessment_appraise",
    "assessment_detail",
    "assessment_explain",
    "assessment_finalise",
    "assessment_history",
    "assessment_save",
    "assessment_submit",
    "assignment_add",
    "criteria_set_copy",
    "criteria_set_detail",
    "criteria_set_import",
    "criteria_set_list",
    "criteria_set_publish",
    "criteria_set_template",
    "evidence_download",
    "evidence_upload",
    "period_create",
    "period_detail",
    "period_edit",
    "period_publish",
    "period_results",
    "period_results_export",
    "scoring_home",
]
