"""Rounds of returns over the creation period (填报轮次): a round's result kept in the project's ledger when the next
one starts, the next round's unit workbooks pre-filled with each unit's merged answers, the list of rounds, and the
undoing of a round started by mistake.

A closed round's result is never changed (only `round undo`, before the new round has received anything, opens it
again). Writes only the project's ledger, 工作台.xlsx (基本信息, keeping a backup) and 1-下发.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

from zonekit import layout
from zonekit.errors import OutputError, ProjectError
from zonekit.exact import fmt_exact, fmt_percent
from zonekit.ledger import Ledger
from zonekit.scoring import Assessment, LevelResult
from zonekit.issues import Report

DEFAULT_FIRST = "第1轮"


# ---------------------------------------------------------------- one round's result


@dataclass
class RoundResult:
    """A round as it stands (the current one, computed from the ledger) or as it was closed (stored in the ledger):
    what the summary's trend, the report, `round list` and `review` show of it. Scores are exact Fractions; the
    texts come from the library's own formatting (never rounded across a line)."""

    name: str
    region: str = ""
    province: str = ""
    scheme: str = ""
    scheme_version: str = ""
    scheme_title: str = ""
    started: str = ""  # ISO 8601
    closed: str = ""  # '' while the round is open
    last_collect: str = ""  # when the round's last collect finished; '' before any
    scored: str = ""  # when this result was computed, local time
    deadline: str = ""  # ISO date, '' when none was set
    expected: int = 0  # units with work to do
    returned: int = 0  # of which sent a return
    states: dict[str, int] = field(default_factory=dict)  # 已报 / 未报 / 逾期 / 退回 → units
    incomplete: int = 0  # indicators still missing an input
    conflicts: int = 0  # indicators where two lead units disagree
    verified: dict[str, Fraction] = field(default_factory=dict)  # indicator → verified score applied
    total: Fraction = Fraction(0)
    total_points: Fraction = Fraction(0)
    total_min: Fraction = Fraction(0)
    level_rate_min: Fraction = Fraction(0)
    levels: list[tuple[str, Fraction, Fraction]] = field(default_factory=list)  # (name, points, score)
    indicators: list[tuple[str, str, Fraction, Fraction]] = field(default_factory=list)  # number, name, points, score
    reasons: list[str] = field(default_factory=list)
    known: bool = True  # False: a round the ledger knows by name only (closed without zonekit round start)

    @property
    def collected(self) -> bool:
        """Whether the round has results to show: collected, and some unit has sent a return."""
        return bool(self.last_collect) and (self.returned > 0 or not self.expected)

    @property
    def assessment(self) -> Assessment:
        """The qualification check as it came out, rebuilt from the figures (its texts as scoring writes them)."""
        levels = [LevelResult(name, points, score, self.level_rate_min) for name, points, score in self.levels]
        qualified = self.total >= self.total_min and all(lv.passed for lv in levels)
        return Assessment(self.total, self.total_points, self.total_min, self.level_rate_min, levels, [], qualified,
                          list(self.reasons))

    @property
    def scores(self) -> dict[str, Fraction]:
        return {number: score for number, _, _, score in self.indicators}

    @property
    def completeness(self) -> Fraction | None:
        """Units that sent a return, of those with work to do."""
        return Fraction(self.returned, self.expected) if self.expected else None

    @property
    def completeness_text(self) -> str:
        return fmt_percent(self.completeness) if self.expected else "—"

    def same_scheme(self, other: "RoundResult") -> bool:
        return (self.scheme, self.scheme_version) == (other.scheme, other.scheme_version)

    def to_json(self) -> dict:
        out = {k: getattr(self, k) for k in ("name", "region", "province", "scheme", "scheme_version", "scheme_title",
                                             "started", "closed", "last_collect", "scored", "deadline", "expected",
                                             "returned", "states", "incomplete", "conflicts", "reasons")}
        out.update({k: str(getattr(self, k)) for k in ("total", "total_points", "total_min", "level_rate_min")})
        out["verified"] = {n: str(v) for n, v in self.verified.items()}
        out["levels"] = [[name, str(points), str(score)] for name, points, score in self.levels]
        out["indicators"] = [[n, name, str(points), str(score)] for n, name, points, score in self.indicators]
        return out

    @classmethod
    def from_json(cls, data: dict) -> "RoundResult":
        plain = {k: data[k] for k in ("name", "region", "province", "scheme", "scheme_version", "scheme_title",
                                      "started", "closed", "last_collect", "scored", "deadline", "expected",
                                      "returned", "states", "incomplete", "conflicts", "reasons") if k in data}
        exact = {k: Fraction(data[k]) for k in ("total", "total_points", "total_min", "level_rate_min") if k in data}
        return cls(**plain, **exact, verified={n: Fraction(v) for n, v in data.get("verified", {}).items()},
                   levels=[(name, Fraction(p), Fraction(s)) for name, p, s in data.get("levels", [])],
                   indicators=[(n, name, Fraction(p), Fraction(s)) for n, name, p, s in data.get("indicators", [])])

    def to_dict(self) -> dict:
        """For --json: the figures as zonekit shows them."""
        a = self.assessment
        return {"round": self.name, "region": self.region, "province": self.province, "scheme": self.scheme,
                "started": self.started, "closed": self.closed, "last_collect": self.last_collect,
                "deadline": self.deadline, "collected": self.collected, "units_expected": self.expected,
                "units_returned": self.returned, "completeness": self.completeness_text,
                "incomplete_indicators": self.incomplete, "conflicts": self.conflicts,
                "verified": len(self.verified), **({} if not self.collected else a.to_dict())}


def result_of(project, result, overrides: dict[str, Fraction], info, *, started: str = "", last_collect: str = "",
              scored: datetime | None = None) -> RoundResult:
    """The current round's result from a score (zonekit.scorecmd.assess: the ScoreResult, the verified scores
    applied and the summary's CollectInfo)."""
    a = result.assessment
    scheme = result.scheme
    effective = {r.number: overrides.get(r.number, r.score) for r in result.indicators}
    states: dict[str, int] = {}
    for u in info.units:
        states[u.status] = states.get(u.status, 0) + 1
    return RoundResult(
        project.round, project.region, project.province, scheme.name, str(scheme.version or ""), scheme.title,
        started, "", last_collect, (scored or datetime.now()).replace(microsecond=0).isoformat(sep=" "),
        project.deadline.isoformat() if project.deadline else "", info.expected, info.returned, states,
        sum(1 for r in result.indicators if r.missing), len(info.conflicts), dict(overrides), a.total,
        a.total_points, a.total_min, a.level_rate_min, [(lv.name, lv.points, lv.score) for lv in a.levels],
        [(r.number, r.name, r.points, effective[r.number]) for r in result.indicators], list(a.reasons))


def history(ledger: Ledger, project) -> tuple[list[RoundResult], str, str]:
    """The earlier rounds (each as it was closed, in order), and the current round's start and last collect."""
    stored = ledger.round_results()
    closed, started, last = [], "", ""
    for row in ledger.rounds():
        if row["name"] == project.round:
            started, last = row["started"], row["last_collect"]
            continue
        if row["name"] in stored:
            closed.append(RoundResult.from_json(stored[row["name"]]))
        else:
            closed.append(RoundResult(row["name"], project.region, project.province, started=row["started"],
                                      closed=row["closed"], last_collect=row["last_collect"], known=False))
    return closed, started, last


def read_history(project) -> tuple[list[RoundResult], str]:
    """The earlier rounds with a stored result and when the current round was last collected (for the summary),
    from the project's ledger opened read-only."""
    ledger = Ledger.open(project.root, readonly=True)
    if ledger is None:
        return [], ""
    with ledger:
        closed, _, last = history(ledger, project)
    return [r for r in closed if r.known], last


def current_result(project, ledger: Ledger, today: date | None = None):
    """The current round's result from ``ledger`` (no returned file opened, nothing written), with what it was
    computed from: (RoundResult, CollectResult)."""
    from zonekit.collect import assemble
    from zonekit.scorecmd import assess

    collected = assemble(project, ledger, today or date.today())
    result, overrides, _, info = assess(project, collected)
    _, started, last = history(ledger, project)
    return result_of(project, result, overrides, info, started=started, last_collect=last), collected


# ---------------------------------------------------------------- starting the next round


def next_name(current: str, used: set[str]) -> str:
    """第2轮 after 第1轮 (any name not of that form counts the rounds already recorded); never a name used before."""
    m = re.fullmatch(r"第\s*(\d+)\s*轮", current or DEFAULT_FIRST)
    n = int(m[1]) + 1 if m else len(used | {current}) + 1
    while f"第{n}轮" in used:
        n += 1
    return f"第{n}轮"


def changed_since_collect(project, ledger: Ledger) -> list[str]:
    """Files in 2-回收 the last collect did not see as they are now (added or changed since): display paths."""
    from zonekit.collect import display_path, input_files

    sources = ledger.sources()
    walked = set(ledger.leaves(project.round))
    out = []
    for path in input_files(project):
        shown = display_path(path, project)
        try:
            info = path.stat()
        except OSError:
            continue
        known = sources.get(shown)
        if known is not None:
            if (known.size, known.mtime_ns, known.round) != (info.st_size, info.st_mtime_ns, project.round):
                out.append(shown)
        elif shown not in walked:
            out.append(shown)
    return out


def round_note(closed: RoundResult, new: str) -> str:
    """The line a pre-filled workbook of the next round says first in its 续填说明."""
    when = f"（截至{closed.last_collect[:10]}）" if closed.last_collect else ""
    return (f"本表是「{new}」的填报表，已填入本单位「{closed.name}」报送的全部内容{when}。请逐项核对：有变化的改为最新"
            f"情况，没有变化的保留原样即可；「{closed.name}」随表报送的图片创建办已留存，本轮有新的佐证材料时再粘贴或附上。")


@dataclass
class RoundStart:
    project: object  # the project as it is now, in the new round
    closed: RoundResult
    generated: object  # zonekit.generate.GenerateResult
    prefilled: list[str]  # units whose workbook carries their answers
    blank: list[str]  # units that sent nothing usable in the closed round: a blank workbook
    archive: Path  # the closed round's workbooks and manifest, kept
    backup: Path  # the previous 工作台.xlsx
    deadline_note: str = ""
    forced: list[str] = field(default_factory=list)  # files not collected into the closed round (--force)

    def render(self) -> str:
        c, p = self.closed, self.project
        a = c.assessment
        lines = [f"「{c.name}」已结束并存档：回收{c.returned}/{c.expected}个单位，总分{a.total_text}分，{a.verdict}"
                 f"（已核定{len(c.verified)}项）。",
                 f"填报轮次改为「{p.round}」（工作台 基本信息；原工作台备份为 {self.backup.name}）。",
                 f"已生成「{p.round}」的填报表{len(self.prefilled) + len(self.blank)}份，在 {self.generated.out_dir}："
                 f"{len(self.prefilled)}份已填入各单位「{c.name}」报送的内容"
                 + (f"，{len(self.blank)}份为空白表（{'、'.join(self.blank)}在「{c.name}」没有交回可用的填报表）"
                    if self.blank else "") + "。",
                 f"「{c.name}」下发的填报表和清单另存了一份在 {self.archive}。"]
        if self.deadline_note:
            lines.append(self.deadline_note)
        if self.generated.report.warnings:  # e.g. indicators of the plan that no lead unit answers for
            lines.append(Report(self.generated.report.warnings).render())
        if self.forced:
            lines.append(f"注意：{len(self.forced)}个最近一次回收之后放入或改动的文件没有计入「{c.name}」（--force）："
                         + "、".join(self.forced[:5]) + ("……" if len(self.forced) > 5 else ""))
        if c.verified:
            lines.append(f"评分核定中的{len(c.verified)}条核定在「{p.round}」继续有效；情况有变时请在工作台中修改。")
        lines.append(f"下一步：zonekit mail {p.root} --drafts（或 --send）把新一轮的填报表发给各单位；"
                     f"交回后照常 collect、score。「{c.name}」的文件留在 {layout.RETURNED_DIR} 中，"
                     f"回收时列为“跳过”，不计入「{p.round}」。误开了新一轮：zonekit round undo {p.root}。")
        return "\n".join(lines)


def _outgoing_files(project) -> list[Path]:
    out = project.outgoing
    if not out.is_dir():
        return []
    return sorted(p for p in out.glob(layout.UNIT_BOOK_GLOB) if p.is_file() and not p.name.startswith((".", "~$"))) \
        + [p for p in (out / layout.MANIFEST,) if p.is_file()]


def _check_writable(paths) -> None:
    from zonekit.files import why_blocked

    for path in paths:
        reason = why_blocked(path)
        if reason:
            raise OutputError(reason + "本次没有改动任何文件。")


def start_round(directory, name: str | None = None, deadline: date | None = None, *, force: bool = False,
                today: date | None = None, now: datetime | None = None) -> RoundStart:
    """Close the project's current round and start the next: its result kept in the ledger, 填报轮次 moved on in
    工作台, the closed round's workbooks kept in 1-下发/<轮次>/, and every unit's workbook of the new round written
    to 1-下发 (with 清单.xlsx) pre-filled with the answers it gave, merged item by item across its versions.

    Raises ProjectError, changing nothing, when the round has never been collected, a file arrived in 2-回收 after
    the last collect (unless ``force``), or the name is taken; OutputError when an output is open elsewhere."""
    from zonekit.collect import merged_returns
    from zonekit.files import OutputSet
    from zonekit.generate import check_assignments, generate
    from zonekit.refill import prefill_of, refill
    from zonekit.workbench import load_project, write_info

    today = today or date.today()
    now = (now or datetime.now().astimezone()).replace(microsecond=0)
    project = load_project(directory)
    ledger = Ledger.open(project.root, create=False)
    if ledger is None:
        raise ProjectError(f"「{project.round}」还没有回收过（没有运行过 zonekit collect），没有可以存档的结果，"
                           f"没有开始新一轮。请先运行 zonekit collect {directory}。")
    with ledger:
        rows = {r["name"]: r for r in ledger.rounds()}
        current = rows.get(project.round)
        if current is None or not current["collects"]:
            raise ProjectError(f"「{project.round}」还没有回收过（没有运行过 zonekit collect），没有可以存档的结果，"
                               f"没有开始新一轮。请先运行 zonekit collect {directory}。")
        new = name.strip() if name else next_name(project.round, set(rows))
        if not new or new in rows:
            raise ProjectError(f"填报轮次「{new}」已经用过（{'、'.join(rows)}），没有开始新一轮。请换一个名称。")
        late = changed_since_collect(project, ledger)
        if late and not force:
            shown = "、".join(late[:5]) + (f"等{len(late)}个文件" if len(late) > 5 else "")
            raise ProjectError(f"{layout.RETURNED_DIR} 中有最近一次回收之后才放入或改动的文件（{shown}），它们不在"
                               f"「{project.round}」的结果中，没有开始新一轮。请先运行 zonekit collect {directory}；"
                               f"确定不计入「{project.round}」时加 --force。")
        # the plan of the round before goes on: what generate refuses only unless forced (indicators no lead unit
        # answers for) was accepted then, and is said again below; units missing from 单位名单 still stop it
        report = check_assignments(project, force=True)
        if report.errors:
            raise ProjectError("任务分解有问题，没有开始新一轮：\n" + Report(report.errors).render())

        closing, collected = current_result(project, ledger, today)
        closing.started, closing.closed = current["started"], now.isoformat()
        if deadline is None and project.deadline and project.deadline <= today:
            new_deadline, note = None, (f"填报截止日期：「{project.round}」的 {project.deadline.isoformat()} 已过，"
                                        f"「{new}」暂未设定（填报表中写“以创建办通知为准”）。要写明截止日期，请先 "
                                        f"zonekit round undo，再用 --deadline 重新开始。")
        else:
            new_deadline = deadline if deadline is not None else project.deadline
            note = f"填报截止日期：{new_deadline.isoformat()}。" if new_deadline else ""
        upcoming = replace(project, round=new, deadline=new_deadline)

        say = round_note(closing, new)
        prebuilt = {}  # unit → its workbook of the new round, carrying what it answered in this one
        for unit, record in merged_returns(collected).items():
            if upcoming.roles_of(unit):
                made = refill(upcoming, unit, prefill_of(record.answers, record.texts), when=now, say=[say])
                prebuilt[unit] = (made.data, made.info)
        prefilled = [u.name for u in project.units if u.name in prebuilt]
        blank = [u.name for u in project.units if project.roles_of(u.name) and u.name not in prebuilt]

        kept = _outgoing_files(project)
        archive = project.outgoing / _folder_name(project.round)
        _check_writable([project.workbook_path, *kept, project.outgoing / layout.MANIFEST,
                         *(archive / p.name for p in kept)])

        runs = ledger.runs()
        ledger.begin_change()  # waits for a collect still running; then nothing else changes the ledger
        if ledger.runs() != runs:
            ledger.rollback()
            raise ProjectError("刚才另一个 zonekit collect 改动了回收台账，没有开始新一轮。请重新运行本命令。")
        ledger.close_round(project.round, closing.to_json(), new, now.isoformat())
        try:
            with OutputSet(archive) as out:
                for path in kept:
                    out.write(path.name, path.read_bytes())
            generated = generate(upcoming, generated_at=now, prebuilt=prebuilt, force=True)
            try:
                backup = write_info(project.root, {layout.INFO_ROUND: new, layout.INFO_DEADLINE: new_deadline})
            except Exception:
                restore_outgoing(project, archive)
                raise
        except BaseException:
            ledger.rollback()
            raise
        ledger.commit()
    return RoundStart(upcoming, closing, generated, prefilled, blank, archive, backup, note,
                      late if force else [])


def _folder_name(round_name: str) -> str:
    """A round's name as a folder name on any system."""
    return re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", round_name).strip(" .") or "上一轮"


def restore_outgoing(project, archive: Path) -> list[Path]:
    """Put the workbooks and manifest kept in ``archive`` back into 1-下发 (all or none); the files put back."""
    from zonekit.files import OutputSet

    kept = sorted(p for p in archive.iterdir() if p.is_file()) if archive.is_dir() else []
    with OutputSet(project.outgoing, [p.name for p in kept]) as out:
        for path in kept:
            out.write(path.name, path.read_bytes())
    return [project.outgoing / p.name for p in kept]


# ---------------------------------------------------------------- undoing a round started by mistake


@dataclass
class RoundUndo:
    project: object  # back in the reopened round
    undone: str
    restored: list[Path]
    backup: Path
    mailed: list[str] = field(default_factory=list)  # units the undone round's workbooks were sent to (--force)

    def render(self) -> str:
        p = self.project
        lines = [f"已撤销「{self.undone}」：填报轮次改回「{p.round}」，「{p.round}」重新打开，按回收台账中的内容照常"
                 f"回收、评分（原工作台备份为 {self.backup.name}）。"]
        if self.restored:
            lines.append(f"{layout.OUTGOING_DIR} 中已放回「{p.round}」下发的{len(self.restored)}个文件（填报表和清单）。")
        else:
            lines.append(f"没有找到「{p.round}」下发的填报表存档，{layout.OUTGOING_DIR} 中仍是「{self.undone}」的填报表；"
                         f"需要时运行 zonekit generate 重新生成。")
        if self.mailed:
            lines.append(f"注意：「{self.undone}」的填报表已发给{len(self.mailed)}个单位（{'、'.join(self.mailed)}），"
                         f"请通知他们不要填写；他们交回的「{self.undone}」填报表回收时将列为“跳过”。")
        return "\n".join(lines)


def undo_round(directory, *, force: bool = False) -> RoundUndo:
    """Undo `round start`: the previous round open again, 填报轮次 and 填报截止日期 as they were, its workbooks back
    in 1-下发. Refused, changing nothing, once the new round has received a usable return; refused when its
    workbooks were mailed unless ``force``."""
    from zonekit.mail import LOG_OK, LOG_UNKNOWN, log_path, read_send_log
    from zonekit.workbench import load_project, write_info

    project = load_project(directory)
    with Ledger.open(project.root, create=False) or Ledger(None) as db:
        names = [r["name"] for r in db.rounds()]
        stored = db.round_results()
        earlier = names[:names.index(project.round)] if project.round in names else names
        previous = next((n for n in reversed(earlier) if n in stored), None)
        if previous is None:
            raise ProjectError(f"「{project.round}」不是由 zonekit round start 开始的（回收台账中没有结束过的上一轮），"
                               f"没有可以撤销的。")
        received = db.round_received(project.round)
        if received:
            raise ProjectError(f"「{project.round}」已经收到{received}份可用的填报表，不能撤销（撤销会让这些填报表不再计入）。"
                               f"「{previous}」的结果已存档，不受影响，「{project.round}」照常进行即可；"
                               f"zonekit round list 可查看各轮。")
        mailed = sorted({r["单位"] for r in read_send_log(log_path(project))
                         if r["轮次"] == project.round and r["结果"] in (LOG_OK, LOG_UNKNOWN)})
        if mailed and not force:
            raise ProjectError(f"「{project.round}」的填报表已经发给{len(mailed)}个单位（{'、'.join(mailed[:5])}"
                               f"{'等' if len(mailed) > 5 else ''}），没有撤销。如仍要撤销，请加 --force，并通知这些单位"
                               f"不要填写「{project.round}」的填报表。")
        closed = RoundResult.from_json(stored[previous])
        archive = project.outgoing / _folder_name(previous)
        _check_writable([project.workbook_path] + ([project.outgoing / p.name for p in archive.iterdir()]
                                                   if archive.is_dir() else []))
        db.begin_change()
        db.reopen_round(previous, project.round)
        try:
            restored = restore_outgoing(project, archive)
            backup = write_info(project.root, {layout.INFO_ROUND: previous,
                                               layout.INFO_DEADLINE: date.fromisoformat(closed.deadline)
                                               if closed.deadline else None})
        except BaseException:
            db.rollback()
            raise
        db.commit()
    return RoundUndo(replace(project, round=previous), project.round, restored, backup, mailed if force else [])


# ---------------------------------------------------------------- the list of rounds


@dataclass
class RoundList:
    project: object
    rounds: list[RoundResult]  # in order; the last is the current one

    def rows(self) -> list[list[str]]:
        from zonekit.states import local_minutes as local

        out = []
        for r in self.rounds:
            a = r.assessment
            state = "进行中" if r.name == self.project.round else ("已结束" if r.closed else "—")
            if r.known and r.collected:
                figures = [f"{r.returned}/{r.expected}（{r.completeness_text}）", str(r.incomplete), a.total_text,
                           a.verdict]
            elif r.known:
                figures = ["尚未回收", "—", "—", "—"]
            else:
                figures = ["—", "—", "—", "未经 zonekit round start 结束，没有存档的得分"]
            out.append([r.name, state, r.started[:10] or "—", r.closed[:10] or "—", local(r.last_collect) or "—",
                        *figures])
        return out

    HEADER = ["轮次", "状态", "开始", "结束", "最近回收", "回收单位", "缺数据指标", "总分", "结论"]

    def render(self) -> str:
        from zonekit.states import render_table

        lines = [render_table(self.HEADER, self.rows())]
        closed = [r for r in self.rounds if r.known and r.closed and r.collected]
        if closed:
            lines.append("已结束的轮次按结束时存档的结果列出（当时的回收内容、全国数据和评分核定）；"
                         "进行中的一轮按最近一次回收计算。")
        return "\n".join(lines)

    def to_dict(self) -> list[dict]:
        return [{**r.to_dict(), "current": r.name == self.project.round, "known": r.known} for r in self.rounds]


def list_rounds(directory, today: date | None = None) -> RoundList:
    """Every round of the project with its dates, completeness, total and verdict: the closed ones as they were
    closed, the current one from the ledger as it stands (read-only: nothing is written)."""
    from zonekit.workbench import load_project

    project = load_project(directory)
    with Ledger.open(project.root, readonly=True) or Ledger(None) as db:
        closed, _, _ = history(db, project)
        current, _ = current_result(project, db, today)
    return RoundList(project, [*closed, current])
