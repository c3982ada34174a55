"""评分汇总表.xlsx: the numbers a leader reads match the scoring API, and LibreOffice recalculates them the same."""

from datetime import datetime
from fractions import Fraction as F
from pathlib import Path

import json

import openpyxl
import pytest

from zonekit import layout
from zonekit.answers import ListEntry
from zonekit.issues import issue
from zonekit.project import Verification
from zonekit.scheme import load_scheme
from zonekit.scoring import score
from zonekit.summary import CollectInfo, Contribution, Evidence, UnitProgress, write_summary
from zonekit.verify import apply_verifications
from tests.scheme_answers import best_2022, pct

WHEN = datetime(2024, 7, 1, 9, 30)


# ---------------------------------------------------------------- the three cases


def qualifying_answers(scheme):
    """98.5 points: 3 in the 8–15% band (12.3%), 10 self-assessed 1.5 of 2."""
    answers = best_2022(scheme)
    answers.values[("online_traders", None)] = F(1230)
    answers.judged["10"] = F("1.5")
    return answers


def answers_96(scheme):
    """96 points, 综合保障 11/15 = 73.3% < 75%: 35 self-assessed 1 of 2, 36.1–36.3 否."""
    answers = best_2022(scheme)
    answers.judged["35"] = F(1)
    for key in ("36.1", "36.2", "36.3"):
        answers.claims[key] = False
    return answers


def answers_85(scheme):
    """Exactly 85, with 促进发展 and 优化服务 at exactly 75%."""
    answers = best_2022(scheme)
    answers.judged["10"] = F(0)
    answers.values[("online_retail_growth", 2024)] = pct("10")
    answers.values[("online_traders", None)] = F(1200)
    answers.lists["new_large_traders"] = [ListEntry("甲电商公司", F(12000))]
    for key in ("20.1", "20.2", "20.3", "24.1", "24.2", "28.1", "28.2", "28.3"):
        answers.claims[key] = False
    answers.judged["35"] = F(0)
    return answers


CASES = {"qualifying": (qualifying_answers, F("98.5"), True), "96": (answers_96, F(96), False),
         "85": (answers_85, F(85), True)}


def summarize(path: Path, project, answers, overrides=None, **info):
    result = score(project.scheme, answers, project.years, project.region_class, overrides)
    summary = write_summary(path, project, result, overrides or {}, CollectInfo(answers=answers, **info), [],
                            generated=WHEN)
    return result, summary


def overview_rows(path: Path) -> dict[str, tuple]:
    """总览 rows by their label in column A (first occurrence), values as cached in the file."""
    ws = openpyxl.load_workbook(path, data_only=True)[layout.SHEET_OVERVIEW]
    rows = {}
    for row in ws.iter_rows(min_col=1, max_col=7, values_only=True):
        if row[0] and row[0] not in rows:
            rows[row[0]] = row
    return rows


def reason_texts(path: Path) -> list[str]:
    """The lines of the 原因 cell (one for the total, one per failing first-level indicator); [] when it qualifies."""
    rows = overview_rows(path)
    return [] if rows["结论"][1] == "合格" else rows["原因"][1].split("\n")


def assert_overview_matches(path: Path, result) -> None:
    a = result.assessment
    rows = overview_rows(path)
    for lv in a.levels:
        name, got, points, rate, bar, ok, need = rows[lv.name]
        assert got == pytest.approx(float(lv.score), abs=1e-12)
        assert points == float(lv.points)
        assert rate == pytest.approx(float(lv.rate), abs=1e-12)
        assert bar == float(lv.threshold)
        assert ok == ("达标" if lv.passed else "未达标")
        assert need == pytest.approx(float(lv.needed), abs=1e-12)
    _, total, total_points, _, total_min, ok, need = rows["总分"]
    assert (total, total_points, total_min) == (float(a.total), float(a.total_points), float(a.total_min))
    assert ok == ("达标" if a.total >= a.total_min else "未达标")
    assert need == float(a.total_needed)
    assert rows["结论"][1] == a.verdict
    assert reason_texts(path) == a.reasons


@pytest.mark.parametrize("case", CASES)
def test_summary__scoring_case__overview_cached_values_match_api(tmp_path, make_project, s2022, case):
    build, total, qualified = CASES[case]
    project = make_project(tmp_path)
    path = tmp_path / layout.SUMMARY
    result, _ = summarize(path, project, build(s2022))
    assert result.total == total and result.qualified is qualified
    assert_overview_matches(path, result)


def test_summary__96_points__verdict_and_reason_for_the_failing_level(tmp_path, make_project, s2022):
    project = make_project(tmp_path)
    path = tmp_path / layout.SUMMARY
    summarize(path, project, answers_96(s2022))
    rows = overview_rows(path)
    assert rows["结论"][1] == "不合格"
    assert rows["综合保障"][5] == "未达标" and rows["综合保障"][6] == 0.25
    assert reason_texts(path) == ["一级指标「综合保障」得分11/15分，得分率73.3%，低于75%，还需至少0.25分"]
    assert "指标35" in rows["最少补分"][1]


def test_summary__exactly_85__total_passes_at_the_line(tmp_path, make_project, s2022):
    project = make_project(tmp_path)
    path = tmp_path / layout.SUMMARY
    summarize(path, project, answers_85(s2022))
    rows = overview_rows(path)
    assert rows["总分"][1:7] == (85, 100, 0.85, 85, "达标", 0)
    assert rows["促进发展"][3] == 0.75 and rows["促进发展"][5] == "达标"
    assert rows["结论"][1] == "合格"
    assert reason_texts(path) == []


def score_sheet(path: Path, data_only=True):
    return openpyxl.load_workbook(path, data_only=data_only)[layout.SHEET_SCORES]


def score_row(ws, number: str) -> dict:
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[headers.index("编号")] == number:
            return dict(zip(headers, row))
    raise KeyError(number)


def test_summary__indicator_sheet__numbers_as_numbers_and_effective_formula(tmp_path, make_project, s2022):
    project = make_project(tmp_path)
    path = tmp_path / layout.SUMMARY
    result, _ = summarize(path, project, qualifying_answers(s2022))
    ws = score_sheet(path)
    assert ws.max_row == 1 + len(s2022.indicators)
    row3 = score_row(ws, "3")
    assert (row3["分值"], row3["计算/自评得分"], row3["有效得分"], row3["失分"]) == (2, 1, 1, 1)
    assert row3["一级指标"] == "促进发展" and row3["二级指标"] == "发展规模"
    assert "12.3%" in row3["计分过程"]
    assert row3["牵头单位"] == "县市场监管局" and row3["责任单位"] == "县统计局"
    formulas = score_sheet(path, data_only=False)
    effective = formulas.cell(row=4, column=layout.SCORE_COLUMNS.index(layout.SCORE_EFFECTIVE) + 1).value
    assert effective.startswith("=IF(AND(ISNUMBER(G4)")
    assert formulas.freeze_panes == "E2" and formulas.auto_filter.ref


def test_summary__missing_input__flagged_缺报(tmp_path, make_project, s2022):
    project = make_project(tmp_path)
    answers = best_2022(s2022)
    del answers.values[("market_entities", None)]
    path = tmp_path / layout.SUMMARY
    summarize(path, project, answers)
    assert layout.FLAG_MISSING in score_row(score_sheet(path), "3")["标记"]


def test_summary__gap_sheet__most_recoverable_first_with_recovery_marked(tmp_path, make_project, s2022):
    project = make_project(tmp_path)
    path = tmp_path / layout.SUMMARY
    summarize(path, project, answers_96(s2022))
    ws = openpyxl.load_workbook(path, data_only=True)[layout.SHEET_GAPS]
    assert "指标35" in ws["A2"].value
    headers = [c.value for c in ws[3]]
    rows = [dict(zip(headers, r)) for r in ws.iter_rows(min_row=4, values_only=True)]
    assert [r["编号"] for r in rows] == ["36", "35"]
    assert [r["可挽回分"] for r in rows] == [3, 1]
    assert rows[1]["最少补分方案"] == "★" and not rows[0]["最少补分方案"]
    assert "36.1" in rows[0]["如何得分"] and "自评否" in rows[0]["如何得分"]


def test_summary__intake_details__progress_answers_evidence_and_issues(tmp_path, make_project, s2022):
    project = make_project(tmp_path)
    path = tmp_path / layout.OUTPUT_DIR / layout.SUMMARY
    picture = tmp_path / layout.OUTPUT_DIR / layout.EVIDENCE_DIR / "县市场监管局" / "11" / "指标填报-J12.png"
    units = [UnitProgress("县市场监管局", "已报", True, ["01-县市场监管局-填报表.xlsx"], "2024-06-28 10:00"),
             UnitProgress("县商务局", "未报")]
    given = [Contribution("3", "数据", "online_traders", "网络交易经营者数量", F(1230), "县市场监管局", unit="户",
                          file="01-县市场监管局-填报表.xlsx", cell="数据填报!G5"),
             Contribution("3", "数据", "market_entities", "市场主体数量", "=1+1", "县统计局", status="冲突")]
    problems = [issue("V002", file=layout.PROJECT_WORKBOOK, sheet=layout.SHEET_VERIFY, cell="D3", row=3, number="3",
                      score="5", points="2", value="5")]
    result = score(s2022, qualifying_answers(s2022), project.years, project.region_class)
    write_summary(path, project, result, {}, CollectInfo(qualifying_answers(s2022), units, given,
                                                          [Evidence("11", "县市场监管局", "指标填报-J12.png", picture)],
                                                          {"3"}), problems, generated=WHEN)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(layout.SUMMARY_SHEETS)
    overview = overview_rows(path)
    assert overview["回收情况"][1] == "应回收2个单位，已回收1个，回收率50.0%"
    progress = wb[layout.SHEET_PROGRESS]
    assert [c.value for c in progress["A"][1:]][:2] == ["县市场监管局", "县商务局"]
    assert progress["B3"].value == "未报"
    answers_ws = wb[layout.SHEET_ANSWERS]
    assert answers_ws["F2"].value == 1230 and answers_ws["F3"].value == "=1+1"  # user text stays text
    assert answers_ws["F3"].data_type == "s"
    evidence = wb[layout.SHEET_EVIDENCE]
    assert evidence["F2"].hyperlink.target.replace("\\", "/") == "佐证材料/县市场监管局/11/指标填报-J12.png"
    issues_ws = wb[layout.SHEET_ISSUES]
    assert issues_ws["B2"].value == "V002" and "评分核定" in issues_ws["H2"].value
    assert layout.FLAG_CONFLICT in score_row(score_sheet(path), "3")["标记"]


def test_summary__verified_score__shown_beside_computed_and_counted(tmp_path, make_project, s2022):
    project = make_project(tmp_path, verifications=[Verification("36", F(3), "现场核查机构已健全", "刘洋", "2024-07-01", 2)])
    result0 = score(s2022, answers_96(s2022), project.years, project.region_class)
    overrides, report = apply_verifications(s2022, result0, project.verifications)
    path = tmp_path / layout.SUMMARY
    result, _ = summarize(path, project, answers_96(s2022), overrides)
    assert report.valid and result.total == 99 and result.qualified
    row = score_row(score_sheet(path), "36")
    assert (row["计算/自评得分"], row["核定得分"], row["有效得分"]) == (0, 3, 3)
    assert row["核定理由"].startswith("现场核查机构已健全") and layout.FLAG_VERIFIED in row["标记"]
    assert_overview_matches(path, result)


# ---------------------------------------------------------------- LibreOffice recalculates to the same values


def formula_cells(path: Path, sheet: str) -> list[str]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [c.coordinate for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and c.value.startswith("=")]


def same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) < 1e-9
    return (a or None) == (b or None)


@pytest.mark.office
@pytest.mark.parametrize("case", CASES)
def test_summary__recalculated_in_libreoffice__every_overview_formula_gives_the_python_value(
        tmp_path, make_project, s2022, case):
    from zonekit.office import recalculate

    project = make_project(tmp_path)
    path = tmp_path / layout.SUMMARY
    summarize(path, project, CASES[case][0](s2022))
    again = recalculate(path, tmp_path / "recalc" / "again.xlsx")
    cached = openpyxl.load_workbook(path, data_only=True)
    computed = openpyxl.load_workbook(again, data_only=True)
    for sheet in (layout.SHEET_OVERVIEW, layout.SHEET_SCORES):
        cells = formula_cells(path, sheet)
        assert cells
        wrong = [(c, cached[sheet][c].value, computed[sheet][c].value) for c in cells
                 if not same(cached[sheet][c].value, computed[sheet][c].value)]
        assert not wrong


def losing(scheme, losses: dict[str, F]) -> dict[str, F]:
    """Verified scores that take ``losses`` {first-level indicator: points} off a full score, indicator by indicator."""
    overrides = {}
    for level, loss in losses.items():
        for ind in scheme.indicators_of(level):
            take = min(ind.points, loss)
            if take:
                overrides[ind.number] = ind.points - take
            loss -= take
    return overrides


@pytest.mark.office
def test_summary__a_hair_below_the_lines__texts_keep_their_side_before_and_after_recalculation(
        tmp_path, make_project, s2022):
    from zonekit.office import recalculate

    # 促进发展 14.9999/20 = 74.9995% < 75%; 优化服务 15.9951/20; total 84.995 < 85
    overrides = losing(s2022, {"促进发展": F("5.0001"), "规范监管": F(6), "优化服务": F("4.0049")})
    path = tmp_path / layout.SUMMARY
    result, _ = summarize(path, make_project(tmp_path), best_2022(s2022), overrides)
    assert result.total == F("84.995")
    expected = ["总分84.995分，低于合格线85分，还差0.005分",
                "一级指标「促进发展」得分14.9999/20分，得分率74.9995%，低于75%，还需至少0.0001分"]
    assert result.assessment.reasons == expected
    again = recalculate(path, tmp_path / "recalc" / "again.xlsx")
    for book in (path, again):
        rows = overview_rows(book)
        assert rows["原因"][1].split("\n") == expected
        assert openpyxl.load_workbook(book, data_only=True)[layout.SHEET_OVERVIEW]["D4"].value == \
            "总分84.995分（合格线85分）"
    assert openpyxl.load_workbook(path)[layout.SHEET_OVERVIEW]["D9"].number_format == "0.0000%"  # 促进发展


@pytest.mark.office
def test_summary__clerk_enters_a_verified_score__totals_and_verdict_move(tmp_path, make_project, s2022):
    from zonekit.office import recalculate

    project = make_project(tmp_path)
    path = tmp_path / layout.SUMMARY
    summarize(path, project, answers_96(s2022))
    wb = openpyxl.load_workbook(path)
    ws = wb[layout.SHEET_SCORES]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=3).value == "36")
    ws.cell(row=row, column=layout.SCORE_COLUMNS.index(layout.SCORE_VERIFIED) + 1).value = 3
    wb.save(tmp_path / "edited.xlsx")
    again = recalculate(tmp_path / "edited.xlsx", tmp_path / "recalc" / "edited.xlsx")
    rows = overview_rows(again)
    assert rows["总分"][1] == 99 and rows["综合保障"][1] == 14
    assert rows["结论"][1] == "合格"
    assert reason_texts(again) == []


# ---------------------------------------------------------------- unit feedback


def test_feedback__lead_unit__its_lost_points_open_items_and_issues(tmp_path, make_project, s2022):
    from zonekit.feedback import unit_feedback, write_feedback
    from zonekit.summary import build_summary

    project = make_project(tmp_path)
    answers = best_2022(s2022)
    answers.values[("online_traders", None)] = F(1230)
    del answers.claims["11.3"]
    result = score(s2022, answers, project.years, project.region_class)
    problem = issue("V004", file="x.xlsx", unit="县市场监管局", sheet="指标填报", cell="H9", row=9, number="11",
                    score="1")
    units = [UnitProgress("县市场监管局", "已报", True, ["01-县市场监管局-填报表.xlsx"])]
    summary = build_summary(project, result, {}, CollectInfo(answers, units), [problem], generated=WHEN)
    fb = unit_feedback(summary, "县市场监管局")
    assert [row[0] for row in fb.lost] == ["3", "11"]
    assert fb.lead_lost == 2
    assert any("11.3" in row[2] and "请补报" in row[2] for row in fb.todo)
    assert fb.issues == [problem]
    idle = unit_feedback(summary, "县统计局")
    assert idle.todo[0][2].startswith("尚未收到本单位的填报表")
    paths = write_feedback(summary)
    assert sorted(p.name for p in paths) == sorted(f"{u}-评分反馈.xlsx" for u in
                                                   ("县市场监管局", "县商务局", "县统计局", "县税务局", "县人社局"))
    wb = openpyxl.load_workbook(tmp_path / layout.OUTPUT_DIR / layout.FEEDBACK_DIR / "县市场监管局-评分反馈.xlsx")
    assert wb.sheetnames == [layout.SHEET_FEEDBACK_INFO, layout.SHEET_FEEDBACK_LOST, layout.SHEET_FEEDBACK_TODO,
                             layout.SHEET_ISSUES]
    assert wb[layout.SHEET_FEEDBACK_LOST]["A2"].value == "3" and wb[layout.SHEET_FEEDBACK_LOST]["F2"].value == 1


# ---------------------------------------------------------------- `zonekit score` through the CLI


def new_project(root: Path) -> Path:
    """A project on disk with units and leads but no returns yet (so it scores 0 and does not qualify)."""
    from zonekit.project import Assignment, Unit
    from zonekit.workbench import create_project, write_assignments

    create_project(root, "2022", "新绛县", "山西省", [2023, 2024],
                   units=[Unit("县市场监管局", contact="王芳"), Unit("县商务局")])
    write_assignments(root, [Assignment("3", ["县市场监管局"], ["县商务局"]), Assignment("10", ["县商务局"])])
    return root


def set_verification(root: Path, number: str, score_, reason: str) -> int:
    """Type a verified score into 评分核定 as the office would; returns the row used."""
    path = root / layout.PROJECT_WORKBOOK
    wb = openpyxl.load_workbook(path)
    ws = wb[layout.SHEET_VERIFY]
    row = next(r for r in range(2, ws.max_row + 1) if str(ws.cell(r, 1).value) == number)
    ws.cell(row, 4).value, ws.cell(row, 5).value = score_, reason
    wb.save(path)
    return row


def test_score_cli__json_for_a_region_that_does_not_qualify__exit_0(tmp_path):
    import json

    from click.testing import CliRunner

    from zonekit.cli import main

    root = new_project(tmp_path / "项目")
    result = CliRunner().invoke(main, ["score", str(root), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == "0" and data["verdict"] == "不合格" and data["qualified"] is False
    assert [lv["name"] for lv in data["levels"]] == ["促进发展", "规范监管", "优化服务", "探索创新", "综合保障"]
    assert data["reasons"][0] == "总分0分，低于合格线85分，还差85分"
    assert Path(data["summary"]).name == layout.SUMMARY and Path(data["summary"]).is_file()
    assert overview_rows(Path(data["summary"]))["结论"][1] == "不合格"


def test_score_cli__verified_score_above_points__refused_naming_sheet_and_row__exit_1(tmp_path):
    from click.testing import CliRunner

    from zonekit.cli import main

    root = new_project(tmp_path / "项目")
    row = set_verification(root, "36", 5, "机构健全")
    set_verification(root, "35", 2, "领导小组运行有效")
    result = CliRunner().invoke(main, ["score", str(root)])
    assert result.exit_code == 1
    assert f"评分核定 第{row}行：指标36的核定得分5分超过该指标分值3分" in result.output
    assert "不合格" in result.output and "已核定1项指标" in result.output
    scores = score_sheet(root / layout.OUTPUT_DIR / layout.SUMMARY)
    assert score_row(scores, "35")["核定得分"] == 2 and score_row(scores, "36")["核定得分"] is None
    assert layout.FLAG_REFUSED in score_row(scores, "36")["标记"]


def test_score_cli__verified_score_typed_as_text_and_unknown_number__rows_refused_scoring_goes_on(tmp_path):
    from click.testing import CliRunner

    from zonekit.cli import main

    root = new_project(tmp_path / "项目")
    text_row = set_verification(root, "35", "两分", "领导小组运行有效")
    wb = openpyxl.load_workbook(root / layout.PROJECT_WORKBOOK)
    ws = wb[layout.SHEET_VERIFY]
    extra = ws.max_row + 1
    ws.cell(extra, 1).value, ws.cell(extra, 4).value, ws.cell(extra, 5).value = "42", 1, "多写了一行"
    wb.save(root / layout.PROJECT_WORKBOOK)
    result = CliRunner().invoke(main, ["score", str(root)])
    assert result.exit_code == 1
    assert f"评分核定 第{text_row}行：指标35的核定得分「两分」不是数字" in result.output
    assert f"评分核定 第{extra}行的编号「42」不是指标体系中的三级指标" in result.output
    assert (root / layout.OUTPUT_DIR / layout.SUMMARY).exists()


def test_score_cli__verification_columns_reordered__issue_names_the_real_cell(tmp_path):
    from click.testing import CliRunner

    from zonekit.cli import main

    root = new_project(tmp_path / "项目")
    row = set_verification(root, "36", 5, "机构健全")
    wb = openpyxl.load_workbook(root / layout.PROJECT_WORKBOOK)
    ws = wb[layout.SHEET_VERIFY]
    ws.insert_cols(1)  # the clerk adds a column of their own in front
    ws.cell(1, 1).value = "备注"
    wb.save(root / layout.PROJECT_WORKBOOK)
    result = CliRunner().invoke(main, ["score", str(root), "--json"])
    assert result.exit_code == 1
    refused = [i for i in json.loads(result.output)["issues"] if i["code"] == "V002"]
    assert [(i["sheet"], i["cell"]) for i in refused] == [(layout.SHEET_VERIFY, f"E{row}")]


def test_score_cli__unit_reports__one_feedback_workbook_per_unit(tmp_path):
    from click.testing import CliRunner

    from zonekit.cli import main

    root = new_project(tmp_path / "项目")
    result = CliRunner().invoke(main, ["score", str(root), "--unit-reports"])
    assert result.exit_code == 0, result.output
    folder = root / layout.OUTPUT_DIR / layout.FEEDBACK_DIR
    assert sorted(p.name for p in folder.glob("*.xlsx")) == ["县商务局-评分反馈.xlsx", "县市场监管局-评分反馈.xlsx"]


def test_score_cli__not_a_project__clean_error_exit_1(tmp_path):
    from click.testing import CliRunner

    from zonekit.cli import main

    result = CliRunner().invoke(main, ["score", str(tmp_path)])
    assert result.exit_code == 1 and "错误：" in result.output and "Traceback" not in result.output
