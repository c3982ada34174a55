"""Refilled workbooks (issue 12, item 4): a unit's own workbook regenerated with its answers filled back in and
its problems marked, so that whatever it edits in it nothing is lost when it comes back."""

from __future__ import annotations

import io
from datetime import date
from fractions import Fraction as F

import openpyxl
import pytest

from tests.conftest import make_project
from tests.returns_corpus import Text, completed, fill, blank, when
from zonekit import layout
from zonekit.collect import collect
from zonekit.intake import read_return
from zonekit.refill import adopted_returns, cell_keys, prefill_of, refill, refill_return
from zonekit.unitbook import Mark, build_unit_workbook

IND, DATA = layout.SHEET_INDICATORS, layout.SHEET_DATA
CLAIM, SELF, PROGRESS = layout.IND_CLAIM.header, layout.IND_SELF.header, layout.IND_PROGRESS.header
EVIDENCE, PROBLEMS, VALUE = layout.IND_EVIDENCE.header, layout.IND_PROBLEMS.header, layout.DATA_VALUE.header
NAME, SOURCE = layout.DATA_NAME.header, layout.DATA_SOURCE.header
MARKET, COMMERCE, TAX = "县市场监管局", "县商务局", "县税务局"
TODAY = date(2024, 6, 25)

# what 县市场监管局's clerk typed beyond a plain valid fill: texts on item rows, rates with many digits,
# a rate typed as text, a third list entry, a note on a data row, a refused value
EXTRA = {
    (IND, "11.3", PROBLEMS): "平台账号尚未全部开通",
    (IND, "12.2", EVIDENCE): "信用修复台账（第2页）",
    (IND, "16", PROGRESS): "=已印发执法办案流程",  # text that starts with "=": stays text
    (DATA, "identity_claim_rate", VALUE): 0.98765432109876,  # 98.765432109876% in a percent cell
    (DATA, "platform_users", SOURCE): "监管平台后台导出，2024-06-10",
    (DATA, "regulatory_staff", VALUE): Text("82"),  # a number typed as text: read as 82, noted
}


def same(record):
    """What a return says, as compared across versions: every answer, every row's texts, the progress."""
    answers = sorted((a.kind, a.key, a.value, a.name, a.note) for a in record.answers)
    progress = sorted((e.indicator, e.progress, e.evidence, e.files, e.problems, e.contact) for e in record.progress)
    return answers, record.texts, progress


@pytest.fixture
def collected(tmp_path):
    """县市场监管局 and 县商务局 returned (the latter with a list of three companies); 县税务局 typed text in a
    number cell and is 退回."""
    project = make_project(tmp_path)
    project.returned.mkdir(parents=True)
    (project.returned / "监管.xlsx").write_bytes(completed(project, MARKET, extra=EXTRA))
    (project.returned / "商务.xlsx").write_bytes(completed(project, COMMERCE, extra={
        (DATA, "new_large_traders#3", NAME): "乙电商有限公司", (DATA, "new_large_traders#3", VALUE): 20000.5}))
    (project.returned / "税务.xlsx").write_bytes(completed(project, TAX, extra={
        (DATA, "ecommerce_tax", VALUE): "约1.86亿"}))
    return project, collect(project, today=TODAY, write=False)


def test_refill__generated_filled_collected__reads_back_to_the_same_answers(collected):
    project, result = collected
    for unit, record in adopted_returns(result).items():
        made = refill_return(project, record)
        back = read_return(made.data, made.name, project)
        assert (back.unit, back.refused) == (unit, False)
        assert same(back) == same(record), unit
    market = adopted_returns(result)[MARKET]
    rate = next(a for a in market.answers if a.key == "identity_claim_rate")
    assert rate.value == F("0.98765432109876")
    commerce = read_return(refill_return(project, adopted_returns(result)[COMMERCE]).data, "x.xlsx", project)
    assert [(a.name, a.value) for a in commerce.answers if a.kind == "list"] == [
        ("甲1电商有限公司", 12500), ("甲2电商有限公司", 13000), ("乙电商有限公司", F("20000.5"))]


def test_refill__refused_value__typed_back_coloured_and_commented(collected):
    project, result = collected
    made = refill_return(project, adopted_returns(result)[TAX])
    ws = openpyxl.load_workbook(io.BytesIO(made.data))[DATA]
    cell = next(r[6] for r in ws.iter_rows(min_row=layout.HEADER_ROW + 1) if r[0].value == "ecommerce_tax")
    assert cell.value == "约1.86亿"  # what the unit typed, beside the message about it
    assert cell.fill.fgColor.rgb.endswith(layout.PROBLEM_FILL.lstrip("#"))
    assert cell.comment.text.startswith("【须修改】「约1.86亿」") and "万元" in cell.comment.text
    assert [(i.code, i.sheet, i.cell) for i in made.problems] == [("R106", DATA, cell.coordinate)]
    guide = openpyxl.load_workbook(io.BytesIO(made.data))[layout.SHEET_GUIDE]
    note = next(r[1] for r in guide.iter_rows(values_only=True) if r[0] == layout.GUIDE_REFILL)
    assert "续填版" in note and f"标为{layout.PROBLEM_COLOUR}" in note


def test_refill__unit_fixes_the_marked_cell__every_other_answer_kept(collected):
    project, result = collected
    before = adopted_returns(result)[TAX]
    made = refill_return(project, before)
    fixed = fill(made.data, {(DATA, "ecommerce_tax", VALUE): 18600}, saved=when(26))
    (project.returned / made.name).write_bytes(fixed)
    after = collect(project, today=TODAY, write=False)
    status = next(s for s in after.units if s.unit == TAX)
    assert status.state == layout.STATE_REPORTED and status.last_file.endswith(made.name)
    assert after.answers.values[("ecommerce_tax", None)] == 18600
    again = adopted_returns(after)[TAX]
    assert [t for t in same(again)[0] if t[1] != "ecommerce_tax"] == [t for t in same(before)[0]
                                                                      if t[1] != "ecommerce_tax"]


def test_refill__same_return_twice__same_bytes_so_a_sent_mail_is_recognised(collected):
    project, result = collected
    record = adopted_returns(result)[TAX]
    assert refill_return(project, record).sha256 == refill_return(project, record).sha256


def test_refill__return_refused_for_its_identity__message_listed_in_the_guide(tmp_path):
    project = make_project(tmp_path)
    earlier = read_return(completed(project, TAX, identity={layout.ID_TEMPLATE: "0"}), "a.xlsx", project)
    assert earlier.refused and "R014" in [i.code for i in earlier.issues]
    made = refill(project, TAX, {}, earlier=earlier.issues)
    assert [i.code for i in made.notes] == ["R014"]
    guide = openpyxl.load_workbook(io.BytesIO(made.data))[layout.SHEET_GUIDE]
    note = next(r[1] for r in guide.iter_rows(values_only=True) if r[0] == layout.GUIDE_REFILL)
    assert "模板版本" in note


def test_build_unit_workbook__mark_on_no_cell_of_the_workbook__listed_not_lost(tmp_path):
    project = make_project(tmp_path)
    data, _ = build_unit_workbook(project, TAX, prefill={}, problems=[Mark("99", PROGRESS, "找不到的行")])
    guide = openpyxl.load_workbook(io.BytesIO(data))[layout.SHEET_GUIDE]
    note = next(r[1] for r in guide.iter_rows(values_only=True) if r[0] == layout.GUIDE_REFILL)
    assert "【须修改】找不到的行" in note


def test_prefill_of__untouched_workbook__nothing_to_write_back(tmp_path):
    project = make_project(tmp_path)
    record = read_return(blank(project, MARKET), "a.xlsx", project)
    assert prefill_of(record.answers, record.texts) == {}


def test_cell_keys__return_as_generated__each_answer_cell_names_its_row_and_column(collected):
    project, result = collected
    record = adopted_returns(result)[MARKET]  # filled in place: the generated layout
    keys = cell_keys(project, MARKET)
    column = {"claim": CLAIM, "judged": SELF, "data": VALUE, "list": VALUE}
    assert record.answers and all(keys[(a.sheet, a.cell)] == (a.key, column[a.kind]) for a in record.answers)


@pytest.mark.office
def test_refill__resaved_by_libreoffice__reads_back_to_the_same_answers(collected, tmp_path):
    from zonekit.office import convert

    project, result = collected
    record = adopted_returns(result)[MARKET]
    made = refill_return(project, record)
    source = tmp_path / "in" / made.name
    source.parent.mkdir()
    source.write_bytes(made.data)
    back = read_return(convert(source, "xlsx", tmp_path / "out"), None, project)
    assert same(back) == same(record)
