"""`zonekit status`: answered from the ledger's snapshot of the last collect while 工作台.xlsx is unchanged, without
loading any workbook library; computed from the project workbook once it has changed."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import openpyxl
from click.testing import CliRunner

from tests.returns_corpus import completed, when
from zonekit import layout
from zonekit.cli import main
from zonekit.collect import collect
from zonekit.states import project_status, snapshot_status
from zonekit.workbench import load_project

MARKET, COMMERCE = "县市场监管局", "县商务局"
DEADLINE = date(2024, 6, 30)


def collected(tmp_path):
    """A project on disk (deadline 30 June 2024) whose two units have work; 县市场监管局 returned, collected."""
    from zonekit.project import Assignment, Unit
    from zonekit.workbench import create_project, write_assignments

    root = tmp_path / "项目"
    create_project(root, "2022", "新绛县", "山西省", [2023, 2024], deadline=DEADLINE,
                   units=[Unit(MARKET, contact="王芳"), Unit(COMMERCE)])
    write_assignments(root, [Assignment("3", [MARKET], [COMMERCE]), Assignment("10", [COMMERCE])])
    project = load_project(root)
    project.returned.mkdir(parents=True, exist_ok=True)
    (project.returned / "监管.xlsx").write_bytes(completed(project, MARKET, saved=when(10)))
    collect(project, today=date(2024, 6, 25))
    return root


def test_status__after_collect__no_workbook_library_imported(tmp_path):
    root = collected(tmp_path)
    code = ("import sys, json; from zonekit.states import project_status, status_json; "
            f"rows = status_json(project_status({str(root)!r})); "
            "print(json.dumps([[r['unit'], r['state']] for r in rows], ensure_ascii=False)); "
            "print(sorted(m for m in ('openpyxl', 'python_calamine', 'xlsxwriter', 'yaml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert json.loads(out[0]) == [[MARKET, layout.STATE_REPORTED], [COMMERCE, layout.STATE_LATE]]  # today: past
    assert out[1] == "[]"


def test_status__workbook_changed_after_collect__read_from_the_workbook(tmp_path):
    root = collected(tmp_path)
    assert snapshot_status(root) is not None
    path = root / layout.PROJECT_WORKBOOK
    wb = openpyxl.load_workbook(path)
    wb[layout.SHEET_UNITS].append(["县统计局"])  # a unit added after the collect, then given a task
    wb.save(path)
    from zonekit.project import Assignment
    from zonekit.workbench import write_assignments

    write_assignments(root, [Assignment("1", ["县统计局"])])
    assert snapshot_status(root) is None
    states = {s.unit: s.state for s in project_status(root, today=date(2024, 6, 25))}
    assert states == {MARKET: layout.STATE_REPORTED, COMMERCE: layout.STATE_MISSING, "县统计局": layout.STATE_MISSING}


def test_status__deadline_passed_since_the_collect__missing_units_late(tmp_path):
    root = collected(tmp_path)
    states = {s.unit: s.state for s in snapshot_status(root, today=date(2024, 7, 1))}
    assert states == {MARKET: layout.STATE_REPORTED, COMMERCE: layout.STATE_LATE}


def test_cli_status__same_table_from_the_snapshot_and_from_the_workbook(tmp_path, monkeypatch):
    root = collected(tmp_path)
    quick = CliRunner().invoke(main, ["status", str(root)])
    import zonekit.states as states

    monkeypatch.setattr(states, "snapshot_status", lambda *a, **k: None)  # as if 工作台.xlsx had changed
    slow = CliRunner().invoke(main, ["status", str(root)])
    assert quick.exit_code == slow.exit_code == 0 and quick.output == slow.output
    assert "共2个单位：已报1个" in quick.output
