"""A unit's versions in order and merged item by item: for every input the newest version that carries a value
wins; an input a newer version leaves empty keeps its earlier value (with a warning naming both versions).

Pure functions over the versions' records (zonekit.intake.ReturnRecord, unpacked); never reads a file or the ledger.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from zonekit import layout
from zonekit.intake import KIND_LIST, KIND_TEXT, SAVED_ODS, SAVED_XLS, SAVED_XLSX, Answer, ReturnRecord, parse_time
from zonekit.issues import WARNING, Issue, define, issue

R_KEPT = define("R408", WARNING, "较新的「{newer}」中有{count}项为空（{items}），沿用较早的「{older}」中的填写。"
                                 "如这些项确应为空，请与该单位核实。")

RULE_SAVED = "文件内保存时间"
RULE_FILE = "文件时间"
RULE_RECEIVED = "收到顺序"
SAVED_NAMES = {SAVED_XLSX: "docProps/core.xml", SAVED_XLS: "SummaryInformation", SAVED_ODS: "meta.xml"}
SHOWN_ITEMS = 5  # labels named in an R408 warning; the rest are counted


# ---------------------------------------------------------------- order


def order_key(rec: ReturnRecord) -> tuple:
    """Oldest first: the time saved inside the file (the file's own time when it has none or it is not believable,
    see intake.check_saved_time), then the receipt (the e-mail's Date, else when zonekit first found it), then the
    file time and path, so the order is total."""
    return (_instant(rec.order_time), _instant(rec.mailed_at or rec.seen_at), _instant(rec.file_time), rec.file)


def _instant(text: str) -> str:
    moment = parse_time(text)
    return moment.astimezone().isoformat() if moment else ""


def _trusted(rec: ReturnRecord) -> bool:
    """Ordered by the time saved inside it (it has one, and it is believable)."""
    return bool(rec.saved_at) and not rec.ordered_at


def decided_by(newer: ReturnRecord, older: ReturnRecord) -> str:
    """Which rule put ``newer`` after ``older``: the saved times inside both files, the file time (one of them
    has no believable saved time), or the receipt (saved at the same second)."""
    if _instant(newer.order_time) != _instant(older.order_time):
        return RULE_SAVED if _trusted(newer) and _trusted(older) else RULE_FILE
    return RULE_RECEIVED


@functools.lru_cache(maxsize=4096)  # copies of one return share their times: 回收登记 shows them row after row
def shown_time(text: str) -> str:
    """'2024-06-30 17:05:09' in local time, to the second."""
    moment = parse_time(text)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def why(newer: ReturnRecord, older: ReturnRecord) -> str:
    """The reason in words, with the times that decided, to the second."""
    rule = decided_by(newer, older)
    if rule == RULE_SAVED:
        return (f"按文件内保存时间：较新者 {shown_time(newer.saved_at)}（{SAVED_NAMES.get(newer.saved_from, '')}），"
                f"本文件 {shown_time(older.saved_at)}（{SAVED_NAMES.get(older.saved_from, '')}）")
    if rule == RULE_FILE:
        lacking = "本文件" if not _trusted(older) else "较新者"
        return (f"按文件时间（{lacking}内没有可信的保存时间）：较新者 {shown_time(newer.order_time)}，"
                f"本文件 {shown_time(older.order_time)}")
    return (f"保存时间相同（{shown_time(newer.order_time)}），按收到顺序：较新者 "
            f"{shown_time(newer.mailed_at or newer.seen_at)} 收到，本文件 {shown_time(older.mailed_at or older.seen_at)}")


# ---------------------------------------------------------------- merge


@dataclass(slots=True)
class Taken:
    """One input of the merged view and the version it comes from."""

    answer: Answer
    version: ReturnRecord

    @property
    def carries(self) -> bool:
        return carries(self.answer)


@dataclass
class UnitMerge:
    """A unit's versions (oldest first) merged item by item.

    answers: the winning data / list / claim / judged inputs (blank ones too, where no version filled it in);
    texts:   the winning text inputs of 指标填报 (工作进展, 佐证材料说明 …);
    issues:  what still applies: each version's issues on the inputs it won, the newest version's other issues,
             and one R408 per older version some inputs were kept from;
    missing: required inputs no version filled in, as 未填项 labels;
    used:    version index → how many filled-in inputs come from it."""

    unit: str
    versions: list[ReturnRecord]
    answers: list[Taken] = field(default_factory=list)
    texts: list[Taken] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    used: dict[int, int] = field(default_factory=dict)
    own: dict[int, list[Issue]] = field(default_factory=dict)  # version index → its issues that still apply

    @property
    def newest(self) -> ReturnRecord:
        return self.versions[-1]

    def number(self, version: ReturnRecord) -> int:
        """1 for the oldest version."""
        return next(n for n, v in enumerate(self.versions, start=1) if v is version)

    def label(self, version: ReturnRecord) -> str:
        """'第2版' when the unit sent more than one version, else ''."""
        return f"第{self.number(version)}版" if len(self.versions) > 1 else ""

    def where(self, version: ReturnRecord) -> str:
        """The version as 填报明细 names it: its file, and which version it is when there are several."""
        label = self.label(version)
        return f"{version.file}（{label}）" if label else version.file


def carries(answer: Answer) -> bool:
    """Whether an input says something: a value, or a typed text that could not be used (its error stands)."""
    if answer.kind == KIND_TEXT:
        return bool(answer.value)
    return answer.value is not None or answer.blocked


def _item(answer: Answer) -> tuple:
    if answer.kind == KIND_LIST:
        return (KIND_LIST, answer.item)  # a list is one input: the newest version that lists anything wins whole
    if answer.kind == KIND_TEXT:
        return (KIND_TEXT, answer.key, answer.item)
    return (answer.kind, answer.key)


def merge_versions(unit: str, versions: list[ReturnRecord]) -> UnitMerge:
    """Merge a unit's readable versions (answers unpacked), oldest first as ``order_key`` sorts them."""
    merged = UnitMerge(unit, list(versions))
    if not versions:
        return merged
    newest = len(versions) - 1
    winners: dict[tuple, tuple[int, list[Answer]]] = {}  # item → (version index, its answers for the item)
    order: dict[tuple, tuple] = {}  # item → position (sheet, row, column) in the version it was first met in
    for n in range(newest, -1, -1):
        grouped: dict[tuple, list[Answer]] = {}
        for a in (*versions[n].answers, *versions[n].text_answers):
            grouped.setdefault(_item(a), []).append(a)
        for item, given in grouped.items():
            order.setdefault(item, _position(given[0]))
            current = winners.get(item)
            if current is None or (not any(carries(a) for a in current[1]) and any(carries(a) for a in given)):
                winners[item] = (n, given)
    cells = [{(a.sheet, a.cell): _item(a) for a in (*v.answers, *v.text_answers) if a.cell} for v in versions]
    kept: dict[int, list[Answer]] = {}
    for item in sorted(winners, key=lambda i: order[i]):
        n, given = winners[item]
        filled = [a for a in given if carries(a)]
        for a in given:
            (merged.texts if a.kind == KIND_TEXT else merged.answers).append(Taken(a, versions[n]))
            if a.required and not carries(a):
                merged.missing.append(a.required)
        if filled:
            merged.used[n] = merged.used.get(n, 0) + len(filled)
            if n != newest:
                kept.setdefault(n, []).extend(filled)
    for n, version in enumerate(versions):
        mine = []
        for found in version.issues:
            item = cells[n].get((found.sheet, found.cell))
            won = winners.get(item, (None,))[0] == n if item is not None else n == newest
            if won:
                mine.append(found)
        merged.own[n] = mine
        merged.issues += mine
    for n, answers in sorted(kept.items()):
        labels = list(dict.fromkeys(a.label for a in answers))
        items = "、".join(labels[:SHOWN_ITEMS]) + (f"等{len(labels)}项" if len(labels) > SHOWN_ITEMS else "")
        found = issue(R_KEPT, file=versions[newest].file, unit=unit, newer=versions[newest].file,
                      older=versions[n].file, count=len(labels), items=items)
        merged.own[newest].append(found)
        merged.issues.append(found)
    return merged


def _position(answer: Answer) -> tuple:
    letters = answer.cell.rstrip("0123456789")
    digits = answer.cell[len(letters):]
    return (answer.sheet != layout.SHEET_INDICATORS, int(digits) if digits else 0, len(letters), letters,
            answer.kind, answer.key)
