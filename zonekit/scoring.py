"""Score an answer set against a scheme and decide qualification: total ≥ total_min and every first-level
rate ≥ level_rate_min. Pure functions over in-memory objects; exact Fractions throughout, never floats."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from zonekit.answers import Answers
from zonekit.exact import fmt_number, fmt_percent
from zonekit.rules import Env
from zonekit.scheme import Indicator, Scheme, describe_rate


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
        return "合格" if self.qualified else "不合格"

    def to_dict(self) -> dict:
        return {
            "total": fmt_number(self.total), "total_points": fmt_number(self.total_points),
            "total_min": fmt_number(self.total_min), "level_rate_min": describe_rate(self.level_rate_min),
            "verdict": self.verdict, "qualified": self.qualified, "reasons": self.reasons,
            "levels": [{"name": lv.name, "score": fmt_number(lv.score), "points": fmt_number(lv.points),
                        "rate": fmt_percent(lv.rate), "threshold": describe_rate(lv.threshold),
                        "passed": lv.passed, "needed": fmt_number(lv.needed)} for lv in self.levels],
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
            + f"，{'得' + fmt_number(raw) + '分' if raw else '不得分'}"
    else:
        raw = sum((r.score for r in items), Fraction(0))
        summary = ""
    score = min(max(raw, Fraction(0)), indicator.points)
    parts = [r.trace if indicator.single else f"{r.key} {r.trace}" for r in items]
    if summary:
        parts.append(summary)
    if raw > indicator.points:
        parts.append(f"合计{fmt_number(raw)}分，超过指标分值，按{fmt_number(indicator.points)}分计")
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
    reasons = []
    if total < scheme.total_min:
        reasons.append(f"总分{fmt_number(total)}分，低于合格线{fmt_number(scheme.total_min)}分，"
                       f"还差{fmt_number(scheme.total_min - total)}分")
    for lv in levels:
        if not lv.passed:
            reasons.append(f"一级指标「{lv.name}」得分{fmt_number(lv.score)}/{fmt_number(lv.points)}分，"
                           f"得分率{fmt_percent(lv.rate)}，低于{describe_rate(lv.threshold)}，"
                           f"还需至少{fmt_number(lv.needed)}分")
    return Assessment(total, scheme.total_points, scheme.total_min, scheme.level_rate_min, levels, sublevels,
                      not reasons, reasons)


def score(scheme: Scheme, answers: Answers, years: list[int], region_class: str | None = None,
          overrides: dict[str, Fraction] | None = None) -> ScoreResult:
    """Score every indicator and assess qualification. ``overrides`` (verified scores) replace computed ones
    in the totals; the computed results keep their traces."""
    env = Env(answers, sorted(years), region_class, scheme.data_items)
    results = [score_indicator(ind, env) for ind in scheme.indicators]
    scores = {r.number: r.score for r in results}
    scores.update(overrides or {})
    return ScoreResult(scheme, results, qualify(scheme, scores))
