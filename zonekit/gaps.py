"""Where the points are lost and what would earn them: the gap list in concrete terms computed from each rule's
inputs, unmet targets, and the smallest set of indicators whose recovery makes a region qualify. Pure; exact."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from fractions import Fraction

from zonekit import layout
from zonekit.answers import Answers
from zonekit.exact import fmt_at_least, fmt_exact, fmt_exact_percent, fmt_number, fmt_percent
from zonekit.rules import (OPERATORS, Bands, Claim, Conditions, Const, Count, Env, ItemValue, Judged, Ratio, Value,
                           WeightedCount, YearlyCompare, _COMPARE, show_pair)
from zonekit.scheme import Indicator, Scheme, describe_rate
from zonekit.scoring import IndicatorResult, ItemResult, ScoreResult
from zonekit.unitbook import COUNT_UNITS  # things counted in whole numbers
from zonekit.verify import accepted, effective_scores

_NEED_WORD = {">": "超过", ">=": "达到", "<": "低于", "<=": "不超过"}


@dataclass
class Gap:
    number: str
    name: str
    level1: str
    level2: str | None
    points: Fraction
    score: Fraction  # effective: verified where verified
    recoverable: Fraction  # what the rules can still give (an indicator's own cap may keep it below points)
    leads: list[str] = field(default_factory=list)
    responsibles: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    verified: bool = False

    @property
    def lost(self) -> Fraction:
        return self.points - self.score

    @property
    def text(self) -> str:
        return "；".join(self.actions)


# ---------------------------------------------------------------- numbers a clerk can act on


def _short_by(target: Fraction, current: Fraction, op: str, unit: str) -> str:
    """How much ``current`` must grow so that ``current op target`` holds: '270户', '20万元以上' — never
    less than it takes (rounded up); '' when any increase will do (level with a bar it must exceed)."""
    diff = target - current
    if unit in COUNT_UNITS:
        more = math.floor(diff) + 1 if op == ">" else math.ceil(diff)
        return f"{max(more, 0)}{unit}"
    if diff <= 0:
        return ""
    return f"{fmt_at_least(diff)}{unit}" + ("以上" if op == ">" else "")


def _target_text(value: Value, x: Fraction) -> str:
    """A target the scheme sets, exactly: '15%', '10000万元'."""
    return describe_rate(x) if value.percent else value.with_unit(fmt_exact(x))


def _needed_amount(value: Value, target: Fraction, op: str, env: Env, year) -> str:
    """'还差约270户' for a ratio (numerator to add, denominator held), '还差3万元' for a plain item, else ''
    (also for a bar to stay under, where '需低于…（当前…）' says it all)."""
    if op in ("<", "<="):
        return ""
    if isinstance(value, Ratio):
        a, _, _ = value.num.evaluate(env, year)
        b, _, _ = value.den.evaluate(env, year)
        if a is None or not b:
            return ""
        more = _short_by(target * b, a, op, value.num.item.unit)
        if not more:
            return f"{value.num.label}恰好持平，须再增加才能超过"
        return f"还差约{more}" if value.num.item.unit else f"{value.num.label}还差约{more}"
    if isinstance(value, ItemValue) and not value.percent:
        current, _, _ = value.evaluate(env, year)
        if current is None:
            return ""
        more = _short_by(target, current, op, value.item.unit)
        return f"还差{more}" if more else "恰好持平，须再增加才能超过"
    return ""


def _points_gap(value: Value, target: Fraction, op: str, env: Env, year, current: Fraction) -> str:
    """'（当前12.3%，还差约270户）' — or percentage points for a rate that is not a ratio of counts."""
    shown_now = value.show(current, (target,))
    amount = _needed_amount(value, target, op, env, year)
    if not amount and value.percent and target != current:
        amount = f"相差{_percentage_points(target, current)}个百分点"
    return f"（当前{shown_now}，{amount}）" if amount else f"（当前{shown_now}）"


def _percentage_points(a: Fraction, b: Fraction) -> str:
    """The distance between two rates in percentage points, rounded up: never '相差0个百分点'."""
    return fmt_at_least(abs(a - b) * 100)


# ---------------------------------------------------------------- one explanation per rule type


def _bands(rule: Bands, got: ItemResult, env: Env) -> list[str]:
    value, _, missing = rule.value.evaluate(env, None)
    if value is None:
        return [f"请补报{'、'.join(missing)}"]
    better: dict[Fraction, Fraction] = {}  # points -> lowest value reaching them
    for low, _high, pts, _raw in rule.bands:
        if pts > got.score and low > value:
            better[pts] = min(low, better.get(pts, low))
    out = []
    for pts in sorted(better, reverse=True):
        low = better[pts]
        gap = _points_gap(rule.value, low, ">=", env, None, value)
        target = _target_text(rule.value, low)
        out.append(f"{rule.value.label}需达到{target}{gap}，可得{fmt_exact(pts)}分" if not out
                   else f"达到{target}可得{fmt_exact(pts)}分{gap}")
    return out


def _failing(value: Value, op: str, than: Value, env: Env, year) -> tuple[Fraction, Fraction] | str | None:
    """(value, than) when ``value op than`` fails; None when it holds; '请补报…' when an input is missing."""
    a, _, miss_a = value.evaluate(env, year)
    b, _, miss_b = than.evaluate(env, year)
    if miss_a or miss_b:
        return f"请补报{'、'.join(miss_a + miss_b)}"
    return None if _COMPARE[op](a, b) else (a, b)


def _yearly(rule: YearlyCompare, env: Env) -> list[str]:
    out = []
    for year in env.years:
        found = _failing(rule.local, rule.op, rule.benchmark, env, year)
        if found is None or isinstance(found, str):
            out += [found] if found else []
            continue
        a, b = found
        shown_a, shown_b = show_pair(rule.local, a, rule.benchmark, b)
        text = f"{year}年{rule.local.label}{shown_a}，未{_NEED_WORD[rule.op]}{rule.benchmark.label}{shown_b}"
        if rule.local.percent and rule.benchmark.percent and a != b:
            text += f"（相差{_percentage_points(b, a)}个百分点）"
        amount = _needed_amount(rule.local, b, rule.op, env, year)
        if amount:
            text += f"，{amount}"
        text += f"，该年少得{fmt_exact(rule.each)}分"
        out.append(text)
    return out


def _count(rule: Count, got: ItemResult, item_points: Fraction, env: Env) -> list[str]:
    n, _, missing = rule._counted(env)  # the same counting the rule scores with
    if n is None:
        return [f"请补报{'、'.join(missing)}"]
    label = rule.data_item.label
    what = "家" if rule.min_amount else (rule.data_item.unit if rule.item_key else "项")
    if rule.tiers:
        goals = sorted((low, pts) for low, pts in rule.tiers if pts > got.score)
        if not goals:
            return []
        low, pts = max(goals, key=lambda g: (g[1], -g[0]))
        bar = ""
        if rule.min_amount and env.region_class in rule.min_amount:
            bar = f"，{env.region_class}地区门槛{fmt_exact(rule.min_amount[env.region_class])}{rule.data_item.unit}"
        return [f"{label}需达到{fmt_exact(low)}{what}（当前{n}{what}，还差{fmt_at_least(low - n)}{what}{bar}），"
                f"可得{fmt_exact(pts)}分"]
    top = min(rule.cap, item_points) if rule.cap is not None else item_points
    more = math.ceil((top - got.score) / rule.each)
    return [f"{label}每{what}得{fmt_exact(rule.each)}分，需再增加{more}{what}（当前{n}{what}），可得满分{fmt_exact(top)}分"]


def _weighted(rule: WeightedCount, got: ItemResult, item_points: Fraction, env: Env) -> list[str]:
    top = min(rule.cap, item_points) if rule.cap is not None else item_points
    parts = []
    for value, each in rule.weights:
        n, _, miss = value.evaluate(env, None)
        now = f"当前{fmt_exact(n)}{value.item.unit}" if n is not None else "未填报"
        parts.append(f"{value.label}每{value.item.unit or '件'}{fmt_exact(each)}分（{now}）")
    return [f"还差{fmt_at_least(top - got.score)}分，可增加：" + "、".join(parts)]


def _conditions(rule: Conditions, env: Env) -> list[str]:
    out = []
    for part in rule.parts:
        if isinstance(part, str):
            claimed = env.answers.claims.get(rule.key)
            if claimed is not True:
                out.append(f"需达到：{part}（当前{'自评否' if claimed is False else '未填报'}）")
            continue
        found = _failing(part.value, part.op, part.than, env, None)
        if found is None or isinstance(found, str):
            out += [found] if found else []
            continue
        a, b = found
        than = _target_text(part.than, b) if isinstance(part.than, Const) else \
            f"{part.than.label}{show_pair(part.value, a, part.than, b)[1]}"
        out.append(f"{part.value.label}需{_NEED_WORD[part.op]}{than}{_points_gap(part.value, b, part.op, env, None, a)}")
    return out


def _claim(item, got: ItemResult, env: Env) -> list[str]:
    claimed = env.answers.claims.get(item.key)
    state = "自评否" if claimed is False else "未填报是否达到"
    return [f"{item.key}「{item.text}」{state}，达到并提供佐证可得{fmt_exact(item.points - got.score)}分"]


def _judged(item, got: ItemResult, env: Env) -> list[str]:
    who = item.key if "." in item.key else ""  # a sub-item names itself; a whole indicator needs no name
    given = env.answers.judged.get(item.key)
    if given is None:
        return [f"{who}未填报自评分（满分{fmt_exact(item.points)}分），请牵头单位自评并附佐证"]
    return [f"{who}自评{fmt_number(got.score, edges=(item.points,))}分（满分{fmt_exact(item.points)}分），"
            f"还差{fmt_at_least(item.points - got.score)}分，请补充工作和佐证材料"]


def _item_actions(item, got: ItemResult, env: Env) -> list[str]:
    rule = item.rule
    if isinstance(rule, Bands):
        return _bands(rule, got, env)
    if isinstance(rule, YearlyCompare):
        return _yearly(rule, env)
    if isinstance(rule, Count):
        return _count(rule, got, item.attainable, env)
    if isinstance(rule, WeightedCount):
        return _weighted(rule, got, item.attainable, env)
    if isinstance(rule, Conditions):
        return _conditions(rule, env)
    if isinstance(rule, Claim):
        return _claim(item, got, env)
    if isinstance(rule, Judged):
        return _judged(item, got, env)
    return [got.trace]


def indicator_actions(indicator: Indicator, result: IndicatorResult, env: Env) -> list[str]:
    """What would earn the indicator's missing points, item by item, in words a lead unit can act on."""
    if indicator.combine == "any":
        if result.score >= indicator.points:
            return []
        options = []
        for item, got in zip(indicator.items, result.items):
            claimed = env.answers.claims.get(item.key)
            options.append(f"{item.key}「{item.text}」（{'自评否' if claimed is False else '未填报'}）")
        return [f"以下任一项达到即可得{fmt_exact(indicator.points)}分：" + "；".join(options)]
    out = []
    for item, got in zip(indicator.items, result.items):
        if got.score < item.attainable:
            out += _item_actions(item, got, env)
    return out


# ---------------------------------------------------------------- the list


def gap_list(result: ScoreResult, project, answers: Answers | None = None,
             overrides: dict[str, Fraction] | None = None) -> list[Gap]:
    """Indicators that lose points, most recoverable first, with their units and what would earn the points.

    ``answers`` are the inputs the result was scored from (without them the traces stand in for the
    concrete text); ``overrides`` the verified scores applied.
    """
    scheme: Scheme = result.scheme
    env = Env(answers or Answers(), sorted(project.years), project.region_class, scheme.data_items)
    scores = effective_scores(result, overrides)
    verified = accepted(project.verifications, overrides or {})
    gaps = []
    for ind, res in zip(scheme.indicators, result.indicators):
        score = scores[ind.number]
        if score >= ind.points:
            continue
        assignment = project.assignments.get(ind.number)
        actions = []
        if ind.number in (overrides or {}):
            reason = verified[ind.number].reason if ind.number in verified else ""
            actions.append(f"已核定为{fmt_number(score, edges=(ind.points,))}分" + (f"（理由：{reason}）" if reason else ""))
        if answers is not None:
            actions += indicator_actions(ind, res, env)
        elif res.score < ind.points:
            actions.append(res.trace.replace("\n", "；"))
        if ind.attainable < ind.points:
            actions.append(f"按计分规则本指标最高只能得{fmt_exact(ind.attainable)}分")
        gaps.append(Gap(ind.number, ind.name, ind.level1, ind.level2, ind.points, score,
                        max(Fraction(0), ind.attainable - score),
                        list(assignment.leads) if assignment else [],
                        list(assignment.responsibles) if assignment else [],
                        actions or ["请牵头单位核实并补充佐证材料"], ind.number in (overrides or {})))
    order = {ind.number: pos for pos, ind in enumerate(scheme.indicators)}
    gaps.sort(key=lambda g: (-g.recoverable, -g.lost, order[g.number]))
    return gaps


# ---------------------------------------------------------------- targets


def unmet_targets(project, answers: Answers, scores: dict[str, Fraction]) -> dict[str, list[str]]:
    """Per indicator, the plan targets (目标 sheet) the current figures do not meet, in words."""
    out: dict[str, list[str]] = {}
    scheme: Scheme = project.scheme
    for target in project.targets:
        if target.value is None:
            continue
        op = OPERATORS.get(layout.normalize_text(target.op) or ">=", ">=")
        if target.data_key:
            parsed = layout.parse_data_key(target.data_key)
            if parsed is None or parsed[0] not in scheme.data_items:
                continue
            key, year = parsed[0], parsed[1]
            item = scheme.data_items[key]
            if item.per_year and year is None and project.years:
                year = max(project.years)
            current = answers.value(key, year if item.per_year else None)
            unit = "" if item.is_rate else item.unit
            label = f"{year}年{item.label}" if item.per_year and year else item.label
        else:
            current = scores.get(target.number)
            unit, label = "分", "指标得分"
        if current is not None and _COMPARE[op](current, target.value):
            continue
        if unit:
            now = f"{fmt_number(current, edges=(target.value,))}{unit}" if current is not None else "未填报"
            goal = f"{fmt_exact(target.value)}{unit}"
        else:
            now = fmt_percent(current, edges=(target.value,)) if current is not None else "未填报"
            goal = fmt_exact_percent(target.value)
        goal = target.text or f"{label}{_NEED_WORD[op]}{goal}"
        out.setdefault(target.number, []).append(f"目标：{goal}（当前{now}）")
    return out


# ---------------------------------------------------------------- the smallest recovery


SEARCH_BUDGET = 3_000_000  # (state, option) pairs looked at before settling for the greedy set's points


def smallest_recovery(result: ScoreResult, overrides: dict[str, Fraction] | None = None) -> list[str]:
    """The fewest indicators (then the fewest points) whose full recovery makes the region qualify.

    The fewest count k is exact: per level its largest gains until the level passes, then the largest left
    until the total passes (within a level the best c picks are its c largest). The cheapest set of k is then
    searched level by level over (count, points) states in whole units of the smallest fraction, each kept
    with one representative set (scheme order first), dropping states above k or dearer than a greedy set.
    Exact on anything real; only sets of near-arbitrary verified scores on dozens of indicators could exhaust
    SEARCH_BUDGET, and then the count stays exact and the points are the greedy set's. Returns [] when the
    region already qualifies — and also when even full recovery cannot (tell them apart with ``result.qualified``).
    """
    if result.qualified:
        return []
    scheme = result.scheme
    scores = effective_scores(result, overrides)
    raw = [(level.needed, [(ind.number, ind.attainable - scores[ind.number])
                           for ind in scheme.indicators_of(level.name) if ind.attainable > scores[ind.number]])
           for level in result.assessment.levels]
    unit = math.lcm(*(g.denominator for _, gains in raw for _, g in gains), *(n.denominator for n, _ in raw),
                    result.assessment.total_needed.denominator)
    levels = [(math.ceil(needed * unit), [(number, int(g * unit)) for number, g in gains]) for needed, gains in raw]
    need = math.ceil(result.assessment.total_needed * unit)
    greedy = _fewest(levels, need)
    if greedy is None:
        return []
    greedy = _cheapen(greedy, levels, need)
    order = {ind.number: pos for pos, ind in enumerate(scheme.indicators)}
    found = _cheapest(levels, need, len(greedy), sum(g for _, g in greedy))
    return sorted(found if found is not None else [n for n, _ in greedy], key=order.__getitem__)


def _cheapest(levels, need: int, k: int, ceiling: int) -> tuple[str, ...] | None:
    """The cheapest k picks passing every level and the total (None when the budget runs out first)."""
    budget = [SEARCH_BUDGET]
    minimum = [len(_fewest([lv], 0)) for lv in levels]
    spare = k - sum(minimum)
    options = [_options(gains, needed, m + spare, ceiling, budget) for (needed, gains), m in zip(levels, minimum)]
    if budget[0] < 0:
        return None
    floor_after = [sum(min(g for _, g in opts) for opts in options[i + 1:]) for i in range(len(options))]
    combined: dict[tuple[int, int], tuple[str, ...]] = {(0, 0): ()}
    for opts, floor in zip(options[:-1], floor_after):
        merged: dict[tuple[int, int], tuple[str, ...]] = {}
        for (c1, g1), s1 in combined.items():
            budget[0] -= len(opts)
            if budget[0] < 0:
                return None
            for (c2, g2), s2 in opts.items():
                if c1 + c2 <= k and g1 + g2 + floor <= ceiling:
                    merged.setdefault((c1 + c2, g1 + g2), s1 + s2)
        combined = merged
    # the last level is looked up, not paired: per count, its point totals in order
    last: dict[int, list[int]] = {}
    for count, got in sorted(options[-1]):
        last.setdefault(count, []).append(got)
    best = None
    for (c1, g1), s1 in combined.items():
        totals = last.get(k - c1, [])
        at = bisect.bisect_left(totals, need - g1)
        if at < len(totals) and (best is None or g1 + totals[at] < best[0]):
            best = (g1 + totals[at], s1 + options[-1][(k - c1, totals[at])])
    return best[1] if best else None


def _fewest(levels, need: int):
    """The fewest (number, gain) picks covering every level's need and then the total; None when impossible."""
    chosen, pool = [], []
    for needed, gains in levels:
        ranked = sorted(gains, key=lambda ng: -ng[1])
        got, taken = 0, 0
        while got < needed:
            if taken == len(ranked):
                return None
            got += ranked[taken][1]
            taken += 1
        chosen += ranked[:taken]
        pool += ranked[taken:]
    total = sum(gain for _, gain in chosen)
    for pick in sorted(pool, key=lambda ng: -ng[1]):
        if total >= need:
            break
        chosen.append(pick)
        total += pick[1]
    return chosen if total >= need else None


def _cheapen(chosen, levels, need: int):
    """Swap picks for cheaper ones while every level and the total still pass: a tight ceiling for the search."""
    level_of = {number: i for i, (_, gains) in enumerate(levels) for number, _ in gains}
    candidates = [pick for _, gains in levels for pick in gains]

    def passes(picks) -> bool:
        got = [0] * len(levels)
        for number, gain in picks:
            got[level_of[number]] += gain
        return sum(got) >= need and all(g >= needed for g, (needed, _) in zip(got, levels))

    chosen = list(chosen)
    improved = True
    while improved:
        improved = False
        taken = {number for number, _ in chosen}
        for pos, (_, gain) in sorted(enumerate(chosen), key=lambda pg: -pg[1][1]):
            for pick in sorted((p for p in candidates if p[0] not in taken and p[1] < gain), key=lambda p: p[1]):
                trial = chosen[:pos] + [pick] + chosen[pos + 1:]
                if passes(trial):
                    chosen, improved = trial, True
                    break
            if improved:
                break
    return chosen


def _options(gains, needed: int, room: int, ceiling: int, budget: list[int]) -> dict[tuple[int, int], tuple[str, ...]]:
    """Every (count, points) one level's recoveries can make within ``room`` picks and ``ceiling`` points,
    keeping those that pass the level; the first set found (scheme order) represents each pair."""
    states: dict[tuple[int, int], tuple[str, ...]] = {(0, 0): ()}
    for number, gain in gains:
        budget[0] -= len(states)
        for (count, got), chosen in list(states.items()):
            if count < room and got + gain <= ceiling:
                states.setdefault((count + 1, got + gain), chosen + (number,))
    return {key: chosen for key, chosen in states.items() if key[1] >= needed}
