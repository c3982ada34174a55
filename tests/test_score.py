"""`zonekit score` before anything has been collected: the clerk is told so first, in the terminal and on the
summary, instead of reading "总分0分，不合格" as a verdict."""

from pathlib import Path

import openpyxl
from click.testing import CliRunner

from zonekit import layout
from zonekit.cli import main

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "新绛县"


def test_score__before_any_collect__first_line_and_summary_say_nothing_was_collected(tmp_path):
    root = tmp_path / "新绛创建"
    runner = CliRunner()
    made = runner.invoke(main, ["init", str(root), "--scheme", "2022", "--region", "新绛县", "--province", "山西省",
                                "--units", str(SAMPLES / "单位名单.xlsx")])
    assert made.exit_code == 0, made.output
    assert runner.invoke(main, ["import-plan", str(root), str(SAMPLES / "分解表.xlsx")]).exit_code == 0

    result = runner.invoke(main, ["score", str(root)])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("尚未回收：还没有运行过 zonekit collect，还没有收到任何单位交回的填报表")
    assert "不代表实际水平" in first
    overview = openpyxl.load_workbook(root / layout.OUTPUT_DIR / layout.SUMMARY)[layout.SHEET_OVERVIEW]
    assert overview["A3"].value == first  # above the verdict

    assert runner.invoke(main, ["collect", str(root)]).exit_code == 0
    again = runner.invoke(main, ["score", str(root), "--json"])
    assert again.exit_code == 0
    assert '"notice": "尚未回收：还没有收到任何单位交回的填报表' in again.output  # collected, still nothing in
