"""Pictures taken off the record on purpose: when a unit removed a picture from a newer version because it should
not be evidence, the office withdraws it (`zonekit evidence withdraw`), and collect stops keeping it (no R307).

Writes one row of the project's ledger and nothing else; the image itself stays in the image store, so a
withdrawal can be undone (--undo). Pictures are named by their number: the first characters of the SHA-256 shown
in 回收登记 (图片) and in 佐证材料索引.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from zonekit.errors import ProjectError
from zonekit.ledger import Ledger

MIN_CODE = 6  # hex characters of a picture number; fewer would name several pictures of a county too often


@dataclass
class Withdrawal:
    """What `zonekit evidence withdraw` did: the picture (unit, hash, where it was received) and the reason."""

    unit: str
    sha256: str
    reason: str
    places: list[str]  # 'file 工作表!单元格（指标N）' where the picture was received
    undone: bool = False

    def render(self) -> str:
        where = "；".join(self.places[:3]) + (f"等{len(self.places)}处" if len(self.places) > 3 else "")
        if self.undone:
            return (f"已恢复「{self.unit}」的图片 {self.sha256[:8]}（{where}）：下次 collect、score 或 evidence pack "
                    f"起重新作为佐证保留。")
        return (f"已撤回「{self.unit}」的图片 {self.sha256[:8]}（{where}），理由：{self.reason}。下次 collect、score 或 "
                f"evidence pack 起不再保留，也不再提示 R307；图片本身仍存于台账，可用 --undo 恢复。")


def withdraw_picture(directory, code: str, reason: str = "", unit: str | None = None,
                     undo: bool = False) -> Withdrawal:
    """Withdraw (or with ``undo`` restore) the picture numbered ``code`` of the project in ``directory``."""
    from zonekit.workbench import load_project

    project = load_project(directory)
    code = code.strip().lower()
    if len(code) < MIN_CODE or any(ch not in "0123456789abcdef" for ch in code):
        raise ProjectError(f"图片编号「{code}」不对：请写 SHA-256 的前 {MIN_CODE} 位以上（0–9、a–f），"
                           f"见 回收登记.xlsx「图片」表或 佐证材料索引.xlsx 的编号列。")
    if not undo and not reason.strip():
        raise ProjectError("请用 --reason 写明撤回理由（例如：单位来函说明该图片误传）。")
    ledger = Ledger.open(project.root, create=False)
    if ledger is None:
        raise ProjectError(f"项目 {project.root} 还没有回收记录。请先运行 zonekit collect。")
    with ledger:
        rows = [r for r in ledger.pictures_like(project.round, code) if not unit or r["unit"] == unit]
        hashes = sorted({r["sha256"] for r in rows})
        if not hashes:
            who = f"「{unit}」" if unit else "本轮回收"
            raise ProjectError(f"{who}的图片中找不到编号为「{code}」的图片。请核对 回收登记.xlsx「图片」表中的 SHA-256。")
        if len(hashes) > 1:
            raise ProjectError(f"编号「{code}」对应{len(hashes)}张不同的图片（{'、'.join(h[:12] for h in hashes)}），"
                               f"请多写几位。")
        units = sorted({r["unit"] for r in rows})
        if len(units) > 1:
            raise ProjectError(f"这张图片由{len(units)}个单位报送（{'、'.join(units)}），请用 --unit 指明撤回哪个单位的。")
        places = list(dict.fromkeys(f"{r['file']} {r['sheet']}!{r['cell']}" + (f"（指标{r['indicator']}）"
                                                                               if r["indicator"] else "")
                                    for r in rows))
        sha = hashes[0]
        if undo:
            if not ledger.restore(project.round, units[0], sha):
                raise ProjectError(f"「{units[0]}」的图片 {sha[:8]} 没有撤回过，无需恢复。")
        else:
            ledger.withdraw(project.round, units[0], sha, reason.strip(),
                            datetime.now(timezone.utc).replace(microsecond=0).isoformat())
    return Withdrawal(units[0], sha, reason.strip(), places, undo)
