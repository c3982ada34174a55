"""What the office takes off the record on purpose, and can put back (--undo):

* a picture (`zonekit evidence withdraw`): a unit removed it from a newer version because it should not be evidence,
  or it was sent by mistake; it stops being kept (no R307), in this round and every later one;
* a return (`zonekit withdraw`): a stray draft, a file sent with wrong figures the unit asks to disregard; its answers,
  issues and pictures stop counting, even while the file is still in 2-回收, and 回收登记 lists it as 撤回.

Writes rows of the project's ledger (and, for a return, collect's outputs again from the ledger); never a returned
file. The picture or file itself stays on record, so every withdrawal can be undone. Pictures are named by their
number: the first characters of the SHA-256 shown in 回收登记 (图片) and in 佐证材料索引; returns by their file as
回收登记 lists it, or a path.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from zonekit import layout
from zonekit.errors import ProjectError
from zonekit.ledger import Ledger

MIN_CODE = 6  # hex characters of a picture number; fewer would name several pictures of a county too often
CLOSEST = 5  # file names offered when the one given is not on record


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _open_ledger(project) -> Ledger:
    ledger = Ledger.open(project.root, create=False)
    if ledger is None:
        raise ProjectError(f"项目 {project.root} 还没有回收记录。请先运行 zonekit collect。")
    return ledger


# ---------------------------------------------------------------- pictures


@dataclass
class Withdrawal:
    """What `zonekit evidence withdraw` did: the picture (unit, hash, where it was received) and the reason."""

    unit: str
    sha256: str
    reason: str
    places: list[str]  # 'file 工作表!单元格（指标N，第1轮）' where the picture was received
    undone: bool = False

    def render(self) -> str:
        where = "；".join(self.places[:3]) + (f"等{len(self.places)}处" if len(self.places) > 3 else "")
        if self.undone:
            return (f"已恢复「{self.unit}」的图片 {self.sha256[:8]}（{where}）：下次 collect 或 evidence pack 起重新作为"
                    f"佐证保留，score 和 report 随即列出。")
        return (f"已撤回「{self.unit}」的图片 {self.sha256[:8]}（{where}），理由：{self.reason}。score、report 随即不再"
                f"列出，下次 collect 或 evidence pack 起从佐证材料和材料包中移除，以后各轮也不再保留、不再提示 R307；"
                f"图片本身仍存于台账，可用 --undo 恢复。")


def _place(row, current: str) -> str:
    """'2-回收/a.xlsx 指标填报!J6（指标11，第1轮）': where a picture was received (its round when not this one)."""
    said = [f"指标{row['indicator']}" if row["indicator"] else "", row["round"] if row["round"] != current else ""]
    said = "，".join(x for x in said if x)
    return f"{row['file']} {row['sheet']}!{row['cell']}" + (f"（{said}）" if said else "")


def withdraw_picture(directory, code: str, reason: str = "", unit: str | None = None,
                     undo: bool = False) -> Withdrawal:
    """Withdraw (or with ``undo`` restore) the picture numbered ``code`` of the project in ``directory``: received in
    this round or an earlier one (evidence is cumulative across rounds, and so is its withdrawal)."""
    from zonekit.workbench import load_project

    project = load_project(directory)
    code = code.strip().lower()
    if len(code) < MIN_CODE or any(ch not in "0123456789abcdef" for ch in code):
        raise ProjectError(f"图片编号「{code}」不对：请写 SHA-256 的前 {MIN_CODE} 位以上（0–9、a–f），"
                           f"见 回收登记.xlsx「图片」表或 佐证材料索引.xlsx 的编号列。")
    if not undo and not reason.strip():
        raise ProjectError("请用 --reason 写明撤回理由（例如：单位来函说明该图片误传）。")
    with _open_ledger(project) as ledger:
        rows = [r for r in ledger.pictures_like(code) if not unit or r["unit"] == unit]
        hashes = sorted({r["sha256"] for r in rows})
        if not hashes:
            who = f"「{unit}」" if unit else "各轮回收"
            raise ProjectError(f"{who}的图片中找不到编号为「{code}」的图片。请核对 回收登记.xlsx「图片」表中的 SHA-256。")
        if len(hashes) > 1:
            raise ProjectError(f"编号「{code}」对应{len(hashes)}张不同的图片（{'、'.join(h[:12] for h in hashes)}），"
                               f"请多写几位。")
        units = sorted({r["unit"] for r in rows})
        if len(units) > 1:
            raise ProjectError(f"这张图片由{len(units)}个单位报送（{'、'.join(units)}），请用 --unit 指明撤回哪个单位的。")
        places = list(dict.fromkeys(_place(r, project.round) for r in rows))
        sha = hashes[0]
        if undo:
            if not ledger.restore(units[0], sha):
                raise ProjectError(f"「{units[0]}」的图片 {sha[:8]} 没有撤回过，无需恢复。")
        else:
            ledger.withdraw(project.round, units[0], sha, reason.strip(), _now())
    return Withdrawal(units[0], sha, reason.strip(), places, undo)


# ---------------------------------------------------------------- returns


@dataclass
class ReturnWithdrawal:
    """What `zonekit withdraw` did to one return: which file (every place its content was found), the unit's state
    and the total before and after, where the unit's values come from now."""

    directory: str
    file: str  # as 回收登记 lists it
    places: list[str]  # every place the same content was found in this round
    unit: str
    reason: str
    undone: bool
    present: bool  # still in 2-回收
    state_before: str
    state_after: str
    total_before: str
    total_after: str
    source_after: str  # the unit's newest version now ('' when none is left)
    intake_log: Path | None = None
    pending: list[str] = field(default_factory=list)  # files in 2-回收 the last collect has not seen

    def render(self) -> str:
        who = self.unit or "未识别单位"
        others = [p for p in self.places if p != self.file]
        also = f"（同样内容的{len(others)}个文件一并处理：{'、'.join(others[:3])}）" if others else ""
        if self.undone:
            lines = [f"已恢复「{who}」的 {self.file}{also}：重新计入。"]
        else:
            lines = [f"已撤回「{who}」的 {self.file}{also}，理由：{self.reason}。它的数值、问题和图片不再计入" +
                     (f"；文件仍在 {layout.RETURNED_DIR} 中，以后回收也不会再采用" if self.present else "") + "。"]
        if self.unit:
            now = f"，现以 {self.source_after} 为最新一份" if self.source_after else "，本轮已没有可用的填报表"
            lines.append(f"「{self.unit}」：{self.state_before} → {self.state_after}{now}。")
        lines.append(f"总分：{self.total_before} → {self.total_after}分（运行 zonekit score {self.directory} "
                     f"更新评分汇总表）。")
        if self.intake_log:
            lines.append(f"回收登记（列为“{layout.STATUS_WITHDRAWN}”，写明理由和日期）、合并结果和佐证材料已更新：{self.intake_log}")
        if self.pending:
            lines.append(f"另有{len(self.pending)}个文件是最近一次回收之后放入 {layout.RETURNED_DIR} 的（如「{self.pending[0]}」），"
                         f"尚未回收：运行 zonekit collect {self.directory}。")
        if not self.undone:
            lines.append(f"恢复：zonekit withdraw {self.directory} {self.file} --undo")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"file": self.file, "places": self.places, "unit": self.unit, "reason": self.reason,
                "undone": self.undone, "present": self.present, "state_before": self.state_before,
                "state_after": self.state_after, "total_before": self.total_before, "total_after": self.total_after,
                "source_after": self.source_after, "intake_log": str(self.intake_log or ""), "pending": self.pending}


def _shown(given: str, project) -> str:
    """A FILE argument as 回收登记 writes paths: as typed when it is written that way, else the path on disk
    relative to the project folder."""
    from zonekit.collect import display_path

    text = given.strip().replace("\\", "/")
    if "!" in text or not os.path.lexists(given):
        return text
    return display_path(Path(given), project)


def _leaf(path: str) -> str:
    """The file's own name: the last part of a path, or of an archive member or mail attachment."""
    return path.rsplit("/", 1)[-1].rsplit("!", 1)[-1]


def match_return(rows: list, given: str, project) -> list:
    """The rows (a version at a place, from ``Ledger.versions_at``) that ``given`` names: its path as 回收登记
    shows it, a path on disk, or its file name alone; [] when none."""
    shown = _shown(given, project)
    for key in (lambda r: r["path"] == shown, lambda r: r["path"].endswith("/" + shown),
                lambda r: _leaf(r["path"]) == _leaf(shown)):
        found = [r for r in rows if key(r)]
        if found:
            return found
    return []


def closest_files(rows: list, given: str, n: int = CLOSEST) -> list[str]:
    """The paths on record most like ``given`` (by the whole path or by the file name), best first."""
    text = given.strip().replace("\\", "/")
    paths = sorted({r["path"] for r in rows})
    score = {p: max(difflib.SequenceMatcher(None, text, p).ratio(),
                    difflib.SequenceMatcher(None, _leaf(text), _leaf(p)).ratio()) for p in paths}
    return sorted(paths, key=lambda p: (-score[p], p))[:n]


def _pick(rows: list, given: str, project, ledger: Ledger) -> list:
    """The places of the one version ``given`` names in the current round, or a ProjectError saying why not."""
    found = match_return(rows, given, project)
    if not found:
        elsewhere = match_return([r for r in ledger.versions_at() if r["round"] != project.round], given, project)
        if elsewhere:
            raise ProjectError(f"「{given}」是「{elsewhere[0]['round']}」收到的文件；那一轮已经结束，结果已存档，"
                               f"不能撤回。本轮（「{project.round}」）的文件见回收登记.xlsx。")
        near = closest_files(rows, given)
        listed = "\n".join(f"  {p}" for p in near) if near else "  （本轮还没有收到任何文件）"
        raise ProjectError(f"本轮（「{project.round}」）收到的文件中没有「{given}」。请照 回收登记.xlsx「回收文件」表的"
                           f"“文件”列填写（也可以写文件的路径）。最接近的文件：\n{listed}")
    hashes = sorted({r["sha256"] for r in found})
    if len(hashes) > 1:
        listed = "\n".join(f"  {p}" for p in sorted({r["path"] for r in found}))
        raise ProjectError(f"「{given}」对应{len(hashes)}个内容不同的文件，请写出完整路径（照回收登记的“文件”列）：\n"
                           f"{listed}")
    if not hashes[0] or all(r["state"] == "skipped" for r in found):
        raise ProjectError(f"「{found[0]['path']}」在回收登记中是“{layout.STATUS_SKIPPED}”（不是本轮的填报表，或不是表格），"
                           f"本来就不计入，无需撤回。")
    return [r for r in rows if r["sha256"] == hashes[0]]


def _standing(project, collected) -> tuple[dict[str, str], str]:
    """Each unit's state and the total, as a score of ``collected`` would show them."""
    from zonekit.scorecmd import assess

    result, _, _, _ = assess(project, collected)
    return {u.unit: u.state for u in collected.units}, result.assessment.total_text


def withdraw_return(directory, file: str, reason: str = "", undo: bool = False,
                    today: date | None = None) -> ReturnWithdrawal:
    """Withdraw (or with ``undo`` restore) the return ``file`` of the project in ``directory``: by content, in the
    current round; then 回收登记, 合并结果, 佐证材料 and what `status` reads are written again from the ledger
    (nothing is read from 2-回收). Raises ProjectError, changing nothing, when the file is not on record, belongs
    to a closed round, was skipped anyway, or (undo) was not withdrawn; OutputError when 回收登记 or 合并结果 is
    open in Excel."""
    from zonekit.collect import from_ledger, rewrite
    from zonekit.rounds import changed_since_collect
    from zonekit.workbench import load_project

    today = today or date.today()
    project = load_project(directory)
    if not undo and not reason.strip():
        raise ProjectError("请用 --reason 写明撤回理由（例如：单位来函，此为草稿，数字有误）。")
    with _open_ledger(project) as ledger:
        closed = next((r["closed"] for r in ledger.rounds() if r["name"] == project.round), "")
        if closed:
            raise ProjectError(f"「{project.round}」已于 {closed[:10]} 结束，结果已存档，不能再撤回其中的文件。")
        places = _pick(ledger.versions_at(project.round), file, project, ledger)
        sha = places[0]["sha256"]
        withdrawn = ledger.withdrawn_returns(project.round)
        if undo and sha not in withdrawn:
            raise ProjectError(f"「{places[0]['path']}」没有撤回过，无需恢复。")
        pending = changed_since_collect(project, ledger)
    main = next((r for r in places if r["present"]), places[0])
    unit = next((r["unit"] for r in places if r["unit"]), "")
    states, total = _standing(project, from_ledger(project, today))

    def change(db: Ledger) -> None:
        if undo:
            db.restore_return(project.round, sha)
        else:
            db.withdraw_return(project.round, sha, unit, main["path"], reason.strip(), _now())

    after = rewrite(project, change, today)
    states_after, total_after = _standing(project, after)
    newest = after.merges.get(unit)
    return ReturnWithdrawal(str(directory), main["path"], sorted({r["path"] for r in places}), unit, reason.strip(),
                            undo, any(r["present"] for r in places), states.get(unit, ""),
                            states_after.get(unit, ""), total, total_after, newest.newest.file if newest else "",
                            after.intake_log, pending)
