"""The PAR index at a glance, for leadership's home page (``phuyen_cchc/home.py``).

This year's self-score of the province against last year's official result, and last
year's published ranking in brief. Reads only through ``scoring.selectors`` (one rule for
every figure: ``figures_of`` and ``period_results``) and ``visible_to``; a fixed number of
queries whatever the number of bodies or years."""

from __future__ import annotations

from dataclasses import dataclass, field

from scoring.models import Assessment, ScoringPeriod, Target
from scoring.selectors import Figures, figure, figures_of, period_results


@dataclass
class ProvinceScore:
    """The province's own assessment in one period (``None`` when it has none)."""

    period: ScoringPeriod
    assessment: Assessment | None = None
    figures: Figures | None = None

    @property
    def self_summary(self) -> str:
        """ "72,50/100,00 (72,50%)": the province's own scores so far."""
        return self.figures.own_summary if self.figures else ""

    @property
    def official_summary(self) -> str:
        """The score that counts once the period is published (finalised or appraised)."""
        return self.figures.summary if self.figures else ""

    @property
    def self_index(self) -> str:
        """ "72,50%" or "–": the province's own index so far."""
        index = self.figures.own.index if self.figures else None
        return "–" if index is None else f"{figure(index)}%"

    @property
    def official_index(self) -> str:
        index = self.figures.counted.index if self.figures else None
        return "–" if index is None else f"{figure(index)}%"

    @property
    def complete(self) -> bool:
        """Every criterion the province scores itself has a score."""
        return bool(self.figures) and self.figures.self_done >= self.figures.self_required

    @property
    def progress(self) -> str:
        if self.figures is None:
            return ""
        return f"{self.figures.self_done}/{self.figures.self_required}"


@dataclass
class GroupRanking:
    """One group of last year's published ranking: how many ranked, first and last."""

    label: str
    ranked: int
    first: object = None  # selectors.ResultRow
    last: object = None
    first_index: str = ""
    last_index: str = ""


@dataclass
class ParGlance:
    current: ProvinceScore | None
    previous: ProvinceScore | None
    ranking: list[GroupRanking] = field(default_factory=list)

    @property
    def change(self) -> str:
        """This year's self-score minus last year's official index, signed ("+2,50")."""
        if not (self.current and self.previous and self.current.figures and self.previous.figures):
            return ""
        if not self.current.complete:
            return ""  # a self-score of 1 criterion in 8 against a whole year says nothing
        now, before = self.current.figures.own.index, self.previous.figures.counted.index
        if now is None or before is None:
            return ""
        diff = now - before
        return ("+" if diff > 0 else "") + figure(diff)


def _latest_periods(user) -> tuple[ScoringPeriod | None, ScoringPeriod | None]:
    """This year's period (the latest) and the latest published one of an earlier year."""
    periods = list(ScoringPeriod.objects.visible_to(user).order_by("-year", "-pk")[:10])
    if not periods:
        return None, None
    current = periods[0]
    previous = next(
        (p for p in periods if p.year < current.year and p.is_published),
        None,
    )
    return current, previous


def _province_scores(user, periods: list[ScoringPeriod]) -> dict[int, ProvinceScore]:
    scores = {p.pk: ProvinceScore(p) for p in periods}
    assessments = list(
        Assessment.objects.visible_to(user)
        .filter(period__in=periods, criteria_set__target=Target.PROVINCE)
        .select_related("agency", "criteria_set", "period")
    )
    figures = figures_of(assessments) if assessments else {}
    for a in assessments:
        scores[a.period_id].assessment = a
        scores[a.period_id].figures = figures[a.pk]
    return scores


def _ranking(period: ScoringPeriod, user) -> list[GroupRanking]:
    groups = []
    for group in period_results(period, user)["groups"]:
        ranked = [r for r in group["rows"] if r.rank is not None]
        if not ranked:
            continue
        first, last = ranked[0], ranked[-1]
        groups.append(
            GroupRanking(
                str(group["label"]),
                len(ranked),
                first,
                last,
                figure(first.index),
                figure(last.index),
            )
        )
    return groups


def par_glance(user) -> ParGlance | None:
    """The province's PAR figures for the home page, or ``None`` when there is no period."""
    current, previous = _latest_periods(user)
    if current is None:
        return None
    periods = [p for p in (current, previous) if p is not None]
    scores = _province_scores(user, periods)
    return ParGlance(
        current=scores[current.pk],
        previous=scores[previous.pk] if previous else None,
        ranking=_ranking(previous, user) if previous else [],
    )
