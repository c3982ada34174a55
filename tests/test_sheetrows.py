"""Rows written as XML by zonekit.sheetrows read back exactly as the same cells written by xlsxwriter: text stays
text whatever it holds (markup, control characters, _xHHHH_ look-alikes, leading spaces, text past Excel's limit),
counts are numbers, formats and row heights are kept, and the header xlsxwriter wrote stays above them."""

from __future__ import annotations

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from zonekit.sheetrows import RowSheet

OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
ROWS = [
    ["2-回收/县商务局.xlsx", "县商务局", "采用", "", 2, 0],
    ["<b>&amp; \"引号\"</b>", "=SUM(A1:A2)", "http://example.cn", "12.5%", 0, 3],
    ["  前后空格  ", "控制\x01字符\x1f", "_x0041_ 不是 A", "换行\n第二行", 10**12, 1.5],
    ["\ufffe\uffff", "", None, "尾部空格 ", -7, None],
    ["长" * 40000, "a", "b", "c", 1, 2],
]


def _write(path, rows_as_xml: bool, constant_memory: bool = False) -> None:
    wb = xlsxwriter.Workbook(str(path), {**OPTIONS, "constant_memory": constant_memory})
    ws = wb.add_worksheet("表", worksheet_class=RowSheet if rows_as_xml else None)
    head = wb.add_format({"bold": True})
    text = wb.add_format({"text_wrap": True, "valign": "top"})
    num = wb.add_format({"num_format": "0"})
    for c, header in enumerate(("文件", "单位", "状态", "原因", "错误", "警告")):
        ws.write_string(0, c, header, head)
    ws.set_row(0, 34)
    for r, cells in enumerate(ROWS, start=1):
        formats = [num if isinstance(v, (int, float)) else text for v in cells]
        height = 33 if r == 3 else None
        if rows_as_xml:
            ws.add_row(r, cells, [ws.style(f) for f in formats], height)
            continue
        for c, (value, fmt) in enumerate(zip(cells, formats)):
            if isinstance(value, str) and value:
                ws.write_string(r, c, value, fmt)
            elif value is not None and value != "":
                ws.write_number(r, c, value, fmt)
        if height:
            ws.set_row(r, height)
    ws.autofilter(0, 0, len(ROWS), 5)
    wb.close()


def _seen(path):
    ws = openpyxl.load_workbook(path)["表"]
    cells = [[(c.value, c.number_format, c.font.b, c.alignment.wrap_text) for c in row] for row in ws.iter_rows()]
    heights = {r: d.height for r, d in ws.row_dimensions.items() if d.height}
    return ws.dimensions, ws.auto_filter.ref, cells, heights


def test_rowsheet__hostile_text_and_numbers__read_back_as_xlsxwriter_writes_them(tmp_path):
    # xlsxwriter's streaming mode writes inline strings too: the same XML, cell by cell
    _write(tmp_path / "xlsxwriter.xlsx", rows_as_xml=False, constant_memory=True)
    _write(tmp_path / "rows.xlsx", rows_as_xml=True)
    assert _seen(tmp_path / "rows.xlsx") == _seen(tmp_path / "xlsxwriter.xlsx")
    grid = CalamineWorkbook.from_path(str(tmp_path / "rows.xlsx")).get_sheet_by_name("表").to_python()
    assert grid[0][0] == "文件" and grid[1][0] == "2-回收/县商务局.xlsx" and grid[1][4] == 2
    assert grid[2][0] == '<b>&amp; "引号"</b>' and grid[2][1] == "=SUM(A1:A2)" and grid[2][3] == "12.5%"
    assert grid[3][0] == "  前后空格  " and grid[3][2] == "_x0041_ 不是 A" and grid[3][3] == "换行\n第二行"
    assert grid[3][4] == 10**12 and grid[3][5] == 1.5 and grid[5][0] == "长" * 32767


def test_rowsheet__row_above_the_last__refused(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), OPTIONS)
    ws = wb.add_worksheet("表", worksheet_class=RowSheet)
    ws.write_string(0, 0, "文件")
    with pytest.raises(ValueError):
        ws.add_row(0, ["重叠"], [""])
    ws.add_row(2, ["第三行"], [""])
    with pytest.raises(ValueError):
        ws.add_row(1, ["第二行"], [""])
    wb.close()


def test_rowsheet__constant_memory_workbook__refused(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), {**OPTIONS, "constant_memory": True})
    ws = wb.add_worksheet("表", worksheet_class=RowSheet)
    with pytest.raises(ValueError):
        ws.add_row(1, ["行"], [""])
    wb.close()


@pytest.mark.parametrize("formula", [
    "=SUM(A1:A9)", '=IF(COUNTIF(B2:B9,"未达标")=0,"合格","不合格")', "=SUMIFS(C:C,A:A,\"促进发展\")", "A1+1",
    "=XLOOKUP(A1,B:B,C:C)", "=SORT(A1:A9)", "=_xlfn.CONCAT(A1,B1)", "{=SUM(A1:A9*B1:B9)}", '="{大括号}"&A1',
    "=ISINGLE(A1)", "=FILTER(A:A,B:B>0)"])
def test_rowsheet__formula__prepared_as_xlsxwriter_prepares_it(tmp_path, formula):
    from xlsxwriter.worksheet import Worksheet

    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), OPTIONS)
    ours, theirs = wb.add_worksheet("a", worksheet_class=RowSheet), wb.add_worksheet("b")
    assert ours._prepare_formula(formula) == Worksheet._prepare_formula(theirs, formula)
    wb.close()
