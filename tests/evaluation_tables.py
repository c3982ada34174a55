"""Evaluation tables laid out as published (Word and Excel), built from the shipped scheme files, whose
indicator names, criteria and methods are verbatim from the seeds: 2022 from seed 002 (level names as the
OCR reads them, e.g. 优化服备) with seed 000's clean second-level names; the 2025 draft from seed 004."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import docx
import openpyxl
import yaml
from docx.shared import Pt

from zonekit.exact import fmt_number
from zonekit.scheme import SCHEMES_DIR

OCR_2022 = {"优化服务": "优化服备"}  # seed 002 prints the third first-level indicator as 优化服备（20分）
HEADER_2022 = ("一级指标", "二级指标", "编号", "变量性质", "三级指标", "指标说明及打分标准", "评估方式及数据或资料来源")
HEADER_2025 = ("一级指标", "编号", "二级指标", "指标说明", "变量\n性质", "评估方式")


def shipped(name: str) -> dict:
    return yaml.safe_load((SCHEMES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def _pts(value) -> str:
    return fmt_number(Fraction(str(value)))


def qualification_sentence(doc: dict) -> str:
    q = doc["qualification"]
    return f"本评估指标体系合格标准为：总分≧{q['total_min']}分，且每个一级指标得分率≧{q['level_rate_min']}。"


def rows_2022(doc: dict) -> list[list[str]]:
    """One row per indicator in the columns of seed 002: 一级 | 二级 | 编号 | 变量性质 | 三级 | 说明 | 方式."""
    level = {lv["name"]: lv for lv in doc["levels"]}
    rows = []
    for ind in doc["indicators"]:
        l1 = level[ind["level1"]]
        l2 = next(c for c in l1["children"] if c["name"] == ind["level2"])
        rows.append([f"{OCR_2022.get(l1['name'], l1['name'])}（{_pts(l1['points'])}分）", f"{l2['name']}（{_pts(l2['points'])}分）",
                     str(ind["number"]), ind["nature"], f"{ind['name']}。（{_pts(ind['points'])}分）", ind["criteria"],
                     ind["method"]])
    return rows


def rows_2025(doc: dict) -> list[list[str]]:
    """One row per indicator in the columns of seed 004: 一级 | 编号 | 二级(the indicator) | 说明 | 性质 | 方式."""
    level = {lv["name"]: lv for lv in doc["levels"]}
    return [[f"{ind['level1']}\n（{_pts(level[ind['level1']]['points'])}分）", str(ind["number"]),
             f"{ind['name']}。（{_pts(ind['points'])}分）", ind["criteria"], ind["nature"], ind["method"]]
            for ind in doc["indicators"]]


def _runs(values: list[str]) -> list[tuple[int, int]]:
    """(first, last) index of each run of equal values: the vertically merged cells of a level column."""
    runs, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            runs.append((start, i - 1))
            start = i
    return runs


def _word_table(document, header: tuple[str, ...] | None, rows: list[list[str]], merge: tuple[int, ...],
                qualification: str | None):
    width = len(header or rows[0])
    top = 1 if header else 0
    table = document.add_table(rows=top + len(rows) + (1 if qualification else 0), cols=width)
    if header:
        for cell, text in zip(table.rows[0].cells, header):
            cell.text = text
    for r, values in enumerate(rows):
        cells = table.rows[top + r].cells
        for c, text in enumerate(values):
            if c in merge and r > 0 and rows[r - 1][c] == text:
                continue  # written once, in the first cell of the merged run
            cells[c].text = text
    for c in merge:
        for first, last in _runs([row[c] for row in rows]):
            if last > first:
                table.cell(top + first, c).merge(table.cell(top + last, c))
    if qualification:
        last = table.rows[-1].cells
        last[0].merge(last[-1]).text = qualification


def write_docx(path: Path, title: list[str], header: tuple[str, ...], rows: list[list[str]], merge: tuple[int, ...],
               qualification: str, qualification_in_table: bool, after: list[str] = (), split: int = 0) -> Path:
    """A Word table as the 市场监管总局 prints it: title paragraphs, one header row, level cells merged
    vertically, the qualification sentence either as a last merged row or as a paragraph after the table.
    With ``split`` the rows from that one on stand in a second table without a header (a section break)."""
    document = docx.Document()
    document.styles["Normal"].font.size = Pt(9)
    document.add_paragraph("附件1")
    for line in title:
        document.add_paragraph(line)
    parts = [rows[:split], rows[split:]] if split else [rows]
    for i, part in enumerate(parts):
        if i:
            document.add_paragraph("")
        last = i == len(parts) - 1
        _word_table(document, None if i else header, part, merge,
                    qualification if last and qualification_in_table else None)
    if not qualification_in_table:
        document.add_paragraph(qualification)
    for line in after:
        document.add_paragraph(line)
    document.save(str(path))
    return path


def write_xlsx(path: Path, title: str, header: list[list[str]], rows: list[list[str]], merge: tuple[int, ...],
               qualification: str, gap: int = 1, above: bool = False) -> Path:
    """An Excel sheet of the table: a merged title row, a header of one or two rows (cells that span both rows
    are merged), merged level cells, and the qualification sentence ``gap`` rows below the table (or, with
    ``above``, in a merged row under the title)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "评估指标体系"
    width = len(header[0])
    lines = [title] + ([qualification] if above else [])
    for r, text in enumerate(lines, 1):
        ws.cell(r, 1, text)
        ws.merge_cells(start_row=r, end_row=r, start_column=1, end_column=width)
    first = len(lines) + 1
    for r, values in enumerate(header, first):
        for c, text in enumerate(values, 1):
            if text:
                ws.cell(r, c, text)
    if len(header) == 2:
        for c in range(1, width + 1):
            if not header[1][c - 1]:
                ws.merge_cells(start_row=first, end_row=first + 1, start_column=c, end_column=c)
    top = first + len(header)
    for r, values in enumerate(rows):
        for c, text in enumerate(values, 1):
            ws.cell(top + r, c, int(text) if text.isdigit() else text)
    for c in merge:
        for start, last in _runs([row[c] for row in rows]):
            if last > start:
                ws.merge_cells(start_row=top + start, end_row=top + last, start_column=c + 1, end_column=c + 1)
    if not above:
        ws.cell(top + len(rows) + gap, 1, qualification)
    wb.save(path)
    return path


# ---------------------------------------------------------------- the four published layouts


def table_2022_docx(path: Path) -> Path:
    """Seed 002 as printed: one header row, 一级/二级 merged, the qualification sentence after the table."""
    doc = shipped("2022")
    return write_docx(path, ["全国网络市场监管与服务示范区创建评估指标体系"], HEADER_2022, rows_2022(doc), (0, 1),
                      qualification_sentence(doc), qualification_in_table=False)


def table_2022_xlsx(path: Path) -> Path:
    """Seed 002 in Excel with the two-row header the OCR shows (编/号, 变量/性质)."""
    doc = shipped("2022")
    header = [["一级指标", "二级指标", "编", "变量", "三级指标", "指标说明及打分标准", "评估方式及数据或资料来源"],
              ["", "", "号", "性质", "", "", ""]]
    return write_xlsx(path, "全国网络市场监管与服务示范区创建评估指标体系", header, rows_2022(doc), (0, 1),
                      qualification_sentence(doc))


def table_2025_docx(path: Path) -> Path:
    """Seed 004 as printed: 一级指标 | 编号 | 二级指标 | 指标说明 | 变量性质 | 评估方式, the qualification as the last row."""
    doc = shipped("2025")
    return write_docx(path, ["网络市场监管与服务示范区创建评估指标体系", "（征求意见稿）"], HEADER_2025, rows_2025(doc), (0,),
                      qualification_sentence(doc), qualification_in_table=True)


def table_2025_xlsx(path: Path) -> Path:
    """Seed 004 in Excel with other wording and order: 编号 | 一级指标 | 指标 | 评估方式 | 变量性质 | 指标说明及打分标准."""
    doc = shipped("2025")
    order = (1, 0, 2, 5, 4, 3)
    header = [["编号", "一级指标", "指标", "评估方式", "变量性质", "指标说明及打分标准"]]
    rows = [[row[i] for i in order] for row in rows_2025(doc)]
    return write_xlsx(path, "网络市场监管与服务示范区创建评估指标体系（征求意见稿）", header, rows, (1,),
                      qualification_sentence(doc), gap=2)
