"""Rule types: each turns the answers for one indicator item into points and a trace a clerk can check.

Rules are registered by name and built from scheme data; they never raise on missing input (0 points,
the trace says what is missing) and they compare exact Fractions only.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, ClassVar

from zonekit.answers import Answers
from zonekit.exact import (NotANumber, fmt_exact, fmt_exact_percent, fmt_number, fmt_numbers, fmt_percent,
                           fmt_percents, to_fraction)

# 超过 / 大于 / 高于 are strict; 达到 / 以上 / 不低于 are inclusive (seeds 002 and 004).
OPERATORS: dict[str, str] = {
    ">": ">", "超过": ">", "大于": ">", "高于": ">",
    ">=": ">=", "≥": ">=", "达到": ">=", "以上": ">=", "不低于": ">=",
    "<": "<", "低于": "<", "小于": "<",
    "<=": "<=", "≤": "<=", "不超过": "<=", "不高于": "<=",
}
_COMPARE: dict[str, Callable] = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_SHOWN = {">": ">", ">=": "≥", "<": "<", "<=": "≤"}
_NEGATED = {">": "≤", ">=": "<", "<": "≥", "<=": ">"}


class RuleSpecError(ValueError):
    """A rule's parameters in the scheme file are wrong; the message is Chinese and names the parameter."""


@dataclass
class Env:
    """What a rule sees while scoring: the answers, the evaluation years and the region's class."""

    answers: Answers
    years: list[int]
    region_class: str | None
    data_items: dict  # key -> scheme.DataItem


@dataclass
class Need:
    """One input a rule reads: a data value for a year, a list, a claim (是/否) or a judged score."""

    kind: str  # data | list | claim | judged
    key: str
    year: int | None = None


@dataclass
class Outcome:
    points: Fraction
    holds: bool
    trace: str
    missing: list[str] = field(default_factory=list)


def parse_op(word) -> str:
    op = OPERATORS.get(str(word).strip())
    if op is None:
        raise RuleSpecError(f"无法识别的比较方式「{word}」，可用：超过、大于、高于、达到、以上、不低于 或 > >= < <=")
    return op


def parse_number(raw, what: str) -> Fraction:
    try:
        return to_fraction(raw)
    except NotANumber:
        raise RuleSpecError(f"{what}「{raw}」不是数字（百分比请写成 15% 的形式）") from None


def _zh(points: Fraction) -> str:
    return f"得{fmt_exact(points)}分" if points else "不得分"


# ---------------------------------------------------------------- values


class Value:
    """Something a rule compares: a data item, a ratio, a growth rate or a constant."""

    label: str = ""
    percent: bool = False

    def evaluate(self, env: Env, year: int | None) -> tuple[Fraction | None, str, list[str]]:
        """(value or None, how it was obtained, what is missing)."""
        raise NotImplementedError

    def needs(self, years: list[int]) -> list[Need]:
        return []

    def items(self) -> list[str]:
        return []

    def show(self, value: Fraction | None, edges=()) -> str:
        """The value for a trace: on the same side of every edge (and of zero) as the exact value."""
        return fmt_percent(value, edges=edges) if self.percent else self.with_unit(fmt_number(value, edges=edges))

    def with_unit(self, number: str) -> str:
        return number


class Const(Value):
    def __init__(self, raw):
        self.percent = isinstance(raw, str) and raw.strip().endswith("%")
        self.number = parse_number(raw, "数值")
        self.label = ""

    def evaluate(self, env, year):
        return self.number, "", []

    def show(self, value, edges=()):
        return fmt_exact_percent(value) if self.percent else fmt_exact(value)  # as the scheme writes it


def show_pair(left: Value, a: Fraction, right: Value, b: Fraction) -> tuple[str, str]:
    """Two compared values, shown so that the texts compare as the exact values do; a constant as written."""
    if isinstance(right, Const):
        return left.show(a, (b,)), right.show(b)
    if left.percent and right.percent:
        return tuple(fmt_percents(a, b))
    if not left.percent and not right.percent:
        shown_a, shown_b = fmt_numbers(a, b)
        return left.with_unit(shown_a), right.with_unit(shown_b)
    return left.show(a, (b,)), right.show(b, (a,))


class ItemValue(Value):
    def __init__(self, key: str, catalogue: dict, label: str = ""):
        if key not in catalogue:
            raise RuleSpecError(f"数据项「{key}」未在 data_items 中定义")
        self.key = key
        self.item = catalogue[key]
        self.label = label or self.item.label
        self.percent = self.item.unit == "%"

    def year_of(self, year):
        return year if self.item.per_year else None

    def evaluate(self, env, year):
        y = self.year_of(year)
        value = env.answers.value(self.key, y)
        if value is None:
            when = f"{y}年" if y is not None else ""
            return None, "", [f"{when}{self.item.label}"]
        return value, "", []

    def needs(self, years):
        if self.item.per_year:
            return [Need("data", self.key, y) for y in years]
        return [Need("data", self.key)]

    def items(self):
        return [self.key]

    def with_unit(self, number):
        return number if number == "—" else f"{number}{self.item.unit}"


class Ratio(Value):
    percent = True

    def __init__(self, parts, catalogue, label=""):
        if not isinstance(parts, list) or len(parts) != 2:
            raise RuleSpecError("ratio 需要两个数据项：[分子, 分母]")
        self.num = ItemValue(parts[0], catalogue)
        self.den = ItemValue(parts[1], catalogue)
        self.label = label or f"{self.num.label}/{self.den.label}"

    def evaluate(self, env, year):
        a, _, miss_a = self.num.evaluate(env, year)
        b, _, miss_b = self.den.evaluate(env, year)
        if miss_a or miss_b:
            return None, "", miss_a + miss_b
        if b == 0:
            return None, "", [f"{self.den.item.label}（为0，无法计算比例）"]
        return a / b, f"{fmt_exact(a)}/{fmt_exact(b)}", []

    def needs(self, years):
        return self.num.needs(years) + self.den.needs(years)

    def items(self):
        return self.num.items() + self.den.items()


class Growth(Value):
    """Reported comparable growth rate of the year when given, else level(year)/level(year-1) - 1."""

    percent = True

    def __init__(self, spec, catalogue, label=""):
        if not isinstance(spec, dict) or "level" not in spec:
            raise RuleSpecError("growth 需要 level（总量数据项），可选 rate（同比增速数据项）")
        self.rate = ItemValue(spec["rate"], catalogue) if spec.get("rate") else None
        self.level = ItemValue(spec["level"], catalogue)
        if not self.level.item.per_year:
            raise RuleSpecError(f"数据项「{spec['level']}」用于计算增速，必须 per_year: true")
        self.label = label or (self.rate.label if self.rate else f"{self.level.label}同比增速")

    def evaluate(self, env, year):
        if self.rate is not None:
            value, _, _ = self.rate.evaluate(env, year)
            if value is not None:
                return value, "填报值", []
        now, _, _ = self.level.evaluate(env, year)
        before, _, _ = self.level.evaluate(env, year - 1)
        if now is not None and before:
            return now / before - 1, f"按{year - 1}、{year}年{self.level.item.label}计算", []
        missing = f"{year}年{self.rate.item.label}（或{year - 1}、{year}年{self.level.item.label}）" if self.rate \
            else f"{year - 1}、{year}年{self.level.item.label}"
        return None, "", [missing]

    def needs(self, years):
        out = self.rate.needs(years) if self.rate else []
        return out + self.level.needs(sorted(set(years) | {y - 1 for y in years}))

    def items(self):
        return (self.rate.items() if self.rate else []) + self.level.items()


def build_value(spec, catalogue) -> Value:
    """A value from its scheme form: {item}, {ratio}, {growth}, or a constant such as "15%" or 50."""
    if isinstance(spec, dict):
        label = spec.get("label", "")
        if "item" in spec:
            return ItemValue(spec["item"], catalogue, label)
        if "ratio" in spec:
            return Ratio(spec["ratio"], catalogue, label)
        if "growth" in spec:
            return Growth(spec["growth"], catalogue, label)
        if "value" in spec:
            return build_value(spec["value"], catalogue)
        raise RuleSpecError(f"无法识别的数值写法：{spec}（可用 item / ratio / growth 或常数）")
    return Const(spec)


# ---------------------------------------------------------------- rules

RULES: dict[str, type[Rule]] = {}


def register(cls):
    RULES[cls.type_name] = cls
    return cls


class Rule:
    """One scoring rule of an indicator item. ``points`` is the item's nominal points."""

    type_name: ClassVar[str] = ""  # as the scheme files write it
    title: ClassVar[str] = ""  # as people read it (scheme show)

    def __init__(self, spec: dict, points: Fraction, key: str, catalogue: dict):
        self.spec = spec
        self.points = points
        self.key = key

    def max_points(self) -> Fraction | None:
        """The most this rule can give by itself, None when only the item's points limit it."""
        return self.points

    def needs(self, years: list[int]) -> list[Need]:
        return []

    def data_keys(self) -> list[str]:
        return []

    def score(self, env: Env) -> Outcome:
        raise NotImplementedError


@register
class YearlyCompare(Rule):
    """'近2年…超过1年得1分': points_per_year for every evaluation year in which local op benchmark."""

    type_name = "yearly_compare"
    title = "逐年比较"

    def __init__(self, spec, points, key, catalogue):
        super().__init__(spec, points, key, catalogue)
        for name in ("local", "benchmark", "op"):
            if name not in spec:
                raise RuleSpecError(f"yearly_compare 缺少参数 {name}")
        self.local = build_value(spec["local"], catalogue)
        self.benchmark = build_value(spec["benchmark"], catalogue)
        self.op = parse_op(spec["op"])
        self.each = parse_number(spec.get("points_per_year", 1), "points_per_year")

    def max_points(self):
        return None  # grows with the number of evaluation years; the item's points cap it

    def needs(self, years):
        return self.local.needs(years) + self.benchmark.needs(years)

    def data_keys(self):
        return self.local.items() + self.benchmark.items()

    def score(self, env):
        total, parts, missing = Fraction(0), [], []
        if not env.years:
            return Outcome(Fraction(0), False, "未设定评估年度，不得分", ["评估年度"])
        for year in env.years:
            a, how_a, miss_a = self.local.evaluate(env, year)
            b, how_b, miss_b = self.benchmark.evaluate(env, year)
            if miss_a or miss_b:
                missing += miss_a + miss_b
                parts.append(f"{year}年 缺少{'、'.join(miss_a + miss_b)}，不得分")
                continue
            shown_a, shown_b = show_pair(self.local, a, self.benchmark, b)
            note_a = f"（{how_a}）" if how_a and how_a != "填报值" else ""
            note_b = f"（{how_b}）" if how_b and how_b != "填报值" else ""
            holds = _COMPARE[self.op](a, b)
            got = self.each if holds else Fraction(0)
            total += got
            sym = _SHOWN[self.op] if holds else _NEGATED[self.op]
            parts.append(f"{year}年 {self.local.label}{shown_a}{note_a} {sym} {self.benchmark.label}{shown_b}{note_b}，{_zh(got)}")
        return Outcome(total, total > 0, "；".join(parts), missing)


@register
class Bands(Rule):
    """'占比8%-15%得1分，15%以上得2分': both ends included, the higher band wins at a shared edge."""

    type_name = "bands"
    title = "区间计分"

    def __init__(self, spec, points, key, catalogue):
        super().__init__(spec, points, key, catalogue)
        if "value" not in spec or not spec.get("bands"):
            raise RuleSpecError("bands 需要 value 和 bands 两个参数")
        self.value = build_value(spec["value"], catalogue)
        if spec.get("label"):
            self.value.label = spec["label"]
        self.bands = []
        for band in spec["bands"]:
            low = parse_number(band.get("from"), "band 的 from")
            high = parse_number(band["to"], "band 的 to") if band.get("to") is not None else None
            if high is not None and high < low:
                raise RuleSpecError(f"区间 {band.get('from')}–{band.get('to')} 的下限大于上限")
            self.bands.append((low, high, parse_number(band.get("points"), "band 的 points"), band))

    def max_points(self):
        return max(b[2] for b in self.bands)

    def needs(self, years):
        return self.value.needs(years)

    def data_keys(self):
        return self.value.items()

    def _band_text(self, low, high, raw):
        show = fmt_exact_percent if self.value.percent else fmt_exact  # the edges exactly as the scheme has them
        return f"{show(low)}–{show(high)}" if high is not None else f"{show(low)}及以上"

    def edges(self) -> list[Fraction]:
        return [x for low, high, _, _ in self.bands for x in (low, high) if x is not None]

    def score(self, env):
        value, how, missing = self.value.evaluate(env, None)
        if value is None:
            return Outcome(Fraction(0), False, f"缺少{'、'.join(missing)}，不得分", missing)
        shown = self.value.show(value, self.edges()) + (f"（{how}）" if how else "")
        hits = [(pts, low, high, raw) for low, high, pts, raw in self.bands
                if value >= low and (high is None or value <= high)]
        if not hits:
            lowest = min(b[0] for b in self.bands)
            return Outcome(Fraction(0), False,
                           f"{self.value.label}{shown}，低于{self._band_text(lowest, None, None).replace('及以上', '')}，不得分")
        pts, low, high, raw = max(hits, key=lambda h: h[0])
        return Outcome(pts, pts > 0, f"{self.value.label}{shown}，在{self._band_text(low, high, raw)}区间，{_zh(pts)}")


def _capped(amount: Fraction, cap: Fraction | None) -> tuple[Fraction, str]:
    if cap is not None and amount > cap:
        return cap, f"（最高{fmt_exact(cap)}分）"
    return amount, ""


@register
class Count(Rule):
    """Count tiers ('有1家得1分，有2家及以上得2分') or points per counted thing with a cap ('有1家得0.5分，最高分3分')."""

    type_name = "count"
    title = "计数"

    def __init__(self, spec, points, key, catalogue):
        super().__init__(spec, points, key, catalogue)
        count = spec.get("count")
        if not isinstance(count, dict) or not ("item" in count or "list" in count):
            raise RuleSpecError("count 需要 count: {item: 数据项} 或 count: {list: 名单数据项, min_amount: {...}}")
        self.list_key = count.get("list")
        self.item_key = count.get("item")
        key_ = self.list_key or self.item_key
        if key_ not in catalogue:
            raise RuleSpecError(f"数据项「{key_}」未在 data_items 中定义")
        self.data_item = catalogue[key_]
        if self.list_key and self.data_item.kind != "list":
            raise RuleSpecError(f"数据项「{key_}」用于名单计数，必须 kind: list")
        self.min_amount = {k: parse_number(v, "min_amount") for k, v in (count.get("min_amount") or {}).items()}
        self.tiers = [(parse_number(t["min"], "tier 的 min"), parse_number(t["points"], "tier 的 points"))
                      for t in spec.get("tiers") or []]
        self.each = parse_number(spec["each"], "each") if "each" in spec else None
        self.cap = parse_number(spec["cap"], "cap") if spec.get("cap") is not None else None
        if bool(self.tiers) == (self.each is not None):
            raise RuleSpecError("count 需要 tiers 或 each 二者之一")

    def max_points(self):
        if self.tiers:
            return max(p for _, p in self.tiers)
        return self.cap

    def needs(self, years):
        return [Need("list", self.list_key)] if self.list_key else [Need("data", self.item_key)]

    def data_keys(self):
        return [self.list_key or self.item_key]

    def _counted(self, env) -> tuple[int | None, str, list[str]]:
        if self.item_key:
            value = env.answers.value(self.item_key, None)
            if value is None:
                return None, "", [self.data_item.label]
            whole = math.floor(value)  # what is counted: the shown figure must not cross it or the next
            edges = [whole, whole + 1, *(low for low, _ in self.tiers)]
            shown = f"{self.data_item.label}{fmt_number(value, edges=edges)}{self.data_item.unit}"
            if value < 0:
                return 0, f"{shown}为负数，按0计", []
            return int(value), shown, []
        entries = env.answers.lists.get(self.list_key)
        if entries is None:
            return None, "", [self.data_item.label]
        threshold = None
        if self.min_amount:
            if env.region_class not in self.min_amount:
                return None, "", [f"地区类别（{'/'.join(self.min_amount)}）"]
            threshold = self.min_amount[env.region_class]
        counted, notes = 0, []
        for entry in entries:
            if entry.amount is None:
                notes.append(f"{entry.name} 未填金额，不计入")
            elif threshold is None or entry.amount >= threshold:
                counted += 1
                notes.append(f"{entry.name} {self._amount(entry.amount, threshold)} 计入")
            else:
                notes.append(f"{entry.name} {self._amount(entry.amount, threshold)} 未达门槛")
        head = f"{env.region_class}地区门槛{fmt_exact(threshold)}{self.data_item.unit}：" if threshold is not None else ""
        body = "；".join(notes) if notes else "名单为空"
        return counted, f"{head}{body}；共{counted}{'家' if self.min_amount else '项'}", []

    def _amount(self, amount: Fraction, threshold: Fraction | None) -> str:
        """An amount never rounded onto the threshold: 19999.9999万元 stays below 20000万元."""
        return f"{fmt_number(amount, edges=() if threshold is None else (threshold,))}{self.data_item.unit}"

    def score(self, env):
        n, how, missing = self._counted(env)
        if n is None:
            return Outcome(Fraction(0), False, f"缺少{'、'.join(missing)}，不得分", missing)
        if self.tiers:
            reached = [p for low, p in self.tiers if n >= low]
            pts = max(reached) if reached else Fraction(0)
            cap_note = ""
        else:
            pts, cap_note = _capped(self.each * n, self.cap)
        return Outcome(pts, pts > 0, f"{how}，{_zh(pts)}{cap_note}")


@register
class WeightedCount(Rule):
    """'法规3分/件，规章2分/件，规范性文件或标准1分/件，最高分3分'."""

    type_name = "weighted_count"
    title = "加权计数"

    def __init__(self, spec, points, key, catalogue):
        super().__init__(spec, points, key, catalogue)
        if not spec.get("weights"):
            raise RuleSpecError("weighted_count 需要 weights: [{item, each}]")
        self.weights = []
        for w in spec["weights"]:
            value = ItemValue(w.get("item"), catalogue)
            self.weights.append((value, parse_number(w.get("each"), "each")))
        self.cap = parse_number(spec["cap"], "cap") if spec.get("cap") is not None else None

    def max_points(self):
        return self.cap

    def needs(self, years):
        return [n for v, _ in self.weights for n in v.needs(years)]

    def data_keys(self):
        return [v.key for v, _ in self.weights]

    def score(self, env):
        total, parts, missing = Fraction(0), [], []
        for value, each in self.weights:
            n, _, miss = value.evaluate(env, None)
            if n is None:
                missing += miss
                continue
            if n < 0:
                parts.append(f"{value.label}{fmt_exact(n)}为负数，按0计")
                continue
            total += n * each
            parts.append(f"{value.label}{fmt_exact(n)}×{fmt_exact(each)}分")
        if not parts:
            return Outcome(Fraction(0), False, f"缺少{'、'.join(missing)}，不得分", missing)
        pts, cap_note = _capped(total, self.cap)
        gap = f"（未填：{'、'.join(missing)}，按0计）" if missing else ""
        return Outcome(pts, pts > 0, f"{' + '.join(parts)} = {fmt_exact(total)}分{gap}，{_zh(pts)}{cap_note}", missing)


@dataclass
class _Comparison:
    value: Value
    op: str
    than: Value


@register
class Conditions(Rule):
    """One score for several conditions: all must hold ('维持率、胜诉率超过95%'), or any with ``any:``."""

    type_name = "conditions"
    title = "条件"

    def __init__(self, spec, points, key, catalogue):
        super().__init__(spec, points, key, catalogue)
        self.mode = "all" if "all" in spec else "any" if "any" in spec else None
        if self.mode is None or not spec[self.mode]:
            raise RuleSpecError("conditions 需要 all: [...] 或 any: [...]")
        self.parts = []
        for cond in spec[self.mode]:
            if "claim" in cond:
                self.parts.append(str(cond["claim"]))
                continue
            for name in ("value", "op", "than"):
                if name not in cond:
                    raise RuleSpecError(f"条件缺少参数 {name}：{cond}")
            value = build_value(cond["value"], catalogue)
            if cond.get("label"):
                value.label = cond["label"]
            self.parts.append(_Comparison(value, parse_op(cond["op"]), build_value(cond["than"], catalogue)))

    def needs(self, years):
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(Need("claim", self.key))
            else:
                out += part.value.needs(years) + part.than.needs(years)
        return out

    def data_keys(self):
        return [k for p in self.parts if not isinstance(p, str) for k in p.value.items() + p.than.items()]

    def has_claim(self) -> bool:
        return any(isinstance(p, str) for p in self.parts)

    def score(self, env):
        results, texts, missing = [], [], []
        for part in self.parts:
            if isinstance(part, str):
                claimed = env.answers.claims.get(self.key)
                if claimed is None:
                    missing.append(f"{self.key}自评（是/否）")
                    texts.append(f"{part}：未填报")
                    results.append(False)
                else:
                    texts.append(f"{part}：{'是' if claimed else '否'}")
                    results.append(claimed)
                continue
            a, how_a, miss_a = part.value.evaluate(env, None)
            b, how_b, miss_b = part.than.evaluate(env, None)
            if miss_a or miss_b:
                missing += miss_a + miss_b
                texts.append(f"缺少{'、'.join(miss_a + miss_b)}")
                results.append(False)
                continue
            holds = _COMPARE[part.op](a, b)
            shown_a, shown_b = show_pair(part.value, a, part.than, b)
            than_label = part.than.label if not isinstance(part.than, Const) else ""
            note_a, note_b = (f"（{how}）" if how and how != "填报值" else "" for how in (how_a, how_b))
            texts.append(f"{part.value.label}{shown_a}{note_a} {_SHOWN[part.op] if holds else _NEGATED[part.op]} "
                         f"{than_label}{shown_b}{note_b}")
            results.append(holds)
        holds = all(results) if self.mode == "all" else any(results)
        verdict = ("全部满足" if self.mode == "all" else "至少一项满足") if holds else \
            ("未全部满足" if self.mode == "all" else "均不满足")
        pts = self.points if holds else Fraction(0)
        return Outcome(pts, holds, f"{'；'.join(texts)}；{verdict}，{_zh(pts)}", missing)


@register
class Claim(Rule):
    """A checklist sub-item: the lead unit claims 是 (with evidence) or 否."""

    type_name = "claim"
    title = "是否达到"

    def needs(self, years):
        return [Need("claim", self.key)]

    def score(self, env):
        claimed = env.answers.claims.get(self.key)
        if claimed is None:
            return Outcome(Fraction(0), False, "未填报是否达到，不得分", [f"{self.key}自评（是/否）"])
        pts = self.points if claimed else Fraction(0)
        return Outcome(pts, claimed, f"自评：{'是' if claimed else '否'}，{_zh(pts)}")


@register
class Judged(Rule):
    """A self or expert score within [0, points]; out-of-range scores are brought into range and said so."""

    type_name = "judged"
    title = "评分"

    def needs(self, years):
        return [Need("judged", self.key)]

    def score(self, env):
        given = env.answers.judged.get(self.key)
        if given is None:
            return Outcome(Fraction(0), False, f"未填报评分（满分{fmt_exact(self.points)}分），不得分",
                           [f"{self.key}评分"])
        full = fmt_exact(self.points)
        shown = fmt_number(given, edges=(self.points,))
        if given < 0:
            return Outcome(Fraction(0), False, f"评分{shown}分小于0，按0分计")
        if given > self.points:
            return Outcome(self.points, True, f"评分{shown}分超过满分{full}分，按{full}分计")
        return Outcome(given, given > 0, f"评分{shown}分（满分{full}分）")


def build_rule(spec, points: Fraction, key: str, catalogue: dict) -> Rule:
    if not isinstance(spec, dict) or "type" not in spec:
        raise RuleSpecError("rule 需要 type（" + "、".join(RULES) + "）")
    cls = RULES.get(spec["type"])
    if cls is None:
        raise RuleSpecError(f"未知的规则类型「{spec['type']}」，可用：{'、'.join(RULES)}")
    return cls(spec, points, key, catalogue)
