"""Unit names as clerks and OCR write them: split a cell into units, join names broken by OCR spaces, expand
aliases and groups through the unit list, and say what was done.

Never guesses: an unknown name is reported with the closest known names, never replaced by one of them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from zonekit.layout import normalize_header, normalize_text
from zonekit.project import Unit

# after normalize_text (NFKC) the full-width ，； have become , ;
SEPARATORS = re.compile(r"[、,;\r\n]+")
LIST_SEPARATORS = re.compile(r"[、,;\s]+")  # aliases, groups, emails: spaces separate too
NONE_MARKS = {"-", "--", "—", "——", "－", "―", "/", "无"}
CONNECTORS = re.compile(r"以及|及|和|与|等")
FILLERS = ("按职责分工负责", "按职责分工", "按职责负责")

JOIN, SPACE, CONNECT, ALIAS, GROUP, NONE, DUPLICATE, FILLER = (
    "合并", "空格", "连接词", "别名", "群组", "无", "重复", "多余文字")


def key(text) -> str:
    """How names are compared: full-width folded, every space and line break removed."""
    return normalize_header(text)


def split_list(text) -> list[str]:
    """'A、B C' -> ['A', 'B', 'C'] for alias, group and email cells."""
    return [p for p in LIST_SEPARATORS.split(normalize_text(text)) if p]


def is_none(text) -> bool:
    """'-', '——', '无' and friends mean: no unit."""
    return key(text) in NONE_MARKS


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


def resolve(text, index: UnitIndex) -> Resolution:
    """The units a cell names, with a note for everything beyond a plain list of known names."""
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
            found.extend(_piece(piece, index, res))
    for k in found:
        _expand(k, index, res)
    seen, repeated = [], []
    for name in res.names:
        (repeated if name in seen else seen).append(name)
    if repeated:
        res.notes.append(Note(DUPLICATE, f"重复列出的{'、'.join(dict.fromkeys(repeated))}只计一次"))
    res.names = seen
    return res


def _piece(piece: str, index: UnitIndex, res: Resolution) -> list[str]:
    """Keys of the known names in one separator-free piece; OCR spaces are joined where that makes a known name."""
    tokens, out, pending, i = piece.split(), [], [], 0
    while i < len(tokens):
        hit = _longest(tokens, i, index, res)
        if hit is None:
            pending.append(tokens[i])
            i += 1
            continue
        j, keys = hit
        _unknown(pending, index, res)
        pending = []
        out.extend(keys)
        i = j
    _unknown(pending, index, res)
    if len(tokens) > 1 and len(out) > 1:
        res.notes.append(Note(SPACE, f"「{piece}」按空格分开"))
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


def _unknown(tokens: list[str], index: UnitIndex, res: Resolution) -> None:
    if tokens:
        text = " ".join(tokens)
        res.unknown.append((text, index.closest(text)))


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
