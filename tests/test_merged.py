"""合并结果.xlsx as a clerk opens it: figures are numbers (rates shown as the unit typed them), text is text, the
internal keys are out of sight, every sheet prints."""

from __future__ import annotations

from fractions import Fraction as F

import openpyxl
from openpyxl.utils import get_column_letter

from tests.test_collect import COMMERCE, MARKET, STATS, TODAY, new_project
from tests.returns_corpus import completed
from zonekit import layout
from zonekit.collect import collect
from zonekit.exact import to_fraction


def merged_rows(path):
    ws = openpyxl.load_workbook(path)[layout.SHEET_ANSWERS]
    head = [c.value for c in ws[1]]
    return ws, head, [dict(zip(head, row)) for row in ws.iter_rows(min_row=2)]


def collected(tmp_path):
    project = new_project(tmp_path)
    project.national[("national_online_retail_growth", 2023)] = F("0.1234")
    for unit in (COMMERCE, MARKET, STATS):
        (project.returned / f"{unit}.xlsx").write_bytes(completed(project, unit))
    return collect(project, today=TODAY)


def test_merged__figures__numbers_with_percent_format_for_rates(tmp_path):
    result = collected(tmp_path)
    ws, head, rows = merged_rows(result.merged)
    figures = [r for r in rows if r["类别"].value in ("数据", "全国数据", "自评分")]
    assert figures
    for r in figures:
        cell = r["填报值"]
        assert isinstance(cell.value, (int, float)), (r["键"].value, cell.value)
        if r["计量单位"].value == "%":
            assert cell.number_format.endswith("%")
    national = next(r for r in rows if r["键"].value == "national_online_retail_growth@2023")
    assert national["填报值"].value == 0.1234 and national["填报值"].number_format == "0.00%"
    assert all(isinstance(r["年度"].value, int) for r in rows if r["年度"].value not in (None, ""))


def test_merged__figures__equal_the_answers_scored(tmp_path):
    result = collected(tmp_path)
    _, _, rows = merged_rows(result.merged)
    for r in rows:
        if r["类别"].value == "数据" and r["状态"].value == layout.STATUS_ADOPTED:
            key, _, year = r["键"].value.partition("@")
            scored = result.answers.values[(key, int(year) if year else None)]
            assert to_fraction(r["填报值"].value) == scored


def test_merged__no_number_stored_as_text(tmp_path):
    result = collected(tmp_path)
    _, _, rows = merged_rows(result.merged)
    for r in rows:
        value = r["填报值"].value
        if isinstance(value, str) and r["类别"].value != "名单":
            try:
                to_fraction(value)
            except ValueError:
                continue
            raise AssertionError(f"{r['键'].value}: {value!r} is a number stored as text")


def test_merged__text_answers__stay_text(tmp_path):
    result = collected(tmp_path)
    _, _, rows = merged_rows(result.merged)
    claims = [r["填报值"].value for r in rows if r["类别"].value == "是否达到"]
    assert claims and set(claims) <= {layout.YES, layout.NO}


def test_merged__keys_hidden_and_every_sheet_prints(tmp_path):
    result = collected(tmp_path)
    wb = openpyxl.load_workbook(result.merged)
    ws = wb[layout.SHEET_ANSWERS]
    key = get_column_letter(layout.ANSWER_COLUMNS.index(layout.ANSWER_KEY) + 1)
    assert ws.column_dimensions[key].hidden
    for sheet in wb:
        assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$1:$1", sheet.title
