"""Score an answer set against a scheme and decide qualification: total ≥ total_min and every first-level
rate ≥ level_rate_min. Pure functions over in-memory objects; exact Fractions throughout, never floats."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from zonekit.answers import Answers
from zonekit.exact import fmt_at_least, fmt_exact, fmt_number, fmt_percent
from zonekit.rules import Env
from zonekit.scheme import Indicator, Scheme, describe_rate


VERDICT_PASS = "合格"
VERDICT_FAIL = "不合格"  # the one word for a region that does not qualify, everywhere zonekit says it
SCORE_PLACES = 4  # scores are sums of typed figures: shown as they are up to here, then rounded (never across a line)


@dataclass
class ItemResult:
    key: str
    text: str
    points: Fraction
    score: Fraction
    holds: bool
    trace: str
    missing: list[str] = field(default_factory=list)


@dataclass
class IndicatorResult:
    number: str
    name: str
    level1: str
    level2: str | None
    points: Fraction
    score: Fraction
    items: list[ItemResult]
    trace: str
    missing: list[str] = field(default_factory=list)

    @property
    def lost(self) -> Fraction:
        return self.points - self.score


@dataclass
class LevelResult:
    name: str
    points: Fraction
    score: Fraction
    threshold: Fraction | None = None  # the score rate required (first level only)
    parent: str | None = None

    @property
    def rate(self) -> Fraction:
        return self.score / self.points if self.points else Fraction(0)

    @property
    def passed(self) -> bool:
        return self.threshold is None or self.rate >= self.threshold

    @property
    def needed(self) -> Fraction:
        """Points still missing to reach the threshold rate (0 when passed)."""
        if self.threshold is None:
            return Fraction(0)
        return max(Fraction(0), self.threshold * self.points - self.score)

    @property
    def score_text(self) -> str:
        """The score, never shown on the other side of the points the rate needs: '11.995', not '12'."""
        return fmt_number(self.score, SCORE_PLACES, () if self.threshold is None else (self.threshold * self.points,))

    @property
    def rate_text(self) -> str:
        """The rate, never rounded across the threshold: '74.99%', not '75.0%'."""
        return fmt_percent(self.rate, edges=() if self.threshold is None else (self.threshold,))

    @property
    def reason(self) -> str:
        """Why this level fails ('' when it passes), with the smallest number of points that would pass it."""
        if self.passed:
            return ""
        return (f"一级指标「{self.name}」得分{self.score_text}/{fmt_exact(self.points)}分，得分率{self.rate_text}，"
                f"低于{describe_rate(self.threshold)}，还需至少{fmt_at_least(self.needed)}分")


@dataclass
class Assessment:
    total: Fraction
    total_points: Fraction
    total_min: Fraction
    level_rate_min: Fraction
    levels: list[LevelResult]  # first level, with pass/fail
    sublevels: list[LevelResult]  # second level, figures only
    qualified: bool
    reasons: list[str]

    @property
    def total_needed(self) -> Fraction:
        return max(Fraction(0), self.total_min - self.total)

    @property
    def verdict(self) -> str:
        return VERDICT_PASS if self.qualified else VERDICT_FAIL

    @property
    def total_text(self) -> str:
        """The total, never rounded onto the line: 84.995 is '84.995', not '85'."""
        return fmt_number(self.total, SCORE_PLACES, (self.total_min,))

    @property
    def total_reason(self) -> str:
        """Why the total fails ('' when it reaches the line)."""
        if self.total >= self.total_min:
            return ""
        return (f"总分{self.total_text}分，低于合格线{fmt_exact(self.total_min)}分，"
                f"还差{fmt_at_least(self.total_needed)}分")

    def to_dict(self) -> dict:
        return {
            "total": self.total_text, "total_points": fmt_exact(self.total_points),
            "total_min": fmt_exact(self.total_min), "level_rate_min": describe_rate(self.level_rate_min),
            "verdict": self.verdict, "qualified": self.qualified, "reasons": self.reasons,
            "levels": [{"name": lv.name, "score": lv.score_text, "points": fmt_exact(lv.points),
                        "rate": lv.rate_text, "threshold": describe_rate(lv.threshold),
                        "passed": lv.passed, "needed": fmt_at_least(lv.needed)} for lv in self.levels],
        }


@dataclass
class ScoreResult:
    scheme: Scheme
    indicators: list[IndicatorResult]
    assessment: Assessment

    def indicator(self, number) -> IndicatorResult:
        for r in self.indicators:
            if r.number == str(number):
                return r
        raise KeyError(number)

    @property
    def total(self) -> Fraction:
        return self.assessment.total

    @property
    def qualified(self) -> bool:
        return self.assessment.qualified


def score_indicator(indicator: Indicator, env: Env) -> IndicatorResult:
    items = []
    for item in indicator.items:
        out = item.rule.score(env)
        items.append(ItemResult(item.key, item.text, item.points, min(out.points, item.points), out.holds,
                                out.trace, out.missing))
    if indicator.combine == "any":
        held = [r for r in items if r.holds]
        raw = indicator.points if held else Fraction(0)
        summary = (f"符合「{held[0].key}」等{len(held)}项，符合一项即可得分" if held else "各项均不符合") \
            + f"，{'得' + fmt_exact(raw) + '分' if raw else '不得分'}"
    else:
        raw = sum((r.score for r in items), Fraction(0))
        summary = ""
    score = min(max(raw, Fraction(0)), indicator.points)
    parts = [r.trace if indicator.single else f"{r.key} {r.trace}" for r in items]
    if summary:
        parts.append(summary)
    if raw > indicator.points:
        parts.append(f"合计{fmt_number(raw, edges=(indicator.points,))}分，超过指标分值，"
                     f"按{fmt_exact(indicator.points)}分计")
    missing = [m for r in items for m in r.missing]
    return IndicatorResult(indicator.number, indicator.name, indicator.level1, indicator.level2, indicator.points,
                           score, items, "；".join(parts) if indicator.single else "\n".join(parts), missing)


def qualify(scheme: Scheme, scores: dict[str, Fraction]) -> Assessment:
    """The qualification check from per-indicator scores (computed, self-assessed or verified)."""
    levels, sublevels = [], []
    for level in scheme.levels:
        inds = scheme.indicators_of(level.name)
        got = sum((scores.get(i.number, Fraction(0)) for i in inds), Fraction(0))
        levels.append(LevelResult(level.name, level.points, got, scheme.level_rate_min))
        for child in level.children:
            sub = sum((scores.get(i.number, Fraction(0)) for i in inds if i.level2 == child.name), Fraction(0))
            sublevels.append(LevelResult(child.name, child.points, sub, parent=level.name))
    total = sum((lv.score for lv in levels), Fraction(0))
    assessment = Assessment(total, scheme.total_points, scheme.total_min, scheme.level_rate_min, levels, sublevels,
                            False, [])
    assessment.reasons = [r for r in (assessment.total_reason, *(lv.reason for lv in levels)) if r]
    assessment.qualified = not assessment.reasons
    return assessment


def score(scheme: Scheme, answers: Answers, years: list[int], region_class: str | None = None,
          overrides: dict[str, Fraction] | None = None) -> ScoreResult:
    """Score every indicator and assess qualification. ``overrides`` (verified scores) replace computed ones
    in the totals; the computed results keep their traces."""
    env = Env(answers, sorted(years), region_class, scheme.data_items)
    results = [score_indicator(ind, env) for ind in scheme.indicators]
    scores = {r.number: r.score for r in results}
    scores.update(overrides or {})
    return ScoreResult(scheme, results, qualify(scheme, scores))
