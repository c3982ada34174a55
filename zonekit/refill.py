"""A unit's workbook refilled: its own answers written back into a freshly generated workbook (the same identity,
a new version) with each problem marked on its cell, for 退回/催报 mail, unit reports and the next round.

Takes the answers it is handed (a unit's adopted return from collect) and returns bytes; never reads or touches
returned files, writes nothing itself. Whatever a unit leaves unchanged in a refilled workbook reads back as
exactly the answers it was made from.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

from xlsxwriter.utility import xl_rowcol_to_cell

from zonekit import layout, values
from zonekit.intake import KIND_CLAIM, KIND_JUDGED, KIND_LIST, Answer, ReturnRecord, parse_time, read_return
from zonekit.issues import Issue
from zonekit.project import Project
from zonekit.unitbook import Mark, UnitBookInfo, build_unit_workbook, data_rows, indicator_rows, unit_file_name

TABLES = (layout.SHEET_INDICATORS, layout.SHEET_DATA)


@dataclass
class Refilled:
    """One refilled workbook: its bytes and file name, the problems found in it (at its own cells) and the
    problems of the unit's return that no cell of it shows (file-level ones: an old template, a wrong identity)."""

    unit: str
    name: str
    data: bytes
    issues: list[Issue] = field(default_factory=list)
    notes: list[Issue] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    info: UnitBookInfo | None = None  # what the workbook holds (indicators, roles, identity)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def problems(self) -> list[Issue]:
        """What the unit must fix, at the cells of this workbook: its errors (every issue when none blocks)."""
        found = self.notes + self.issues
        return [i for i in found if i.blocking] or found


def prefill_of(answers: Iterable[Answer], texts: dict[str, dict[str, str]] | None = None) -> dict:
    """(row key, column header) → value for a refilled workbook, from a unit's answers (zonekit.intake.Answer)
    and the free texts of its 指标填报 rows. A value zonekit used goes back as that value; one it refused (or
    read as blank, like 无) goes back as typed, so the unit sees what it wrote beside the message about it."""
    cells: dict[tuple[str, str], object] = {}
    for a in answers:
        kept = a.value if a.value is not None else (None if values.is_blank(a.typed) else a.typed)
        if a.kind == KIND_CLAIM:
            cells[(a.key, layout.IND_CLAIM.header)] = kept
        elif a.kind == KIND_JUDGED:
            cells[(a.key, layout.IND_SELF.header)] = kept
        else:
            cells[(a.key, layout.DATA_VALUE.header)] = kept
            if a.note:
                cells[(a.key, layout.DATA_SOURCE.header)] = a.note
            if a.kind == KIND_LIST and a.name:
                cells[(a.key, layout.DATA_NAME.header)] = a.name
    for key, columns in (texts or {}).items():
        for header, text in columns.items():
            cells[(key, header)] = text
    return {k: v for k, v in cells.items() if v is not None and v != ""}


def cell_keys(project: Project, unit: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(sheet, A1 cell) → (row key, column header) of every cell of a freshly generated workbook of ``unit``."""
    out = {}
    for sheet, rows, columns in ((layout.SHEET_INDICATORS, indicator_rows(project, unit), layout.INDICATOR_COLUMNS),
                                 (layout.SHEET_DATA, data_rows(project, unit), layout.DATA_COLUMNS)):
        for n, row in enumerate(rows):
            for c, column in enumerate(columns):
                out[(sheet, xl_rowcol_to_cell(layout.HEADER_ROW + n, c))] = (row.key, column.header)
    return out


def _comment(found: Issue) -> str:
    """The message without the 'sheet!cell' it starts with: the comment sits on that cell."""
    return re.sub(rf"^{re.escape(found.sheet)}!{re.escape(found.cell)}\s*[：:]?\s*", "", found.message)


def refill(project: Project, unit: str, prefill: dict, *, seq: int | None = None, when: datetime | None = None,
           earlier: Iterable[Issue] = (), pictures: int = 0, say: Iterable[str] = ()) -> Refilled:
    """The refilled workbook of ``unit``: built with ``prefill``, read back as collect would read it, and built
    again with every problem found marked on its cell. ``earlier`` are the issues of the return the answers come
    from: its blocking ones that no cell of the new workbook can show are listed in its 填报说明 (and in
    ``notes``); ``say`` are further lines for its 续填说明. ``when`` (default now) is the new version's generation
    time, part of its bytes."""
    when = (when or datetime.now().astimezone()).replace(microsecond=0)
    name = unit_file_name(seq or _seq(project, unit), unit, max(2, len(str(len(project.units)))),
                          layout.REFILLED_BOOK_FILE)
    first, info = build_unit_workbook(project, unit, when, prefill=prefill)
    record = read_return(first, name, project, file=name)
    where = cell_keys(project, unit)
    marks, issues = [], []
    for found in record.issues:
        if found.sheet in TABLES and (found.sheet, found.cell) in where:
            key, column = where[(found.sheet, found.cell)]
            marks.append(Mark(key, column, _comment(found), found.blocking))
            issues.append(found)
    shown = {i.code for i in issues}
    notes = [i for i in earlier if i.blocking and i.sheet not in TABLES and i.code not in shown]
    lines = [i.message for i in notes]
    if pictures:
        lines.append(f"本单位原表中的{pictures}张图片已由创建办保存为佐证材料，无需再次粘贴。")
    lines += [line for line in say if line]
    if not marks and not lines:  # nothing to mark: the first build is the workbook
        return Refilled(unit, name, first, issues, notes, marks, info)
    data, info = build_unit_workbook(project, unit, when, prefill=prefill, problems=marks, notes=lines)
    return Refilled(unit, name, data, issues, notes, marks, info)


def _seq(project: Project, unit: str) -> int:
    names = [u.name for u in project.units]
    return names.index(unit) + 1 if unit in names else len(names) + 1


def refill_return(project: Project, record: ReturnRecord, when: datetime | None = None) -> Refilled:
    """The refilled workbook of the unit whose return ``record`` is (its adopted one, answers unpacked): made
    one second after the return was saved, so the same return always gives the same bytes (mail that was sent
    is recognised in the send log) and the new version orders after it."""
    if when is None:
        saved = parse_time(record.order_time)
        when = (saved + timedelta(seconds=1)).astimezone() if saved else None
    return refill(project, record.unit, prefill_of(record.answers, record.texts), when=when, earlier=record.issues,
                  pictures=len(record.pictures))


def adopted_returns(collected) -> dict[str, ReturnRecord]:
    """unit → its versions merged into one return (zonekit.collect.merged_returns of a CollectResult)."""
    from zonekit.collect import merged_returns

    return merged_returns(collected)


def refill_units(project: Project, units: Iterable[str]) -> dict[str, Refilled]:
    """The refilled workbooks of ``units`` that sent a readable return in the current round: each unit's answers
    merged item by item across its versions, from the project's ledger (no returned file is opened)."""
    from zonekit.collect import from_ledger

    wanted = set(units)
    records = adopted_returns(from_ledger(project))
    return {unit: refill_return(project, record) for unit, record in records.items() if unit in wanted}


def refill_all(project: Project, records: dict[str, ReturnRecord]) -> list[Refilled]:
    """The refilled workbook of each unit in ``records`` (unit → its adopted return), in 单位名单 order."""
    return [refill_return(project, records[u.name]) for u in project.units if u.name in records]


__all__ = ["Refilled", "adopted_returns", "cell_keys", "prefill_of", "refill", "refill_return", "refill_units",
           "refill_all"]
