"""The scored summary workbook (评分汇总表.xlsx): overview with live formulas and chart, indicator scores, gap list,
unit progress, issues, answers and evidence. Writes only its own output file, atomically; reads nothing."""

from __future__ import annotations

import functools
import re
from contextlib import nullcontext

from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from zonekit import layout
from zonekit.answers import Answers
from zonekit.evidence import write_link
from zonekit.exact import fmt_exact, fmt_number, fmt_percent
from zonekit.files import atomic_path
from zonekit.pages import setup_print
from zonekit.gaps import Gap, gap_list, smallest_recovery, unmet_targets
from zonekit.issues import Issue
from zonekit.layout import Column
from zonekit.project import Project
from zonekit.scheme import describe_rate
from zonekit.scoring import SCORE_PLACES, VERDICT_FAIL, VERDICT_PASS, ScoreResult
from zonekit.sheetrows import RowSheet
from zonekit.verify import accepted, effective_scores

WORKBOOK_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                    "strings_to_urls": False}


# ---------------------------------------------------------------- what intake hands over (plain data)


@dataclass
class UnitProgress:
    """One unit's return status as intake saw it."""

    name: str
    status: str  # as intake says it: 已报 / 未报 / 逾期 / 退回
    returned: bool = False  # a return of this unit has been received (usable or sent back)
    files: list[str] = field(default_factory=list)
    received: str = ""
    errors: int = 0
    warnings: int = 0
    missing: int = 0  # inputs the unit should have filled and did not
    note: str = ""


@dataclass
class Contribution:
    """One answer and who gave it: a data value, list row, 是/否 claim, self score or progress text."""

    number: str
    kind: str  # 数据 / 名单 / 是否达到 / 自评分 / 工作进展 / …
    key: str
    label: str
    value: object  # Fraction | bool | str | None
    by: str
    year: int | None = None
    unit: str = ""  # unit of measure
    file: str = ""
    cell: str = ""  # 'sheet!A1'
    status: str = "采用"  # 采用 / 冲突 / 未采用
    note: str = ""


@dataclass
class Evidence:
    number: str
    unit: str
    name: str
    path: Path  # the extracted file
    note: str = ""
    round: str = ""  # the 填报轮次 whose return carried it
    earlier: bool = False  # received in an earlier round and kept since (no return of this round carries it)


@dataclass
class CollectInfo:
    """What the last collect found, in the shape the summary needs."""

    answers: Answers = field(default_factory=Answers)
    units: list[UnitProgress] = field(default_factory=list)
    contributions: list[Contribution] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    conflicts: set[str] = field(default_factory=set)  # indicator numbers with conflicting answers
    collected_at: str = ""
    # indicator number → what each unit wrote on its row (intake's ProgressEntry: progress, evidence, files,
    # problems), leads first; the self-evaluation report quotes it
    progress: dict[str, list] = field(default_factory=dict)
    notice: str = ""  # said first, above everything: e.g. that nothing has been collected yet
    rounds: list = field(default_factory=list)  # zonekit.rounds.RoundResult of each earlier (closed) round, in order

    @property
    def expected(self) -> int:
        return len(self.units)

    @property
    def returned(self) -> int:
        return sum(1 for u in self.units if u.returned)


# ---------------------------------------------------------------- the content, computed once


@dataclass
class Summary:
    project: Project
    result: ScoreResult
    overrides: dict[str, Fraction]
    info: CollectInfo
    issues: list[Issue]
    scores: dict[str, Fraction]  # effective per indicator
    gaps: list[Gap]
    recovery: list[str]
    targets: dict[str, list[str]]
    flags: dict[str, list[str]]
    generated: datetime

    @property
    def assessment(self):
        return self.result.assessment

    def recovery_text(self) -> str:
        a = self.assessment
        if a.qualified:
            return "当前已合格，无需补分。"
        if not self.recovery:
            return "即使所有失分指标都得到满分仍无法合格，请核对指标体系与填报数据。"
        by_number = {g.number: g for g in self.gaps}
        parts = [f"指标{n}「{by_number[n].name}」（+{fmt_exact(by_number[n].recoverable)}分）" for n in self.recovery]
        total = sum((by_number[n].recoverable for n in self.recovery), Fraction(0))
        return f"最少补足以下{len(self.recovery)}项指标即可合格（共{fmt_exact(total)}分）：" + "、".join(parts)

    def to_dict(self) -> dict:
        out = self.assessment.to_dict()
        out["recovery"] = self.recovery
        out["recovery_text"] = self.recovery_text()
        out["gaps"] = [{"number": g.number, "name": g.name, "lost": fmt_exact(g.lost),
                        "recoverable": fmt_exact(g.recoverable), "leads": g.leads, "text": g.text}
                       for g in self.gaps]
        out["notice"] = self.info.notice
        out["units_returned"] = self.info.returned
        out["units_expected"] = self.info.expected
        return out


def refused_numbers(project, overrides: dict[str, Fraction]) -> set[str]:
    """Indicators with a 评分核定 entry that was not applied (its issue says why)."""
    numbers = {i.number for i in project.scheme.indicators}
    return {layout.normalize_text(v.number) for v in project.verifications
            if v.score is not None and layout.normalize_text(v.number) in numbers
            and layout.normalize_text(v.number) not in overrides}


def build_summary(project, result: ScoreResult, overrides: dict[str, Fraction] | None = None,
                  collect_info: CollectInfo | None = None, issues=(), generated: datetime | None = None) -> Summary:
    """Everything the summary shows, from the scoring result, the verified scores and what intake found."""
    overrides = dict(overrides or {})
    info = collect_info or CollectInfo()
    issue_list = list(getattr(issues, "issues", issues))
    scores = effective_scores(result, overrides)
    gaps = gap_list(result, project, info.answers, overrides)
    targets = unmet_targets(project, info.answers, scores)
    for g in gaps:
        g.actions += targets.get(g.number, [])
    refused = refused_numbers(project, overrides)
    flags = {}
    for res in result.indicators:
        marks = []
        if res.missing:
            marks.append(layout.FLAG_MISSING)
        if res.number in info.conflicts:
            marks.append(layout.FLAG_CONFLICT)
        if res.number in overrides:
            marks.append(layout.FLAG_VERIFIED)
        if res.number in refused:
            marks.append(layout.FLAG_REFUSED)
        if res.number in targets:
            marks.append(layout.FLAG_TARGET)
        flags[res.number] = marks
    return Summary(project, result, overrides, info, issue_list, scores, gaps, smallest_recovery(result, overrides),
                   targets, flags, generated or datetime.now().replace(microsecond=0))


# ---------------------------------------------------------------- workbook helpers (shared with feedback)


class Styles:
    def __init__(self, wb: xlsxwriter.Workbook):
        base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
        self.text = wb.add_format({**base})
        self.wrap = wb.add_format({**base, "text_wrap": True})
        self.number = wb.add_format({**base})
        self.rate = wb.add_format({**base, "num_format": "0.0%"})
        self.head = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                   "align": "center", "valign": "vcenter"})
        self.title = wb.add_format({**base, "bold": True, "font_size": 16, "valign": "vcenter"})
        self.note = wb.add_format({**base, "italic": True, "font_color": "#595959", "text_wrap": True})
        self.label = wb.add_format({**base, "bold": True})
        self.input = wb.add_format({**base, "bg_color": "#FFF2CC"})
        self.good = wb.add_format({**base, "bold": True, "font_color": "#006100", "bg_color": "#C6EFCE"})
        self.bad = wb.add_format({**base, "bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"})
        self.bad_note = wb.add_format({**base, "bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE",
                                       "text_wrap": True, "valign": "top"})
        self.link = wb.add_format({**base, "font_color": "blue", "underline": 1})
        self.center = wb.add_format({**base, "align": "center"})
        # 总览
        self.subtitle = wb.add_format({**base, "font_color": "#595959"})
        big = {**base, "bold": True, "font_size": 26, "align": "center", "valign": "vcenter", "border": 1}
        self.verdict_good = wb.add_format({**big, "font_color": "#006100", "bg_color": "#C6EFCE"})
        self.verdict_bad = wb.add_format({**big, "font_color": "#9C0006", "bg_color": "#FFC7CE"})
        self.verdict_label = wb.add_format({**base, "bold": True, "font_size": 14})
        self.headline = wb.add_format({**base, "bold": True, "font_size": 14, "indent": 1})
        self.reason = wb.add_format({**base, "font_size": 11, "text_wrap": True, "valign": "top"})
        self.label_wrap = wb.add_format({**base, "bold": True, "valign": "top", "font_size": 11})
        top = {"top": 1}
        self.label_top = wb.add_format({**base, "bold": True, **top})
        self.number_top = wb.add_format({**base, "bold": True, **top})
        self.rate_top = wb.add_format({**base, "bold": True, "num_format": "0.0%", **top})
        self.center_top = wb.add_format({**base, "bold": True, "align": "center", **top})
        self.fail_text = wb.add_format({"bold": True, "font_color": "#9C0006"})
        self._wb, self._base, self._percent = wb, base, {}

    def decimal(self, shown: str, **extra):
        """A number format with as many decimals as ``shown`` ('84.995' → 0.000), so the cell shows what
        zonekit.exact shows (never rounded across a line); ``extra``: further properties (a fill colour)."""
        places = len(shown.partition(".")[2]) if "." in shown else 0
        key = ("decimal", places, tuple(sorted(extra.items())))
        if key not in self._percent:
            code = "0." + "0" * places if places else "0"
            self._percent[key] = self._wb.add_format({**self._base, **extra, "num_format": code})
        return self._percent[key]

    def percent(self, shown: str, **extra):
        """A percent format with as many decimals as ``shown`` ('74.99%' → 0.00%), so a cell never looks
        rounded across a threshold the text beside it keeps; ``extra``: further properties (a font colour)."""
        places = len(shown.rstrip("%").partition(".")[2]) if shown.endswith("%") else 1
        key = (places, tuple(sorted(extra.items()))) if extra else places
        if key not in self._percent:
            code = "0." + "0" * places + "%" if places else "0%"
            self._percent[key] = self._wb.add_format({**self._base, **extra, "num_format": code})
        return self._percent[key]


def new_workbook(path: Path) -> xlsxwriter.Workbook:
    wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    wb.worksheet_class = RowSheet  # a worksheet as any other until table() adds its rows as XML
    return wb


def put(ws, row: int, col: int, value, fmt=None) -> None:
    """Numbers as numbers, everything else as text (never a formula, URL or number parsed from text)."""
    value = _cell(value)
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        ws.write_string(row, col, value, fmt)
    else:
        ws.write_number(row, col, value, fmt)


@dataclass(frozen=True)
class Styled:
    """A table cell in a format of its own (a rate in a percent format)."""

    value: object
    fmt: object

    def __call__(self, ws, row: int, col: int) -> None:
        put(ws, row, col, self.value, self.fmt)


def _cell(value) -> str | float | None:
    """What a cell holds: None when empty, 是/否 for a truth value, a number for a number, else text."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return layout.YES if value else layout.NO
    if isinstance(value, (int, float, Fraction)):
        return float(value)
    return str(value)


_NARROW = re.compile("[\x00-\u2e7f]+")  # one column wide; everything from U+2E80 (CJK) on is two


@functools.lru_cache(maxsize=8192)  # the same units, states and messages row after row
def text_lines(text: str, width: int) -> int:
    """Lines a wrapped cell needs: a CJK character is two columns wide, ASCII one."""
    usable = max(width - 1, 4)
    # columns of a part: one per character, one more per wide character (what the narrow ones leave)
    return sum(max(1, -(-(len(part) + len(_NARROW.sub("", part))) // usable)) for part in text.split("\n"))


def table(ws, styles: Styles, columns: tuple[Column, ...], rows: list[list], header_row: int = 0,
          wrap_cols: tuple[int, ...] = (), plain: bool = False) -> None:
    """A header row, data rows, frozen header, autofilter, widths, print setup — and row heights for wrapped
    text, which LibreOffice does not grow by itself. ``plain``: nothing is written into the rows afterwards."""
    for col, column in enumerate(columns):
        ws.write_string(header_row, col, column.header, styles.head)
        ws.set_column(col, col, column.width)
    ws.set_row(header_row, 15 * max(text_lines(c.header, c.width) for c in columns) + 4)
    # rows of a plain table go straight to XML (zonekit.sheetrows: 填报明细 has one per answer); a table with a
    # cell written by a function of its own is written cell by cell
    xml = plain and isinstance(ws, RowSheet) and \
        not any(callable(v) and not isinstance(v, Styled) for values in rows for v in values)
    shown = [ws.style(styles.wrap if col in wrap_cols else styles.text) for col in range(len(columns))] if xml else []
    for r, values in enumerate(rows, start=header_row + 1):
        lines = 1
        for col, value in enumerate(values):
            if col in wrap_cols and isinstance(value, str):
                lines = max(lines, text_lines(value, columns[col].width))
            if xml:
                continue
            if callable(value):
                value(ws, r, col)
                continue
            put(ws, r, col, value, styles.wrap if col in wrap_cols else styles.text)
        height = min(409, 14 * lines + 4) if lines > 1 else None
        if xml and any(isinstance(v, Styled) for v in values):
            ws.add_row(r, [_cell(v.value if isinstance(v, Styled) else v) for v in values],
                       [ws.style(v.fmt) if isinstance(v, Styled) else style for v, style in zip(values, shown)],
                       height, blanks=True)
        elif xml:
            ws.add_row(r, [_cell(v) for v in values], shown, height, blanks=True)
        elif height is not None:
            ws.set_row(r, height)
    ws.freeze_panes(header_row + 1, 0)
    ws.autofilter(header_row, 0, header_row + max(len(rows), 1), len(columns) - 1)
    # numbers are written as numbers; what is text (编号 3 and 11.1, answers as typed) is text on purpose
    ws.ignore_errors({"number_stored_as_text": f"A1:{xl_col_to_name(len(columns) - 1)}{header_row + len(rows) + 1}"})
    setup_print(ws, header_row)


def issue_rows(issues: list[Issue]) -> list[list]:
    ordered = sorted(issues, key=lambda i: not i.blocking)
    return [[i.severity, i.code, i.unit, Path(i.file).name if i.file else "", i.sheet, i.cell, i.value, i.message]
            for i in ordered]


def units_text(names: list[str]) -> str:
    return "、".join(names)


# ---------------------------------------------------------------- 指标得分


def score_columns(scheme) -> tuple[Column, ...]:
    """指标得分's columns for ``scheme``: no 二级指标 column when its table has no separate second level."""
    return layout.for_scheme(layout.SCORE_COLUMNS, "", scheme.has_second_level)


def _col(columns: tuple[Column, ...], column: Column) -> int:
    return columns.index(column)


def _score_range(columns: tuple[Column, ...], column: Column, n: int) -> str:
    """Absolute range of one 指标得分 column over the indicator rows, for 总览 formulas."""
    letter = xl_col_to_name(_col(columns, column))
    return f"'{layout.SHEET_SCORES}'!${letter}$2:${letter}${n + 1}"


def _write_scores(wb, styles: Styles, s: Summary) -> None:
    ws = wb.add_worksheet(layout.SHEET_SCORES)
    project, scheme = s.project, s.result.scheme
    columns = score_columns(scheme)
    verified = accepted(project.verifications, s.overrides)
    refused = refused_numbers(project, s.overrides)
    rows = []
    for res in s.result.indicators:
        a = project.assignments.get(res.number)
        if res.number in verified:
            v = verified[res.number]
            reason = v.reason + "".join(f"（{x}）" for x in (v.by, v.when) if x)
        elif res.number in refused:
            reason = f"未采用：{layout.SHEET_VERIFY}中的核定有误，见{layout.SHEET_ISSUES}"
        else:
            reason = ""
        row = {layout.SCORE_LEVEL1: res.level1, layout.SCORE_LEVEL2: res.level2 or "", layout.SCORE_NUMBER: res.number,
               layout.SCORE_NAME: res.name, layout.SCORE_POINTS: res.points, layout.SCORE_COMPUTED: res.score,
               layout.SCORE_VERIFIED: s.overrides.get(res.number), layout.SCORE_REASON: reason,
               layout.SCORE_EFFECTIVE: None, layout.SCORE_LOST: None, layout.SCORE_TRACE: res.trace,
               layout.SCORE_LEADS: units_text(a.leads) if a else "",
               layout.SCORE_RESPONSIBLES: units_text(a.responsibles) if a else "",
               layout.SCORE_FLAGS: "、".join(s.flags[res.number])}
        rows.append([row[c] for c in columns])
    wrapped = (layout.SCORE_LEVEL1, layout.SCORE_LEVEL2, layout.SCORE_NAME, layout.SCORE_TRACE, layout.SCORE_REASON,
               layout.SCORE_LEADS, layout.SCORE_RESPONSIBLES, layout.SCORE_FLAGS)
    table(ws, styles, layout.for_scheme(columns, scheme.indicator_label), rows,
          wrap_cols=tuple(_col(columns, c) for c in wrapped if c in columns))
    points, computed, verified_col, effective, lost = (
        _col(columns, layout.SCORE_POINTS), _col(columns, layout.SCORE_COMPUTED), _col(columns, layout.SCORE_VERIFIED),
        _col(columns, layout.SCORE_EFFECTIVE), _col(columns, layout.SCORE_LOST))
    for r, res in enumerate(s.result.indicators, start=1):
        p, c, v = (xl_rowcol_to_cell(r, x) for x in (points, computed, verified_col))
        ws.write_blank(r, verified_col, None, styles.input) if res.number not in s.overrides else \
            ws.write_number(r, verified_col, float(s.overrides[res.number]), styles.input)
        ws.write_formula(r, effective, f"=IF(AND(ISNUMBER({v}),{v}>=0,{v}<={p}),{v},{c})", styles.number,
                         float(s.scores[res.number]))
        e = xl_rowcol_to_cell(r, effective)
        ws.write_formula(r, lost, f"={p}-{e}", styles.number, float(res.points - s.scores[res.number]))
    ws.freeze_panes(1, _col(columns, layout.SCORE_NAME) + 1)
    ws.data_validation(1, verified_col, len(rows), verified_col,
                       {"validate": "decimal", "criteria": ">=", "value": 0, "ignore_blank": True,
                        "input_title": "核定得分", "input_message": "填写后有效得分与总览自动重算；不超过分值。"})


# ---------------------------------------------------------------- 总览
# The reasons are formulas, so a verified score typed into 指标得分 moves them too. They show numbers the way
# zonekit.exact does, within what a formula can do: scores to 4 decimals (6 when 4 would round onto the line),
# rates with as many decimals as keep them below their threshold, minima exact to 4 decimals or rounded up.


def _xl_beside(x: str, bar: str) -> str:
    """Text of the number in ``x``: 4 decimals, or 6 when 4 would put it on the other side of (or onto) ``bar``."""
    return f'IF(SIGN(ROUND({x},4)-{bar})=SIGN(ROUND({x},6)-{bar}),ROUND({x},4),ROUND({x},6))&""'


def _xl_exact(x: str) -> str:
    return f'ROUND({x},6)&""'


def _xl_at_least(x: str) -> str:
    """Text of a minimum in ``x``: exact to 4 decimals, otherwise rounded up to 2 (never below the exact one)."""
    return f'IF(ROUND({x},4)=ROUND({x},9),ROUND({x},4),ROUNDUP(ROUND({x},9),2))&""'


def _xl_rate_below(rate: str, threshold: Fraction) -> str:
    """Text of a rate below ``threshold``: the fewest decimals (≥ 1) that keep it below."""
    bar = float(threshold * 100)
    text = f'TEXT({rate},"0.{"0" * RATE_PLACES_MAX}%")'
    for places in range(RATE_PLACES_MAX - 1, 0, -1):
        text = f'IF(ROUND({rate}*100,{places})<{bar!r},TEXT({rate},"0.{"0" * places}%"),{text})'
    return text


RATE_PLACES_MAX = 6


def _passes(score: str, points: str, threshold: Fraction) -> str:
    # rounded to 6 places on both sides so that binary floats never decide a boundary the exact check decided
    return f"ROUND({score},6)>=ROUND({points}*{float(threshold)!r},6)"


def _level_reason_formula(name, score, points, rate, needed, threshold: Fraction) -> str:
    """The formula of LevelResult.reason: '' while the level passes."""
    bar = f"{points}*{float(threshold)!r}"
    return (f'IF({_passes(score, points, threshold)},"",'
            f'"一级指标「"&{name}&"」得分"&{_xl_beside(score, bar)}&"/"&{_xl_exact(points)}&"分，得分率"&'
            f'{_xl_rate_below(rate, threshold)}&"，低于{describe_rate(threshold)}，还需至少"&{_xl_at_least(needed)}&"分")')


def _total_reason_formula(score, bar, need) -> str:
    """The formula of Assessment.total_reason: '' while the total reaches the line."""
    return (f'IF(ROUND({score},6)>={bar},"","总分"&{_xl_beside(score, bar)}&"分，低于合格线"&{_xl_exact(bar)}&'
            f'"分，还差"&{_xl_at_least(need)}&"分")')


def pass_text(a) -> str:
    """What 总览 says under a region that qualifies."""
    return (f"总分{a.total_text}分，不低于合格线{fmt_exact(a.total_min)}分，"
            f"且各一级指标得分率均不低于{describe_rate(a.level_rate_min)}")


def _chart(wb, first: int, last: int, width: int, height: int):
    chart = wb.add_chart({"type": "column"})
    sheet = f"'{layout.SHEET_OVERVIEW}'"
    chart.add_series({"name": "得分率", "categories": f"={sheet}!$A${first + 1}:$A${last + 1}",
                      "values": f"={sheet}!$D${first + 1}:$D${last + 1}", "fill": {"color": "#5B9BD5"},
                      "data_labels": {"value": True, "num_format": "0.0%"}})
    line = wb.add_chart({"type": "line"})
    line.add_series({"name": "合格线", "categories": f"={sheet}!$A${first + 1}:$A${last + 1}",
                     "values": f"={sheet}!$E${first + 1}:$E${last + 1}",
                     "line": {"color": "#C00000", "width": 2, "dash_type": "dash"}, "marker": {"type": "none"}})
    chart.combine(line)
    chart.set_title({"name": "一级指标得分率与合格线", "name_font": {"size": 11}})
    chart.set_y_axis({"min": 0, "max": 1, "num_format": "0%", "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": width, "height": height})
    return chart


OVERVIEW_WIDTHS = (16, 11, 11, 11, 11, 11, 11)  # A: labels and level names; B–G: figures
OVERVIEW_ROW_PX = 20  # a default row (15 pt) in pixels
CHART_ROWS = 14


def _pixels(width: float) -> int:
    """Excel's pixel width of a column ``width`` characters wide (Calibri 11 metrics)."""
    return int(width * 7 + 0.5) + 5


def _write_overview(wb, styles: Styles, s: Summary) -> None:
    """总览, for a leader: region and round, the verdict in large type, the total against the line, the levels
    with what each still needs, the reasons and the smallest recovery, the chart; the particulars after.
    Prints on one A4 page, portrait."""
    ws = wb.add_worksheet(layout.SHEET_OVERVIEW)
    project, a, scheme = s.project, s.assessment, s.result.scheme
    n = len(s.result.indicators)
    columns = score_columns(scheme)
    last_col = len(OVERVIEW_WIDTHS) - 1
    for col, width in enumerate(OVERVIEW_WIDTHS):
        ws.set_column(col, col, width)
    wide = sum(OVERVIEW_WIDTHS[1:])  # B:G, where the texts go
    ws.hide_gridlines(2)

    ws.merge_range(0, 0, 0, last_col, f"{project.region}网络市场监管与服务示范区创建评分汇总表", styles.title)
    ws.set_row(0, 28)
    ws.merge_range(1, 0, 1, last_col, f"{project.round} · {scheme.title} · {s.generated.strftime('%Y-%m-%d %H:%M')}",
                   styles.subtitle)

    # the level table first (the verdict and reasons above refer to it)
    head = 7  # rows 0–5: title, round, spacer, verdict, reasons, recovery; 6: spacer
    for col, text in enumerate(("一级指标", "得分", "分值", "得分率", "合格线", "是否达标", "还差（分）")):
        ws.write_string(head, col, text, styles.head)
    level1_range = _score_range(columns, layout.SCORE_LEVEL1, n)
    effective_range = _score_range(columns, layout.SCORE_EFFECTIVE, n)
    points_range = _score_range(columns, layout.SCORE_POINTS, n)
    level_rows = []
    for r, lv in enumerate(a.levels, start=head + 1):
        level_rows.append(r)
        name, score, points, rate, bar, ok, need = (xl_rowcol_to_cell(r, c) for c in range(7))
        ws.write_string(r, 0, lv.name, styles.label)
        ws.write_formula(r, 1, f"=SUMIF({level1_range},{name},{effective_range})", styles.number, float(lv.score))
        ws.write_formula(r, 2, f"=SUMIF({level1_range},{name},{points_range})", styles.number, float(lv.points))
        ws.write_formula(r, 3, f"=IF({points}>0,{score}/{points},0)", styles.percent(lv.rate_text), float(lv.rate))
        ws.write_number(r, 4, float(lv.threshold), styles.percent(describe_rate(lv.threshold)))
        ws.write_formula(r, 5, f'=IF({_passes(score, points, lv.threshold)},"达标","未达标")', styles.center,
                         "达标" if lv.passed else "未达标")
        ws.write_formula(r, 6, f"=MAX(0,{bar}*{points}-{score})", styles.number, float(lv.needed))
    total_row = head + len(a.levels) + 1
    first, last = level_rows[0], level_rows[-1]
    t_score, t_points, t_rate, t_bar, t_ok, t_need = (xl_rowcol_to_cell(total_row, c) for c in range(1, 7))
    ws.write_string(total_row, 0, "总分", styles.label_top)
    ws.write_formula(total_row, 1, f"=SUM({effective_range})", styles.number_top, float(a.total))
    ws.write_formula(total_row, 2, f"=SUM({points_range})", styles.number_top, float(a.total_points))
    ws.write_formula(total_row, 3, f"=IF({t_points}>0,{t_score}/{t_points},0)", styles.rate_top,
                     float(a.total / a.total_points) if a.total_points else 0)
    ws.write_number(total_row, 4, float(a.total_min), styles.number_top)
    ws.write_formula(total_row, 5, f'=IF(ROUND({t_score},6)>={t_bar},"达标","未达标")', styles.center_top,
                     "达标" if a.total >= a.total_min else "未达标")
    ws.write_formula(total_row, 6, f"=MAX(0,{t_bar}-{t_score})", styles.number_top, float(a.total_needed))
    ok_range = f"{xl_rowcol_to_cell(first, 5)}:{xl_rowcol_to_cell(total_row, 5)}"
    ws.conditional_format(ok_range, {"type": "cell", "criteria": "==", "value": '"未达标"', "format": styles.fail_text})

    # the verdict, large, with the total against the line beside it (above it, when nothing is collected yet,
    # the notice saying so)
    if s.info.notice:
        ws.merge_range(2, 0, 2, last_col, s.info.notice, styles.bad_note)
        ws.set_row(2, 15 * text_lines(s.info.notice, sum(OVERVIEW_WIDTHS)) + 4)
    else:
        ws.set_row(2, 8)
    ws.write_string(3, 0, "结论", styles.verdict_label)
    ws.merge_range(3, 1, 3, 2, "", styles.verdict_good if a.qualified else styles.verdict_bad)
    ws.write_formula(3, 1, f'=IF(COUNTIF({ok_range},"未达标")=0,"{VERDICT_PASS}","{VERDICT_FAIL}")',
                     styles.verdict_good if a.qualified else styles.verdict_bad, a.verdict)
    for word, fmt in ((VERDICT_FAIL, styles.verdict_bad), (VERDICT_PASS, styles.verdict_good)):
        ws.conditional_format(3, 1, 3, 2, {"type": "cell", "criteria": "==", "value": f'"{word}"', "format": fmt})
    verdict = xl_rowcol_to_cell(3, 1)
    ws.merge_range(3, 3, 3, last_col, "", styles.headline)
    ws.write_formula(3, 3, f'="总分"&{_xl_beside(t_score, t_bar)}&"分（合格线"&{_xl_exact(t_bar)}&"分）"',
                     styles.headline, f"总分{a.total_text}分（合格线{fmt_exact(a.total_min)}分）")
    ws.set_row(3, 48)

    # why, and the least that would change it: wrapped, each row as high as its text. Each reason is worked
    # out beside its row of the table in a hidden column (outside the printed page), then joined.
    ws.set_column(REASON_COL, REASON_COL, 40, None, {"hidden": True})
    ws.write_formula(total_row, REASON_COL, "=" + _total_reason_formula(t_score, t_bar, t_need), styles.text,
                     a.total_reason)
    for lv, r in zip(a.levels, level_rows):
        name, score, points, rate, bar, ok, need = (xl_rowcol_to_cell(r, c) for c in range(7))
        ws.write_formula(r, REASON_COL, "=" + _level_reason_formula(name, score, points, rate, need, lv.threshold),
                         styles.text, lv.reason)
    joined = "&".join(f'IF({x}="","",CHAR(10)&{x})'
                      for x in (xl_rowcol_to_cell(r, REASON_COL) for r in (total_row, *level_rows)))
    shown = pass_text(a) if a.qualified else "\n".join(a.reasons)
    ws.write_string(4, 0, "原因", styles.label_wrap)
    ws.merge_range(4, 1, 4, last_col, "", styles.reason)
    ok_formula = (f'"总分"&{_xl_beside(t_score, t_bar)}&"分，不低于合格线"&{_xl_exact(t_bar)}&'
                  f'"分，且各一级指标得分率均不低于{describe_rate(a.level_rate_min)}"')
    ws.write_formula(4, 1, f'=IF({verdict}="{VERDICT_PASS}",{ok_formula},MID({joined},2,4000))', styles.reason,
                     shown)
    ws.set_row(4, _height(shown, wide, REASON_LINE))
    recovery = s.recovery_text() + ("" if a.qualified else "（按生成时的得分计算，详见差距清单）")
    ws.write_string(5, 0, "最少补分", styles.label_wrap)
    ws.merge_range(5, 1, 5, last_col, recovery, styles.reason)
    ws.set_row(5, _height(recovery, wide, REASON_LINE))

    # the chart under the table, as wide as the page
    chart_row = total_row + 2
    width = sum(_pixels(w) for w in OVERVIEW_WIDTHS)
    ws.insert_chart(chart_row, 0, _chart(wb, first, last, width, CHART_ROWS * OVERVIEW_ROW_PX),
                    {"object_position": 3})
    row = chart_row + CHART_ROWS + 1

    # the particulars
    info = [("创建地区", project.region), ("指标体系", f"{scheme.title}（{scheme.name}）"), ("填报轮次", project.round),
            ("生成时间", s.generated.strftime("%Y-%m-%d %H:%M")),
            ("合格标准", f"总分≥{fmt_exact(a.total_min)}分，且每个一级指标得分率≥{describe_rate(a.level_rate_min)}")]
    earlier = [r for r in s.info.rounds if r.collected]
    if earlier:  # how this round compares with the one before (the whole trend is on 趋势)
        prev = earlier[-1]
        diff = a.total - prev.total
        change = "持平" if not diff else f"{'提高' if diff > 0 else '下降'}{fmt_number(abs(diff), SCORE_PLACES)}分"
        info.insert(3, ("上一轮", f"{prev.name}：总分{prev.assessment.total_text}分，{prev.assessment.verdict}；"
                                  f"本轮总分较上轮{change}（逐轮对比见“{layout.SHEET_TREND}”表）"))
    for label, value in info:
        ws.write_string(row, 0, label, styles.label)
        ws.merge_range(row, 1, row, last_col, "", styles.wrap)
        put(ws, row, 1, value, styles.wrap)
        if isinstance(value, str):
            ws.set_row(row, _height(value, wide, 14))
        row += 1
    collected = fmt_percent(Fraction(s.info.returned, s.info.expected)) if s.info.expected else "—"
    ws.write_string(row, 0, "回收情况", styles.label)
    ws.merge_range(row, 1, row, last_col, f"应回收{s.info.expected}个单位，已回收{s.info.returned}个，回收率{collected}",
                   styles.text)
    row += 1

    if a.sublevels:  # 2022: the second level, figures only (the draft of 2025 has no separate second level)
        row += 1
        level2_range = _score_range(columns, layout.SCORE_LEVEL2, n)
        for col, text in enumerate(("二级指标", "一级指标", "得分", "分值", "得分率")):
            ws.write_string(row, col, text, styles.head)
        for sub in a.sublevels:
            row += 1
            ws.write_string(row, 0, sub.name, styles.text)
            ws.write_string(row, 1, sub.parent or "", styles.text)
            name, parent, score, points = (xl_rowcol_to_cell(row, c) for c in range(4))
            ws.write_formula(row, 2, f"=SUMIFS({effective_range},{level1_range},{parent},{level2_range},{name})",
                             styles.number, float(sub.score))
            ws.write_formula(row, 3, f"=SUMIFS({points_range},{level1_range},{parent},{level2_range},{name})",
                             styles.number, float(sub.points))
            ws.write_formula(row, 4, f"=IF({points}>0,{score}/{points},0)", styles.percent(sub.rate_text),
                             float(sub.rate))
    setup_print(ws, landscape=False, pages_high=1)
    ws.print_area(0, 0, row, last_col)
    ws.center_horizontally()


REASON_LINE = 17  # points per line of the 11-pt wrapped texts on 总览
REASON_COL = 8  # hidden column I of 总览: each reason's formula, beside its row of the level table


def _height(text: str, width: int, line: int) -> float:
    """Row height in points for ``text`` wrapped in ``width`` characters — merged cells never grow by themselves."""
    return line * text_lines(text, width) + 5


# ---------------------------------------------------------------- 趋势 and 指标趋势: the rounds side by side


def trend_rounds(s: Summary) -> list[tuple[object, bool]]:
    """The rounds to compare, oldest first: the earlier ones as they were closed (zonekit.rounds.RoundResult), then
    the current one as scored now; each with whether it has been collected (one that has not shows no figures)."""
    from zonekit.rounds import result_of

    current = result_of(s.project, s.result, s.overrides, s.info, last_collect=s.info.collected_at,
                        scored=s.generated)
    waiting = bool(s.info.units) and not s.info.returned  # units with work known, none has sent anything yet
    return [(r, r.collected) for r in s.info.rounds] + [(current, not waiting)]


def _day(text: str) -> str:
    return text[:10] if text else ""


TREND_HEAD_ROW = 3
TREND_CHART_ROWS = 16


def _write_trend(wb, styles: Styles, s: Summary) -> None:
    """趋势, for a leader: one row per round (last collect, completeness, indicators missing data, total, each level's
    rate, verdict) and a line chart of the total and the level rates against their lines."""
    ws = wb.add_worksheet(layout.SHEET_TREND)
    a, scheme = s.assessment, s.result.scheme
    rounds = trend_rounds(s)
    levels = [lv.name for lv in a.levels]
    columns = [("轮次", 8), ("最近回收", 11), ("回收率", 8), ("缺数据指标", 7), ("总分", 7), ("合格线", 7),
               *((f"{name}得分率", 9) for name in levels), ("得分率合格线", 8), ("结论", 8), ("说明", 26)]
    last_col = len(columns) - 1
    ws.merge_range(0, 0, 0, last_col, f"{s.project.region}各轮自评得分趋势", styles.title)
    ws.set_row(0, 28)
    ws.merge_range(1, 0, 1, last_col, f"{scheme.title} · 合格标准：总分≥{fmt_exact(a.total_min)}分，且每个一级指标得分率"
                   f"≥{describe_rate(a.level_rate_min)} · 已结束的轮次按结束时存档的结果，{s.project.round}按"
                   f" {s.generated.strftime('%Y-%m-%d %H:%M')} 的评分", styles.subtitle)
    head = TREND_HEAD_ROW
    for col, (text, width) in enumerate(columns):
        ws.write_string(head, col, text, styles.head)
        ws.set_column(col, col, width)
    ws.set_row(head, 32)
    total_col, line_col, first_rate = 4, 5, 6
    bar_col, verdict_col, note_col = first_rate + len(levels), first_rate + len(levels) + 1, last_col
    for row, (r, collected) in enumerate(rounds, start=head + 1):
        ra = r.assessment
        ws.write_string(row, 0, r.name, styles.label)
        notes = []
        if r.closed:
            notes.append(f"{_day(r.closed)}结束，存档结果")
        elif r.name == s.project.round:
            notes.append("当前轮次")
        same = (r.scheme, r.scheme_version) == (scheme.name, str(scheme.version or ""))
        if not same:
            notes.append(f"指标体系为「{r.scheme_title or r.scheme}」，一级指标得分率未列")
        if not collected:
            ws.write_string(row, 1, "尚未回收", styles.text)
            for col in range(2, verdict_col + 1):
                ws.write_blank(row, col, None, styles.text)
        else:
            ws.write_string(row, 1, _day(r.last_collect) or "—", styles.text)
            if r.expected:
                ws.write_number(row, 2, float(r.completeness), styles.percent(r.completeness_text))
            else:
                ws.write_string(row, 2, "—", styles.text)
            ws.write_number(row, 3, r.incomplete, styles.text)
            ws.write_number(row, total_col, float(r.total), styles.decimal(ra.total_text))
            ws.write_number(row, line_col, float(r.total_min), styles.text)
            rates = {lv.name: lv for lv in ra.levels} if same else {}
            for n, name in enumerate(levels):
                lv = rates.get(name)
                if lv is None:
                    ws.write_blank(row, first_rate + n, None, styles.text)
                else:
                    ws.write_number(row, first_rate + n, float(lv.rate), styles.percent(lv.rate_text))
            ws.write_number(row, bar_col, float(r.level_rate_min), styles.percent(describe_rate(r.level_rate_min)))
            ws.write_string(row, verdict_col, ra.verdict, styles.good if ra.qualified else styles.bad)
        ws.write_string(row, note_col, "；".join(notes), styles.wrap)
    last = head + len(rounds)
    ws.conditional_format(head + 1, first_rate, last, first_rate + len(levels) - 1,
                          {"type": "cell", "criteria": "<", "value": float(a.level_rate_min),
                           "format": styles.fail_text})
    ws.conditional_format(head + 1, total_col, last, total_col,
                          {"type": "cell", "criteria": "<", "value": float(a.total_min), "format": styles.fail_text})
    chart_row = last + 2
    width = sum(_pixels(w) for _, w in columns)
    ws.insert_chart(chart_row, 0, _trend_chart(wb, rounds, levels, head, last, total_col, line_col, first_rate,
                                               bar_col, a, width, TREND_CHART_ROWS * OVERVIEW_ROW_PX),
                    {"object_position": 3})
    ws.freeze_panes(head + 1, 1)
    setup_print(ws, head, landscape=True, pages_high=1)
    ws.print_area(0, 0, chart_row + TREND_CHART_ROWS, last_col)


LEVEL_COLOURS = ("#2E75B6", "#70AD47", "#7030A0", "#BF9000", "#00B0F0", "#FF66CC", "#7F7F7F")


def _trend_chart(wb, rounds, levels, head, last, total_col, line_col, first_rate, bar_col, a, width, height):
    """The total (left axis, in points) and each level's rate (right axis, in percent) per round, with the
    qualifying line of each dashed. The total carries its value as zonekit shows it (never rounded onto the line)."""
    sheet = f"'{layout.SHEET_TREND}'"

    def ref(col: int) -> str:
        return f"={sheet}!${xl_col_to_name(col)}${head + 2}:${xl_col_to_name(col)}${last + 1}"

    categories = ref(0)
    chart = wb.add_chart({"type": "line"})
    labels = [{"value": r.assessment.total_text} if collected else {"delete": True} for r, collected in rounds]
    chart.add_series({"name": "总分", "categories": categories, "values": ref(total_col),
                      "line": {"color": "#1F3864", "width": 3}, "marker": {"type": "circle", "size": 7,
                                                                          "fill": {"color": "#1F3864"},
                                                                          "border": {"color": "#1F3864"}},
                      "data_labels": {"value": True, "custom": labels, "position": "above"}})
    chart.add_series({"name": f"总分合格线（{fmt_exact(a.total_min)}分）", "categories": categories,
                      "values": ref(line_col), "line": {"color": "#C00000", "width": 2, "dash_type": "dash"},
                      "marker": {"type": "none"}})
    for n, name in enumerate(levels):
        colour = LEVEL_COLOURS[n % len(LEVEL_COLOURS)]
        chart.add_series({"name": f"{name}得分率", "categories": categories, "values": ref(first_rate + n),
                          "y2_axis": True, "line": {"color": colour, "width": 1.75},
                          "marker": {"type": "square", "size": 5, "fill": {"color": colour},
                                     "border": {"color": colour}}})
    chart.add_series({"name": f"得分率合格线（{describe_rate(a.level_rate_min)}）", "categories": categories,
                      "values": ref(bar_col), "y2_axis": True,
                      "line": {"color": "#ED7D31", "width": 2, "dash_type": "round_dot"}, "marker": {"type": "none"}})
    chart.set_title({"name": "总分与一级指标得分率（虚线为合格线）", "name_font": {"size": 11}})
    chart.set_y_axis({"name": "总分（分）", "min": 0, "max": float(a.total_points), "major_gridlines": {"visible": True}})
    chart.set_y2_axis({"name": "得分率", "min": 0, "max": 1, "num_format": "0%"})
    chart.set_x_axis({"name": "填报轮次"})
    chart.set_legend({"position": "bottom"})
    chart.show_blanks_as("gap")
    chart.set_size({"width": width, "height": height})
    return chart


def score_change(now: Fraction | None, before: Fraction | None) -> str:
    """提升 +1.5 / 下降 -2 / 持平 between two rounds' scores of one indicator ('—' when either is missing); the
    difference as zonekit.exact shows it, never rounded to zero."""
    if now is None or before is None:
        return "—"
    if now == before:
        return layout.TREND_SAME
    diff = fmt_number(abs(now - before), 4)
    return f"{layout.TREND_UP} +{diff}" if now > before else f"{layout.TREND_DOWN} -{diff}"


def _write_score_trend(wb, styles: Styles, s: Summary) -> None:
    """指标趋势: each indicator's effective score in every round scored on the same scheme, and 提升 / 下降 against
    the round before (the cell coloured too)."""
    ws = wb.add_worksheet(layout.SHEET_SCORE_TREND)
    scheme = s.result.scheme
    version = str(scheme.version or "")
    rounds = [r for r, collected in trend_rounds(s) if collected and (r.scheme, r.scheme_version) == (scheme.name, version)]
    left = [r.name for r, collected in trend_rounds(s) if r not in rounds]
    columns = (Column("编号", width=5), Column(scheme.indicator_label or layout.INDICATOR_HEADER, width=46),
               Column("分值", width=5), *(Column(r.name, width=8) for r in rounds), Column("较上轮", width=12))
    title = f"各{scheme.indicator_label or '指标'}逐轮得分（有效得分：有核定得分的按核定得分）"
    ws.merge_range(0, 0, 0, len(columns) - 1, title, styles.title)
    ws.set_row(0, 26)
    note = "较上轮：本轮与上一轮相比，绿色为提升，红色为下降。" + \
        (f"未列入：{'、'.join(left)}（尚未回收或指标体系不同）。" if left else "")
    ws.merge_range(1, 0, 1, len(columns) - 1, note, styles.note)
    ws.set_row(1, 30)
    rows = []
    for res in s.result.indicators:
        scores = [r.scores.get(res.number) for r in rounds]
        row = [res.number, res.name, res.points]
        for n, value in enumerate(scores):
            before = scores[n - 1] if n else None

            def cell(ws_, r, c, value=value, before=before, points=res.points):
                if value is None:
                    ws_.write_blank(r, c, None, styles.text)
                    return
                moved = TREND_UP_FILL if before is not None and value > before else \
                    TREND_DOWN_FILL if before is not None and value < before else {}
                shown = fmt_number(value, SCORE_PLACES, (points,))
                ws_.write_number(r, c, float(value), styles.decimal(shown, **moved))
            row.append(cell)
        change = score_change(scores[-1], scores[-2]) if len(scores) > 1 else "—"

        def mark(ws_, r, c, change=change):
            moved = TREND_UP_FILL if change.startswith(layout.TREND_UP) else \
                TREND_DOWN_FILL if change.startswith(layout.TREND_DOWN) else {}
            ws_.write_string(r, c, change, styles.decimal("0", **moved) if moved else styles.text)  # the fill only
        rows.append([*row, mark])
    table(ws, styles, columns, rows, header_row=2, wrap_cols=(1,))


TREND_UP_FILL = {"bg_color": "#C6EFCE", "font_color": "#006100"}
TREND_DOWN_FILL = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}


# ---------------------------------------------------------------- the other sheets


def _write_gaps(wb, styles: Styles, s: Summary) -> None:
    ws = wb.add_worksheet(layout.SHEET_GAPS)
    ws.merge_range(0, 0, 0, len(layout.GAP_COLUMNS) - 1, "差距清单：失分指标及得分途径（按可挽回分值排序）", styles.title)
    ws.merge_range(1, 0, 1, len(layout.GAP_COLUMNS) - 1, s.recovery_text(), styles.note)
    ws.set_row(1, 30)
    rows = [[pos, g.number, g.name, g.level1, g.points, g.score, g.recoverable, "★" if g.number in s.recovery else "",
             units_text(g.leads), units_text(g.responsibles), "\n".join(g.actions)]
            for pos, g in enumerate(s.gaps, start=1)]
    table(ws, styles, layout.for_scheme(layout.GAP_COLUMNS, s.result.scheme.indicator_label), rows, header_row=2,
          wrap_cols=(2, 8, 9, 10))


def _write_progress(wb, styles: Styles, s: Summary) -> None:
    ws = wb.add_worksheet(layout.SHEET_PROGRESS)
    project = s.project
    known = {u.name: u for u in s.info.units}
    lost_of: dict[str, Fraction] = {}
    for ind in s.result.scheme.indicators:
        a = project.assignments.get(ind.number)
        for lead in (a.leads if a else []):
            lost_of[lead] = lost_of.get(lead, Fraction(0)) + ind.points - s.scores[ind.number]
    rows = []
    names = [u.name for u in project.units] + [u for u in known if u not in {x.name for x in project.units}]
    for name in names:
        roles = project.roles_of(name)
        p = known.get(name) or UnitProgress(name, layout.STATE_MISSING if roles else "无任务")
        unit = next((u for u in project.units if u.name == name), None)
        rows.append([name, p.status, sum(1 for _, r in roles if r == layout.ROLE_LEAD),
                     sum(1 for _, r in roles if r == layout.ROLE_RESPONSIBLE), lost_of.get(name, Fraction(0)),
                     "\n".join(p.files), p.received, p.errors, p.warnings, p.missing,
                     unit.contact if unit else "", unit.phone if unit else "", p.note])
    table(ws, styles, layout.PROGRESS_COLUMNS, rows, wrap_cols=(0, 5, 12), plain=True)


def _write_issues(wb, styles: Styles, s: Summary) -> None:
    ws = wb.add_worksheet(layout.SHEET_ISSUES)
    table(ws, styles, layout.ISSUE_COLUMNS, issue_rows(s.issues), wrap_cols=(2, 3, 7), plain=True)


def _write_answers(wb, styles: Styles, s: Summary) -> None:
    ws = wb.add_worksheet(layout.SHEET_ANSWERS)
    rows = [[c.number, c.kind, c.key, c.label, c.year, c.value, c.unit, c.by, Path(c.file).name if c.file else "",
             c.cell, c.status, c.note] for c in s.info.contributions]
    if not rows:  # no intake details: list the merged answers at least
        scheme = s.result.scheme
        for (key, year), value in sorted(s.info.answers.values.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
            item = scheme.data_items.get(key)
            rows.append(["", "数据", key, item.label if item else key, year, value, item.unit if item else "",
                         "", "", "", "采用", ""])
        for key, claimed in s.info.answers.claims.items():
            rows.append([key.split(".")[0], "是否达到", key, _item_text(scheme, key), None, claimed, "", "", "", "",
                         "采用", ""])
        for key, given in s.info.answers.judged.items():
            rows.append([key.split(".")[0], "自评分", key, _item_text(scheme, key), None, given, "分", "", "", "",
                         "采用", ""])
    for row in rows:  # rates as percentages, the way they were typed
        if row[6] == "%" and isinstance(row[5], Fraction):
            row[5] = Styled(row[5], styles.rate)
    table(ws, styles, layout.ANSWER_COLUMNS, rows, wrap_cols=(3, 11), plain=True)
    key = layout.ANSWER_COLUMNS.index(layout.ANSWER_KEY)
    ws.set_column(key, key, layout.ANSWER_KEY.width, None, {"hidden": True})  # row keys are for zonekit, not for people


def _item_text(scheme, key: str) -> str:
    try:
        return scheme.item(key).text
    except KeyError:
        return key


def _write_evidence(wb, styles: Styles, s: Summary, base: Path) -> None:
    ws = wb.add_worksheet(layout.SHEET_EVIDENCE)
    names = {i.number: i.name for i in s.result.scheme.indicators}
    rows = []
    for e in s.info.evidence:
        def link(ws_, r, c, target=e.path, name=e.name):  # relative to the summary's folder, from anywhere
            write_link(ws_, r, c, target, base, styles.link, name, "打开佐证材料")

        rows.append([e.number, names.get(e.number, ""), e.unit, e.round, e.name, link, e.note])
    table(ws, styles, layout.for_scheme(layout.EVIDENCE_COLUMNS, s.result.scheme.indicator_label), rows,
          wrap_cols=(1, 6))


# ---------------------------------------------------------------- entry points


def render_summary(path: Path, summary: Summary, outputs=None) -> None:
    """Write the summary workbook for ``summary`` at ``path``: atomically, or staged in ``outputs`` (the run's
    zonekit.files.OutputSet, committed by the caller with its other outputs). Links are relative to ``path``."""
    path = Path(path)
    with (nullcontext(outputs.path(path)) if outputs is not None else atomic_path(path)) as tmp:
        wb = new_workbook(tmp)
        wb.set_properties({"title": f"{summary.project.region}评分汇总表", "author": "zonekit"})
        styles = Styles(wb)
        _write_overview(wb, styles, summary)
        _write_trend(wb, styles, summary)
        _write_scores(wb, styles, summary)
        _write_score_trend(wb, styles, summary)
        _write_gaps(wb, styles, summary)
        _write_progress(wb, styles, summary)
        _write_issues(wb, styles, summary)
        _write_answers(wb, styles, summary)
        _write_evidence(wb, styles, summary, path.parent)
        wb.close()


def write_summary(path, project, result: ScoreResult, overrides: dict[str, Fraction] | None = None,
                  collect_info: CollectInfo | None = None, issues=(), generated: datetime | None = None,
                  outputs=None) -> Summary:
    """Build and write 评分汇总表.xlsx (staged in ``outputs`` when given, see render_summary); returns what it
    shows (verdict, gaps, recovery) for the caller to print."""
    summary = build_summary(project, result, overrides, collect_info, issues, generated)
    render_summary(Path(path), summary, outputs)
    return summary
