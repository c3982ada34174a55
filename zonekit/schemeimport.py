"""scheme import: read an evaluation table as it is published (Word or Excel) into a scheme draft and a report.

Never modifies the table it reads and never overwrites a scheme file unless told to; the draft goes through
the same checks as `zonekit scheme check` before anything is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import yaml

from zonekit import layout
from zonekit.catalogue import Catalogue, Naming, shipped_catalogue, slots
from zonekit.criteria import CONFIRM, SURE, UNKNOWN, Reading, Ref, flat, read_criteria
from zonekit.errors import SchemeError
from zonekit.exact import NotANumber, fmt_number, to_fraction
from zonekit.files import OutputSet
from zonekit.issues import ERROR, WARNING, Report, define, issue
from zonekit.layout import normalize_header, normalize_text
from zonekit.plan import PlanTable, read_plan_tables
from zonekit.scheme import Scheme, describe_rate, parse_scheme
from zonekit.workbench import number_text

S_NO_TABLE = define("S020", ERROR, "{file} 中没有找到评估指标表：需要一行表头，含「编号」、指标名称（「三级指标」"
                                   "「二级指标」或「指标」）和「指标说明」或「打分标准」等列。请确认这是评估指标体系表"
                                   "（Word 表格或 Excel 工作表），表头在表格的前几行。")
S_NO_POINTS = define("S021", ERROR, "编号{number}「{name}」读不出分值：名称中没有“（3分）”这样的分值，表中也没有"
                                    "「分值」列。请在原表中补上分值后再导入。")
S_NO_LEVEL = define("S022", ERROR, "编号{number}所在行没有一级指标（本格和上方各行都是空的）。"
                                   "请在原表该列填写一级指标名称（如“促进发展（20分）”）后再导入。")
S_NUMBER_TWICE = define("S023", ERROR, "编号{number}出现了两次（{first} 和 {cell}）。请核对原表的编号。")
S_NO_ROWS = define("S024", ERROR, "{sheet} 的表头下没有读到任何指标行（编号为数字的行）。"
                                  "请确认编号列写的是 1、2、3 这样的数字。")
S_MENDED = define("S025", WARNING, "{which}「{seen}」按「{name}」读取：与已有指标体系中的名称只差一字，疑似识别错误。"
                                   "请核对原表。")
S_NUMBER_GUESSED = define("S026", WARNING, "这一行有指标名称「{name}」但没有编号，按上一行推定为编号{number}。"
                                           "请核对原表。")
S_LEVEL_POINTS = define("S027", WARNING, "{which}「{name}」没有写分值，按其下各指标合计{total}分写入。请核对原表。")
S_NO_QUALIFICATION = define("S028", WARNING, "没有找到合格标准（如“总分≧85分，且每个一级指标得分率≧80%”），"
                                             "暂按总分≥85分、每个一级指标得分率≥80%写入。请按管理办法核对。")
S_CONTINUED = define("S029", WARNING, "这一行没有自己的编号，内容接在编号{number}之后（跨页续行或合并单元格）。"
                                      "请核对该指标的说明是否完整。")
S_NOT_A_ROW = define("S030", WARNING, "编号列为「{value}」，不是指标编号，这一行没有导入。请核对原表。")
S_LEVEL_DIFFERS = define("S031", WARNING, "{which}「{name}」在不同行写了不同的分值（{first}分和{other}分），"
                                          "按{first}分读取。请核对原表。")

S_POINTS_ADDED = define("S032", WARNING, "编号{number}「{name}」的名称中没有分值，按打分标准中各项分值合计{total}分读取。"
                                         "请核对原表。")

_POINTS = re.compile(r"[（(]\s*(\d+(?:\.\d+)?)\s*分\s*[)）]?")
_QUALIFICATION_TOTAL = re.compile(r"总分(?:≧|≥|>=|不低于|达到)(\d+(?:\.\d+)?)分|总分(\d+(?:\.\d+)?)分(?:及)?以上")
_QUALIFICATION_RATE = re.compile(r"得分率(?:≧|≥|>=|不低于|达到)(\d+(?:\.\d+)?)%|得分率(\d+(?:\.\d+)?)%(?:及)?以上")
_VALID_NUMBER = re.compile(r"\d+(?:\.\d+)*")
_CJK_SPACE = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")
RULE_NAMES = {"yearly_compare": "逐年比较", "bands": "分档", "count": "计数", "weighted_count": "按件计分",
              "conditions": "条件", "claim": "清单项", "judged": "评分项"}  # as the report names the rule types
REGION_CLASSES = ("东部", "中部", "西部", "东北")  # the national statistics division (seeds README)
DEFAULT_TOTAL, DEFAULT_RATE, DEFAULT_YEARS = 85, "80%", 3  # 管理办法 2026-01-15: ≥85 and every level ≥80%


@dataclass
class Row:
    """One indicator as the table gives it, with where it stands."""

    number: str
    name: str
    points: Fraction
    level1: str
    level2: str | None
    nature: str
    criteria: str
    method: str
    where: str  # "表格1 第3行"


@dataclass
class IndicatorNote:
    """What the report says about one indicator."""

    number: str
    name: str
    points: Fraction
    types: list[str]
    sure: str
    says: list[str]
    confirm: list[str]
    data: list[tuple[str, str, str]]  # key, label, how it was found
    where: str = ""


@dataclass
class ImportResult:
    """The draft (as data and as YAML text), what was read and every problem found."""

    file: str
    doc: dict | None = None
    text: str = ""
    report: Report = field(default_factory=Report)  # problems of the table
    check: Report = field(default_factory=Report)  # what scheme check says about the draft
    notes: list[IndicatorNote] = field(default_factory=list)
    reading: list[str] = field(default_factory=list)  # how the table itself was read (header, levels, sentence)
    data_items: dict[str, str] = field(default_factory=dict)  # key -> how it was found
    scheme: Scheme | None = None

    @property
    def readable(self) -> bool:
        return self.doc is not None and self.report.valid

    def count(self, sure: str) -> int:
        return sum(1 for n in self.notes if n.sure == sure)


# ---------------------------------------------------------------- finding the table and its columns


def column_role(text: str) -> str | None:
    text = normalize_header(text)
    if not text or len(text) > 20:
        return None
    if text in layout.EVAL_NUMBER_SHORT:
        return "number"
    for role, words in layout.EVAL_HEADER_WORDS:
        if any(w in text for w in words):
            return role
    return None


def _header_cells(rows: list[list[str]]) -> list[str]:
    """Header cells over one or two rows: 编 over 号 reads 编号; a merged cell is read once."""
    width = max(len(r) for r in rows)
    out = []
    for c in range(width):
        texts = [r[c] for r in rows if c < len(r) and r[c]]
        out.append("".join(dict.fromkeys(texts)))
    return out


def find_columns(table: PlanTable) -> tuple[int, int, dict[str, int]] | None:
    """(first header row, first data row, role -> column) of an evaluation table, or None."""
    best = None
    for r in range(min(len(table.rows), 20)):
        for span in (1, 2):
            if r + span > len(table.rows):
                continue
            cols = {}
            for c, text in enumerate(_header_cells(table.rows[r:r + span])):
                role = column_role(text)
                if role and role not in cols:
                    cols[role] = c
            named = {"name", "name3", "level2"} & cols.keys()
            if "criteria" not in cols or not named or not {"number", "level1"} & cols.keys():
                continue
            if best is None or len(cols) > len(best[2]):
                best = (r, r + span, cols)
    return best


def _name_columns(cols: dict[str, int]) -> tuple[int, int | None]:
    """The indicator-name column and the second-level column (None with two levels: 一级 + 指标)."""
    if "name3" in cols:
        return cols["name3"], cols.get("level2")
    if "name" in cols:
        return cols["name"], cols.get("level2")
    return cols["level2"], None  # 2025 draft: its "二级指标" column holds the numbered indicators


# ---------------------------------------------------------------- reading rows


def _verbatim(text: str) -> str:
    """Cell text as printed (full-width punctuation kept), without stray spaces and carriage returns."""
    return (text or "").replace("\r", "").replace("\u3000", " ").strip()


def _clean_name(text: str) -> str:
    text = _POINTS.sub("", _verbatim(text))
    text = _CJK_SPACE.sub("", text).replace("\n", "")
    return text.strip().rstrip("。.；;，,")


def _points_in(text: str) -> Fraction | None:
    found = _POINTS.findall(normalize_text(text))
    return to_fraction(found[-1]) if found else None


def _level_text(text: str) -> tuple[str, Fraction | None]:
    """'促进发展（20分）' / '促进发展\\n（20分）' → ('促进发展', 20)."""
    text = _verbatim(text)
    points = _points_in(text)
    name = re.split(r"[（(]", text, maxsplit=1)[0]
    return re.sub(r"\s+", "", name), points


def _criteria_text(text: str) -> str:
    return "\n".join(line.strip() for line in _verbatim(text).split("\n") if line.strip())


@dataclass
class _Levels:
    """First- and second-level indicators in order of appearance, with their points as the table states them."""

    order: dict[str, dict] = field(default_factory=dict)

    def add(self, name: str, points, parent: str | None, where: tuple[str, str], report: Report, file: str,
            which: str):
        home = self.order if parent is None else self.order[parent]["children"]
        entry = home.setdefault(name, {"points": points, "children": {}, "where": where})
        if points is not None and entry["points"] is None:
            entry["points"] = points
        elif points is not None and entry["points"] != points:
            report.add(issue(S_LEVEL_DIFFERS, file=file, sheet=where[0], cell=where[1], which=which, name=name,
                             first=fmt_number(entry["points"]), other=fmt_number(points)))


class _Reader:
    """Reads the indicator rows of the evaluation table(s) of one file."""

    def __init__(self, file: str, catalogue: Catalogue):
        self.file, self.catalogue = file, catalogue
        self.report, self.reading = Report(), []
        self.rows: list[Row] = []
        self.levels = _Levels()
        self.qualification: list[tuple[str, str]] = []  # (sentence, where)
        self.mended: dict[str, str] = {}
        self.two_levels = False
        self.indicator_label = ""  # the header of the indicator column: 三级指标, 二级指标, 指标 …

    def mend(self, name: str, which: str, sheet: str, cell: str) -> str:
        """An OCR slip such as 优化服备 → 优化服务 (a known level name one character away)."""
        known = self.catalogue.level_names
        if not name or name in known:
            return name
        if name in self.mended:
            return self.mended[name]
        close = [k for k in known if len(k) == len(name) and len(name) >= 4
                 and sum(a != b for a, b in zip(k, name)) == 1]
        if len(close) == 1:
            self.mended[name] = close[0]
            self.report.add(issue(S_MENDED, file=self.file, sheet=sheet, cell=cell, value=name, which=which,
                                  seen=name, name=close[0]))
            return close[0]
        return name

    def read(self, tables: list[PlanTable]) -> None:
        found = [(t, find_columns(t)) for t in tables]
        if not any(h for _, h in found):
            self.report.add(issue(S_NO_TABLE, file=self.file))
            return
        at = max((i for i, (_, h) in enumerate(found) if h), key=lambda i: len(found[i][1][2]))
        best, (_, first, cols) = found[at]
        width = len(best.rows[first]) if len(best.rows) > first else 0
        for table, own in found[at:]:
            if own is not None and set(own[2]) == set(cols):
                self._read_table(table, *own)
            elif own is None and table.rows and len(table.rows[0]) == width:
                self._read_table(table, 0, 0, cols)  # the table goes on after a page or section break
        if not self.rows:
            self.report.add(issue(S_NO_ROWS, file=self.file, sheet=best.name))

    def _read_table(self, table: PlanTable, head: int, start: int, cols: dict[str, int]) -> None:
        name_col, level2_col = _name_columns(cols)
        if start > head and not self.indicator_label:
            headers = [normalize_header(t) for t in _header_cells(table.rows[head:start])]
            self.two_levels = level2_col is None
            self.indicator_label = headers[name_col]
            rows = f"第{head + 1}行" + (f"至第{start}行" if start - head > 1 else "")
            said = f"{table.name}：{rows}为表头（{' | '.join(h for h in headers if h)}）"
            if self.two_levels:
                said += "；没有三级指标列，按一级指标 + 指标两级读取"
            self.reading.append(said)
        for r in range(start):  # the qualification sentence may stand above the table too
            self._look_for_qualification(table, r)
        for r in range(start, len(table.rows)):
            self._read_row(table, r, cols, name_col, level2_col)

    def _look_for_qualification(self, table: PlanTable, r: int) -> bool:
        text = "".join(dict.fromkeys(c for c in table.rows[r] if c))
        if _QUALIFICATION_TOTAL.search(flat(text)) or ("合格标准" in text and "得分率" in text):
            self.qualification.append((text, f"{table.name} {table.ref(r, 0)}"))
            return True
        return False

    def _read_row(self, table: PlanTable, r: int, cols: dict[str, int], name_col: int, level2_col: int | None):
        cells = table.rows[r]

        def at(c):
            return cells[c] if c is not None and c < len(cells) else ""

        def merged(c):
            return c is not None and c < len(table.merged_from[r]) and table.merged_from[r][c] is not None

        if self._look_for_qualification(table, r):
            return
        roles = [column_role(c) for c in cells]
        if sum(1 for x in roles if x) >= 3:
            return  # the header repeated on a new page
        number_col = cols.get("number")
        raw_number, name, criteria = at(number_col), at(name_col), at(cols.get("criteria"))
        if self.rows and (merged(number_col) or (not raw_number and not name and criteria)) and \
                (not raw_number or number_text(raw_number) == self.rows[-1].number):
            self._continue(table, r, cols, name_col)
            return
        number = number_text(re.sub(r"[()（）]", "", raw_number)) if raw_number else ""
        if number_col is None or not number:
            if not (name and _points_in(name) is not None):
                return
            number = str(int(self.rows[-1].number.split(".")[0]) + 1) if self.rows else "1"
            if number_col is not None:
                self.report.add(issue(S_NUMBER_GUESSED, file=self.file, sheet=table.name,
                                      cell=table.ref(r, number_col), name=_clean_name(name), number=number))
        elif not _VALID_NUMBER.fullmatch(number):
            if name or criteria:
                self.report.add(issue(S_NOT_A_ROW, file=self.file, sheet=table.name, cell=table.ref(r, number_col),
                                      value=raw_number))
            return
        first = next((x for x in self.rows if x.number == number), None)
        if first is not None:
            self.report.add(issue(S_NUMBER_TWICE, file=self.file, sheet=table.name, cell=table.ref(r, number_col),
                                  number=number, first=first.where))
            return
        points = _points_in(name)
        if points is None and "points" in cols:
            try:
                points = to_fraction(normalize_text(at(cols["points"])).rstrip("分"))
            except NotANumber:
                points = None
        if points is None and _POINTS.search(criteria):  # "…（1分）…（2分）": the items add up to the indicator
            points = sum((to_fraction(p) for p in _POINTS.findall(criteria)), Fraction(0))
            self.report.add(issue(S_POINTS_ADDED, file=self.file, sheet=table.name, cell=table.ref(r, name_col),
                                  value=name, number=number, name=_clean_name(name), total=fmt_number(points)))
        if points is None:
            self.report.add(issue(S_NO_POINTS, file=self.file, sheet=table.name, cell=table.ref(r, name_col),
                                  value=name, number=number, name=_clean_name(name) or "（空）"))
            return
        level1 = self._level(table, r, cols.get("level1"), None, "一级指标", number)
        if level1 is None:
            return
        level2 = self._level(table, r, level2_col, level1, "二级指标", number) if level2_col is not None else None
        self.rows.append(Row(number, _clean_name(name), points, level1, level2,
                             re.sub(r"\s+", "", normalize_text(at(cols.get("nature")))),
                             _criteria_text(criteria), _criteria_text(at(cols.get("method"))),
                             f"{table.name} {table.ref(r, name_col)}"))

    def _level(self, table, r, col, parent, which, number) -> str | None:
        """The level named in this row's cell, or the one above when the cell is blank or holds only the
        points that a level cell broken over two rows left behind ("（20分）")."""
        text = table.rows[r][col] if col is not None and col < len(table.rows[r]) else ""
        name, points = _level_text(text)
        where = (table.name, table.ref(r, col) if col is not None else "")
        if not name:
            previous = self.rows[-1] if self.rows else None
            if previous is None or (parent is not None and previous.level1 != parent):
                if parent is None:
                    self.report.add(issue(S_NO_LEVEL, file=self.file, sheet=where[0], cell=where[1], number=number))
                return None
            name = previous.level1 if parent is None else previous.level2
            if name is None:
                return None
        else:
            name = self.mend(name, which, *where)
        self.levels.add(name, points, parent, where, self.report, self.file, which)
        return name

    def _continue(self, table, r, cols, name_col) -> None:
        last = self.rows[-1]
        added = False
        for role in ("criteria", "method"):
            c = cols.get(role)
            if c is None or c >= len(table.rows[r]) or table.merged_from[r][c] is not None:
                continue
            text = _criteria_text(table.rows[r][c])
            if text:
                setattr(last, role, (getattr(last, role) + "\n" + text).strip())
                added = True
        if added:
            self.report.add(issue(S_CONTINUED, file=self.file, sheet=table.name,
                                  cell=table.ref(r, cols.get("criteria", name_col)), number=last.number))


# ---------------------------------------------------------------- the draft


def _materialize(value):
    """A rule with its Refs replaced by the data item keys they were given."""
    if isinstance(value, Ref):
        return value.key
    if isinstance(value, dict):
        return {k: _materialize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_materialize(v) for v in value]
    return value


def _number(value: Fraction):
    return int(value) if value.denominator == 1 else float(value)


def _qualification(reader: _Reader, paragraphs: list[str], result: ImportResult) -> dict:
    sentences = [(t, w) for t, w in reader.qualification] + [(p, "正文段落") for p in paragraphs]
    for text, where in sentences:
        plain = flat(text)
        total, rate = _QUALIFICATION_TOTAL.search(plain), _QUALIFICATION_RATE.search(plain)
        if total and rate:
            result.reading.append(f"合格标准取自{where}：“{_verbatim(text)}”")
            return {"total_min": _number(to_fraction(total[1] or total[2])), "level_rate_min": f"{rate[1] or rate[2]}%"}
    result.report.add(issue(S_NO_QUALIFICATION, file=result.file))
    return {"total_min": DEFAULT_TOTAL, "level_rate_min": DEFAULT_RATE}


def _levels(reader: _Reader, result: ImportResult) -> list[dict]:
    out = []
    for name, entry in reader.levels.order.items():
        inds = [r for r in reader.rows if r.level1 == name]
        points = entry["points"]
        if points is None:
            points = sum((r.points for r in inds), Fraction(0))
            result.report.add(issue(S_LEVEL_POINTS, file=result.file, sheet=entry["where"][0], cell=entry["where"][1],
                                    which="一级指标", name=name, total=fmt_number(points)))
        level = {"name": name, "points": _number(points)}
        children = []
        for child, sub in entry["children"].items():
            cpoints = sub["points"]
            if cpoints is None:
                cpoints = sum((r.points for r in inds if r.level2 == child), Fraction(0))
                result.report.add(issue(S_LEVEL_POINTS, file=result.file, sheet=sub["where"][0], cell=sub["where"][1],
                                        which="二级指标", name=child, total=fmt_number(cpoints)))
            children.append({"name": child, "points": _number(cpoints)})
        if children:
            level["children"] = children
        out.append(level)
    return out


def _years(readings: list[Reading], result: ImportResult) -> tuple[int, str]:
    said = sorted({r.years for r in readings if r.years})
    if len(said) == 1:
        return said[0], f"评估年度：原文“近{said[0]}年”，按{said[0]}个评估年度逐年比较"
    if said:
        return max(said), f"评估年度：原文写了{'、'.join(f'近{y}年' for y in said)}，按{max(said)}年写入，请核对"
    if any(r.period for r in readings):
        return DEFAULT_YEARS, f"评估年度：原文“创建期内”，按创建期{DEFAULT_YEARS}年写入（管理办法：创建期一般为3年），请核对"
    return DEFAULT_YEARS, f"评估年度：原文未写，按{DEFAULT_YEARS}年写入，请核对"


def _region_classes(readings: list[Reading]) -> list[str]:
    named = set()
    for reading in readings:
        for part in reading.parts:
            count = part.rule.get("count") if isinstance(part.rule.get("count"), dict) else {}
            named |= set(count.get("min_amount") or {})
    return [c for c in REGION_CLASSES if c in named] if named else list(REGION_CLASSES)


def _indicator(row: Row, reading: Reading, two_levels: bool) -> dict:
    doc = {"number": int(row.number) if row.number.isdigit() else row.number, "level1": row.level1}
    if not two_levels and row.level2:
        doc["level2"] = row.level2
    doc.update(name=row.name, points=_number(row.points), nature=row.nature, criteria=row.criteria,
               method=row.method)
    # how the text is read, also shown to the units beside the criteria; the doubts are phrased as readings
    assumed = reading.notes + [c for p in reading.parts if p.sure != UNKNOWN for c in p.confirm]
    doc["reading"] = "；".join(_says(row, reading)) + (f"。{'；'.join(assumed)}" if assumed else "")
    if reading.single:
        doc["rule"] = _materialize(reading.parts[0].rule)
    else:
        doc["items"] = [{"key": f"{row.number}.{i}", "text": p.text, "points": _number(p.points),
                         "rule": _materialize(p.rule)} for i, p in enumerate(reading.parts, 1)]
        if reading.combine == "any":
            doc["combine"] = "any"
    return doc


def _says(row: Row, reading: Reading) -> list[str]:
    if reading.single:
        return [reading.parts[0].says]
    head = [reading.summary] if reading.summary else []
    if all(p.rule["type"] == "claim" for p in reading.parts):
        return head or [f"{len(reading.parts)}个分项均为清单项：由牵头单位自评“是/否”并附佐证，是则得该项分值"]
    return head + [f"{row.number}.{i} {p.says}" for i, p in enumerate(reading.parts, 1)]


def import_tables(tables: list[PlanTable], file: str, name: str, paragraphs: list[str] | None = None,
                  title: str = "", catalogue: Catalogue | None = None) -> ImportResult:
    """The scheme draft of an evaluation table: structure, rules, data items, the checks' verdict and notes."""
    catalogue = catalogue or shipped_catalogue()
    result = ImportResult(file)
    reader = _Reader(file, catalogue)
    reader.read(tables)
    result.report.extend(reader.report.issues)
    result.reading += reader.reading
    if not reader.rows or not result.report.valid:
        return result
    naming = Naming(catalogue)
    readings, inclusive = [], False
    for row in reader.rows:
        reading = read_criteria(row.criteria, row.name, row.points, inclusive)
        inclusive = inclusive or reading.inclusive_note
        for part in reading.parts:
            naming.name_part(part, row.number)
        readings.append(reading)
    years, said = _years(readings, result)
    result.reading.append(said)
    edition = re.search(r"[（(]([^()（）]+)[)）]$", title or "")
    doc = {"name": name, "title": title or name, "version": f"{name}{edition[1] if edition else ''}",
           "indicator_label": reader.indicator_label or "指标", "source": f"zonekit scheme import：{file}",
           "evaluation_years": years, "region_classes": _region_classes(readings),
           "qualification": _qualification(reader, paragraphs or [], result),
           "levels": _levels(reader, result), "data_items": naming.data_items,
           "indicators": [_indicator(row, reading, reader.two_levels) for row, reading in zip(reader.rows, readings)]}
    result.doc = doc
    for row, reading in zip(reader.rows, readings):
        refs = [r for p in reading.parts for r in slots(p.rule) if isinstance(r, Ref)]
        data = list(dict.fromkeys((r.key, naming.data_items[r.key]["label"], r.found) for r in refs))
        confirm = list(reading.confirm) + [f"新建数据项 {k}「{label}」：请核对名称和单位" for k, label, how in data
                                           if how.startswith("新建")]
        result.notes.append(IndicatorNote(row.number, row.name, row.points, [p.rule["type"] for p in reading.parts],
                                          CONFIRM if reading.sure == SURE and confirm else reading.sure,
                                          _says(row, reading), confirm, data, row.where))
        for key, _, how in data:
            result.data_items.setdefault(key, how)
    result.scheme, result.check = parse_scheme(doc, file)
    result.text = dump_scheme(doc, {n.number: n for n in result.notes}, file)
    return result


# ---------------------------------------------------------------- YAML text


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ten times faster
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _scalar(value) -> str:
    text = yaml.dump(value, Dumper=_DUMPER, allow_unicode=True, default_flow_style=True, width=10 ** 9,
                     sort_keys=False)
    return text.strip().removesuffix("...").strip()


def _block(key: str, text: str, indent: str) -> list[str]:
    if "\n" not in text:
        return [f"{indent}{key}: {_scalar(text)}"]
    body = [line.rstrip() for line in text.split("\n")]
    return [f"{indent}{key}: |-"] + [f"{indent}  {line}" if line else "" for line in body]


def _mapping(data: dict, indent: str) -> list[str]:
    lines = []
    for key, value in data.items():
        if isinstance(value, str):
            lines += _block(key, value, indent)
        elif isinstance(value, dict) and key in ("rule",):
            lines.append(f"{indent}{key}:")
            lines += [f"{indent}  {k}: {_scalar(v)}" if not isinstance(v, list) or not v
                      or not all(isinstance(x, dict) for x in v)
                      else f"{indent}  {k}:\n" + "\n".join(f"{indent}    - {_scalar(x)}" for x in v)
                      for k, v in value.items()]
        else:
            lines.append(f"{indent}{key}: {_scalar(value)}")
    return lines


def dump_scheme(doc: dict, notes: dict[str, IndicatorNote] | None = None, file: str = "") -> str:
    """The draft as a YAML file laid out like templates/schemes/*.yaml, with a comment over every indicator a
    person must confirm. Falls back to a plain dump if the laid-out text would not read back the same."""
    notes = notes or {}
    out = [f"# {doc['title']}",
           f"# 由 zonekit scheme import 从 {file} 读取生成的草稿。标有“需确认”的指标请对照原表核对；",
           "# 修改后用 zonekit scheme check 检查。格式见 templates/schemes/README.md。"]
    for key in ("name", "title", "version", "indicator_label", "source", "evaluation_years", "region_classes",
                "qualification"):
        out.append(f"{key}: {_scalar(doc[key])}")
    out += ["", "levels:"]
    for level in doc["levels"]:
        out += [f"  - name: {_scalar(level['name'])}", f"    points: {_scalar(level['points'])}"]
        if level.get("children"):
            out.append("    children:")
            out += [f"      - {_scalar(child)}" for child in level["children"]]
    out += ["", "data_items:"]
    for key, spec in doc["data_items"].items():
        out.append(f"  {key}:")
        out += _mapping(spec, "    ")
    out += ["", "indicators:"]
    for ind in doc["indicators"]:
        note = notes.get(str(ind["number"]))
        out.append("")
        if note and note.sure != SURE:
            out += [f"  # {note.sure}：{line}" for line in note.confirm]
        head, *rest = _mapping({k: v for k, v in ind.items() if k not in ("items", "combine")}, "    ")
        out.append("  - " + head.strip())
        out += rest
        if "items" in ind:
            out.append("    items:")
            for item in ind["items"]:
                first, *others = _mapping(item, "        ")
                out.append("      - " + first.strip())
                out += others
        if "combine" in ind:
            out.append(f"    combine: {ind['combine']}")
    text = "\n".join(out) + "\n"
    try:
        if yaml.load(text, Loader=_LOADER) == doc:
            return text
    except yaml.YAMLError:
        pass
    return yaml.dump(doc, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=120)


# ---------------------------------------------------------------- the report


def render_report(result: ImportResult, out: str = "") -> str:
    """The Chinese report of what was read: summary, what a person must confirm, the checks, each indicator."""
    lines = [f"评估指标体系导入报告：{result.file}" + (f" → {out}" if out else ""), ""]
    if result.doc is None:
        lines.append("没有生成指标体系草稿，原因如下（先列错误，再列警告）：")
        ordered = Report(result.report.errors + result.report.warnings)
        lines += ["  " + line for line in ordered.render().splitlines()]
        return "\n".join(lines) + "\n"
    doc, scheme = result.doc, result.scheme
    levels = "、".join(f"{lv['name']}{fmt_number(to_fraction(lv['points']))}分" for lv in doc["levels"])
    seconds = sum(len(lv.get("children") or []) for lv in doc["levels"])
    total = sum((n.points for n in result.notes), Fraction(0))
    recognized = len(result.notes) - result.count(UNKNOWN)
    qual = doc["qualification"]
    reused = sum(1 for how in result.data_items.values() if how.startswith("沿用"))
    lines += [
        "一、读到了什么",
        f"  一级指标{len(doc['levels'])}个：{levels}",
        f"  二级指标{seconds}个" if seconds else "  没有二级指标（按两级读取）",
        f"  指标{len(result.notes)}项，合计{fmt_number(total)}分",
        f"  合格标准：总分≥{qual['total_min']}分，且每个一级指标得分率≥{qual['level_rate_min']}",
        f"  计分规则：{len(result.notes)}项中识别{recognized}项（其中{result.count(CONFIRM)}项需确认），"
        f"未识别{result.count(UNKNOWN)}项" + ("（已按评分项处理，须人工阅读原文）" if result.count(UNKNOWN) else ""),
        f"  数据项{len(result.data_items)}个：沿用已有指标体系的{reused}个（全国数据和填报表照常使用），"
        f"新建{len(result.data_items) - reused}个",
    ]
    lines += ["  " + r for r in result.reading]
    lines += ["", "二、需要人工确认的事项"]
    todo = [n for n in result.notes if n.sure != SURE]
    table_issues = [i for i in result.report.issues]
    if not todo and not table_issues:
        lines.append("  无")
    for i in table_issues:
        lines.append(f"  · [{i.code}] {i.where() + '：' if i.where() else ''}{i.message}")
    for n in todo:
        lines.append(f"  · 指标{n.number}「{n.name}」（{n.sure}）：")
        lines += [f"      - {c}" for c in n.confirm]
    lines += ["", "三、scheme check 检查结果"]
    if result.check.issues:
        lines += ["  " + line for line in result.check.render().splitlines()]
    else:
        lines.append("  没有发现问题")
    if scheme is not None:
        lines.append(f"  合计{fmt_number(scheme.total_points)}分；错误{len(result.check.errors)}个，"
                     f"警告{len(result.check.warnings)}个")
    lines += ["", "四、逐项读取结果（编号｜名称｜分值｜规则｜把握）"]
    for n in result.notes:
        types = "、".join(f"{RULE_NAMES.get(t, t)} {t}" for t in dict.fromkeys(n.types))
        lines.append(f"  {n.number}｜{n.name}｜{fmt_number(n.points)}分｜{types}｜{n.sure}")
        lines += [f"      读作：{s}" for s in n.says]
        for key, label, how in n.data:
            lines.append(f"      数据项：{key}「{label}」——{how}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- files


def _docx_paragraphs(path: Path) -> tuple[list[str], str]:
    """The body paragraphs of a .docx and the title standing just before its first table."""
    import docx

    document = docx.Document(str(path))
    paragraphs, title = [], ""
    before_table = True
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "tbl":
            before_table = False
        elif tag == "p":
            text = _verbatim("".join(t.text or "" for t in child.iter() if t.tag.endswith("}t")))
            if not text:
                continue
            paragraphs.append(text)
            if before_table and "指标体系" in text and "合格标准" not in text:
                title = re.sub(r"^附件\d*[:：]?", "", text).strip()
            elif before_table and title and re.fullmatch(r"[（(][^()（）]{1,10}[)）]", text):
                title += text
    return paragraphs, title


def _sheet_title(tables: list[PlanTable]) -> str:
    for table in tables:
        head = find_columns(table)
        for row in table.rows[:head[0] if head else 0]:
            texts = list(dict.fromkeys(c for c in row if c))
            if len(texts) == 1 and "指标体系" in texts[0]:
                return _verbatim(texts[0]).replace("\n", "")
    return ""


def read_table_file(path) -> tuple[list[PlanTable], list[str], str]:
    """The tables, the body paragraphs (Word) and the title of a published table file."""
    path = Path(path)
    tables = read_plan_tables(path)
    paragraphs, title = ([], "")
    if path.suffix.lower() == ".docx":
        paragraphs, title = _docx_paragraphs(path)
    return tables, paragraphs, title or _sheet_title(tables)


def report_path(out) -> Path:
    out = Path(out)
    return out.with_name(layout.IMPORT_REPORT_FILE.format(stem=out.stem))


def import_scheme_file(table_path, out_path, name: str | None = None, force: bool = False) -> ImportResult:
    """Read the table file, write the draft YAML and its report beside it. Refuses to overwrite without force;
    writes nothing when the table cannot be read."""
    table_path, out_path = Path(table_path), Path(out_path)
    if out_path.suffix.lower() not in (".yaml", ".yml"):
        raise SchemeError(f"输出文件 {out_path} 应以 .yaml 结尾（指标体系文件是 YAML 格式）。")
    if out_path.resolve() == table_path.resolve():
        raise SchemeError("输出文件不能是要读取的表格本身。")
    report_file = report_path(out_path)
    there = [p for p in (out_path, report_file) if p.exists()]
    if there and not force:
        raise SchemeError(f"{'、'.join(map(str, there))} 已存在，没有覆盖。要替换请加 --force，或换一个输出文件名。")
    tables, paragraphs, title = read_table_file(table_path)
    result = import_tables(tables, table_path.name, name or out_path.stem, paragraphs, title)
    if result.readable:
        with OutputSet(out_path.parent, [out_path.name, report_file.name]) as out:  # both or neither
            out.write(out_path.name, result.text)
            out.write(report_file.name, render_report(result, out_path.name))
    return result


def describe(result: ImportResult) -> str:
    """What the terminal shows: what was read, what a person must confirm, what the checks say."""
    scheme = result.scheme
    if scheme is None:
        return ""
    lines = [f"已读取：{len(scheme.levels)}个一级指标，{len(scheme.indicators)}项指标，合计{fmt_number(scheme.total_points)}分；"
             f"合格标准：总分≥{fmt_number(scheme.total_min)}分，且每个一级指标得分率≥{describe_rate(scheme.level_rate_min)}。",
             f"计分规则：识别{len(result.notes) - result.count(UNKNOWN)}项（其中需确认{result.count(CONFIRM)}项），"
             f"未识别{result.count(UNKNOWN)}项" + ("（按评分项处理，须人工阅读原文）。" if result.count(UNKNOWN) else "。")]
    todo = [n for n in result.notes if n.sure != SURE]
    if todo or result.report.issues:
        lines.append("需要人工确认：")
        lines += [f"  [{i.code}] {i.where() + '：' if i.where() else ''}{i.message}" for i in result.report.issues]
        lines += [f"  指标{n.number}「{n.name}」（{n.sure}）：{'；'.join(n.confirm)}" for n in todo]
    lines.append(f"scheme check：错误{len(result.check.errors)}个，警告{len(result.check.warnings)}个。")
    lines += ["  " + line for line in result.check.render().splitlines()]
    return "\n".join(lines)
