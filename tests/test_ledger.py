"""The project's ledger: incremental collect (known files are not opened again), files kept on record when they
are moved or deleted, one transaction per run (outputs first), and score reading the ledger instead of the files."""

from __future__ import annotations

import os
import sqlite3
from datetime import date

import pytest
from python_calamine import CalamineWorkbook

from tests.conftest import ASSIGNMENTS_2022, make_project
from tests.returns_corpus import completed, when
from zonekit import layout
from zonekit.collect import collect, from_ledger, has_collected, unit_status
from zonekit.errors import OutputError
from zonekit.ledger import Ledger, ledger_path

MARKET, COMMERCE, STATS = "县市场监管局", "县商务局", "县统计局"
TODAY = date(2024, 6, 25)


@pytest.fixture
def project(tmp_path):
    project = make_project(tmp_path, assignments=ASSIGNMENTS_2022)
    project.returned.mkdir(parents=True)
    (project.returned / "商务.xlsx").write_bytes(completed(project, COMMERCE, saved=when(10)))
    (project.returned / "监管.xlsx").write_bytes(completed(project, MARKET, saved=when(11)))
    return project


@pytest.fixture
def forbid_reading(monkeypatch):
    """Call it to make opening any returned file from then on fail the test."""
    import zonekit.collect as collecting

    def refuse(*args, **kwargs):
        raise AssertionError("a returned file was opened")

    def forbid():
        monkeypatch.setattr(collecting, "read_path", refuse)
        monkeypatch.setattr(collecting, "read_return", refuse)

    return forbid


def files_sheet(result) -> dict[str, dict]:
    rows = CalamineWorkbook.from_path(str(result.intake_log)).get_sheet_by_name(
        layout.SHEET_INTAKE_FILES).to_python()
    return {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}


def states(result) -> dict[str, str]:
    return {s.unit: s.state for s in result.units}


# ---------------------------------------------------------------- incremental


def test_collect__unchanged_folder__no_file_opened_and_same_result(project, forbid_reading):
    first = collect(project, today=TODAY)
    assert first.opened == 2 and has_collected(project)
    forbid_reading()
    second = collect(project, today=TODAY)
    assert second.opened == 0
    assert second.answers == first.answers and states(second) == states(first)
    assert files_sheet(second) == files_sheet(first)


def test_collect__file_touched_copied_or_moved__same_content_not_read_again(project, forbid_reading):
    collect(project, today=TODAY)
    forbid_reading()
    os.utime(project.returned / "商务.xlsx", ns=(10**18, 10**18))  # a sync tool touched it
    (project.returned / "备份").mkdir()
    os.replace(project.returned / "监管.xlsx", project.returned / "备份" / "监管-副本.xlsx")
    result = collect(project, today=TODAY)
    assert result.opened == 0 and states(result)[MARKET] == states(result)[COMMERCE] == "已报"
    assert files_sheet(result)[f"{layout.RETURNED_DIR}/备份/监管-副本.xlsx"]["状态"] == layout.STATUS_ADOPTED


def test_collect__one_file_changed__only_that_one_read(project):
    collect(project, today=TODAY)
    (project.returned / "商务.xlsx").write_bytes(completed(project, COMMERCE, seed=1, saved=when(12)))
    result = collect(project, today=TODAY)
    assert result.opened == 1
    assert result.answers.judged["10"] == 1  # seed 1 halves the self score


def test_collect__unit_list_changed__files_read_again_under_the_new_list(project, tmp_path):
    collect(project, today=TODAY)
    changed = make_project(tmp_path, assignments=ASSIGNMENTS_2022, units=(("县商务局", "", "", "swj@example.cn"),
                                                                          ("县市场监管局", "", "", "x@example.cn")))
    result = collect(changed, today=TODAY)
    assert result.opened == 2 and set(states(result)) == {MARKET, COMMERCE}


# ---------------------------------------------------------------- on record for good


def test_collect__return_deleted_after_collect__still_on_record_and_counted(project, forbid_reading):
    first = collect(project, today=TODAY)
    forbid_reading()
    (project.returned / "商务.xlsx").unlink()
    second = collect(project, today=TODAY)
    assert states(second)[COMMERCE] == "已报" and second.answers == first.answers
    row = files_sheet(second)[f"{layout.RETURNED_DIR}/商务.xlsx"]
    assert row["状态"] == layout.STATUS_ADOPTED and "文件已不在原处" in row["原因"]
    assert [s.state for s in unit_status(project, today=TODAY)] == [s.state for s in second.units]


def test_collect__return_overwritten_by_a_correction__both_versions_kept_and_merged(project):
    collect(project, today=TODAY)
    cells = {(layout.SHEET_DATA, "online_retail@2023", layout.DATA_VALUE.header): None}  # left empty this time
    correction = completed(project, COMMERCE, seed=1, saved=when(12), extra=cells)
    (project.returned / "商务.xlsx").write_bytes(correction)  # saved over the first version
    result = collect(project, today=TODAY)
    merged = result.merges[COMMERCE]
    assert len(merged.versions) == 2 and states(result)[COMMERCE] == "已报"
    assert result.answers.values[("online_retail", 2023)] is not None  # kept from the first version
    assert result.answers.judged["10"] == 1  # the correction's value
    assert "R408" in [i.code for i in merged.issues]


# ---------------------------------------------------------------- one transaction, outputs first


def runs(project) -> int:
    with Ledger(ledger_path(project.root)) as ledger:
        return ledger.runs()


def test_collect__register_open_in_excel__stops_before_reading_and_changes_nothing(project, forbid_reading):
    forbid_reading()
    project.output.mkdir(parents=True)
    (project.output / layout.INTAKE_LOG).write_bytes(b"old register")
    (project.output / f"~${layout.INTAKE_LOG}").write_bytes(b"owner")
    with pytest.raises(OutputError, match="回收登记.xlsx 正在 Excel、WPS 或 LibreOffice 中打开"):
        collect(project, today=TODAY)
    assert (project.output / layout.INTAKE_LOG).read_bytes() == b"old register"
    assert not ledger_path(project.root).exists() or runs(project) == 0


def test_collect__writing_outputs_fails__ledger_rolled_back(project, monkeypatch):
    collect(project, today=TODAY)
    before = (project.output / layout.INTAKE_LOG).read_bytes()
    (project.returned / "统计.xlsx").write_bytes(completed(project, STATS, saved=when(12)))
    import zonekit.intakelog as intakelog

    def full_disk(*args, **kwargs):
        raise OutputError("磁盘空间不足")

    monkeypatch.setattr(intakelog, "write_merged", full_disk)
    with pytest.raises(OutputError):
        collect(project, today=TODAY)
    assert runs(project) == 1 and (project.output / layout.INTAKE_LOG).read_bytes() == before
    assert not any(p.name == ".zonekit-tmp" for p in project.output.iterdir())
    monkeypatch.undo()
    assert collect(project, today=TODAY).opened == 1  # the new file was not on record: read now


def test_collect__write_false__nothing_on_disk(project):
    result = collect(project, today=TODAY, write=False)
    assert states(result)[COMMERCE] == "已报"
    assert not ledger_path(project.root).exists() and not project.output.exists()


def test_from_ledger__after_collect__same_result_without_opening_files(project, forbid_reading):
    collected = collect(project, today=TODAY)
    forbid_reading()
    again = from_ledger(project, TODAY)
    assert again.answers == collected.answers and states(again) == states(collected)
    assert [(e.file, e.status) for e in again.returns] == [(e.file, e.status) for e in collected.returns]


def test_ledger__answers_view__every_value_exact_with_its_cell(project):
    from fractions import Fraction

    result = collect(project, today=TODAY)
    with sqlite3.connect(ledger_path(project.root)) as db:
        rows = db.execute("SELECT unit, typed, value, cell FROM answers WHERE kind = 'data' AND "
                          "key = 'online_retail_growth@2023'").fetchall()
    (unit, typed, value, cell), = rows
    exact = result.answers.values[("online_retail_growth", 2023)]
    assert (unit, Fraction(value)) == (COMMERCE, exact) and cell.startswith(f"{layout.SHEET_DATA}!G")
    assert value == f"{exact.numerator}/{exact.denominator}" and typed == float(exact)


def test_ledger__written_by_a_newer_zonekit__clear_message(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    from zonekit.errors import LedgerError

    with pytest.raises(LedgerError, match="由较新版本的 zonekit 写入"):
        Ledger(path)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_collect__killed_at_several_moments__ledger_whole_and_the_next_run_completes(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from tests.test_summary import new_project
    from zonekit.workbench import load_project

    root = new_project(tmp_path / "项目")
    project = load_project(root)
    project.returned.mkdir(parents=True, exist_ok=True)
    for n in range(12):  # distinct contents: every file is a version to record
        (project.returned / f"商务-{n}.xlsx").write_bytes(completed(project, COMMERCE, seed=n, saved=when(1 + n)))

    def run():
        return subprocess.Popen([sys.executable, "-m", "zonekit", "collect", str(root)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)

    started = time.monotonic()
    run().wait(120)
    whole = time.monotonic() - started
    for fraction in (0.5, 0.7, 0.85, 0.95):
        ledger_path(root).unlink(missing_ok=True)  # a first collect again: every file is read and recorded
        victim = run()
        time.sleep(whole * fraction)
        victim.send_signal(signal.SIGKILL)
        victim.wait(60)
        if not ledger_path(root).exists():
            continue  # killed before the ledger was made
        with sqlite3.connect(ledger_path(root)) as db:  # a killed run leaves no half-written ledger
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            made = db.execute("PRAGMA user_version").fetchone()[0] > 0
            finished = db.execute("SELECT count(*) FROM runs").fetchone()[0] if made else 0
            versions = db.execute("SELECT count(*) FROM versions").fetchone()[0] if made else 0
        assert (finished, versions) in ((0, 0), (1, 12))  # the whole run, or nothing of it
    assert run().wait(120) in (0, 1) and runs(project) >= 1


def test_collect__unchanged_folder__outputs_left_as_they_are_and_said_so(project):
    from zonekit.collect import render_collect

    collect(project, today=TODAY)
    written = {name: (project.output / name).stat().st_mtime_ns for name in (layout.INTAKE_LOG, layout.MERGED)}
    again = collect(project, today=TODAY)
    assert again.unchanged and again.valid and again.counts()[layout.STATUS_ADOPTED] == 2
    assert {name: (project.output / name).stat().st_mtime_ns for name in written} == written
    assert render_collect(again).startswith("与上次回收相比没有变化：2个文件都已登记")
    assert runs(project) == 1  # nothing was written to the ledger either
    late = collect(project, today=date(2024, 7, 1))  # past the deadline: 未报 units become 逾期, outputs redone
    assert not late.unchanged and runs(project) == 2
    assert {s.unit: s.state for s in late.units}[STATS] == layout.STATE_LATE


def test_ledger__migrations__released_steps_never_change():
    import hashlib

    from zonekit.ledger import MIGRATIONS

    released = {1: "c5c30826a625bd462faafeb22c0230ac7e1c049e2a2ede0406a8f752371a6540",
                2: "7126a262fa269974980ba1fffd03d647bc101d6a979025fb9f7a4cf9d3ec161b",
                3: "467dd6c37949a66db4d58761cc9af8f3963c57e7d71675cc36507644dfdf7b0b"}
    assert {n: hashlib.sha256(MIGRATIONS[n].encode()).hexdigest() for n in released} == released


def test_ledger__version_1_left_by_an_older_zonekit__migrated_and_kept(project, forbid_reading):
    from zonekit.ledger import MIGRATIONS, VERSION

    first = collect(project, today=TODAY)
    path = ledger_path(project.root)
    with sqlite3.connect(path) as db:  # the ledger as zonekit with schema 1 left it: its tables, no later step
        db.executescript("DROP INDEX locations_version; DROP INDEX pictures_image; DROP TABLE withdrawn; "
                         "DROP TABLE withdrawn_returns; ALTER TABLE evidence DROP COLUMN round; "
                         "PRAGMA user_version = 1;")
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    v1 = sqlite3.connect(":memory:")
    v1.executescript(MIGRATIONS[1])
    assert tables == {r[0] for r in v1.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    forbid_reading()
    (project.output / layout.INTAKE_LOG).unlink()  # so the collect below assembles and writes again
    again = collect(project, today=TODAY)  # opens the ledger: migrated, then used as it is
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION == 4
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        assert {"withdrawn", "locations_version", "pictures_image", "withdrawn_returns"} <= names
        assert "round" in {r[1] for r in db.execute("PRAGMA table_info(evidence)")}
        assert db.execute("SELECT count(*) FROM runs WHERE finished IS NOT NULL").fetchone()[0] == 2
    assert again.opened == 0 and again.answers == first.answers and states(again) == states(first)


def test_collect__picture_withdrawn_since_the_last_collect__outputs_redone(project):
    collect(project, today=TODAY)
    with Ledger(ledger_path(project.root)) as ledger:
        ledger.withdraw(project.round, COMMERCE, "0" * 64, "单位说明：误贴", "2024-06-25T09:00:00+00:00")
    assert not collect(project, today=TODAY).unchanged  # 回收登记's 图片 sheet must say so
    assert collect(project, today=TODAY).unchanged
