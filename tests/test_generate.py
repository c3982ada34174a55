"""`zonekit generate`: one workbook per unit with only its indicators, inputs a clerk can fill and nothing else,
an identity that travels with the file, and a manifest. Read back with openpyxl as a clerk would see it."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from zonekit import layout
from zonekit.cli import main
from zonekit.errors import ProjectError
from zonekit.files import sha256_of
from zonekit.generate import generate, read_manifest
from zonekit.project import Assignment, Unit
from zonekit.unitbook import build_unit_workbook, unit_file_name

WHEN = datetime(2024, 5, 6, 9, 30, tzinfo=timezone(timedelta(hours=8)))


def rows_of(path: Path, sheet: str) -> list[dict]:
    """The table under the header row of a unit workbook sheet, one dict per row keyed by header."""
    ws = openpyxl.load_workbook(path)[sheet]
    grid = list(ws.iter_rows(min_row=layout.HEADER_ROW))
    headers = [c.value for c in grid[0]]
    return [dict(zip(headers, row)) for row in grid[1:]]


def values(rows: list[dict], header: str) -> list:
    return [r[header].value for r in rows]


def book_of(result, unit: str) -> Path:
    return next(e.path for e in result.entries if e.unit == unit)


@pytest.fixture
def generated(tmp_path, make_project):
    project = make_project(tmp_path)
    return project, generate(project, generated_at=WHEN, force=True)  # a partial plan, sent on purpose


def test_generate__project__one_workbook_per_unit_with_only_its_indicators(generated):
    project, result = generated
    assert sorted(p.name for p in project.outgoing.glob(layout.UNIT_BOOK_GLOB)) == [
        "01-县市场监管局-填报表.xlsx", "02-县商务局-填报表.xlsx", "03-县统计局-填报表.xlsx",
        "04-县税务局-填报表.xlsx", "05-县人社局-填报表.xlsx"]

    lead = rows_of(book_of(result, "县市场监管局"), layout.SHEET_INDICATORS)
    assert values(lead, "键") == ["3", "9", "11", "11.3", "12", "12.1", "12.2", "12.3", "16", "25"]
    assert set(values(lead, "本单位角色")) == {"牵头"}
    assert values(lead, "分值")[values(lead, "键").index("16")] == 3

    mixed = rows_of(book_of(result, "县商务局"), layout.SHEET_INDICATORS)
    assert [(r["键"].value, r["本单位角色"].value) for r in mixed] == [
        ("1", "牵头"), ("4", "牵头"), ("10", "牵头"), ("12", "责任"), ("25", "责任")]

    wb = openpyxl.load_workbook(book_of(result, "县统计局"))
    assert wb.sheetnames == [layout.SHEET_GUIDE, layout.SHEET_INDICATORS, layout.SHEET_IDENTITY]
    assert values(rows_of(book_of(result, "县统计局"), layout.SHEET_INDICATORS), "键") == ["1", "3", "7"]


def test_generate__guide__unit_deadline_tasks_and_office_contact(generated):
    _, result = generated
    ws = openpyxl.load_workbook(book_of(result, "县商务局"))[layout.SHEET_GUIDE]
    guide = {row[0]: row[1] for row in ws.iter_rows(min_row=2, max_col=2, values_only=True) if row[0]}
    assert guide["填报单位"] == "县商务局"
    assert guide["填报截止日期"] == "2024年6月30日"
    assert guide["本单位任务"] == "牵头 3 项（指标 1、4、10）；责任 2 项（指标 12、25）"
    assert "cjb@example.cn" in guide["报送方式"] and "刘洋" in guide["创建办联系人"]
    assert "牵头单位：县市场监管局" in guide["指标 12"]


def test_generate__lead_unit__one_data_row_per_item_and_year(generated):
    _, result = generated
    data = rows_of(book_of(result, "县商务局"), layout.SHEET_DATA)
    assert values(data, "键") == [
        "online_retail_growth@2023", "online_retail_growth@2024",
        "online_retail@2022", "online_retail@2023", "online_retail@2024",
        *[f"new_large_traders#{n}" for n in range(1, layout.LIST_ROWS + 1)]]
    assert values(data, "计量单位")[2] == "万元" and values(data, "年度")[2] == 2022

    shared = rows_of(book_of(result, "县市场监管局"), layout.SHEET_DATA)
    keys = values(shared, "键")
    assert keys.count("online_traders") == 1
    assert shared[keys.index("online_traders")]["指标编号"].value == "3、9"
    assert not any(k.startswith("national_") for k in keys)  # national benchmarks come from the office


def test_generate__percent_items__formatted_and_validated_by_kind(generated):
    _, result = generated
    ws = openpyxl.load_workbook(book_of(result, "县市场监管局"))[layout.SHEET_DATA]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=layout.HEADER_ROW + 1)}
    value_col = [c.header for c in layout.DATA_COLUMNS].index("数值")
    rate, count = rows["identity_claim_rate"][value_col], rows["platform_users"][value_col]
    assert rate.number_format == "0.0%"
    rules = {str(cell): dv for dv in ws.data_validations.dataValidation for cell in dv.sqref.ranges}
    assert (rules[rate.coordinate].type, rules[rate.coordinate].formula1, rules[rate.coordinate].formula2) == \
        ("decimal", "0", "1")
    assert (rules[count.coordinate].type, rules[count.coordinate].operator) == ("whole", "greaterThanOrEqual")

    growth_ws = openpyxl.load_workbook(book_of(result, "县商务局"))[layout.SHEET_DATA]
    growth = next(r for r in growth_ws.iter_rows(min_row=layout.HEADER_ROW + 1)
                  if r[0].value == "online_retail_growth@2023")[value_col]
    assert growth.number_format == "0.0%"
    growth_rule = next(dv for dv in growth_ws.data_validations.dataValidation if growth.coordinate in dv.sqref)
    # the scheme's plausible range (-100%…300%): LibreOffice's 12.5 in this cell (1250%) is stopped while typing
    assert (growth_rule.operator or "between", growth_rule.formula1, growth_rule.formula2) == ("between", "-1", "3")


def test_unit_workbook__protection__only_input_cells_unlocked(generated):
    _, result = generated
    wb = openpyxl.load_workbook(book_of(result, "县商务局"))
    ws = wb[layout.SHEET_INDICATORS]
    assert ws.protection.sheet and not ws.protection.password
    assert wb[layout.SHEET_GUIDE].protection.sheet and wb[layout.SHEET_DATA].protection.sheet
    always = {"工作进展", "佐证材料说明", "佐证材料清单", "存在问题", "联系人及电话"}
    for row in rows_of(book_of(result, "县商务局"), layout.SHEET_INDICATORS):
        unlocked = {h for h, cell in row.items() if not cell.protection.locked}
        expected = set(always)
        if row["键"].value == "10":  # a lead's single judged indicator: the self-score sits on its own row
            expected.add("自评分")
        assert unlocked == expected, row["键"].value
    responsible = next(r for r in rows_of(book_of(result, "县商务局"), layout.SHEET_INDICATORS) if r["键"].value == "12")
    assert responsible["是否达到"].protection.locked and responsible["自评分"].protection.locked


def test_unit_workbook__claims_and_scores__dropdown_and_range_with_messages(generated):
    _, result = generated
    path = book_of(result, "县市场监管局")
    ws = openpyxl.load_workbook(path)[layout.SHEET_INDICATORS]
    rows = {r["键"].value: r for r in rows_of(path, layout.SHEET_INDICATORS)}
    claim = next(dv for dv in ws.data_validations.dataValidation if dv.type == "list")
    assert claim.formula1 == '"是,否"' and claim.prompt
    assert [k for k, r in rows.items() if r["是否达到"].coordinate in claim.sqref] == ["11.3", "12.1", "12.2", "12.3"]
    score = next(dv for dv in ws.data_validations.dataValidation if dv.type == "decimal")
    assert str(score.sqref) == rows["16"]["自评分"].coordinate and (score.formula1, score.formula2) == ("0", "3")


def test_unit_workbook__check_column__plain_formulas_only(generated):
    _, result = generated
    allowed = {"IF", "OR", "AND", "NOT", "LEN", "TRIM", "ISNUMBER", "SUBSTITUTE", "INT"}
    for entry in result.entries:
        wb = openpyxl.load_workbook(entry.path)
        for sheet in (layout.SHEET_INDICATORS, layout.SHEET_DATA):
            if sheet not in wb.sheetnames:
                continue
            for row in wb[sheet].iter_rows(min_row=layout.HEADER_ROW + 1):
                formula = row[-1].value
                assert formula.startswith("=")
                used = set(re.findall(r"([A-Z]+)\(", re.sub(r'"[^"]*"', '""', formula)))
                assert used <= allowed, used - allowed


def test_unit_workbook__print_setup__a4_landscape_fit_width_repeat_headers(generated):
    _, result = generated
    ws = openpyxl.load_workbook(book_of(result, "县市场监管局"))[layout.SHEET_INDICATORS]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
    assert ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == f"$1:${layout.HEADER_ROW}"
    assert ws.freeze_panes == f"A{layout.HEADER_ROW + 1}"


def test_unit_workbook__identity__custom_properties_and_hidden_sheet(generated, read_identity):
    project, result = generated
    path = book_of(result, "县税务局")
    expected = {layout.ID_PROJECT: "XJ-2024", layout.ID_UNIT: "县税务局", layout.ID_SCHEME: "2022",
                layout.ID_SCHEME_VERSION: project.scheme.version, layout.ID_TEMPLATE: layout.TEMPLATE_VERSION,
                layout.ID_GENERATED: "2024-05-06T09:30:00+08:00", layout.ID_ROUND: "第1轮"}
    wb = openpyxl.load_workbook(path)
    assert {p.name: p.value for p in wb.custom_doc_props.props} == expected
    hidden = wb[layout.SHEET_IDENTITY]
    assert hidden.sheet_state == "hidden"
    assert {k: v for k, v in hidden.iter_rows(max_col=2, values_only=True)} == expected
    assert read_identity(path) == expected


def test_generate__unknown_unit__stops_with_names_and_closest_matches(tmp_path, make_project):
    project = make_project(tmp_path, assignments={"3": (["县市场监督局"], ["县统计"]), "12": (["县商务局"], [])})
    with pytest.raises(ProjectError) as err:
        generate(project)
    message = str(err.value)
    assert "「县市场监督局」" in message and "最接近的是：县市场监管局" in message
    assert "「县统计」" in message and "县统计局" in message
    assert "G001" in message
    assert not project.outgoing.exists()


def test_generate__gaps__unassigned_indicators_lead_less_and_idle_units_reported(tmp_path, make_project):
    project = make_project(tmp_path, assignments={"3": (["县市场监管局"], []), "12": ([], ["县商务局"])})
    result = generate(project, generated_at=WHEN, force=True)
    assert result.report.valid
    codes = result.report.codes()
    assert codes.count("G002") == 1 and codes.count("G004") == 1
    assert codes.count("G003") == 4  # 统计局、税务局、人社局、档案馆
    no_lead = next(i for i in result.report.issues if i.code == "G004")
    assert "指标 12 " in no_lead.message
    assert [e.unit for e in result.entries] == ["县市场监管局", "县商务局"]


def test_generate__manifest__files_roles_and_sha256_read_back(generated):
    project, result = generated
    entries = read_manifest(project)
    assert [(e.unit, e.path.name, e.indicators) for e in entries] == [
        (e.unit, e.path.name, e.indicators) for e in result.entries]
    assert all(e.sha256 == sha256_of(e.path) for e in entries)
    assert {e.generated_at for e in entries} == {"2024-05-06T09:30:00+08:00"}
    assert read_manifest(project.root) == entries == read_manifest(project.outgoing / layout.MANIFEST)
    roles = {r[0]: r[2] for r in openpyxl.load_workbook(result.manifest)[layout.SHEET_MANIFEST]
             .iter_rows(min_row=2, values_only=True)}
    assert roles["县商务局"] == "牵头 3 项/责任 2 项"
    text = result.render()
    assert text.startswith("已生成 5 份填报表") and "02-县商务局-填报表.xlsx" in text and "G003" in text


def test_generate__same_inputs_and_time__same_bytes(tmp_path, make_project):
    project = make_project(tmp_path)
    first, _ = build_unit_workbook(project, "县市场监管局", WHEN)
    again, _ = build_unit_workbook(project, "县市场监管局", WHEN)
    assert first == again


def test_generate__earlier_file_not_in_this_run__reported_and_kept(tmp_path, make_project):
    project = make_project(tmp_path)
    old = project.outgoing / "09-旧单位-填报表.xlsx"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"old")
    result = generate(project, generated_at=WHEN, force=True)
    assert [i.value for i in result.report.issues if i.code == "G005"] == [old.name]
    assert old.read_bytes() == b"old"


def test_unit_file_name__windows_forbidden_characters__replaced():
    assert unit_file_name(3, '县/市:监管?局*') == "03-县_市_监管_局_-填报表.xlsx"
    assert unit_file_name(12, "县（区）商务局", width=3) == "012-县（区）商务局-填报表.xlsx"


def test_generate__2025_single_conditions_claim__claim_on_indicator_row(tmp_path, make_project):
    project = make_project(tmp_path, scheme="2025")
    result = generate(project, generated_at=WHEN, force=True)
    path = book_of(result, "县商务局")
    row = next(r for r in rows_of(path, layout.SHEET_INDICATORS) if r["键"].value == "19")
    assert not row["是否达到"].protection.locked and row["自评分"].protection.locked
    assert values(rows_of(path, layout.SHEET_DATA), "键") == ["assured_consumption_sectors"]


def test_cli_generate__project_folder__writes_books_and_summary(tmp_path):
    from zonekit.workbench import create_project, write_assignments

    root = tmp_path / "新绛创建"
    create_project(root, "2022", "新绛县", "山西省", [2023, 2024],
                   units=[Unit("县市场监管局"), Unit("县商务局"), Unit("县统计局")])
    write_assignments(root, {"3": Assignment("3", ["县市场监管局"], ["县统计局"]),
                             "10": Assignment("10", ["县商务局"], [])})
    # 39 indicators no unit was named for, some of them scored on a lead's data: refused, naming them
    refused = CliRunner().invoke(main, ["generate", str(root)])
    assert refused.exit_code == 1 and "[错误 G007]" in refused.output and "没有指定任何单位" in refused.output
    assert "指标 1、" in refused.output and "网上零售额" in refused.output and "--force" in refused.output
    assert not (root / layout.OUTGOING_DIR / "02-县商务局-填报表.xlsx").exists()
    run = CliRunner().invoke(main, ["generate", str(root), "--force"])  # a first batch, sent on purpose
    assert run.exit_code == 0, run.output
    assert "已生成 3 份填报表" in run.output and "G002" in run.output
    assert [e.unit for e in read_manifest(root)] == ["县市场监管局", "县商务局", "县统计局"]
    assert (root / layout.OUTGOING_DIR / "02-县商务局-填报表.xlsx").is_file()
    as_json = json.loads(CliRunner().invoke(main, ["generate", str(root), "--json", "--force"]).output)
    assert [f["unit"] for f in as_json["files"]] == ["县市场监管局", "县商务局", "县统计局"]
    assert "G002" in {i["code"] for i in as_json["issues"]}


def test_cli_generate__help__has_example():
    run = CliRunner().invoke(main, ["generate", "--help"])
    assert run.exit_code == 0 and "示例：zonekit generate" in run.output


def test_generate__many_units__built_in_parallel_with_same_bytes(tmp_path, make_project, monkeypatch):
    import zonekit.generate as gen

    serial = generate(make_project(tmp_path / "serial"), generated_at=WHEN, force=True)
    monkeypatch.setattr(gen, "PARALLEL_FROM", 2)
    parallel = generate(make_project(tmp_path / "parallel"), generated_at=WHEN, force=True)
    assert [(e.path.name, e.sha256) for e in parallel.entries] == [(e.path.name, e.sha256) for e in serial.entries]


def test_generate__table_with_only_responsible_units__refused_naming_indicators_force_writes(tmp_path):
    """The 新绛县 table names 责任单位 only: nobody would get a 数据填报 sheet, nothing scorable would come back."""
    samples = Path(__file__).resolve().parent.parent / "samples" / "新绛县"
    root = tmp_path / "p"
    runner = CliRunner()
    runner.invoke(main, ["init", str(root), "--scheme", "2022", "--region", "新绛县", "--province", "山西省",
                         "--units", str(samples / "单位名单.xlsx")])
    assert runner.invoke(main, ["import-plan", str(root), str(samples / "分解表.xlsx")]).exit_code == 0
    result = runner.invoke(main, ["generate", str(root)])
    assert result.exit_code == 1 and "[错误 G006]" in result.output
    assert "指标 1、2、3、4、5、6、7、8、9、10、11" in result.output and "网上零售额" in result.output
    assert "任务分解 中为这些指标填写牵头单位" in result.output and "--force" in result.output
    assert not (root / layout.OUTGOING_DIR / layout.MANIFEST).exists()

    forced = runner.invoke(main, ["generate", str(root), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "G004" in forced.output and (root / layout.OUTGOING_DIR / layout.MANIFEST).is_file()
