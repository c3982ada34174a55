"""Send-out: one workbook per unit with work to do, plus the manifest (清单.xlsx) that mail and intake read.

Stops before writing anything when 任务分解 names a unit missing from 单位名单; never deletes earlier files.
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import xlsxwriter

from zonekit import layout
from zonekit.errors import ProjectError, WorkbookError
from zonekit.files import OutputSet
from zonekit.pages import setup_print
from zonekit.issues import ERROR, WARNING, Report, define, issue
from zonekit.project import Project
from zonekit.unitbook import WRITER_OPTIONS, UnitBookInfo, build_unit_workbook, row_height, unit_file_name
from zonekit.unitnames import build_index

G_UNKNOWN_UNIT = define("G001", ERROR, "任务分解中的单位「{name}」不在单位名单中（见指标 {numbers}）；{closest}"
                                       "请在 单位名单 中补充该单位，或在 任务分解 中改为名单中的名称。")
G_NO_UNIT = define("G002", WARNING, "指标 {numbers} 没有指定牵头单位或责任单位，不会下发给任何单位。"
                                    "如需填报，请在 任务分解 中填写单位后重新生成。")
G_IDLE_UNIT = define("G003", WARNING, "单位「{unit}」没有分到任何指标，未生成填报表。如有遗漏，请在 任务分解 中补充。")
G_NO_LEAD = define("G004", WARNING, "指标 {numbers} 只有责任单位、没有牵头单位，其分项自评（是否达到、自评分）和数据无人填写。"
                                    "请在 任务分解 中指定牵头单位。")
G_LEAD_INPUTS = define("G006", ERROR, "指标 {numbers} 只有责任单位、没有牵头单位。评分要用的{what}只发给牵头单位填写，"
                                       "这样下发，这些指标交回后无法计分，因此未生成任何填报表。请在 工作台.xlsx 的 任务分解 "
                                       "中为这些指标填写牵头单位后重新运行；确需先下发时加 --force。")
G_NOBODY_INPUTS = define("G007", ERROR, "指标 {numbers} 没有指定任何单位。评分要用的{what}无人填写，这样下发，这些指标交回后"
                                        "无法计分，因此未生成任何填报表。请在 工作台.xlsx 的 任务分解 中为这些指标填写牵头单位"
                                        "后重新运行；确需先下发时加 --force。")
G_STALE = define("G005", WARNING, "下发目录中的「{value}」不在本次清单中（可能是以前生成的），未被改动。"
                                  "确认不再需要后请手动删除，以免误发。")

# From this many workbooks on, building and writing them is spread over the CPU cores (xlsxwriter is pure Python).
PARALLEL_FROM = 48


@dataclass
class ManifestEntry:
    unit: str
    path: Path
    sha256: str
    indicators: list[str]
    generated_at: str


@dataclass
class GenerateResult:
    out_dir: Path
    manifest: Path
    books: list[UnitBookInfo]
    entries: list[ManifestEntry]
    report: Report = field(default_factory=Report)

    def to_dict(self) -> dict:
        return {"out_dir": str(self.out_dir), "manifest": str(self.manifest),
                "files": [{"unit": e.unit, "file": str(e.path), "role": b.role_text, "indicators": e.indicators,
                           "sha256": e.sha256, "generated_at": e.generated_at} for b, e in zip(self.books, self.entries)],
                "issues": [i.to_dict() for i in self.report.issues]}

    def render(self, limit: int = 40) -> str:
        """The terminal summary: what was written, then every warning."""
        lines = [f"已生成 {len(self.books)} 份填报表，保存在 {self.out_dir}（清单：{self.manifest.name}）。"]
        shown = self.books if len(self.books) <= limit else self.books[: limit // 2]
        for book in shown:
            lines.append(f"  {book.path.name}  {book.role_text}  指标 {layout.LIST_SEPARATOR.join(book.indicators)}")
        if len(shown) < len(self.books):
            lines.append(f"  ……另有 {len(self.books) - len(shown)} 份，完整列表见 {self.manifest.name}")
        if self.report.issues:
            lines.append(self.report.render())
        return "\n".join(lines)


def lead_inputs(project: Project, indicator) -> list[str]:
    """What only a lead unit is asked for on this indicator: its regional data, 是/否 claims and self scores."""
    data = [project.scheme.data_items[n.key].label for n in indicator.needs(project.years)
            if n.kind in ("data", "list") and n.key in project.scheme.data_items
            and project.scheme.data_items[n.key].source == "region"]
    return (list(dict.fromkeys(data)) + (["是否达到"] if indicator.claim_items() else [])
            + (["自评分"] if indicator.judged_items() else []))


def check_assignments(project: Project, force: bool = False) -> Report:
    """Units in 任务分解 missing from 单位名单 (errors); indicators without any unit or without a lead: an error when
    scoring needs what only a lead is asked for, unless ``force`` (then a warning, as when nothing is needed)."""
    report = Report()
    where = dict(file=layout.PROJECT_WORKBOOK, sheet=layout.SHEET_TASKS)
    known = {u.name for u in project.units}
    unknown: dict[str, list[str]] = {}
    for ind in project.scheme.indicators:
        a = project.assignments.get(ind.number)
        for name in (a.leads + a.responsibles) if a else []:
            if name not in known:
                numbers = unknown.setdefault(name, [])
                if ind.number not in numbers:
                    numbers.append(ind.number)
    index = build_index(project.units)[0] if unknown else None
    for name, numbers in unknown.items():
        closest = index.closest(name)
        hint = f"最接近的是：{layout.LIST_SEPARATOR.join(closest)}。" if closest else "单位名单中没有相近的名称。"
        report.add(issue(G_UNKNOWN_UNIT, **where, value=name, name=name,
                         numbers=layout.LIST_SEPARATOR.join(numbers), closest=hint))

    def assigned(number, attr):
        a = project.assignments.get(number)
        return bool(a and getattr(a, attr))

    numbers = [i.number for i in project.scheme.indicators]
    nobody = [n for n in numbers if not assigned(n, "leads") and not assigned(n, "responsibles")]
    no_lead = [n for n in numbers if not assigned(n, "leads") and assigned(n, "responsibles")]
    # scoring needs what would come back from nobody: an error unless forced (then the warnings say it)
    for group, refused, warned in ((nobody, G_NOBODY_INPUTS, G_NO_UNIT), (no_lead, G_LEAD_INPUTS, G_NO_LEAD)):
        needed = {n: lead_inputs(project, project.scheme.indicator(n)) for n in group}
        if any(needed.values()) and not force:
            what = list(dict.fromkeys(x for inputs in needed.values() for x in inputs))
            shown = "、".join(what[:6]) + (f"等{len(what)}项" if len(what) > 6 else "")
            report.add(issue(refused, **where, numbers=layout.LIST_SEPARATOR.join(n for n in group if needed[n]),
                             what=f"数据和分项（{shown}）"))
        elif group:
            report.add(issue(warned, **where, numbers=layout.LIST_SEPARATOR.join(group)))
    return report


_WORKER: dict = {}


def _start_worker(project: Project, when: datetime) -> None:
    _WORKER.update(project=project, when=when)  # sent once per worker process, not once per unit
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops the pool; no traceback per worker


def _worker_job(job: tuple[str, Path, Path]):
    return _write_staged(_WORKER["project"], *job, _WORKER["when"])


def _write_staged(project: Project, unit: str, path: Path, temp: Path, when: datetime) -> UnitBookInfo:
    """Build one unit's workbook into ``temp`` (its place in the run's OutputSet); the info names ``path``."""
    data, info = build_unit_workbook(project, unit, when)
    Path(temp).write_bytes(data)
    info.path, info.sha256 = Path(path), hashlib.sha256(data).hexdigest()
    return info


def _write_all(project: Project, jobs: list[tuple[str, Path, Path]], when: datetime):
    # Workers build and write: creating a file costs about as much as building it, so both are spread.
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        return [_write_staged(project, unit, path, temp, when) for unit, path, temp in jobs]
    with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(project, when)) as pool:
        return list(pool.map(_worker_job, jobs, chunksize=max(1, len(jobs) // (workers * 4))))


def generate(project: Project, out_dir: Path | str | None = None,
             generated_at: datetime | None = None, force: bool = False,
             prebuilt: dict[str, tuple[bytes, UnitBookInfo]] | None = None) -> GenerateResult:
    """Write one workbook per unit with work to do and the manifest into ``out_dir`` (default: 1-下发).

    ``prebuilt``: unit → (bytes, info) of a workbook already made for it (a next round's, pre-filled with the
    unit's answers), written as it is in the unit's place; the other units get a blank one.
    Raises ProjectError, writing nothing, when 任务分解 names units missing from 单位名单, or (unless ``force``)
    leaves indicators without a lead unit although their data, claims or self scores are asked of the lead.
    """
    report = check_assignments(project, force)
    if report.errors:
        raise ProjectError("任务分解有问题，未生成任何填报表：\n" + Report(report.errors).render())
    out = Path(out_dir) if out_dir is not None else project.outgoing
    when = (generated_at or datetime.now().astimezone()).replace(microsecond=0)
    width = max(2, len(str(len(project.units))))
    jobs = []
    for seq, unit in enumerate(project.units, start=1):
        if project.roles_of(unit.name):
            jobs.append((unit.name, out / unit_file_name(seq, unit.name, width)))
        else:
            report.add(issue(G_IDLE_UNIT, file=layout.PROJECT_WORKBOOK, sheet=layout.SHEET_UNITS, unit=unit.name))
    manifest = out / layout.MANIFEST
    try:
        # every workbook and the manifest are replaced together at the end, or none is (an open 清单.xlsx, a
        # full disk, Ctrl-C): the manifest never lists a workbook other than the one beside it
        with OutputSet(out, [path.name for _, path in jobs] + [layout.MANIFEST]) as outputs:
            ready = prebuilt or {}
            books = _write_all(project, [(unit, path, outputs.path(path.name)) for unit, path in jobs
                                         if unit not in ready], when)
            for unit, path in jobs:
                if unit in ready:
                    data, info = ready[unit]
                    outputs.write(path.name, data)
                    info.path, info.sha256 = path, hashlib.sha256(data).hexdigest()
                    books.append(info)
            order = {unit: n for n, (unit, _) in enumerate(jobs)}
            books.sort(key=lambda b: order[b.unit])
            entries = [ManifestEntry(b.unit, b.path, b.sha256, b.indicators, b.identity[layout.ID_GENERATED])
                       for b in books]
            outputs.write(layout.MANIFEST, manifest_bytes(books, entries))
    except OSError as exc:
        raise WorkbookError(f"无法写入下发目录 {out}：{exc.strerror or exc}。请确认文件没有在 Excel/WPS 中打开，"
                            f"并且有写入权限。") from None

    names = {e.path.name for e in entries}
    for stale in sorted(out.glob(layout.UNIT_BOOK_GLOB)):
        if stale.name not in names and not stale.name.startswith((".", "~$")):
            report.add(issue(G_STALE, file=str(out), value=stale.name))
    return GenerateResult(out, manifest, books, entries, report)


def manifest_bytes(books: list[UnitBookInfo], entries: list[ManifestEntry]) -> bytes:
    """清单.xlsx: one row per generated workbook (单位, 文件, 角色, 指标编号, 生成时间, SHA256), printed on A4."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, WRITER_OPTIONS)
    ws = wb.add_worksheet(layout.SHEET_MANIFEST)
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "valign": "top"})
    body, wrap = wb.add_format({"valign": "top"}), wb.add_format({"valign": "top", "text_wrap": True})
    for i, col in enumerate(layout.MANIFEST_COLUMNS):
        ws.write_string(0, i, col.header, head)
        ws.set_column(i, i, col.width)
    numbers = layout.MANIFEST_COLUMNS.index(layout.MAN_NUMBERS)
    for r, (book, entry) in enumerate(zip(books, entries), start=1):
        values = {layout.MAN_UNIT: entry.unit, layout.MAN_FILE: entry.path.name, layout.MAN_ROLE: book.role_text,
                  layout.MAN_NUMBERS: layout.LIST_SEPARATOR.join(entry.indicators),
                  layout.MAN_GENERATED: entry.generated_at, layout.MAN_SHA256: entry.sha256}
        for i, col in enumerate(layout.MANIFEST_COLUMNS):
            ws.write_string(r, i, values[col], wrap if col is layout.MAN_NUMBERS else body)
        # long lists of numbers wrap: the row as high as they need (LibreOffice does not grow it by itself)
        ws.set_row(r, row_height([(values[layout.MAN_NUMBERS], layout.MANIFEST_COLUMNS[numbers].width)]))
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(1, len(entries)), len(layout.MANIFEST_COLUMNS) - 1)
    setup_print(ws, 0)
    wb.close()
    return buffer.getvalue()


def read_manifest(project_or_dir: Project | Path | str) -> list[ManifestEntry]:
    """The entries of 清单.xlsx: of a Project, or given the manifest, its folder or the project folder.

    Raises ProjectError when the manifest is missing or a column is gone.
    """
    import openpyxl

    given = project_or_dir.outgoing if isinstance(project_or_dir, Project) else Path(project_or_dir)
    candidates = (given, given / layout.MANIFEST, given / layout.OUTGOING_DIR / layout.MANIFEST)
    path = next((c for c in candidates if c.is_file()), given / layout.MANIFEST)
    if not path.is_file():
        raise ProjectError(f"找不到清单 {path}。请先运行 zonekit generate 生成填报表。")
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[layout.SHEET_MANIFEST] if layout.SHEET_MANIFEST in wb.sheetnames else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, ())
        cols = {}
        for column in layout.MANIFEST_COLUMNS:
            found = [i for i, v in enumerate(header) if layout.match_header(v, column)]
            if not found:
                raise ProjectError(f"清单 {path} 缺少“{column.header}”列。请重新运行 zonekit generate。")
            cols[column.header] = found[0]
        entries = []
        for values in rows:
            def get(column):
                value = values[cols[column.header]] if cols[column.header] < len(values) else None
                return "" if value is None else str(value).strip()

            if not get(layout.MAN_UNIT) or not get(layout.MAN_FILE):
                continue
            numbers = [n for n in get(layout.MAN_NUMBERS).split(layout.LIST_SEPARATOR) if n]
            entries.append(ManifestEntry(get(layout.MAN_UNIT), path.parent / get(layout.MAN_FILE),
                                         get(layout.MAN_SHA256), numbers, get(layout.MAN_GENERATED)))
        return entries
    finally:
        wb.close()
