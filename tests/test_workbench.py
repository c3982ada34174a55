"""The project workbook: init writes every sheet; reading it back tolerates what clerks do and names problems."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from zonekit import layout
from zonekit.cli import main
from zonekit.errors import ProjectError
from zonekit.files import sha256_of
from zonekit.project import Assignment, Unit
from zonekit.regions import region_class
from zonekit.scheme import load_scheme
from zonekit.workbench import create_project, default_years, load_project, read_project, write_assignments

UNITS = [Unit("县市场监管局", ["新绛县市场监督管理局"], ["各成员单位"]), Unit("县商务局", [], ["各成员单位"]),
         Unit("县统计局")]


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    create_project(tmp_path / "p", "2022", "新绛县", "山西省", [2024, 2025], units=UNITS)
    return tmp_path / "p"


def workbook(root: Path) -> Path:
    return root / layout.PROJECT_WORKBOOK


def rewrite_sheet(root: Path, sheet: str, rows: list[list]) -> None:
    """Replace a sheet's contents with ``rows`` as a clerk might have left them."""
    wb = openpyxl.load_workbook(workbook(root))
    ws = wb[sheet]
    ws.delete_rows(1, ws.max_row)
    for row in rows:
        ws.append(row)
    wb.save(workbook(root))


def edit(root: Path, sheet: str, cell: str, value, number_format: str | None = None) -> None:
    wb = openpyxl.load_workbook(workbook(root))
    wb[sheet][cell] = value
    if number_format:
        wb[sheet][cell].number_format = number_format
    wb.save(workbook(root))


def codes(root: Path) -> list[str]:
    return read_project(root)[1].codes()


def test_init__new_folder__every_sheet_header_folder_and_no_password(tmp_path):
    result = CliRunner().invoke(main, ["init", str(tmp_path / "p"), "--scheme", "2022", "--region", "新绛县",
                                       "--province", "山西省", "--years", "2023,2024", "--deadline", "2026-03-31"])
    assert result.exit_code == 0, result.output
    root = tmp_path / "p"
    assert all((root / d).is_dir() for d in (layout.OUTGOING_DIR, layout.RETURNED_DIR, layout.OUTPUT_DIR))
    wb = openpyxl.load_workbook(workbook(root))
    assert tuple(wb.sheetnames) == layout.PROJECT_SHEETS
    columns = {layout.SHEET_INFO: layout.INFO_COLUMNS, layout.SHEET_PHASES: layout.PHASE_COLUMNS,
               layout.SHEET_UNITS: layout.UNIT_COLUMNS, layout.SHEET_TASKS: layout.TASK_COLUMNS,
               layout.SHEET_NATIONAL: layout.NATIONAL_COLUMNS, layout.SHEET_TARGETS: layout.TARGET_COLUMNS,
               layout.SHEET_VERIFY: layout.VERIFY_COLUMNS, layout.SHEET_MAIL: layout.MAIL_COLUMNS}
    for sheet, cols in columns.items():
        headers = [c.value for c in wb[sheet][1]]
        assert headers[:len(cols)] == [c.header for c in cols] and not any(headers[len(cols):])
        assert wb[sheet].freeze_panes == "A2"
    info = {r[0]: r[1] for r in wb[layout.SHEET_INFO].iter_rows(min_row=2, values_only=True)}
    assert list(info) == list(layout.INFO_ROWS)
    assert (info[layout.INFO_CLASS], info[layout.INFO_YEARS], info[layout.INFO_SCHEME]) == ("中部", "2023,2024", "2022")
    assert len(info[layout.INFO_PROJECT_ID]) == 32
    tasks = list(wb[layout.SHEET_TASKS].iter_rows(min_row=2, values_only=True))
    assert len(tasks) == 41 and tasks[0][:5] == (1, "促进发展", "发展规模", "网上零售额同比增速", 2)
    national = [r[0] for r in wb[layout.SHEET_NATIONAL].iter_rows(min_row=2, values_only=True)]
    assert "national_online_retail_growth@2023" in national and "national_mediation_success_rate" in national
    assert [r[0] for r in wb[layout.SHEET_PHASES].iter_rows(min_row=2, values_only=True)] == ["启动阶段", "创建阶段", "验收阶段"]
    assert [r[0] for r in wb[layout.SHEET_MAIL].iter_rows(min_row=2, values_only=True)] == list(layout.MAIL_PURPOSES)
    assert len(list(wb[layout.SHEET_VERIFY].iter_rows(min_row=2))) == 41
    assert wb[layout.SHEET_TASKS].page_setup.orientation == "landscape"
    assert wb[layout.SHEET_INFO].data_validations.dataValidation  # 地区类别、指标体系、加密方式 dropdowns
    every_text = " ".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v)
    assert "密码" not in every_text.replace("密码不保存在工作台中", "")
    project = load_project(root)
    assert project.deadline == date(2026, 3, 31) and project.years == [2023, 2024]


def test_init__existing_workbook__refuses_and_leaves_it(project_dir):
    before = sha256_of(workbook(project_dir))
    args = ["init", str(project_dir), "--scheme", "2022", "--region", "x", "--province", "山西"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "不会覆盖" in result.output
    assert sha256_of(workbook(project_dir)) == before


def test_init__northeast_province_2022__asks_for_class(tmp_path):
    args = ["init", str(tmp_path / "p"), "--scheme", "2022", "--region", "道里区", "--province", "黑龙江省"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "东北" in result.output and "只有东部/中部/西部" in result.output and "--class" in result.output
    assert not (tmp_path / "p" / layout.PROJECT_WORKBOOK).exists()
    assert CliRunner().invoke(main, args + ["--class", "中部"]).exit_code == 0
    assert load_project(tmp_path / "p").region_class == "中部"


def test_init__northeast_province_2025__keeps_dongbei(tmp_path):
    assert create_project(tmp_path, "2025", "道里区", "黑龙江").region_class == "东北"


def test_init__help__has_example():
    assert "示例" in CliRunner().invoke(main, ["init", "--help"]).output


def test_region_class__short_and_full_names__same_class():
    assert region_class("山西") == region_class("山西省") == "中部"
    assert region_class("广西壮族自治区") == region_class("广西") == region_class("内蒙古") == "西部"
    assert region_class("　辽宁省 ") == "东北"
    with pytest.raises(ProjectError, match="无法识别省份"):
        region_class("火星")


def test_default_years__2022_scheme_in_2026__last_two_years():
    assert default_years(load_scheme("2022"), date(2026, 5, 1)) == [2024, 2025]
    assert default_years(load_scheme("2025"), date(2026, 5, 1)) == [2023, 2024, 2025]


def test_read_project__clerk_reorders_pads_and_adds_columns__same_assignments(project_dir):
    header = ["备注", "责任单位", "编号", "牵头单位 ", "三级指标", "分值"]
    rewrite_sheet(project_dir, layout.SHEET_TASKS, [
        ["任务分解（请勿删除表头）"],
        header,
        ["", "县统计局、县商务局", "２", "县市场监管局　", "网上零售额同比增速超过…", 2],
        [],
        ["看这里", "各成员单位", 1.0, "新绛县市场监督管理局", "", ""],
        [None, None, None, None, None, None],
    ])
    project, report = read_project(project_dir)
    assert project.assignments["1"] == Assignment("1", ["县市场监管局"], ["县市场监管局", "县商务局"])
    assert project.assignments["2"].leads == ["县市场监管局"]
    assert project.assignments["2"].responsibles == ["县统计局", "县商务局"]
    assert report.valid, report.render()


def test_read_project__missing_sheet__error_names_sheet(project_dir):
    wb = openpyxl.load_workbook(workbook(project_dir))
    del wb[layout.SHEET_UNITS]
    wb.save(workbook(project_dir))
    project, report = read_project(project_dir)
    assert project is None and report.codes() == ["P001"] and report.issues[0].sheet == layout.SHEET_UNITS
    with pytest.raises(ProjectError, match=layout.SHEET_UNITS):
        load_project(project_dir)


def test_read_project__renamed_header__error_names_sheet_header_and_aliases(project_dir):
    edit(project_dir, layout.SHEET_TASKS, "G1", "协办单位")
    project, report = read_project(project_dir)
    assert project is None and report.codes() == ["P003"]
    message = report.issues[0].message
    assert "任务分解" in message and "「责任单位」" in message and "配合单位" in message


def test_read_project__duplicate_unit__error(project_dir):
    edit(project_dir, layout.SHEET_UNITS, "A5", "县商务局 ")
    report = read_project(project_dir)[1]
    assert "P012" in report.codes() and "第3行和第5行" in report.render()


def test_read_project__unknown_unit__error_with_closest(project_dir):
    edit(project_dir, layout.SHEET_TASKS, "F2", "县市场监督局")
    report = read_project(project_dir)[1]
    unknown = [i for i in report.issues if i.code == "P014"]
    assert len(unknown) == 1 and unknown[0].cell == "F2" and "县市场监管局" in unknown[0].message


def test_read_project__indicator_without_unit__warning(project_dir):
    edit(project_dir, layout.SHEET_TASKS, "F2", "县统计局")
    report = read_project(project_dir)[1]
    assert report.valid and report.codes().count("P015") == 40


def test_read_project__nothing_assigned_yet__one_warning(project_dir):
    assert codes(project_dir) == ["P022"]


def test_read_project__national_values__exact_and_percent(project_dir):
    wb = openpyxl.load_workbook(workbook(project_dir))
    ws = wb[layout.SHEET_NATIONAL]
    rows = {r[0].value: r[0].row for r in ws.iter_rows(min_row=2)}
    ws[f"D{rows['national_online_retail_growth@2024']}"] = 0.152  # %-formatted by init
    ws[f"D{rows['national_online_retail_growth@2025']}"] = "15%"
    ws[f"D{rows['national_express_growth@2024']}"] = 0.1
    ws[f"D{rows['national_express_growth@2024']}"].number_format = "General"
    ws[f"D{rows['national_mediation_success_rate']}"] = 15
    ws[f"D{rows['national_mediation_success_rate']}"].number_format = "General"
    wb.save(workbook(project_dir))
    project, report = read_project(project_dir)
    assert project.national[("national_online_retail_growth", 2024)] == Fraction(19, 125)
    assert project.national[("national_online_retail_growth", 2025)] == Fraction(3, 20)
    assert project.national[("national_express_growth", 2024)] == Fraction(1, 10)
    bad = [i for i in report.issues if i.code == "P011"]
    assert len(bad) == 1 and bad[0].sheet == layout.SHEET_NATIONAL and "15%" in bad[0].message


def test_read_project__bad_year_and_date__errors_name_cells(project_dir):
    edit(project_dir, layout.SHEET_INFO, "B7", "明年")
    edit(project_dir, layout.SHEET_PHASES, "B2", "三月底")
    report = read_project(project_dir)[1]
    assert {(i.code, i.sheet, i.cell) for i in report.errors} == {("P008", "基本信息", "B7"), ("P010", "阶段安排", "B2")}
    with pytest.raises(ProjectError, match="明年"):
        load_project(project_dir)


def test_read_project__unknown_region_class__error(project_dir):
    edit(project_dir, layout.SHEET_INFO, "B5", "东北")
    assert "P006" in codes(project_dir)


def test_write_assignments__clerk_text_elsewhere__kept_and_backed_up(project_dir):
    edit(project_dir, layout.SHEET_TARGETS, "A2", 3)
    edit(project_dir, layout.SHEET_TASKS, "I3", "2025年6月底")
    before = sha256_of(workbook(project_dir))
    backup = write_assignments(project_dir, {"2": Assignment("2", ["县统计局"], ["县商务局"], "任务1")},
                               fields=("leads", "responsibles", "tasks"))
    assert backup.exists() and sha256_of(backup) == before and backup.name.startswith("工作台.备份-")
    ws = openpyxl.load_workbook(workbook(project_dir))[layout.SHEET_TASKS]
    assert [ws[f"{c}3"].value for c in "AFGHI"] == [2, "县统计局", "县商务局", "任务1", "2025年6月底"]
    assert openpyxl.load_workbook(workbook(project_dir))[layout.SHEET_TARGETS]["A2"].value == 3


def test_init_cli__units_file_not_a_workbook__says_so_and_creates_nothing(tmp_path):
    bad = tmp_path / "单位名单.xlsx"
    bad.write_text("不是表格", encoding="utf-8")
    result = CliRunner().invoke(main, ["init", str(tmp_path / "项目"), "--scheme", "2022", "--region", "新绛县",
                                       "--province", "山西省", "--units", str(bad)])
    assert result.exit_code == 1
    assert "[错误 P023]" in result.output and "单位名单文件无法作为 .xlsx 打开" in result.output
    assert "zonekit init 创建的项目目录" not in result.output
    assert not (tmp_path / "项目" / layout.PROJECT_WORKBOOK).exists()


def test_create_project__office_scheme_file__copied_into_the_project_and_found_after_moving(tmp_path):
    own = tmp_path / "本省指标体系.yaml"
    own.write_text((Path(load_scheme("2022").path)).read_text(encoding="utf-8").replace('name: "2022"', 'name: 本省'),
                   encoding="utf-8")
    create_project(tmp_path / "p", str(own), "新绛县", "山西省", [2024, 2025], units=UNITS)
    info = {r[0]: r[1] for r in openpyxl.load_workbook(workbook(tmp_path / "p"))[layout.SHEET_INFO].iter_rows(
        min_row=2, values_only=True)}
    assert info[layout.INFO_SCHEME] == "本省指标体系.yaml"
    own.unlink()  # the project no longer needs the file it was set up from
    (tmp_path / "p").rename(tmp_path / "q")
    project = load_project(tmp_path / "q")
    assert project.scheme.name == "本省" and project.scheme.path == tmp_path / "q" / "本省指标体系.yaml"
    # a different file of the same name already in the new project's folder is never overwritten
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "本省指标体系.yaml").write_text("# 项目目录里原有的文件\n", encoding="utf-8")
    with pytest.raises(ProjectError, match="项目目录中已有 本省指标体系.yaml"):
        create_project(tmp_path / "r", str(tmp_path / "q" / "本省指标体系.yaml"), "新绛县", "山西省", [2024, 2025])
    assert (tmp_path / "r" / "本省指标体系.yaml").read_text(encoding="utf-8") == "# 项目目录里原有的文件\n"


def test_read_project__reminder_template_of_an_older_project__reads_as_today_s_with_the_overdue_days(project_dir):
    """Projects made before {期限说明} hold a 催报 that quotes the deadline as if it were still ahead."""
    from zonekit.workbench import FORMER_MAIL_BODIES, FORMER_MAIL_SUBJECTS

    wb = openpyxl.load_workbook(workbook(project_dir))
    for row in wb[layout.SHEET_MAIL].iter_rows(min_row=2):
        if row[0].value == "催报":
            row[1].value, row[2].value = FORMER_MAIL_SUBJECTS["催报"][0], FORMER_MAIL_BODIES["催报"][0]
    wb.save(workbook(project_dir))
    subject, body = read_project(project_dir)[0].mail_templates["催报"]
    assert "{期限说明}" in subject and "{期限说明}" in body and "截止日期为{截止日期}" not in body
