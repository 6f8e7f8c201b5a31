"""Shared pieces of the scoring services: input entries, windows, state checks, value
validation and saving scores with a history reason (everything else saves through
``agencies.history.save``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies import history
from agencies.validators import clean_text
from scoring.models import TWO_PLACES, Assessment, Criterion, Score, ScoringPeriod

A = Assessment.Status
STEP_LABELS = {
    "self": gettext_lazy("tự đánh giá"),
    "appraisal": gettext_lazy("thẩm định"),
    "explanation": gettext_lazy("giải trình"),
    "second": gettext_lazy("thẩm định lại"),
    "appeal": gettext_lazy("kiến nghị"),
}


@dataclass(frozen=True)
class ScoreEntry:
    """One criterion's input from a form (self-assessment or appraisal)."""

    criterion_id: int
    value: Decimal | None
    note: str = ""
    not_applicable: bool = False
    version: int | None = None  # the score's version when the form was opened


def _stale(score: Score, entry: ScoreEntry) -> str | None:
    """Refuse to overwrite a score someone else changed after the form was opened."""
    if entry.version is not None and entry.version != score.version:
        return _(
            "Tiêu chí %(code)s vừa được người khác sửa sau khi bạn mở trang; hãy tải lại "
            "trang và nhập lại."
        ) % {"code": score.criterion.code}
    return None


def save_score(score: Score, reason: str, actor) -> None:
    """Save a score with who and why, bumping its version (the stale-form check)."""
    score.version += 1
    history.save(score, reason, actor)


def save_scores(scores: list[Score], reason: str, actor) -> None:
    for score in scores:
        save_score(score, reason, actor)


def _d(value: Decimal) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def check_window(period: ScoringPeriod, step: str, today: dt.date | None = None) -> None:
    if not period.is_open(step, today):
        start, end = period.window(step)
        raise ValidationError(
            _("Ngoài thời hạn %(step)s (từ %(start)s đến %(end)s). Không có thay đổi nào được lưu.")
            % {"step": STEP_LABELS[step], "start": f"{start:%d/%m/%Y}", "end": f"{end:%d/%m/%Y}"}
        )


def _check_status(assessment: Assessment, allowed: set[str]) -> None:
    if assessment.status not in allowed:
        raise ValidationError(
            _("Bản đánh giá đang ở trạng thái “%(status)s”; không thể thực hiện thao tác này.")
            % {"status": assessment.get_status_display()}
        )


def _locked(assessment: Assessment) -> Assessment:
    return (
        Assessment.objects.select_for_update()
        .select_related("period", "agency", "criteria_set")
        .get(pk=assessment.pk)
    )


def validate_value(criterion: Criterion, value: Decimal | None) -> str | None:
    """None when the value is acceptable for the criterion, else a Vietnamese message.
    Never raises: NaN, Infinity and huge values are refused before anything rounds them
    (rounding a value with more digits than the decimal context raises)."""
    if value is None:
        return None
    if not value.is_finite():
        return _("điểm phải là một số hữu hạn.")
    if value.is_signed() or value > criterion.max_points:
        return _("điểm %(value)s nằm ngoài khoảng 0 – %(max)s.") % {
            "value": _d(value) if value.adjusted() < 12 else f"{value:.3E}",
            "max": _d(criterion.max_points),
        }
    if value != value.quantize(TWO_PLACES):
        return _("điểm chỉ được có tối đa hai chữ số thập phân.")
    if criterion.method == Criterion.Method.OPTIONS and value not in criterion.option_points:
        return _("điểm %(value)s không thuộc các mức: %(options)s.") % {
            "value": _d(value),
            "options": "; ".join(_d(p) for p in criterion.option_points),
        }
    return None


MAX_TEXT = 5000  # notes, explanations, reasons and decisions (the models' max_length)


def text_problem(text: str, label: str) -> str | None:
    """None when a note, explanation or reason passes the portal's text rule (length,
    no control characters), else a Vietnamese message."""
    try:
        clean_text(text, max_length=MAX_TEXT, multiline=True, label=label)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return None


def _raise_if(errors: list[str]) -> None:
    if errors:
        raise ValidationError(errors)


def _scores_by_criterion(assessment: Assessment) -> dict[int, Score]:
    return {
        s.criterion_id: s for s in assessment.scores.select_for_update().select_related("criterion")
    }
