"""One body's assessment: self-assessment, evidence, submission, appraisal,
explanation and finalisation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import history
from agencies.files import validate_upload
from scoring import access
from scoring.models import Assessment, Criterion, Evidence
from scoring.services.common import (
    A,
    ScoreEntry,
    _check_status,
    _d,
    _locked,
    _raise_if,
    _save,
    _scores_by_criterion,
    _stale,
    check_window,
    validate_value,
)


def _own_focal(actor, assessment: Assessment) -> None:
    access.require(actor.agency_id == assessment.agency_id and access.is_focal_officer(actor))


def _self_areas(actor, assessment: Assessment) -> set[int] | None:
    """None: the body's own assessment; else the province areas the actor's body answers for."""
    access.require(access.is_focal_officer(actor))
    areas = access.self_assess_area_ids(actor, assessment)
    access.require(areas is None or bool(areas))
    return areas


def _criteria_by_id(assessment: Assessment) -> dict[int, Criterion]:
    return {c.pk: c for c in assessment.criteria_set.criteria.all()}


@transaction.atomic
def score_self_assess(
    *,
    actor,
    assessment: Assessment,
    entries: list[ScoreEntry],
    suggestions: dict[int, Decimal] | None = None,
) -> int:
    """Save the body's draft scores and notes. Returns how many scores changed."""
    assessment = _locked(assessment)
    areas = _self_areas(actor, assessment)
    _check_status(assessment, {A.DRAFT})
    check_window(assessment.period, "self")
    scores = _scores_by_criterion(assessment)
    by_id = _criteria_by_id(assessment) if areas is not None else {}
    suggestions = suggestions or {}
    errors, changed = [], []
    for entry in entries:
        score = scores.get(entry.criterion_id)
        if score is None:
            continue
        criterion = score.criterion
        if areas is not None and area_of(criterion, by_id) not in areas:
            errors.append(
                _("Tiêu chí %(code)s không thuộc lĩnh vực cơ quan bạn phụ trách.")
                % {"code": criterion.code}
            )
            continue
        if criterion.method == Criterion.Method.SURVEY:
            continue
        if not criterion.applies_to_kind(assessment.agency.kind):
            continue
        stale = _stale(score, entry)
        if stale:
            errors.append(stale)
            continue
        value = None if entry.not_applicable else entry.value
        problem = validate_value(criterion, value)
        if problem:
            errors.append(
                _("Tiêu chí %(code)s: %(msg)s") % {"code": criterion.code, "msg": problem}
            )
            continue
        note = entry.note.strip()
        suggested = suggestions.get(criterion.pk)
        if suggested is not None and value is not None and value != suggested and not note:
            errors.append(
                _("Tiêu chí %(code)s: điểm khác điểm gợi ý %(suggested)s; hãy ghi giải thích.")
                % {"code": criterion.code, "suggested": _d(suggested)}
            )
            continue
        if entry.not_applicable and not note:
            errors.append(
                _("Tiêu chí %(code)s: hãy ghi lý do không áp dụng.") % {"code": criterion.code}
            )
            continue
        new = (value, note, entry.not_applicable)
        if new != (score.self_score, score.self_note, score.not_applicable):
            score.self_score, score.self_note, score.not_applicable = new
            changed.append(score)
    _raise_if(errors)
    for score in changed:
        _save(score, _("Tự đánh giá"))
    return len(changed)


def submission_problems(assessment: Assessment) -> list[str]:
    problems = []
    scores = assessment.scores.select_related("criterion").prefetch_related("evidence")
    for score in scores:
        criterion = score.criterion
        if score.not_applicable or criterion.method == Criterion.Method.SURVEY:
            continue
        if score.self_score is None:
            problems.append(_("Tiêu chí %(code)s chưa có điểm.") % {"code": criterion.code})
        elif criterion.evidence_required and not score.evidence.all() and not score.self_note:
            problems.append(
                _("Tiêu chí %(code)s yêu cầu tài liệu kiểm chứng: hãy đính kèm hoặc giải thích.")
                % {"code": criterion.code}
            )
    return problems


@transaction.atomic
def assessment_submit(*, actor, assessment: Assessment) -> Assessment:
    assessment = _locked(assessment)
    _own_focal(actor, assessment)
    _check_status(assessment, {A.DRAFT})
    check_window(assessment.period, "self")
    _raise_if(submission_problems(assessment))
    assessment.status = A.SUBMITTED
    assessment.submitted_at = timezone.now()
    _save(assessment, _("Gửi bản tự đánh giá"))
    return assessment


@transaction.atomic
def evidence_add(
    *,
    actor,
    assessment: Assessment,
    upload,
    score_ids: list[int],
    document_number: str = "",
    document_date: dt.date | None = None,
    section: str = "",
) -> Evidence:
    """Attach one evidence file backing one or more criteria of the assessment."""
    assessment = _locked(assessment)
    areas = _self_areas(actor, assessment)
    step = {A.DRAFT: "self", A.APPRAISED: "explanation", A.FINALISED: "appeal"}.get(
        assessment.status
    )
    if step is None or (areas is not None and step != "self"):
        _check_status(
            assessment, {A.DRAFT} if areas is not None else {A.DRAFT, A.APPRAISED, A.FINALISED}
        )
    check_window(assessment.period, step)
    validate_upload(upload)
    scores = list(assessment.scores.filter(pk__in=score_ids).select_related("criterion"))
    if not scores:
        raise ValidationError(_("Hãy chọn ít nhất một tiêu chí mà tài liệu chứng minh."))
    if areas is not None:
        by_id = _criteria_by_id(assessment)
        if any(area_of(s.criterion, by_id) not in areas for s in scores):
            raise ValidationError(
                _("Chỉ đính kèm cho tiêu chí thuộc lĩnh vực cơ quan bạn phụ trách.")
            )
    evidence = Evidence(
        assessment=assessment,
        document_number=document_number.strip(),
        document_date=document_date,
        section=section.strip(),
    )
    evidence.take(upload, actor=actor)
    history.save(evidence, _("Tải lên tài liệu kiểm chứng"), actor)
    evidence.scores.set(scores)
    return evidence


# --- Appraisal, explanation, finalisation -----------------------------------------


def _appraiser_areas(actor, assessment: Assessment) -> set[int] | None:
    assignments = list(assessment.period.assignments.select_related("area"))
    area_ids = access.appraisal_area_ids(actor, assessment, assignments)
    access.require(area_ids is None or bool(area_ids))
    return area_ids


def area_of(criterion: Criterion, by_id: dict[int, Criterion]) -> int:
    node = criterion
    while node.parent_id:
        node = by_id[node.parent_id]
    return node.pk


@transaction.atomic
def score_appraise(*, actor, assessment: Assessment, entries: list[ScoreEntry]) -> int:
    """Record appraised scores (first round) or second-appraisal scores (after explanation)."""
    assessment = _locked(assessment)
    area_ids = _appraiser_areas(actor, assessment)
    _check_status(assessment, {A.SUBMITTED, A.EXPLANATION})
    second = assessment.status == A.EXPLANATION
    check_window(assessment.period, "second" if second else "appraisal")
    by_id = {c.pk: c for c in assessment.criteria_set.criteria.all()}
    scores = _scores_by_criterion(assessment)
    errors, changed = [], []
    for entry in entries:
        score = scores.get(entry.criterion_id)
        if score is None or score.not_applicable:
            continue
        criterion = score.criterion
        if area_ids is not None and area_of(criterion, by_id) not in area_ids:
            errors.append(
                _("Tiêu chí %(code)s không thuộc lĩnh vực được phân công.")
                % {"code": criterion.code}
            )
            continue
        problem = validate_value(criterion, entry.value)
        if problem:
            errors.append(
                _("Tiêu chí %(code)s: %(msg)s") % {"code": criterion.code, "msg": problem}
            )
            continue
        stale = _stale(score, entry)
        if stale:
            errors.append(stale)
            continue
        note = entry.note.strip()
        reference = score.appraised_score if second else score.self_score
        if entry.value is not None and entry.value != reference and not note:
            errors.append(
                _("Tiêu chí %(code)s: điểm khác điểm %(ref)s; hãy ghi ý kiến thẩm định.")
                % {
                    "code": criterion.code,
                    "ref": _("thẩm định lần đầu") if second else _("tự đánh giá"),
                }
            )
            continue
        fields = (
            ("second_score", "second_note") if second else ("appraised_score", "appraisal_note")
        )
        if (getattr(score, fields[0]), getattr(score, fields[1])) != (entry.value, note):
            setattr(score, fields[0], entry.value)
            setattr(score, fields[1], note)
            changed.append(score)
    _raise_if(errors)
    reason = _("Thẩm định lại") if second else _("Thẩm định")
    for score in changed:
        _save(score, reason)
    return len(changed)


@transaction.atomic
def assessment_appraisal_complete(*, actor, assessment: Assessment) -> Assessment:
    assessment = _locked(assessment)
    _appraiser_areas(actor, assessment)
    _check_status(assessment, {A.SUBMITTED, A.EXPLANATION})
    second = assessment.status == A.EXPLANATION
    check_window(assessment.period, "second" if second else "appraisal")
    if not second:
        missing = [
            s.criterion.code
            for s in assessment.scores.select_related("criterion")
            if not s.not_applicable and s.appraised_score is None
        ]
        if missing:
            raise ValidationError(
                _("Còn tiêu chí chưa thẩm định: %(codes)s.") % {"codes": ", ".join(missing)}
            )
    assessment.status = A.REAPPRAISED if second else A.APPRAISED
    _save(assessment, _("Hoàn thành thẩm định lại") if second else _("Hoàn thành thẩm định"))
    return assessment


@transaction.atomic
def assessment_explain(
    *, actor, assessment: Assessment, explanations: dict[int, str], submit: bool
) -> Assessment:
    """The body answers the appraisal per criterion; ``submit`` closes its explanation."""
    assessment = _locked(assessment)
    _own_focal(actor, assessment)
    _check_status(assessment, {A.APPRAISED})
    check_window(assessment.period, "explanation")
    scores = _scores_by_criterion(assessment)
    for criterion_id, text in explanations.items():
        score = scores.get(criterion_id)
        if score is not None and score.explanation != text.strip():
            score.explanation = text.strip()
            _save(score, _("Giải trình"))
    if submit:
        assessment.status = A.EXPLANATION
        _save(assessment, _("Gửi giải trình"))
    return assessment


@transaction.atomic
def assessment_finalise(*, actor, assessment: Assessment) -> Assessment:
    """The council chair (or Nội vụ) fixes the final score of every criterion."""
    assessment = _locked(assessment)
    access.require(access.may_finalise(actor, assessment.period))
    _check_status(assessment, {A.APPRAISED, A.REAPPRAISED})
    for score in assessment.scores.select_for_update():
        final = None if score.not_applicable else score.current_score
        if final != score.final_score:
            score.final_score = final
            _save(score, _("Chốt điểm chính thức"))
    assessment.status = A.FINALISED
    assessment.finalised_at = timezone.now()
    _save(assessment, _("Chốt kết quả"))
    return assessment
