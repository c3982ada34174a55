"""Indicator schemes: load a scheme file from templates/schemes (or any path) and check it.

Schemes are data: nothing here knows a particular indicator; a wrong file becomes issues, never a traceback.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import yaml

from zonekit.errors import SchemeError
from zonekit.exact import NotANumber, fmt_exact_percent, fmt_number, to_fraction
from zonekit.issues import ERROR, WARNING, Report, define, issue
from zonekit.rules import Claim, Conditions, Judged, Need, Rule, RuleSpecError, build_rule

def _data_root() -> Path:
    """templates/ and samples/ sit beside the package in a checkout (editable install) and under
    <prefix>/share/zonekit in a regular install (setup.cfg data_files)."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "templates" / "schemes").is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "zonekit"


DATA_ROOT = _data_root()
TEMPLATES = DATA_ROOT / "templates"
SCHEMES_DIR = TEMPLATES / "schemes"

S_READ = define("S001", ERROR, "无法读取指标体系文件：{reason}。请检查文件是否存在、是否为 UTF-8 编码的 YAML。")
S_FIELD = define("S002", ERROR, "{where} 缺少「{field}」，请补上。")
S_LEVEL_SUM = define("S003", ERROR,
                     "一级指标「{level}」分值{points}分，但{what}合计{total}分，请核对后使两者一致。")
S_TOTAL = define("S004", WARNING, "全部指标合计{total}分，不是100分；合格线{total_min}分按此总分计算，请确认。")
S_UNKNOWN_LEVEL = define("S005", ERROR, "指标{number}的{which}「{name}」不在 levels 中，请改为已定义的名称。")
S_DUPLICATE = define("S006", ERROR, "指标编号{number}重复出现，请保证编号唯一。")
S_RULE = define("S007", ERROR, "指标{number}（{key}）的计分规则有误：{reason}")
S_ITEMS_OVER = define("S010", WARNING,
                      "指标{number}「{name}」分值{points}分，但各部分合计最高可得{reachable}分；"
                      "按指标分值封顶，实际最高可得{attainable}分。请核对原文，如需调整请修改指标体系文件。")
S_RULE_UNDER = define("S011", WARNING,
                      "指标{number}「{name}」分值{points}分，但其计分规则最高只能得{reachable}分；"
                      "实际最高可得{attainable}分，该指标最多会失{lost}分。请核对原文，如需调整请修改指标体系文件。")
S_QUAL = define("S012", ERROR, "合格标准 qualification 有误：{reason}。应为 total_min: 85、level_rate_min: 75% 的形式。")
S_DATA_ITEM = define("S013", ERROR, "数据项「{key}」定义有误：{reason}")
S_KEY_DUP = define("S014", ERROR, "分项编号「{key}」重复出现，请保证分项编号唯一。")
S_SECOND_SUM = define("S015", ERROR, "二级指标「{level}」分值{points}分，但其下各指标合计{total}分，请核对后使两者一致。")

# libyaml's C loader reads the 2022 scheme about 10× faster than the pure-Python one (start-up time)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SOURCES = ("region", "national")
KINDS = ("number", "list")


@dataclass(frozen=True)
class DataItem:
    key: str
    label: str
    unit: str = ""
    per_year: bool = False
    source: str = "region"
    kind: str = "number"
    note: str = ""
    # plausible range (low, high), either end None when open: a value outside is refused with the likely intended
    # one (a percent 100× off); rates without one in the scheme default to 0%–100%
    range: tuple[Fraction | None, Fraction | None] | None = None

    @property
    def is_rate(self) -> bool:
        return self.unit == "%"

    @property
    def bounds(self) -> tuple[Fraction | None, Fraction | None] | None:
        """The plausible range of a value of this item, or None when any value goes."""
        if self.range is not None:
            return self.range
        return (Fraction(0), Fraction(1)) if self.is_rate else None


@dataclass
class Level:
    name: str
    points: Fraction
    parent: str | None = None
    children: list["Level"] = field(default_factory=list)


@dataclass
class Item:
    key: str
    text: str
    points: Fraction
    rule: Rule

    @property
    def attainable(self) -> Fraction:
        top = self.rule.max_points()
        return self.points if top is None else min(self.points, top)


@dataclass
class Indicator:
    number: str
    name: str
    points: Fraction
    level1: str
    level2: str | None = None
    nature: str = ""
    criteria: str = ""
    method: str = ""
    reading: str = ""
    combine: str = "sum"
    items: list[Item] = field(default_factory=list)
    single: bool = False  # written with one `rule:`, so its item is the indicator itself

    @property
    def reachable(self) -> Fraction:
        """What the items can add up to before the indicator's cap."""
        if self.combine == "any":
            return max((i.attainable for i in self.items), default=Fraction(0))
        return sum((i.attainable for i in self.items), Fraction(0))

    @property
    def attainable(self) -> Fraction:
        return min(self.points, self.reachable)

    def needs(self, years: list[int]) -> list[Need]:
        """Every input the indicator reads for these evaluation years, without repeats."""
        seen, out = set(), []
        for item in self.items:
            for need in item.rule.needs(years):
                ident = (need.kind, need.key, need.year)
                if ident not in seen:
                    seen.add(ident)
                    out.append(need)
        return out

    def claim_items(self) -> list[Item]:
        return [i for i in self.items if isinstance(i.rule, Claim)
                or (isinstance(i.rule, Conditions) and i.rule.has_claim())]

    def judged_items(self) -> list[Item]:
        return [i for i in self.items if isinstance(i.rule, Judged)]

    def data_keys(self) -> list[str]:
        return list(dict.fromkeys(k for i in self.items for k in i.rule.data_keys()))

    @property
    def quantitative(self) -> bool:
        return bool(self.data_keys())


@dataclass
class Scheme:
    name: str
    title: str
    version: str
    source: str
    evaluation_years: int
    region_classes: list[str]
    total_min: Fraction
    level_rate_min: Fraction
    levels: list[Level]
    data_items: dict[str, DataItem]
    indicators: list[Indicator]
    path: Path | None = None
    aliases: list[str] = field(default_factory=list)  # former names, still accepted (e.g. "2024" for "2025")
    former_versions: list[str] = field(default_factory=list)  # versions of workbooks generated under a former name
    indicator_label: str = ""  # what the table calls its numbered indicators: 三级指标 (2022), 二级指标 (2025 draft)

    def accepts(self, name: str, version: str) -> bool:
        """Whether a workbook whose identity names this scheme (by name and version, current or former) is ours."""
        return name in (self.name, *self.aliases) and version in (self.version, *self.former_versions)

    def indicator(self, number) -> Indicator:
        for ind in self.indicators:
            if ind.number == str(number):
                return ind
        raise KeyError(number)

    def level(self, name: str) -> Level:
        for lv in self.levels:
            if lv.name == name:
                return lv
        raise KeyError(name)

    @property
    def total_points(self) -> Fraction:
        return sum((i.points for i in self.indicators), Fraction(0))

    @property
    def has_second_level(self) -> bool:
        return any(lv.children for lv in self.levels)

    def indicators_of(self, level1: str) -> list[Indicator]:
        return [i for i in self.indicators if i.level1 == level1]

    def item(self, key: str) -> Item:
        for ind in self.indicators:
            for it in ind.items:
                if it.key == key:
                    return it
        raise KeyError(key)


def scheme_path(name_or_path: str | Path) -> Path:
    """A scheme by name (templates/schemes/NAME.yaml), by a former name listed in a shipped scheme's
    ``aliases``, or by path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    named = SCHEMES_DIR / f"{name_or_path}.yaml"
    if not named.exists():
        for path in available_schemes():
            if str(name_or_path) in _aliases_of(path):
                return path
    return named


def _aliases_of(path: Path) -> list[str]:
    """The ``aliases:`` line of a shipped scheme, read without parsing the whole file (cheap at start-up)."""
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("aliases:"):
                    found = yaml.load(line, Loader=_LOADER).get("aliases") or []
                    return [str(a) for a in found]
                if line.startswith("levels:"):
                    break
    except (OSError, yaml.YAMLError, AttributeError):
        pass
    return []


def available_schemes() -> list[Path]:
    return sorted(SCHEMES_DIR.glob("*.yaml"))


def _num(raw, report: Report, where: str, field_name: str, file: str) -> Fraction | None:
    try:
        return to_fraction(raw)
    except NotANumber:
        report.add(issue(S_FIELD, file=file, cell=where, value=raw, where=where, field=f"{field_name}（数字）"))
        return None


def _range(raw, unit: str, problems: list[str]) -> tuple[Fraction | None, Fraction | None] | None:
    """``range: ["-100%", "300%"]`` of a data item (null for an open end); rates are written with %."""
    if raw is None:
        return None
    if not isinstance(raw, (list, tuple)) or len(raw) != 2:
        problems.append("range 应为两个数的列表，如 [\"0%\", \"100%\"]，不设限的一端写 null")
        return None
    ends = []
    for end in raw:
        if end is None:
            ends.append(None)
            continue
        if unit == "%" and not (isinstance(end, str) and end.strip().endswith("%")):
            problems.append(f"range 的「{end}」应写成带 % 的百分数（本项计量单位为%）")
            return None
        try:
            ends.append(to_fraction(end))
        except NotANumber:
            problems.append(f"range 的「{end}」不是数字")
            return None
    low, high = ends
    if low is not None and high is not None and low >= high:
        problems.append("range 的下限应小于上限")
        return None
    return low, high


def parse_scheme(doc: dict, file: str = "") -> tuple[Scheme | None, Report]:
    """Build a scheme from its YAML data; every problem is an issue in the report."""
    report = Report()
    if not isinstance(doc, dict):
        report.add(issue(S_READ, file=file, reason="文件内容不是键值结构"))
        return None, report
    for name in ("name", "qualification", "levels", "indicators"):
        if name not in doc:
            report.add(issue(S_FIELD, file=file, where="文件顶层", field=name))
    if report.errors:
        return None, report

    qual = doc["qualification"] or {}
    try:
        total_min = to_fraction(qual["total_min"])
        rate_min = to_fraction(qual["level_rate_min"])
        if not isinstance(qual["level_rate_min"], str) or not str(qual["level_rate_min"]).endswith("%"):
            raise NotANumber("level_rate_min")
    except (KeyError, NotANumber, TypeError) as exc:
        report.add(issue(S_QUAL, file=file, reason=str(exc)))
        total_min, rate_min = Fraction(85), Fraction(3, 4)

    data_items: dict[str, DataItem] = {}
    for key, spec in (doc.get("data_items") or {}).items():
        spec = spec or {}
        problems = []
        if not spec.get("label"):
            problems.append("缺少 label")
        if spec.get("source", "region") not in SOURCES:
            problems.append(f"source 应为 {'/'.join(SOURCES)}")
        if spec.get("kind", "number") not in KINDS:
            problems.append(f"kind 应为 {'/'.join(KINDS)}")
        bounds = _range(spec.get("range"), str(spec.get("unit", "")), problems)
        if problems:
            report.add(issue(S_DATA_ITEM, file=file, cell=f"data_items.{key}", key=key, reason="；".join(problems)))
            continue
        data_items[key] = DataItem(key, spec["label"], str(spec.get("unit", "")), bool(spec.get("per_year", False)),
                                   spec.get("source", "region"), spec.get("kind", "number"), spec.get("note", ""),
                                   bounds)

    levels = []
    for raw in doc["levels"] or []:
        level = Level(str(raw.get("name", "")), _num(raw.get("points"), report, "levels", "points", file) or Fraction(0))
        for child in raw.get("children") or []:
            level.children.append(Level(str(child.get("name", "")),
                                        _num(child.get("points"), report, "levels", "points", file) or Fraction(0),
                                        parent=level.name))
        levels.append(level)

    indicators, numbers, keys = [], set(), set()
    for pos, raw in enumerate(doc["indicators"] or [], start=1):
        where = f"indicators 第{pos}个"
        missing = [f for f in ("number", "name", "points", "level1") if f not in raw]
        if missing:
            for f in missing:
                report.add(issue(S_FIELD, file=file, cell=where, where=where, field=f))
            continue
        number = str(raw["number"])
        if number in numbers:
            report.add(issue(S_DUPLICATE, file=file, cell=where, number=number))
        numbers.add(number)
        points = _num(raw["points"], report, where, "points", file)
        if points is None:
            continue
        ind = Indicator(number, str(raw["name"]), points, str(raw["level1"]), raw.get("level2"),
                        str(raw.get("nature", "")), str(raw.get("criteria", "")).strip(),
                        str(raw.get("method", "")).strip(), str(raw.get("reading", "")).strip(),
                        str(raw.get("combine", "sum")))
        if ind.combine not in ("sum", "any"):
            report.add(issue(S_RULE, file=file, cell=where, number=number, key=number,
                             reason=f"combine 应为 sum 或 any，而不是「{ind.combine}」"))
        if "rule" in raw:
            item_specs = [{"key": number, "text": ind.name, "points": raw["points"], "rule": raw["rule"]}]
            ind.single = True
        elif raw.get("items"):
            item_specs = raw["items"]
        else:
            report.add(issue(S_FIELD, file=file, cell=where, where=f"指标{number}", field="rule 或 items"))
            item_specs = []
        for spec in item_specs:
            key = str(spec.get("key", ""))
            if not key:
                report.add(issue(S_FIELD, file=file, cell=where, where=f"指标{number}的分项", field="key"))
                continue
            if key in keys:
                report.add(issue(S_KEY_DUP, file=file, cell=where, key=key))
            keys.add(key)
            item_points = _num(spec.get("points", raw["points"]), report, f"{where} {key}", "points", file)
            if item_points is None:
                continue
            try:
                rule = build_rule(spec.get("rule"), item_points, key, data_items)
            except RuleSpecError as exc:
                report.add(issue(S_RULE, file=file, cell=f"{where} {key}", number=number, key=key, reason=str(exc)))
                continue
            ind.items.append(Item(key, str(spec.get("text", ind.name)), item_points, rule))
        indicators.append(ind)

    scheme = Scheme(str(doc["name"]), str(doc.get("title", doc["name"])), str(doc.get("version", "")),
                    str(doc.get("source", "")), int(doc.get("evaluation_years", 2)),
                    list(doc.get("region_classes") or []), total_min, rate_min, levels, data_items, indicators,
                    aliases=[str(a) for a in doc.get("aliases") or []],
                    former_versions=[str(v) for v in doc.get("former_versions") or []])
    scheme.indicator_label = str(doc.get("indicator_label") or ("三级指标" if scheme.has_second_level else "二级指标"))
    _check_structure(scheme, report, file)
    return scheme, report


def _check_structure(scheme: Scheme, report: Report, file: str) -> None:
    """Points add up at every level; every indicator sits in a known level; attainable maxima are said."""
    by_name = {lv.name: lv for lv in scheme.levels}
    for ind in scheme.indicators:
        level = by_name.get(ind.level1)
        if level is None:
            report.add(issue(S_UNKNOWN_LEVEL, file=file, number=ind.number, which="一级指标", name=ind.level1))
            continue
        if level.children and ind.level2 not in {c.name for c in level.children}:
            report.add(issue(S_UNKNOWN_LEVEL, file=file, number=ind.number, which="二级指标", name=ind.level2))
    for level in scheme.levels:
        inds = scheme.indicators_of(level.name)
        total = sum((i.points for i in inds), Fraction(0))
        if total != level.points:
            report.add(issue(S_LEVEL_SUM, file=file, level=level.name, points=fmt_number(level.points),
                             what=f"其下各{scheme.indicator_label}", total=fmt_number(total)))
        if level.children:
            child_total = sum((c.points for c in level.children), Fraction(0))
            if child_total != level.points:
                report.add(issue(S_LEVEL_SUM, file=file, level=level.name, points=fmt_number(level.points),
                                 what="其下各二级指标", total=fmt_number(child_total)))
            for child in level.children:
                sub = sum((i.points for i in inds if i.level2 == child.name), Fraction(0))
                if sub != child.points:
                    report.add(issue(S_SECOND_SUM, file=file, level=child.name, points=fmt_number(child.points),
                                     total=fmt_number(sub)))
    total = scheme.total_points
    if total != 100:
        report.add(issue(S_TOTAL, file=file, total=fmt_number(total), total_min=fmt_number(scheme.total_min)))
    for ind in scheme.indicators:
        if not ind.items:
            continue
        reachable = ind.reachable
        # An item without a cap of its own (e.g. 2025 draft #25.1) is limited by the indicator alone, by design.
        open_ended = any(i.rule.max_points() is None and i.points >= ind.points for i in ind.items)
        if open_ended:
            continue
        if reachable > ind.points:
            report.add(issue(S_ITEMS_OVER, file=file, cell=f"指标{ind.number}", number=ind.number, name=ind.name,
                             points=fmt_number(ind.points), reachable=fmt_number(reachable),
                             attainable=fmt_number(ind.attainable)))
        elif reachable < ind.points:
            report.add(issue(S_RULE_UNDER, file=file, cell=f"指标{ind.number}", number=ind.number, name=ind.name,
                             points=fmt_number(ind.points), reachable=fmt_number(reachable),
                             attainable=fmt_number(ind.attainable), lost=fmt_number(ind.points - reachable)))


def check_scheme(name_or_path: str | Path) -> tuple[Scheme | None, Report]:
    """Read and check a scheme file; returns the scheme (None when unreadable) and every issue found."""
    path = scheme_path(name_or_path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        report = Report()
        report.add(issue(S_READ, file=str(path), reason=_reason(exc)))
        return None, report
    scheme, report = parse_scheme(doc, str(path))
    if scheme is not None:
        scheme.path = path
    return scheme, report


def _reason(exc: Exception) -> str:
    if isinstance(exc, FileNotFoundError):
        return "文件不存在"
    if isinstance(exc, IsADirectoryError):
        return "这是一个文件夹，不是文件"
    if isinstance(exc, UnicodeDecodeError):
        return "不是 UTF-8 编码的文本文件"
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        return f"YAML 格式错误（第{mark.line + 1}行）" if mark else "YAML 格式错误"
    return type(exc).__name__


_CACHE: dict[tuple[str, float], Scheme] = {}


def load_scheme(name_or_path: str | Path) -> Scheme:
    """A checked scheme; raises SchemeError listing the blocking problems (warnings are allowed)."""
    path = scheme_path(name_or_path)
    try:
        stamp = (str(path.resolve()), path.stat().st_mtime)
    except OSError:
        names = "、".join(p.stem for p in available_schemes())
        raise SchemeError(f"找不到指标体系「{name_or_path}」。可用的有：{names}；也可以给出 YAML 文件路径。") from None
    if stamp in _CACHE:
        return _CACHE[stamp]
    scheme, report = check_scheme(path)
    if scheme is None or report.errors:
        raise SchemeError(f"指标体系文件 {path} 有错误，请先运行 zonekit scheme check 修正：\n" + report.render())
    _CACHE[stamp] = scheme
    return scheme


def describe_rate(rate: Fraction) -> str:
    """A rate of the scheme exactly as the table writes it: '75%', '7.25%'."""
    return fmt_exact_percent(rate)
