"""`zonekit score DIR`: load the project, take the merged returns from its ledger, apply verified scores, score,
and write the summary (and, on request, one feedback workbook per unit). Writes only into the project's output
folder; never rewrites what collect wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path

from zonekit import layout, projectcache
from zonekit.exact import fmt_at_least, fmt_exact
from zonekit.files import OutputSet
from zonekit.issues import Issue, Report
from zonekit.project import Project
from zonekit.scoring import ScoreResult, score
from zonekit.summary import CollectInfo, Contribution, Evidence, Summary, UnitProgress, write_summary
from zonekit.verify import apply_verifications

KIND_NAMES = {"data": "数据", "list": "名单", "claim": "是否达到", "judged": "自评分", "national": "全国数据"}
RETURNED_STATES = (layout.STATE_REPORTED, layout.STATE_RETURNED)


@dataclass
class ScoreRun:
    project: Project
    result: ScoreResult
    overrides: dict[str, Fraction]
    summary: Summary
    report: Report  # this run's own issues: the 评分核定 entries refused or questioned
    summary_path: Path
    feedback_paths: list[Path] = field(default_factory=list)
    refill_paths: list[Path] = field(default_factory=list)  # each unit's workbook refilled with its answers

    @property
    def valid(self) -> bool:
        return self.report.valid

    def to_dict(self) -> dict:
        out = self.summary.to_dict()
        out.update({"summary": str(self.summary_path), "feedback": [str(p) for p in self.feedback_paths],
                    "refilled": [str(p) for p in self.refill_paths],
                    "verified": {n: fmt_exact(v) for n, v in self.overrides.items()},
                    "issues": [i.to_dict() for i in self.report.issues]})
        return out

    def render(self) -> str:
        a = self.result.assessment
        lines = [self.summary.info.notice] if self.summary.info.notice else []
        lines.append(f"{self.project.region}：总分{a.total_text}分（合格线{fmt_exact(a.total_min)}分），{a.verdict}")
        for lv in a.levels:
            mark = "达标" if lv.passed else f"未达标，还需至少{fmt_at_least(lv.needed)}分"
            lines.append(f"  {lv.name} {lv.score_text}/{fmt_exact(lv.points)}分，{mark}")
        lines += [f"原因：{r}" for r in a.reasons]
        if not a.qualified:
            lines.append(self.summary.recovery_text())
        info = self.summary.info
        lines.append(f"回收：{info.returned}/{info.expected}个单位；已核定{len(self.overrides)}项指标。")
        if self.report.issues:
            lines.append(self.report.render())
        lines.append(f"评分汇总表：{self.summary_path}")
        if self.feedback_paths:
            lines.append(f"单位反馈：{len(self.feedback_paths)}份，在 {self.feedback_paths[0].parent}"
                         + (f"；另有{len(self.refill_paths)}份续填表（已填入各单位报送的内容）" if self.refill_paths else ""))
        return "\n".join(lines)


def collect_info_from(collected, project: Project) -> CollectInfo:
    """The summary's view of a ``zonekit.collect.CollectResult``."""
    units = [UnitProgress(u.unit, u.state, u.state in RETURNED_STATES and bool(u.last_file), list(u.files),
                          u.received_at.replace("T", " ")[:16], len(u.errors), len(u.warnings), len(u.missing),
                          u.role) for u in collected.units]
    given = []
    for c in collected.contributions:
        value = c.text if c.kind == "list" or c.value is None else c.value
        given.append(Contribution(c.indicator, KIND_NAMES.get(c.kind, c.kind), c.key, c.label, value, c.unit, c.year,
                                  c.measure, c.file, f"{c.sheet}!{c.cell}" if c.sheet and c.cell else c.sheet,
                                  c.status, c.note))
    names = {i.number: i.name for i in project.scheme.indicators}
    for number, entries in collected.progress.items():
        for e in entries:
            if e.progress or e.problems:
                note = "；".join(x for x in (f"佐证：{e.evidence}" if e.evidence else "",
                                             f"问题：{e.problems}" if e.problems else "") if x)
                given.append(Contribution(number, layout.IND_PROGRESS.header, number, names.get(number, ""),
                                          e.progress, e.unit, file=e.file, cell=f"{e.sheet} 第{e.row}行",
                                          status=e.role, note=note))
    evidence = [Evidence(e.indicator, e.unit, Path(e.path).name, project.output / e.path,
                         "；".join(x for x in (f"来自 {e.source} {e.sheet}!{e.cell}", e.note(project.round)) if x),
                         e.round, bool(e.earlier(project.round)))
                for e in collected.evidence]
    return CollectInfo(collected.answers, units, given, evidence, set(collected.conflicts),
                       progress=dict(collected.progress))


def collect_notice(collected_before: bool, info: CollectInfo) -> str:
    """What the clerk must know before reading any score: nothing has been collected yet."""
    if info.returned == 0:
        never = "还没有运行过 zonekit collect，" if not collected_before else ""
        return (f"尚未回收：{never}还没有收到任何单位交回的填报表，以下得分均按未填计算，不代表实际水平。"
                f"请把各单位交回的文件放进 {layout.RETURNED_DIR} 后运行 zonekit collect。")
    if not collected_before:
        return (f"还没有运行过 zonekit collect：本次评分直接读取了 {layout.RETURNED_DIR} 中现有的文件"
                f"（{info.returned}/{info.expected}个单位交回），回收登记已写在 {layout.OUTPUT_DIR}。")
    return ""


def open_issues(collected) -> list[Issue]:
    """Issues someone still has to act on: every warning, and the blocking ones not already superseded."""
    remaining = collected.remaining
    return [i for i in collected.issues.issues if not i.blocking or i in remaining]


def assess(project: Project, collected, project_report: Report | None = None
           ) -> tuple[ScoreResult, dict[str, Fraction], Report, CollectInfo]:
    """Score the merged answers of ``collected`` (a zonekit.collect.CollectResult) with the project's verified
    scores: the result, the verified scores applied, the issues of 评分核定 (those ``project_report`` found reading
    it, and the entries refused), and the summary's view of the collect. Writes nothing."""
    scheme = project.scheme
    computed = score(scheme, collected.answers, project.years, project.region_class)
    overrides, report = apply_verifications(scheme, computed, project.verifications)
    report.extend(i for i in (project_report.issues if project_report else []) if i.sheet == layout.SHEET_VERIFY)
    result = score(scheme, collected.answers, project.years, project.region_class, overrides)
    return result, overrides, report, collect_info_from(collected, project)


def run_score(directory, unit_reports: bool = False, today: date | None = None) -> ScoreRun:
    """Score the project in ``directory`` from its ledger and write 3-输出/评分汇总表.xlsx (atomically).

    Reads what the last collect recorded (no returned file is opened, no collect output rewritten); before any
    collect, collects once. Raises ProjectError when the project workbook is unusable.
    """
    from zonekit.collect import collect, from_ledger, has_collected
    from zonekit.rounds import read_history
    from zonekit.workbench import load_project, read_project

    project, project_report = read_project(directory, remember=True)  # as collect left it, when unchanged
    if project is None or project_report.errors:
        project = load_project(directory)  # raises ProjectError with the standard listing
    collected_before = has_collected(project)
    collected = from_ledger(project, today) if collected_before else collect(project, today=today)
    result, overrides, report, info = assess(project, collected, project_report)
    info.notice = collect_notice(collected_before, info)
    info.rounds, info.collected_at = read_history(project)
    path = project.output / layout.SUMMARY
    # the summary and the unit reports are replaced together at the end, or none is (one of them open in
    # Excel stops the run with one message, before anything is replaced)
    with OutputSet(project.output, [layout.SUMMARY]) as out:
        summary = write_summary(path.absolute(), project, result, overrides, info,
                                report.issues + open_issues(collected), outputs=out)
        run = ScoreRun(project, result, overrides, summary, report, path)
        if unit_reports:
            from zonekit.feedback import write_feedback
            from zonekit.refill import adopted_returns, refill_all

            refills = refill_all(project, adopted_returns(collected))
            run.feedback_paths = write_feedback(summary, outputs=out, refills=refills)
            run.refill_paths = [project.output / layout.FEEDBACK_DIR / made.name for made in refills]
    projectcache.keep(project)
    return run
