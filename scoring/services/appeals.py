"""Appeals (kiến nghị) against final scores and the council's decision."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import history
from scoring import access
from scoring.models import Appeal, Evidence, Score
from scoring.services.assessments import _own_focal
from scoring.services.common import (
    A,
    _check_status,
    _d,
    _locked,
    check_window,
    save_score,
    text_problem,
    validate_value,
)


@transaction.atomic
def appeal_submit(*, actor, score: Score, reason: str, evidence: Evidence | None = None) -> Appeal:
    assessment = _locked(score.assessment)
    _own_focal(actor, assessment)
    _check_status(assessment, {A.FINALISED})
    check_window(assessment.period, "appeal")
    if not reason.strip():
        raise ValidationError(_("Hãy ghi lý do kiến nghị."))
    if problem := text_problem(reason, _("Lý do kiến nghị")):
        raise ValidationError(problem)
    if evidence is not None and evidence.assessment_id != assessment.pk:
        raise ValidationError(_("Tài liệu không thuộc bản đánh giá này."))
    if score.appeals.filter(status=Appeal.Status.PENDING).exists():
        raise ValidationError(_("Tiêu chí này đã có kiến nghị đang chờ xem xét."))
    appeal = Appeal(score=score, reason=reason.strip(), evidence=evidence, submitted_by=actor)
    history.save(appeal, _("Gửi kiến nghị"), actor)
    return appeal


@transaction.atomic
def appeal_decide(
    *, actor, appeal: Appeal, accept: bool, decision: str, new_score: Decimal | None = None
) -> Appeal:
    """The council accepts or rejects an appeal and, when accepted, sets the decided score.
    Long because the lock, the window and role checks, the validation and the two outcomes
    must sit in one transaction."""
    appeal = (
        Appeal.objects.select_for_update()
        .select_related("score__criterion", "score__assessment__period")
        .get(pk=appeal.pk)
    )
    access.require(access.may_finalise(actor, appeal.score.assessment.period))
    if appeal.status != Appeal.Status.PENDING:
        raise ValidationError(_("Kiến nghị này đã được xem xét."))
    if not decision.strip():
        raise ValidationError(_("Hãy ghi ý kiến của Hội đồng."))
    if problem := text_problem(decision, _("Ý kiến của Hội đồng")):
        raise ValidationError(problem)
    score = appeal.score
    if accept:
        if new_score is None:
            raise ValidationError(_("Hãy nhập điểm sau khi xem xét kiến nghị."))
        problem = validate_value(score.criterion, new_score)
        if problem:
            raise ValidationError(problem)
        old = score.final_score
        score.final_score = new_score
        save_score(
            score,
            _("Kiến nghị được chấp nhận (%(old)s → %(new)s): %(decision)s")
            % {
                "old": _d(old) if old is not None else "–",
                "new": _d(new_score),
                "decision": decision.strip(),
            },
            actor,
        )
    appeal.status = Appeal.Status.ACCEPTED if accept else Appeal.Status.REJECTED
    appeal.decision = decision.strip()
    appeal.decided_score = new_score if accept else None
    appeal.decided_by = actor
    appeal.decided_at = timezone.now()
    history.save(appeal, _("Quyết định kiến nghị"), actor)
    return appeal
