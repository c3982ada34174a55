"""评分汇总表 as it prints: 总览 on one A4 page with the verdict on top in large type, 指标得分 landscape and
readable, every sheet set up for printing, the scheme's own level names, no English a reader would see."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from openpyxl.utils import get_column_letter

from zonekit import layout, office
from tests.test_summary import answers_96, qualifying_answers, summarize
from tests.scheme_answers import best_2025


def book(path: Path):
    return openpyxl.load_workbook(path)


@pytest.fixture()
def failing(tmp_path, make_project, s2022):
    path = tmp_path / layout.SUMMARY
    summarize(path, make_project(tmp_path), answers_96(s2022))
    return path


def verdict_cell(ws):
    return next(c for row in ws.iter_rows(max_row=10) for c in row if c.value in ("合格", "不合格")
                or (isinstance(c.value, str) and "不合格" in c.value and c.value.startswith("=IF(COUNTIF")))


# ---------------------------------------------------------------- layout facts from the written workbook


def test_overview__verdict__fourth_row_in_26pt_bold_with_its_colour(failing):
    ws = book(failing)[layout.SHEET_OVERVIEW]
    cell = verdict_cell(ws)
    assert (cell.row, cell.column_letter) == (4, "B")
    assert cell.font.sz == 26 and cell.font.b
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")  # red for 不合格
    assert "B4:C4" in {str(r) for r in ws.merged_cells.ranges}
    values = openpyxl.load_workbook(failing, data_only=True)[layout.SHEET_OVERVIEW]
    assert values["B4"].value == "不合格"
    assert values["D4"].value == "总分96分（合格线85分）"
    assert values["A1"].value.startswith("新绛县") and "第1轮" in values["A2"].value


def test_overview__qualifying_region__green_verdict_and_the_reason_it_passes(tmp_path, make_project, s2022):
    path = tmp_path / layout.SUMMARY
    summarize(path, make_project(tmp_path), qualifying_answers(s2022))
    ws = book(path)[layout.SHEET_OVERVIEW]
    assert ws["B4"].fill.fgColor.rgb.endswith("C6EFCE")
    values = openpyxl.load_workbook(path, data_only=True)[layout.SHEET_OVERVIEW]
    assert values["B4"].value == "合格"
    assert values["B5"].value == "总分98.5分，不低于合格线85分，且各一级指标得分率均不低于75%"
    assert values["B6"].value == "当前已合格，无需补分。"


def test_overview__reasons_and_recovery__wrapped_in_rows_as_high_as_their_text(failing):
    ws = book(failing)[layout.SHEET_OVERVIEW]
    assert ws["A5"].value == "原因" and ws["A6"].value == "最少补分"
    for cell in ("B5", "B6"):
        assert ws[cell].alignment.wrap_text
        assert f"{cell}:G{cell[1:]}" in {str(r) for r in ws.merged_cells.ranges}
    values = openpyxl.load_workbook(failing, data_only=True)[layout.SHEET_OVERVIEW]
    for row in (5, 6):
        text = values.cell(row=row, column=2).value
        lines = sum(max(1, -(-sum(2 if ord(ch) > 0x2E7F else 1 for ch in part) // 65)) for part in text.split("\n"))
        assert ws.row_dimensions[row].height >= 17 * lines


def test_overview__print_setup__one_portrait_a4_page_with_a_print_area(failing):
    ws = book(failing)[layout.SHEET_OVERVIEW]
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight or 1) == (1, 1)  # absent means 1
    assert re.fullmatch(r"'?总览'?!\$A\$1:\$G\$\d+", ws.print_area)
    assert ws.column_dimensions["I"].hidden  # the reasons' working column stays off the page


def test_summary__every_sheet__a4_fitted_to_width_and_tables_repeat_their_header(failing):
    wb = book(failing)
    for ws in wb:
        assert ws.page_setup.paperSize == 9, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and (ws.page_setup.fitToWidth or 1) == 1, ws.title
        assert ws.oddFooter.center.text, ws.title
    scores = wb[layout.SHEET_SCORES]
    assert scores.page_setup.orientation == "landscape" and scores.print_title_rows == "$1:$1"
    assert wb[layout.SHEET_GAPS].print_title_rows == "$3:$3"


def test_summary__2025_draft__indicators_headed_二级指标_and_no_empty_second_level(tmp_path, make_project, s2025):
    path = tmp_path / layout.SUMMARY
    project = make_project(tmp_path, scheme="2025", years=[2023, 2024, 2025])
    summarize(path, project, best_2025(s2025))
    wb = book(path)
    head = [c.value for c in wb[layout.SHEET_SCORES][1]]
    assert head[:3] == ["一级指标", "编号", "二级指标"] and head.count("二级指标") == 1
    assert "三级指标" not in [c.value for c in wb[layout.SHEET_GAPS][3]]
    overview = [c.value for row in wb[layout.SHEET_OVERVIEW].iter_rows() for c in row]
    assert "二级指标" not in overview
    values = openpyxl.load_workbook(path, data_only=True)[layout.SHEET_OVERVIEW]
    assert "总分99分（合格线85分）" == values["D4"].value


def test_summary__2022__indicators_headed_三级指标_beside_their_second_level(failing):
    head = [c.value for c in book(failing)[layout.SHEET_SCORES][1]]
    assert head[:4] == ["一级指标", "二级指标", "编号", "三级指标"]


ALLOWED_LATIN = {"ODR", "xlsx", "xls", "zip", "eml", "zonekit"}  # an official acronym, file types, the command


def test_summary__visible_text__no_english(failing):
    wb = book(failing)
    for ws in wb:
        hidden = {letter for letter, dim in ws.column_dimensions.items() if dim.hidden}
        for row in ws.iter_rows():
            for cell in row:
                if get_column_letter(cell.column) in hidden or not isinstance(cell.value, str) or cell.value.startswith("="):
                    continue
                words = set(re.findall(r"[A-Za-z_]{2,}", cell.value)) - ALLOWED_LATIN
                assert not words, (ws.title, cell.coordinate, cell.value)


# ---------------------------------------------------------------- as LibreOffice prints it


def _calibration(path: Path) -> Path:
    """One line of 10-pt text at 100 %, to read how tall 10 pt prints in this font."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("尺")
    ws.write_string(0, 0, "一级指标计分过程", wb.add_format({"font_name": "宋体", "font_size": 10}))
    wb.close()
    return path


def _words(pdf: Path, page: int) -> list[tuple[str, float, float]]:
    """(word, top, height) of every word on ``page`` (1-based), in points."""
    out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    return [(w, float(y0), float(y1) - float(y0))
            for y0, y1, w in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', out)]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    from tests.conftest import make_project
    from zonekit.scheme import load_scheme

    tmp = tmp_path_factory.mktemp("printed")
    path = tmp / layout.SUMMARY
    summarize(path, make_project(tmp), answers_96(load_scheme("2022")))
    pdf, ruler = office.convert_many([path, _calibration(tmp / "ruler.xlsx")], "pdf", tmp / "pdf")
    return pdf, _words(ruler, 1)[0][2]


@pytest.mark.office
def test_overview__printed__one_page_verdict_on_top_in_large_type(printed):
    pdf, ten_pt = printed
    first = _words(pdf, 1)
    texts = [w for w, _, _ in first]
    assert "不合格" in texts and "回收情况" in texts and "工作基础保障" in texts  # the page ends 总览
    assert _words(pdf, 2)[0][0] == "新绛县各轮自评得分趋势"  # 趋势 on one page of its own
    assert _words(pdf, 3)[0][0].startswith("一级")  # 指标得分 starts on page 3 with its header
    _, top, height = next(w for w in first if w[0] == "不合格")
    page_height = 842
    assert top < page_height * 0.2
    assert height > 2.2 * ten_pt


@pytest.mark.office
def test_scores_sheet__printed__text_at_least_8pt(printed):
    pdf, ten_pt = printed
    heights = sorted(h for w, _, h in _words(pdf, 3) if re.search(r"[\u4e00-\u9fff]", w))
    median = heights[len(heights) // 2]
    assert 10 * median / ten_pt >= 8
