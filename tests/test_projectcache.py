"""What 工作台.xlsx held, remembered in the project's .zonekit folder once a command that read it succeeded:
`zonekit score` after `zonekit collect` does not open the workbook again, and gives what reading it would give;
any edit of the workbook or of the scheme file, a damaged or foreign copy, and the workbook is read again."""

from __future__ import annotations

import dataclasses
import shutil
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from zonekit import layout, projectcache
from zonekit.cli import main
from zonekit.project import Assignment, Unit
from zonekit.scheme import load_scheme
from zonekit.workbench import create_project, read_project, write_assignments

UNITS = [Unit("县市场监管局", ["新绛县市场监督管理局"]), Unit("县商务局"), Unit("县统计局")]


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    create_project(root, "2022", "新绛县", "山西省", [2024, 2025], units=UNITS)
    write_assignments(root, {"3": Assignment("3", ["县商务局"], ["县统计局"]), "9": Assignment("9", ["县统计局"])})
    wb = openpyxl.load_workbook(root / layout.PROJECT_WORKBOOK)
    ws = wb[layout.SHEET_NATIONAL]
    rows = {r[0].value: r[0].row for r in ws.iter_rows(min_row=2)}
    ws[f"D{rows['national_online_retail_growth@2024']}"] = 0.152  # a rate in a % cell
    ws[f"D{rows['national_online_retail_growth@2025']}"] = "15%"
    wb.save(root / layout.PROJECT_WORKBOOK)
    return root


@pytest.fixture
def opened(monkeypatch) -> list:
    """Every time openpyxl opens a workbook."""
    seen = []
    load = openpyxl.load_workbook

    def counting(*args, **kwargs):
        seen.append(args[0])
        return load(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", counting)
    return seen


def remembered(root):
    """read_project(remember=True) as a command that succeeds: what was read is kept."""
    project, report = read_project(root, remember=True)
    projectcache.keep(project)
    return project, report


def same(a, b) -> bool:
    return all(getattr(a, f.name) == getattr(b, f.name) for f in dataclasses.fields(a))


def test_read_project__remembered__second_read_opens_no_workbook_and_gives_the_same(project_dir, opened):
    plain, plain_report = read_project(project_dir)
    read_project(project_dir, remember=True)
    assert len(opened) == 2 and not projectcache.cache_path(project_dir).exists()  # nothing kept yet
    remembered(project_dir)
    assert len(opened) == 3 and projectcache.cache_path(project_dir).is_file()
    project, report = read_project(project_dir, remember=True)
    assert len(opened) == 3  # not opened again
    assert same(project, plain) and project.scheme is plain.scheme
    assert project.national[("national_online_retail_growth", 2024)] == Fraction(19, 125)
    assert project.national[("national_online_retail_growth", 2025)] == Fraction(3, 20)
    assert report.issues == plain_report.issues and "P015" in report.codes()  # the warnings with it


def test_read_project__workbook_changed__read_again(project_dir, opened):
    remembered(project_dir)
    write_assignments(project_dir, {"16": Assignment("16", ["县市场监管局"])})
    project, _ = remembered(project_dir)
    assert project.assignments["16"].leads == ["县市场监管局"] and len(opened) == 3


def test_read_project__office_scheme_file_edited__read_again(tmp_path, opened):
    own = tmp_path / "本省指标体系.yaml"
    own.write_text(Path(load_scheme("2022").path).read_text(encoding="utf-8").replace('name: "2022"', 'name: 本省'),
                   encoding="utf-8")
    create_project(tmp_path / "p", str(own), "新绛县", "山西省", [2024, 2025], units=UNITS)
    kept = tmp_path / "p" / own.name
    opened.clear()
    remembered(tmp_path / "p")
    remembered(tmp_path / "p")
    assert len(opened) == 1
    kept.write_text(kept.read_text(encoding="utf-8").replace("name: 本省", "name: 本省修订"), encoding="utf-8")
    project, _ = remembered(tmp_path / "p")
    assert project.scheme.name == "本省修订" and len(opened) == 2


def test_read_project__damaged_or_copied_memory__read_again_never_wrong(project_dir, tmp_path, opened):
    plain, _ = read_project(project_dir)
    remembered(project_dir)
    projectcache.cache_path(project_dir).write_text("{不是 JSON", encoding="utf-8")
    assert same(remembered(project_dir)[0], plain) and len(opened) == 3
    copy = tmp_path / "副本"
    shutil.copytree(project_dir, copy)  # the folder copied, memory and all: its own project, read from its folder
    project, _ = remembered(copy)
    assert project.root == copy and len(opened) == 4


def test_score__after_collect__does_not_open_the_project_workbook(project_dir, opened):
    runner = CliRunner()
    assert runner.invoke(main, ["collect", str(project_dir)]).exit_code == 0
    before = len(opened)
    result = runner.invoke(main, ["score", str(project_dir)])
    assert result.exit_code == 0, result.output
    assert len(opened) == before and (project_dir / layout.OUTPUT_DIR / layout.SUMMARY).is_file()
