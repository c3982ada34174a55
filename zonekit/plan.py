"""import-plan: read an existing decomposition table (.xlsx, or the tables of a Word .docx) and turn it into
任务分解 assignments, with a note for every normalisation of a unit name.

Never writes to the table it reads; writes the project workbook only when nothing blocks.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from zonekit import layout
from zonekit.errors import WorkbookError
from zonekit.issues import ERROR, WARNING, Report, define, issue
from zonekit.layout import normalize_header
from zonekit.project import Assignment, Unit
from zonekit.scheme import Scheme
from zonekit.unitnames import UnitIndex, build_index, is_none, resolve
from zonekit.workbench import (ASSIGNMENT_FIELDS, P_NO_UNIT, P_UNKNOWN_UNIT, cell_text, closest_text, find_header,
                               number_text, read_project, write_assignments)

P_NO_HEADER = define("P031", ERROR, "{file} 中没有找到含「编号」和「牵头单位」或「责任单位」的表头行。"
                                    "请确认分解表有这些列名（列名可以写作 序号、配合单位 等）。")
P_NO_LEAD_COLUMN = define("P032", WARNING, "分解表没有「牵头单位」列：表中列出的单位都记为责任单位，任务分解中的"
                                           "牵头单位保持不变。请在 任务分解 中为每项指标指定牵头单位。")
P_ROW_NOT_IN_SCHEME = define("P033", WARNING, "分解表的编号「{value}」不在{scheme}指标体系中，该行未导入。请核对编号。")
P_ROW_TWICE = define("P034", ERROR, "编号{number}在分解表中出现了两次（{first} 和 {cell}），无法确定以哪一行为准。"
                                    "请删去多余的一行后再导入。")
P_NAME_DIFFERS = define("P036", WARNING, "编号{number}在分解表中是「{text}」，与{scheme}指标体系的「{name}」不一致。"
                                         "请确认分解表与工作台使用同一套指标体系。")
P_NOT_IN_TABLE = define("P037", WARNING, "分解表中没有这些指标：{numbers}。任务分解中这些行保持不变。")
P_PROJECT_BLOCKS = define("P038", ERROR, "工作台有错误（见上），任务分解未写入。请先修正工作台。")

INDICATOR_NUMBER = re.compile(r"\d+(\.\d+)*")
UNIT_HEADERS = {h: f for f, h in ASSIGNMENT_FIELDS.items() if f in ("leads", "responsibles")}
TEXT_HEADERS = {h: f for f, h in ASSIGNMENT_FIELDS.items() if h not in UNIT_HEADERS}
MANY = 6  # a cell resolving to more units than this is summarised by its count


@dataclass
class PlanTable:
    """One table of the input as text cells; ``merged_from`` says which row (1-based) a merged cell repeats."""

    name: str
    rows: list[list[str]]
    merged_from: list[list[int | None]]
    word: bool = False

    def ref(self, r: int, c: int) -> str:
        return f"第{r + 1}行第{c + 1}列" if self.word else f"{get_column_letter(c + 1)}{r + 1}"


def read_plan_tables(path) -> list[PlanTable]:
    """Every table of a .docx, or every sheet of a .xlsx, with merged cells repeated in each cell they cover."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".docx", ".xlsx", ".xlsm"):
        raise WorkbookError(f"无法导入 {path.name}：只支持 .docx 和 .xlsx。请在 Word、Excel 或 WPS 中另存为这两种格式后再导入。")
    try:
        return _read_docx(path) if suffix == ".docx" else _read_xlsx(path)
    except WorkbookError:
        raise
    except Exception as exc:  # python-docx and openpyxl raise many kinds for a damaged file
        raise WorkbookError(f"无法读取 {path}（{type(exc).__name__}）。请确认文件存在、没有损坏、没有加密。") from None


def _read_docx(path: Path) -> list[PlanTable]:
    import docx

    tables = []
    for t, table in enumerate(docx.Document(str(path)).tables, 1):
        rows, merged, above, source = [], [], [], []
        for r, row in enumerate(table.rows):
            cells = [None] * row.grid_cols_before + list(row.cells)
            here = []
            for c, cell in enumerate(cells):
                same = cell is not None and c < len(above) and above[c] is not None and cell._tc is above[c]._tc
                here.append(source[c] if same else r + 1)
            rows.append([cell.text.strip() if cell is not None else "" for cell in cells])
            merged.append([src if src != r + 1 else None for src in here])
            above, source = cells, here
        tables.append(PlanTable(f"表格{t}", rows, merged, word=True))
    return tables


def _read_xlsx(path: Path) -> list[PlanTable]:
    wb = openpyxl.load_workbook(path, data_only=True)
    tables = []
    for ws in wb.worksheets:
        rows = [[cell_text(v) for v in values] for values in ws.iter_rows(values_only=True)]
        merged = [[None] * len(values) for values in rows]
        for rng in ws.merged_cells.ranges:
            top = rows[rng.min_row - 1][rng.min_col - 1]
            for r in range(rng.min_row - 1, rng.max_row):
                for c in range(rng.min_col - 1, rng.max_col):
                    rows[r][c] = top
                    if r > rng.min_row - 1:
                        merged[r][c] = rng.min_row
        tables.append(PlanTable(f"工作表「{ws.title}」", rows, merged))
    return tables


def table_columns(table: PlanTable) -> tuple[int | None, dict[str, int]]:
    """The header row and columns of a decomposition table; (None, {}) when it has none."""
    header, cols = find_header(table.rows, layout.TASK_COLUMNS)
    if header is None or "编号" not in cols or not UNIT_HEADERS.keys() & cols.keys():
        return None, {}
    return header, cols


def import_plan(scheme: Scheme, units: list[Unit], tables: list[PlanTable],
                file: str = "") -> tuple[dict[str, Assignment], list[str], Report]:
    """Assignments per indicator number, the normalisation notes (one line each) and the issues found."""
    index, _clashes = build_index(units)  # clashes are reported when the project workbook is read
    report, notes, out, first = Report(), [], {}, {}
    numbers = {i.number: i for i in scheme.indicators}
    groups_told: set[str] = set()
    found = False
    for table in tables:
        header, cols = table_columns(table)
        if header is None:
            notes.append(f"{table.name}：没有「编号」「牵头单位/责任单位」表头，已跳过")
            continue
        found, row_numbers = True, {}
        if "牵头单位" not in cols:
            report.add(issue(P_NO_LEAD_COLUMN, file=file, sheet=table.name))
        for r in range(header + 1, len(table.rows)):
            number, ref = number_text(_at(table.rows[r], cols, "编号")), table.ref(r, cols["编号"])
            if not number:
                continue
            if not INDICATOR_NUMBER.fullmatch(number):
                notes.append(f"{table.name}{ref}：编号列为「{number[:16]}」，不是指标行，已跳过")
                continue
            if number not in numbers:
                report.add(issue(P_ROW_NOT_IN_SCHEME, file=file, sheet=table.name, cell=ref, value=number,
                                 scheme=scheme.name))
                continue
            if number in first:
                report.add(issue(P_ROW_TWICE, file=file, sheet=table.name, cell=ref, value=number, number=number,
                                 first="".join(first[number])))
                continue
            first[number] = (table.name, ref)
            row_numbers[r] = number
            _check_name(scheme, numbers[number], _at(table.rows[r], cols, "三级指标"), file, table, r, cols, report)
            out[number] = _row(table, r, cols, number, index, file, notes, report, groups_told, row_numbers)
    if not found:
        report.add(issue(P_NO_HEADER, file=file))
        return out, notes, report
    missing = [n for n in numbers if n not in out]
    if missing:
        report.add(issue(P_NOT_IN_TABLE, file=file, numbers="、".join(missing)))
    for number, a in out.items():
        if not a.leads and not a.responsibles:
            sheet, cell = first[number]
            report.add(issue(P_NO_UNIT, file=file, sheet=sheet, cell=cell, number=number, name=numbers[number].name))
    return out, notes, report


def _at(cells: list[str], cols: dict[str, int], header: str) -> str:
    c = cols.get(header)
    return cells[c] if c is not None and c < len(cells) else ""


def _row(table: PlanTable, r: int, cols: dict[str, int], number: str, index: UnitIndex, file: str,
         notes: list[str], report: Report, groups_told: set[str], row_numbers: dict[int, str]) -> Assignment:
    a = Assignment(number)
    for header, attr in UNIT_HEADERS.items():
        if header not in cols:
            continue
        c, raw = cols[header], _at(table.rows[r], cols, header)
        res = resolve(raw, index)
        for name, closest in res.unknown:
            report.add(issue(P_UNKNOWN_UNIT, file=file, sheet=table.name, cell=table.ref(r, c), value=name,
                             number=number, column=header, name=name, closest=closest_text(closest)))
        said = [n.text for n in res.notes] + _merged(table, r, c, row_numbers)
        for group in res.groups:
            if group not in groups_told:
                groups_told.add(group)
                members = index.groups[normalize_header(group)]
                notes.append(f"群组「{group}」= {'、'.join(members)}（{len(members)}个单位，来自单位名单的所属群组）")
        if said:
            shown = "、".join(res.names) if len(res.names) <= MANY else f"{len(res.names)}个单位"
            notes.append(f"编号{number} {header}「{raw.replace(chr(10), '⏎')}」→ {shown or '无'}：{'；'.join(said)}")
        setattr(a, attr, res.names)
    both = [n for n in a.responsibles if n in a.leads]
    if both:
        a.responsibles = [n for n in a.responsibles if n not in a.leads]
        notes.append(f"编号{number} 责任单位：{'、'.join(both)}已是牵头单位，不再重复列为责任单位")
    for header, attr in TEXT_HEADERS.items():
        if header in cols:
            text = _at(table.rows[r], cols, header)
            said = _merged(table, r, cols[header], row_numbers) + ([f"「{text}」表示无"] if is_none(text) else [])
            if said:
                notes.append(f"编号{number} {header}：{'；'.join(said)}")
            setattr(a, attr, "" if is_none(text) else text)
    return a


def _merged(table: PlanTable, r: int, c: int, row_numbers: dict[int, str]) -> list[str]:
    src = table.merged_from[r][c] if c < len(table.merged_from[r]) else None
    if not src or not table.rows[r][c]:
        return []
    above = f"编号{row_numbers[src - 1]}（第{src}行）" if src - 1 in row_numbers else f"第{src}行"
    return [f"合并单元格，沿用{above}的内容"]


_POINTS = re.compile(r"[（(]\s*\d+(\.\d+)?\s*分\s*[)）]|[。.]$")


def _check_name(scheme: Scheme, indicator, text: str, file: str, table: PlanTable, r: int, cols, report) -> None:
    """A table from another scheme numbers its indicators differently: say so when the names disagree."""
    if not text:
        return
    a, b = _POINTS.sub("", normalize_header(text)), _POINTS.sub("", normalize_header(indicator.name))
    if a in b or b in a or difflib.SequenceMatcher(None, a, b).ratio() >= 0.6:
        return
    report.add(issue(P_NAME_DIFFERS, file=file, sheet=table.name, cell=table.ref(r, cols["三级指标"]), value=text,
                     number=indicator.number, text=text, scheme=scheme.name, name=indicator.name))


@dataclass
class ImportResult:
    assignments: dict[str, Assignment] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    fields: tuple[str, ...] = ()  # the 任务分解 columns the table provides
    backup: Path | None = None  # set when 任务分解 was written: the clerk's previous workbook

    @property
    def written(self) -> bool:
        return self.backup is not None


def import_plan_file(dir, table_path) -> ImportResult:
    """Read the project and the table, import, and write 任务分解 when there is no blocking error."""
    project, wb_report = read_project(dir)
    result = ImportResult(report=Report([i for i in wb_report.issues if i.blocking]))
    if project is None:
        return result
    tables = read_plan_tables(table_path)
    result.assignments, result.notes, report = import_plan(project.scheme, project.units, tables, Path(table_path).name)
    # 任务分解 is about to be replaced, so its own problems do not block the import
    blocking = [i for i in result.report.issues if i.sheet != layout.SHEET_TASKS]
    result.report = Report(blocking + report.issues)
    if blocking:
        result.report.add(issue(P_PROJECT_BLOCKS, file=layout.PROJECT_WORKBOOK))
    found = set().union(*(table_columns(t)[1] for t in tables))
    result.fields = tuple(f for f, h in ASSIGNMENT_FIELDS.items() if h in found)
    if result.report.valid and result.assignments:
        result.backup = write_assignments(dir, result.assignments, result.fields)
    return result
