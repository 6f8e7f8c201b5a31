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
from scoring import access, selectors
from scoring.models import Assessment, Criterion, Evidence, Score
from scoring.services.common import (
    A,
    ScoreEntry,
    _check_status,
    _d,
    _locked,
    _raise_if,
    _scores_by_criterion,
    _stale,
    check_window,
    save_score,
    save_scores,
    text_problem,
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


def _suggested_scores(assessment: Assessment, criteria: list[Criterion]) -> dict[int, Decimal]:
    """criterion id -> the portal's suggested score for computed criteria (when it has one)."""
    return {
        pk: suggestion.score
        for pk, suggestion in selectors.computed_suggestions(assessment, criteria).items()
        if suggestion.score is not None
    }


def _unexplained_difference(criterion, value, note: str, suggested) -> str | None:
    """A computed criterion scored other than the portal's suggestion needs a reason."""
    if suggested is not None and value is not None and value != suggested and not note.strip():
        return _("Tiêu chí %(code)s: điểm khác điểm gợi ý %(suggested)s; hãy ghi giải thích.") % {
            "code": criterion.code,
            "suggested": _d(suggested),
        }
    return None


def _self_entry_problem(criterion: Criterion, entry: ScoreEntry, suggested) -> str | None:
    value = None if entry.not_applicable else entry.value
    problem = validate_value(criterion, value)
    if problem:
        return _("Tiêu chí %(code)s: %(msg)s") % {"code": criterion.code, "msg": problem}
    unexplained = _unexplained_difference(criterion, value, entry.note, suggested)
    if unexplained:
        return unexplained
    if entry.not_applicable and not entry.note.strip():
        return _("Tiêu chí %(code)s: hãy ghi lý do không áp dụng.") % {"code": criterion.code}
    return text_problem(
        entry.note, _("Giải thích của tiêu chí %(code)s") % {"code": criterion.code}
    )


def _self_changes(
    assessment: Assessment, entries: list[ScoreEntry], areas: set[int] | None
) -> list[Score]:
    """Check every posted self-assessment entry (the assessment is locked, the actor, state
    and window already checked); the scores that change, or ValidationError with every
    problem. The computed-criterion suggestions are worked out here, not taken as input."""
    scores = _scores_by_criterion(assessment)
    by_id = _criteria_by_id(assessment) if areas is not None else {}
    suggestions = _suggested_scores(assessment, [s.criterion for s in scores.values()])
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
        if criterion.method == Criterion.Method.SURVEY or not criterion.applies_to_kind(
            assessment.agency.kind
        ):
            continue
        problem = _stale(score, entry) or _self_entry_problem(
            criterion, entry, suggestions.get(criterion.pk)
        )
        if problem:
            errors.append(problem)
            continue
        value = None if entry.not_applicable else entry.value
        new = (value, entry.note.strip(), entry.not_applicable)
        if new != (score.self_score, score.self_note, score.not_applicable):
            score.self_score, score.self_note, score.not_applicable = new
            changed.append(score)
    _raise_if(errors)
    return changed


@transaction.atomic
def score_self_assess(*, actor, assessment: Assessment, entries: list[ScoreEntry]) -> int:
    """Save the body's draft scores and notes. Returns how many scores changed."""
    assessment = _locked(assessment)
    areas = _self_areas(actor, assessment)
    _check_status(assessment, {A.DRAFT})
    check_window(assessment.period, "self")
    changed = _self_changes(assessment, entries, areas)
    save_scores(changed, _("Tự đánh giá"), actor)
    return len(changed)


def submission_problems(assessment: Assessment) -> list[str]:
    """What keeps the saved sheet from being sent (every score, evidence or a reason,
    a reason where a computed criterion differs from the suggestion)."""
    problems = []
    scores = list(assessment.scores.select_related("criterion").prefetch_related("evidence"))
    suggestions = _suggested_scores(assessment, [s.criterion for s in scores])
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
        elif unexplained := _unexplained_difference(
            criterion, score.self_score, score.self_note, suggestions.get(criterion.pk)
        ):
            problems.append(unexplained)
    return problems


@transaction.atomic
def assessment_submit(
    *, actor, assessment: Assessment, entries: list[ScoreEntry] = ()
) -> Assessment:
    """Save the sheet as posted (``entries``) and send it, in one transaction: when anything
    is refused, neither the scores nor the submission are saved."""
    assessment = _locked(assessment)
    _own_focal(actor, assessment)
    _check_status(assessment, {A.DRAFT})
    check_window(assessment.period, "self")
    save_scores(_self_changes(assessment, list(entries), None), _("Tự đánh giá"), actor)
    _raise_if(submission_problems(assessment))
    assessment.status = A.SUBMITTED
    assessment.submitted_at = timezone.now()
    history.save(assessment, _("Gửi bản tự đánh giá"), actor)
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
    """Attach one evidence file backing one or more criteria of the assessment.

    Long because the window, the role's areas and the chosen criteria are all checked
    before the file is stored."""
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


def _appraisal_entry_problem(score: Score, entry: ScoreEntry, second: bool) -> str | None:
    criterion = score.criterion
    problem = validate_value(criterion, entry.value)
    if problem:
        return _("Tiêu chí %(code)s: %(msg)s") % {"code": criterion.code, "msg": problem}
    stale = _stale(score, entry)
    if stale:
        return stale
    reference = score.appraised_score if second else score.self_score
    if entry.value is not None and entry.value != reference and not entry.note.strip():
        return _("Tiêu chí %(code)s: điểm khác điểm %(ref)s; hãy ghi ý kiến thẩm định.") % {
            "code": criterion.code,
            "ref": _("thẩm định lần đầu") if second else _("tự đánh giá"),
        }
    return text_problem(
        entry.note, _("Ý kiến thẩm định tiêu chí %(code)s") % {"code": criterion.code}
    )


def _appraisal_changes(
    assessment: Assessment, entries: list[ScoreEntry], area_ids: set[int] | None, second: bool
) -> list[Score]:
    """Check every posted appraisal entry (first round or, after explanation, the second);
    the scores that change, or ValidationError with every problem."""
    by_id = _criteria_by_id(assessment)
    scores = _scores_by_criterion(assessment)
    fields = ("second_score", "second_note") if second else ("appraised_score", "appraisal_note")
    errors, changed = [], []
    for entry in entries:
        score = scores.get(entry.criterion_id)
        if score is None or score.not_applicable:
            continue
        if area_ids is not None and area_of(score.criterion, by_id) not in area_ids:
            errors.append(
                _("Tiêu chí %(code)s không thuộc lĩnh vực được phân công.")
                % {"code": score.criterion.code}
            )
            continue
        problem = _appraisal_entry_problem(score, entry, second)
        if problem:
            errors.append(problem)
            continue
        new = (entry.value, entry.note.strip())
        if (getattr(score, fields[0]), getattr(score, fields[1])) != new:
            setattr(score, fields[0], new[0])
            setattr(score, fields[1], new[1])
            changed.append(score)
    _raise_if(errors)
    return changed


def _open_appraisal(actor, assessment: Assessment) -> tuple[Assessment, set[int] | None, bool]:
    """Lock and check an appraisal step: (assessment, areas the actor may appraise, second)."""
    assessment = _locked(assessment)
    area_ids = _appraiser_areas(actor, assessment)
    _check_status(assessment, {A.SUBMITTED, A.EXPLANATION})
    second = assessment.status == A.EXPLANATION
    check_window(assessment.period, "second" if second else "appraisal")
    return assessment, area_ids, second


@transaction.atomic
def score_appraise(*, actor, assessment: Assessment, entries: list[ScoreEntry]) -> int:
    """Record appraised scores (first round) or second-appraisal scores (after explanation)."""
    assessment, area_ids, second = _open_appraisal(actor, assessment)
    changed = _appraisal_changes(assessment, entries, area_ids, second)
    save_scores(changed, _("Thẩm định lại") if second else _("Thẩm định"), actor)
    return len(changed)


@transaction.atomic
def assessment_appraisal_complete(
    *, actor, assessment: Assessment, entries: list[ScoreEntry] = ()
) -> Assessment:
    """Save the appraisal as posted (``entries``) and close the round, in one transaction."""
    assessment, area_ids, second = _open_appraisal(actor, assessment)
    changed = _appraisal_changes(assessment, list(entries), area_ids, second)
    save_scores(changed, _("Thẩm định lại") if second else _("Thẩm định"), actor)
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
    reason = _("Hoàn thành thẩm định lại") if second else _("Hoàn thành thẩm định")
    history.save(assessment, reason, actor)
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
    changed, errors = [], []
    for criterion_id, text in explanations.items():
        score = scores.get(criterion_id)
        if score is None or score.explanation == text.strip():
            continue
        label = _("Giải trình tiêu chí %(code)s") % {"code": score.criterion.code}
        if problem := text_problem(text, label):
            errors.append(problem)
            continue
        score.explanation = text.strip()
        changed.append(score)
    _raise_if(errors)
    save_scores(changed, _("Giải trình"), actor)
    if submit:
        assessment.status = A.EXPLANATION
        history.save(assessment, _("Gửi giải trình"), actor)
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
            save_score(score, _("Chốt điểm chính thức"), actor)
    assessment.status = A.FINALISED
    assessment.finalised_at = timezone.now()
    history.save(assessment, _("Chốt kết quả"), actor)
    return assessment
