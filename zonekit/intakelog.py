"""Write what a collect found for people: 回收登记.xlsx (every file seen and why it was taken or not, the
units, every issue) and 合并结果.xlsx (every answer, who gave it and whether it is scored; progress; evidence).

Writes only the path it is given (a path staged by ``zonekit.files.OutputSet``); user text is always written as
text, never as a formula or link.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from zonekit import layout
from zonekit.evidence import picture_rows, write_link
from zonekit.exact import fmt_exact_percent
from zonekit.intake import parse_time
from zonekit.pages import setup_print
from zonekit.sheetrows import RowSheet
from zonekit.states import local_minutes
from zonekit.summary import text_lines
from zonekit.versions import shown_time

WRITER_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                  "strings_to_urls": False}
KIND_NAMES = {"data": "数据", "list": "名单", "claim": "是否达到", "judged": "自评分", "national": "全国数据"}
LINE = 15  # points per line of wrapped text


def _stamp(result) -> datetime:
    """A creation time that depends on the inputs only, so a re-run writes the same workbook."""
    times = [parse_time(r.received_at or r.saved_at or r.file_time) for r in result.returns]
    known = [t for t in times if t is not None]
    moment = max(known) if known else datetime(2000, 1, 1, tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


class _Sheet:
    """A plain table: header row, frozen, filtered, printed landscape on A4 with the header on every page (only
    the first ``printed`` columns); every cell a string unless it is a count; rows as high as their wrapped text
    (LibreOffice does not grow them by itself). The rows are written as XML by zonekit.sheetrows (回收登记 has one
    per file at a province's scale); ``links``: cell by cell through xlsxwriter instead, so that a cell can be
    made a hyperlink afterwards (write_link on ``ws``)."""

    def __init__(self, wb, name: str, columns, fmt_head, fmt_text, fmt_num, printed: int | None = None,
                 links: bool = False):
        self.ws = wb.add_worksheet(name, worksheet_class=None if links else RowSheet)
        self.xml = not links
        self.columns = columns
        for i, col in enumerate(columns):
            self.ws.set_column(i, i, col.width)
            self.ws.write_string(0, i, col.header, fmt_head)
        self.ws.set_row(0, LINE * max(text_lines(c.header, c.width) for c in columns) + 4)
        self.ws.freeze_panes(1, 0)
        setup_print(self.ws, header_row=0)
        self.printed = printed or len(columns)
        # the text a column surely holds on one line (all of it wide characters); longer text may wrap
        self._fits = [(c.width - 1) // 2 if i < self.printed else None for i, c in enumerate(columns)]
        self._style = self.ws.style if self.xml else (lambda fmt: fmt)  # what a row takes for a format
        self.text, self.num = self._style(fmt_text), self._style(fmt_num)
        self.row = 1

    def add(self, cells, numbers: dict | None = None) -> None:
        """One row; ``numbers`` (column → (number, format)) replaces cells by a number in a format of its own
        once the row's height is known (the text the cell replaced still counts for it)."""
        cells, fits, lines, styles, text, num = list(cells), self._fits, 1, [], self.text, self.num
        for i, value in enumerate(cells):
            if value.__class__ is int or isinstance(value, int) and not isinstance(value, bool):
                styles.append(num)
                continue
            styles.append(text)
            if value is None or value == "":  # an empty cell is left unwritten
                continue
            if value.__class__ is not str:
                cells[i] = value = str(value)
            fit = fits[i]
            if fit is not None and (len(value) > fit or "\n" in value) and \
                    (not value.isascii() or len(value) > 2 * fit or "\n" in value):  # ASCII is one column a letter
                lines = max(lines, text_lines(value, self.columns[i].width))  # it may wrap
        for i, (number, fmt) in (numbers or {}).items():
            cells[i], styles[i] = number, self._style(fmt)
        height = min(LINE * lines + 3, 409) if lines > 1 else None
        if self.xml:
            self.ws.add_row(self.row, cells, styles, height)
        else:
            for i, (value, fmt) in enumerate(zip(cells, styles)):
                if isinstance(value, str) and value:
                    self.ws.write_string(self.row, i, value, fmt)
                elif value is not None and value != "":
                    self.ws.write_number(self.row, i, value, fmt)
            if height is not None:
                self.ws.set_row(self.row, height)
        self.row += 1

    def finish(self) -> None:
        self.ws.autofilter(0, 0, max(self.row - 1, 1), len(self.columns) - 1)
        if self.printed < len(self.columns):
            self.ws.print_area(0, 0, max(self.row - 1, 1), self.printed - 1)


def _workbook(path: Path, title: str, result, options: dict = WRITER_OPTIONS):
    wb = xlsxwriter.Workbook(str(path), options)
    wb.set_properties({"title": title, "author": "zonekit", "created": _stamp(result)})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    text = wb.add_format({"text_wrap": True, "valign": "top"})
    num = wb.add_format({"valign": "top", "num_format": "0"})
    return wb, head, text, num


def versions_text(merge) -> str:
    """'共3版；采用第3版，沿用第1版12项' — which of a unit's versions its values come from."""
    if merge is None or len(merge.versions) < 2:
        return ""
    parts = [f"共{len(merge.versions)}版", f"采用{merge.label(merge.newest)}"]
    older = [f"{merge.label(v)}{merge.used[n]}项" for n, v in enumerate(merge.versions[:-1]) if merge.used.get(n)]
    if older:
        parts[-1] += "，沿用" + "、".join(older)
    return "；".join(parts)


def time_source(entry) -> str:
    """Where 保存时间 comes from, as a clerk reads it: inside the file (which part) or the file's own time."""
    if entry.saved_from:
        return "表内保存时间"  # which part of the file is named in the reasons (R401)
    return "文件修改时间" if entry.file_time else ""


def write_intake_log(target: Path, result) -> Path:
    """回收登记.xlsx at ``target``: 回收文件 (every place a file was found: file, unit, status, reason first; each
    unit's versions and how many values each gave; the saved time to the second and where it came from; hashes
    last), 单位情况 (per unit: state, versions, what is missing), 问题清单 (the issues that still apply), 图片
    (every picture each file carried and what became of it)."""
    # one row per place a file was found (10,000 at a province's scale): the rows go to disk as they are written
    # (zonekit.sheetrows), and so do the parts of the package
    streamed = {**WRITER_OPTIONS, "in_memory": False, "tmpdir": str(Path(target).parent)}
    wb, head, text, num = _workbook(target, "回收登记", result, streamed)
    files = _Sheet(wb, layout.SHEET_INTAKE_FILES, layout.INTAKE_FILE_COLUMNS, head, text, num,
                   printed=layout.INTAKE_FILE_PRINTED)
    for r in result.returns:
        files.add([r.file, r.unit, r.status, r.reason, r.version, r.used, shown_time(r.saved_at or r.file_time),
                   time_source(r), shown_time(r.received_at), len(r.errors), len(r.warnings), r.identified_by,
                   r.size, r.sha256])
    files.finish()
    units = _Sheet(wb, layout.SHEET_INTAKE_UNITS, layout.INTAKE_UNIT_COLUMNS, head, text, num)
    for u in result.units:
        units.add([u.unit, u.state, u.last_file, local_minutes(u.received_at), versions_text(result.merges.get(u.unit)),
                   len(u.errors), len(u.warnings), layout.LIST_SEPARATOR.join(u.missing)])
    units.finish()
    problems = _Sheet(wb, layout.SHEET_ISSUES, layout.INTAKE_ISSUE_COLUMNS, head, text, num)
    status_of = {r.file: r.status for r in result.returns}
    for i in result.issues.issues:
        problems.add([i.severity, i.code, i.unit, i.file, i.sheet, i.cell, i.value, i.message,
                      status_of.get(i.file, "")])
    problems.finish()
    # 图片: every picture each file carried (issue 16; rows from zonekit.evidence.picture_rows)
    pictures = _Sheet(wb, layout.SHEET_INTAKE_PICTURES, layout.INTAKE_PICTURE_COLUMNS, head, text, num)
    for row in picture_rows(result):
        pictures.add(row)
    pictures.finish()
    wb.close()
    return target


def write_merged(target: Path, result) -> Path:
    """合并结果.xlsx: 填报明细 (every answer and who gave it), 工作进展 (per indicator), 佐证材料 (pictures).

    Figures are numbers (rates in a percent format with as many decimals as they have), years are numbers, text
    stays text; the internal row keys are kept in a hidden column; every sheet prints on A4, one page wide."""
    scheme = result.project.scheme
    names = {ind.number: ind.name for ind in scheme.indicators}
    label = scheme.indicator_label
    with nullcontext(target) as tmp:  # target is staged by the caller's OutputSet
        wb, head, text, num = _workbook(tmp, "合并结果", result)
        figures = _Figures(wb)
        answers = _Sheet(wb, layout.SHEET_ANSWERS, layout.ANSWER_COLUMNS, head, text, num)
        value_col = layout.ANSWER_COLUMNS.index(layout.ANSWER_VALUE)
        for c in sorted(result.contributions, key=_answer_order(scheme)):
            where = f"{c.sheet}!{c.cell}" if c.sheet and c.cell else c.sheet
            row = [c.indicator, KIND_NAMES.get(c.kind, c.kind), c.key, c.label, c.year, c.text, c.measure, c.unit,
                   c.file, where, c.status, c.note]
            shown = isinstance(c.value, Fraction) and c.kind in NUMBER_KINDS
            answers.add(row, {value_col: figures.cell(c.value, c.measure == "%")} if shown else None)
        key_col = layout.ANSWER_COLUMNS.index(layout.ANSWER_KEY)
        answers.ws.set_column(key_col, key_col, layout.ANSWER_KEY.width, text, {"hidden": True})
        answers.finish()
        progress = _Sheet(wb, layout.SHEET_MERGED_PROGRESS, layout.for_scheme(layout.MERGED_PROGRESS_COLUMNS, label),
                          head, text, num)
        for number, entries in result.progress.items():
            for e in entries:
                progress.add([number, names.get(number, ""), e.unit, e.role, e.progress, e.evidence, e.files,
                              e.problems, e.contact, e.file])
        progress.finish()
        evidence = _Sheet(wb, layout.SHEET_EVIDENCE, layout.for_scheme(layout.EVIDENCE_COLUMNS, label), head, text,
                          num, links=True)
        for e in result.evidence:
            note = e.note(result.project.round)
            evidence.add([e.indicator, names.get(e.indicator, ""), e.unit, e.round, e.path, "",
                          f"{e.kind}，来自 {e.source} {e.sheet}!{e.cell}" + (f"；{note}" if note else "")])
            write_link(evidence.ws, evidence.row - 1, 5, result.project.output / e.path, result.project.output,
                       text="打开")  # linked from where 合并结果.xlsx lands, not from its staged copy
        evidence.finish()
        for sheet in (answers, progress, evidence):
            setup_print(sheet.ws, 0)
            # indicator numbers (3, 11.1, 3、9) and keys are names, written as text on purpose: no green corners
            sheet.ws.ignore_errors({"number_stored_as_text": f"A1:{xl_col_to_name(len(sheet.columns) - 1)}"
                                                             f"{max(sheet.row, 1)}"})
        wb.close()
    return target


NUMBER_KINDS = ("data", "national", "judged")  # answers that are figures; lists and 是/否 are text


class _Figures:
    """Writes exact figures as numbers: a rate in a percent format with as many decimals as it has (93.5%,
    12.345%), so what the cell shows is what the unit typed."""

    def __init__(self, wb):
        self.wb, self.formats = wb, {}
        self.general = wb.add_format({"valign": "top"})

    def cell(self, value: Fraction, percent: bool) -> tuple[float, object]:
        """The number to write and its format."""
        fmt = self.general
        if percent:
            shown = fmt_exact_percent(value)  # '1/3%' when no decimal is exact: show 6 places
            places = 6 if "/" in shown else min(len(shown.rstrip("%").partition(".")[2]), 10)
            if places not in self.formats:
                code = "0." + "0" * places + "%" if places else "0%"
                self.formats[places] = self.wb.add_format({"valign": "top", "num_format": code})
            fmt = self.formats[places]
        return float(value), fmt


def _answer_order(scheme):
    order = {ind.number: i for i, ind in enumerate(scheme.indicators)}

    def key(c):
        first = (c.indicator or "").split(layout.LIST_SEPARATOR)[0]
        return (c.kind == "national", order.get(first, len(order)), c.key, c.year or 0, not c.used, c.unit)

    return key
