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
from zonekit.errors import WorkbookError, ZonekitError
from zonekit.issues import ERROR, WARNING, Issue, Report, define, issue
from zonekit.layout import normalize_header
from zonekit.project import Assignment, Unit
from zonekit.scheme import Scheme, available_schemes, load_scheme
from zonekit.unitnames import UnitIndex, build_index, is_none, looks_like_group, names_written, resolve
from zonekit.workbench import (ASSIGNMENT_FIELDS, P_NO_UNIT, P_UNKNOWN_UNIT, cell_text, closest_text, find_header,
                               number_text, read_project, write_assignments)

P_NO_HEADER = define("P031", ERROR, "{file} 中没有找到含「编号」和「牵头单位」或「责任单位」的表头行。"
                                    "请确认分解表有这些列名（列名可以写作 序号、配合单位 等）。")
P_NO_LEAD_COLUMN = define("P032", WARNING, "分解表没有「牵头单位」列：表中列出的单位都记为责任单位，任务分解中的"
                                           "牵头单位保持不变。请在 任务分解 中为每项指标指定牵头单位。")
P_ROW_NOT_IN_SCHEME = define("P033", WARNING, "分解表的编号{value}不在{scheme}指标体系中，{rows}未导入。请核对编号。")
P_ROW_TWICE = define("P034", ERROR, "编号{number}在分解表中出现了两次（{first} 和 {cell}），无法确定以哪一行为准。"
                                    "请删去多余的一行后再导入。")
P_NAME_DIFFERS = define("P036", WARNING, "分解表中{count}项指标的名称与{scheme}指标体系不一致（{examples}），可能是简称、"
                                         "占位文字或另一套指标体系。已按编号导入，请核对分解表与工作台使用同一套指标体系。")
P_NOT_IN_TABLE = define("P037", WARNING, "分解表中没有这些指标：{numbers}。任务分解中这些行保持不变。")
P_PROJECT_BLOCKS = define("P038", ERROR, "工作台有错误（见上），任务分解未写入。请先修正工作台。")
P_OTHER_SCHEME = define("P039", ERROR, "分解表的指标名称属于{looks}（{hits}/{named}项名称相符），而本项目用的是{scheme}，"
                                       "按编号对照只有{same}项名称相同：照编号导入会把指标分给错误的单位，任务分解未写入。"
                                       "请改用按本项目指标体系编制的分解表，或用 zonekit init --scheme {looks_name} "
                                       "新建项目；确认要照编号导入时加 --force。")
P_NUMBERS_SHIFTED = define("P040", ERROR, "分解表的指标名称与本项目的{scheme}相符，但编号对不上（按编号只有{same}/{named}项"
                                          "名称相同）：照编号导入会把指标分给错误的单位，任务分解未写入。请核对分解表的编号列；"
                                          "确认要照编号导入时加 --force。")
P_UNITS_MISSING = define("P041", ERROR, "单位名单{listed}，分解表中的{count}个单位名称不在其中（{examples}），任务分解未写入。"
                                       "请先在工作台的 单位名单 中填写各单位（或用 zonekit init --units 导入），"
                                       "或加 --add-units 把分解表中的单位加入单位名单。")
P_GROUPS_UNDEFINED = define("P042", WARNING, "这些名称像是群组，单位名单中还没有它们的成员：{groups}。已原样写入 任务分解；"
                                             "请在 单位名单 的「所属群组」列为每个成员单位填写群组名称（一个单位也可以直接"
                                             "以此为名），之后 generate 会按成员展开。")

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


@dataclass
class PlanRow:
    """One numbered row of a table: where it is, its number, the indicator name as the table writes it."""

    table: PlanTable
    r: int
    cols: dict[str, int]
    number: str
    name: str

    @property
    def ref(self) -> str:
        return self.table.ref(self.r, self.cols["编号"])

    def text(self, header: str) -> str:
        return _at(self.table.rows[self.r], self.cols, header)


@dataclass
class ImportResult:
    assignments: dict[str, Assignment] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    fields: tuple[str, ...] = ()  # the 任务分解 columns the table provides
    new_units: list[Unit] = field(default_factory=list)  # --add-units: the units added to 单位名单
    groups: dict[str, list[str]] = field(default_factory=dict)  # --add-units: group names without members -> numbers
    backup: Path | None = None  # set when 任务分解 was written: the clerk's previous workbook

    @property
    def written(self) -> bool:
        return self.backup is not None

    @property
    def refused(self) -> bool:
        """Stopped by one message that says it all (another scheme, an empty unit list)."""
        return any(i.code in GATES for i in self.report.issues)


GATES = (P_OTHER_SCHEME, P_NUMBERS_SHIFTED, P_UNITS_MISSING)
MIN_SCHEME_HITS = 3  # names that must match before a table is said to belong to a scheme


def import_plan(scheme: Scheme, units: list[Unit], tables: list[PlanTable], file: str = "", *,
                force: bool = False, add_units: bool = False) -> ImportResult:
    """Assignments per indicator number, the normalisation notes (one line each) and the issues found.

    Refuses (one message, nothing to write) a table whose indicator names belong to another scheme unless
    ``force``, and a table most of whose units are missing from ``units`` unless ``add_units``, which adds them."""
    out = ImportResult()
    report, notes = out.report, out.notes
    rows, found = plan_rows(tables, notes)
    if not found:
        report.add(issue(P_NO_HEADER, file=file))
        return out
    numbers = {i.number: i for i in scheme.indicators}
    gate = check_names(scheme, rows, file, force)
    if gate is not None and gate.blocking:
        report.add(gate)
        return out
    table_report = Report()  # said after the unit list is found usable: a refusal is one message
    for table in dict.fromkeys(r.table.name for r in rows if "牵头单位" not in r.cols):
        table_report.add(issue(P_NO_LEAD_COLUMN, file=file, sheet=table))
    ours = _rows_of_scheme(scheme, rows, file, table_report)
    if gate is not None:
        table_report.add(gate)

    resolved = _resolve_units(units, list(ours.values()), file, add_units, out)
    if resolved is None:
        return out
    index, found_names = resolved
    report.issues[:0] = table_report.issues

    groups_told: set[str] = set()
    for number, row in ours.items():
        out.assignments[number] = _row(row, found_names, index, file, notes, report, groups_told, ours)
    missing = [n for n in numbers if n not in out.assignments]
    if missing:
        report.add(issue(P_NOT_IN_TABLE, file=file, numbers="、".join(missing)))
    for number, a in out.assignments.items():
        if not a.leads and not a.responsibles:
            row = ours[number]
            report.add(issue(P_NO_UNIT, file=file, sheet=row.table.name, cell=row.ref, number=number,
                             name=numbers[number].name))
    return out


def _resolve_units(units: list[Unit], rows: list[PlanRow], file: str, add_units: bool, out: ImportResult):
    """(index, {(number, header): Resolution}) for the unit cells of ``rows``; None after one P041 message when
    most names are missing from the unit list. With ``add_units`` the missing names become units in
    ``out.new_units`` and the group-like ones stay as written, listed in ``out.groups``."""
    index = build_index(units)[0]  # clashes are reported when the project workbook is read
    cells = [(row, header) for row in rows for header in UNIT_HEADERS if header in row.cols]
    written = names_written(row.text(header) for row, header in cells)

    def resolve_all():
        return {(row.number, header): resolve(row.text(header), index, written) for row, header in cells}

    found = resolve_all()
    unknown: dict[str, list[str]] = {}  # name -> numbers of the rows naming it
    for (number, _header), res in found.items():
        for name, _closest in res.unknown:
            if number not in unknown.setdefault(name, []):
                unknown[name].append(number)
    if unknown and add_units:
        out.new_units = [Unit(name) for name in unknown if not looks_like_group(name)]
        out.groups = {name: numbers for name, numbers in unknown.items() if looks_like_group(name)}
        for unit in out.new_units:
            closest = index.closest(unit.name)
            if closest:
                out.notes.append(f"新加入的「{unit.name}」与单位名单中的{'、'.join(closest)}相近：如是同一单位，"
                                 f"请在单位名单中删去「{unit.name}」，把它写作该单位的别名")
        # the undefined groups stand for themselves until the clerk lists their members
        index = build_index(units + out.new_units + [Unit(g) for g in out.groups])[0]
        found = resolve_all()
        if out.groups:
            out.report.add(issue(P_GROUPS_UNDEFINED, file=layout.PROJECT_WORKBOOK, sheet=layout.SHEET_UNITS,
                                 groups="；".join(f"「{g}」（编号{'、'.join(n)}）" for g, n in out.groups.items())))
    elif len(unknown) > len(units):  # an empty or nearly empty unit list: say it once, not once per cell
        shown = "、".join(list(unknown)[:5]) + (f"等{len(unknown)}个" if len(unknown) > 5 else "")
        out.report.add(issue(P_UNITS_MISSING, file=file, sheet=layout.SHEET_UNITS, count=len(unknown),
                             examples=shown, listed="是空的" if not units else f"中只有{len(units)}个单位"))
        return None
    return index, found


def plan_rows(tables: list[PlanTable], notes: list[str]) -> tuple[list[PlanRow], bool]:
    """Every numbered row of the tables that have a decomposition header; False when none has one."""
    rows, found = [], False
    for table in tables:
        header, cols = table_columns(table)
        if header is None:
            notes.append(f"{table.name}：没有「编号」「牵头单位/责任单位」表头，已跳过")
            continue
        found = True
        # the numbered indicators are 三级指标 in the 2022 table, 二级指标 in the 2025 draft
        name_col = "三级指标" if "三级指标" in cols else "二级指标"
        for r in range(header + 1, len(table.rows)):
            number = number_text(_at(table.rows[r], cols, "编号"))
            if not number:
                continue
            if not INDICATOR_NUMBER.fullmatch(number):
                notes.append(f"{table.name}{table.ref(r, cols['编号'])}：编号列为「{number[:16]}」，不是指标行，已跳过")
                continue
            rows.append(PlanRow(table, r, cols, number, _at(table.rows[r], cols, name_col)))
    return rows, found


def _rows_of_scheme(scheme: Scheme, rows: list[PlanRow], file: str, report: Report) -> dict[str, PlanRow]:
    """The rows whose number is one of the scheme's, once each; the others reported in one line."""
    numbers = {i.number for i in scheme.indicators}
    ours, strangers = {}, []
    for row in rows:
        if row.number not in numbers:
            strangers.append(row)
        elif row.number in ours:
            first = ours[row.number]
            report.add(issue(P_ROW_TWICE, file=file, sheet=row.table.name, cell=row.ref, value=row.number,
                             number=row.number, first=first.table.name + first.ref))
        else:
            ours[row.number] = row
    if strangers:
        report.add(issue(P_ROW_NOT_IN_SCHEME, file=file, sheet=strangers[0].table.name, cell=strangers[0].ref,
                         value="、".join(r.number for r in strangers), scheme=scheme.name,
                         rows="该行" if len(strangers) == 1 else f"这{len(strangers)}行"))
    return ours


def _at(cells: list[str], cols: dict[str, int], header: str) -> str:
    c = cols.get(header)
    return cells[c] if c is not None and c < len(cells) else ""


def _row(row: PlanRow, found_names: dict, index: UnitIndex, file: str, notes: list[str], report: Report,
         groups_told: set[str], ours: dict[str, PlanRow]) -> Assignment:
    number, table, r = row.number, row.table, row.r
    a = Assignment(number)
    for header, attr in UNIT_HEADERS.items():
        if header not in row.cols:
            continue
        c, raw = row.cols[header], row.text(header)
        res = found_names[(number, header)]
        for name, closest in res.unknown:
            report.add(issue(P_UNKNOWN_UNIT, file=file, sheet=table.name, cell=table.ref(r, c), value=name,
                             number=number, column=header, name=name, closest=closest_text(closest)))
        said = [n.text for n in res.notes] + _merged(table, r, c, ours)
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
        if header in row.cols:
            text = row.text(header)
            said = _merged(table, r, row.cols[header], ours) + ([f"「{text}」表示无"] if is_none(text) else [])
            if said:
                notes.append(f"编号{number} {header}：{'；'.join(said)}")
            setattr(a, attr, "" if is_none(text) else text)
    return a


def _merged(table: PlanTable, r: int, c: int, ours: dict[str, PlanRow]) -> list[str]:
    src = table.merged_from[r][c] if c < len(table.merged_from[r]) else None
    if not src or not table.rows[r][c]:
        return []
    number = next((n for n, row in ours.items() if row.table is table and row.r == src - 1), None)
    above = f"编号{number}（第{src}行）" if number else f"第{src}行"
    return [f"合并单元格，沿用{above}的内容"]


# ---------------------------------------------------------------- does the table belong to the project's scheme?

_POINTS = re.compile(r"[（(]\s*\d+(\.\d+)?\s*分\s*[)）]|[。.]$")


def same_name(text: str, name: str) -> bool:
    """A table's indicator name and a scheme's, allowing for points in brackets, a final 。 and small edits."""
    a, b = _POINTS.sub("", normalize_header(text)), _POINTS.sub("", normalize_header(name))
    return bool(a and b) and (a in b or b in a or difflib.SequenceMatcher(None, a, b).ratio() >= 0.6)


def check_names(scheme: Scheme, rows: list[PlanRow], file: str, force: bool = False) -> Issue | None:
    """None when the names agree with the scheme by number; otherwise a refusal (the names belong to another
    scheme, or to this one under other numbers) unless ``force``, or one warning summing up the differences."""
    named = [row for row in rows if row.name]
    by_number = {i.number: i for i in scheme.indicators}
    differ = [row for row in named if row.number in by_number and not same_name(row.name, by_number[row.number].name)]
    same = sum(1 for row in named if row.number in by_number) - len(differ)
    if not named or (not differ and same * 2 >= len(named)):
        return None
    if same * 2 < len(named) and not force:
        looks, hits = _scheme_of(scheme, [row.name for row in named])
        if looks is not None and hits >= max(MIN_SCHEME_HITS, (len(named) + 1) // 2) and hits > same:
            where = dict(file=file, sheet=named[0].table.name)
            if looks.name == scheme.name:
                return issue(P_NUMBERS_SHIFTED, **where, scheme=_title(scheme), same=same, named=len(named))
            return issue(P_OTHER_SCHEME, **where, looks=_title(looks), hits=hits, named=len(named),
                         scheme=_title(scheme), same=same, looks_name=looks.name)
    if not differ:
        return None
    examples = "；".join(f"编号{row.number}写作「{row.name}」，指标体系为「{by_number[row.number].name}」"
                        for row in differ[:2])
    numbers = "、".join(row.number for row in differ)
    return issue(P_NAME_DIFFERS, file=file, sheet=differ[0].table.name, cell=differ[0].ref, value=numbers,
                 count=len(differ), scheme=scheme.name, examples=f"编号{numbers}；如{examples}")


def _title(scheme: Scheme) -> str:
    return f"「{scheme.name}」指标体系（{scheme.title}）"


def _scheme_of(project_scheme: Scheme, names: list[str]) -> tuple[Scheme | None, int]:
    """The scheme (shipped, or the project's own) whose indicator names the most of ``names`` match, by name."""
    candidates = {project_scheme.name: project_scheme}
    for path in available_schemes():
        try:
            scheme = load_scheme(path)
        except ZonekitError:  # a broken scheme file is reported where it is used, not here
            continue
        candidates.setdefault(scheme.name, scheme)
    best, best_hits = None, 0
    for scheme in candidates.values():
        hits = sum(1 for text in names if any(same_name(text, i.name) for i in scheme.indicators))
        if hits > best_hits or (hits == best_hits and scheme is project_scheme):
            best, best_hits = scheme, hits
    return best, best_hits


# ---------------------------------------------------------------- the command's library call


def import_plan_file(dir, table_path, *, force: bool = False, add_units: bool = False) -> ImportResult:
    """Read the project and the table, import, and write 任务分解 (and, with ``add_units``, the new units in
    单位名单) when there is no blocking error."""
    project, wb_report = read_project(dir)
    if project is None:
        return ImportResult(report=Report([i for i in wb_report.issues if i.blocking]))
    tables = read_plan_tables(table_path)
    result = import_plan(project.scheme, project.units, tables, Path(table_path).name, force=force,
                         add_units=add_units)
    # 任务分解 is about to be replaced, so its own problems do not block the import
    blocking = [i for i in wb_report.issues if i.blocking and i.sheet != layout.SHEET_TASKS]
    if blocking and not result.refused:
        result.report = Report(blocking + result.report.issues)
        result.report.add(issue(P_PROJECT_BLOCKS, file=layout.PROJECT_WORKBOOK))
    found = set().union(*(table_columns(t)[1] for t in tables))
    result.fields = tuple(f for f, h in ASSIGNMENT_FIELDS.items() if h in found)
    if result.report.valid and result.assignments:
        result.backup = write_assignments(dir, result.assignments, result.fields, new_units=result.new_units)
    return result
