"""Unit names as clerks, OCR and Word write them: split a cell into units, join names broken by spaces or line
breaks, expand aliases and groups through the unit list, and say what was done.

Never guesses: an unknown name is reported with the closest known names, never replaced by one of them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from zonekit.layout import normalize_header, normalize_text
from zonekit.project import Unit

# after normalize_text (NFKC) the full-width ，； have become , ; — a line break is not a separator: Word and OCR
# break long names across lines ("县税务\n局"), so breaks and spaces are decided name by name (see _piece)
SEPARATORS = re.compile(r"[、,;]+")
LIST_SEPARATORS = re.compile(r"[、,;\s]+")  # aliases, groups, emails: spaces separate too
NONE_MARKS = {"-", "--", "—", "——", "－", "―", "/", "无"}
CONNECTORS = re.compile(r"以及|及|和|与|等")
FILLERS = ("按职责分工负责", "按职责分工", "按职责负责")

JOIN, SPACE, CONNECT, ALIAS, GROUP, NONE, DUPLICATE, FILLER = (
    "合并", "空格", "连接词", "别名", "群组", "无", "重复", "多余文字")

# How the names of Chinese government units end; a fragment ending otherwise ("县税务", "县工信", "县") is the first
# part of a name broken across lines when it is not a known name itself.
UNIT_ENDINGS = ("局", "委", "办", "部", "院", "中心", "公司", "行", "政府", "单位", "所", "馆", "会", "队", "站", "社",
                "厅", "处", "室", "署", "团", "校", "庭", "组", "社区", "街道", "镇", "乡", "区")
# A name that stands for several units ("各成员单位", "区消费者权益保护委员会成员单位", "各镇人民政府").
GROUP_LIKE = re.compile(r"^各|成员单位$")


def key(text) -> str:
    """How names are compared: full-width folded, every space and line break removed."""
    return normalize_header(text)


def split_list(text) -> list[str]:
    """'A、B C' -> ['A', 'B', 'C'] for alias, group and email cells."""
    return [p for p in LIST_SEPARATORS.split(normalize_text(text)) if p]


def is_none(text) -> bool:
    """'-', '——', '无' and friends mean: no unit."""
    return key(text) in NONE_MARKS


def looks_complete(name: str) -> bool:
    """Whether a name ends the way unit names end (局, 委, 中心 …)."""
    return key(name).endswith(UNIT_ENDINGS)


def looks_like_group(name: str) -> bool:
    """'各成员单位', '…委员会成员单位', '各镇人民政府': a name for several units, to be defined in 单位名单."""
    return bool(GROUP_LIKE.search(key(name)))


@dataclass
class Note:
    kind: str
    text: str


@dataclass
class UnitIndex:
    """Every name a unit may be written as (its name and aliases) and every group with its members."""

    names: dict[str, str] = field(default_factory=dict)  # key -> unit name
    groups: dict[str, list[str]] = field(default_factory=dict)  # key -> member unit names
    labels: dict[str, str] = field(default_factory=dict)  # key -> the name as written in 单位名单

    def known(self, text: str) -> bool:
        return key(text) in self.names or key(text) in self.groups

    def closest(self, text: str, n: int = 3) -> list[str]:
        found = difflib.get_close_matches(key(text), list(self.labels), n=n, cutoff=0.6)
        return list(dict.fromkeys(self.names.get(k) or self.labels[k] for k in found))


def build_index(units: list[Unit]) -> tuple[UnitIndex, list[tuple[str, str, str]]]:
    """The index and its clashes as (name, one meaning, other meaning): a name must mean one thing only."""
    index, clashes, meaning = UnitIndex(), [], {}

    def claim(name: str, what: str) -> bool:
        k = key(name)
        if k in meaning and meaning[k] != what:
            clashes.append((name, meaning[k], what))
            return False
        meaning[k] = what
        index.labels[k] = name
        return True

    for unit in units:
        if claim(unit.name, f"单位「{unit.name}」"):
            index.names[key(unit.name)] = unit.name
    for unit in units:
        for alias in unit.aliases:
            if key(alias) != key(unit.name) and claim(alias, f"单位「{unit.name}」的别名"):
                index.names[key(alias)] = unit.name
    for unit in units:
        for group in unit.groups:
            if key(group) not in index.groups and not claim(group, f"群组「{group}」"):
                continue
            members = index.groups.setdefault(key(group), [])
            if unit.name not in members:
                members.append(unit.name)
    return index, clashes


@dataclass
class Resolution:
    names: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    unknown: list[tuple[str, list[str]]] = field(default_factory=list)  # (as written, closest known names)
    groups: list[str] = field(default_factory=list)  # groups expanded, as written in 单位名单

    def describe(self) -> str:
        return "；".join(n.text for n in self.notes)


def resolve(text, index: UnitIndex, written: frozenset[str] | set[str] = frozenset()) -> Resolution:
    """The units a cell names, with a note for everything beyond a plain list of known names.

    ``written``: keys of names written whole elsewhere in the same table (see ``names_written``); an unknown name
    broken across lines is joined when the joined text is one of them, so it is reported (or added) once."""
    res = Resolution()
    raw = normalize_text(text)
    if not raw:
        return res
    if is_none(raw):
        res.notes.append(Note(NONE, f"「{raw}」表示无"))
        return res
    found: list[str] = []
    for piece in SEPARATORS.split(raw):
        piece = piece.strip()
        for filler in FILLERS:
            if piece.endswith(filler) and len(piece) > len(filler):
                piece = piece[: -len(filler)].strip()
                res.notes.append(Note(FILLER, f"去掉「{filler}」"))
        if piece and not is_none(piece):
            found.extend(_piece(piece, index, res, written))
    for k in found:
        _expand(k, index, res)
    seen, repeated = [], []
    for name in res.names:
        (repeated if name in seen else seen).append(name)
    if repeated:
        res.notes.append(Note(DUPLICATE, f"重复列出的{'、'.join(dict.fromkeys(repeated))}只计一次"))
    res.names = seen
    return res


def _piece(piece: str, index: UnitIndex, res: Resolution, written=frozenset()) -> list[str]:
    """Keys of the known names in one separator-free piece; fragments split by spaces or line breaks are joined
    where that makes a known name (or, for unknown names, a name written whole elsewhere, or a name that does not
    end like a unit name yet)."""
    tokens, out, i = piece.split(), [], 0
    while i < len(tokens):
        hit = _longest(tokens, i, index, res)
        if hit is None:
            i = _unknown(tokens, i, index, res, written)
            continue
        j, keys = hit
        out.extend(keys)
        i = j
    if len(out) > 1 and re.search(r"[ \t]", piece.strip()):
        res.notes.append(Note(SPACE, f"「{piece.strip()}」按空格分开"))
    return out


def _longest(tokens: list[str], i: int, index: UnitIndex, res: Resolution) -> tuple[int, list[str]] | None:
    """The longest run of tokens from i that is one known name, or known names joined by 及/和/与/等."""
    for j in range(len(tokens), i, -1):
        k = "".join(tokens[i:j])
        if index.known(k):
            if j - i > 1:
                res.notes.append(Note(JOIN, f"「{' '.join(tokens[i:j])}」合并为「{index.labels[key(k)]}」"))
            return j, [key(k)]
    for j in range(len(tokens), i, -1):
        k = "".join(tokens[i:j])
        parts = [p for p in CONNECTORS.split(k) if p]
        if len(parts) > 1 and all(index.known(p) for p in parts):
            res.notes.append(Note(CONNECT, f"「{k}」拆分为{'、'.join(index.labels[key(p)] for p in parts)}"))
            return j, [key(p) for p in parts]
    return None


def _unknown(tokens: list[str], i: int, index: UnitIndex, res: Resolution, written) -> int:
    """Record the unknown name starting at token i (joined with the fragments it was broken into); returns the
    index of the next token."""
    j = next((j for j in range(len(tokens), i + 1, -1) if key("".join(tokens[i:j])) in written), None)
    if j is None:
        j = i + 1  # "县税务" + "局": a fragment that does not end like a unit name is not a name of its own
        while (j < len(tokens) and not looks_complete("".join(tokens[i:j])) and not looks_like_group(tokens[j])
               and _longest(tokens, j, index, Resolution()) is None):
            j += 1
    text = "".join(tokens[i:j])
    if j - i > 1:
        res.notes.append(Note(JOIN, f"「{' '.join(tokens[i:j])}」合并为「{text}」"))
    res.unknown.append((text, index.closest(text)))
    return j


def names_written(cells) -> set[str]:
    """Keys of the names written whole (between separators, spaces or line breaks) in these cells."""
    return {key(token) for text in cells for piece in SEPARATORS.split(normalize_text(text))
            for token in piece.split() if not is_none(token)}


def _expand(k: str, index: UnitIndex, res: Resolution) -> None:
    if k in index.names:
        name = index.names[k]
        if key(name) != k:
            res.notes.append(Note(ALIAS, f"「{index.labels[k]}」是「{name}」的别名"))
        res.names.append(name)
        return
    members = index.groups[k]
    res.groups.append(index.labels[k])
    res.notes.append(Note(GROUP, f"群组「{index.labels[k]}」展开为{len(members)}个单位"))
    res.names.extend(members)
