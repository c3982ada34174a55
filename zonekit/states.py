"""Per-unit states as `zonekit status` shows them: the table, its JSON, and the quick answer from the ledger's
snapshot of the last collect, valid while 工作台.xlsx is unchanged.

Imports only the standard library and light zonekit modules (never openpyxl nor a workbook reader), so
`zonekit status` starts about as fast as Python itself.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

from zonekit import layout
from zonekit.issues import Issue, Report
from zonekit.ledger import Ledger

SNAPSHOT = "status"  # the ledger's snapshot of the last collect's unit states
STATUS_HEADER = ["单位", "状态", "角色", "最后文件", "收到时间", "错误", "警告", "未填项"]


class WithIssues:
    """The blocking and the other issues of an ``issues`` list."""

    __slots__ = ()

    @property
    def errors(self) -> list[Issue]:
        return Report(self.issues).errors

    @property
    def warnings(self) -> list[Issue]:
        return Report(self.issues).warnings


@dataclass
class UnitStatus(WithIssues):
    """Completeness and timeliness of one unit that has work to do (as DHIS2 reports them).

    state: 已报 (its merged returns have no blocking errors left) / 未报 (nothing usable yet) / 逾期 (nothing
    usable and the deadline has passed) / 退回 (blocking errors remain, or every file it sent was refused).
    A return received after the deadline is 已报 with a R404 warning."""

    unit: str
    state: str
    last_file: str = ""  # its newest version in use, else the newest refused one
    received_at: str = ""  # ISO 8601: the e-mail's Date, else the workbook's saved time, else the file's time
    missing: list[str] = field(default_factory=list)  # required inputs still missing, as labels
    issues: list[Issue] = field(default_factory=list)  # of its merged versions (or refused file), unit-level ones
    role: str = ""  # 牵头 / 责任 / 牵头、责任
    files: list[str] = field(default_factory=list)  # every file identified as this unit's

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "UnitStatus":
        data = dict(data)
        data["issues"] = [Issue(**i) for i in data.get("issues", [])]
        return cls(**data)

    def as_of(self, today: date, deadline: date | None) -> "UnitStatus":
        """A 未报 unit is 逾期 once the deadline has passed, even if the last collect ran before it."""
        if self.state == layout.STATE_MISSING and deadline and today > deadline:
            self.state = layout.STATE_LATE
        return self


# ---------------------------------------------------------------- the quick answer


def workbook_stamp(root: Path | str) -> list[int]:
    """[size, modification time in ns] of the project workbook, [] when it cannot be read."""
    try:
        info = os.stat(Path(root) / layout.PROJECT_WORKBOOK)
    except OSError:
        return []
    return [info.st_size, info.st_mtime_ns]


def snapshot_status(root: Path | str, today: date | None = None) -> list[UnitStatus] | None:
    """The unit states the last collect left in the ledger, while 工作台.xlsx has the size and modification time
    it had then (the unit list, 任务分解 and deadline cannot have changed); None when that is not so."""
    ledger = Ledger.open(root, create=False)
    if ledger is None:
        return None
    with ledger:
        data = ledger.snapshot(SNAPSHOT)
    stamp = workbook_stamp(root)
    if not data or not stamp or data.get("workbook") != stamp:
        return None
    deadline = date.fromisoformat(data["deadline"]) if data.get("deadline") else None
    today = today or date.today()
    return [UnitStatus.from_dict(raw).as_of(today, deadline) for raw in data.get("units", [])]


def project_status(directory: Path | str, today: date | None = None) -> list[UnitStatus]:
    """`zonekit status`: the snapshot when 工作台.xlsx is unchanged since the last collect, else computed from the
    project workbook (slower: it must be loaded) and the ledger."""
    quick = snapshot_status(directory, today)
    if quick is not None:
        return quick
    from zonekit.collect import unit_status
    from zonekit.workbench import load_project

    return unit_status(load_project(directory), today)


# ---------------------------------------------------------------- rendering


def local_minutes(text: str) -> str:
    """'2024-06-30 17:05' in local time, from the ISO 8601 times zonekit stores; '' when there is none."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return ""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render_table(header: list[str], rows: list[list[str]]) -> str:
    """Columns aligned for a terminal that shows Chinese characters two columns wide."""
    widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [str(v) + " " * (w - _width(str(v))) for v, w in zip(row, widths)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def status_rows(statuses: list[UnitStatus]) -> list[list[str]]:
    return [[s.unit, s.state, s.role, s.last_file or "—", local_minutes(s.received_at) or "—", str(len(s.errors)),
             str(len(s.warnings)), str(len(s.missing))] for s in statuses]


def render_status(statuses: list[UnitStatus]) -> str:
    if not statuses:
        return "没有需要填报的单位（任务分解中没有分配单位）。"
    counts: dict[str, int] = {}
    for s in statuses:
        counts[s.state] = counts.get(s.state, 0) + 1
    summary = "，".join(f"{state}{counts.get(state, 0)}个" for state in
                       (layout.STATE_REPORTED, layout.STATE_RETURNED, layout.STATE_MISSING, layout.STATE_LATE))
    return render_table(STATUS_HEADER, status_rows(statuses)) + f"\n共{len(statuses)}个单位：{summary}。"


def status_json(statuses: list[UnitStatus]) -> list[dict]:
    return [{**s.to_dict(), "issues": [i.to_dict() for i in s.issues]} for s in statuses]
