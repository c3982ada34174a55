"""Every file accounted for, no batch ever stopped: hostile and odd returns (numbers no clerk types, cells at the
far corner of the grid, year-9999 times, regex traps, names that are not UTF-8), entries that are not files, readers
that crash, hang or run out of memory, and outputs that cannot be written."""

from __future__ import annotations

import os
import stat
import time
from datetime import date, datetime, timezone
from fractions import Fraction as F

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import hostile as H
from tests.conftest import make_project
from tests.returns_corpus import completed, rezip, when, with_picture
from zonekit import collect as collect_module
from zonekit import intake, layout, pool
from zonekit.cli import main
from zonekit.collect import check_file, collect, read_all
from zonekit.errors import OutputError
from zonekit.evidence import col_letters
from zonekit.files import STAGING_DIR
from zonekit.intake import read_return

IND, DATA = layout.SHEET_INDICATORS, layout.SHEET_DATA
VALUE, CONTACT, PROGRESS = layout.DATA_VALUE.header, layout.IND_CONTACT.header, layout.IND_PROGRESS.header
MARKET, COMMERCE, TAX = "县市场监管局", "县商务局", "县税务局"
ADOPTED, REFUSED, SKIPPED = layout.STATUS_ADOPTED, layout.STATUS_REFUSED, layout.STATUS_SKIPPED
TODAY = date(2024, 6, 25)
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("robust"))


@pytest.fixture(scope="module")
def good(project):
    return completed(project, MARKET, saved=when(20))


def first(data, sheet, header):
    return H.ref_of(data, sheet, H.first_key(data, sheet), header)


def codes(record, *wanted):
    return [(i.code, i.cell) for i in record.issues if i.code in wanted]


def fresh(tmp_path):
    project = make_project(tmp_path)
    project.returned.mkdir(parents=True)
    return project


# ---------------------------------------------------------------- every value total


@pytest.mark.parametrize("stored", ["1e309", "-1e309", "NaN"])
def test_read_return__infinity_or_nan_in_a_number_cell__r116_at_that_cell(project, good, stored):
    cell = first(good, DATA, VALUE)
    record = read_return(H.cell_xml(good, DATA, cell, f"<v>{stored}</v>"), "x.xlsx", project)
    assert codes(record, "R116") == [("R116", cell)] and not record.refused
    assert next(a for a in record.answers if a.cell == cell).value is None


def test_read_return__1e22_as_number_and_as_text__read_exactly(project, good):
    cell = first(good, DATA, VALUE)
    number = read_return(H.cell_xml(good, DATA, cell, "<v>1e22</v>"), "x.xlsx", project)
    text = read_return(H.cell_xml(good, DATA, cell, "<is><t>10000000000000000000001</t></is>", "inlineStr"),
                       "x.xlsx", project)
    assert next(a for a in number.answers if a.cell == cell).value == F(10) ** 22
    read = next(a for a in text.answers if a.cell == cell)
    assert read.value == F(10) ** 22 + 1 and read.shown == "10000000000000000000001"


def test_read_return__5000_digit_text_in_a_number_cell__r116_message_kept_short(project, good):
    cell = first(good, DATA, VALUE)
    record = read_return(H.cell_xml(good, DATA, cell, f"<is><t>{'9' * 5000}</t></is>", "inlineStr"), "x.xlsx",
                         project)
    found = [i for i in record.issues if i.code == "R116"]
    assert [i.cell for i in found] == [cell] and "共5000字" in found[0].message and len(found[0].message) < 500


def test_read_return__19_digit_number_in_the_contact_column__kept_as_its_digits(project, good):
    cell = first(good, IND, CONTACT)
    record = read_return(H.cell_xml(good, IND, cell, "<v>1234567890123456789</v>"), "x.xlsx", project)
    assert not record.errors or all(i.code in ("R207",) for i in record.errors)
    assert record.progress[0].contact == "1234567890123460000"  # the 15 digits Excel keeps, never a traceback


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+08:00", "2024-13-45T99:00:00Z"])
def test_read_return__saved_time_no_clock_shows__r022_and_ordered_by_file_time(project, good, stamp):
    record = read_return(H.core_modified(good, stamp), "x.xlsx", project, file_time="2024-06-21T02:00:00+00:00")
    assert [i.code for i in record.issues if i.code == "R022"] == ["R022"]
    assert record.saved_at == "" and record.order_time == "2024-06-21T02:00:00+00:00"


def test_collect__return_saved_in_the_future__a_later_correction_still_wins(tmp_path):
    project = fresh(tmp_path)
    future = project.returned / "监管局-第一版.xlsx"
    future.write_bytes(completed(project, MARKET, seed=1, saved=datetime(2099, 1, 1, tzinfo=timezone.utc)))
    os.utime(future, (when(10).timestamp(),) * 2)  # it reached the office on 10 June
    later = project.returned / "监管局-更正.xlsx"
    later.write_bytes(completed(project, MARKET, seed=2, saved=when(20)))
    os.utime(later, (when(21).timestamp(),) * 2)
    result = collect(project, today=TODAY, write=False)
    status = {r.file.rsplit("/", 1)[-1]: r for r in result.returns}
    assert status["监管局-更正.xlsx"].status == ADOPTED
    merged = result.merges[MARKET]  # the correction is the newest version: every value it carries wins
    assert [v.file.rsplit("/", 1)[-1] for v in merged.versions] == ["监管局-第一版.xlsx", "监管局-更正.xlsx"]
    assert all(t.version is merged.newest for t in merged.answers)
    assert "本文件内没有可信的保存时间" in status["监管局-第一版.xlsx"].reason
    warning = next(i for i in status["监管局-第一版.xlsx"].issues if i.code == "R022")
    assert "2099-01-01" in warning.message and "晚于收到时间" in warning.message


def test_collect__return_saved_in_the_future__received_on_arrival_not_late_in_every_output(tmp_path):
    project = fresh(tmp_path)  # deadline 30 June: it reached the office on 10 June, its clock said 2099
    future = project.returned / "监管局.xlsx"
    future.write_bytes(completed(project, MARKET, saved=datetime(2099, 1, 1, tzinfo=timezone.utc)))
    os.utime(future, (when(10).timestamp(),) * 2)
    result = collect(project, today=TODAY)
    status = next(s for s in result.units if s.unit == MARKET)
    arrived = datetime.fromtimestamp(when(10).timestamp()).strftime("%Y-%m-%d %H:%M")
    assert status.state == layout.STATE_REPORTED and not any(i.code == "R404" for i in result.issues.issues)
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(result.intake_log)).get_sheet_by_name(
        layout.SHEET_INTAKE_FILES).to_python()
    [row] = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert str(row["收到时间"]).startswith(arrived) and str(row["保存时间"]).startswith("2099-01-01")


def test_collect__file_name_in_gbk_bytes__listed_with_escapes_and_register_written(tmp_path):
    project = fresh(tmp_path)
    H.gbk_name(project.returned, "县市场监管局填报表", completed(project, MARKET))
    result = collect(project, today=TODAY)
    [record] = result.returns
    assert "\\x" in record.file and record.status == ADOPTED and record.unit == MARKET
    note = next(i for i in record.issues if i.code == "R009")
    assert "县市场监管局填报表.xlsx" in note.message  # what the bytes say in GBK
    assert result.intake_log.is_file()


def test_check_file__mail_attachment_named_in_raw_gbk_bytes__escaped_with_what_it_reads_as(tmp_path):
    from tests.returns_corpus import eml

    project = fresh(tmp_path)
    path = project.returned / "来信.eml"
    path.write_bytes(H._raw_filename(eml([("附件.xlsx", completed(project, MARKET))]), "附件.xlsx"))
    [record] = check_file(project, path)
    assert record.file == f"{layout.RETURNED_DIR}/来信.eml!\\xb8\\xbd\\xbc\\xfe.xlsx" and record.unit == MARKET
    note = next(i for i in record.issues if i.code == "R009")
    assert "按 GBK 编码读作「附件.xlsx」" in note.message


def test_read_return__comment_full_of_cell_tags__percent_styles_read_in_linear_time(project):
    data = completed(project, MARKET, extra={(DATA, k, VALUE): 0.5 for k in H.positions(
        completed(project, MARKET), DATA).rows if "rate" in k or "share" in k})
    trap = H.comment_trap(data, DATA, tokens=200_000)  # quadratic: hours; linear: well under the budget
    found = []
    read_all(project, [_write(project, "trap.xlsx", trap)], workers=1, sink=found.extend, seconds=60)
    assert [r.unit for r in found] == [MARKET] and not any(i.code == "R020" for r in found for i in r.issues)


def _write(project, name, data):
    project.returned.mkdir(parents=True, exist_ok=True)
    path = project.returned / name
    path.write_bytes(data)
    return path


def test_col_letters__negative_column__column_a_not_an_endless_loop():
    assert col_letters(-3) == "A" and col_letters(0) == "A" and col_letters(16383) == "XFD"


def test_read_return__picture_anchored_at_a_negative_column__read_with_its_answers(project, good):
    record = read_return(H.negative_anchor(with_picture(good, IND, "H5")), "x.xlsx", project)
    assert record.unit == MARKET and not record.refused and record.answers


# ---------------------------------------------------------------- reading limits


@pytest.mark.parametrize("sheet,far", [(DATA, "XFD1048576"), (IND, "A1048576"), (IND, "AZ5000")])
def test_read_return__one_cell_far_outside_the_form__r213_and_the_form_read(project, good, sheet, far):
    record = read_return(H.far_cell(good, sheet, far), "x.xlsx", project)
    assert codes(record, "R213") == [("R213", far)] and not record.refused
    assert [a.value for a in record.answers] == [a.value for a in read_return(good, "x.xlsx", project).answers]


def test_read_return__text_of_40000_characters__cut_at_32767_with_r212(project, good):
    cell = first(good, IND, PROGRESS)
    record = read_return(H.cell_xml(good, IND, cell, f"<is><t>{'很' * 40000}</t></is>", "inlineStr"), "x.xlsx",
                         project)
    assert codes(record, "R212") == [("R212", cell)]
    assert "40,000" in next(i.message for i in record.issues if i.code == "R212")
    assert len(record.progress[0].progress) == 32767


def test_read_return__very_hidden_data_sheet_holding_values__r024(project, good):
    record = read_return(H.hidden_sheet(good, DATA), "x.xlsx", project)
    warning = next(i for i in record.issues if i.code == "R024")
    assert warning.sheet == DATA and "深度隐藏" in warning.message
    assert not any(i.code == "R024" for i in read_return(H.hidden_sheet(good, DATA, "visible"), "x.xlsx",
                                                             project).issues)


def test_read_return__identity_row_given_twice__first_kept_with_r023(project, good):
    record = read_return(H.second_identity_row(good, layout.ID_UNIT, COMMERCE), "x.xlsx", project)
    assert record.unit == MARKET
    warning = next(i for i in record.issues if i.code == "R023")
    assert COMMERCE in warning.message and MARKET in warning.message


# ---------------------------------------------------------------- every entry listed, nothing blocks


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX only")
def test_collect__fifo_socket_links_and_device__each_skipped_with_its_reason(tmp_path):
    project = fresh(tmp_path)
    (project.returned / "监管局.xlsx").write_bytes(completed(project, MARKET))
    made = H.special_entries(project.returned)
    result = collect(project, today=TODAY)
    listed = {r.file.rsplit("/", 1)[-1]: r for r in result.returns}
    assert set(listed) == set(made) | {"监管局.xlsx"}
    assert listed["监管局.xlsx"].status == ADOPTED
    for name in made:
        assert listed[name].status == SKIPPED and listed[name].issues[0].code == "R008", name
    assert "命名管道" in listed["管道.xlsx"].reason and "套接字" in listed["套接字.xlsx"].reason
    assert "不存在" in listed["断开的链接.xlsx"].reason and "循环" in listed["循环A.xlsx"].reason
    assert "文件夹" in listed["链接到文件夹"].reason and "字符设备" in listed["设备.xlsx"].reason


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX only")
def test_cli_check__a_fifo__skipped_at_once_instead_of_blocking(tmp_path, monkeypatch):
    project = fresh(tmp_path)
    os.mkfifo(project.returned / "管道.xlsx")
    monkeypatch.setattr("zonekit.workbench.load_project", lambda _dir: project)
    result = CliRunner().invoke(main, ["check", str(project.returned / "管道.xlsx"), "--project", str(tmp_path)])
    assert result.exit_code == 0 and "跳过" in result.output


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name != "posix", reason="POSIX links")
@pytest.mark.parametrize("name, why", [("断开的链接.xlsx", "指向的文件不存在"), ("循环A.xlsx", "循环")])
def test_cli_check_and_collect__a_dangling_link_or_a_loop_given__skipped_with_its_reason(tmp_path, monkeypatch,
                                                                                       name, why):
    project = fresh(tmp_path)
    H.special_entries(project.returned)
    path = str(project.returned / name)
    monkeypatch.setattr("zonekit.workbench.load_project", lambda *_a, **_k: project)
    checked = CliRunner().invoke(main, ["check", path, "--project", str(tmp_path)])
    assert checked.exit_code == 0 and f"[警告 R008] {layout.RETURNED_DIR}/{name}" in checked.output
    assert "跳过" in checked.output and why in checked.output
    collected = CliRunner().invoke(main, ["collect", str(tmp_path), path])
    assert collected.exit_code == 0, collected.output
    line = next(x for x in collected.output.splitlines() if x.startswith(SKIPPED) and name in x)
    assert why in line


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads every file")
def test_collect__file_without_read_permission__refused_with_reason(tmp_path):
    project = fresh(tmp_path)
    locked = project.returned / "监管局.xlsx"
    locked.write_bytes(completed(project, MARKET))
    locked.chmod(0)
    try:
        [record] = collect(project, today=TODAY, write=False).returns
    finally:
        locked.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert record.status == REFUSED and "没有读取权限" in record.reason


# ---------------------------------------------------------------- isolation: a bad file costs only itself


def _misbehaving(real):
    def read(path, project, plan):
        name = path.name
        if name.startswith("abort"):
            os.abort()
        if name.startswith("hang"):
            time.sleep(600)
        if name.startswith("memory"):
            bytearray(8 << 30)
        return real(path, project, plan)

    return read


def test_collect__readers_abort_hang_or_run_out_of_memory__only_those_files_refused(tmp_path, monkeypatch):
    project = fresh(tmp_path)
    for name in ("abort.xlsx", "hang.xlsx", "memory.xlsx"):
        (project.returned / name).write_bytes(b"PK\x03\x04")
    for n, unit in enumerate((MARKET, COMMERCE, TAX)):
        (project.returned / f"{n}-{unit}.xlsx").write_bytes(completed(project, unit))
    monkeypatch.setattr(collect_module, "read_path", _misbehaving(collect_module.read_path))
    result_files = []
    read_all(project, collect_module.input_files(project), workers=2, sink=result_files.extend, seconds=2.0,
             memory=512 << 20)
    by_name = {r.name: r for r in result_files}
    assert sorted(by_name) == sorted(["abort.xlsx", "hang.xlsx", "memory.xlsx", f"0-{MARKET}.xlsx",
                                      f"1-{COMMERCE}.xlsx", f"2-{TAX}.xlsx"])
    for name, why in (("abort.xlsx", "SIGABRT"), ("hang.xlsx", "超过 2 秒"), ("memory.xlsx", "内存超过上限")):
        assert by_name[name].refused and by_name[name].issues[0].code == "R020", name
        assert why in by_name[name].issues[0].message, by_name[name].issues[0].message
    assert {by_name[f"{n}-{u}.xlsx"].unit for n, u in enumerate((MARKET, COMMERCE, TAX))} == {MARKET, COMMERCE, TAX}


def test_check_file__reader_aborts__refused_and_this_process_goes_on(tmp_path, monkeypatch):
    project = fresh(tmp_path)
    path = project.returned / "abort.xlsx"
    path.write_bytes(b"PK\x03\x04")
    monkeypatch.setattr(collect_module, "read_path", _misbehaving(collect_module.read_path))
    [record] = check_file(project, path)
    assert record.status == REFUSED and record.issues[0].code == "R020"


def test_read_all__interrupted_while_reading__no_worker_left(tmp_path, monkeypatch):
    project = fresh(tmp_path)
    for n in range(4):
        (project.returned / f"hang{n}.xlsx").write_bytes(b"x")
    monkeypatch.setattr(collect_module, "read_path", _misbehaving(collect_module.read_path))
    seen = []

    def stop_after_start(records):
        seen.extend(records)

    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    children = _children()
    try:
        with pytest.raises(KeyboardInterrupt):
            read_all(project, collect_module.input_files(project), workers=2, sink=stop_after_start)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert _children() - children == set() and seen == []


def _processes(field: int, value: int) -> set[int]:
    """Live processes whose /proc/<pid>/stat field (after the name: 1 parent, 3 session) is ``value``."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[field]) == value and fields[0] != "Z":
                found.add(int(entry))
    return found


def _children() -> set[int]:
    return _processes(1, os.getpid())


# ---------------------------------------------------------------- outputs all or nothing, clean errors


def test_generate__manifest_open_in_excel__no_workbook_and_no_manifest_replaced(tmp_path):
    from zonekit.generate import generate

    project = make_project(tmp_path)
    generate(project, generated_at=datetime(2024, 5, 1, 9, tzinfo=timezone.utc), force=True)
    before = {p.name: p.read_bytes() for p in project.outgoing.iterdir()}
    (project.outgoing / f"~${layout.MANIFEST}").write_text("owner", encoding="utf-8")
    with pytest.raises(OutputError, match=f"{layout.MANIFEST} 正在 Excel、WPS 或 LibreOffice 中打开"):
        generate(project, generated_at=datetime(2024, 5, 2, 9, tzinfo=timezone.utc), force=True)
    after = {p.name: p.read_bytes() for p in project.outgoing.iterdir() if not p.name.startswith("~$")}
    assert after == before and not (project.outgoing / STAGING_DIR).exists()


def test_generate__interrupted_half_way__previous_workbooks_and_manifest_whole(tmp_path, monkeypatch):
    from zonekit import generate as generate_module

    project = make_project(tmp_path)
    generate_module.generate(project, generated_at=datetime(2024, 5, 1, 9, tzinfo=timezone.utc), force=True)
    before = {p.name: p.read_bytes() for p in project.outgoing.iterdir()}
    real, built = generate_module.build_unit_workbook, []

    def ctrl_c_on_the_third(*args, **kwargs):
        built.append(args[1])
        if len(built) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(generate_module, "build_unit_workbook", ctrl_c_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        generate_module.generate(project, generated_at=datetime(2024, 5, 2, 9, tzinfo=timezone.utc), force=True)
    assert {p.name: p.read_bytes() for p in project.outgoing.iterdir()} == before


def test_write_feedback__one_report_cannot_be_replaced__none_replaced(tmp_path):
    from zonekit.answers import Answers
    from zonekit.feedback import feedback_path, write_feedback
    from zonekit.scoring import score
    from zonekit.summary import CollectInfo, build_summary

    project = make_project(tmp_path)
    result = score(project.scheme, Answers(), project.years, project.region_class)
    summary = build_summary(project, result, {}, CollectInfo(Answers(), []), [],
                            generated=datetime(2024, 6, 1, 9))
    paths = write_feedback(summary)
    before = {p: p.read_bytes() for p in paths}
    blocked = feedback_path(project.output, COMMERCE)
    blocked.unlink()
    blocked.mkdir()
    with pytest.raises(OutputError, match="是一个文件夹"):
        write_feedback(summary)
    assert {p: p.read_bytes() for p in paths if p != blocked} == {p: b for p, b in before.items() if p != blocked}


def test_cli__os_error_anywhere__one_chinese_line_exit_1_traceback_only_with_verbose(tmp_path, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "3-输出" / "回收登记.xlsx"))

    monkeypatch.setattr("zonekit.workbench.load_project", denied)
    plain = CliRunner().invoke(main, ["status", str(tmp_path)])
    assert plain.exit_code == 1 and "Traceback" not in plain.output
    assert plain.output.strip().splitlines() == [
        f"错误：没有权限读写 {tmp_path / '3-输出' / '回收登记.xlsx'}。请确认它没有在 Excel、WPS 中打开，"
        "文件夹不是只读，然后重试。"]
    verbose = CliRunner().invoke(main, ["--verbose", "status", str(tmp_path)])
    assert verbose.exit_code == 1 and "Traceback" in verbose.output and "PermissionError" in verbose.output


def test_cli__ctrl_c__short_note_and_exit_130(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("zonekit.workbench.load_project", interrupted)
    result = CliRunner().invoke(main, ["status", str(tmp_path)])
    assert result.exit_code == 130 and result.output.startswith("已中断：") and "Traceback" not in result.output


# ---------------------------------------------------------------- all of it together


def test_collect__hostile_folder_with_good_returns__every_entry_listed_good_ones_adopted(tmp_path):
    project = fresh(tmp_path)
    hostile = project.returned / "杂"
    hostile.mkdir()
    names = H.hostile_folder(project, hostile, completed(project, MARKET, saved=when(20)),
                             arrived=when(21).timestamp())
    for n, unit in enumerate((MARKET, COMMERCE, TAX)):
        path = project.returned / f"{n}-{unit}.xlsx"
        path.write_bytes(completed(project, unit, seed=n, saved=when(25)))
        os.utime(path, (when(26).timestamp(),) * 2)
    result = collect(project, today=TODAY)

    from tests.test_collect import register

    listed = register(result)["files"]
    shown = {f.split("/", 2)[-1].split("!")[0] for f in listed}
    assert set(names) <= {s.rsplit("/", 1)[-1] for s in shown}, set(names) - {s.rsplit("/", 1)[-1] for s in shown}
    for n, unit in enumerate((MARKET, COMMERCE, TAX)):
        assert listed[f"2-回收/{n}-{unit}.xlsx"][0] == ADOPTED
    assert all(row[0] for row in listed.values())  # every entry has its status
    assert not any(i.code == "R020" for i in result.issues.issues)  # none needed the safety net
    attachment = next(r for r in result.returns if "乱码附件名.eml!" in r.file)  # 8-bit name: shown escaped
    assert attachment.unit == MARKET and attachment.status == layout.STATUS_SUPERSEDED
    assert attachment.file.endswith("/乱码附件名.eml!\\xb8\\xbd\\xbc\\xfe.xlsx"), attachment.file


# ---------------------------------------------------------------- a real return, mutated every which way


_TYPES = st.sampled_from([None, "n", "s", "str", "b", "e", "inlineStr", "d"])
_TEXTS = st.one_of(st.sampled_from(["1e309", "NaN", "-inf", "1e22", "9" * 5000, "-0", "", "x", "99999999999",
                                    "2024-13-45T25:61:00", "TRUE", "#DIV/0!", "1.7976931348623157e308"]),
                   st.text(max_size=40), st.integers().map(str), st.floats().map(repr))
_REFS = st.one_of(st.sampled_from(["XFD1048576", "A1048576", "XFE1", "A0", "A1048577", "ZZZZ1", "a1", "$B$7",
                                   "AA5", "B9999999999"]),
                  st.tuples(st.integers(0, 16400), st.integers(0, 1_100_000)).map(
                      lambda rc: f"{col_letters(rc[0])}{rc[1]}"))


def _mutations(good: bytes):
    import zipfile as zf_module
    import io

    names = zf_module.ZipFile(io.BytesIO(good)).namelist()
    sheets = [DATA, IND, layout.SHEET_IDENTITY]
    value = st.builds(lambda sheet, key, t, text: ("value", sheet, key, t, text), st.sampled_from(sheets[:2]),
                      st.integers(0, 30), _TYPES, _TEXTS)
    far = st.builds(lambda sheet, ref, text: ("far", sheet, ref, text), st.sampled_from(sheets), _REFS, _TEXTS)
    dimension = st.builds(lambda sheet, ref: ("dimension", sheet, ref), st.sampled_from(sheets), _REFS)
    cut = st.builds(lambda part, size: ("cut", part, size), st.sampled_from(names), st.integers(0, 4000))
    grow = st.builds(lambda part, times: ("grow", part, times), st.sampled_from(names), st.integers(2, 40))
    drop = st.builds(lambda part: ("drop", part), st.sampled_from(names))
    flip = st.builds(lambda at, byte: ("flip", at, byte), st.integers(0, len(good) - 1), st.integers(0, 255))
    odd_tag = st.builds(lambda sheet, sep, quote, ref, first, prefix: ("raw", sheet, (
        f'<{prefix}c{sep}{"s=" + quote + "0" + quote + sep if not first else ""}r{sep if sep != " " else ""}='
        f'{quote}{ref}{quote}><{prefix}v>1</{prefix}v></{prefix}c>')),
        st.sampled_from(sheets), st.sampled_from([" ", "\t", "\n", "  "]), st.sampled_from(['"', "'"]), _REFS,
        st.booleans(), st.sampled_from(["", "x:"]))
    second_r = st.builds(lambda sheet, n, ref: ("second_r", sheet, n, ref), st.sampled_from(sheets[:2]),
                         st.integers(0, 30), _REFS)
    return st.lists(st.one_of(value, far, dimension, cut, grow, drop, flip, odd_tag, second_r), min_size=1,
                    max_size=4)


def _apply(good: bytes, steps) -> bytes:
    import re

    data = good
    for step in steps:
        try:
            kind = step[0]
            if kind == "value":
                _, sheet, n, t, text = step
                refs = re.findall(r'<c r="([A-Z]+\d+)"', H.read_part(data, H._sheet_part(data, sheet)))
                ref = refs[n % len(refs)]
                inner = f"<is><t>{_xml(text)}</t></is>" if t == "inlineStr" else f"<v>{_xml(text)}</v>"
                data = H.cell_xml(data, sheet, ref, inner, t)
            elif kind == "far":
                _, sheet, ref, text = step
                data = H.sheet_xml(data, sheet, lambda xml: xml.replace(
                    "</sheetData>", f'<row><c r="{ref}"><v>{_xml(text)}</v></c></row></sheetData>', 1))
            elif kind == "raw":
                _, sheet, tag = step
                namespace = f' xmlns:x="{MAIN_NS}"' if "<x:" in tag else ""
                tag = tag.replace("<x:c", f"<x:c{namespace}", 1)
                data = H.sheet_xml(data, sheet, lambda xml: xml.replace("</sheetData>", f"<row>{tag}</row></sheetData>",
                                                                       1))
            elif kind == "second_r":
                _, sheet, n, ref = step
                xml = H.read_part(data, H._sheet_part(data, sheet))
                starts = [m.end() for m in re.finditer(r'<c r="[^"]*"', xml)]
                at = starts[n % len(starts)]
                data = H.sheet_xml(data, sheet, lambda x: x[:at] + f' r="{ref}"' + x[at:])
            elif kind == "dimension":
                _, sheet, ref = step
                data = H.sheet_xml(data, sheet, lambda xml: re.sub(r'<dimension ref="[^"]*"',
                                                                   f'<dimension ref="A1:{ref}"', xml))
            elif kind in ("cut", "grow", "drop"):
                part = step[1]
                content = H.read_part(data, part).encode("utf-8")
                if kind == "drop":
                    data = rezip(data, drop=(part,))
                else:
                    data = rezip(data, replace={part: content[:step[2]] if kind == "cut" else content * step[2]})
            elif kind == "flip":
                _, at, byte = step
                data = data[:at] + bytes([byte]) + data[at + 1:]
        except Exception:  # noqa: BLE001 - the mutator, not the reader: a step that no longer applies is skipped
            continue
    return data


def _xml(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape("".join(ch for ch in text if ch in "\t\n\r" or (" " <= ch and not 0xD800 <= ord(ch) <= 0xDFFF
                                                                    and ch not in "\ufffe\uffff")))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.data(), name=st.text(min_size=1, max_size=30).map(lambda t: t.replace("/", "_") + ".xlsx"))
def test_read_return__mutated_real_return__never_raises_and_always_has_a_status(project, good, steps, name):
    data = _apply(good, steps.draw(_mutations(good)))
    record = read_return(data, name, project)
    assert record.refused or record.skipped or record.unit == MARKET
    for found in record.issues:  # whatever it says can be written into 回收登记
        (found.message + found.value + found.cell + record.file).encode("utf-8")
    record.pack()
    import pickle

    pickle.loads(pickle.dumps(record)).unpack()


# ---------------------------------------------------------------- killed at any moment


@pytest.fixture(scope="module")
def project_on_disk(tmp_path_factory):
    """A project folder with two units' returns and 50 copies of them (so reading takes a while)."""
    from tests.test_summary import new_project
    from zonekit.workbench import load_project

    root = new_project(tmp_path_factory.mktemp("kill") / "项目")
    project = load_project(root)
    project.returned.mkdir(parents=True, exist_ok=True)
    copies = project.returned / "副本"
    copies.mkdir()
    for unit in ("县市场监管局", "县商务局"):
        data = completed(project, unit)
        (project.returned / f"{unit}.xlsx").write_bytes(data)
        for n in range(25):
            (copies / f"{unit}-{n}.xlsx").write_bytes(data)
    return root


def _zonekit(*args):
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-m", "zonekit", *map(str, args)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return "?"


def _session_left(sid: int) -> list[int]:
    return sorted(_processes(3, sid))


def _outputs_whole(output) -> None:
    from python_calamine import CalamineWorkbook

    for name in (layout.INTAKE_LOG, layout.MERGED):
        CalamineWorkbook.from_path(str(output / name))  # opens: a whole workbook, old or new


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="Linux /proc")
def test_cli_collect__terminated_or_killed_at_several_moments__previous_outputs_whole_no_worker_no_temp(
        tmp_path, project_on_disk):
    import shutil
    import signal
    import subprocess

    root = tmp_path / "项目"
    shutil.copytree(project_on_disk, root)
    output = root / layout.OUTPUT_DIR
    started = time.monotonic()
    assert _zonekit("collect", root).wait(120) in (0, 1)
    whole_run = time.monotonic() - started
    for sig, fraction in ((signal.SIGTERM, 0.4), (signal.SIGKILL, 0.55), (signal.SIGTERM, 0.8),
                          (signal.SIGKILL, 0.9)):
        shutil.rmtree(root / layout.LEDGER_DIR, ignore_errors=True)  # read every file again, as the timed run did
        run = _zonekit("collect", root)
        time.sleep(whole_run * fraction)
        run.send_signal(sig)
        try:
            code = run.wait(60)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hang is the failure being tested
            run.kill()
            raise
        time.sleep(0.3)  # workers of a killed parent die with it (PR_SET_PDEATHSIG)
        left = _session_left(run.pid)
        for pid in left:  # never let a survivor hold the stderr pipe open and hang the whole suite
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        stderr = run.communicate(timeout=30)[1].decode("utf-8", "replace")
        assert left == [], (sig, fraction, [_cmdline(pid) for pid in left])
        assert "Traceback" not in stderr, stderr
        if sig == signal.SIGTERM:
            # -15: the signal came while Python was still starting or already exiting, when no command runs and
            # nothing is being written (the handler that turns SIGTERM into a clean stop lives only that long)
            assert code in (143, 0, 1, -signal.SIGTERM), (code, stderr)
            assert code != 143 or "收到终止信号" in stderr
            assert not (output / STAGING_DIR).exists()  # a handled stop leaves no temp file
        _outputs_whole(output)
    assert _zonekit("collect", root).wait(120) in (0, 1)  # the next run cleans what SIGKILL left
    assert not (output / STAGING_DIR).exists()
    _outputs_whole(output)


@pytest.mark.office
def test_read_return__xls_sheet_reaching_iv65536__refused_before_calamine_builds_it(tmp_path, project, good):
    import struct

    from zonekit import office
    from zonekit.extent import XlsExtents

    source = tmp_path / "监管局.xlsx"
    source.write_bytes(good)
    data = office.convert(source, "xls", tmp_path / "xls").read_bytes()
    stream = XlsExtents(data).stream
    at = XlsExtents(data).sheets[DATA]
    while struct.unpack_from("<H", stream, at)[0] not in (0x00FD, 0x0203, 0x027E):  # the sheet's first cell
        at += 4 + struct.unpack_from("<H", stream, at + 2)[0]
    record = stream[at:at + 4 + struct.unpack_from("<H", stream, at + 2)[0]]
    where = data.find(record)
    assert where > 0 and data.count(record) == 1

    def moved(row, col):
        changed = bytearray(data)
        struct.pack_into("<HH", changed, where + 4, row, col)
        return bytes(changed)

    assert not read_return(data, "x.xls", project).issues
    huge = read_return(moved(65535, 255), "x.xls", project)
    assert huge.refused and "一直延伸到 IV65536" in huge.issues[0].message
    beyond = read_return(moved(3000, 5), "x.xls", project)
    assert not beyond.refused and codes(beyond, "R213") == [("R213", "F3001")]



@pytest.mark.parametrize("tag, code", [
    ('<c r="A1" r="XFD1048576"><v>1</v></c>', "R001"),  # calamine would take the last r: refused as damaged XML
    ('<c\tr="XFD1048576"><v>1</v></c>', "R213"),
    ('<c s="0" r="XFD1048576"><v>1</v></c>', "R213"),
    ("<c r='XFD1048576'><v>1</v></c>", "R213"),
    ('<c r = "XFD1048576"><v>1</v></c>', "R213"),
    (f'<x:c xmlns:x="{MAIN_NS}" r="XFD1048576"><x:v>1</x:v></x:c>', "R213"),
    ('<c r="xfd1048576"><v>1</v></c>', "R213"),
    ('<c r="$XFD$1048576"><v>1</v></c>', "R213"),
    ('<c r="A01048576"><v>1</v></c>', "R213"),
    ('<c r="A0"><v>1</v></c>', "R001"),  # row 0 would wrap around to the last row in calamine
])
def test_read_return__far_cell_written_unusually__never_densified(tmp_path, project, good, tag, code):
    data = H.sheet_xml(good, DATA, lambda xml: xml.replace("</sheetData>", f"<row>{tag}</row></sheetData>", 1))
    found = []  # read in a worker: if calamine were asked for the dense grid, the file would come back R020
    read_all(project, [_write(project, "x.xlsx", data)], workers=1, sink=found.extend, seconds=30,
             memory=1 << 30)
    [record] = found
    assert record.unit == MARKET and [i.code for i in record.issues if i.code in ("R001", "R020", "R213")] == [code]


# ---------------------------------------------------------------- an output that cannot be replaced: one line, nothing changed


@pytest.fixture
def returned_project(tmp_path):
    """A project on disk with two units' returns in 2-回收 (not yet collected)."""
    from tests.test_summary import new_project
    from zonekit.workbench import load_project

    root = new_project(tmp_path / "项目")
    project = load_project(root)
    project.returned.mkdir(parents=True, exist_ok=True)
    for unit in (MARKET, COMMERCE):
        (project.returned / f"{unit}.xlsx").write_bytes(completed(project, unit))
    return root


def _tree(root) -> dict[str, bytes]:
    """Every file under the project folder except the returns, by relative path (the ledger included)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and layout.RETURNED_DIR not in p.parts}


def _one_line(result, *needles) -> None:
    lines = [line for line in result.output.splitlines() if line.startswith("错误：")]
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert all(n in lines[0] for n in needles) and "没有改动任何输出文件" in lines[0], lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["collect", "score"])
def test_cli__intake_log_open_in_excel__one_line_and_nothing_changed(returned_project, command):
    import shutil

    assert CliRunner().invoke(main, ["collect", str(returned_project)]).exit_code == 0
    if command == "score":  # score writes 回收登记 only when it has to collect: a project from before the ledger
        shutil.rmtree(returned_project / layout.LEDGER_DIR)
    output = returned_project / layout.OUTPUT_DIR
    (output / f"~${layout.INTAKE_LOG}").write_text("owner", encoding="utf-8")
    before = _tree(returned_project)
    result = CliRunner().invoke(main, [command, str(returned_project)])
    _one_line(result, layout.INTAKE_LOG, "请先关闭它后重试")
    assert _tree(returned_project) == before


def test_cli_score__summary_or_one_unit_report_open__one_line_and_no_output_replaced(returned_project):
    runner = CliRunner()
    assert runner.invoke(main, ["collect", str(returned_project)]).exit_code in (0, 1)
    assert runner.invoke(main, ["score", str(returned_project), "--unit-reports"]).exit_code == 0
    output = returned_project / layout.OUTPUT_DIR
    feedback = sorted((output / layout.FEEDBACK_DIR).glob("*.xlsx"))
    for locked in (output / layout.SUMMARY, feedback[-1]):
        lock = locked.parent / f"~${locked.name}"
        lock.write_text("owner", encoding="utf-8")
        before = _tree(returned_project)
        result = runner.invoke(main, ["score", str(returned_project), "--unit-reports"])
        _one_line(result, locked.name)
        assert _tree(returned_project) == before
        lock.unlink()


def test_cli_score__project_given_relatively__summary_and_unit_reports_in_the_output_folder(returned_project,
                                                                                             monkeypatch):
    monkeypatch.chdir(returned_project.parent)
    result = CliRunner().invoke(main, ["score", returned_project.name, "--unit-reports"])
    assert result.exit_code == 0, result.output
    output = returned_project / layout.OUTPUT_DIR
    assert (output / layout.SUMMARY).is_file() and sorted((output / layout.FEEDBACK_DIR).glob("*-评分反馈.xlsx"))
    assert not (output / returned_project.name).exists() and not (output / STAGING_DIR).exists()
