"""One unit's workbook: the indicators it answers for, the inputs it owes, live checks and an embedded identity;
optionally refilled with the unit's answers and with its problem cells marked, as a new version to send back.

Builds the workbook in memory from the Project (and the answers handed in); never reads returned files and never
writes anywhere but the one path it is given (atomically).
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from zonekit import layout
from zonekit.exact import fmt_number, from_float
from zonekit.files import write_atomic
from zonekit.pages import setup_print
from zonekit.project import Project
from zonekit.rules import Conditions
from zonekit.scheme import DataItem, Item, Scheme

WRITER_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                  "strings_to_urls": False}

# Units of measure counted in whole things; every other non-% unit (万元, 万件, 学时 …) takes decimals.
COUNT_UNITS = frozenset("户 人 个 件 次 项 家 条 所 名 起".split())
# A rate whose label says 增速 may be negative or above 100%; every other % item is a share or a completion
# rate and must lie in 0%–100%. Growth rates are also optional: scoring falls back to the two years' totals.
GROWTH_WORD = "增速"

_MAX_ROW_HEIGHT = 409


# ---------------------------------------------------------------- rows, as plain data


@dataclass
class IndicatorRow:
    """One row of 指标填报: an indicator (key '11') or, for a lead unit, a claim/judged sub-item ('11.3')."""

    key: str
    number: str
    name: str
    points: Fraction
    role: str
    criteria: str
    claim: str | None = None  # the statement to answer 是/否, when a claim is asked on this row
    judged: Fraction | None = None  # the most a self-score may be, when one is asked on this row
    progress_required: bool = False

    @property
    def is_item(self) -> bool:
        return self.key != self.number


@dataclass
class DataRow:
    """One row of 数据填报: a data item for one year ('online_retail@2023') or one entry of a list ('x#3')."""

    key: str
    numbers: list[str]
    item: DataItem
    year: int | None = None
    entry: int | None = None  # 1-based entry number of a list row

    @property
    def measure(self) -> str:
        """percent (0–100%), growth (≥ -100%, optional), count (whole ≥ 0) or amount (decimal ≥ 0)."""
        if self.item.is_rate:
            return "growth" if GROWTH_WORD in self.item.label else "percent"
        if self.entry is None and self.item.unit in COUNT_UNITS:
            return "count"
        return "amount"

    @property
    def optional(self) -> bool:
        return self.entry is not None or self.measure == "growth"


@dataclass
class UnitBookInfo:
    unit: str
    path: Path | None
    indicators: list[str]  # every indicator number of the unit, in scheme order
    leads: list[str]
    responsibles: list[str]
    indicator_rows: int
    data_rows: int
    identity: dict[str, str] = field(default_factory=dict)
    sha256: str = ""  # of the bytes written, set by write_unit_workbook

    @property
    def role_text(self) -> str:
        return f"{layout.ROLE_LEAD} {len(self.leads)} 项/{layout.ROLE_RESPONSIBLE} {len(self.responsibles)} 项"


@dataclass(frozen=True)
class Mark:
    """A problem shown on one input cell of a refilled workbook: the cell gets the problem colour and a comment."""

    key: str  # row key: "11.3", "online_retail@2024", "new_large_traders#2"
    column: str  # the input column's header (layout.IND_CLAIM.header, layout.DATA_VALUE.header …)
    message: str
    blocking: bool = True  # an error to fix (else a warning to check)


# What a refilled workbook holds: (row key, input column header) → the value to write back. A Fraction is written
# as a number (a rate as the fraction its percent cell shows), True/False as 是/否, text as text; anything else
# (a refused entry as it was typed) as given.
Prefill = Mapping[tuple[str, str], object]


def _claim_statement(item: Item) -> str:
    if isinstance(item.rule, Conditions):
        return "；".join(p for p in item.rule.parts if isinstance(p, str))
    return item.text


def _claim_criteria(item: Item) -> str:
    if isinstance(item.rule, Conditions):  # the claim is one condition; the others are computed from data
        return (f"是否达到：{_claim_statement(item)}。其余条件按“{layout.SHEET_DATA}”中的数据计算，"
                f"全部满足得{fmt_number(item.points)}分")
    return f"达到得{fmt_number(item.points)}分"


def indicator_rows(project: Project, unit_name: str, roles=None) -> list[IndicatorRow]:
    """The rows of 指标填报 for one unit, in scheme order (``roles``: project.roles_of(unit_name) if known)."""
    rows = []
    for ind, role in project.roles_of(unit_name) if roles is None else roles:
        lead = role == layout.ROLE_LEAD
        criteria = ind.criteria + (f"\n说明：{ind.reading}" if ind.reading else "")
        # 工作进展 is owed by the lead unit; a responsible unit may add its part (减轻基层负担, 2026 rules)
        row = IndicatorRow(ind.number, ind.number, ind.name, ind.points, role, criteria, progress_required=lead)
        rows.append(row)
        if not lead:
            continue
        claims, judged = ind.claim_items(), ind.judged_items()
        claim_keys, judged_keys = {i.key for i in claims}, {i.key for i in judged}
        if ind.single:  # the indicator is its own item: its inputs sit on the indicator row
            if claims:
                row.claim = _claim_statement(claims[0])
            if judged:
                row.judged = judged[0].points
            continue
        for item in ind.items:
            if item.key in claim_keys:
                rows.append(IndicatorRow(item.key, ind.number, item.text, item.points, role,
                                         _claim_criteria(item), claim=_claim_statement(item)))
            elif item.key in judged_keys:
                rows.append(IndicatorRow(item.key, ind.number, item.text, item.points, role,
                                         f"按完成情况评分，0–{fmt_number(item.points)}分", judged=item.points))
    return rows


def data_rows(project: Project, unit_name: str, roles=None) -> list[DataRow]:
    """The rows of 数据填报: every regional data item the unit's lead indicators read, once per item and year."""
    users: dict[tuple[str, int | None], list[str]] = {}
    kinds: dict[str, str] = {}
    for ind, role in project.roles_of(unit_name) if roles is None else roles:
        if role != layout.ROLE_LEAD:
            continue
        for need in ind.needs(project.years):
            item = project.scheme.data_items.get(need.key)
            if need.kind not in ("data", "list") or item is None or item.source != "region":
                continue
            kinds.setdefault(need.key, need.kind)
            numbers = users.setdefault((need.key, need.year), [])
            if ind.number not in numbers:
                numbers.append(ind.number)
    order = {key: n for n, key in enumerate(kinds)}  # items in order of first use, years ascending within an item
    rows = []
    for (key, year), numbers in sorted(users.items(), key=lambda kv: (order[kv[0][0]], kv[0][1] or 0)):
        item = project.scheme.data_items[key]
        if kinds[key] == "list":
            rows += [DataRow(layout.list_key(key, n), numbers, item, entry=n) for n in range(1, layout.LIST_ROWS + 1)]
        else:
            rows.append(DataRow(layout.data_key(key, year), numbers, item, year))
    return rows


# ---------------------------------------------------------------- identity and file name


def identity_of(project: Project, unit_name: str, generated_at: str) -> dict[str, str]:
    """The identity written both as custom document properties and in the hidden sheet (same keys)."""
    values = (project.project_id, unit_name, project.scheme.name, project.scheme.version, layout.TEMPLATE_VERSION,
              generated_at, project.round)
    return {key: str(value or "") for key, value in zip(layout.IDENTITY_KEYS, values)}


_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def unit_file_name(seq: int, unit_name: str, width: int = 2, pattern: str = layout.UNIT_BOOK_FILE) -> str:
    """'03-县市场监管局-填报表.xlsx' (or another ``pattern`` with {seq} and {unit}), safe as a Windows file name."""
    name = _FORBIDDEN.sub("_", unit_name).strip().strip(".") or "单位"
    return pattern.format(seq=str(seq).zfill(width), unit=name[:80])


# ---------------------------------------------------------------- formulas of the 填报检查 column


def _blank(cell: str) -> str:
    return f"LEN(TRIM({cell}))=0"


def _check(problems: list[tuple[str, str]], optional_when: str | None = None) -> str:
    """A plain formula listing every message whose condition holds, joined by '；', else ✓.

    Messages contain no spaces: TRIM then SUBSTITUTE turns the separating spaces into '；'.
    """
    if not problems:
        body = f'"{layout.CHECK_OK}"'
    elif len(problems) == 1:
        cond, msg = problems[0]
        body = f'IF({cond},"{msg}","{layout.CHECK_OK}")'
    else:
        conds = ",".join(c for c, _ in problems)
        joined = '&" "&'.join(f'IF({c},"{m}","")' for c, m in problems)
        body = f'IF(OR({conds}),SUBSTITUTE(TRIM({joined})," ","；"),"{layout.CHECK_OK}")'
    if optional_when:
        body = f'IF({optional_when},"{layout.CHECK_OPTIONAL}",{body})'
    return "=" + body


def rate_bounds(row: "DataRow") -> tuple[Fraction, Fraction | None]:
    """The range a rate row accepts: the item's plausible range, within 0%–100% (shares) or ≥ -100% (growth)."""
    low, high = row.item.bounds or (None, None)
    if row.measure == "growth":
        return max(low if low is not None else Fraction(-1), Fraction(-1)), high
    return max(low or Fraction(0), Fraction(0)), min(high if high is not None else Fraction(1), Fraction(1))


def _literal(value: Fraction) -> str:
    return fmt_number(value, 10)


def _number_problems(cell: str, row: "DataRow", required: bool) -> list[tuple[str, str]]:
    # IF(ISNUMBER(..)) guards every comparison: Excel's AND() would pass on the #VALUE! of INT("abc").
    measure = row.measure
    out = []
    if required:
        out.append((_blank(cell), "请填写数值"))
    out.append((f"AND(NOT({_blank(cell)}),NOT(ISNUMBER({cell})))", "数值应为数字，不要带单位或文字"))
    if measure in ("percent", "growth"):
        low, high = rate_bounds(row)
        tests = [f"{cell}<{_literal(low)}"] + ([f"{cell}>{_literal(high)}"] if high is not None else [])
        what = "比例" if measure == "percent" else "增速"
        shown = _bounds_text(low, high)
        out.append((f"IF(ISNUMBER({cell}),OR({','.join(tests)}),FALSE)", f"{what}应在{shown}之间"
                     if high is not None else f"{what}不能低于{shown}"))
    elif measure == "count":
        out.append((f"IF(ISNUMBER({cell}),OR({cell}<0,{cell}<>INT({cell})),FALSE)", "应为不小于0的整数"))
    else:
        out.append((f"IF(ISNUMBER({cell}),{cell}<0,FALSE)", "数值不能小于0"))
    return out


def indicator_check(row: IndicatorRow, r: int) -> str:
    """The 填报检查 formula of one 指标填报 row (0-based sheet row ``r``)."""
    cell = {c.header: xl_rowcol_to_cell(r, i) for i, c in enumerate(layout.INDICATOR_COLUMNS)}
    claim, score = cell[layout.IND_CLAIM.header], cell[layout.IND_SELF.header]
    evidence = cell[layout.IND_EVIDENCE.header]
    problems = []
    if row.progress_required:
        problems.append((_blank(cell[layout.IND_PROGRESS.header]), "请填写工作进展"))
    if row.claim is not None:
        problems += [
            (_blank(claim), "请填写是否达到"),
            (f'AND(NOT({_blank(claim)}),TRIM({claim})<>"{layout.YES}",TRIM({claim})<>"{layout.NO}")',
             "是否达到请选择“是”或“否”"),
            (f'AND(TRIM({claim})="{layout.YES}",{_blank(evidence)})', "选择“是”时请填写佐证材料说明"),
        ]
    if row.judged is not None:
        top = fmt_number(row.judged, 10)
        problems += [
            (_blank(score), "请填写自评分"),
            (f"AND(NOT({_blank(score)}),NOT(ISNUMBER({score})))", "自评分应为数字"),
            (f"IF(ISNUMBER({score}),OR({score}<0,{score}>{top}),FALSE)", f"自评分应在0–{top}之间"),
            (f"AND(IF(ISNUMBER({score}),{score}>0,FALSE),{_blank(evidence)})", "自评分大于0时请填写佐证材料说明"),
        ]
    # a responsible unit's row asks nothing of it: 选填 until it writes something, then ✓
    optional = _blank(cell[layout.IND_PROGRESS.header]) if not problems else None
    return _check(problems, optional_when=optional)


def data_check(row: DataRow, r: int) -> str:
    """The 填报检查 formula of one 数据填报 row."""
    cols = {c.header: i for i, c in enumerate(layout.DATA_COLUMNS)}
    value = xl_rowcol_to_cell(r, cols[layout.DATA_VALUE.header])
    if row.entry is not None:
        name = xl_rowcol_to_cell(r, cols[layout.DATA_NAME.header])
        problems = [(f"AND({_blank(value)},NOT({_blank(name)}))", "请填写数值"),
                    (f"AND({_blank(name)},NOT({_blank(value)}))", "请填写名称")]
        problems += _number_problems(value, row, required=False)
        return _check(problems, optional_when=f"AND({_blank(name)},{_blank(value)})")
    problems = _number_problems(value, row, required=not row.optional)
    return _check(problems, optional_when=_blank(value) if row.optional else None)


# ---------------------------------------------------------------- writing


class _Sheet(Worksheet):
    """Our formulas use classic functions only, so xlsxwriter's scan for ~250 newer function names (a regex each,
    run for every formula and conditional format) is skipped: it was a third of the time of a workbook."""

    def _prepare_formula(self, formula, expand_future_functions=False):
        return formula[1:] if formula.startswith("=") else formula


class _Book(xlsxwriter.Workbook):
    worksheet_class = _Sheet


@lru_cache(maxsize=4096)
def _lines(text: str, width: int) -> int:
    """Lines a wrapped cell needs. UTF-8 length is 3 for a CJK character (2 columns wide) and 1 for ASCII."""
    usable = max(width - 1, 4)
    return sum(max(1, math.ceil((len(part.encode()) + len(part)) / 2 / usable)) for part in text.split("\n"))


def row_height(cells: list[tuple[str, int]], minimum: int = 1) -> float:
    """Points a row needs for its wrapped cells ((text, column width) each), at least ``minimum`` lines."""
    lines = max([minimum] + [_lines(text, width) for text, width in cells if text])
    return min(_MAX_ROW_HEIGHT, 14 * lines + 4)


class _Formats:
    """The handful of formats every unit workbook uses, made once per workbook (never per cell)."""

    def __init__(self, wb: xlsxwriter.Workbook):
        base = {"font_name": "宋体", "font_size": 10, "valign": "top", "border": 1, "border_color": "#A6A6A6"}
        inp = {**base, "locked": False, "bg_color": layout.INPUT_FILL}
        self._wb, self._specs, self._marked = wb, {}, {}
        self.title = wb.add_format({"font_name": "黑体", "font_size": 14, "bold": True, "valign": "vcenter"})
        self.hint = wb.add_format({"font_name": "宋体", "font_size": 10, "font_color": "#7F7F7F"})
        self.header = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "text_wrap": True,
                                     "align": "center", "valign": "vcenter"})
        self.text = wb.add_format({**base, "text_wrap": True})
        self.center = wb.add_format({**base, "align": "center"})  # keys, points, years, short text
        self.na = wb.add_format({**base, "bg_color": "#EDEDED"})
        for name, extra in (("input_text", {"text_wrap": True}), ("input_center", {"align": "center"}),
                            ("input_number", {"num_format": "General"}), ("input_percent", {"num_format": "0.0%"})):
            self._specs[name] = {**inp, **extra}
            setattr(self, name, wb.add_format(self._specs[name]))
        self.check = wb.add_format({**base, "text_wrap": True, "font_color": "#C00000"})
        self.ok = wb.add_format({"font_color": "#548235"})

    def marked(self, name: str):
        """The input format ``name`` in the problem colour (made on first use: most workbooks have no marks)."""
        if name not in self._marked:
            self._marked[name] = self._wb.add_format({**self._specs[name], "bg_color": layout.PROBLEM_FILL})
        return self._marked[name]


class _Validations:
    """Collects cells per validation so each distinct rule is written once over a multi-range."""

    def __init__(self):
        self.cells: dict[str, list[str]] = {}
        self.specs: dict[str, dict] = {}

    def add(self, spec_id: str, spec: dict, cell: str) -> None:
        self.specs.setdefault(spec_id, spec)
        self.cells.setdefault(spec_id, []).append(cell)

    def write(self, ws) -> None:
        for spec_id, cells in self.cells.items():
            spec = dict(self.specs[spec_id])
            spec["input_message"] = spec.get("input_message", "")[:255]
            if len(cells) > 1:
                spec["multi_range"] = " ".join(cells)
            ws.data_validation(cells[0], spec)


def _claim_validation() -> dict:
    return {"validate": "list", "source": [layout.YES, layout.NO], "input_title": "是否达到",
            "input_message": "请选择“是”或“否”。选“是”须在“佐证材料说明”写明依据。",
            "error_title": "是否达到", "error_message": "请从下拉列表选择“是”或“否”。"}


def _score_validation(top: Fraction) -> dict:
    shown = fmt_number(top, 10)
    return {"validate": "decimal", "criteria": "between", "minimum": 0,
            "maximum": int(top) if top.denominator == 1 else float(top),
            "input_title": "自评分", "input_message": f"填写0至{shown}之间的分数，可有小数。",
            "error_title": "自评分", "error_message": f"自评分应在0–{shown}之间。"}


def _bounds_text(low: Fraction, high: Fraction | None) -> str:
    shown = [fmt_number(end * 100, 6) + "%" for end in (low, high) if end is not None]
    return "–".join(shown)


def _xl_number(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def _value_validation(row: DataRow) -> dict:
    item = row.item
    note = f"{item.note}。" if item.note else ""
    title = item.label[:32]
    if row.measure in ("percent", "growth"):
        # the plausible range stops LibreOffice's 12.5 in a 0.0% cell (1250%) while typing, as Excel and WPS do
        low, high = rate_bounds(row)
        shown = _bounds_text(low, high)
        example = "如 95%" if row.measure == "percent" else "如 12.5% 或 -3%"
        limits = ({"criteria": "between", "minimum": _xl_number(low), "maximum": _xl_number(high)}
                  if high is not None else {"criteria": ">=", "value": _xl_number(low)})
        what = "比例" if row.measure == "percent" else "增速"
        return {"validate": "decimal", **limits, "input_title": title,
                "input_message": f"{note}按百分数填写，{example}（{shown}）。", "error_title": title,
                "error_message": f"请按百分数填写{what}（带 % 号，如 12.5%），应在{shown}之间。"
                if high is not None else f"请按百分数填写{what}（带 % 号），不能低于{shown}。"}
    if row.measure == "count":
        return {"validate": "integer", "criteria": ">=", "value": 0, "input_title": title,
                "input_message": f"{note}填写不小于0的整数，单位：{item.unit}。", "error_title": title,
                "error_message": "应为不小于0的整数。"}
    what = "该名单项的金额" if row.entry is not None else "数值"
    return {"validate": "decimal", "criteria": ">=", "value": 0, "input_title": title,
            "input_message": f"{note}填写{what}，单位：{item.unit}，不要带单位文字。", "error_title": title,
            "error_message": "请填写不小于0的数字。"}


def _start_table(wb, fm: _Formats, name: str, columns, title: str, hint: str):
    """A table sheet up to its header row; returns it and the column index by header."""
    ws = wb.add_worksheet(name)
    # Title and hint are one unwrapped line each, overflowing into the empty cells to their right (no merge).
    for i, col in enumerate(columns):
        # The row keys (键, always the first column) are for the reader only: hidden, never shown to a clerk.
        ws.set_column(i, i, col.width, None, {"hidden": True} if i == 0 else None)
    ws.write_string(0, 1, title, fm.title)
    ws.set_row(0, 24)
    ws.write_string(1, 1, hint, fm.hint)
    header_row = layout.HEADER_ROW - 1
    for i, col in enumerate(columns):
        ws.write_string(header_row, i, col.header, fm.header)
    ws.set_row(header_row, 30)
    ws.freeze_panes(layout.HEADER_ROW, 0)
    setup_print(ws, (0, header_row))
    return ws, {c.header: i for i, c in enumerate(columns)}


def _finish_table(ws, fm: _Formats, valid: _Validations, columns, n_rows: int) -> None:
    """Validations, the colours of the 填报检查 column (always the last one), filter and protection."""
    first, last, check = layout.HEADER_ROW, layout.HEADER_ROW + n_rows - 1, len(columns) - 1
    valid.write(ws)
    for word in (layout.CHECK_OK, layout.CHECK_OPTIONAL) if n_rows else ():
        ws.conditional_format(first, check, last, check,
                              {"type": "cell", "criteria": "==", "value": f'"{word}"', "format": fm.ok})
    ws.autofilter(layout.HEADER_ROW - 1, 0, max(last, first), len(columns) - 1)
    _protect(ws)




def _protect(ws) -> None:
    # No password on purpose: a clerk who truly must change the layout can lift it from the menu.
    ws.protect("", {"format_columns": True, "format_rows": True, "autofilter": True})


def scheme_line(scheme: Scheme) -> str:
    """The scheme's title with its version once: 「…指标体系（2022试行）」, not 「…（试行）（2022试行）」."""
    title, version = scheme.title, scheme.version
    if not version:
        return title
    m = re.search(r"[（(]([^（）()]*)[）)]$", title)
    if m:
        inside, bare = m.group(1).replace("年", ""), version.replace("年", "")
        if inside in bare or bare in inside:  # the title already says it: keep the longer wording
            return title if len(inside) >= len(bare) else title[:m.start()] + f"（{version}）"
    return f"{title}（{version}）"


def _write_guide(wb, fm: _Formats, project: Project, unit_name: str, rows: list[IndicatorRow], has_data: bool,
                 refill: str = ""):
    # Two columns and no merged cells: merges write a blank cell per covered cell, and this sheet is in every book.
    ws = wb.add_worksheet(layout.SHEET_GUIDE)
    label_width, content_width = 16, 100
    ws.set_column(0, 0, label_width)
    ws.set_column(1, 1, content_width)
    ws.write_string(0, 0, f"{project.region}网络市场监管与服务示范区创建 填报表", fm.title)
    ws.set_row(0, 26)

    leads = [r for r in rows if not r.is_item and r.role == layout.ROLE_LEAD]
    resps = [r for r in rows if not r.is_item and r.role == layout.ROLE_RESPONSIBLE]
    sep = layout.LIST_SEPARATOR
    task = []
    if leads:
        task.append(f"{layout.ROLE_LEAD} {len(leads)} 项（指标 {sep.join(r.number for r in leads)}）")
    if resps:
        task.append(f"{layout.ROLE_RESPONSIBLE} {len(resps)} 项（指标 {sep.join(r.number for r in resps)}）")
    if leads and resps:
        progress = (f"牵头指标必须填写“{layout.IND_PROGRESS.header}”，责任指标可简要填写本单位承担的部分（选填）")
    elif leads:
        progress = f"每项指标填写“{layout.IND_PROGRESS.header}”（必填）"
    else:
        progress = f"可简要填写本单位承担的“{layout.IND_PROGRESS.header}”（选填）"
    what = [f"1. “{layout.SHEET_INDICATORS}”表：{progress}，"
            f"以及{layout.IND_EVIDENCE.header}、{layout.IND_FILES.header}、{layout.IND_PROBLEMS.header}和"
            f"{layout.IND_CONTACT.header}。"]
    if leads:
        what.append(f"2. 牵头指标的分项：在“{layout.IND_CLAIM.header}”列选择“是”或“否”，选“是”须写明佐证材料说明；"
                    f"在“{layout.IND_SELF.header}”列填写0至该项分值之间的分数。")
    if resps:
        what.append(f"{len(what) + 1}. 责任指标不需要填写是否达到和自评分，由牵头单位填写；"
                    f"请及时把本单位的材料提供给牵头单位。")
    if has_data:
        what.append(f"{len(what) + 1}. “{layout.SHEET_DATA}”表：逐行填写数值和数据来源。比例按百分数填写（如 15%）；"
                    f"金额、数量按“计量单位”列的单位填写，不要带单位文字；名单类每行填写一项的名称和金额，"
                    f"没有可留空；增速可不填，按两年数值计算。")
    deadline = f"{project.deadline.year}年{project.deadline.month}月{project.deadline.day}日" \
        if project.deadline else "以创建办通知为准"
    info = [
        ("填报单位", unit_name),
        ("创建地区", f"{project.province}{project.region}"),
        ("指标体系", scheme_line(project.scheme)),
        ("评估年度", f"{sep.join(str(y) for y in project.years)}年" if project.years else "—"),
        ("填报截止日期", deadline),
        ("填报轮次", project.round),
        ("本单位任务", "；".join(task)),
        ("填写内容", "\n".join(what)),
        ("填写方法", f"只在{layout.INPUT_COLOUR}单元格中填写。“{layout.IND_CHECK.header}”列自动提示未填或超出范围的内容，"
                     f"每行都显示“{layout.CHECK_OK}”（选填项为“{layout.CHECK_OPTIONAL}”）即填写完整。"
                     f"请勿重命名、删除或新增工作表，勿插入或删除行；可调整行高列宽、排序。"
                     f"工作表设有保护但没有密码，一般无需取消保护。"),
        ("报送方式", "填写完成后保存为 .xlsx 格式（WPS 请选择“Excel 文件”），作为附件回复创建办邮件"
                     + (f"（{project.email}）" if project.email else "")
                     + f"，不要改动文件名中的单位名称。佐证材料文件可压缩成一个 zip "
                     f"一并附上，文件名与“{layout.IND_FILES.header}”中所写一致。"),
        ("创建办联系人", " ".join(x for x in (project.office, project.contact, project.phone, project.email) if x)
         or "—"),
    ]
    phases = [ph for ph in project.phases if ph.start or ph.end or ph.note]  # a bare name says nothing
    if phases:
        lines = [" ".join(x for x in (ph.name, "–".join(d.isoformat() for d in (ph.start, ph.end) if d), ph.note)
                          if x) for ph in phases]
        info.append(("阶段安排", "\n".join(lines)))
    if refill:
        info.insert(0, (layout.GUIDE_REFILL, refill))
    for row in leads + resps:
        a = project.assignments.get(row.number)
        text = [f"{row.name}（{fmt_number(row.points)}分，本单位为{row.role}单位）"]
        if a and a.tasks:
            text.append(f"关联工作任务：{a.tasks}")
        if a and a.deadline:
            text.append(f"完成时限：{a.deadline}")
        if a and a.leads and row.role == layout.ROLE_RESPONSIBLE:
            text.append(f"牵头单位：{sep.join(a.leads)}")
        info.append((f"指标 {row.number}", "\n".join(text)))
    for r, (label, text) in enumerate(info, start=2):
        ws.write_string(r, 0, label, fm.header)
        ws.write_string(r, 1, text, fm.text)
        ws.set_row(r, row_height([(text, content_width)]))
    setup_print(ws, landscape=False)
    ws.activate()
    _protect(ws)


class _Inputs:
    """Writes the input cells of one table: blank, or refilled with the unit's answer; marked when it has a problem."""

    def __init__(self, ws, fm: _Formats, prefill: Prefill, marks: dict[tuple[str, str], list[Mark]], author: str):
        self.ws, self.fm, self.prefill, self.marks, self.author = ws, fm, prefill, marks, author

    def put(self, r: int, c: int, key: str, column: str, style: str, percent: bool = False) -> None:
        found = self.marks.get((key, column))
        fmt = self.fm.marked(style) if found else getattr(self.fm, style)
        _write_value(self.ws, r, c, self.prefill.get((key, column)), fmt, percent)
        if found:
            text = "\n".join(("【须修改】" if m.blocking else "【请核实】") + m.message for m in found)
            self.ws.write_comment(r, c, text, {"author": self.author, "x_scale": 3, "y_scale": 2.5,
                                               "font_name": "宋体", "font_size": 10})


def _exact_decimal(value: Fraction) -> str:
    """A terminating fraction in full decimal digits (what a workbook's 15-digit number cannot hold)."""
    with localcontext() as ctx:
        ctx.prec = 60
        text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _write_value(ws, r: int, c: int, value, fmt, percent: bool = False) -> None:
    """One input cell: blank, a number (exact, else its full decimal text), 是/否, or text as typed."""
    if value is None or value == "":
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(r, c, layout.YES if value else layout.NO, fmt)
    elif isinstance(value, Fraction):
        if from_float(float(value)) == value:
            ws.write_number(r, c, float(value), fmt)
        else:  # more digits than a workbook number keeps: as text, read back exactly (with a note)
            ws.write_string(r, c, _exact_decimal(value * 100) + "%" if percent else _exact_decimal(value), fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def _write_indicators(wb, fm: _Formats, unit_name: str, rows: list[IndicatorRow], cells: _Inputs) -> None:
    cols = layout.INDICATOR_COLUMNS
    ws, idx = _start_table(wb, fm, layout.SHEET_INDICATORS, cols, f"指标填报（{unit_name}）",
                           f"只在{layout.INPUT_COLOUR}单元格填写，灰色单元格无需填写。"
                           f"“{layout.IND_CHECK.header}”列提示未填或超范围的内容，全部为“{layout.CHECK_OK}”"
                           f"或“{layout.CHECK_OPTIONAL}”即完成。分项的是否达到、自评分由牵头单位填写。")
    cells.ws = ws
    valid = _Validations()
    first = layout.HEADER_ROW
    w_name, w_criteria = cols[idx[layout.IND_NAME.header]].width, cols[idx[layout.IND_CRITERIA.header]].width
    for n, row in enumerate(rows):
        r = first + n
        ws.write_string(r, idx[layout.IND_KEY.header], row.key, fm.center)
        # a sub-item shows its own number (11.3), as the messages about it name it
        ws.write_string(r, idx[layout.IND_NUMBER.header], row.key, fm.center)
        ws.write_string(r, idx[layout.IND_NAME.header], ("　" if row.is_item else "") + row.name, fm.text)
        ws.write_number(r, idx[layout.IND_POINTS.header], float(row.points), fm.center)
        ws.write_string(r, idx[layout.IND_ROLE.header], row.role, fm.center)
        ws.write_string(r, idx[layout.IND_CRITERIA.header], row.criteria, fm.text)
        claim_col, score_col = idx[layout.IND_CLAIM.header], idx[layout.IND_SELF.header]
        if row.claim is not None:
            cells.put(r, claim_col, row.key, layout.IND_CLAIM.header, "input_center")
            valid.add("claim", _claim_validation(), xl_rowcol_to_cell(r, claim_col))
        else:
            ws.write_blank(r, claim_col, None, fm.na)
        if row.judged is not None:
            cells.put(r, score_col, row.key, layout.IND_SELF.header, "input_number")
            valid.add(f"score{row.judged}", _score_validation(row.judged), xl_rowcol_to_cell(r, score_col))
        else:
            ws.write_blank(r, score_col, None, fm.na)
        for col in (layout.IND_PROGRESS, layout.IND_EVIDENCE, layout.IND_FILES, layout.IND_PROBLEMS,
                    layout.IND_CONTACT):
            cells.put(r, idx[col.header], row.key, col.header, "input_text")
        ws.write_formula(r, idx[layout.IND_CHECK.header], indicator_check(row, r), fm.check, "")
        ws.set_row(r, row_height([(row.name, w_name), (row.criteria, w_criteria)], minimum=2))
    _finish_table(ws, fm, valid, cols, len(rows))


def _write_data(wb, fm: _Formats, unit_name: str, rows: list[DataRow], cells: _Inputs) -> None:
    cols = layout.DATA_COLUMNS
    ws, idx = _start_table(wb, fm, layout.SHEET_DATA, cols, f"数据填报（{unit_name}）",
                           f"在{layout.INPUT_COLOUR}单元格填写。比例按百分数填（如 15%）；数量、金额按"
                           f"“{layout.DATA_UNIT.header}”列的单位填，不带单位文字；名单类每行一项。")
    cells.ws = ws
    valid = _Validations()
    first = layout.HEADER_ROW
    w_label = cols[idx[layout.DATA_LABEL.header]].width
    for n, row in enumerate(rows):
        r = first + n
        label = row.item.label + (f"（第{row.entry}项）" if row.entry else "")
        ws.write_string(r, idx[layout.DATA_KEY.header], row.key, fm.text)
        ws.write_string(r, idx[layout.DATA_NUMBER.header], layout.LIST_SEPARATOR.join(row.numbers), fm.center)
        ws.write_string(r, idx[layout.DATA_LABEL.header], label, fm.text)
        if row.year is not None:
            ws.write_number(r, idx[layout.DATA_YEAR.header], row.year, fm.center)
        else:
            ws.write_blank(r, idx[layout.DATA_YEAR.header], None, fm.center)
        ws.write_string(r, idx[layout.DATA_UNIT.header], row.item.unit, fm.center)
        name_col, value_col = idx[layout.DATA_NAME.header], idx[layout.DATA_VALUE.header]
        if row.entry:
            cells.put(r, name_col, row.key, layout.DATA_NAME.header, "input_text")
        else:
            ws.write_blank(r, name_col, None, fm.na)
        percent = row.measure in ("percent", "growth")
        cells.put(r, value_col, row.key, layout.DATA_VALUE.header, "input_percent" if percent else "input_number",
                  percent)
        valid.add(f"value:{row.item.key}:{row.entry is not None}", _value_validation(row),
                  xl_rowcol_to_cell(r, value_col))
        cells.put(r, idx[layout.DATA_SOURCE.header], row.key, layout.DATA_SOURCE.header, "input_text")
        ws.write_formula(r, idx[layout.DATA_CHECK.header], data_check(row, r), fm.check, "")
        ws.set_row(r, row_height([(label, w_label)], minimum=1))
    _finish_table(ws, fm, valid, cols, len(rows))


def _write_identity(wb, identity: dict[str, str]) -> None:
    ws = wb.add_worksheet(layout.SHEET_IDENTITY)
    for r, (key, value) in enumerate(identity.items()):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, value)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 40)
    ws.hide()
    _protect(ws)
    for key, value in identity.items():
        wb.set_custom_property(key, value)


def input_cells(rows: list[IndicatorRow], drows: list[DataRow]) -> set[tuple[str, str]]:
    """(row key, column header) of every input cell a workbook with these rows has."""
    out = set()
    for row in rows:
        out.update((row.key, c.header) for c in (layout.IND_PROGRESS, layout.IND_EVIDENCE, layout.IND_FILES,
                                                 layout.IND_PROBLEMS, layout.IND_CONTACT))
        if row.claim is not None:
            out.add((row.key, layout.IND_CLAIM.header))
        if row.judged is not None:
            out.add((row.key, layout.IND_SELF.header))
    for row in drows:
        out.update((row.key, c.header) for c in (layout.DATA_VALUE, layout.DATA_SOURCE))
        if row.entry:
            out.add((row.key, layout.DATA_NAME.header))
    return out


def _refill_note(marks: list[Mark], loose: list[Mark], notes) -> str:
    lines = ["本表是本单位填报表的续填版，已填入本单位已报送的内容。请直接在本表上补充、修改，保存后发送；"
             "未改动的内容会照原样采用，不会丢失。"]
    if marks:
        lines.append(f"有问题的单元格（{len(marks)}处）标为{layout.PROBLEM_COLOUR}并附批注，鼠标移到单元格上即可查看："
                     f"“【须修改】”的请改正，“【请核实】”的请核对。")
    lines += [("【须修改】" if m.blocking else "【请核实】") + m.message for m in loose]
    lines += [str(n) for n in notes if n]
    return "\n".join(lines)


def build_unit_workbook(project: Project, unit_name: str, generated_at: datetime | None = None, *,
                        prefill: Prefill | None = None, problems=(), notes=()) -> tuple[bytes, UnitBookInfo]:
    """The workbook of one unit as bytes, and what it holds. ``generated_at`` defaults to now (local time).

    A refilled workbook (a new version of the unit's, same identity): ``prefill`` holds the unit's answers by
    (row key, column header), ``problems`` the Marks to show on their cells (a Mark on no cell of this workbook,
    and each of ``notes``, is listed in 填报说明 instead)."""
    when = (generated_at or datetime.now().astimezone()).replace(microsecond=0)
    roles = project.roles_of(unit_name)
    rows = indicator_rows(project, unit_name, roles)
    drows = data_rows(project, unit_name, roles)
    identity = identity_of(project, unit_name, when.isoformat())
    marks: dict[tuple[str, str], list[Mark]] = {}
    placed, loose = [], []
    if problems:
        cells = input_cells(rows, drows)
        for mark in problems:
            if (mark.key, mark.column) in cells:
                marks.setdefault((mark.key, mark.column), []).append(mark)
                placed.append(mark)
            else:
                loose.append(mark)
    refilled = prefill is not None or bool(problems) or bool(notes)

    buffer = io.BytesIO()
    wb = _Book(buffer, WRITER_OPTIONS)
    wb.set_properties({"title": f"{project.region}示范区创建填报表（{unit_name}）", "subject": "网络市场监管与服务示范区创建",
                       "author": project.office or "zonekit", "company": project.office,
                       "comments": "请勿重命名工作表。", "created": when})
    fm = _Formats(wb)
    _write_guide(wb, fm, project, unit_name, rows, bool(drows),
                 _refill_note(placed, loose, notes) if refilled else "")
    inputs = _Inputs(None, fm, prefill or {}, marks, project.office or "创建办")
    _write_indicators(wb, fm, unit_name, rows, inputs)
    if drows:
        _write_data(wb, fm, unit_name, drows, inputs)
    _write_identity(wb, identity)
    wb.close()

    heads = [r for r in rows if not r.is_item]
    info = UnitBookInfo(unit_name, None, [r.number for r in heads],
                        [r.number for r in heads if r.role == layout.ROLE_LEAD],
                        [r.number for r in heads if r.role == layout.ROLE_RESPONSIBLE],
                        len(rows), len(drows), identity)
    return buffer.getvalue(), info


def write_unit_workbook(project: Project, unit_name: str, path: Path | str, generated_at: datetime | None = None,
                        *, prefill: Prefill | None = None, problems=(), notes=()) -> UnitBookInfo:
    """Write one unit's workbook to ``path`` (atomically) and say what it holds, with the file's SHA-256;
    ``prefill``/``problems``/``notes`` make it a refilled version (see build_unit_workbook)."""
    data, info = build_unit_workbook(project, unit_name, generated_at, prefill=prefill, problems=problems,
                                     notes=notes)
    write_atomic(path, data)
    info.path, info.sha256 = Path(path), hashlib.sha256(data).hexdigest()
    return info
