"""`zonekit demo`: the whole path on a fresh folder prints a verdict and leaves a summary LibreOffice can open."""

import json
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from zonekit import layout
from zonekit.cli import main
from zonekit.workbench import load_project


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "示范县演示"
    result = CliRunner().invoke(main, ["demo", str(root)])
    return root, result


def test_demo__fresh_folder__prints_the_verdict_and_the_summary_path(demo):
    root, result = demo
    assert result.exit_code == 0, result.output
    summary = root / layout.OUTPUT_DIR / layout.SUMMARY
    assert "示范县：总分84.5分（合格线85分），不合格" in result.output
    assert f"评分汇总表：{summary}" in result.output
    assert summary.is_file()


def test_demo__story__late_conflict_bad_value_and_duplicate_show_up_in_the_summary(demo):
    root, _ = demo
    wb = openpyxl.load_workbook(root / layout.OUTPUT_DIR / layout.SUMMARY, data_only=True)
    codes = [row[1] for row in wb[layout.SHEET_ISSUES].iter_rows(min_row=2, values_only=True)]
    assert {"R106", "R402", "R404", "R403"} <= set(codes)  # bad value, conflict, late, missing
    register = openpyxl.load_workbook(root / layout.OUTPUT_DIR / layout.INTAKE_LOG)[layout.SHEET_INTAKE_FILES]
    status = {row[0]: row[2] for row in register.iter_rows(min_row=2, values_only=True)}
    assert status[f"{layout.RETURNED_DIR}/16-县统计局-填报表（初稿）.xlsx"] == layout.STATUS_SUPERSEDED  # duplicate
    states = {row[0]: row[1] for row in wb[layout.SHEET_PROGRESS].iter_rows(min_row=2, values_only=True)}
    assert states["新绛县邮政分公司"] == layout.STATE_LATE and states["县人社局"] == layout.STATE_REPORTED
    scores = wb[layout.SHEET_SCORES]
    flags = {row[2]: row[13] for row in scores.iter_rows(min_row=2, values_only=True)}
    assert layout.FLAG_CONFLICT in flags["3"] and layout.FLAG_VERIFIED in flags["16"]
    assert len(list((root / layout.OUTPUT_DIR / layout.FEEDBACK_DIR).glob("*.xlsx"))) > 10


def test_demo__json_score_of_the_demo__exit_0_although_not_qualified(demo):
    root, _ = demo
    result = CliRunner().invoke(main, ["score", str(root), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["verdict"] == "不合格" and data["recovery"] == ["5", "10"]


def test_demo__again_in_its_own_folder__replaced(demo, tmp_path):
    root = tmp_path / "again"
    assert CliRunner().invoke(main, ["demo", str(root)]).exit_code == 0
    (root / "旧文件.txt").write_text("x", encoding="utf-8")
    again = CliRunner().invoke(main, ["demo", str(root)])
    assert again.exit_code == 0 and not (root / "旧文件.txt").exists()


def test_demo__folder_with_other_files__refused_untouched(tmp_path):
    (tmp_path / "重要.xlsx").write_bytes(b"keep")
    result = CliRunner().invoke(main, ["demo", str(tmp_path)])
    assert result.exit_code == 1 and "不是 zonekit demo 创建的" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["重要.xlsx"]


@pytest.mark.office
def test_demo__summary__converts_to_pdf_and_recalculates_to_the_python_values(demo, tmp_path):
    from zonekit.office import convert, recalculate

    root, _ = demo
    summary = root / layout.OUTPUT_DIR / layout.SUMMARY
    pdf = convert(summary, "pdf", tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    again = recalculate(summary, tmp_path / "recalc" / "again.xlsx")
    cached = openpyxl.load_workbook(summary, data_only=True)[layout.SHEET_OVERVIEW]
    computed = openpyxl.load_workbook(again, data_only=True)[layout.SHEET_OVERVIEW]
    formulas = openpyxl.load_workbook(summary)[layout.SHEET_OVERVIEW]
    cells = [c.coordinate for row in formulas.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("=")]
    for ref in cells:
        a, b = cached[ref].value, computed[ref].value
        assert (abs(a - b) < 1e-9) if isinstance(a, (int, float)) else (a or None) == (b or None), ref


def test_demo__then_every_command_the_demo_suggests__exit_0(demo, tmp_path):
    """A new user runs what the demo prints next: drafts, reminders, status, score and check all work."""
    import shutil

    from zonekit.mail import format_date

    original, result = demo
    root = tmp_path / "演示副本"
    shutil.copytree(original, root)
    suggested = [line.split("#")[0].split()[1:] for line in result.output.splitlines()
                 if line.strip().startswith("zonekit ")]
    assert [args[0] for args in suggested] == ["mail", "status", "remind", "score", "check"]
    runner = CliRunner()
    for args in suggested:
        args = [str(root / Path(a).relative_to(original)) if a.startswith(str(original)) else a for a in args]
        run = runner.invoke(main, args)
        assert run.exit_code == 0, (args, run.output)
        if args[0] == "score":
            assert run.output.startswith("示范县：总分84.5分")  # collected: no "尚未回收" notice first
    drafts = root / layout.OUTGOING_DIR / layout.DRAFTS_DIR
    assert len(list(drafts.glob("下发-*.eml"))) == 23
    reminder = (drafts / "催报-人行新绛支行.eml").read_bytes()
    from email import policy
    from email.parser import BytesParser

    message = BytesParser(policy=policy.default).parsebytes(reminder)
    deadline = load_project(root).deadline
    assert deadline == date.today() - timedelta(days=3)  # the demo's dates move with today
    assert f"截止日期{format_date(deadline)}已过，已逾期3天" in message["Subject"]
    assert "已逾期3天" in message.get_body().get_content()


def test_demo__collect_with_output_redirected__no_progress_label_in_the_text(demo, tmp_path):
    """Out of a console (a log file, a pipe) collect writes no progress bar: click would write its label without
    an end of line, glued to what comes next."""
    import shutil

    original, _ = demo
    root = tmp_path / "演示副本"
    shutil.copytree(original, root)
    for path in (root / ".zonekit").glob("ledger.sqlite3*"):
        path.unlink()  # every return is read again: more than 20, where a console shows the bar
    run = CliRunner().invoke(main, ["collect", str(root)])
    assert run.exit_code == 1, run.output  # 县税务局's refused return is still an error
    assert "读取回收文件" not in run.output and "读取回收文件" not in run.stderr
    assert run.output.startswith("状态") and "文件：采用19个，已被替代1个，退回1个，跳过0个。" in run.output
