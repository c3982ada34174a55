"""Forms a clerk understands (issue 13, item 2) and the correction round they make possible (issue 12, item 4):
asserted on the workbooks and mail zonekit sends in the demo, as a clerk opens them."""

from __future__ import annotations

import io
import json
import re
import shutil
from email import policy
from email.parser import BytesParser

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import make_project
from zonekit import layout
from zonekit.cli import main
from zonekit.scheme import load_scheme
from zonekit.unitbook import build_unit_workbook, scheme_line
from zonekit.workbench import DEFAULT_MAIL, FORMER_MAIL_BODIES, create_project, read_project

# what must never meet a clerk's eye: a data key (online_retail_growth@2024, new_large_traders#1, online_traders),
# the tool's name as an actor ("zonekit按缺数据处理")
KEY_LIKE = re.compile(r"[a-z][a-z0-9]*_[a-z0-9_]+|[a-z][a-z0-9_]*[@#]\d+|zonekit", re.I)
TAX = "县税务局"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("forms") / "示范县"
    result = CliRunner().invoke(main, ["demo", str(root)])
    assert result.exit_code == 0, result.output
    return root


def new_workbench(tmp_path, scheme: str = "2022"):
    """A project folder as `zonekit init` leaves it."""
    create_project(tmp_path / "p", scheme, "新绛县", "山西省", [2023, 2024])
    return tmp_path / "p"


def visible_cells(book):
    """(sheet, cell, text) of every non-empty cell a clerk sees: visible sheets, rows and columns only."""
    for ws in book.worksheets:
        if ws.sheet_state != "visible":
            continue
        hidden = {letter for letter, dim in ws.column_dimensions.items() if dim.hidden}
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None or cell.column_letter in hidden or ws.row_dimensions[cell.row].hidden:
                    continue
                yield ws.title, cell.coordinate, str(cell.value)


def sent_books(root):
    """Every workbook the demo sends: the unit workbooks and 清单 of 1-下发, the refilled ones of 单位反馈."""
    return sorted((root / layout.OUTGOING_DIR).glob("*.xlsx")) + \
        sorted((root / layout.OUTPUT_DIR / layout.FEEDBACK_DIR).glob("*（续填）.xlsx"))


def test_demo_sent_workbooks__every_visible_cell__no_internal_key_or_tool_word(demo):
    books = sent_books(demo)
    assert len(books) == 23 + 1 + 20
    seen = [(path.name, sheet, cell, text) for path in books for sheet, cell, text in
            visible_cells(openpyxl.load_workbook(path)) if KEY_LIKE.search(text)]
    assert seen == []
    # the keys are there for the reader, in the hidden first column
    ws = openpyxl.load_workbook(demo / layout.OUTGOING_DIR / "16-县统计局-填报表.xlsx")[layout.SHEET_DATA]
    assert ws.column_dimensions["A"].hidden and ws["A4"].value == "online_retail_growth@2024"


def test_unit_workbook__key_column_hidden__sub_items_numbered_where_a_clerk_looks(tmp_path):
    project = make_project(tmp_path)
    data, _ = build_unit_workbook(project, "县市场监管局")
    ws = openpyxl.load_workbook(io.BytesIO(data))[layout.SHEET_INDICATORS]
    assert ws.column_dimensions["A"].hidden and ws["A3"].value == layout.IND_KEY.header
    numbers = [ws.cell(r, 2).value for r in range(layout.HEADER_ROW + 1, ws.max_row + 1)]
    assert numbers == ["3", "9", "11", "11.3", "12", "12.1", "12.2", "12.3", "16", "25"]
    assert ws["B1"].value == "指标填报（县市场监管局）" and "键" not in ws["B2"].value


def test_unit_workbook__responsible_rows__progress_optional_lead_rows_required(tmp_path):
    from zonekit.intake import read_return

    project = make_project(tmp_path)
    data, _ = build_unit_workbook(project, "县商务局")  # leads 1 4 10, responsible for 12 25
    record = read_return(data, "a.xlsx", project)
    progress = [m for m in record.missing if m.endswith(layout.IND_PROGRESS.header)]
    assert progress == ["指标1 工作进展", "指标4 工作进展", "指标10 工作进展"]
    ws = openpyxl.load_workbook(io.BytesIO(data))[layout.SHEET_INDICATORS]
    check = {ws.cell(r, 2).value: ws.cell(r, 14).value for r in range(layout.HEADER_ROW + 1, ws.max_row + 1)}
    assert "请填写工作进展" in check["1"] and "请填写工作进展" not in check["12"]
    assert f'"{layout.CHECK_OPTIONAL}"' in check["12"]  # 选填 until it writes something
    guide = {r[0]: r[1] for r in openpyxl.load_workbook(io.BytesIO(data))[layout.SHEET_GUIDE].iter_rows(
        values_only=True) if r[0]}
    assert "牵头指标必须填写“工作进展”" in guide["填写内容"] and "选填" in guide["填写内容"]


@pytest.mark.parametrize("scheme, line", [
    ("2022", "全国网络市场监管与服务示范区创建评估指标体系（2022试行）"),
    ("2025", "网络市场监管与服务示范区创建评估指标体系（2025年征求意见稿）"),
])
def test_guide__scheme_version_once_no_empty_placeholder_one_colour_name(tmp_path, scheme, line):
    project = make_project(tmp_path, scheme, email="", phases=[])
    data, _ = build_unit_workbook(project, "县市场监管局")
    guide = {r[0]: r[1] for r in openpyxl.load_workbook(io.BytesIO(data))[layout.SHEET_GUIDE].iter_rows(
        values_only=True) if r[0]}
    assert guide["指标体系"] == line == scheme_line(load_scheme(scheme))
    assert "（创建办邮箱）" not in guide["报送方式"] and "回复创建办邮件，不要改动" in guide["报送方式"]
    assert "阶段安排" not in guide  # phases without dates or notes say nothing
    assert f"只在{layout.INPUT_COLOUR}单元格中填写" in guide["填写方法"]
    assert layout.INPUT_COLOUR in DEFAULT_MAIL["下发"][1] and "白色" not in DEFAULT_MAIL["下发"][1]


def test_workbench_mail__body_an_older_version_wrote__read_as_todays_wording(tmp_path):
    root = new_workbench(tmp_path)
    wb = openpyxl.load_workbook(root / layout.PROJECT_WORKBOOK)
    ws = wb[layout.SHEET_MAIL]
    for row in ws.iter_rows(min_row=2):
        if row[0].value in FORMER_MAIL_BODIES:
            row[2].value = FORMER_MAIL_BODIES[row[0].value][0]
    wb.save(root / layout.PROJECT_WORKBOOK)
    project, _ = read_project(root)
    assert project.mail_templates["下发"][1] == DEFAULT_MAIL["下发"][1]
    assert "{附件说明}" in project.mail_templates["退回"][1]


def test_workbench_targets__chosen_by_indicator_and_data_item_label__read_as_its_key(tmp_path):
    root = new_workbench(tmp_path)
    wb = openpyxl.load_workbook(root / layout.PROJECT_WORKBOOK)
    ws = wb[layout.SHEET_TARGETS]
    assert [c.value for c in ws[1]][:4] == ["编号", "三级指标", "数据项", "年度"]
    labels = [dv for dv in ws.data_validations.dataValidation if "C2" in dv.sqref]
    assert labels and labels[0].type == "list"
    for r, row in enumerate([(3, "", "网络交易经营者数量", None, "≥", 2500),
                             (1, "", "网上零售额", 2023, "≥", 160000),
                             (9, "", "online_traders", None, "≥", 3000),  # older sheets: the key
                             (4, "", "不存在的数据项", None, "≥", 1)], start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(r, c, value)
    wb.save(root / layout.PROJECT_WORKBOOK)
    project, report = read_project(root)
    assert [(t.number, t.data_key) for t in project.targets] == [
        ("3", "online_traders"), ("1", "online_retail@2023"), ("9", "online_traders")]
    assert [(i.code, i.cell) for i in report.issues if i.code == "P060"] == [("P060", "C5")]


def test_workbench_targets__2025_draft__name_column_says_its_indicator_level(tmp_path):
    root = new_workbench(tmp_path, "2025")
    ws = openpyxl.load_workbook(root / layout.PROJECT_WORKBOOK)[layout.SHEET_TARGETS]
    assert ws["B1"].value == "二级指标"


def test_feedback__closing_instruction__across_both_columns_and_wrapped(demo):
    ws = openpyxl.load_workbook(demo / layout.OUTPUT_DIR / layout.FEEDBACK_DIR / f"{TAX}-评分反馈.xlsx")[
        layout.SHEET_FEEDBACK_INFO]
    merged = [str(m) for m in ws.merged_cells.ranges]
    closing = next(c for c in ws["A"] if c.value and str(c.value).startswith("请在下一轮填报中"))
    assert f"A{closing.row}:B{closing.row}" in merged and closing.alignment.wrap_text
    rows = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0]}
    assert rows["续填表"].startswith("17-县税务局-填报表（续填）.xlsx")


def test_correction_round__refused_reminded_one_cell_fixed__unit_reported_and_score_moves(demo, tmp_path):
    root = tmp_path / "示范县"
    shutil.copytree(demo, root)
    wb = openpyxl.load_workbook(root / layout.PROJECT_WORKBOOK)  # the office fills in its mailbox
    for row in wb[layout.SHEET_INFO].iter_rows(min_row=2):
        if row[0].value == layout.INFO_EMAIL:
            row[1].value = "cjb@example.cn"
    wb.save(root / layout.PROJECT_WORKBOOK)
    runner = CliRunner()
    before = json.loads(runner.invoke(main, ["score", str(root), "--json"]).output)

    result = runner.invoke(main, ["remind", str(root), "--drafts"])
    assert result.exit_code == 0, result.output
    draft = root / layout.OUTGOING_DIR / layout.DRAFTS_DIR / f"退回-{TAX}.eml"
    message = BytesParser(policy=policy.default).parsebytes(draft.read_bytes())
    part = next(message.iter_attachments())
    assert part.get_filename() == "17-县税务局-填报表（续填）.xlsx"
    body = message.get_body(("plain",)).get_content()
    assert "数据填报!G4「约1.86亿」" in body and "续填版" in body
    book = openpyxl.load_workbook(io.BytesIO(part.get_content()))
    shown = [t for _, _, t in visible_cells(book)]
    assert "部门业务台账" in shown and "352000" in shown  # its other answers travel with it
    assert book[layout.SHEET_DATA]["G4"].comment is not None

    book[layout.SHEET_DATA]["G4"] = 18600  # the unit fixes the one marked cell and sends the file back
    book.save(root / layout.RETURNED_DIR / part.get_filename())
    result = runner.invoke(main, ["collect", str(root)])
    assert result.exit_code == 0, result.output
    status = {row[0]: row[1] for row in openpyxl.load_workbook(
        root / layout.OUTPUT_DIR / layout.INTAKE_LOG)[layout.SHEET_INTAKE_UNITS].iter_rows(values_only=True)}
    assert status[TAX] == layout.STATE_REPORTED
    after = json.loads(runner.invoke(main, ["score", str(root), "--json"]).output)
    assert after["total"] > before["total"]


def test_manifest__print__a4_landscape_one_page_wide_hash_last(demo):
    ws = openpyxl.load_workbook(demo / layout.OUTGOING_DIR / layout.MANIFEST)[layout.SHEET_MANIFEST]
    assert (ws.page_setup.paperSize, ws.page_setup.orientation) == (9, "landscape")
    assert ws.sheet_properties.pageSetUpPr.fitToPage and (ws.page_setup.fitToWidth or 1) == 1  # 1: the default
    assert [c.value for c in ws[1]][-1] == layout.MAN_SHA256.header


@pytest.mark.parametrize("scheme", ["2022", "2025"])
def test_workbench__every_visible_cell__no_internal_key(tmp_path, scheme):
    """工作台 is where the clerk works: 全国数据 shows its items by label and year, the keys stay in a hidden column."""
    root = new_workbench(tmp_path, scheme)
    book = openpyxl.load_workbook(root / layout.PROJECT_WORKBOOK)
    key_only = re.compile(r"[a-z][a-z0-9]*_[a-z0-9_]+|[a-z][a-z0-9_]*[@#]\d+", re.I)
    assert [(sheet, cell, text) for sheet, cell, text in visible_cells(book) if key_only.search(text)] == []
    national = book[layout.SHEET_NATIONAL]
    assert national.column_dimensions["A"].hidden and national["A2"].value.startswith("national_")
    assert national["B2"].value and national["B2"].value == load_scheme(scheme).data_items[
        layout.parse_data_key(national["A2"].value)[0]].label
    assert read_project(root)[0].national == {}  # still read by its hidden keys (nothing entered yet)
