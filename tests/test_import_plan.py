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
    result = import_plan(load_scheme("2022"), UNITS, [plan], "表.docx")
    report = result.report
    assert list(result.assignments) == ["1"] and "P033" in report.codes() and "P037" in report.codes()
    assert any("不是指标行" in n for n in result.notes)
    assert report.valid


def test_import_plan__other_scheme_numbering__name_mismatch_warning():
    plan = table(["编号", "三级指标", "牵头单位"], ["1", "电子商务交易额同比增速", "县商务局"])
    report = import_plan(load_scheme("2022"), UNITS, [plan], "表.docx").report
    assert "P036" in report.codes()


def test_import_plan__no_header__error():
    report = import_plan(load_scheme("2022"), UNITS, [table(["a", "b"], ["1", "2"])], "表.docx").report
    assert report.codes() == ["P031"]


def test_import_plan__number_twice__error():
    plan = table(["编号", "牵头单位"], ["1", "县商务局"], ["1", "县司法局"])
    report = import_plan(load_scheme("2022"), UNITS, [plan], "表.docx").report
    assert "P034" in report.codes() and not report.valid


def test_import_plan__word_97_file__exit_1_asks_for_docx(tmp_path):
    root, _ = init_and_import(tmp_path, XINJIANG, "分解表.xlsx", "山西省")
    old = tmp_path / "分解表.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    result = CliRunner().invoke(main, ["import-plan", str(root), str(old)])
    assert result.exit_code == 1 and "另存为" in result.output


# ---------------------------------------------------------------- tables as clerks really get them (issue 10)


def word_layout(src: Path, dst: Path) -> None:
    """The 新绛县 table as the county published it in Word: the places where the seed's text shows a space inside
    a 责任单位 cell are where Word broke the line — a new paragraph, or a soft line break (Shift+Enter)."""
    import docx

    rows = list(openpyxl.load_workbook(src).worksheets[0].iter_rows(values_only=True))
    header = next(r for r, row in enumerate(rows) if row[2] == "编号")
    document = docx.Document()
    table = document.add_table(rows=len(rows) - header, cols=len(rows[header]))
    for r, values in enumerate(rows[header:]):
        for c, value in enumerate(values):
            lines = str(value or "").split(" ") if c == len(values) - 1 else [str(value or "")]
            cell = table.cell(r, c)
            if r % 2:  # odd rows: one paragraph per line
                cell.text = lines[0]
                for line in lines[1:]:
                    cell.add_paragraph(line)
            else:  # even rows: soft line breaks inside one paragraph
                paragraph = cell.paragraphs[0]
                for n, line in enumerate(lines):
                    run = paragraph.add_run(line)
                    if n < len(lines) - 1:
                        run.add_break()
    document.save(dst)


def test_import_plan__xinjiang_word_layout__same_units_as_the_clean_table(tmp_path):
    word = tmp_path / "分解表.docx"
    word_layout(XINJIANG / "分解表.xlsx", word)
    clean, _ = init_and_import(tmp_path / "clean", XINJIANG, "分解表.xlsx", "山西省")
    root, _ = init_and_import(tmp_path / "word", XINJIANG, "分解表.xlsx", "山西省")
    result = CliRunner().invoke(main, ["import-plan", str(root), str(word)])
    assert result.exit_code == 0, result.output
    assert "P014" not in result.output
    assert "「县税务 局」合并为「县税务局」" in result.output and "「县 文旅局」合并为「县文旅局」" in result.output
    assert "「县工信 科技局」合并为「县工信科技局」" in result.output
    assert "「新绛县网络市场监管局 联席会议各成员单位」合并为「新绛县网络市场监管局联席会议各成员单位」" in result.output
    expected, got = load_project(clean).assignments, load_project(root).assignments
    assert {n: a.responsibles for n, a in got.items()} == {n: a.responsibles for n, a in expected.items()}
    assert got["20"].responsibles == ["县行政审批局", "县税务局", "县市场监管局"]
    assert got["10"].responsibles[:len(XINJIANG_MEMBERS)] == XINJIANG_MEMBERS


def test_import_plan__table_of_another_scheme__one_message_nothing_written_force_imports(tmp_path):
    root = tmp_path / "p"
    runner = CliRunner()
    runner.invoke(main, ["init", str(root), "--scheme", "2025", "--region", "永川区", "--province", "重庆市",
                         "--units", str(YONGCHUAN / "单位名单.xlsx")])
    before = sha256_of(root / layout.PROJECT_WORKBOOK)
    result = runner.invoke(main, ["import-plan", str(root), str(YONGCHUAN / "分解表.docx")])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1  # one message: no warnings per row, no notes
    assert "[错误 P039]" in result.output and "属于「2022」指标体系" in result.output
    assert "41/41项名称相符" in result.output and "任务分解未写入" in result.output and "--force" in result.output
    assert sha256_of(root / layout.PROJECT_WORKBOOK) == before

    forced = runner.invoke(main, ["import-plan", str(root), str(YONGCHUAN / "分解表.docx"), "--force"])
    assert forced.exit_code == 0, forced.output
    assert forced.output.count("P036") == 1 and forced.output.count("P033") == 1  # one line each, not 25 and 16
    assert load_project(root).assignments["8"].leads == ["区税务局"]  # what the clerk asked for, by number


def test_import_plan__same_scheme_numbered_otherwise__refused():
    s2022 = load_scheme("2022")
    shifted = table(["编号", "三级指标", "牵头单位"],
                    *([str(n), s2022.indicator(str(n % 41 + 1)).name, "县商务局"] for n in range(1, 42)))
    report = import_plan(s2022, UNITS, [shifted], "表.docx").report
    assert report.codes() == ["P040"] and "编号对不上" in report.issues[0].message


def test_import_plan__placeholder_names_and_an_unknown_unit__errors_first_one_summary_warning(tmp_path):
    root, _ = init_and_import(tmp_path, XINJIANG, "分解表.xlsx", "山西省")
    path = tmp_path / "表.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["编号", "三级指标", "牵头单位"])
    for n in range(1, 42):
        wb.active.append([n, f"指标{n}", "县统计所" if n == 7 else "县统计局"])
    wb.save(path)
    result = CliRunner().invoke(main, ["import-plan", str(root), str(path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("[")]
    assert lines[0].startswith("[错误 P014]") and "「县统计所」" in lines[0]
    assert [line[:9] for line in lines].count("[警告 P036]") == 1
    assert "41项指标的名称与2022指标体系不一致" in result.output


def empty_project(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    made = CliRunner().invoke(main, ["init", str(root), "--scheme", "2022", "--region", "新绛县", "--province", "山西省"])
    assert made.exit_code == 0, made.output
    return root


def test_import_plan__empty_unit_list__one_message_nothing_written(tmp_path):
    root = empty_project(tmp_path)
    before = sha256_of(root / layout.PROJECT_WORKBOOK)
    result = CliRunner().invoke(main, ["import-plan", str(root), str(XINJIANG / "分解表.xlsx")])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "[错误 P041]" in result.output
    assert "单位名单是空的" in result.output and "--add-units" in result.output and "任务分解未写入" in result.output
    assert sha256_of(root / layout.PROJECT_WORKBOOK) == before


def test_import_plan__empty_unit_list_with_add_units__units_added_groups_listed(tmp_path):
    root = empty_project(tmp_path)
    word = tmp_path / "分解表.docx"
    word_layout(XINJIANG / "分解表.xlsx", word)  # the broken names must be joined before they are added
    result = CliRunner().invoke(main, ["import-plan", str(root), str(word), "--add-units"])
    assert result.exit_code == 0, result.output
    units = [row[0] for row in openpyxl.load_workbook(root / layout.PROJECT_WORKBOOK)[layout.SHEET_UNITS]
             .iter_rows(min_row=2, values_only=True) if row[0]]
    assert units == ["县统计局", "县工信科技局", "县市场监管局", "县行政审批局", "新绛县邮政分公司", "县委宣传部", "县人社局",
                     "县文旅局", "县交通运输局", "县税务局", "县农业农村局", "县教育局", "县住建局", "县发改局", "县司法局",
                     "县金融服务中心", "人行新绛支行", "县12315申诉举报中心", "县财政局"]
    assert f"已加入 单位名单（19个单位）：{'、'.join(units)}" in result.output
    assert result.output.count("P042") == 1 and "「各成员单位」（编号32、33、34、35、37、40、41）" in result.output
    assert "「新绛县网络市场监管局联席会议各成员单位」（编号10、29、38、39）" in result.output
    tasks = task_cells(root)
    assert tasks[20]["责任单位"] == "县行政审批局、县税务局、县市场监管局"
    assert tasks[32]["责任单位"] == "各成员单位"  # as written, until the clerk says who its members are
    generate = CliRunner().invoke(main, ["generate", str(root)])  # the groups still to define, once each
    assert generate.exit_code == 1 and generate.output.count("P014") == 4


@pytest.mark.parametrize("text, names", [
    ("县税务\n局、县市场监管局", ["县税务局", "县市场监管局"]),
    ("县\n文旅局", ["县文旅局"]),
    ("县统计局\n县工信科技局", ["县统计局", "县工信科技局"]),
    ("新绛县网络市场监管局\n联席会议各成员单位", ["新绛县网络市场监管局联席会议各成员单位"]),
])
def test_resolve__word_line_breaks_and_no_unit_list__names_joined_where_they_were_broken(text, names):
    written = {"新绛县网络市场监管局联席会议各成员单位"}  # written whole elsewhere in the table
    res = resolve(text, build_index([])[0], written)
    assert [name for name, _closest in res.unknown] == names
