"""`zonekit review`: several projects' results side by side in one workbook — a province's 初审 of its candidates
(seed 004 第十三条) or a city's overview of its counties: one row per project, an indicator × region matrix of scores,
a chart of the totals against the line.

Reads each project's 工作台.xlsx and its ledger (SQLite opened read-only, ``mode=ro``); never writes into a project
folder. A folder that cannot be compared is listed with its reason, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from zonekit import layout
from zonekit.errors import ProjectError, ZonekitError
from zonekit.exact import fmt_exact, fmt_number
from zonekit.files import OutputSet
from zonekit.layout import Column
from zonekit.pages import setup_print
from zonekit.rounds import RoundResult
from zonekit.scheme import describe_rate
from zonekit.scoring import SCORE_PLACES
from zonekit.summary import text_lines


@dataclass
class Reviewed:
    """One folder given to review: its result (the current round, or the last closed one while the current has not
    been collected), or why it cannot be compared."""

    directory: Path
    result: RoundResult | None = None
    reason: str = ""  # why it is not compared, in Chinese; '' when it is
    note: str = ""  # said beside its row (e.g. which round is shown)

    @property
    def ok(self) -> bool:
        return self.result is not None

    @property
    def scheme_key(self) -> tuple[str, str]:
        return (self.result.scheme, self.result.scheme_version) if self.result else ("", "")

    @property
    def label(self) -> str:
        return (self.result.region if self.result and self.result.region else "") or self.directory.name


def read_reviewed(directory, today: date | None = None) -> Reviewed:
    """The result of the project in ``directory`` from its ledger (read-only), or the reason it has none."""
    from zonekit.ledger import Ledger
    from zonekit.rounds import current_result, history
    from zonekit.workbench import read_project

    folder = Path(directory)
    if not folder.is_dir():
        return Reviewed(folder, reason="不是文件夹，或无法打开")
    if not (folder / layout.PROJECT_WORKBOOK).is_file():
        return Reviewed(folder, reason=f"不是 zonekit 项目文件夹（其中没有 {layout.PROJECT_WORKBOOK}）")
    try:
        project, report = read_project(folder)
        if project is None or report.errors:
            first = report.errors[0].message if report.errors else "无法读取"
            return Reviewed(folder, reason=f"{layout.PROJECT_WORKBOOK} 有{len(report.errors)}个错误，无法读取：{first}")
        ledger = Ledger.open(folder, readonly=True)
        if ledger is None:
            return Reviewed(folder, reason="还没有回收过（没有运行过 zonekit collect），没有可以比较的结果")
        with ledger:
            if ledger.runs() == 0:
                return Reviewed(folder, reason="还没有回收过（没有运行过 zonekit collect），没有可以比较的结果")
            result, _ = current_result(project, ledger, today)
            if result.collected:  # a round still coming back is said to be so: its total may yet change
                missing = result.expected - result.returned
                note = f"「{result.name}」回收未完成：{result.returned}/{result.expected}个单位已交回" if missing > 0 else ""
                return Reviewed(folder, result, note=note)
            # a new round nothing has come back for yet: the one before stands
            shown = next((r for r in reversed(history(ledger, project)[0]) if r.known and r.collected), None)
            if shown is None:
                return Reviewed(folder, reason=f"「{project.round}」还没有收到任何单位的填报表，没有可以比较的结果")
            return Reviewed(folder, shown, note=f"「{project.round}」尚未回收，列出「{shown.name}」结束时的结果")
    except ZonekitError as exc:  # a damaged or too new ledger, a scheme file gone: said, not raised
        return Reviewed(folder, reason=str(exc))
    except OSError as exc:
        return Reviewed(folder, reason=f"无法读取（{exc.strerror or exc}）")


@dataclass
class Review:
    projects: list[Reviewed]  # compared ones by total (highest first), then the others
    output: Path
    schemes: dict[tuple[str, str], list[Reviewed]] = field(default_factory=dict)

    @property
    def compared(self) -> list[Reviewed]:
        return [p for p in self.projects if p.ok]

    @property
    def skipped(self) -> list[Reviewed]:
        return [p for p in self.projects if not p.ok]

    def render(self) -> str:
        from zonekit.states import render_table

        rows = []
        for n, p in enumerate(self.projects, start=1):
            if p.ok:
                a = p.result.assessment
                rows.append([str(n), p.label, p.result.province or "—", p.result.name, a.total_text, a.verdict,
                             p.result.completeness_text, p.note])
            else:
                rows.append([str(n), p.label, "—", "—", "—", "—", "—", p.reason])
        lines = [render_table(["序号", "地区", "省份", "轮次", "总分", "结论", "回收率", "说明"], rows)]
        qualified = sum(1 for p in self.compared if p.result.assessment.qualified)
        lines.append(f"比较{len(self.compared)}个项目：合格{qualified}个，不合格{len(self.compared) - qualified}个"
                     + (f"；另有{len(self.skipped)}个文件夹无法比较（原因见上）" if self.skipped else "") + "。")
        if len(self.schemes) > 1:
            lines.append("注意：这些项目使用不同的指标体系（--force），各指标体系的指标得分分表列出："
                         + "；".join(f"{key[0]}（{'、'.join(p.label for p in group)}）"
                                     for key, group in self.schemes.items()))
        lines.append(f"汇总表：{self.output}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"output": str(self.output),
                "projects": [{"directory": str(p.directory), "ok": p.ok, "reason": p.reason, "note": p.note,
                              **(p.result.to_dict() if p.ok else {})} for p in self.projects]}


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def review(directories, output, *, force: bool = False, today: date | None = None,
           generated: datetime | None = None) -> Review:
    """Compare the projects in ``directories`` and write the workbook ``output`` (through an OutputSet).

    Raises ProjectError, writing nothing, when the output would land inside one of the projects, or (unless
    ``force``) when the projects that can be compared are on different schemes — the message says which."""
    output = Path(output)
    if output.suffix.lower() != ".xlsx":
        raise ProjectError(f"输出文件 {output} 须以 .xlsx 结尾，例如 -o 汇总.xlsx。")
    seen, folders = set(), []
    for d in directories:
        key = Path(d).resolve()
        if key not in seen:
            seen.add(key)
            folders.append(Path(d))
    for folder in folders:
        if _inside(output, folder):
            raise ProjectError(f"输出文件 {output} 在被比较的项目文件夹 {folder} 中；review 不在任何项目中写文件，"
                               f"请把 -o 指向这些项目之外的位置（例如 -o 汇总.xlsx）。")
    reviewed = [read_reviewed(f, today) for f in folders]
    schemes: dict[tuple[str, str], list[Reviewed]] = {}
    for p in reviewed:
        if p.ok:
            schemes.setdefault(p.scheme_key, []).append(p)
    if len(schemes) > 1 and not force:
        parts = [f"「{group[0].result.scheme_title or key[0]}」（{key[0]}{' ' + key[1] if key[1] else ''}）："
                 f"{'、'.join(f'{p.label}（{p.directory}）' for p in group)}" for key, group in schemes.items()]
        raise ProjectError("这些项目使用的指标体系不同，得分不能直接比较，没有写出汇总表：\n  " + "\n  ".join(parts)
                           + "\n请按指标体系分开比较；确要放在一张表中时加 --force（各指标体系的指标得分分表列出）。")
    ordered = sorted((p for p in reviewed if p.ok), key=lambda p: (-p.result.total, p.label)) + \
        [p for p in reviewed if not p.ok]
    result = Review(ordered, output, schemes)
    with OutputSet(output.parent, [output.name]) as out:
        write_review(out.path(output.name), result, generated or datetime.now())
    return result


# ---------------------------------------------------------------- the workbook


def write_review(path: Path, review_: Review, generated: datetime) -> None:
    from zonekit.summary import Styles, new_workbook

    wb = new_workbook(path)
    wb.set_properties({"title": "示范区创建评估结果汇总", "author": "zonekit"})
    styles = Styles(wb)
    _write_table(wb, styles, review_, generated)
    _write_chart(wb, review_)
    for key, group in review_.schemes.items():
        name = layout.SHEET_REVIEW_MATRIX if len(review_.schemes) == 1 else \
            f"{layout.SHEET_REVIEW_MATRIX}（{key[0]}）"[:31]
        _write_matrix(wb, styles, name, group, [p for p in review_.compared if p in group])
    wb.close()


def _levels(review_: Review) -> list[str]:
    out: list[str] = []
    for p in review_.compared:
        out += [name for name, _, _ in p.result.levels if name not in out]
    return out


def _write_table(wb, styles, review_: Review, generated: datetime) -> None:
    from zonekit.states import local_minutes
    from zonekit.summary import table

    ws = wb.add_worksheet(layout.SHEET_REVIEW)
    levels = _levels(review_)
    columns = (Column("序号", width=5), Column("地区", width=10), Column("省份", width=8), Column("指标体系", width=8),
               Column("轮次", width=7), Column("总分", width=7), *(Column(f"{name}得分率", width=8) for name in levels),
               Column("结论", width=7), Column("回收率", width=7), Column("缺数据指标", width=6),
               Column("冲突指标", width=6), Column("核定得分项", width=6), Column("最近回收", width=11),
               Column("说明", width=30))
    compared = review_.compared
    qualified = sum(1 for p in compared if p.result.assessment.qualified)
    last_col = len(columns) - 1
    ws.merge_range(0, 0, 0, last_col, f"网络市场监管与服务示范区创建评估结果汇总（{len(compared)}个地区）", styles.title)
    ws.set_row(0, 28)
    schemes = "；".join(f"{key[0]}：{group[0].result.scheme_title}" for key, group in review_.schemes.items())
    standard = "；".join(sorted({f"总分≥{fmt_exact(p.result.total_min)}分，且每个一级指标得分率≥"
                                 f"{describe_rate(p.result.level_rate_min)}" for p in compared}))
    subtitle = (f"{generated.strftime('%Y-%m-%d %H:%M')} 汇总 · 合格{qualified}个，不合格{len(compared) - qualified}个"
                f" · 合格标准：{standard or '—'} · 指标体系 {schemes or '—'} · 按总分从高到低排列，"
                f"各项取自各地区项目的工作台和回收台账（只读）")
    ws.merge_range(1, 0, 1, last_col, subtitle, styles.note)
    ws.set_row(1, 15 * text_lines(subtitle, sum(c.width for c in columns)) + 4)

    def number(value, fmt):
        return lambda ws_, r, c: ws_.write_number(r, c, float(value), fmt)

    rows = []
    for n, p in enumerate(review_.projects, start=1):
        if not p.ok:
            rows.append([n, p.label, *[""] * (len(columns) - 3), f"未比较：{p.reason}（{p.directory}）"])
            continue
        r = p.result
        a = r.assessment
        rates = {lv.name: lv for lv in a.levels}
        row = [n, p.label, r.province or "—", r.scheme, r.name,
               number(r.total, styles.decimal(a.total_text, **({} if r.total >= r.total_min else FAILING)))]
        for name in levels:
            lv = rates.get(name)
            row.append("" if lv is None else
                       number(lv.rate, styles.percent(lv.rate_text, **({} if lv.passed else FAILING))))
        row.append(lambda ws_, r_, c, a=a: ws_.write_string(r_, c, a.verdict, styles.good if a.qualified else styles.bad))
        row.append(number(r.completeness, styles.percent(r.completeness_text)) if r.expected else "—")
        row += [r.incomplete, r.conflicts, len(r.verified), local_minutes(r.last_collect)[:10] or "—",
                "；".join(x for x in (p.note, str(p.directory)) if x)]
        rows.append(row)
    table(ws, styles, columns, rows, header_row=3, wrap_cols=(1, last_col))
    ws.freeze_panes(4, 2)
    for r, p in enumerate(review_.projects, start=4):
        if not p.ok:
            ws.write_string(r, last_col, rows[r - 4][-1], styles.bad_note)


def _write_chart(wb, review_: Review) -> None:
    """The totals, highest first, as columns (green qualifies, red does not) against the line, dashed."""
    compared = review_.compared
    ws = wb.add_worksheet(layout.SHEET_REVIEW_CHART)
    ws.write_row(0, 0, ["地区", "总分", "合格线"])
    for n, p in enumerate(compared, start=1):
        ws.write_string(n, 0, p.label)
        ws.write_number(n, 1, float(p.result.total))
        ws.write_number(n, 2, float(p.result.total_min))
    ws.set_column(0, 2, 12, None, {"hidden": True})  # the chart's data, under it
    setup_print(ws, landscape=True, pages_high=1)
    if not compared:
        return
    count, sheet = len(compared), f"'{layout.SHEET_REVIEW_CHART}'"
    categories = f"={sheet}!$A$2:$A${count + 1}"
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "总分", "categories": categories, "values": f"={sheet}!$B$2:$B${count + 1}",
                      "points": [{"fill": {"color": "#70AD47" if p.result.assessment.qualified else "#E06666"}}
                                 for p in compared],
                      "data_labels": {"value": True, "custom": [{"value": p.result.assessment.total_text}
                                                                for p in compared]}})
    line = wb.add_chart({"type": "line"})
    line.add_series({"name": "合格线", "categories": categories, "values": f"={sheet}!$C$2:$C${count + 1}",
                     "line": {"color": "#C00000", "width": 2, "dash_type": "dash"}, "marker": {"type": "none"}})
    chart.combine(line)
    chart.set_title({"name": "各地区总分（按总分排列；绿色合格，红色不合格，虚线为合格线）", "name_font": {"size": 11}})
    chart.set_y_axis({"min": 0, "max": max(float(p.result.total_points) for p in compared), "name": "总分（分）",
                      "major_gridlines": {"visible": True}})
    chart.set_legend({"none": True})
    chart.set_size({"width": max(900, 48 * count + 120), "height": 460})
    ws.insert_chart(0, 0, chart, {"object_position": 3})


def _write_matrix(wb, styles, name: str, group: list[Reviewed], ordered: list[Reviewed]) -> None:
    """Indicators down, regions across (highest total first): each cell the indicator's score, coloured on a scale
    from 0 (red) to the indicator's points (green); the totals last."""
    from zonekit.summary import table

    ws = wb.add_worksheet(name)
    first = ordered[0].result
    regions = [p.label for p in ordered]
    repeated = {x for x in regions if regions.count(x) > 1}
    headers = [f"{p.label}（{p.directory.name}）" if p.label in repeated else p.label for p in ordered]
    columns = (Column("编号", width=5), Column("指标", width=38), Column("分值", width=5),
               *(Column(h, width=max(7, min(12, len(h) * 2))) for h in headers))
    rows = []
    for number, ind_name, points, _ in first.indicators:
        row = [number, ind_name, points]
        for p in ordered:
            value = p.result.scores.get(number)

            def cell(ws_, r, c, value=value, points=points):
                if value is None:
                    ws_.write_blank(r, c, None, styles.text)
                else:
                    ws_.write_number(r, c, float(value), styles.decimal(fmt_number(value, SCORE_PLACES, (points,))))
            row.append(cell)
        rows.append(row)
    totals = ["", "总分", first.total_points]
    for p in ordered:
        totals.append(lambda ws_, r, c, p=p: ws_.write_number(r, c, float(p.result.total),
                                                              styles.decimal(p.result.assessment.total_text,
                                                                             bold=True, top=1)))
    rows.append(totals)
    table(ws, styles, columns, rows, header_row=0, wrap_cols=(1,))
    for r, (_, _, points, _) in enumerate(first.indicators, start=1):
        ws.conditional_format(r, 3, r, 2 + len(ordered),
                              {"type": "3_color_scale", "min_type": "num", "min_value": 0, "min_color": "#F8696B",
                               "mid_type": "num", "mid_value": float(points) / 2, "mid_color": "#FFEB84",
                               "max_type": "num", "max_value": float(points), "max_color": "#63BE7B"})
    ws.freeze_panes(1, 3)


FAILING = {"bold": True, "font_color": "#9C0006"}  # a total or rate below its line
