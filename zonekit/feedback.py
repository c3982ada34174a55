"""Feedback workbooks, one per unit: the points its indicators lose, what is still open and the issues found in
its returns — ready to send back for the next round. Writes only into the output folder, atomically."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from zonekit import layout
from zonekit.evidence import safe_name
from zonekit.exact import fmt_number
from zonekit.files import OutputSet
from zonekit.summary import Styles, Summary, UnitProgress, issue_rows, new_workbook, put, table, text_lines
from zonekit.pages import setup_print


@dataclass
class UnitFeedback:
    unit: str
    lost: list[list]  # rows of 失分指标
    todo: list[list]  # rows of 待办事项
    issues: list  # Issue records of this unit
    lead_lost: Fraction
    progress: UnitProgress


def unit_feedback(summary: Summary, unit: str) -> UnitFeedback:
    """What one unit needs to hear back: its lost points, open items and issues (pure)."""
    project, result = summary.project, summary.result
    gaps = {g.number: g for g in summary.gaps}
    progress = next((u for u in summary.info.units if u.name == unit), UnitProgress(unit, layout.STATE_MISSING))
    lost, todo, lead_lost = [], [], Fraction(0)
    if not progress.returned:
        todo.append(["", "", "尚未收到本单位的填报表，请按下发的填报表填写后尽快报送创建办。"])
    for ind, role in project.roles_of(unit):
        res = result.indicator(ind.number)
        score = summary.scores[ind.number]
        gap = gaps.get(ind.number)
        if score < ind.points:
            lost.append([ind.number, ind.name, role, ind.points, score, ind.points - score,
                         "\n".join(gap.actions) if gap else "", res.trace])
            if role == layout.ROLE_LEAD:
                lead_lost += ind.points - score
        if role != layout.ROLE_LEAD:
            continue
        if res.missing:
            todo.append([ind.number, ind.name, "请补报：" + "、".join(dict.fromkeys(res.missing))])
        if ind.number in summary.info.conflicts:
            todo.append([ind.number, ind.name, "多个单位填报的数值不一致，请与相关单位核对后报送一致的数值。"])
        for target in summary.targets.get(ind.number, []):
            todo.append([ind.number, ind.name, target])
    issues = [i for i in summary.issues if i.unit == unit]
    if issues:
        todo.append(["", "", f"本单位填报表有{len(issues)}个问题（见「{layout.SHEET_ISSUES}」），请修改后重新报送。"])
    return UnitFeedback(unit, lost, todo, issues, lead_lost, progress)


def _write_one(tmp: Path, summary: Summary, fb: UnitFeedback, refilled: Path | None = None) -> None:
    project, a = summary.project, summary.assessment
    wb = new_workbook(tmp)
    wb.set_properties({"title": f"{fb.unit}评分反馈", "author": "zonekit"})
    styles = Styles(wb)
    ws = wb.add_worksheet(layout.SHEET_FEEDBACK_INFO)
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 70)
    ws.write_string(0, 0, f"{project.region}示范区创建评分反馈：{fb.unit}", styles.title)
    contact = "，".join(x for x in (project.office, project.contact, project.phone, project.email) if x)
    rows = [("单位", fb.unit), ("填报轮次", project.round), ("生成时间", summary.generated.strftime("%Y-%m-%d %H:%M")),
            ("回收状态", fb.progress.status),
            ("本单位牵头指标失分", f"{fmt_number(fb.lead_lost)}分"),
            ("失分指标", f"{len(fb.lost)}项（见「{layout.SHEET_FEEDBACK_LOST}」）"),
            ("待办事项", f"{len(fb.todo)}项（见「{layout.SHEET_FEEDBACK_TODO}」）"),
            ("填报问题", f"{len(fb.issues)}个（见「{layout.SHEET_ISSUES}」）"),
            ("全县当前得分", f"{a.total_text}分（合格线{fmt_number(a.total_min)}分），{a.verdict}"),
            ("联系创建办", contact)]
    if refilled is not None:
        rows.append(("续填表", f"{refilled.name}：本单位的填报表，已填入本单位报送的内容，有问题的单元格标为"
                              f"{layout.PROBLEM_COLOUR}并附批注。请在该表上修改、补充后报送，未改动的内容不会丢失。"))
    for r, (label, value) in enumerate(rows, start=2):
        ws.write_string(r, 0, label, styles.label)
        put(ws, r, 1, value, styles.wrap)
        ws.set_row(r, 14 * text_lines(str(value), 70) + 4)
    closing = "请在下一轮填报中补齐待办事项、修改所列问题，并为自评「是」的分项附上佐证材料。"
    last = len(rows) + 3  # across both columns and wrapped: it is never cut off at the first column's edge
    ws.merge_range(last, 0, last, 1, closing, styles.note)
    ws.set_row(last, 14 * text_lines(closing, 18 + 70) + 4)
    setup_print(ws, landscape=False)
    label = project.scheme.indicator_label
    lost, todo = (layout.for_scheme(c, label) for c in (layout.FEEDBACK_LOST_COLUMNS, layout.FEEDBACK_TODO_COLUMNS))
    table(wb.add_worksheet(layout.SHEET_FEEDBACK_LOST), styles, lost, fb.lost, wrap_cols=(1, 6, 7))
    table(wb.add_worksheet(layout.SHEET_FEEDBACK_TODO), styles, todo, fb.todo, wrap_cols=(1, 2))
    table(wb.add_worksheet(layout.SHEET_ISSUES), styles, layout.ISSUE_COLUMNS, issue_rows(fb.issues),
          wrap_cols=(3, 7))
    wb.close()


def feedback_path(output: Path, unit: str) -> Path:
    return Path(output) / layout.FEEDBACK_DIR / layout.FEEDBACK_FILE.format(unit=safe_name(unit))


def write_feedback(summary: Summary, output: Path | None = None, outputs: OutputSet | None = None,
                   refills=()) -> list[Path]:
    """One feedback workbook per unit with work to do, in ``output``/单位反馈 (default: the project's output);
    beside them ``refills`` (zonekit.refill.Refilled: each unit's workbook with its answers filled back in),
    which its feedback names.

    All of them are replaced together at the end, or none is: in ``outputs`` (the run's OutputSet, committed by
    the caller with its other outputs), else in a set of their own. Returns the feedback workbooks' paths."""
    output = (Path(output) if output is not None else summary.project.output).absolute()  # OutputSet targets
    units = [u.name for u in summary.project.units if summary.project.roles_of(u.name)]
    paths = [feedback_path(output, unit) for unit in units]
    refilled = {made.unit: output / layout.FEEDBACK_DIR / made.name for made in refills}
    if outputs is None:
        with OutputSet(output, paths + list(refilled.values())) as own:
            return write_feedback(summary, output, own, refills)
    for made in refills:
        outputs.path(refilled[made.unit]).write_bytes(made.data)
    for unit, path in zip(units, paths):
        _write_one(outputs.path(path), summary, unit_feedback(summary, unit), refilled.get(unit))
    return paths
