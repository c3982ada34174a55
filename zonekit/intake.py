"""Read one returned unit workbook: whose it is (its embedded identity, never its file name), what it says
(answers, progress, pictures) and every problem in it, each with file, unit, sheet and cell.

Reads bytes only: never writes to the returned file, never runs or keeps macros, parses XML with defusedxml
and refuses zip bombs from their declared sizes before any XML is parsed.
"""

from __future__ import annotations

import errno
import functools
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path

from python_calamine import CalamineWorkbook

from zonekit import extent, layout, values
from zonekit.evidence import (R_OFF_ROW, R_PICTURE_UNREADABLE, Picture, a1, col_letters,
                              find_ods_pictures, find_pictures, find_xls_pictures, parse_xml, read_member,
                              sheet_parts)
from zonekit.exact import fmt_number
from zonekit.issues import ERROR, WARNING, Issue, Report, define, issue
from zonekit.project import Project
from zonekit.unitbook import DataRow, IndicatorRow, data_rows, indicator_rows

# ---------------------------------------------------------------- message codes (R0xx file, R2xx content)
R_UNREADABLE = define("R001", ERROR, "无法打开此文件（{reason}），未采用。请用 Excel 或 WPS 打开确认文件完好，"
                                     "另存为 .xlsx 后重新发送。")
R_ENCRYPTED = define("R002", ERROR, "文件设置了打开密码（已加密），无法读取，未采用。请在 Excel/WPS 中取消密码"
                                    "（文件→信息→保护工作簿→用密码进行加密，清空密码）后另存一份不带密码的文件发送。")
R_BOMB = define("R003", ERROR, "文件的压缩内容异常（{reason}），为安全起见未展开，未采用。请直接发送填报表原文件。")
R_LOCK = define("R004", WARNING, "这是 Office/WPS 打开文件时生成的临时锁定文件（~$ 开头），已跳过，无需处理。")
R_NOT_WORKBOOK = define("R005", WARNING, "不是填报表（{reason}），已跳过。如果这是填报表，请另存为 .xlsx 后重新发送。")
R_FORMAT = define("R006", ERROR, "{reason}格式的表格无法读取，未采用。请用 Excel 或 WPS 另存为 .xlsx 后重新发送。")
R_ZIP_PASSWORD = define("R007", ERROR, "压缩包中的「{value}」设置了解压密码，无法读取，未采用。请发送不带密码的压缩包或原文件。")
R_NO_IDENTITY = define("R010", ERROR, "表内没有填报表身份信息，文件名中也没有本项目单位的名称，未采用。"
                                      "请使用创建办下发的填报表填写后发送。")
R_BY_FILENAME = define("R011", WARNING, "表内没有填报表身份信息，按文件名识别为「{unit}」。请核实；"
                                        "今后请使用创建办下发的填报表填写。")
R_OTHER_PROJECT = define("R012", ERROR, "这是项目「{found}」的填报表，不是本项目（{expected}）的，未采用。"
                                        "请使用本项目下发的填报表填写后重新发送。")
R_OTHER_SCHEME = define("R013", ERROR, "填报表使用的指标体系是「{found}」，本项目为「{expected}」，未采用。"
                                       "请使用新下发的填报表重新填写。")
R_OTHER_TEMPLATE = define("R014", ERROR, "填报表模板版本为「{found}」，本工具需要版本「{expected}」，未采用。"
                                         "请使用新下发的填报表重新填写。")
R_UNKNOWN_UNIT = define("R015", ERROR, "填报表所属单位「{found}」不在本项目的单位名单中，未采用。"
                                       "请核对 工作台.xlsx 的单位名单，或请该单位使用本单位的填报表。")
R_ALIAS = define("R016", WARNING, "填报表所属单位「{found}」按单位名单的别名识别为「{unit}」。")
R_OTHER_ROUND = define("R017", WARNING, "填报表属于「{found}」，本项目当前为「{expected}」：各轮的数据分开计，本表不计入"
                                      "「{expected}」，已跳过（「{found}」的结果已存档）。如该单位要报送本轮的数据，请让它"
                                      "填写「{expected}」的填报表（zonekit remind 可再次发送）。")
R_ID_CONFLICT = define("R018", ERROR, "文件属性中的身份（{found}）与隐藏表 {sheet} 中的（{expected}）不一致，未采用。"
                                      "请使用创建办下发的原表填写，不要把内容复制到别的文件中。")
R_WRONG_UNIT = define("R019", WARNING, "{how}，但表内身份为「{unit}」；已按表内身份计入「{unit}」。请核实是否发错了表。")
R_SPECIAL = define("R008", WARNING, "不是普通文件（{reason}），已跳过。如果这是填报表，请把文件本身放进 2-回收 后重新回收。")
R_NAME_BYTES = define("R009", WARNING, "文件名中有不是 UTF-8 编码的字节（常见于从 Windows U 盘拷贝的文件），显示为"
                                       "「{value}」{guess}。建议把文件改成正常的名称。")
R_UNSAFE = define("R020", ERROR, "文件无法安全读取（{reason}），未采用。请用 Excel 或 WPS 打开确认内容正常，"
                                 "另存为新的 .xlsx 后重新发送。")
R_MACROS = define("R021", WARNING, "文件含宏（VBA），宏不会运行，也不会被保留。")
R_SAVED_LATE = define("R022", WARNING, "表格记录的保存时间 {value} {why}，可能是保存它的电脑时钟不准；与同一单位的其他文件"
                                       "比较新旧时按收到时间 {used} 计。请核实采用的是否为该单位最新的一份。")
R_DUP_IDENTITY = define("R023", WARNING, "隐藏表 {sheet} 中「{value}」出现了不止一次（第{first}行为「{kept}」，第{again}行为"
                                         "「{other}」），按第一次出现的计。请使用创建办下发的原表填写。")
R_HIDDEN_SHEET = define("R024", WARNING, "工作表「{sheet}」被设为{how}，在 Excel、WPS 中看不到，其中填写的内容已读取。"
                                         "请取消隐藏，核对这些内容是否就是本单位要报送的数值。")
R_NO_SHEET = define("R201", ERROR, "缺少工作表「{sheet}」，其中的内容无法读取。请不要删除或重命名工作表，使用下发的原表填写。")
R_NO_COLUMN = define("R202", ERROR, "{sheet} 表头中找不到“{column}”列，该列内容无法读取。请不要删除或修改表头。")
R_BAD_KEY = define("R203", ERROR, "{sheet}!{cell} 的键「{value}」不是本单位填报表中的行（“键”列可能被改动，或表格"
                                  "已过期），本行内容未采用。请不要改动“键”列，使用下发的原表填写。")
R_ROW_GONE = define("R204", ERROR, "{sheet} 缺少键为「{value}」的行（{label}），可能被删除。请使用下发的原表补填。")
R_DUP_KEY = define("R205", ERROR, "{sheet}!{cell} 的键「{value}」重复出现（第一次在第{first}行），本行未采用。"
                                  "请删除多余的行。")
R_NO_KEY_ROW = define("R206", WARNING, "{sheet}!{cell} 填写了「{value}」，但本行没有“键”（可能是自行插入的行），未采用。"
                                       "请填写在对应指标或数据项的行中。")
R_BLANK = define("R207", ERROR, "{sheet}!{cell}（{label}）未填写。请补填后重新发送。")
R_NO_EVIDENCE = define("R208", WARNING, "{sheet}!{cell}：{label} 自评为“{value}”，但没有填写佐证材料说明。"
                                        "请在本行“佐证材料说明”中写明佐证材料名称，并随表报送。")
R_NOT_ASKED = define("R209", WARNING, "{sheet}!{cell} 填写了「{value}」，但{why}，本格内容未采用。")
R_LIST_HALF = define("R210", WARNING, "{sheet}!{cell}：名单第{n}项{what}，{effect}。请补全名称和金额。")
R_CUT_TEXT = define("R212", WARNING, "{sheet}!{cell} 的文字有 {n} 个字符，超过 Excel 单元格的上限 {limit} 个，"
                                     "汇总时只保留前 {limit} 个。过长的说明请写成附件随表报送。")
R_OUTSIDE = define("R213", WARNING, "{sheet} 在填报表范围以外还有 {n} 个单元格有内容（最远到 {cell}），这些内容未读取。"
                                    "请只在填报表的行列中填写。")
R_NO_HEADER = define("R211", ERROR, "{sheet} 中找不到表头（含“键”列的一行），本表内容无法读取。请不要删除或修改表头。")

# ---------------------------------------------------------------- limits (zip bombs, oversized files)
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_ENTRIES = 5000
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
FIRST_YEAR, LAST_YEAR = 1900, 2999  # saved times outside these years are not times (see parse_time)
MAX_RATIO = 200  # per entry, for entries above RATIO_FROM bytes; real sheets compress 5–30 times
RATIO_FROM = 1024 * 1024
CELL_TEXT_LIMIT = 32767  # characters Excel keeps in a cell; longer text is cut, with a warning
ROW_SLACK, COL_SLACK = 500, 26  # rows and columns beyond a form's own that a clerk may have added
XLS_MAX_CELLS = 1_000_000  # an .xls sheet cannot be trimmed before calamine reads it: beyond this it is refused

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"

NS_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
NS_DCTERMS = "http://purl.org/dc/terms/"
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_ODF_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
NS_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
NS_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

# where a workbook's own saved time comes from, as 回收登记 names it
SAVED_XLSX = "core.xml"  # docProps/core.xml dcterms:modified (.xlsx/.xlsm)
SAVED_XLS = "SummaryInformation"  # the OLE property set's last-saved time (.xls, .et)
SAVED_ODS = "meta.xml"  # dc:date (.ods)

ID_BY_IDENTITY = "身份信息"
ID_BY_FILENAME = "文件名"

KIND_DATA, KIND_LIST, KIND_CLAIM, KIND_JUDGED = "data", "list", "claim", "judged"
KIND_TEXT = "text"  # a text input of 指标填报 (工作进展, 佐证材料说明 …); ``item`` is its column header


# ---------------------------------------------------------------- what one return holds


@dataclass(slots=True)
class Answer:
    """One input read from a return: a data value, a list entry, a 是/否 claim or a self score."""

    key: str  # the row key: "online_retail@2023", "new_large_traders#1", "11.3", "10"
    kind: str  # data | list | claim | judged
    item: str  # data item key (data, list) or scheme item key (claim, judged)
    value: object  # Fraction | bool | None (None: blank, or not used because of an error)
    typed: object  # the cell as read (str, float, bool …); ``text`` shows it
    sheet: str
    cell: str
    year: int | None = None
    name: str = ""  # list entry name
    indicator: str = ""  # the indicator number(s) that read it, "3、9"
    label: str = ""  # what the clerk sees: 网上零售额, the claim's text …
    measure: str = ""  # 计量单位 of a data row
    note: str = ""  # 数据来源及说明
    blocked: bool = False  # typed, but refused by an error
    required: str = ""  # what 未填项 calls this input when it is left blank ("" when it may stay blank)

    @property
    def text(self) -> str:
        """The cell as the clerk typed it."""
        return values.raw_text(self.typed)

    @property
    def shown(self) -> str:
        """The value as zonekit read it (12.5%, 1200, 是), or what was typed when it was not used."""
        if self.value is None:
            return self.text
        kind = values.SHARE if self.measure == "%" else values.AMOUNT
        shown = values.show_value(self.value, kind)
        return f"{self.name}：{shown}" if self.kind == KIND_LIST else shown


@dataclass(slots=True)
class ProgressEntry:
    """What one unit wrote about one indicator: progress, evidence description and list, problems, contact."""

    indicator: str
    unit: str
    role: str
    progress: str = ""
    evidence: str = ""
    files: str = ""
    problems: str = ""
    contact: str = ""
    file: str = ""
    sheet: str = ""
    row: int = 0  # 1-based, as the clerk sees it


@dataclass
class ReturnRecord:
    """Everything known about one file seen by intake; ``status`` is set by collect (采用/已被替代/退回/跳过)."""

    file: str  # display path: relative to the project folder, archive members after '!'
    name: str  # the file's own name
    size: int = 0
    sha256: str = ""
    format: str = ""  # xlsx | xlsm | xls | zip | eml | other
    origin: tuple[str, ...] = ()  # top-level path, then member locators: how to read the bytes again
    unit: str = ""
    identified_by: str = ""  # 身份信息 | 文件名 | ""
    identity: dict[str, str] = field(default_factory=dict)
    saved_at: str = ""  # the saved time inside the file, ISO 8601 UTC (see saved_from)
    saved_from: str = ""  # where saved_at comes from: SAVED_XLSX / SAVED_XLS / SAVED_ODS, "" when unknown
    file_time: str = ""  # file modification time (or the e-mail's Date), ISO 8601
    received_at: str = ""  # e-mail Date when it came by mail, else saved_at, else file_time
    ordered_at: str = ""  # set when saved_at is not believable (later than receipt): what orders it instead
    mailed_at: str = ""  # the e-mail's Date when it came by mail
    sender: str = ""  # e-mail From address when it came by mail
    answers: list[Answer] = field(default_factory=list)
    text_answers: list[Answer] = field(default_factory=list)  # 指标填报 text cells: kind "text", item = column
    progress: list[ProgressEntry] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required inputs left blank, as labels
    refused: bool = False  # a file-level error: nothing of it is taken
    skipped: bool = False  # not a workbook at all (lock file, picture, …)
    status: str = ""
    reason: str = ""
    packed: str | None = field(default=None, repr=False)  # answers, texts and progress as JSON (see pack)
    version: int = 0  # its id in the project's ledger, once recorded there
    seen_at: str = ""  # when zonekit first found this content (the ledger's receipt time), ISO 8601

    @property
    def texts(self) -> dict[str, dict[str, str]]:
        """指标填报's free texts per row key as typed ({column header: text}, blanks left out), item rows included:
        what a refilled workbook writes back (``progress`` joins an indicator's item rows into one entry)."""
        out: dict[str, dict[str, str]] = {}
        for a in self.text_answers:
            if a.value:
                out.setdefault(a.key, {})[a.item] = a.value
        return out

    @property
    def report(self) -> Report:
        return Report(list(self.issues))

    @property
    def errors(self) -> list[Issue]:
        return self.report.errors

    @property
    def warnings(self) -> list[Issue]:
        return self.report.warnings

    @property
    def readable(self) -> bool:
        """Identified and read: it can compete for its unit."""
        return bool(self.unit) and not self.refused and not self.skipped

    @property
    def order_time(self) -> str:
        """What decides the newest return of a unit: the workbook's own saved time, else the file time; a
        saved time later than receipt is not believed (see check_saved_time)."""
        return self.ordered_at or self.saved_at or self.file_time

    def add(self, code: str, **params) -> Issue:
        found = issue(code, file=self.file, unit=params.pop("unit", self.unit), **params)
        self.issues.append(found)
        return found

    def refuse(self, code: str, **params) -> None:
        self.add(code, **params)
        self.refused = True

    # A worker process sends its records to collect as pickles; answers, texts and progress travel as one JSON
    # string (cheap to unpickle), which is also how the project's ledger stores them. Fractions are kept exact
    # as "numerator/denominator" text. Collect unpacks only the versions it merges.
    def pack(self) -> "ReturnRecord":
        if self.packed is None and (self.answers or self.text_answers or self.progress):
            self.packed = pack_content(self.answers, self.text_answers, self.progress)
            self.answers, self.text_answers, self.progress = [], [], []
        return self

    def unpack(self) -> "ReturnRecord":
        if self.packed is not None:
            self.answers, self.text_answers, self.progress = unpack_content(self.packed)
            self.packed = None
        return self


_ANSWER_FIELDS = ("key", "kind", "item", "value", "typed", "sheet", "cell", "year", "name", "indicator", "label",
                  "measure", "note", "blocked", "required")
_PROGRESS_FIELDS = ("indicator", "unit", "role", "progress", "evidence", "files", "problems", "contact", "file",
                    "sheet", "row")
CONTENT_FORMAT = 1  # bump when the packed layout changes (the ledger re-reads what it cannot unpack)


def _pack_value(value):
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    return value  # bool or None


def _unpack_value(value, kind: str):
    return Fraction(value) if isinstance(value, str) and kind != KIND_TEXT else value  # a text input keeps its text


def _pack_typed(typed):
    if typed is None or isinstance(typed, (str, bool, int, float)):
        return typed
    return values.raw_text(typed)  # dates and times: the text the cell showed


def _pack_answer(a: Answer) -> list:
    return [a.key, a.kind, a.item, _pack_value(a.value), _pack_typed(a.typed), a.sheet, a.cell, a.year, a.name,
            a.indicator, a.label, a.measure, a.note, a.blocked, a.required]


def _unpack_answer(t: list) -> Answer:
    return Answer(t[0], t[1], t[2], _unpack_value(t[3], t[1]), *t[4:])


def pack_content(answers, texts, progress) -> str:
    """Answers, texts and progress entries as one JSON text (what the ledger stores per version)."""
    import json

    return json.dumps({"format": CONTENT_FORMAT, "answers": [_pack_answer(a) for a in answers],
                       "texts": [_pack_answer(a) for a in texts],
                       "progress": [[getattr(e, f) for f in _PROGRESS_FIELDS] for e in progress]},
                      ensure_ascii=False, separators=(",", ":"))


def unpack_content(text: str) -> tuple[list[Answer], list[Answer], list[ProgressEntry]]:
    import json

    data = json.loads(text)
    if data.get("format") != CONTENT_FORMAT:
        raise ValueError(f"content format {data.get('format')}")
    return ([_unpack_answer(t) for t in data["answers"]], [_unpack_answer(t) for t in data["texts"]],
            [ProgressEntry(*e) for e in data["progress"]])


def progress_entries(unit: str, rows: dict, texts: list[Answer], file: str) -> list[ProgressEntry]:
    """What a unit wrote per indicator, from its text inputs (``texts``, kind "text", in sheet order): one entry per
    indicator row, the texts of its sub-item rows appended as "11.3：…". ``rows``: key → IndicatorRow."""
    by_key: dict[str, dict[str, Answer]] = {}
    for t in texts:
        by_key.setdefault(t.key, {})[t.item] = t
    entries: dict[str, ProgressEntry] = {}
    for key, cols in by_key.items():
        spec = rows.get(key)
        if spec is None:
            continue
        said = {header: (a.value or "") for header, a in cols.items()}
        if not spec.is_item:
            anchor = cols.get(layout.IND_PROGRESS.header) or next(iter(cols.values()))
            entries[key] = ProgressEntry(key, unit, spec.role, *(said.get(c.header, "") for c in _TEXT_COLUMNS),
                                         file, anchor.sheet, _row_of(anchor.cell))
            continue
        entry = entries.get(spec.number)
        if entry is None:
            continue
        for col, attr in ((layout.IND_EVIDENCE, "evidence"), (layout.IND_FILES, "files"),
                          (layout.IND_PROBLEMS, "problems"), (layout.IND_PROGRESS, "progress")):
            text = said.get(col.header, "")
            if text:
                old = getattr(entry, attr)
                setattr(entry, attr, f"{old}\n{key}：{text}" if old else f"{key}：{text}")
    return list(entries.values())


def _row_of(cell: str) -> int:
    digits = cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return int(digits) if digits.isdigit() else 0


# ---------------------------------------------------------------- what each unit's workbook should hold


@dataclass
class UnitPlan:
    """The rows a unit's generated workbook has, by key (the same functions build the workbook)."""

    unit: str
    indicator_rows: dict[str, IndicatorRow]
    data_rows: dict[str, DataRow]


class Plan:
    """Per-project lookup of the expected rows of every unit, built once per unit and reused for each file."""

    def __init__(self, project: Project):
        self.project = project
        self._units: dict[str, UnitPlan] = {}
        names: dict[str, str] = {}
        for unit in project.units:
            names.setdefault(layout.normalize_header(unit.name), unit.name)
        for unit in project.units:
            for alias in unit.aliases:
                names.setdefault(layout.normalize_header(alias), unit.name)
        self.names = names  # normalised name or alias → unit name
        # longest first, so 县商务局机关 is not taken for 县商务局
        self._by_length = sorted(names, key=len, reverse=True)

    def unit(self, name: str) -> UnitPlan:
        if name not in self._units:
            self._units[name] = UnitPlan(name, {r.key: r for r in indicator_rows(self.project, name)},
                                         {r.key: r for r in data_rows(self.project, name)})
        return self._units[name]

    def resolve(self, name: str) -> str | None:
        """A unit name as written in an identity (or an alias of it) → the name in 单位名单."""
        return self.names.get(layout.normalize_header(name))

    def mentioned(self, text: str) -> list[str]:
        """Units whose name or alias appears in ``text`` (a file name), longest match first, no repeats."""
        norm = layout.normalize_header(text)
        out, taken = [], []
        for cand in self._by_length:
            if cand and cand in norm and not any(cand in t for t in taken):
                taken.append(cand)
                if self.names[cand] not in out:
                    out.append(self.names[cand])
        return out


def other_unit_named(plan: Plan, unit: str, name: str) -> str | None:
    """The unit a file name names when it is not ``unit`` (a file sent for the wrong unit?), else None."""
    mentioned = plan.mentioned(name)
    return mentioned[0] if mentioned and unit not in mentioned else None


def other_unit_mailing(project: Project, unit: str, sender: str) -> str | None:
    """The unit whose address ``sender`` is, when that is not ``unit``, else None."""
    address = (sender or "").strip().lower()
    if not address:
        return None
    owners = [u.name for u in project.units if address in {e.strip().lower() for e in u.emails}]
    return owners[0] if len(owners) == 1 and owners[0] != unit else None


# ---------------------------------------------------------------- entry point


def read_return(path_or_bytes, name: str | None, project: Project, *, plan: Plan | None = None,
                file: str | None = None, file_time: str = "", received_at: str = "", sender: str = "",
                origin: tuple[str, ...] = (), arrived: str = "", now: datetime | None = None) -> ReturnRecord:
    """Read and validate one returned workbook (.xlsx/.xlsm/.xls, as a path or as bytes).

    ``name`` is the file's own name (used to recognise a unit only when the workbook has no identity);
    ``file`` the path shown in messages (defaults to ``name``); ``arrived`` when it reached the office (the
    e-mail's Date, or the time of the file on disk that holds it; defaults to ``received_at``, else
    ``file_time``). Never raises on bad content: every problem is an issue in the record, and ``refused``
    says whether anything of it can be used."""
    if isinstance(path_or_bytes, (str, Path)):
        path = Path(path_or_bytes)
        name = printable(name or path.name)
        got = read_regular(path)
        origin = origin or (str(path),)
        if got.data is None:
            record = ReturnRecord(file=file or printable(str(path)), name=name, size=got.size, origin=origin)
            record.add(got.code, reason=got.reason)
            record.refused, record.skipped = got.code != R_SPECIAL, got.code == R_SPECIAL
            return record
        data = got.data
        file_time = file_time or got.mtime
    else:
        data = bytes(path_or_bytes)
        name = name or "（未命名）"
    import hashlib

    record = ReturnRecord(file=file or name, name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                          origin=origin, file_time=file_time, received_at=received_at, mailed_at=received_at,
                          sender=sender)
    record.format = Path(name).suffix.lower().lstrip(".")
    _Reader(record, data, project, plan or Plan(project)).run()
    check_saved_time(record, arrived or received_at or record.file_time, now or datetime.now(timezone.utc))
    # received: the e-mail's Date when it came by mail; else the workbook's own saved time (a clerk may save
    # attachments into the folder days later, so the file time comes last)
    record.received_at = record.received_at or record.ordered_at or record.saved_at or record.file_time
    return record


CLOCK_TOLERANCE = timedelta(days=1)  # clocks and time zones differ; a day later than receipt is not a mistake


def check_saved_time(record: ReturnRecord, arrived: str, now: datetime) -> None:
    """The rule for a workbook saved "in the future" (docs/returns.md): a saved time more than a day later than
    when the file reached the office (``arrived``: the e-mail's Date, else the time on disk of the file that
    holds it) or than now is not believed, since it would beat every later correction of that unit forever.
    The return is then ordered by its arrival (by now when that too lies in the future), with warning R022."""
    saved = parse_time(record.saved_at)
    if saved is None:
        return
    received = parse_time(arrived)
    if received is not None and saved > received + CLOCK_TOLERANCE:
        why = f"晚于收到时间 {_shown_time(received)}"
    elif saved > now + CLOCK_TOLERANCE:
        why = f"晚于本次回收的时间 {_shown_time(now)}"
    else:
        return
    used = received if received is not None and received <= now + CLOCK_TOLERANCE else now
    record.ordered_at = _iso(used)
    record.add(R_SAVED_LATE, value=_shown_time(saved), why=why, used=_shown_time(used))


def _shown_time(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


@dataclass
class FileRead:
    """The bytes of a file on disk, or why there are none (``code`` R008 → skip it; R001/R003 → refuse it)."""

    data: bytes | None
    size: int = 0
    mtime: str = ""  # ISO 8601 UTC, "" when the file's time is not a time
    code: str = ""
    reason: str = ""


_KINDS = ((stat.S_ISFIFO, "命名管道（FIFO）"), (stat.S_ISSOCK, "套接字"), (stat.S_ISCHR, "字符设备"),
          (stat.S_ISBLK, "块设备"), (stat.S_ISDIR, "文件夹"))
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOCTTY", 0)


def read_regular(path: Path | str) -> FileRead:
    """Read a regular file (a symbolic link to one is followed) without ever blocking: FIFOs, sockets, devices,
    folders, dangling links and link loops are not opened but described; the file is opened non-blocking and
    checked again once open, so one swapped in meanwhile cannot block either."""
    path = Path(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        try:
            link = stat.S_ISLNK(os.lstat(path).st_mode)
        except OSError:
            link = False
        if link and exc.errno == errno.ELOOP:
            return FileRead(None, code=R_SPECIAL, reason="符号链接循环指向自己")
        if link:
            return FileRead(None, code=R_SPECIAL, reason="快捷方式（符号链接）指向的文件不存在")
        return FileRead(None, code=R_UNREADABLE, reason=_os_reason(exc))
    kind = next((what for test, what in _KINDS if test(info.st_mode)), None)
    if kind is not None:
        return FileRead(None, code=R_SPECIAL, reason=kind)
    mtime = _stamp(info.st_mtime)
    if info.st_size > MAX_FILE_BYTES:
        return FileRead(None, info.st_size, mtime, R_BOMB,
                        f"文件大小 {info.st_size // 2**20} MB，超过上限 {MAX_FILE_BYTES // 2**20} MB")
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        return FileRead(None, info.st_size, mtime, R_UNREADABLE, _os_reason(exc))
    with os.fdopen(fd, "rb") as fh:
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return FileRead(None, info.st_size, mtime, R_SPECIAL, "读取时已不是普通文件")
            data = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            return FileRead(None, info.st_size, mtime, R_UNREADABLE, _os_reason(exc))
    if len(data) > MAX_FILE_BYTES:
        return FileRead(None, len(data), mtime, R_BOMB, f"文件超过上限 {MAX_FILE_BYTES // 2**20} MB")
    return FileRead(data, len(data), mtime)


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "没有读取权限"
    if isinstance(exc, FileNotFoundError):
        return "文件已不存在（可能在回收过程中被移走）"
    return f"读取失败：{exc.strerror or exc}"


def _stamp(ts: float) -> str:
    """A file's modification time as ISO 8601 UTC; "" when it is not a time anyone's clock shows."""
    try:
        moment = datetime.fromtimestamp(ts, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return ""
    return _iso(moment) if plausible_time(moment) else ""


def sniff(data: bytes) -> str:
    """'zip', 'ole' or 'other', from the first bytes (never from the file name)."""
    if data[:4] in (ZIP_MAGIC, EMPTY_ZIP_MAGIC):
        return "zip"
    if data[:8] == OLE_MAGIC:
        return "ole"
    return "other"


def ole_streams(data: bytes) -> set[str]:
    """Names of the streams in an OLE container that matter here (EncryptedPackage, Workbook, Book)."""
    found = set()
    for stream in ("EncryptedPackage", "EncryptionInfo", "Workbook", "Book", "WordDocument"):
        if stream.encode("utf-16-le") in data:
            found.add(stream)
    return found


def is_lock_file(name: str) -> bool:
    return os.path.basename(name).startswith("~$")  # the name's last part, as Path(name).name (without a Path)


def zip_guard(zf: zipfile.ZipFile, budget: int = MAX_UNPACKED_BYTES) -> str | None:
    """Why this archive must not be opened (from its declared sizes and entry count), or None."""
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        return f"含 {len(infos)} 个条目，超过上限 {MAX_ENTRIES}"
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            return f"条目「{member_name(info)}」压缩比超过 {MAX_RATIO}:1"
    if total > budget:
        return f"解压后共 {total // (1024 * 1024)} MB，超过上限 {budget // (1024 * 1024)} MB"
    return None


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as the sender saw it: names without the UTF-8 flag are usually GBK (Windows)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


@functools.lru_cache(maxsize=8192)  # every ordering and every 回收登记 row asks again for the same few times
def parse_time(text: str) -> datetime | None:
    """W3CDTF / ISO 8601 (2024-05-01T08:00:00Z, with up to 9 decimals) → aware datetime; None if unreadable or
    outside the years a workbook can really have been saved in (so 9999-12-31 and 0001-01-01 never overflow
    when converted to another time zone)."""
    text = (text or "").strip()
    if not text or len(text) > 64:
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00"))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment if plausible_time(moment) else None


def plausible_time(moment: datetime) -> bool:
    """Within the years 1900–2999 (as UTC): what any clock, in any time zone, can show without overflow."""
    try:
        return FIRST_YEAR <= moment.astimezone(timezone.utc).year <= LAST_YEAR
    except (OverflowError, ValueError):
        return False


def printable(text: str) -> str:
    """A name as it can be shown and written anywhere: a part of a path that is not UTF-8 (a GBK name copied from
    a Windows USB stick arrives as lone surrogates) is shown byte by byte, non-ASCII bytes as escapes (\\xc4\\xe3),
    so that no stray character is mistaken for part of the name; the other parts stay as they are."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    parts = []
    for part in text.split("/"):
        try:
            part.encode("utf-8")
        except UnicodeEncodeError:
            try:
                part = part.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
            except UnicodeEncodeError:  # surrogates that did not come from bytes
                part = part.encode("utf-8", "backslashreplace").decode("utf-8")
        parts.append(part)
    return "/".join(parts)


def local_clock(text: str) -> datetime | None:
    """A time written as the local clock showed it (ODF's dc:date has no zone; LibreOffice writes the same clock
    into an .xlsx's core.xml with a "Z", as verified with LibreOffice 7.4 saving at UTC+8): read in this
    computer's time zone, which is the sender's for a county's returns. A time with a real offset keeps it."""
    text = (text or "").strip()
    moment = parse_time(text.rstrip("Zz"))
    if moment is None:
        return None
    explicit = re.search(r"[+-]\d\d:?\d\d$", text)
    return moment if explicit else moment.replace(tzinfo=None).astimezone()


# ---------------------------------------------------------------- the reader


_HEADER_SETS = {col.header: {layout.normalize_header(h) for h in (col.header, *col.aliases)}
                for col in (*layout.INDICATOR_COLUMNS, *layout.DATA_COLUMNS)}
_DISPIMG_TEXT = re.compile(r"^=?\s*(_xlfn\.)?DISPIMG\(", re.I)
_TEXT_COLUMNS = (layout.IND_PROGRESS, layout.IND_EVIDENCE, layout.IND_FILES, layout.IND_PROBLEMS, layout.IND_CONTACT)
_MEASURES = {"percent": values.SHARE, "growth": values.GROWTH, "count": values.COUNT, "amount": values.AMOUNT}


def _header_match(text, column: layout.Column) -> bool:
    return layout.normalize_header(text) in _HEADER_SETS[column.header] if text not in (None, "") else False


@functools.lru_cache(maxsize=1024)
def _normalized_header(text: str) -> str:
    return layout.normalize_header(text)  # the same few headers in every return: worth remembering


def _header_of(text, columns) -> str | None:
    """The column (by header) this header cell names."""
    if not isinstance(text, str) or not text:
        return None
    norm = _normalized_header(text)
    for col in columns:
        if norm in _HEADER_SETS[col.header]:
            return col.header
    return None


def _text(raw) -> str:
    if raw is None or raw == "":
        return ""
    text = raw.strip() if isinstance(raw, str) else values.cell_text(raw)
    return "" if "DISPIMG" in text and _DISPIMG_TEXT.match(text) else text


def _limits(rows: int, columns: int) -> tuple[int, int]:
    """How many rows and columns of a sheet are read: the form's own (header included), a clerk's additions,
    and never less than a part that looks small anyway (extent.SMALL_ROWS × SMALL_COLS)."""
    return (max(extent.SMALL_ROWS + 1, layout.HEADER_ROW + rows + ROW_SLACK),
            max(extent.SMALL_COLS, columns + COL_SLACK))


class _Reader:
    """Reads one workbook into its record; one instance per file."""

    def __init__(self, record: ReturnRecord, data: bytes, project: Project, plan: Plan):
        self.record = record
        self.data = data
        self.project = project
        self.plan = plan
        self.zf: zipfile.ZipFile | None = None
        self.names: set[str] = set()
        self.book: CalamineWorkbook | None = None
        self.grids: dict[str, list[list]] = {}
        self._parts: dict[str, str] | None = None
        self._percent_xf: set[int] | None = None
        self._xls_book = None
        self._xls_extents: extent.XlsExtents | bool | None = None
        self._cut_after: dict[str, tuple[int, int]] = {}  # .xls sheets whose grid is cut once read
        self._visibility: dict[str, str] | None = None
        self._part_cache: dict[str, bytes] = {}
        self.ods = False  # an OpenDocument spreadsheet (.ods): identity and saved time live in meta.xml
        self._ods_meta: tuple[str, dict[str, str]] | None = None
        self._ods_types: dict[tuple[str, int], dict[int, str]] = {}  # (sheet, column) → row → value-type

    # ------------------------------------------------------------ container and identity
    def run(self) -> None:
        rec = self.record
        if len(self.data) > MAX_FILE_BYTES:
            rec.refuse(R_BOMB, reason=f"文件大小 {len(self.data) // (1024 * 1024)} MB，超过上限")
            return
        kind = sniff(self.data)
        if kind == "ole":
            streams = ole_streams(self.data)
            if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
                rec.refuse(R_ENCRYPTED)
                return
            if not ({"Workbook", "Book"} & streams):
                rec.refuse(R_FORMAT, reason="Word 等非 Excel ")
                return
            rec.format = "et" if rec.format == "et" else "xls"
        elif kind == "zip":
            try:
                self.zf = zipfile.ZipFile(io.BytesIO(self.data))
            except (zipfile.BadZipFile, ValueError) as exc:
                rec.refuse(R_UNREADABLE, reason=f"压缩结构损坏：{exc}")
                return
            reason = zip_guard(self.zf)
            if reason:
                rec.refuse(R_BOMB, reason=reason)
                return
            self.names = set(self.zf.namelist())
            if "xl/workbook.bin" in self.names:
                rec.refuse(R_FORMAT, reason=".xlsb ")
                return
            if "xl/workbook.xml" not in self.names and _is_ods(self.zf, self.names):
                self.ods, rec.format = True, "ods"
            elif "xl/workbook.xml" not in self.names:
                rec.refuse(R_FORMAT, reason="非 Excel（如 Word、WPS 文字、ODF 文本）")
                return
            if rec.format not in ("xlsx", "xlsm") and not self.ods:
                rec.format = "xlsm" if "xl/vbaProject.bin" in self.names else "xlsx"
            if "xl/vbaProject.bin" in self.names:
                rec.add(R_MACROS)
        else:
            rec.refuse(R_FORMAT, reason="无法识别的")
            return
        try:
            self.book = CalamineWorkbook.from_filelike(io.BytesIO(self.data))
        except Exception as exc:  # calamine raises its own error types for every damage it meets
            if "password" in str(exc).lower() or "encrypt" in str(exc).lower():
                rec.refuse(R_ENCRYPTED)
            elif rec.format == "et":
                rec.refuse(R_FORMAT, reason="WPS 表格专用（.et）")
            else:
                rec.refuse(R_UNREADABLE, reason=_short(exc))
            return
        if self.ods:
            rec.saved_at = self.ods_meta()[0]
            rec.saved_from = SAVED_ODS if rec.saved_at else ""
        elif self.zf is not None:
            rec.saved_at = self._core_modified()
            rec.saved_from = SAVED_XLSX if rec.saved_at else ""
        else:
            rec.saved_at = ole_saved_time(self.data)
            rec.saved_from = SAVED_XLS if rec.saved_at else ""
        if not self._identify():
            return
        unit_plan = self.plan.unit(rec.unit)
        self._pictures()
        self._read_indicators(unit_plan)
        if unit_plan.data_rows:
            self._read_data(unit_plan)
        self._pictures_off_rows()

    def grid(self, sheet: str, rows: int = 0, columns: int = 0) -> list[list] | None:
        """The sheet's cells as a dense grid, read only up to the form's ``rows`` and ``columns`` (plus slack)."""
        if sheet not in self.grids:
            if self.book is None or sheet not in self.book.sheet_names:
                return None
            book = self._bounded_book(sheet, *_limits(rows, columns))
            if book is None:
                self.grids[sheet] = []
                return self.grids[sheet]
            try:
                self.grids[sheet] = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
                if sheet in self._cut_after:
                    self.grids[sheet] = self._cut_grid(sheet, self.grids[sheet])
            except Exception as exc:  # a damaged sheet part
                self.record.refuse(R_UNREADABLE, reason=f"工作表「{sheet}」损坏：{_short(exc)}")
                self.grids[sheet] = []
        return self.grids[sheet]

    def _bounded_book(self, sheet: str, max_rows: int, max_cols: int) -> CalamineWorkbook | None:
        """A workbook whose ``sheet`` calamine can turn into a grid of at most max_rows × max_cols: this one,
        or (when cells lie beyond, e.g. at XFD1048576) a copy holding only the cells within, with a warning."""
        if self.zf is None:
            return self._bounded_xls(sheet, max_rows, max_cols)
        part = self.parts().get(sheet)
        # when the package's own map of its sheets is unreadable, every part calamine might take is measured
        candidates = [part] if part in self.names else [n for n in sorted(self.names) if n.endswith(".xml")]
        trimmed: dict[str, bytes] = {}
        try:
            for name in candidates:
                xml = self.part_bytes(name)
                if (name != part and b"sheetData" not in xml) or extent.looks_small(xml):
                    continue
                found = extent.measure(xml, max_rows, max_cols)
                if found.outside:
                    self.record.add(R_OUTSIDE, sheet=sheet, cell=found.farthest, n=found.outside)
                    trimmed[name] = extent.trimmed_sheet(found)
            if not trimmed:
                return self.book
            return CalamineWorkbook.from_filelike(io.BytesIO(extent.trimmed_package(self.zf, trimmed)))
        except Exception as exc:  # ExtentError, or calamine refusing the copy
            self.record.refuse(R_UNREADABLE, reason=f"工作表「{sheet}」损坏：{_short(exc)}")
            return None

    def _bounded_xls(self, sheet: str, max_rows: int, max_cols: int) -> CalamineWorkbook | None:
        """An .xls cannot be trimmed: a sheet whose extent (from its records) would make a huge grid is refused,
        one a little beyond the form is read and its grid cut afterwards (R213)."""
        if self._xls_extents is None:
            try:
                self._xls_extents = extent.XlsExtents(self.data)
            except extent.ExtentError:
                self._xls_extents = False  # calamine may still read it; the worker's memory budget is the net
        if not self._xls_extents:
            return self.book
        found = self._xls_extents.of(sheet)
        if (found.rows + 1) * (found.cols + 1) > XLS_MAX_CELLS:
            self.record.refuse(R_UNREADABLE, reason=f"工作表「{sheet}」的内容一直延伸到 {found.farthest}，.xls 格式无法"
                                                    "只读取填报表的范围；请删除表格以外的内容")
            return None
        if found.rows >= max_rows or found.cols >= max_cols:
            self._cut_after[sheet] = (max_rows, max_cols)
        return self.book

    def _cut_grid(self, sheet: str, grid: list[list]) -> list[list]:
        """The grid of an .xls sheet cut to the form's rows and columns, with R213 for what was left out."""
        max_rows, max_cols = self._cut_after.pop(sheet)
        outside, farthest = 0, ""
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                if (r >= max_rows or c >= max_cols) and value not in (None, ""):
                    outside, farthest = outside + 1, a1(r, c)
        if outside:
            self.record.add(R_OUTSIDE, sheet=sheet, cell=farthest, n=outside)
        return [row[:max_cols] for row in grid[:max_rows]]

    def _hidden(self, sheet: str) -> str:
        """'隐藏' or '深度隐藏' (very hidden: only VBA can show it again) for a hidden sheet, else ''."""
        if self._visibility is None:
            self._visibility = {}
            try:
                for meta in self.book.sheets_metadata:
                    state = str(meta.visible).lower()
                    self._visibility[meta.name] = "深度隐藏" if "veryhidden" in state else \
                        "隐藏" if "hidden" in state else ""
            except Exception:  # no metadata: nothing to say about it
                pass
        return self._visibility.get(sheet, "")

    def _check_visible(self, sheet: str) -> None:
        """A form sheet someone hid while it holds answers: what is scored is not what Excel shows."""
        how = self._hidden(sheet)
        if how and any(a.sheet == sheet and not values.is_blank(a.typed) for a in self.record.answers):
            self.record.add(R_HIDDEN_SHEET, sheet=sheet, how=f"“{how}”")

    def _cut(self, text: str, sheet: str, cell: str) -> str:
        """Text longer than a cell can hold is cut where Excel would cut it, with a warning."""
        if len(text) <= CELL_TEXT_LIMIT:
            return text
        self.record.add(R_CUT_TEXT, sheet=sheet, cell=cell, n=f"{len(text):,}", limit=f"{CELL_TEXT_LIMIT:,}")
        return text[:CELL_TEXT_LIMIT]

    def _core_modified(self) -> str:
        if "docProps/core.xml" not in self.names:
            return ""
        try:
            root = parse_xml(read_member(self.zf, "docProps/core.xml"))
        except Exception:  # defusedxml refuses entities; any damage means "no saved time"
            return ""
        text = (root.findtext(f"{{{NS_DCTERMS}}}modified", "") or "").strip()
        moment = local_clock(text) if self._by_libreoffice() else parse_time(text)
        if moment is None and text:  # 9999-12-31, 0001-01-01 or no time at all: ordered by the file's time
            self.record.add(R_SAVED_LATE, value=text[:40], why="不是有效的时间",
                            used=_shown_time(parse_time(self.record.file_time)) or "（未知）")
        return _iso(moment) if moment else ""

    def _by_libreoffice(self) -> bool:
        """Saved by LibreOffice (docProps/app.xml names it): its core.xml holds the local clock marked as UTC."""
        if "docProps/app.xml" not in self.names:
            return False
        try:
            head = read_member(self.zf, "docProps/app.xml")[:4096]
        except Exception:  # a damaged part (bad CRC, bad deflate stream …): not known to be LibreOffice
            return False
        return b"<Application>LibreOffice" in head or b"<Application>OpenOffice" in head

    def ods_meta(self) -> tuple[str, dict[str, str]]:
        """(saved time, identity properties) from meta.xml: dc:date and the user-defined properties."""
        if self._ods_meta is None:
            saved, found = "", {}
            try:
                root = parse_xml(self.zf.read("meta.xml")) if "meta.xml" in self.names else None
            except Exception:  # damaged or hostile metadata: no saved time, no properties
                root = None
            if root is not None:
                moment = local_clock(root.findtext(f".//{{{NS_DC}}}date", ""))
                saved = _iso(moment) if moment else ""
                for prop in root.iter(f"{{{NS_ODF_META}}}user-defined"):
                    key = prop.get(f"{{{NS_ODF_META}}}name", "")
                    if key in layout.IDENTITY_KEYS:
                        found[key] = "".join(prop.itertext()).strip()
            self._ods_meta = (saved, found)
        return self._ods_meta

    def _custom_properties(self) -> dict[str, str]:
        if self.ods:
            return self.ods_meta()[1]
        if "docProps/custom.xml" not in self.names:
            return {}
        try:
            root = parse_xml(read_member(self.zf, "docProps/custom.xml"))
        except Exception:
            return {}
        found = {}
        for prop in root.iter(f"{{{NS_CUSTOM}}}property"):
            key = prop.get("name", "")
            if key in layout.IDENTITY_KEYS:
                found[key] = "".join(prop.itertext()).strip()
        return found

    def _hidden_identity(self) -> dict[str, str]:
        sheet = layout.SHEET_IDENTITY
        grid = self.grid(sheet, len(layout.IDENTITY_KEYS), 2) or []
        found: dict[str, tuple[int, str]] = {}
        for r, row in enumerate(grid):
            if len(row) >= 2 and isinstance(row[0], str) and row[0].strip() in layout.IDENTITY_KEYS:
                key, value = row[0].strip(), values.cell_text(row[1])
                if key not in found:
                    found[key] = (r, value)
                elif value != found[key][1]:  # a row added below the generated one: it must not win silently
                    self.record.add(R_DUP_IDENTITY, sheet=sheet, cell=a1(r, 0), value=key, first=found[key][0] + 1,
                                    kept=found[key][1], again=r + 1, other=value)
        return {key: value for key, (_, value) in found.items()}

    def _identify(self) -> bool:
        rec, project = self.record, self.project
        props = self._custom_properties() if self.zf is not None else {}
        hidden = self._hidden_identity()
        if props and hidden:
            differ = [k for k in (layout.ID_PROJECT, layout.ID_UNIT) if k in props and k in hidden
                      and props[k] != hidden[k]]
            if differ:
                rec.identity = {**hidden}
                rec.refuse(R_ID_CONFLICT, sheet=layout.SHEET_IDENTITY,
                           found="，".join(f"{k}={props[k]}" for k in differ),
                           expected="，".join(f"{k}={hidden[k]}" for k in differ))
                return False
        identity = {**props, **hidden}
        rec.identity = identity
        mentioned = self.plan.mentioned(rec.name)
        if not identity.get(layout.ID_UNIT) and not identity.get(layout.ID_PROJECT):
            if len(mentioned) == 1:
                rec.unit, rec.identified_by = mentioned[0], ID_BY_FILENAME
                rec.add(R_BY_FILENAME)
                return True
            rec.refuse(R_NO_IDENTITY)
            return False
        ok = True
        found_project = identity.get(layout.ID_PROJECT, "")
        if found_project != project.project_id:
            rec.refuse(R_OTHER_PROJECT, found=found_project or "（空）", expected=project.project_id)
            ok = False
        scheme = identity.get(layout.ID_SCHEME, ""), identity.get(layout.ID_SCHEME_VERSION, "")
        if not project.scheme.accepts(*scheme):
            rec.refuse(R_OTHER_SCHEME, found=" ".join(x for x in scheme if x) or "（空）",
                       expected=f"{project.scheme.name} {project.scheme.version}")
            ok = False
        template = identity.get(layout.ID_TEMPLATE, "")
        if template != layout.TEMPLATE_VERSION:
            rec.refuse(R_OTHER_TEMPLATE, found=template or "（空）", expected=layout.TEMPLATE_VERSION)
            ok = False
        written = identity.get(layout.ID_UNIT, "")
        unit = self.plan.resolve(written) if written else None
        if unit is None:
            rec.refuse(R_UNKNOWN_UNIT, found=written or "（空）", unit=written)
            ok = False
        else:
            rec.unit, rec.identified_by = unit, ID_BY_IDENTITY
            if unit != written:
                rec.add(R_ALIAS, found=written)
        if not ok:
            return False
        found_round = identity.get(layout.ID_ROUND, "")
        if found_round and project.round and found_round != project.round:
            # another round's form: listed in 回收登记, never mixed into this round's answers
            rec.skipped = True
            rec.add(R_OTHER_ROUND, found=found_round, expected=project.round)
            return False
        other = other_unit_named(self.plan, unit, rec.name)
        if other:
            rec.add(R_WRONG_UNIT, how=f"文件名「{rec.name}」中的单位是「{other}」", found=other)
        owner = other_unit_mailing(self.project, unit, rec.sender)
        if owner:
            rec.add(R_WRONG_UNIT, how=f"发件人 {rec.sender} 是「{owner}」的邮箱", found=owner)
        return True

    # ------------------------------------------------------------ pictures
    def _pictures(self) -> None:
        """Every picture of the return (any format) and every one that cannot be extracted or placed."""
        try:
            if self.zf is None:
                pictures, problems = find_xls_pictures(self.data) if self.record.format in ("xls", "et") else ([], [])
            elif "xl/workbook.xml" not in self.names:
                pictures, problems = find_ods_pictures(self.zf, self.names)
            else:
                pictures, problems = find_pictures(self.zf, self.names, self.parts(), self.part_bytes)
        except Exception as exc:  # a damaged drawing part must not stop reading the answers
            self.record.add(R_PICTURE_UNREADABLE, value="", reason=f"图形部分损坏：{_short(exc)}")
            return
        self.record.pictures = pictures
        for found in problems:
            self.record.add(found.code, sheet=found.sheet, cell=found.cell, value=found.value, **found.params)

    def _pictures_off_rows(self) -> None:
        """Pictures on a cell of no indicator or data row: filed under 未对应指标, and the unit is told."""
        for pic in self.record.pictures:
            if pic.row >= 0 and not pic.indicator:
                self.record.add(R_OFF_ROW, sheet=pic.sheet, cell=pic.cell, value=pic.name,
                                unsorted=layout.EVIDENCE_UNSORTED)

    def part_bytes(self, part: str) -> bytes:
        """A worksheet part, inflated once per file (the picture scan and the percent formats both read it)."""
        if part not in self._part_cache:
            self._part_cache[part] = read_member(self.zf, part)
        return self._part_cache[part]

    def parts(self) -> dict[str, str]:
        if self._parts is None:
            try:
                self._parts = sheet_parts(self.zf, self.names) if self.zf is not None else {}
            except Exception:
                self._parts = {}
        return self._parts

    def _pictures_on(self, sheet: str, row: int) -> list[Picture]:
        return [p for p in self.record.pictures if p.sheet == sheet and p.row == row]

    # ------------------------------------------------------------ tables
    def _table(self, sheet: str, columns, required, rows: int) -> tuple[list[list], int, dict[str, int]] | None:
        """(grid, header row index, column header → index), after reporting a missing sheet/header/column.
        ``rows``: how many rows the unit's form has below its header."""
        grid = self.grid(sheet, rows, len(columns))
        if grid is None:
            self.record.add(R_NO_SHEET, sheet=sheet)
            return None
        key_col = columns[0]
        header = None
        expected = layout.HEADER_ROW - 1
        for r in [expected] + [i for i in range(min(len(grid), 15)) if i != expected]:
            if r < len(grid) and any(_header_of(v, (key_col,)) for v in grid[r]):
                header = r
                break
        if header is None:
            self.record.add(R_NO_HEADER, sheet=sheet, cell=a1(expected, 0))
            return None
        index: dict[str, int] = {}
        for c, text in enumerate(grid[header]):
            name = _header_of(text, columns)
            if name is not None and name not in index:
                index[name] = c
        for col in required:
            if col.header not in index:
                self.record.add(R_NO_COLUMN, sheet=sheet, cell=a1(header, 0), column=col.header)
        if key_col.header not in index:
            return None
        return grid, header, index

    def _rows(self, sheet: str, grid, header: int, index: dict[str, int], expected: dict, inputs):
        """(row index, key, spec, row) for every keyed row; reports unknown, duplicate and deleted keys."""
        rec = self.record
        kc = index[layout.IND_KEY.header]  # 键 heads both tables (IND_KEY and DATA_KEY)
        seen: dict[str, int] = {}
        input_cols = [index[c.header] for c in inputs if c.header in index]
        for r in range(header + 1, len(grid)):
            row = grid[r]
            raw = row[kc] if kc < len(row) else ""
            key = raw.strip() if isinstance(raw, str) and raw.isascii() else \
                layout.normalize_text(values.cell_text(raw))
            if not key:
                typed = [(c, row[c]) for c in input_cols if c < len(row) and not values.is_blank(row[c])
                         and _text(row[c])]
                if typed:
                    c, value = typed[0]
                    rec.add(R_NO_KEY_ROW, sheet=sheet, cell=a1(r, c), value=values.raw_text(value))
                continue
            spec = expected.get(key)
            if spec is None:
                rec.add(R_BAD_KEY, sheet=sheet, cell=a1(r, kc), value=key)
                continue
            if key in seen:
                rec.add(R_DUP_KEY, sheet=sheet, cell=a1(r, kc), value=key, first=seen[key] + 1)
                continue
            seen[key] = r
            yield r, key, spec, row
        for key, spec in expected.items():
            if key not in seen:
                label = getattr(spec, "name", "") or _data_label(spec)
                rec.add(R_ROW_GONE, sheet=sheet, value=key, label=label)

    def _value_issues(self, notes, sheet, cell, raw, read, measure="", alt="", points="", limits="") -> None:
        if callable(read):
            read = read() if notes else ""
        for code in notes:
            self.record.add(code, sheet=sheet, cell=cell, value=values.raw_text(raw), read=read,
                            measure=measure, alt=alt, points=points, limits=limits)

    # ------------------------------------------------------------ 指标填报
    def _read_indicators(self, unit_plan: UnitPlan) -> None:
        rec, sheet = self.record, layout.SHEET_INDICATORS
        table = self._table(sheet, layout.INDICATOR_COLUMNS, (layout.IND_KEY, *layout.INDICATOR_INPUTS),
                            len(unit_plan.indicator_rows))
        if table is None:
            if unit_plan.indicator_rows:
                rec.missing += [f"{sheet}（无法读取）"]
            return
        grid, header, index = table
        refs = {name: col_letters(c) for name, c in index.items()}

        def cell(row, col):
            c = index.get(col.header)
            return (row[c] if c is not None and c < len(row) else None), \
                (f"{refs[col.header]}{r + 1}" if c is not None else "")

        def raw_of(row, col):
            c = index.get(col.header)
            return row[c] if c is not None and c < len(row) else None

        text_columns = [(col, index.get(col.header), refs.get(col.header, "")) for col in _TEXT_COLUMNS]
        for r, key, spec, row in self._rows(sheet, grid, header, index, unit_plan.indicator_rows,
                                            layout.INDICATOR_INPUTS):
            texts, typed, places = {}, {}, {}  # per text column: the text, the cell as read, its A1
            for col, c, letters in text_columns:
                raw = row[c] if c is not None and c < len(row) else None
                where = f"{letters}{r + 1}" if c is not None else ""
                typed[col.header], places[col.header] = raw, where
                texts[col.header] = self._cut(_text(raw), sheet, where)
            evidence_given = bool(texts[layout.IND_EVIDENCE.header] or texts[layout.IND_FILES.header]
                                  or (rec.pictures and self._pictures_on(sheet, r)))
            label = f"指标{key}" if not spec.is_item else f"分项{key}"
            # claim (是否达到)
            raw, where = cell(row, layout.IND_CLAIM)
            if spec.claim is not None:
                value, notes = values.parse_claim(raw)
                if notes:
                    self._value_issues(notes, sheet, where, raw, values.show_value(value))
                rec.answers.append(Answer(key, KIND_CLAIM, key, value, raw, sheet, where,
                                          indicator=spec.number, label=spec.claim or spec.name,
                                          blocked=value is None and not values.is_blank(raw),
                                          required=f"{label} {layout.IND_CLAIM.header}" if where else ""))
                if values.is_blank(raw) and where:
                    rec.add(R_BLANK, sheet=sheet, cell=where, label=f"{label} {layout.IND_CLAIM.header}")
                    rec.missing.append(f"{label} {layout.IND_CLAIM.header}")
                if value is True and not evidence_given:
                    rec.add(R_NO_EVIDENCE, sheet=sheet, cell=cell(row, layout.IND_EVIDENCE)[1] or where,
                            label=label, value=layout.YES)
            elif not values.is_blank(raw) and _text(raw):
                rec.add(R_NOT_ASKED, sheet=sheet, cell=where, value=values.raw_text(raw), why=_why(spec))
            # self score (自评分)
            raw, where = cell(row, layout.IND_SELF)
            if spec.judged is not None:
                value, notes = values.parse_score(raw, spec.judged)
                if notes:
                    self._value_issues(notes, sheet, where, raw, values.show_value(value), measure="分",
                                       points=fmt_number(spec.judged))
                rec.answers.append(Answer(key, KIND_JUDGED, key, value, raw, sheet, where,
                                          indicator=spec.number, label=spec.name, measure="分",
                                          blocked=value is None and not values.is_blank(raw),
                                          required=f"{label} {layout.IND_SELF.header}" if where else ""))
                if values.is_blank(raw) and where:
                    rec.add(R_BLANK, sheet=sheet, cell=where, label=f"{label} {layout.IND_SELF.header}")
                    rec.missing.append(f"{label} {layout.IND_SELF.header}")
                if value and value > 0 and not evidence_given:
                    rec.add(R_NO_EVIDENCE, sheet=sheet, cell=cell(row, layout.IND_EVIDENCE)[1] or where,
                            label=label, value=f"{fmt_number(value)}分")
            elif not values.is_blank(raw) and _text(raw):
                rec.add(R_NOT_ASKED, sheet=sheet, cell=where, value=values.raw_text(raw), why=_why(spec))
            # progress and evidence: each text cell is an input of its own (a later version may leave it blank)
            for col in _TEXT_COLUMNS:
                text, where = texts[col.header], places[col.header]
                if text or col is layout.IND_PROGRESS:  # the progress cell always: it anchors the row
                    required = f"{label} {col.header}" if col is layout.IND_PROGRESS and spec.progress_required \
                        and where else ""
                    rec.text_answers.append(Answer(key, KIND_TEXT, col.header, text or None, typed[col.header],
                                                   sheet, where, indicator=spec.number,
                                                   label=f"{label} {col.header}", required=required))
            if spec.progress_required and not texts[layout.IND_PROGRESS.header]:
                where = places[layout.IND_PROGRESS.header]
                rec.add(R_BLANK, sheet=sheet, cell=where, label=f"{label} {layout.IND_PROGRESS.header}")
                rec.missing.append(f"{label} {layout.IND_PROGRESS.header}")
        rec.progress = progress_entries(rec.unit, unit_plan.indicator_rows, rec.text_answers, rec.file)
        self._check_visible(sheet)
        # which indicator each picture belongs to, by the key of the row it sits on
        kc = index[layout.IND_KEY.header]
        keys = {r: layout.normalize_text(values.cell_text(grid[r][kc]))
                for r in {p.row for p in rec.pictures if p.sheet == sheet} if 0 <= r < len(grid) and kc < len(grid[r])}
        for pic in rec.pictures:
            if pic.sheet == sheet:
                key = keys.get(pic.row, "")
                spec = unit_plan.indicator_rows.get(key)
                if spec is not None:
                    pic.key, pic.indicator, pic.numbers = key, spec.number, (spec.number,)

    # ------------------------------------------------------------ 数据填报
    def _read_data(self, unit_plan: UnitPlan) -> None:
        rec, sheet = self.record, layout.SHEET_DATA
        table = self._table(sheet, layout.DATA_COLUMNS, (layout.DATA_KEY, layout.DATA_VALUE),
                            len(unit_plan.data_rows))
        if table is None:
            rec.missing += [f"{sheet}（无法读取）"]
            return
        grid, header, index = table
        vc = index.get(layout.DATA_VALUE.header)
        nc = index.get(layout.DATA_NAME.header)
        sc = index.get(layout.DATA_SOURCE.header)
        keys: dict[int, str] = {}
        for r, key, spec, row in self._rows(sheet, grid, header, index, unit_plan.data_rows, layout.DATA_INPUTS):
            keys[r] = key
            raw = row[vc] if vc is not None and vc < len(row) else None
            where = a1(r, vc) if vc is not None else ""
            item = spec.item
            kind = _MEASURES[spec.measure]
            percent_format = self._percent_format(sheet, r, vc) \
                if kind in (values.SHARE, values.GROWTH) and isinstance(raw, (int, float)) \
                and not isinstance(raw, bool) else False
            value, notes = values.parse_number(raw, kind, item.unit, percent_format, item.bounds)
            if notes:
                self._value_issues(notes, sheet, where, raw, measure=item.unit,
                                   **values.message_params(raw, kind, item.unit, percent_format, value, notes,
                                                           item.bounds))
            note = self._cut(_text(row[sc]), sheet, a1(r, sc)) if sc is not None and sc < len(row) else ""
            numbers = layout.LIST_SEPARATOR.join(spec.numbers)
            label = item.label + (f"（{spec.year}年）" if spec.year is not None else "")
            blocked = value is None and not values.is_blank(raw) and values.R_NONE_WORD not in notes
            if spec.entry is not None:
                name = self._cut(_text(row[nc]), sheet, a1(r, nc)) if nc is not None and nc < len(row) else ""
                if name and value is None and not blocked:
                    rec.add(R_LIST_HALF, sheet=sheet, cell=where or a1(r, 0), n=spec.entry, what="只有名称、没有金额",
                            effect="不计入", value=name)
                elif not name and (value is not None or blocked):
                    rec.add(R_LIST_HALF, sheet=sheet, cell=a1(r, nc) if nc is not None else where, n=spec.entry,
                            what="只有金额、没有名称", effect="未采用", value=values.raw_text(raw))
                    continue
                if name:
                    rec.answers.append(Answer(key, KIND_LIST, item.key, value, raw, sheet, where,
                                              name=name, indicator=numbers, label=item.label, measure=item.unit,
                                              note=note, blocked=blocked))
                continue
            rec.answers.append(Answer(key, KIND_DATA, item.key, value, raw, sheet, where,
                                      year=spec.year, indicator=numbers, label=label, measure=item.unit, note=note,
                                      blocked=blocked, required=label if not spec.optional and where else ""))
            if values.is_blank(raw) or values.R_NONE_WORD in notes:
                if not spec.optional and where:
                    rec.add(R_BLANK, sheet=sheet, cell=where, label=label)
                    rec.missing.append(label)
        self._check_visible(sheet)
        for pic in rec.pictures:
            if pic.sheet == sheet and pic.row in keys:
                spec = unit_plan.data_rows[keys[pic.row]]
                pic.key, pic.indicator = keys[pic.row], spec.numbers[0] if spec.numbers else ""
                pic.numbers = tuple(spec.numbers)

    # ------------------------------------------------------------ number formats of rate cells
    def _percent_format(self, sheet: str, r: int, c: int) -> bool | None:
        """Whether the cell shows a percent format (Excel then holds 12.5% as 0.125); None when unknown."""
        try:
            if self.ods:
                return self._ods_percent(sheet, r, c)
            if self.zf is not None:
                return self._xlsx_percent(sheet, r, c)
            return self._xls_percent(sheet, r, c)
        except Exception:  # an odd styles part: fall back to the documented rule for unknown formats
            return None

    def _xlsx_percent(self, sheet: str, r: int, c: int) -> bool | None:
        if self._percent_xf is None:
            self._percent_xf = _styles_of_package(self.zf) if "xl/styles.xml" in self.names else frozenset()
            self._styles_of: dict[tuple[str, int], dict[int, int]] = {}
        if not self._percent_xf:
            return False
        part = self.parts().get(sheet)
        if part is None or part not in self.names:
            return None
        styles = self._styles_of.get((sheet, c))
        if styles is None:
            xml = self.part_bytes(part).decode("utf-8", "replace")
            styles = self._styles_of[(sheet, c)] = _column_styles(xml, col_letters(c))
        return styles.get(r + 1, 0) in self._percent_xf

    def _ods_percent(self, sheet: str, r: int, c: int) -> bool | None:
        """ODF keeps the kind of every value: a cell shown as a percentage has value-type "percentage"."""
        if (sheet, c) not in self._ods_types:
            self._ods_types[(sheet, c)] = _ods_value_types(self.zf.read("content.xml"), sheet, c)
        return self._ods_types[(sheet, c)].get(r) == "percentage"

    def _xls_percent(self, sheet: str, r: int, c: int) -> bool | None:
        try:
            import xlrd
        except ImportError:
            return None
        if self._xls_book is None:
            self._xls_book = xlrd.open_workbook(file_contents=self.data, formatting_info=True, on_demand=True)
        book = self._xls_book
        ws = book.sheet_by_name(sheet)
        xf = book.xf_list[ws.cell_xf_index(r, c)]
        fmt = book.format_map.get(xf.format_key)
        return bool(fmt and _is_percent_code(fmt.format_str))


# Attribute scans stop at the next "<" as well as at ">": a part full of unclosed "<numFmt " tokens must cost
# linear time, not quadratic.
_NUMFMT = re.compile(r"<(?:\w+:)?numFmt\b([^<>]*)/?>")
_CELLXFS_OPEN = re.compile(r"<(?:\w+:)?cellXfs\b[^<>]*>")
_CELLXFS_CLOSE = re.compile(r"</(?:\w+:)?cellXfs>")
_XF = re.compile(r"<(?:\w+:)?xf\b([^<>]*?)/?>")
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')


def _is_percent_code(code: str) -> bool:
    return "%" in re.sub(r'"[^"]*"|\\.', "", code or "")


_STYLES_SEEN: dict[tuple[int, int], frozenset[int]] = {}


def _styles_of_package(zf: zipfile.ZipFile) -> frozenset[int]:
    """Percent styles of a package, remembered by the styles part's CRC and size (read from the zip's
    directory, so a known part is not even decompressed)."""
    info = zf.getinfo("xl/styles.xml")
    key = (info.CRC, info.file_size)
    found = _STYLES_SEEN.get(key)
    if found is None:
        if len(_STYLES_SEEN) > 256:
            _STYLES_SEEN.clear()
        found = _STYLES_SEEN[key] = _percent_styles(zf.read(info).decode("utf-8", "replace"))
    return found


def _percent_styles(xml: str) -> frozenset[int]:
    """Indexes of cellXfs whose number format shows a percentage (built-in 9, 10 or a code with %).

    A scan of attributes, not an XML parse: nothing in the styles part can expand or fetch anything.
    Cached by content: returns made from one template by one office suite share their styles part."""
    import html

    codes = {9: "0%", 10: "0.00%"}
    for m in _NUMFMT.finditer(xml):
        attrs = dict(_ATTR.findall(m.group(1)))
        try:
            codes[int(attrs.get("numFmtId", "-1"))] = html.unescape(attrs.get("formatCode", ""))
        except ValueError:
            continue
    opened = _CELLXFS_OPEN.search(xml)
    closed = _CELLXFS_CLOSE.search(xml, opened.end()) if opened else None
    block = xml[opened.end():closed.start()] if opened and closed else ""
    out = set()
    for i, m in enumerate(_XF.finditer(block)):
        attrs = dict(_ATTR.findall(m.group(1)))
        try:
            if _is_percent_code(codes.get(int(attrs.get("numFmtId", "0")), "")):
                out.add(i)
        except ValueError:
            continue
    return frozenset(out)


_STYLE_ATTR = re.compile(r'\bs="(\d+)"')


@functools.lru_cache(maxsize=64)
def _cell_tags(letters: str) -> tuple[re.Pattern, re.Pattern]:
    """Start tags of one column's cells: as every common writer puts them (r first), and in any order."""
    return (re.compile(rf'<c r="{letters}(\d+)"[^<>]*>'),
            re.compile(rf'<(?:\w+:)?c\b[^<>]*?\br="{letters}(\d+)"[^<>]*>'))


def _without_comments(xml: str) -> str:
    """The part without <!-- … --> comments (found with str.find: linear however many there are)."""
    if "<!--" not in xml:
        return xml
    out, at = [], 0
    while True:
        start = xml.find("<!--", at)
        if start < 0:
            out.append(xml[at:])
            break
        out.append(xml[at:start])
        end = xml.find("-->", start + 4)
        if end < 0:
            break  # an unclosed comment runs to the end of the part
        at = end + 3
    return "".join(out)


def _column_styles(xml: str, letters: str) -> dict[int, int]:
    """Row number → style index of every cell of one column in a worksheet part."""
    xml = _without_comments(xml)
    usual, any_order = _cell_tags(letters)
    found = list(usual.finditer(xml)) or any_order.finditer(xml)
    out = {}
    for m in found:
        style = _STYLE_ATTR.search(m.group(0))
        out[int(m.group(1))] = int(style.group(1)) if style else 0
    return out


def _is_ods(zf: zipfile.ZipFile, names: set[str]) -> bool:
    """An OpenDocument spreadsheet: its first entry ``mimetype`` says so (and content.xml holds the sheets)."""
    if "mimetype" not in names or "content.xml" not in names:
        return False
    try:
        return zf.read("mimetype").strip() == ODS_MIMETYPE
    except Exception:  # a damaged entry: not an OpenDocument spreadsheet we can read
        return False


def _ods_value_types(content: bytes, sheet: str, col: int) -> dict[int, str]:
    """Row → office:value-type of one column of one sheet of an ODF content.xml (0-based)."""
    out: dict[int, str] = {}
    root = parse_xml(content)
    t, o = f"{{{NS_ODF_TABLE}}}", f"{{{NS_ODF_OFFICE}}}"
    table = next((tb for tb in root.iter(f"{t}table") if tb.get(f"{t}name") == sheet), None)
    if table is None:
        return out
    r = 0
    for row in table.iter(f"{t}table-row"):
        rows = _repeat(row.get(f"{t}number-rows-repeated"))
        c = 0
        for cell in row:
            if cell.tag not in (f"{t}table-cell", f"{t}covered-table-cell"):
                continue
            span = _repeat(cell.get(f"{t}number-columns-repeated"))
            if c <= col < c + span:
                kind = cell.get(f"{o}value-type", "")
                if kind:
                    for n in range(min(rows, 10_000)):
                        out[r + n] = kind
                break
            c += span
            if c > col:
                break
        r += rows
    return out


def _repeat(text) -> int:
    try:
        return max(1, int(text)) if text else 1
    except ValueError:
        return 1


def ole_saved_time(data: bytes) -> str:
    """The last-saved time of an OLE workbook (.xls, .et) from its SummaryInformation property set (PIDSI 13,
    a FILETIME in UTC), ISO 8601; "" when absent or unreadable."""
    import struct
    from datetime import timedelta

    try:
        from xlrd.compdoc import CompDoc

        stream = CompDoc(data, logfile=io.StringIO()).get_named_stream("\x05SummaryInformation")
        if not stream or len(stream) < 48:
            return ""
        base = struct.unpack_from("<I", stream, 44)[0]  # offset of the first (only) property set
        _, count = struct.unpack_from("<II", stream, base)
        for n in range(min(count, 1024)):
            pid, offset = struct.unpack_from("<II", stream, base + 8 + 8 * n)
            if pid != 13:  # PIDSI_LASTSAVE_DTM
                continue
            vtype, ticks = struct.unpack_from("<IQ", stream, base + offset)
            if vtype & 0xFFFF != 64 or not ticks:  # VT_FILETIME; 0 means "never saved"
                return ""
            moment = datetime(1601, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=ticks // 10)
            return _iso(moment)
    except Exception:  # a damaged property set only means "no saved time"
        return ""
    return ""


def _why(spec: IndicatorRow) -> str:
    if spec.role == layout.ROLE_RESPONSIBLE:
        return f"本单位是指标{spec.number}的责任单位，是否达到和自评分由牵头单位填写"
    return "本行不需要填写此项"


def _data_label(spec) -> str:
    if isinstance(spec, DataRow):
        label = spec.item.label
        if spec.year is not None:
            label += f"（{spec.year}年）"
        if spec.entry is not None:
            label += f"（第{spec.entry}项）"
        return label
    return ""


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


__all__ = ["Answer", "Plan", "ProgressEntry", "ReturnRecord", "UnitPlan", "read_return", "sniff", "zip_guard",
           "member_name", "parse_time", "is_lock_file", "col_letters"]
