"""自评报告（初稿）.docx: what the office reads back in Word — region, total, verdict, levels, a row per indicator, the
units' progress and evidence — in Word heading styles, A4 with CJK fonts and page numbers; an edited draft is kept."""

from datetime import date, datetime
from fractions import Fraction as F
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.oxml.ns import qn

from zonekit import layout
from zonekit.cli import main
from zonekit.exact import fmt_number, fmt_percent
from zonekit.files import sha256_of
from zonekit.intake import ProgressEntry
from zonekit.project import Phase, Verification
from zonekit.report import build_document, report_facts
from zonekit.scoring import score
from zonekit.summary import CollectInfo, Evidence, UnitProgress, build_summary
from tests.test_summary import answers_96, qualifying_answers as answers_98_5

TODAY = date(2024, 7, 1)
WHEN = datetime(2024, 7, 1, 9, 30)


def write_draft(tmp_path, project, answers, overrides=None, **info):
    """The report of ``project`` scored from ``answers``, saved and opened again as the office would."""
    result = score(project.scheme, answers, project.years, project.region_class, overrides)
    summary = build_summary(project, result, overrides, CollectInfo(answers=answers, **info), [], generated=WHEN)
    document, placeholders = build_document(report_facts(summary, TODAY))
    path = tmp_path / layout.REPORT
    document.save(str(path))
    return docx.Document(str(path)), summary, placeholders


def all_text(document) -> str:
    """Every paragraph and every table cell, in order, one per line."""
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(lines)


def table_after(document, *headers: str):
    """The first table whose header row starts with ``headers``, as lists of cell texts."""
    for table in document.tables:
        rows = [[c.text for c in row.cells] for row in table.rows]
        if rows and rows[0][:len(headers)] == list(headers):
            return rows
    raise KeyError(headers)


def headings(document, level: int) -> list[str]:
    """The paragraphs in Word's built-in heading style of ``level`` (by style id: python-docx's name lookup is slow)."""
    style_id = document.styles[f"Heading {level}"].style_id
    return [p.text for p in document.paragraphs if p._p.style == style_id]


# ---------------------------------------------------------------- content


def test_report__qualifying_region__region_total_verdict_every_level_and_a_row_per_indicator(tmp_path, make_project,
                                                                                              s2022):
    project = make_project(tmp_path)
    document, summary, _ = write_draft(tmp_path, project, answers_98_5(s2022))
    text = all_text(document)
    assert "新绛县" in document.paragraphs[3].text  # the cover's first title line
    assert "新绛县自评总分98.5分（满分100分），结论：合格。" in text
    levels = {row[0]: row for row in table_after(document, "一级指标")}
    for lv in summary.assessment.levels:
        assert levels[lv.name][1:4] == [fmt_number(lv.points), fmt_number(lv.score), fmt_percent(lv.rate)]
        assert levels[lv.name][5] == "达标"
    assert levels["总分"][2] == "98.5"
    rows = table_after(document, "编号")[1:]
    assert [r[0] for r in rows] == [i.number for i in s2022.indicators]
    by_number = {r[0]: r for r in rows}
    assert by_number["3"][2:4] == ["2", "1"] and by_number["3"][4] == "县市场监管局"
    assert by_number["10"][3] == "1.5"
    assert "不合格" not in text and "未合格" not in text


def test_report__region_short_of_a_level__不合格_with_each_reason_and_the_smallest_recovery(tmp_path, make_project,
                                                                                           s2022):
    project = make_project(tmp_path)
    document, summary, _ = write_draft(tmp_path, project, answers_96(s2022))
    text = all_text(document)
    assert "结论：不合格。" in text and "未合格" not in text
    for reason in summary.assessment.reasons:
        assert f"{reason}。" in text
    assert summary.recovery_text() in text
    levels = {row[0]: row for row in table_after(document, "一级指标")}
    assert levels["综合保障"][5] == "未达标" and levels["综合保障"][6] == "0.25"
    gaps = [p.text for p in document.paragraphs if p.text.startswith("1. 指标")]
    assert gaps and "36" in gaps[0] and "自评否" in gaps[0]


def test_report__verified_score__stated_with_the_computed_one_the_reason_and_never_rounded_onto_a_line(
        tmp_path, make_project, s2022):
    project = make_project(tmp_path, verifications=[Verification("10", F("1.995"), "特色产业园尚未挂牌", "刘洋",
                                                                 "2024-07-01", 2)])
    document, _, _ = write_draft(tmp_path, project, answers_98_5(s2022), overrides={"10": F("1.995")})
    text = all_text(document)
    assert "核定得分1.995分（按填报计算1.5分），核定理由：特色产业园尚未挂牌。" in text  # not "2分", its full points
    assert "新绛县自评总分98.995分" in text and "其中1项三级指标的得分经创建办核定" in text


def test_report__units_progress_and_pictures__under_their_indicator_and_in_the_annex(tmp_path, make_project, s2022):
    project = make_project(tmp_path, phases=[Phase("启动阶段", date(2024, 1, 1), date(2024, 9, 30), "制定创建方案")])
    picture = tmp_path / layout.OUTPUT_DIR / layout.EVIDENCE_DIR / "县市场监管局" / "11" / "指标填报-J12.png"
    progress = {"3": [ProgressEntry("3", "县市场监管局", "牵头", "开展网络交易主体专项培育，新增网店320家。",
                                    "培育工作方案", "培育方案.pdf", "部分主体未年报"),
                      ProgressEntry("3", "县统计局", "责任", "按季度提供市场主体数据。")]}
    units = [UnitProgress("县市场监管局", "已报", True), UnitProgress("县商务局", "逾期")]
    document, _, placeholders = write_draft(
        tmp_path, project, answers_98_5(s2022), units=units, progress=progress,
        evidence=[Evidence("11", "县市场监管局", "指标填报-J12.png", picture)])
    unit_rows = table_after(document, "单位", "工作进展")
    assert ["县市场监管局（牵头）", "开展网络交易主体专项培育，新增网店320家。", "培育工作方案；清单：培育方案.pdf",
            "部分主体未年报"] in unit_rows
    assert ["县统计局（责任）", "按季度提供市场主体数据。", "—", "—"] in unit_rows
    annex = table_after(document, "编号", "三级指标", "单位", "佐证材料", "文件位置")
    assert ["3", "网络交易经营者数量占市场主体比重", "县市场监管局", "培育工作方案；清单：培育方案.pdf", "—"] in annex
    assert ["11", s2022.indicator("11").name, "县市场监管局", "指标填报-J12.png",
            "3-输出/佐证材料/县市场监管局/11/指标填报-J12.png"] in annex
    phases = table_after(document, "阶段")
    assert phases[1] == ["启动阶段", "2024年1月1日至2024年9月30日", "制定创建方案"]
    text = all_text(document)
    assert "尚未报送可用填报表的单位：县商务局" in text
    assert "运行 zonekit evidence pack" in text  # the package to hand over with the report
    assert "【请填写：创建工作的主要做法、亮点和成效" in text
    assert placeholders == text.count("【请填写：")


def test_report__layout__heading_styles_a4_cjk_fonts_page_numbers_and_contents_field(tmp_path, make_project, s2022):
    document, _, _ = write_draft(tmp_path, make_project(tmp_path), answers_98_5(s2022))
    assert headings(document, 1) == ["一、创建工作开展情况", "二、自评得分", "三、指标完成情况", "四、存在的问题和差距",
                                     "五、下一步工作", "附件：佐证材料目录"]
    assert headings(document, 2)[:2] == ["（一）组织分工", "（二）阶段安排"]
    assert len(headings(document, 3)) == len(s2022.indicators)
    for section in document.sections:
        assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4, portrait
    fonts = {}
    for name in ("Normal", "Heading 1", "Heading 2"):
        found = document.styles[name].element.rPr.find(qn("w:rFonts"))
        fonts[name] = found.get(qn("w:eastAsia"))
        assert found.get(qn("w:asciiTheme")) is None and found.get(qn("w:eastAsiaTheme")) is None
    assert fonts == {"Normal": "仿宋", "Heading 1": "黑体", "Heading 2": "楷体"}
    body_xml = document.element.body.xml
    assert 'TOC \\o "1-2"' in body_xml
    cover, rest = document.sections
    assert not cover.footer.paragraphs[0].text and not rest.footer.is_linked_to_previous
    assert " PAGE " in rest.footer.paragraphs[0]._p.xml


# ---------------------------------------------------------------- the command on a project folder


@pytest.fixture(scope="module")
def returned_project(tmp_path_factory):
    """A project on disk whose 县市场监管局 has returned its workbook filled in as the demo's clerks do."""
    from zonekit.demo import fill_return
    from zonekit.generate import generate
    from zonekit.project import Assignment, Unit
    from zonekit.workbench import create_project, load_project, write_assignments

    root = tmp_path_factory.mktemp("report") / "新绛创建"
    create_project(root, "2022", "新绛县", "山西省", [2023, 2024],
                   units=[Unit("县市场监管局", contact="王芳"), Unit("县商务局")])
    write_assignments(root, [Assignment("3", ["县市场监管局"], ["县商务局"]), Assignment("10", ["县商务局"])])
    project = load_project(root)
    book = next(b for b in generate(project, force=True).books if b.unit == "县市场监管局")
    project.returned.mkdir(parents=True, exist_ok=True)
    (project.returned / book.path.name).write_bytes(fill_return(project, book.unit, book.path))
    return root


def fresh_copy(source: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(source, tmp_path / source.name))


def test_report_cli__project_with_a_return__draft_written_with_the_units_text(returned_project, tmp_path):
    root = fresh_copy(returned_project, tmp_path)
    result = CliRunner().invoke(main, ["report", str(root)])
    assert result.exit_code == 0, result.output
    path = root / layout.OUTPUT_DIR / layout.REPORT
    assert f"自评报告（初稿）：{path}（新建）" in result.output
    assert "新绛县：总分" in result.output and "不合格" in result.output
    assert (root / layout.OUTPUT_DIR / layout.SUMMARY).is_file()
    text = all_text(docx.Document(str(path)))
    assert "县市场监管局已按创建方案推进指标3相关工作，详见佐证材料。" in text
    assert "尚未报送可用填报表的单位：县商务局" in text


def test_report_cli__unedited_draft__simply_replaced(returned_project, tmp_path):
    root = fresh_copy(returned_project, tmp_path)
    assert CliRunner().invoke(main, ["report", str(root)]).exit_code == 0
    again = CliRunner().invoke(main, ["report", str(root)])
    assert again.exit_code == 0, again.output
    assert "（更新）" in again.output


def test_report_cli__edited_draft__refused_untouched_and_replaced_only_with_force(returned_project, tmp_path):
    root = fresh_copy(returned_project, tmp_path)
    assert CliRunner().invoke(main, ["report", str(root)]).exit_code == 0
    path = root / layout.OUTPUT_DIR / layout.REPORT
    edited = docx.Document(str(path))
    edited.add_paragraph("领导批示：请各单位对照差距抓紧整改。")
    edited.save(str(path))
    before = path.read_bytes()
    summary = root / layout.OUTPUT_DIR / layout.SUMMARY
    summary_time = summary.stat().st_mtime_ns

    refused = CliRunner().invoke(main, ["report", str(root)])
    assert refused.exit_code == 1
    assert refused.output.count("错误：") == 1 and "已被修改" in refused.output
    assert "改名" in refused.output and f"zonekit report {root} --force" in refused.output
    assert path.read_bytes() == before and summary.stat().st_mtime_ns == summary_time

    forced = CliRunner().invoke(main, ["report", str(root), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "（覆盖（--force））" in forced.output
    assert "领导批示" not in all_text(docx.Document(str(path)))
    assert CliRunner().invoke(main, ["report", str(root)]).exit_code == 0  # zonekit's own draft again


def test_report_cli__draft_open_in_word__one_message_and_nothing_changed(returned_project, tmp_path):
    root = fresh_copy(returned_project, tmp_path)
    assert CliRunner().invoke(main, ["report", str(root)]).exit_code == 0
    output = root / layout.OUTPUT_DIR
    path = output / layout.REPORT
    (output / f"~${layout.REPORT[2:]}").write_bytes(b"owner")  # what Word keeps beside an open document
    before, summary_time = sha256_of(path), (output / layout.SUMMARY).stat().st_mtime_ns
    result = CliRunner().invoke(main, ["report", str(root)])
    assert result.exit_code == 1
    assert result.output.count("错误：") == 1 and "正在" in result.output and "没有改动" in result.output
    assert sha256_of(path) == before and (output / layout.SUMMARY).stat().st_mtime_ns == summary_time


def test_report_cli__help__chinese_with_an_example():
    result = CliRunner().invoke(main, ["report", "--help"])
    assert result.exit_code == 0 and "自评报告" in result.output and "示例：zonekit report" in result.output


@pytest.mark.office
def test_report__libreoffice_writer__converts_to_pdf_with_the_region(returned_project, tmp_path):
    import re
    import shutil
    import subprocess

    from zonekit.demo import fill_return
    from zonekit.errors import WorkbookError
    from zonekit.office import convert_many
    from zonekit.workbench import load_project

    root = fresh_copy(returned_project, tmp_path)
    project = load_project(root)  # 县商务局 returns too: every unit in, the widest completeness figure (100.0%)
    blank = next(project.outgoing.glob("*-县商务局-填报表.xlsx"))
    (project.returned / blank.name).write_bytes(fill_return(project, "县商务局", blank))
    assert CliRunner().invoke(main, ["report", str(root)]).exit_code == 0
    probe = tmp_path / "probe.docx"
    docx.Document().save(str(probe))  # an empty document: if even this fails, Writer is not installed
    try:
        convert_many([probe, root / layout.OUTPUT_DIR / layout.REPORT], "pdf", tmp_path / "pdf")
    except WorkbookError as exc:
        if "probe.docx" in str(exc):
            pytest.skip("LibreOffice Writer 未安装（只有 Calc）")
        raise
    pdf = tmp_path / "pdf" / f"{Path(layout.REPORT).stem}.pdf"
    assert pdf.stat().st_size > 10_000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "新绛县" in text and "自评报告" in text and "二、自评得分" in text
        assert re.search(r"—\s*1\s*—", text)  # the page number under the contents page
        rounds = next(t for t in docx.Document(str(root / layout.OUTPUT_DIR / layout.REPORT)).tables
                      if t.rows[0].cells[0].text == "轮次")
        shown = [c.text for r in rounds.rows[1:] for c in r.cells]
        assert "100.0%" in shown  # every unit in: the widest 回收率
        assert [c for c in shown if c not in text.splitlines()] == []  # no figure broken over two lines
