"""Read one indicator's 指标说明及打分标准 text into scheme rules, the way the shipped schemes write them.

Pure text work: quantities are left as ``Ref`` placeholders for zonekit.catalogue to name; nothing is guessed
silently — every reading says how sure it is and what a person must confirm.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction

from zonekit.exact import fmt_number, to_fraction
from zonekit.rules import OPERATORS

SURE = "确定"
CONFIRM = "需确认"
UNKNOWN = "未识别"
_RANK = {SURE: 0, CONFIRM: 1, UNKNOWN: 2}

NUM = r"\d+(?:\.\d+)?"
_MARKER = re.compile(rf"\(({NUM})分\)")
_ANY_OF = re.compile(rf"符合(?:其中)?(?:任)?一项(?:即可|即)?得({NUM})?分")
_SCORING = re.compile(rf"得{NUM}分|{NUM}分/[件次项个家]|最高(?:分|得)?{NUM}分|共{NUM}分|即可得分")
_PER_YEAR = re.compile(rf"超过(\d+)年得({NUM})分")
_TOTAL = re.compile(rf"共({NUM})分")
_CAP = re.compile(rf"最高(?:分|得)?({NUM})分")
_BAND = re.compile(rf"({NUM})%-({NUM})%得({NUM})分")
_BAND_TOP = re.compile(rf"({NUM})%(?:及)?以上得({NUM})分")
_TIER = re.compile(rf"有(\d+)([家项个件次])(及以上|以上)?得({NUM})分")
_WEIGHT = re.compile(rf"^(.*?)({NUM})分/([件次项个])$")
_REGION_LIMIT = re.compile(rf"((?:(?:东部|中部|西部|东北)(?:地区)?[和、及与]?)+)({NUM})(亿元|万元|元)以上")
_GROWTH_FORMULA = re.compile(r"([^,;。=\n]+?)=\(?当年(.+?)/上一(?:年度|年)(.+?)-1\)?")
_RATIO_FORMULA = re.compile(r"^(?:([^=]+?)=)?([^/=]+?)/([^/=]+?)$")
_SHARE = re.compile(r"^(.+?)(?:在(.+?)中的占比|占(.+?)的?(?:比重|比例|占比))$")
_LIST_NUMBER = re.compile(r"(?:^|\n)\s*(?:\d+[.、]|\(\d+\))")
_YEARS = re.compile(r"近(\d+)年")
_INCLUSIVE = re.compile(r"均含本数|含本数")
_RATE_WORDS = ("率", "比重", "占比", "比例", "满意度", "贡献度", "增速")
# 超过/大于/高于 strict, 达到/以上/不低于 inclusive (seeds 002, 004); longest words first so 不超过 is not 超过
_OPS = sorted({w for w in OPERATORS if not w.isascii()} | {"不少于", "≧"}, key=len, reverse=True)
_OP_WORD = re.compile("|".join(map(re.escape, _OPS)))
_OP_SYMBOL = {"不少于": ">=", "≧": ">="}
_CONST = re.compile(rf"^({NUM})(%)?(学时|小时|个|家|项|件|次|人|户|天|万元|元)?$")
_AT_LEAST = re.compile(rf"^(.*?)在?(?:至少|不少于)?({NUM})(%|个|家|项|件|次|人|户|学时|小时|天)?(?:及)?以上(.*)$")
_LEADING = re.compile(r"^(?:创建地区|创建地|本地区|本地)")
_GENERIC_NATIONAL = ("平均值", "平均水平", "平均率", "平均", "水平")


def flat(text: str) -> str:
    """The text as the patterns read it: full-width forms folded (NFKC), spaces gone, line breaks kept."""
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"[ \t\u3000\xa0]+", "", text)
    text = re.sub(r"(\d)[—－~～至到](\d)", r"\1-\2", text)
    return re.sub(r"%[—－~～至到-]", "%-", text)


def zh(text: str) -> str:
    """Flat text back to Chinese punctuation for item texts (the seeds write ，；：（）)."""
    return text.translate(str.maketrans({",": "，", ";": "；", ":": "：", "(": "（", ")": "）"})).strip()


@dataclass(eq=False)
class Ref:
    """A quantity the text names (a data item to be). ``peer`` is the local value a national benchmark such as
    "全国平均水平" is the counterpart of."""

    phrase: str
    national: bool = False
    per_year: bool = False
    unit: str = ""
    kind: str = "number"
    candidates: tuple[str, ...] = ()
    peer: object = None
    note: str = ""
    key: str | None = None  # set by the catalogue
    found: str = ""  # how the catalogue named it (Chinese, for the report)


@dataclass
class Part:
    """One scored part of an indicator: its text, points, rule (with Refs) and how sure the reading is."""

    text: str
    points: Fraction
    rule: dict
    sure: str = SURE
    says: str = ""
    confirm: list[str] = field(default_factory=list)


@dataclass
class Reading:
    parts: list[Part]
    combine: str = "sum"
    single: bool = True
    years: int | None = None  # "近N年"
    period: bool = False  # "创建期内"
    inclusive_note: bool = False  # "（比值区间均含本数，下同）"
    notes: list[str] = field(default_factory=list)
    summary: str = ""  # what the indicator as a whole does with its parts ("符合3项中任一项即得3分")

    @property
    def sure(self) -> str:
        return max((p.sure for p in self.parts), key=_RANK.get, default=UNKNOWN)

    @property
    def confirm(self) -> list[str]:
        return self.notes + [c for p in self.parts for c in p.confirm]


def read_criteria(criteria: str, name: str, points: Fraction, inclusive: bool = False) -> Reading:
    """How one indicator scores. ``inclusive``: an earlier indicator said 比值区间均含本数，下同."""
    text = flat(criteria)
    any_of = _ANY_OF.search(text)
    markers = list(_MARKER.finditer(text))
    if any_of:
        reading = _read_any_of(text, any_of, points)
    elif len(markers) > 1 or (markers and to_fraction(markers[0][1]) != points):
        reading = _read_checklist(text, markers, points)
    elif markers and not text[markers[0].end():].strip("。;.\n "):
        reading = _read_whole(text[:markers[0].start()], points)
    else:
        reading = _read_sentences(text, name, points, inclusive or bool(_INCLUSIVE.search(text)))
    years = _YEARS.search(text)
    reading.years = int(years[1]) if years else None
    reading.period = "创建期内" in text
    reading.inclusive_note = bool(_INCLUSIVE.search(text)) and "下同" in text
    return reading


def unknown(criteria: str, points: Fraction, why: str) -> Part:
    return Part(zh(flat(criteria)).rstrip("。"), points, {"type": "judged"}, UNKNOWN,
                f"未能识别计分规则（{why}），暂按评分项处理：自评或专家评估，0至{fmt_number(points)}分",
                [f"计分方式未能识别（{why}），请对照原文确定计分规则；改写前按0至{fmt_number(points)}分的评分项使用"])


# ---------------------------------------------------------------- text pieces


def split_at_depth0(text: str, stops: str, paren_ends: bool = False) -> list[str]:
    """Pieces ending at any of ``stops`` outside parentheses; with ``paren_ends`` a piece that opens with a
    parenthesis also ends where it closes ("（比值区间均含本数，下同）" stands alone)."""
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
            if paren_ends and depth == 0 and text[start:i + 1].lstrip("\n").startswith("("):
                pieces.append(text[start:i + 1])
                start = i + 1
                continue
        if depth == 0 and ch in stops:
            pieces.append(text[start:i + 1])
            start = i + 1
    pieces.append(text[start:])
    return [p for p in (p.strip("\n") for p in pieces) if p.strip("。;,.\n ")]


def sentences(text: str) -> list[str]:
    return split_at_depth0(text, "。\n", paren_ends=True)


def clauses(text: str) -> list[str]:
    return [c.strip("。;,.") for c in split_at_depth0(text, ",;。") if c.strip("。;,.")]


def strip_number(text: str) -> str:
    return re.sub(r"^\s*(?:\d+[.、]|\(\d+\))\s*", "", text.strip())


def item_text(text: str) -> str:
    return zh(strip_number(_MARKER.sub("", text))).rstrip("；。，.;,")


def is_rate(phrase: str) -> bool:
    return phrase.endswith(_RATE_WORDS)


def leading_cut(phrase: str) -> str:
    return _LEADING.sub("", phrase)


# ---------------------------------------------------------------- whole, any-of, checklist


def _read_whole(text: str, points: Fraction) -> Reading:
    """One "（N分）" for the whole indicator: comparisons make it conditions; plain text is a judged score."""
    part = read_item(text, points, whole=True)
    if part.rule["type"] == "claim":
        part = Part(item_text(text), points, {"type": "judged"}, SURE,
                    f"表中未分项，按自评或专家评估在0至{fmt_number(points)}分之间评分")
    return Reading([part])


def _read_any_of(text: str, match: re.Match, points: Fraction) -> Reading:
    body = text[:match.start()] + text[match.end():]
    each = to_fraction(match[1]) if match[1] else points
    pieces = _list_pieces(body)
    if len(pieces) < 2:
        return Reading([unknown(text, points, "“符合一项即可得分”但未能分出各项")])
    parts = [read_item(p, each) for p in pieces]
    first = parts[0]
    if not match[1]:
        first.sure = CONFIRM
        first.confirm.append(f"“符合一项即可得分”未写分值，按符合任一项即得本指标{fmt_number(points)}分理解")
    elif each != points:
        first.sure = CONFIRM
        first.confirm.append(f"“符合一项即可得{fmt_number(each)}分”与指标分值{fmt_number(points)}分不同")
    summary = f"符合{len(parts)}项中任一项即得{fmt_number(each)}分，不累加"
    if all(p.rule["type"] == "claim" for p in parts):
        summary += "；各项由牵头单位自评“是/否”并附佐证"
    return Reading(parts, combine="any", single=False, summary=summary)


def _list_pieces(body: str) -> list[str]:
    """The alternatives of an any-of list: numbered items when numbered, else the sentences and ；-pieces."""
    if len(_LIST_NUMBER.findall(body)) >= 2:
        starts = [m.start() for m in _LIST_NUMBER.finditer(body)]
        return [p for p in (body[a:b].strip("\n") for a, b in zip(starts, starts[1:] + [len(body)]))
                if p.strip("。;\n ")]
    return [p for p in split_at_depth0(body, "。;\n") if p.strip("。;\n ")]


def _read_checklist(text: str, markers: list[re.Match], points: Fraction) -> Reading:
    """Sub-items each followed by "（N分）": a claim each, or conditions when the item states a comparison."""
    parts, notes, start = [], [], 0
    for m in markers:
        segment = text[start:m.start()]
        numbered = list(_LIST_NUMBER.finditer(segment))
        if numbered and numbered[-1].start() > 0:
            preface = segment[:numbered[-1].start()].strip("\n")
            if preface.strip("。;,\n "):
                notes.append(f"分项前的说明“{zh(preface).rstrip('。')}”不单独计分")
            segment = segment[numbered[-1].start():]
        parts.append(read_item(segment, to_fraction(m[1])))
        start = m.end()
    rest = text[start:].strip("。;,\n ")
    if rest:
        notes.append(f"分项后的说明“{zh(rest)}”不单独计分")
    total = sum((p.points for p in parts), Fraction(0))
    if total != points:
        notes.append(f"各分项分值合计{fmt_number(total)}分，与指标分值{fmt_number(points)}分不同")
    return Reading(parts, single=False, notes=notes)


# ---------------------------------------------------------------- one item: comparisons and claims


def read_item(text: str, points: Fraction, whole: bool = False) -> Part:
    """A checklist item: comparisons become conditions; clauses before the first comparison are background,
    clauses after it are claims (是/否) that must hold too ("…超过95%，无因程序违法…的涉网案件")."""
    shown = item_text(text)
    pieces = clauses(_MARKER.sub("", strip_number(text)))
    comps, context, claims, loose = [], [], [], []
    for piece in pieces:
        found = parse_comparison(piece)
        if found:
            comps += found
        elif comps:
            claims.append(zh(piece))
        else:
            context.append(zh(piece))
            if _OP_WORD.search(piece):
                loose.append(zh(piece))
    if not comps:
        part = Part(shown, points, {"type": "claim"}, SURE, "清单项：由牵头单位自评“是/否”并附佐证，是则得分")
        if loose:
            part.sure = CONFIRM
            part.confirm.append(f"“{'；'.join(loose)}”含比较用语但比较对象不是数值或全国数据，按是/否自评理解")
        return part
    conds = [c.spec() for c in comps]
    if claims:
        conds.append({"claim": "，".join(claims)})
    part = Part(shown, points, {"type": "conditions", "all": conds}, SURE)
    said = [c.says() for c in comps] + [f"且自评“{'，'.join(claims)}”为是" for _ in claims[:1]]
    part.says = "条件：" + "；".join(said) + ("；全部满足才得分" if len(said) > 1 else "")
    if context:
        part.confirm.append(f"“{'，'.join(context)}”作为背景，不单独设条件")
        part.sure = CONFIRM
    if whole and len(said) > 1:
        part.sure = CONFIRM
        part.confirm.append("原文对多个条件只给一个分值且未拆分，按全部满足才得分理解")
    for c in comps:
        if c.confirm:
            part.sure = CONFIRM
            part.confirm.append(c.confirm)
    return part


@dataclass
class Comparison:
    value: dict
    op: str
    than: object
    label: str
    word: str
    shown_than: str
    confirm: str = ""

    def spec(self) -> dict:
        return {"value": self.value, "op": self.op, "than": self.than, "label": self.label}

    def says(self) -> str:
        if self.word == "以上":
            return f"{self.label}不少于{self.shown_than}（“以上”含本数）"
        return f"{self.label}{self.word}{self.shown_than}"


def _op(word: str) -> str:
    return _OP_SYMBOL.get(word, word)


def parse_comparison(clause: str) -> list[Comparison] | None:
    """"A、B超过95%" / "A大于全国A" / "A超过B数50%" / "在至少5个以上X" → comparisons, or None."""
    subjects = _subjects_and_object(clause)
    if subjects is None:
        return None
    subjects, word, obj = subjects
    const = _CONST.match(obj)
    out = []
    for phrase, label, candidates in subjects:
        unit = "%" if (const and const[2]) or is_rate(phrase) else (const[3] or "" if const else "")
        ref = Ref(phrase, unit=unit, candidates=candidates)
        value = {"item": ref}
        if const:
            than = f"{const[1]}%" if const[2] else _number(const[1])
            out.append(Comparison(value, _op(word), than, label, word, obj))
        elif obj.startswith("全国"):
            national = Ref(obj, national=True, unit=ref.unit, peer=value)
            out.append(Comparison(value, _op(word), {"item": national}, label, word, obj))
        else:
            share = re.match(rf"^(.+?)({NUM})%$", obj)
            if not share:
                return None
            ref.unit = ""
            out.append(Comparison({"ratio": [ref, Ref(share[1])]}, _op(word), f"{share[2]}%",
                                  f"{phrase}/{share[1]}", word, f"{share[2]}%",
                                  f"“{phrase}{word}{obj}”读作 {phrase}/{share[1]} {word}{share[2]}%"
                                  f"（不是“比{share[1]}多{share[2]}%”）"))
    return out


def _subjects_and_object(clause: str):
    """([(phrase, label, candidates)], operator word, object) of a comparison clause, or None."""
    m = _OP_WORD.search(clause)
    if m and m.group() != "以上":
        subject = leading_cut(clause[:m.start()].strip())
        if not subject:
            return None
        return [(p, p, c) for p, c in split_subjects(subject)], m.group(), clause[m.end():]
    at_least = _AT_LEAST.match(clause)
    if not at_least:
        return None
    before, number, unit, after = at_least.groups()
    obj = number + (unit or "")
    if before.strip("在"):
        return [(p, p, c) for p, c in split_subjects(leading_cut(before))], "以上", obj
    if not after:
        return None
    # "在至少5个以上重点行业领域开展放心消费建设": the number of 重点行业领域 where 开展放心消费建设 holds
    candidates = tuple(f"{after[k:]}的{after[:k]}数" for k in range(1, len(after))) + (after + "数",)
    return [(f"{after}的{unit or ''}数", after, candidates)], "以上", obj


def _number(raw):
    """A number for the YAML file: 2 stays 2, 0.5 and 1.5 are written as decimals."""
    value = raw if isinstance(raw, Fraction) else to_fraction(raw)
    return int(value) if value.denominator == 1 else float(value)


def split_subjects(subject: str) -> list[tuple[str, tuple[str, ...]]]:
    """"X按时初查率、按时办结率" → [X按时初查率, X按时办结率]: later rates borrow the first one's prefix."""
    pieces = [p for p in re.split(r"(?<=[率度])[、和及与]", subject) if p]
    if len(pieces) < 2 or not all(is_rate(p) for p in pieces):
        return [(subject, ())]
    first, out = pieces[0], [(pieces[0], ())]
    for piece in pieces[1:]:
        if piece[:2] == first[:2] or len(piece) >= len(first):
            out.append((piece, ()))
            continue
        completions = tuple(first[:i] + piece for i in range(len(first) - len(piece), 0, -1))
        out.append((first[:len(first) - len(piece)] + piece, completions))
    return out


# ---------------------------------------------------------------- sentence parts (no "（N分）" markers)


def _read_sentences(text: str, name: str, points: Fraction, inclusive: bool) -> Reading:
    """Parts of statements followed by their scoring sentences ("…占比6%-10%得1分…"; "有1家得0.5分，最高分3分")."""
    groups: list[list[str]] = []
    scored = False
    for s in sentences(text):
        is_scoring = bool(_SCORING.search(s))
        if not groups or (scored and not is_scoring):
            groups.append([])
            scored = False
        groups[-1].append(s)
        scored = scored or is_scoring
    # statements after the last scoring sentence (definitions, formulas, notes) belong to the part before
    while len(groups) > 1 and not any(_SCORING.search(s) for s in groups[-1]):
        last = groups.pop()
        groups[-1] += last
    if not groups or not any(_SCORING.search(s) for g in groups for s in g):
        return Reading([unknown(text, points, "没有找到计分句")])
    single = len(groups) == 1
    parts = [read_part(g, name, points, inclusive, text) for g in groups]
    if any(p is None for p in parts):
        return Reading([unknown(text, points, "计分句的写法不在已知写法之中")])
    return Reading(parts, single=single)


def read_part(group: list[str], name: str, points: Fraction, inclusive: bool, whole: str) -> Part | None:
    """One part; its points are its own maximum (top band, cap, 共N分), else the indicator's."""
    text = "".join(group)
    scoring = "".join(s for s in group if _SCORING.search(s))
    statements = [s for s in group if not _SCORING.search(s)]
    for reader in (_yearly, _bands, _weighted, _count):
        part = reader(text, scoring, statements, name, points, inclusive, whole)
        if part is not None:
            if part.points is None:
                part.points = points
            return part
    return None


def _cap(scoring: str) -> Fraction | None:
    m = _CAP.search(scoring)
    return to_fraction(m[1]) if m else None


def _yearly(text, scoring, statements, name, points, inclusive, whole) -> Part | None:
    m = _PER_YEAR.search(scoring)
    if not m:
        return None
    comparison = None
    for piece in clauses(text):
        found = re.search(r"(超过|高于|大于|不低于|达到)(全国|其)", piece)
        if found:
            comparison = (piece[:found.start()], found[1], found[2], piece[found.end():])
            break
    if comparison is None:
        return None
    subject, word, whose, obj = comparison
    formulas = _formulas(whole)
    local = _yearly_value(leading_cut(subject), formulas)
    if whose == "全国":
        benchmark = {"item": Ref("全国" + obj, national=True, per_year=True, unit="%" if is_rate(obj) else "",
                                 peer=local)}
    else:
        benchmark = _yearly_value(obj, formulas)
    local["label"] = f"本地{leading_cut(subject)}"
    benchmark["label"] = ("全国" if whose == "全国" else "本地") + obj
    each = to_fraction(m[2])
    total = _TOTAL.search(scoring)
    part = Part(zh(text).rstrip("。"), to_fraction(total[1]) if total else points,
                {"type": "yearly_compare", "local": local, "benchmark": benchmark, "op": word,
                 "points_per_year": _number(m[2])}, SURE,
                f"逐年比较：{local['label']} {word} {benchmark['label']}，每个评估年度{word}得{fmt_number(each)}分")
    if "growth" in local:
        part.says += "；本地增速优先取填报的同比增速，未填报时按表中公式（当年/上一年度-1）由两年数值计算"
    return part


def _formulas(text: str) -> dict[str, tuple]:
    """"X同比增速=（当年Y/上一年度Y-1）*100%" → X同比增速: ("growth", Y); "X=A/B" → X: ("ratio", A, B)."""
    out = {}
    for m in _GROWTH_FORMULA.finditer(text):
        out[leading_cut(m[1].strip())] = ("growth", m[2].strip())
    for s in sentences(text):
        r = _RATIO_FORMULA.match(s.strip("。"))
        if r and r[1] and "当年" not in s:
            out[r[1].strip()] = ("ratio", r[2].strip(), r[3].strip())
    return out


def _yearly_value(phrase: str, formulas: dict) -> dict:
    """A per-year quantity: a growth rate (with its level), a share (ratio of two levels) or a plain item."""
    known = formulas.get(phrase)
    if known and known[0] == "growth":
        return {"growth": {"rate": Ref(phrase, per_year=True, unit="%"), "level": Ref(known[1], per_year=True)}}
    for suffix in ("同比增速", "增速", "同比增长率", "增长率"):
        if phrase.endswith(suffix) and len(phrase) > len(suffix):
            return {"growth": {"rate": Ref(phrase, per_year=True, unit="%"),
                               "level": Ref(phrase[:-len(suffix)], per_year=True)}}
    share = _SHARE.match(phrase)
    if share:
        return {"ratio": [Ref(share[1], per_year=True), Ref(share[2] or share[3], per_year=True)]}
    if known and known[0] == "ratio":
        return {"ratio": [Ref(known[1], per_year=True), Ref(known[2], per_year=True)]}
    return {"item": Ref(phrase, per_year=True, unit="%" if is_rate(phrase) else "")}


def _bands(text, scoring, statements, name, points, inclusive, whole) -> Part | None:
    bands = [(to_fraction(a), to_fraction(b), to_fraction(p), f"{a}%", f"{b}%", p) for a, b, p in _BAND.findall(scoring)]
    tops = [(to_fraction(a), None, to_fraction(p), f"{a}%", None, p) for a, p in _BAND_TOP.findall(scoring)]
    if not bands and not tops:
        return None
    value, label = None, ""
    for s in statements:
        s = s.strip("。")
        formula = _RATIO_FORMULA.match(s)
        share = _SHARE.match(s)
        if formula:
            value, label = {"ratio": [Ref(formula[2].strip()), Ref(formula[3].strip())]}, (formula[1] or "").strip()
            label = label or f"{formula[2]}/{formula[3]}"
            break
        if share:
            value, label = {"ratio": [Ref(share[1]), Ref(share[2] or share[3])]}, s
            break
        if is_rate(s) and len(s) <= 40:
            value, label = {"item": Ref(leading_cut(s), unit="%")}, leading_cut(s)
            break
    if value is None:
        return None
    value["label"] = zh(label)
    spec_bands = [{"from": a, "to": b, "points": _number(p)} if b else {"from": a, "points": _number(p)}
                  for _, _, _, a, b, p in sorted(bands + tops, key=lambda x: x[0])]
    top = max(x[2] for x in bands + tops)
    shown = "，".join(f"{b['from']}–{b['to']}得{b['points']}分" if "to" in b else f"{b['from']}及以上得{b['points']}分"
                     for b in spec_bands)
    part = Part(zh(text).rstrip("。"), top, {"type": "bands", "value": value, "bands": spec_bands}, SURE,
                f"按{zh(label)}分档：{shown}；区间两端均含本数，恰在相邻两档交界时取较高档")
    if not inclusive:
        part.sure = CONFIRM
        part.confirm.append("原文未说明区间端点是否含本数，按两端均含、交界处取较高档理解")
    return part


def _weighted(text, scoring, statements, name, points, inclusive, whole) -> Part | None:
    weights = []
    for piece in re.split(r"[,;。]", scoring):  # inside parentheses too: "（表彰表扬…1.5分/次；会议交流…0.5分/次。）"
        m = _WEIGHT.match(piece.strip("()。"))
        if m:
            weights.append((m[1].strip("()"), m[2], m[3]))
    if not weights:
        return None
    lead = "".join(statements)
    at = min((lead.find(kind) for kind, _, _ in weights if kind in lead), default=-1)
    prefix = lead[:at].split(",")[-1] if at > 0 else ""  # "形成网络市场监管与服务有关" before 法规、规章…
    refs = []
    for kind, each, unit in weights:
        count_word = {"件": "件数", "次": "次数"}.get(unit, "数量")
        candidates = tuple(prefix[k:] + kind + count_word for k in range(len(prefix))) + (kind + count_word, kind)
        refs.append({"item": Ref(kind + count_word, unit=unit, candidates=candidates), "each": _number(each)})
    cap = _cap(scoring)
    spec = {"type": "weighted_count", "weights": refs}
    shown = "，".join(f"{kind}{each}分/{unit}" for kind, each, unit in weights)
    part = Part(zh(text).rstrip("。"), cap, spec, SURE, f"按件（次）计分：{zh(shown)}")
    if cap is not None:
        spec["cap"] = _number(cap)
        part.says += f"，最高{fmt_number(cap)}分"
    else:
        part.sure = CONFIRM
        part.confirm.append("这一部分没有写最高分，只受本指标分值封顶")
    return part


def _count(text, scoring, statements, name, points, inclusive, whole) -> Part | None:
    tiers = [(int(n), to_fraction(p), p) for n, _, _, p in _TIER.findall(scoring)]
    if not tiers:
        return None
    unit = _TIER.search(scoring)[2]
    cap = _cap(scoring)
    limits = _REGION_LIMIT.findall(text)
    if limits:
        amounts = {}  # 万元, as the list rows are filled
        for regions, amount, money in limits:
            value = to_fraction(amount) * {"亿元": 10000, "万元": 1, "元": Fraction(1, 10000)}[money]
            for region in re.findall(r"东部|中部|西部|东北", regions):
                amounts[region] = value
        min_amount = {r: _number(v) for r, v in amounts.items()}
        phrases = [s.strip("。") for s in statements if "规模以上" in s] + [name]
        lists = [p[:-2] if p.endswith("数量") else p for p in phrases]
        thresholds = "、".join(f"{r}{fmt_number(v)}万元" for r, v in amounts.items())
        ref = Ref(lists[0], kind="list", unit="万元", candidates=tuple(lists[1:]),
                  note=f"每行填名称和年度金额（万元）；达到所属地区门槛的计入：{thresholds}")
        count = {"list": ref, "min_amount": min_amount}
        what = f"名单中达到本地区门槛（{thresholds}，“以上”含本数）的{lists[0]}"
    else:
        lead = [s.strip("。").split(",")[-1] for s in statements] or [name]
        ref = Ref(lead[0] + "数量", unit=unit, candidates=(lead[0], name))
        count = {"item": ref}
        what = f"{zh(lead[0])}的{unit}数"
    spec = {"type": "count", "count": count}
    if cap is not None and len(tiers) == 1 and tiers[0][0] == 1:
        spec.update(each=_number(tiers[0][2]), cap=_number(cap))
        says, top = f"计数：{what}，每{unit}{tiers[0][2]}分，最高{fmt_number(cap)}分", cap
    else:
        spec["tiers"] = [{"min": n, "points": _number(p)} for n, _, p in tiers]
        says = "计数：" + what + "，" + "，".join(f"有{n}{unit}{'及以上' if i else ''}得{p}分"
                                               for i, (n, _, p) in enumerate(tiers))
        top = max(p for _, p, _ in tiers)
    return Part(zh(text).rstrip("。"), top, spec, SURE, says)
