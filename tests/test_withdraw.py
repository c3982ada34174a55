"""Withdrawing a wrong return (`zonekit withdraw`), through the CLI as a clerk runs it: a stray or wrong newer version
stops counting (its unit's earlier values win again, the score moves back) even while the file is still in 2-回收,
回收登记 lists it as 撤回 with the reason and the date, --undo brings it back; a file deleted from 2-回收 still
counts and collect says how to withdraw it; an unknown file is answered with the closest ones on record."""

from __future__ import annotations

import json
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner

from tests.returns_corpus import completed, when
from tests.test_evidence import disk_project
from zonekit import layout
from zonekit.cli import main

MARKET = "县市场监管局"
DRAFT, WRONG = "监管-初稿.xlsx", "监管-修改稿.xlsx"


def run(*args, code=0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result.output


def total(root) -> str:
    return json.loads(run("score", root, "--json"))["total"]


def files(root) -> dict[str, tuple]:
    """回收登记's 回收文件 rows by file: (unit, status, reason)."""
    ws = openpyxl.load_workbook(root / layout.OUTPUT_DIR / layout.INTAKE_LOG)[layout.SHEET_INTAKE_FILES]
    return {r[0]: r[1:4] for r in ws.iter_rows(min_row=2, values_only=True)}


def state(root, unit=MARKET) -> str:
    return {s["unit"]: s["state"] for s in json.loads(run("status", root, "--json"))}[unit]


@pytest.fixture(name="two_versions")
def two_versions_fixture(tmp_path, monkeypatch):
    """A project whose market bureau sent a draft, then a newer file with other figures; the totals of each."""
    root = tmp_path / "项目"
    project = disk_project(root)
    monkeypatch.chdir(tmp_path)
    returned = project.returned
    (returned / DRAFT).write_bytes(completed(project, MARKET, saved=when(10)))
    run("collect", "项目")
    first = total("项目")
    (returned / WRONG).write_bytes(completed(project, MARKET, seed=1, saved=when(12)))
    run("collect", "项目")
    second = total("项目")
    assert first != second
    return root, first, second


def test_cli_withdraw__wrong_newer_version__earlier_values_win_again_and_undo_restores(two_versions):
    root, first, second = two_versions
    wrong = f"{layout.RETURNED_DIR}/{WRONG}"
    out = run("withdraw", "项目", wrong, "--reason", "单位来函：修改稿数字有误，以初稿为准")
    assert f"已撤回「{MARKET}」的 {wrong}" in out and f"{second} → {first}分" in out
    assert f"现以 {layout.RETURNED_DIR}/{DRAFT} 为最新一份" in out and "--undo" in out
    assert total("项目") == first and state("项目") == layout.STATE_REPORTED
    unit, status, reason = files(root)[wrong]
    assert (unit, status) == (MARKET, layout.STATUS_WITHDRAWN)
    assert f"创建办于 {date.today().isoformat()} 撤回：单位来函：修改稿数字有误，以初稿为准" in reason
    assert files(root)[f"{layout.RETURNED_DIR}/{DRAFT}"][1] == layout.STATUS_ADOPTED

    again = run("collect", "项目")  # the file is still in 2-回收: it stays out
    assert "撤回1个" in again and total("项目") == first
    assert files(root)[wrong][1] == layout.STATUS_WITHDRAWN

    back = run("withdraw", "项目", WRONG, "--undo")  # the file name alone is enough
    assert "已恢复" in back and f"{first} → {second}分" in back
    assert total("项目") == second and files(root)[wrong][1] == layout.STATUS_ADOPTED


def test_cli_withdraw__unknown_file_no_reason_or_not_withdrawn__chinese_message_with_the_closest(two_versions):
    root, first, _ = two_versions
    unknown = run("withdraw", "项目", "监管-修稿.xlsx", "--reason", "误放", code=1)
    assert "本轮（「第1轮」）收到的文件中没有「监管-修稿.xlsx」" in unknown
    assert unknown.index(f"{layout.RETURNED_DIR}/{WRONG}") < unknown.index(f"{layout.RETURNED_DIR}/{DRAFT}")
    assert "--reason" in run("withdraw", "项目", WRONG, code=1)
    assert "没有撤回过" in run("withdraw", "项目", WRONG, "--undo", code=1)
    assert total("项目") != first  # nothing changed


def test_cli_collect__newer_file_deleted_from_the_folder__still_counts_and_says_how_to_withdraw(two_versions):
    root, first, second = two_versions
    (root / layout.RETURNED_DIR / WRONG).unlink()
    out = run("collect", "项目")
    assert f"仍按收到时的内容计入" in out and "zonekit withdraw" in out and total("项目") == second
    assert "zonekit withdraw" in files(root)[f"{layout.RETURNED_DIR}/{WRONG}"][2]
    run("withdraw", "项目", str(root / layout.RETURNED_DIR / WRONG), "--reason", "单位来函：作废")  # a path
    assert total("项目") == first and files(root)[f"{layout.RETURNED_DIR}/{WRONG}"][1] == layout.STATUS_WITHDRAWN


def test_cli__withdraw__has_help_with_example():
    out = run("withdraw", "--help")
    assert "示例：zonekit withdraw" in out and "--undo" in out and "--reason" in out
