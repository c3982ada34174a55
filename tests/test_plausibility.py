"""Plausibility of percent data (issue 12, item 7): every rate carries a plausible range in the scheme data; a
value outside is refused with what it was read as and the likely intended value; the workbook stops it while
typing; every message about a value shows its reading."""

from __future__ import annotations

import io
from fractions import Fraction as F

import openpyxl
import pytest

from tests.conftest import make_project
from tests.returns_corpus import Text, blank, fill
from zonekit import layout, values
from zonekit.intake import read_return
from zonekit.scheme import load_scheme, parse_scheme

DATA, VALUE = layout.SHEET_DATA, layout.DATA_VALUE.header
COMMERCE, MARKET = "县商务局", "县市场监管局"  # 商务局 leads indicator 1 (growth rates); 监管局 shares


@pytest.mark.parametrize("name", ["2022", "2025"])
def test_scheme__every_percent_item__has_a_plausible_range(name):
    scheme = load_scheme(name)
    rates = [d for d in scheme.data_items.values() if d.is_rate]
    assert rates and all(d.range is not None for d in rates)
    growth = [d for d in rates if "增速" in d.label]
    assert growth and all(d.range == (F(-1), F(3)) for d in growth)
    assert all(d.range == (F(0), F(1)) for d in rates if d not in growth)


@pytest.mark.parametrize("bad, says", [
    (["0", "100%"], "带 % 的百分数"), (["100%", "0%"], "下限应小于上限"), ("0%-100%", "两个数的列表"),
    (["0%", "很多%"], "不是数字")])
def test_scheme__bad_range__error_names_the_item_and_the_fix(bad, says):
    doc = {"name": "t", "qualification": {"total_min": 85, "level_rate_min": "75%"},
           "levels": [{"name": "促进发展", "points": 0}], "indicators": [],
           "data_items": {"x_rate": {"label": "某比率", "unit": "%", "range": bad}}}
    _, report = parse_scheme(doc, "t.yaml")
    found = [i for i in report.issues if i.code == "S013"]
    assert found and says in found[0].message and "x_rate" in found[0].message


def value_issue(project, unit, key, typed, code):
    data = fill(blank(project, unit), {(DATA, key, VALUE): typed})
    record = read_return(data, "a.xlsx", project)
    return next(i for i in record.issues if i.code == code), record


def test_read_return__growth_cell_holding_12_5__read_as_1250_and_12_5_suggested(tmp_path):
    project = make_project(tmp_path)
    found, record = value_issue(project, COMMERCE, "online_retail_growth@2024", 12.5, "R118")
    assert "「12.5」读作 1250%" in found.message and "是否应为 12.5%？" in found.message
    assert "-100%–300%" in found.message
    assert next(a for a in record.answers if a.key == "online_retail_growth@2024").value is None


def test_read_return__growth_cell_holding_2_5__taken_as_250_percent_with_a_warning_asking_for_2_5(tmp_path):
    project = make_project(tmp_path)  # within −100%…300%, but Calc keeps 2.5 typed into the 0.0% cell as 250%
    found, record = value_issue(project, COMMERCE, "online_retail_growth@2024", 2.5, "R110")
    assert found.severity == "警告" and not record.refused
    assert "「2.5」读作 250%" in found.message and "若本意是 2.5%，请改填「2.5%」" in found.message
    assert next(a for a in record.answers if a.key == "online_retail_growth@2024").value == F(5, 2)


def test_read_return__share_over_100_or_growth_below_minus_100__message_shows_the_reading(tmp_path):
    project = make_project(tmp_path)
    found, _ = value_issue(project, MARKET, "identity_claim_rate", Text("150%"), "R109")
    assert "「150%」读作 150%，超过100%" in found.message
    found, _ = value_issue(project, COMMERCE, "online_retail_growth@2024", Text("-120%"), "R112")
    assert "「-120%」读作 -120%，增速不能低于-100%" in found.message


def test_read_return__growth_typed_as_500_percent__outside_range_without_a_guess(tmp_path):
    project = make_project(tmp_path)
    found, _ = value_issue(project, COMMERCE, "online_retail_growth@2024", Text("500%"), "R119")
    assert "读作 500%" in found.message and "合理范围（-100%–300%）" in found.message


def test_parse_number__range_of_the_item__bounds_what_is_taken():
    growth = (F(-1), F(3))
    assert values.parse_number("300%", values.GROWTH, "%", False, growth).value == 3
    assert values.parse_number("-100%", values.GROWTH, "%", False, growth).value == -1
    assert values.parse_number(Text("300.1%"), values.GROWTH, "%", False, growth).notes[-1] == values.R_OUT_OF_RANGE
    narrow = (F(1, 2), F(1))  # a scheme may narrow a share: 50%–100%
    reading = values.parse_number(0.4, values.SHARE, "%", True, narrow)
    assert reading.value is None and reading.notes == [values.R_OUT_OF_RANGE]
    assert values.message_params(0.4, values.SHARE, "%", True, None, reading.notes, narrow) == {
        "read": "40%", "alt": "", "limits": "50%–100%"}


def test_unit_workbook__percent_cells__validation_range_from_the_scheme(tmp_path):
    project = make_project(tmp_path)
    ws = openpyxl.load_workbook(io.BytesIO(blank(project, COMMERCE)))[DATA]
    cell = next(r[6] for r in ws.iter_rows(min_row=layout.HEADER_ROW + 1) if r[0].value == "online_retail_growth@2024")
    rule = next(dv for dv in ws.data_validations.dataValidation if cell.coordinate in dv.sqref)
    assert (rule.type, rule.formula1, rule.formula2, rule.errorStyle or "stop") == ("decimal", "-1", "3", "stop")
    assert "-100%–300%" in rule.error and "-100%–300%" in rule.prompt
    check = next(r[8].value for r in ws.iter_rows(min_row=layout.HEADER_ROW + 1) if r[0].value == cell.offset(
        column=-6).value)
    assert f"{cell.coordinate}>3" in check and "增速应在-100%–300%之间" in check


@pytest.mark.office
def test_read_return__libreoffice_saved_percent_cell_holding_12_5__read_as_1250_with_the_question(tmp_path):
    from zonekit.office import convert

    project = make_project(tmp_path)
    book = openpyxl.load_workbook(io.BytesIO(blank(project, COMMERCE)))
    ws = book[DATA]
    cell = next(r[6] for r in ws.iter_rows(min_row=layout.HEADER_ROW + 1) if r[0].value == "online_retail_growth@2024")
    cell.value = 12.5  # what Calc stores for 12.5 typed into this 0.0% cell (it shows 1250.0%)
    (tmp_path / "in").mkdir()
    book.save(tmp_path / "in" / "商务.xlsx")
    saved = convert(tmp_path / "in" / "商务.xlsx", "xlsx", tmp_path / "out")
    record = read_return(saved, None, project)
    found = [i for i in record.issues if i.code == "R118"]
    assert [i.cell for i in found] == [cell.coordinate]
    assert "读作 1250%" in found[0].message and "是否应为 12.5%？" in found[0].message
