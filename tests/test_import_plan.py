"""import-plan: the sample tables of seeds 000 and 001 fill 任务分解; unit names are normalised out loud."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from zonekit import layout
from zonekit.cli import main
from zonekit.files import sha256_of
from zonekit.plan import PlanTable, import_plan
from zonekit.project import Unit
from zonekit.scheme import load_scheme
from zonekit.unitnames import build_index, resolve
from zonekit.workbench import load_project

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
YONGCHUAN, XINJIANG = SAMPLES / "永川区", SAMPLES / "新绛县"
XINJIANG_MEMBERS = ["县委宣传部", "县发改局", "县教育局", "县工信科技局", "县公安局", "县住建局", "县司法局", "县财政局", "县人社局",
                    "县自然资源局", "县交通运输局", "县农业农村局", "县文旅局", "县市场监管局", "县行政审批局", "县统计局", "县税务局",
                    "县融媒体中心", "县金融服务中心", "人行新绛支行", "新绛县邮政分公司"]


def init_and_import(tmp_path: Path, sample: Path, table: str, province: str):
    root = tmp_path / "p"
    runner = CliRunner()
    made = runner.invoke(main, ["init", str(root), "--scheme", "2022", "--region", sample.name, "--province", province,
                                "--units", str(sample / "单位名单.xlsx")])
    assert made.exit_code == 0, made.output
    return root, runner.invoke(main, ["import-plan", str(root), str(sample / table)])


def task_cells(root: Path) -> dict[int, dict[str, str]]:
    ws = openpyxl.load_workbook(root / layout.PROJECT_WORKBOOK)[layout.SHEET_TASKS]
    header = [c.value for c in ws[1]]
    return {row[0]: dict(zip(header, row)) for row in ws.iter_rows(min_row=2, values_only=True)}


def test_import_plan__yongchuan_docx__fills_tasks_with_seed_units(tmp_path):
    root, result = init_and_import(tmp_path, YONGCHUAN, "分解表.docx", "重庆市")
    assert result.exit_code == 0, result.output
    project = load_project(root)
    a = project.assignments
    assert a["20"].leads == ["区市场监管局", "区行政服务中心"]
    assert a["23"].leads == ["区经济信息委", "市邮政管理局七分局", "区农业农村委"]
    assert a["5"].leads == ["市邮政管理局七分局"] and a["5"].responsibles == []
    assert a["17"].leads == a["18"].leads == a["16"].leads == ["区市场监管局"]
    assert a["17"].responsibles == a["18"].responsibles == a["16"].responsibles
    assert {"区法院", "区司法局", "区委网信办", "区林业局"} <= set(a["16"].responsibles)
    assert a["40"].tasks == "" and a["1"].tasks.startswith("三、工作任务和具体举措\n（一）大力促进网络经济发展")
    cells = task_cells(root)
    assert cells[20]["牵头单位"] == "区市场监管局、区行政服务中心" and cells[5]["责任单位"] is None
    assert "沿用编号16（第17行）" in result.output and "「-」表示无" in result.output
    assert "「区司法局及区委网信办」拆分为区司法局、区委网信办" in result.output
    assert "群组「各行政执法单位」展开" in result.output


def test_import_plan__xinjiang_xlsx__joins_ocr_breaks_and_expands_groups(tmp_path):
    root, result = init_and_import(tmp_path, XINJIANG, "分解表.xlsx", "山西省")
    assert result.exit_code == 0, result.output
    a = load_project(root).assignments
    assert a["21"].responsibles == ["县市场监管局", "县工信科技局", "县发改局", "县文旅局", "县农业农村局", "县教育局",
                                    "县交通运输局", "县住建局"]
    assert "「县工信 科技局」合并为「县工信科技局」" in result.output
    assert a["32"].responsibles == XINJIANG_MEMBERS
    assert a["10"].responsibles == XINJIANG_MEMBERS  # "新绛县网络市场监管局 联席会议各成员单位" joined, then expanded
    assert a["36"].responsibles == XINJIANG_MEMBERS + ["各镇人民政府"]
    assert a["1"].responsibles == ["县统计局", "县工信科技局"] and a["1"].leads == []
    assert "P032" in result.output  # no 牵头单位 column: said, not guessed
    assert [n for n in ("23", "24", "25") if not a[n].responsibles] == ["23", "24", "25"]


@pytest.mark.parametrize("sample, table, province", [(YONGCHUAN, "分解表.docx", "重庆市"), (XINJIANG, "分解表.xlsx", "山西")])
def test_import_plan__samples__inputs_byte_identical(tmp_path, sample, table, province):
    before = {p: sha256_of(p) for p in sample.iterdir()}
    root, result = init_and_import(tmp_path, sample, table, province)
    assert result.exit_code == 0
    assert {p: sha256_of(p) for p in sample.iterdir()} == before
    assert len(list(root.glob("工作台.备份-*.xlsx"))) == 1


def test_import_plan__unknown_unit__exit_1_closest_names_workbook_untouched(tmp_path):
    root, _ = init_and_import(tmp_path, XINJIANG, "分解表.xlsx", "山西省")
    table = tmp_path / "表.xlsx"
    wb = openpyxl.Workbook()
    for row in (["序号", "三级指标", "牵头单位", "配合单位"], [1, "网上零售额同比增速", "县统计所", "县工信科技局"]):
        wb.active.append(row)
    wb.save(table)
    before = sha256_of(root / layout.PROJECT_WORKBOOK)
    result = CliRunner().invoke(main, ["import-plan", str(root), str(table)])
    assert result.exit_code == 1
    assert "[错误 P014]" in result.output and "「县统计所」" in result.output and "最接近的：县统计局" in result.output
    assert sha256_of(root / layout.PROJECT_WORKBOOK) == before


def test_import_plan__help__has_example():
    assert "示例" in CliRunner().invoke(main, ["import-plan", "--help"]).output


UNITS = [Unit("县市场监管局", ["新绛县市场监督管理局"], ["各成员单位"]), Unit("县商务局", [], ["各成员单位"]),
         Unit("县工信科技局"), Unit("县司法局")]


@pytest.mark.parametrize("text, names", [
    ("县商务局、县司法局", ["县商务局", "县司法局"]),
    ("县商务局，县司法局;县工信科技局", ["县商务局", "县司法局", "县工信科技局"]),
    ("县商务局\n县司法局 县工信科技局", ["县商务局", "县司法局", "县工信科技局"]),
    ("县工信 科技局", ["县工信科技局"]),
    ("——", []), ("-", []), ("", []),
    ("新绛县市场监督管理局", ["县市场监管局"]),
    ("各成员单位、县商务局", ["县市场监管局", "县商务局"]),
    ("县司法局及县工信科技局", ["县司法局", "县工信科技局"]),
    ("县司法局等各成员单位按职责分工负责", ["县司法局", "县市场监管局", "县商务局"]),
])
def test_resolve__clerk_and_ocr_spellings__known_units(text, names):
    res = resolve(text, build_index(UNITS)[0])
    assert res.names == names and not res.unknown


def test_resolve__unknown__closest_names_never_replaced():
    res = resolve("县商务局、县工信局", build_index(UNITS)[0])
    assert res.names == ["县商务局"] and res.unknown == [("县工信局", ["县工信科技局"])]


def test_build_index__alias_is_also_a_group__clash():
    clashes = build_index([Unit("县商务局", ["各成员单位"]), Unit("县司法局", [], ["各成员单位"])])[1]
    assert clashes == [("各成员单位", "单位「县商务局」的别名", "群组「各成员单位」")]


def table(*rows) -> PlanTable:
    return PlanTable("表格1", [list(r) for r in rows], [[None] * len(r) for r in rows], word=True)


def test_import_plan__number_not_in_scheme_and_footer__reported():
    plan = table(["编号", "三级指标", "牵头单位"], ["1", "网上零售额同比增速。（2分）", "县商务局"],
                 ["99", "不存在", "县商务局"], ["合格标准为……", "", ""])
    assignments, notes, report = import_plan(load_scheme("2022"), UNITS, [plan], "表.docx")
    assert list(assignments) == ["1"] and "P033" in report.codes() and "P037" in report.codes()
    assert any("不是指标行" in n for n in notes)
    assert report.valid


def test_import_plan__other_scheme_numbering__name_mismatch_warning():
    plan = table(["编号", "三级指标", "牵头单位"], ["1", "电子商务交易额同比增速", "县商务局"])
    report = import_plan(load_scheme("2022"), UNITS, [plan], "表.docx")[2]
    assert "P036" in report.codes()


def test_import_plan__no_header__error():
    report = import_plan(load_scheme("2022"), UNITS, [table(["a", "b"], ["1", "2"])], "表.docx")[2]
    assert report.codes() == ["P031"]


def test_import_plan__number_twice__error():
    plan = table(["编号", "牵头单位"], ["1", "县商务局"], ["1", "县司法局"])
    report = import_plan(load_scheme("2022"), UNITS, [plan], "表.docx")[2]
    assert "P034" in report.codes() and not report.valid


def test_import_plan__word_97_file__exit_1_asks_for_docx(tmp_path):
    root, _ = init_and_import(tmp_path, XINJIANG, "分解表.xlsx", "山西省")
    old = tmp_path / "分解表.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    result = CliRunner().invoke(main, ["import-plan", str(root), str(old)])
    assert result.exit_code == 1 and "另存为" in result.output
