"""The scored summary workbook (评分汇总表.xlsx): overview with live formulas and chart, indicator scores, gap list,
unit progress, issues, answers and evidence. Writes only its own output file, atomically; reads nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from zonekit import layout
from zonekit.answers import Answers
from zonekit.evidence import write_link
from zonekit.exact import fmt_number
from zonekit.files import atomic_path
from zonekit.pages import setup_print
from zonekit.gaps import Gap, gap_list, smallest_recovery, unmet_targets
from zonekit.issues import Issue
from zonekit.layout import Column
from zonekit.project import Project
from zonekit.scheme import describe_rate
from zonekit.scoring import ScoreResult
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


@dataclass
class CollectInfo:
    """What the last collect found, in the shape the summary needs."""

    answers: Answers = field(default_factory=Answers)
    units: list[UnitProgress] = field(default_factory=list)
    contributions: list[Contribution] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    conflicts: set[str] = field(default_factory=set)  # indicator numbers with conflicting answers
    collected_at: str = ""

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
        parts = [f"指标{n}「{by_number[n].name}」（+{fmt_number(by_number[n].recoverable)}分）" for n in self.recovery]
        total = sum((by_number[n].recoverable for n in self.recovery), Fraction(0))
        return f"最少补足以下{len(self.recovery)}项指标即可合格（共{fmt_number(total)}分）：" + "、".join(parts)

    def to_dict(self) -> dict:
        out = self.assessment.to_dict()
        out["recovery"] = self.recovery
        out["recovery_text"] = self.recovery_text()
        out["gaps"] = [{"number": g.number, "name": g.name, "lost": fmt_number(g.lost),
                        "recoverable": fmt_number(g.recoverable), "leads": g.leads, "text": g.text}
                       for g in self.gaps]
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
        self.link = wb.add_format({**base, "font_color": "blue", "underline": 1})
        self.whole_rate = wb.add_format({**base, "num_format": "0%"})
        self.center = wb.add_format({**base, "align": "center"})

    def rate_of(self, value: Fraction):
        """'75%' for a whole percentage, '75.5%' otherwise — as describe_rate writes it."""
        return self.whole_rate if (value * 100).denominator == 1 else self.rate


def new_workbook(path: Path) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)


def put(ws, row: int, col: int, value, fmt=None) -> None:
    """Numbers as numbers, everything else as text (never a formula, URL or number parsed from text)."""
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, layout.YES if value else layout.NO, fmt)
    elif isinstance(value, (int, float, Fraction)):
        ws.write_number(row, col, float(value), fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def text_lines(text: str, width: int) -> int:
    """Lines a wrapped cell needs: a CJK character is two columns wide, ASCII one."""
    usable = max(width - 1, 4)
    return sum(max(1, -(-sum(2 if ord(ch) > 0x2E7F else 1 for ch in part) // usable)) for part in text.split("\n"))


def table(ws, styles: Styles, columns: tuple[Column, ...], rows: list[list], header_row: int = 0,
          wrap_cols: tuple[int, ...] = ()) -> None:
    """A header row, data rows, frozen header, autofilter, widths, print setup — and row heights for wrapped
    text, which LibreOffice does not grow by itself."""
    for col, column in enumerate(columns):
        ws.write_string(header_row, col, column.header, styles.head)
        ws.set_column(col, col, column.width)
    ws.set_row(header_row, 15 * max(text_lines(c.header, c.width) for c in columns) + 4)
    for r, values in enumerate(rows, start=header_row + 1):
        lines = 1
        for col, value in enumerate(values):
            if callable(value):
                value(ws, r, col)
                continue
            put(ws, r, col, value, styles.wrap if col in wrap_cols else styles.text)
            if col in wrap_cols and isinstance(value, str):
                lines = max(lines, text_lines(value, columns[col].width))
        if lines > 1:
            ws.set_row(r, min(409, 14 * lines + 4))
    ws.freeze_panes(header_row + 1, 0)
    ws.autofilter(header_row, 0, header_row + max(len(rows), 1), len(columns) - 1)
    setup_print(ws, header_row)


def issue_rows(issues: list[Issue]) -> list[list]:
    ordered = sorted(issues, key=lambda i: not i.blocking)
    return [[i.severity, i.code, i.unit, Path(i.file).name if i.file else "", i.sheet, i.cell, i.value, i.message]
            for i in ordered]


def units_text(names: list[str]) -> str:
    return "、".join(names)


# ---------------------------------------------------------------- 指标得分


def _col(column: Column) -> int:
    return layout.SCORE_COLUMNS.index(column)


def _score_range(column: Column, n: int) -> str:
    """Absolute range of one 指标得分 column over the indicator rows, for 总览 formulas."""
    letter = xl_col_to_name(_col(column))
    return f"'{layout.SHEET_SCORES}'!${letter}$2:${letter}${n + 1}"


def _write_scores(wb, styles: Styles, s: Summary) -> None:
    ws = wb.add_worksheet(layout.SHEET_SCORES)
    project = s.project
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
        rows.append([res.level1, res.level2 or "", res.number, res.name, res.points, res.score,
                     s.overrides.get(res.number), reason, None, None, res.trace,
                     units_text(a.leads) if a else "", units_text(a.responsibles) if a else "",
                     "、".join(s.flags[res.number])])
    table(ws, styles, layout.SCORE_COLUMNS, rows,
          wrap_cols=(_col(layout.SCORE_NAME), _col(layout.SCORE_TRACE), _col(layout.SCORE_REASON),
                     _col(layout.SCORE_LEADS), _col(layout.SCORE_RESPONSIBLES)))
    points, computed, verified_col, effective, lost = (
        _col(layout.SCORE_POINTS), _col(layout.SCORE_COMPUTED), _col(layout.SCORE_VERIFIED),
        _col(layout.SCORE_EFFECTIVE), _col(layout.SCORE_LOST))
    for r, res in enumerate(s.result.indicators, start=1):
        p, c, v = (xl_rowcol_to_cell(r, x) for x in (points, computed, verified_col))
        put(ws, r, verified_col, s.overrides.get(res.number), styles.input)
        # a verified score counts when it is a number within [0, points], as `score` applies them
        ws.write_formula(r, effective, f"=IF(AND(ISNUMBER({v}),{v}>=0,{v}<={p}),{v},{c})", styles.number,
                         float(s.scores[res.number]))
        e = xl_rowcol_to_cell(r, effective)
        ws.write_formula(r, lost, f"={p}-{e}", styles.number, float(res.points - s.scores[res.number]))
    ws.freeze_panes(1, _col(layout.SCORE_NAME) + 1)
    ws.data_validation(1, verified_col, len(rows), verified_col,
                       {"validate": "decimal", "criteria": ">=", "value": 0, "ignore_blank": True,
                        "input_title": "核定得分", "input_message": "填写后有效得分与总览自动重算；不超过分值。"})


# ---------------------------------------------------------------- 总览


def _level_reason_formula(name_cell, score, points, rate, needed, threshold: Fraction) -> str:
    return (f'=IF({_passes(score, points, threshold)},"",'
            f'"一级指标「"&{name_cell}&"」得分"&ROUND({score},2)&"/"&ROUND({points},2)&"分，得分率"&'
            f'TEXT({rate},"0.0%")&"，低于{describe_rate(threshold)}，还需至少"&ROUND({needed},2)&"分")')


def _passes(score: str, points: str, threshold: Fraction) -> str:
    # rounded to 6 places on both sides so that binary floats never decide a boundary the exact check decided
    return f"ROUND({score},6)>=ROUND({points}*{float(threshold)!r},6)"


def _write_overview(wb, styles: Styles, s: Summary) -> None:
    ws = wb.add_worksheet(layout.SHEET_OVERVIEW)
    project, a, scheme = s.project, s.assessment, s.result.scheme
    n = len(s.result.indicators)
    ws.set_column(0, 0, 16)
    ws.set_column(1, 6, 11)
    ws.set_column(7, 7, 2)
    ws.merge_range(0, 0, 0, 6, f"{project.region}网络市场监管与服务示范区创建评分汇总表", styles.title)
    ws.set_row(0, 28)
    info = [("创建地区", project.region), ("指标体系", f"{scheme.title}（{scheme.name}）"), ("填报轮次", project.round),
            ("生成时间", s.generated.strftime("%Y-%m-%d %H:%M")),
            ("合格标准", f"总分≥{fmt_number(a.total_min)}分，且每个一级指标得分率≥{describe_rate(a.level_rate_min)}")]
    row = 2
    for label, value in info:
        ws.write_string(row, 0, label, styles.label)
        ws.merge_range(row, 1, row, 6, "", styles.text)
        put(ws, row, 1, value, styles.text)
        row += 1
    ws.write_string(row, 0, "回收情况", styles.label)
    ws.write_string(row, 1, "应回收", styles.text)
    ws.write_number(row, 2, s.info.expected, styles.number)
    ws.write_string(row, 3, "已回收", styles.text)
    ws.write_number(row, 4, s.info.returned, styles.number)
    ws.write_string(row, 5, "回收率", styles.text)
    expected, returned = xl_rowcol_to_cell(row, 2), xl_rowcol_to_cell(row, 4)
    ws.write_formula(row, 6, f"=IF({expected}>0,{returned}/{expected},0)", styles.rate,
                     float(Fraction(s.info.returned, s.info.expected)) if s.info.expected else 0)
    row += 2

    head = row
    for col, text in enumerate(("指标", "得分", "分值", "得分率", "合格线", "是否达标", "还差（分）")):
        ws.write_string(head, col, text, styles.head)
    level1_range, level2_range = _score_range(layout.SCORE_LEVEL1, n), _score_range(layout.SCORE_LEVEL2, n)
    effective_range, points_range = _score_range(layout.SCORE_EFFECTIVE, n), _score_range(layout.SCORE_POINTS, n)
    level_rows = []
    for r, lv in enumerate(a.levels, start=head + 1):
        level_rows.append(r)
        name, score, points, rate, bar, ok, need = (xl_rowcol_to_cell(r, c) for c in range(7))
        ws.write_string(r, 0, lv.name, styles.label)
        ws.write_formula(r, 1, f"=SUMIF({level1_range},{name},{effective_range})", styles.number, float(lv.score))
        ws.write_formula(r, 2, f"=SUMIF({level1_range},{name},{points_range})", styles.number, float(lv.points))
        ws.write_formula(r, 3, f"=IF({points}>0,{score}/{points},0)", styles.rate, float(lv.rate))
        ws.write_number(r, 4, float(lv.threshold), styles.rate_of(lv.threshold))
        ws.write_formula(r, 5, f'=IF({_passes(score, points, lv.threshold)},"达标","未达标")', styles.center,
                         "达标" if lv.passed else "未达标")
        ws.write_formula(r, 6, f"=MAX(0,{bar}*{points}-{score})", styles.number, float(lv.needed))
    total_row = head + len(a.levels) + 1
    first, last = level_rows[0], level_rows[-1]
    t_score, t_points, t_rate, t_bar, t_ok, t_need = (xl_rowcol_to_cell(total_row, c) for c in range(1, 7))
    ws.write_string(total_row, 0, "总分", styles.label)
    ws.write_formula(total_row, 1, f"=SUM({effective_range})", styles.number, float(a.total))
    ws.write_formula(total_row, 2, f"=SUM({points_range})", styles.number, float(a.total_points))
    ws.write_formula(total_row, 3, f"=IF({t_points}>0,{t_score}/{t_points},0)", styles.rate,
                     float(a.total / a.total_points) if a.total_points else 0)
    ws.write_number(total_row, 4, float(a.total_min), styles.number)
    ws.write_formula(total_row, 5, f'=IF(ROUND({t_score},6)>={t_bar},"达标","未达标")', styles.center,
                     "达标" if a.total >= a.total_min else "未达标")
    ws.write_formula(total_row, 6, f"=MAX(0,{t_bar}-{t_score})", styles.number, float(a.total_needed))

    verdict_row = total_row + 1
    ok_range = f"{xl_rowcol_to_cell(first, 5)}:{xl_rowcol_to_cell(total_row, 5)}"
    ws.write_string(verdict_row, 0, "结论", styles.label)
    ws.write_formula(verdict_row, 1, f'=IF(COUNTIF({ok_range},"未达标")=0,"合格","不合格")',
                     styles.good if a.qualified else styles.bad, a.verdict)
    ws.conditional_format(verdict_row, 1, verdict_row, 1,
                          {"type": "cell", "criteria": "==", "value": '"不合格"', "format": styles.bad})
    ws.conditional_format(verdict_row, 1, verdict_row, 1,
                          {"type": "cell", "criteria": "==", "value": '"合格"', "format": styles.good})
    verdict = xl_rowcol_to_cell(verdict_row, 1)
    row = verdict_row + 1
    ws.write_string(row, 0, "结论说明", styles.label)
    ws.merge_range(row, 1, row, 6, "", styles.wrap)
    ok_text = (f"总分{fmt_number(a.total)}分，不低于{fmt_number(a.total_min)}分，"
               f"且各一级指标得分率均不低于{describe_rate(a.level_rate_min)}")
    ws.write_formula(row, 1, f'=IF({verdict}="合格","总分"&ROUND({t_score},2)&"分，不低于{fmt_number(a.total_min)}分，'
                             f'且各一级指标得分率均不低于{describe_rate(a.level_rate_min)}","未合格，原因如下")',
                     styles.wrap, ok_text if a.qualified else "未合格，原因如下")
    row += 1
    # one line per possible reason, empty while it does not apply — so edits in 指标得分 move them too
    total_reason = next((r for r in a.reasons if r.startswith("总分")), "")
    ws.write_string(row, 0, "原因", styles.label)
    ws.merge_range(row, 1, row, 6, "", styles.wrap)
    ws.write_formula(row, 1, f'=IF(ROUND({t_score},6)>={t_bar},"","总分"&ROUND({t_score},2)&"分，低于合格线"&'
                             f'ROUND({t_bar},2)&"分，还差"&ROUND({t_need},2)&"分")', styles.wrap, total_reason)
    for lv, r in zip(a.levels, level_rows):
        row += 1
        name, score, points, rate, bar, ok, need = (xl_rowcol_to_cell(r, c) for c in range(7))
        cached = next((x for x in a.reasons if x.startswith(f"一级指标「{lv.name}」")), "")
        ws.merge_range(row, 1, row, 6, "", styles.wrap)
        ws.write_formula(row, 1, _level_reason_formula(name, score, points, rate, need, lv.threshold), styles.wrap,
                         cached)
    row += 1
    ws.write_string(row, 0, "最少补分", styles.label)
    ws.merge_range(row, 1, row, 6, s.recovery_text() + "（按生成时的得分计算，详见差距清单）", styles.wrap)
    ws.set_row(row, 30)
    row += 2

    if a.sublevels:
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
            ws.write_formula(row, 4, f"=IF({points}>0,{score}/{points},0)", styles.rate, float(sub.rate))

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
    ws.insert_chart(2, 8, chart, {"x_scale": 1.0, "y_scale": 1.2})
    setup_print(ws)
    ws.print_area(0, 0, max(row, 30), 15)


# ---------------------------------------------------------------- the other sheets


def _write_gaps(wb, styles: Styles, s: Summary) -> None:
    ws = wb.add_worksheet(layout.SHEET_GAPS)
    ws.merge_range(0, 0, 0, len(layout.GAP_COLUMNS) - 1, "差距清单：失分指标及得分途径（按可挽回分值排序）", styles.title)
    ws.merge_range(1, 0, 1, len(layout.GAP_COLUMNS) - 1, s.recovery_text(), styles.note)
    ws.set_row(1, 30)
    rows = [[pos, g.number, g.name, g.level1, g.points, g.score, g.recoverable, "★" if g.number in s.recovery else "",
             units_text(g.leads), units_text(g.responsibles), "\n".join(g.actions)]
            for pos, g in enumerate(s.gaps, start=1)]
    table(ws, styles, layout.GAP_COLUMNS, rows, header_row=2, wrap_cols=(2, 8, 9, 10))


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
    table(ws, styles, layout.PROGRESS_COLUMNS, rows, wrap_cols=(0, 5, 12))


def _write_issues(wb, styles: Styles, s: Summary) -> None:
    ws = wb.add_worksheet(layout.SHEET_ISSUES)
    table(ws, styles, layout.ISSUE_COLUMNS, issue_rows(s.issues), wrap_cols=(2, 3, 7))


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
            row[5] = lambda ws_, r, c, v=row[5]: ws_.write_number(r, c, float(v), styles.rate)
    table(ws, styles, layout.ANSWER_COLUMNS, rows, wrap_cols=(3, 11))


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

        rows.append([e.number, names.get(e.number, ""), e.unit, e.name, link, e.note])
    table(ws, styles, layout.EVIDENCE_COLUMNS, rows, wrap_cols=(1, 5))


# ---------------------------------------------------------------- entry points


def render_summary(path: Path, summary: Summary) -> None:
    """Write the summary workbook for ``summary`` at ``path`` (atomically)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        wb.set_properties({"title": f"{summary.project.region}评分汇总表", "author": "zonekit"})
        styles = Styles(wb)
        _write_overview(wb, styles, summary)
        _write_scores(wb, styles, summary)
        _write_gaps(wb, styles, summary)
        _write_progress(wb, styles, summary)
        _write_issues(wb, styles, summary)
        _write_answers(wb, styles, summary)
        _write_evidence(wb, styles, summary, path.parent)
        wb.close()


def write_summary(path, project, result: ScoreResult, overrides: dict[str, Fraction] | None = None,
                  collect_info: CollectInfo | None = None, issues=(), generated: datetime | None = None) -> Summary:
    """Build and write 评分汇总表.xlsx; returns what it shows (verdict, gaps, recovery) for the caller to print."""
    summary = build_summary(project, result, overrides, collect_info, issues, generated)
    render_summary(Path(path), summary)
    return summary
