"""Evidence that is never lost: every picture from every format, tied to its indicator or reported with file,
sheet and cell; kept across versions; links that resolve however the project was given; the evidence package."""

from __future__ import annotations

import hashlib
import json
import struct
import urllib.parse
import zipfile
import zlib
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from tests.conftest import ASSIGNMENTS_2022, UNITS, make_project
from tests.returns_corpus import (blank, completed, png, positions, when, with_pictures, with_wps_cell_image,
                                  without_cell_images)
from zonekit import layout, xlsdrawing
from zonekit.collect import collect
from zonekit.evidence import link_target
from zonekit.intake import read_return

IND, DATA = layout.SHEET_INDICATORS, layout.SHEET_DATA
FILES = layout.IND_FILES.header
MARKET, COMMERCE = "县市场监管局", "县商务局"
TODAY = date(2024, 6, 25)
RED, GREEN, BLUE = png(4, 4, (200, 30, 30)), png(5, 3, (30, 160, 30)), png(3, 5, (30, 30, 200))


def new_project(tmp_path, **fields):
    project = make_project(tmp_path, **fields)
    project.returned.mkdir(parents=True, exist_ok=True)
    return project


def ref(project, unit, key, sheet=IND, header=FILES):
    return positions(blank(project, unit), sheet).ref(key, header)


def codes_at(issues) -> list[tuple[str, str, str, str]]:
    return sorted((i.code, Path(i.file).name, i.sheet, i.cell) for i in issues)


def evidence_of(result) -> list[tuple[str, str, str, bytes]]:
    """(indicator, sheet!cell, kept-from newer file, bytes on disk) of every extracted picture."""
    return sorted((e.indicator, f"{e.sheet}!{e.cell}", Path(e.kept).name if e.kept else "",
                   (result.project.output / e.path).read_bytes()) for e in result.evidence)


# ---------------------------------------------------------------- every picture, tied to its indicator


def test_collect__floating_pictures_on_two_indicator_rows__extracted_byte_equal_under_their_indicators(tmp_path):
    project = new_project(tmp_path)
    k11, k12 = ref(project, MARKET, "11"), ref(project, MARKET, "12.2")
    (project.returned / "监管.xlsx").write_bytes(with_pictures(completed(project, MARKET), IND,
                                                             [(k11, RED), (k12, GREEN)]))
    result = collect(project, today=TODAY)
    assert evidence_of(result) == [("11", f"{IND}!{k11}", "", RED), ("12", f"{IND}!{k12}", "", GREEN)]
    assert [i for i in result.issues.issues if i.code.startswith("R3")] == []


def test_collect__wps_cell_image_with_and_without_its_part__extracted_or_warned_with_cell(tmp_path):
    project = new_project(tmp_path)
    cell = ref(project, MARKET, "11")
    wps = with_wps_cell_image(completed(project, MARKET, saved=when(10)), IND, cell, image=BLUE)
    (project.returned / "监管.xlsx").write_bytes(wps)
    first = collect(project, today=TODAY)
    assert evidence_of(first) == [("11", f"{IND}!{cell}", "", BLUE)]

    (project.returned / "监管.xlsx").write_bytes(without_cell_images(wps))  # re-saved: the image is gone
    second = collect(project, today=TODAY)
    (found,) = [i for i in second.issues.issues if i.code == "R302"]
    assert (found.file, found.sheet, found.cell, found.unit) == ("2-回收/监管.xlsx", IND, cell, MARKET)
    assert "LibreOffice 或 Excel 另存" in found.message and "WPS" in found.message
    # the version received first carried the image: it stays on record, and R307 says the newer one lacks it
    assert evidence_of(second) == [("11", f"{IND}!{cell}", "监管.xlsx", BLUE)]
    assert [i.code for i in second.issues.issues if i.code == "R307"] == ["R307"]


def test_read_return__picture_on_title_row__unsorted_and_warned(project_2022):
    data = with_pictures(completed(project_2022, MARKET), IND, [("B1", RED)])
    record = read_return(data, "a.xlsx", project_2022)
    (pic,) = record.pictures
    assert (pic.cell, pic.indicator, pic.sha256 != "", pic.size) == ("B1", "", True, len(RED))
    assert [(i.code, i.sheet, i.cell) for i in record.issues] == [("R305", IND, "B1")]
    assert layout.EVIDENCE_UNSORTED in record.issues[0].message


def test_read_return__picture_by_page_position__unsorted_and_warned(project_2022):
    data = with_pictures(completed(project_2022, MARKET), IND, [(None, RED)])
    record = read_return(data, "a.xlsx", project_2022)
    (pic,) = record.pictures
    assert (pic.cell, pic.row, pic.indicator) == ("", -1, "")
    assert [(i.code, i.sheet, i.value) for i in record.issues] == [("R303", IND, "图片 1")]


def test_read_return__image_on_no_sheet__unsorted_and_warned(project_2022):
    from tests.returns_corpus import rezip

    data = rezip(completed(project_2022, MARKET), add={"xl/media/image9.png": RED})
    record = read_return(data, "a.xlsx", project_2022)
    assert [(p.member, p.indicator) for p in record.pictures] == [("xl/media/image9.png", "")]
    assert [(i.code, i.value) for i in record.issues] == [("R304", "image9.png")]


def test_read_return__picture_on_data_row__evidence_for_every_indicator_it_feeds(project_2022):
    cell = ref(project_2022, MARKET, "online_traders", DATA, layout.DATA_SOURCE.header)
    record = read_return(with_pictures(completed(project_2022, MARKET), DATA, [(cell, RED)]), "a.xlsx",
                         project_2022)
    (pic,) = record.pictures
    assert (pic.key, pic.indicator, pic.numbers) == ("online_traders", "3", ("3", "9"))
    assert record.issues == []


@pytest.fixture(name="project_2022")
def project_2022_fixture(tmp_path):
    return new_project(tmp_path)


# ---------------------------------------------------------------- kept across versions, identical images


def test_collect__newer_version_without_the_pictures__kept_and_unit_and_office_told(tmp_path):
    project = new_project(tmp_path)
    k11, k16 = ref(project, MARKET, "11"), ref(project, MARKET, "16")
    (project.returned / "第一版.xlsx").write_bytes(with_pictures(completed(project, MARKET, saved=when(10)), IND,
                                                              [(k11, RED), (k16, GREEN)]))
    (project.returned / "第二版.xlsx").write_bytes(with_pictures(completed(project, MARKET, saved=when(12)), IND,
                                                              [(k16, GREEN)]))
    result = collect(project, today=TODAY)
    assert evidence_of(result) == [("11", f"{IND}!{k11}", "第二版.xlsx", RED), ("16", f"{IND}!{k16}", "", GREEN)]
    dropped = [i for i in result.issues.issues if i.code == "R307"]
    assert codes_at(dropped) == [("R307", "第一版.xlsx", IND, k11)]
    assert dropped[0].unit == MARKET and "第二版.xlsx" in dropped[0].message and "指标11" in dropped[0].message
    book = CalamineWorkbook.from_path(str(result.intake_log))  # the office sees it in 回收登记
    assert any(r[1] == "R307" for r in book.get_sheet_by_name(layout.SHEET_ISSUES).to_python())
    pictures = book.get_sheet_by_name(layout.SHEET_INTAKE_PICTURES).to_python()
    kept = [r for r in pictures[1:] if r[0] == "2-回收/第一版.xlsx" and r[3] == f"{IND}!{k11}"]
    assert "已保留" in kept[0][-1]
    same = [r for r in pictures[1:] if r[0] == "2-回收/第一版.xlsx" and r[3] == f"{IND}!{k16}"]
    assert "仍有" in same[0][-1]


def test_collect__same_image_twice__listed_at_both_places_with_one_hash(tmp_path):
    project = new_project(tmp_path)
    k11, k12 = ref(project, MARKET, "11"), ref(project, MARKET, "12")
    (project.returned / "监管.xlsx").write_bytes(with_pictures(completed(project, MARKET), IND,
                                                             [(k11, RED), (k12, RED)]))
    result = collect(project, today=TODAY)
    assert [(e.indicator, e.cell) for e in sorted(result.evidence, key=lambda e: e.indicator)] == \
        [("11", k11), ("12", k12)]
    assert len({e.sha256 for e in result.evidence}) == 1


def test_collect__same_image_on_two_rows_then_newer_version_without_it__kept_for_both_indicators(tmp_path):
    project = new_project(tmp_path)
    k11, k16 = ref(project, MARKET, "11"), ref(project, MARKET, "16")
    (project.returned / "第一版.xlsx").write_bytes(with_pictures(completed(project, MARKET, saved=when(10)), IND,
                                                              [(k11, RED), (k16, RED)]))
    (project.returned / "第二版.xlsx").write_bytes(completed(project, MARKET, saved=when(12)))
    result = collect(project, today=TODAY)
    assert evidence_of(result) == [("11", f"{IND}!{k11}", "第二版.xlsx", RED),
                                   ("16", f"{IND}!{k16}", "第二版.xlsx", RED)]
    assert codes_at(i for i in result.issues.issues if i.code == "R307") == sorted([("R307", "第一版.xlsx", IND, k11),
                                                                                  ("R307", "第一版.xlsx", IND, k16)])
    pictures = CalamineWorkbook.from_path(str(result.intake_log)).get_sheet_by_name(
        layout.SHEET_INTAKE_PICTURES).to_python()
    assert [r[-1].startswith("较新的「2-回收/第二版.xlsx」中已没有，已保留到") for r in pictures[1:]] == [True, True]


def test_collect__file_deleted_and_output_cleared__kept_picture_comes_from_the_image_store(tmp_path):
    import shutil

    project = new_project(tmp_path)
    k11 = ref(project, MARKET, "11")
    first = project.returned / "第一版.xlsx"
    first.write_bytes(with_pictures(completed(project, MARKET, saved=when(10)), IND, [(k11, RED)]))
    (project.returned / "第二版.xlsx").write_bytes(completed(project, MARKET, saved=when(12)))
    collect(project, today=TODAY)
    first.unlink()  # the clerk tidies 2-回收 and 3-输出
    shutil.rmtree(project.output / layout.EVIDENCE_DIR)
    result = collect(project, today=TODAY)
    assert evidence_of(result) == [("11", f"{IND}!{k11}", "第二版.xlsx", RED)]
    assert codes_at(i for i in result.issues.issues if i.code == "R307") == [("R307", "第一版.xlsx", IND, k11)]


def test_collect__same_image_from_two_units_and_versions__stored_once_listed_everywhere(tmp_path):
    project = new_project(tmp_path)
    m11, c1 = ref(project, MARKET, "11"), ref(project, COMMERCE, "1")
    for name, saved in (("监管1.xlsx", when(10)), ("监管2.xlsx", when(12))):
        (project.returned / name).write_bytes(with_pictures(completed(project, MARKET, saved=saved), IND,
                                                            [(m11, RED)]))
    (project.returned / "商务.xlsx").write_bytes(with_pictures(completed(project, COMMERCE), IND, [(c1, RED)]))
    result = collect(project, today=TODAY)
    assert sorted((e.unit, e.indicator, Path(e.source).name) for e in result.evidence) == sorted([
        (MARKET, "11", "监管2.xlsx"), (COMMERCE, "1", "商务.xlsx")])
    store = project.root / layout.LEDGER_DIR / layout.IMAGE_STORE_DIR
    assert [p.read_bytes() for p in store.rglob("*.png")] == [RED]


def picture_dropped_by_second_version(tmp_path, monkeypatch):
    """A project on disk under tmp_path/项目 (the working folder): 县市场监管局's first version has a picture on
    指标11, its second none. Returns the project and the picture's cell."""
    project = disk_project(tmp_path / "项目")
    k11 = ref(project, MARKET, "11")
    (project.returned / "第一版.xlsx").write_bytes(
        with_pictures(completed(project, MARKET, saved=when(10)), IND, [(k11, RED)]))
    (project.returned / "第二版.xlsx").write_bytes(completed(project, MARKET, saved=when(12)))
    monkeypatch.chdir(tmp_path)
    return project, k11


def test_cli_evidence_withdraw__kept_picture_withdrawn_then_restored(tmp_path, monkeypatch):
    from zonekit.cli import main

    project, k11 = picture_dropped_by_second_version(tmp_path, monkeypatch)
    runner = CliRunner()
    code = hashlib.sha256(RED).hexdigest()[:8]

    def picture_sheet():
        book = CalamineWorkbook.from_path(str(project.output / layout.INTAKE_LOG))
        return [r[-1] for r in book.get_sheet_by_name(layout.SHEET_INTAKE_PICTURES).to_python()[1:]]

    assert "R307" in {i.code for i in collect(project, today=TODAY).issues.issues}
    refused = runner.invoke(main, ["evidence", "withdraw", "项目", code])
    assert refused.exit_code == 1 and "--reason" in refused.output
    unknown = runner.invoke(main, ["evidence", "withdraw", "项目", "abcdef12", "--reason", "误传"])
    assert unknown.exit_code == 1 and "找不到编号为「abcdef12」的图片" in unknown.output
    done = runner.invoke(main, ["evidence", "withdraw", "项目", code, "--reason", "单位来函：误传"])
    assert done.exit_code == 0 and f"{IND}!{k11}" in done.output, done.output
    withdrawn = collect(project, today=TODAY)
    assert withdrawn.evidence == [] and "R307" not in {i.code for i in withdrawn.issues.issues}
    assert picture_sheet() == ["已撤回：单位来函：误传"]
    undone = runner.invoke(main, ["evidence", "withdraw", "项目", code, "--undo"])
    assert undone.exit_code == 0 and "已恢复" in undone.output
    restored = collect(project, today=TODAY)
    assert evidence_of(restored) == [("11", f"{IND}!{k11}", "第二版.xlsx", RED)]


def test_cli_score__picture_kept_from_an_earlier_version__unit_report_and_summary_say_so(tmp_path, monkeypatch):
    from zonekit.cli import main

    project, k11 = picture_dropped_by_second_version(tmp_path, monkeypatch)
    assert CliRunner().invoke(main, ["collect", "项目"]).exit_code in (0, 1)
    scored = CliRunner().invoke(main, ["score", "项目", "--unit-reports"])
    assert scored.exit_code == 0, scored.output

    def r307(path):
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(layout.SHEET_ISSUES).to_python()
        return [(r[2], Path(r[3]).name, r[4], r[5]) for r in rows if r[1] == "R307"]

    told = [(MARKET, "第一版.xlsx", IND, k11)]
    assert r307(project.output / layout.SUMMARY) == told  # the office
    assert r307(project.output / layout.FEEDBACK_DIR / layout.FEEDBACK_FILE.format(unit=MARKET)) == told  # the unit


# ---------------------------------------------------------------- links that resolve from anywhere


def disk_project(root: Path):
    """A project on disk (工作台.xlsx with units and 任务分解), as `zonekit init` and the clerk make it."""
    from zonekit.project import Assignment, Unit
    from zonekit.workbench import create_project, load_project, write_assignments

    units = [Unit(name, contact=contact, phone=phone, emails=[mail]) for name, contact, phone, mail in UNITS]
    create_project(root, "2022", "新绛县", "山西省", years=[2023, 2024], deadline=date(2030, 6, 30), units=units)
    write_assignments(root, [Assignment(n, list(leads), list(resps)) for n, (leads, resps) in
                             ASSIGNMENTS_2022.items()])
    return load_project(root)


def links_of(path: Path, sheet: str) -> list[str]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [c.hyperlink.target for row in ws.iter_rows() for c in row if c.hyperlink is not None]


def resolves(folder: Path, target: str) -> bool:
    """As an office suite opens a relative link: from the workbook's folder, %-escapes decoded."""
    return "\\" not in target and (folder / urllib.parse.unquote(target)).is_file()


@pytest.mark.parametrize("given", ["relative", "dot"])
def test_cli_score__project_given_relatively__every_evidence_link_resolves(tmp_path, monkeypatch, given):
    from zonekit.cli import main

    project = disk_project(tmp_path / "示范 县#1")  # a space and a # in the folder name, too
    k11, k12 = ref(project, MARKET, "11"), ref(project, MARKET, "12.1")
    data = with_pictures(completed(project, MARKET), IND, [(k11, RED), (k12, GREEN)])
    (project.returned / "监管.xlsx").write_bytes(data)
    monkeypatch.chdir(tmp_path if given == "relative" else project.root)
    out = CliRunner().invoke(main, ["score", "示范 县#1" if given == "relative" else "."])
    assert out.exit_code == 0, out.output
    output = project.output
    for book, sheet in ((layout.SUMMARY, layout.SHEET_EVIDENCE), (layout.MERGED, layout.SHEET_EVIDENCE)):
        targets = links_of(output / book, sheet)
        assert len(targets) == 2 and all(resolves(output, t) for t in targets), (book, targets)


def test_link_target__names_with_space_hash_percent__escaped_and_relative(tmp_path):
    picture = tmp_path / "3-输出" / "佐证材料" / "县局 #2" / "增长50%.png"
    assert link_target(picture, tmp_path / "3-输出") == "佐证材料/县局%20%232/增长50%25.png"
    assert link_target(picture, tmp_path / "3-输出" / "单位反馈") == "../佐证材料/县局%20%232/增长50%25.png"


# ---------------------------------------------------------------- the evidence package


def test_cli_evidence_pack__by_indicator_with_index__every_picture_listed_and_rerun_clean(tmp_path, monkeypatch):
    from zonekit.cli import main

    project = disk_project(tmp_path / "项目")
    k3 = ref(project, MARKET, "online_traders", DATA, layout.DATA_SOURCE.header)
    k11 = ref(project, MARKET, "11")
    (project.returned / "监管.xlsx").write_bytes(
        with_pictures(with_pictures(completed(project, MARKET), DATA, [(k3, GREEN)]), IND,
                      [(k11, RED), ("B1", BLUE)]))
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(main, ["evidence", "pack", "项目"])
    assert out.exit_code == 0, out.output
    root = project.output / layout.EVIDENCE_PACK_DIR
    files = [f"促进发展/03-网络交易经营者数量占市场主体比重/{MARKET}-{DATA}-{k3}.png",
             f"促进发展/09-{_name(project, '9')}/{MARKET}-{DATA}-{k3}.png",
             f"规范监管/11-{_name(project, '11')}/{MARKET}-{IND}-{k11}.png",
             f"{layout.EVIDENCE_UNSORTED}/{MARKET}-{IND}-B1.png"]
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.png")) == sorted(files)
    assert (root / files[0]).read_bytes() == GREEN and (root / files[2]).read_bytes() == RED
    index = root / layout.EVIDENCE_PACK_INDEX
    ws = openpyxl.load_workbook(index)[layout.SHEET_PACK_INDEX]
    header = [c.value for c in ws[3]]
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=4, values_only=True)]
    assert [(r["指标编号"], r["单位"], r["来源文件"], r["位置"], r["文件名"]) for r in rows] == [
        ("3", MARKET, "监管.xlsx", f"{DATA}!{k3}", Path(files[0]).name),
        ("9", MARKET, "监管.xlsx", f"{DATA}!{k3}", Path(files[1]).name),
        ("11", MARKET, "监管.xlsx", f"{IND}!{k11}", Path(files[2]).name),
        (None, MARKET, "监管.xlsx", f"{IND}!B1", Path(files[3]).name)]
    assert rows[0]["说明"] == "同一图片另见第2项" and rows[2]["收到日期"] and rows[2]["大小（KB）"] > 0
    assert all(resolves(root, t) for t in links_of(index, layout.SHEET_PACK_INDEX))
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$3:$3" and ws.sheet_properties.pageSetUpPr.fitToPage

    own = root / "自评报告.docx"
    own.write_bytes(b"office's own file")
    (project.returned / "监管.xlsx").write_bytes(with_pictures(completed(project, MARKET), IND, [(k11, RED)]))
    again = CliRunner().invoke(main, ["evidence", "pack", "项目", "--json"])
    assert again.exit_code == 0, again.output  # the newer version lacks two pictures: they stay, marked
    notes = {e["path"]: e["note"] for e in json.loads(again.output)["entries"]}
    assert sorted(notes) == sorted(files) and "已保留" in notes[files[0]] and "已保留" not in notes[files[2]]

    for picture in (GREEN, BLUE):  # the unit says both were sent by mistake
        code = hashlib.sha256(picture).hexdigest()[:8]
        out = CliRunner().invoke(main, ["evidence", "withdraw", "项目", code, "--reason", "单位来函：误传"])
        assert out.exit_code == 0 and "已撤回" in out.output and MARKET in out.output, out.output
    third = CliRunner().invoke(main, ["evidence", "pack", "项目", "--json"])
    assert third.exit_code == 0, third.output
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.png")) == [files[2]]
    assert own.read_bytes() == b"office's own file" and not (root / "促进发展").exists()
    assert json.loads(third.output)["pictures"] == 1


def _name(project, number):
    return next(i.name for i in project.scheme.indicators if i.number == number)[:30]


def test_cli__evidence_pack__has_help_with_example():
    from zonekit.cli import main

    out = CliRunner().invoke(main, ["evidence", "pack", "--help"])
    assert out.exit_code == 0 and "示例" in out.output and "佐证材料包" in out.output


# ---------------------------------------------------------------- .xls drawing records (MS-XLS / MS-ODRAW)


def art(kind: int, body: bytes = b"", ver: int = 0, inst: int = 0) -> bytes:
    return struct.pack("<HHI", ver | inst << 4, kind, len(body)) + body


def container(kind: int, *children: bytes, inst: int = 0) -> bytes:
    return art(kind, b"".join(children), ver=0xF, inst=inst)


def fbse(blip: bytes) -> bytes:
    return art(0xF007, bytes([6, 6]) + bytes(16) + struct.pack("<HIIIBBBB", 0xFF00, len(blip), 1, 0, 0, 0, 0, 0)
               + blip, ver=2, inst=6)


def shape(blip: int | None, anchor: tuple[int, int] | None = None, child: bool = False) -> bytes:
    parts = [art(0xF00A, struct.pack("<II", 1025, 0xA00), ver=2, inst=75)]
    if blip is not None:
        parts.append(art(0xF00B, struct.pack("<HI", 0x4104, blip), ver=3, inst=1))
    if anchor is not None:
        row, col = anchor
        parts.append(art(0xF010, struct.pack("<9H", 0, col, 0, row, 0, col + 1, 0, row + 2, 0)))
    if child:
        parts.append(art(0xF00F, bytes(16)))
    return container(0xF004, *parts)


def biff(kind: int, payload: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(payload)) + payload


def test_xls_drawing__png_jpeg_metafile_bitmap_and_grouped__bytes_and_cells():
    jpeg = b"\xff\xd8\xff\xe0" + bytes(40) + b"\xff\xd9"
    emf = b"\x01\x00\x00\x00" + bytes(100)
    dib = struct.pack("<IiiHHIIiiII", 40, 2, 2, 1, 24, 0, 16, 0, 0, 0, 0) + bytes(16)
    compressed = zlib.compress(emf)
    store = [art(0xF01E, bytes(16) + b"\xff" + RED, inst=0x6E0),
             art(0xF01D, bytes(32) + b"\xff" + jpeg, inst=0x46B),  # two UIDs
             art(0xF01A, bytes(16) + struct.pack("<I16s8sIBB", len(emf), bytes(16), bytes(8), len(compressed), 0,
                                                  0xFE) + compressed, inst=0x3D4),
             art(0xF01F, bytes(16) + b"\xff" + dib, inst=0x7A8)]
    group = container(0xF000, art(0xF006, bytes(16)), container(0xF001, *map(fbse, store), inst=len(store)))
    drawing = container(0xF002, art(0xF008, bytes(8)), container(
        0xF003, shape(None), shape(1, (5, 10)), shape(2, (7, 10)), shape(None, (1, 1)),  # a button: no picture
        container(0xF003, shape(None, (20, 3)), shape(3, child=True), shape(4, child=True))))
    globals_ = [biff(xlsdrawing.BOF, bytes(16)), None, biff(xlsdrawing.MSODRAWINGGROUP, group[:60]),
                biff(xlsdrawing.CONTINUE, group[60:]), biff(xlsdrawing.EOF)]
    name = "指标填报"
    sheet_record = lambda offset: biff(xlsdrawing.BOUNDSHEET, struct.pack("<IBBBB", offset, 0, 0, len(name), 1)
                                       + name.encode("utf-16-le"))
    globals_[1] = sheet_record(0)
    offset = len(b"".join(globals_))
    globals_[1] = sheet_record(offset)
    sheet = (biff(xlsdrawing.BOF, bytes(16)) + biff(xlsdrawing.MSODRAWING, drawing[:90]) + biff(0x005D, bytes(26))
             + biff(xlsdrawing.MSODRAWING, drawing[90:]) + biff(xlsdrawing.EOF))
    placed, blips, encrypted = xlsdrawing.stream_pictures(b"".join(globals_) + sheet)
    assert not encrypted
    assert [(p.sheet, p.row, p.col, p.blip) for p in placed] == [(name, 5, 10, 1), (name, 7, 10, 2),
                                                                   (name, 20, 3, 3), (name, 20, 3, 4)]
    assert [(b.ext, b.data) for b in blips[:3]] == [(".png", RED), (".jpg", jpeg), (".emf", emf)]
    assert blips[3].ext == ".bmp" and blips[3].data == b"BM" + struct.pack("<IHHI", 14 + len(dib), 0, 0, 54) + dib


def test_xls_drawing__declared_size_past_the_data__refused_not_read_beyond():
    group = container(0xF000, container(0xF001, fbse(art(0xF01E, bytes(17) + RED, inst=0x6E0))))
    with pytest.raises(xlsdrawing.XlsDrawingError):
        xlsdrawing.blip_store(group[:-10])


# ---------------------------------------------------------------- re-saved by LibreOffice (.xlsx, .xls, .ods)


@pytest.mark.office
def test_collect__return_resaved_by_libreoffice_as_xlsx_xls_ods__pictures_extracted_and_lost_one_warned(tmp_path):
    from zonekit.evidence import find_ods_pictures, picture_bytes
    from zonekit.office import convert_many

    project = new_project(tmp_path / "p")
    k11, k12, k16 = ref(project, MARKET, "11"), ref(project, MARKET, "12.1"), ref(project, MARKET, "16")
    wps = with_wps_cell_image(completed(project, MARKET), IND, k16, image=BLUE)
    source = tmp_path / "监管.xlsx"
    source.write_bytes(with_pictures(wps, IND, [(k11, RED), (k12, GREEN)]))
    for fmt in ("xlsx", "xls"):
        converted = convert_many([source], fmt, tmp_path / fmt)[0]
        folder = project.returned
        for old in folder.iterdir():
            old.unlink()
        (folder / converted.name).write_bytes(converted.read_bytes())
        result = collect(project, today=TODAY)
        assert [r.status for r in result.returns] == [layout.STATUS_ADOPTED], fmt
        assert [(e[0], e[1], e[3]) for e in evidence_of(result)] == [("11", f"{IND}!{k11}", RED),
                                                                    ("12", f"{IND}!{k12}", GREEN)], fmt
        lost = [(i.code, i.sheet, i.cell) for i in result.issues.issues if i.code.startswith("R3")]
        # .xlsx keeps the DISPIMG formula (warned); an .xls from LibreOffice keeps nothing of it (#N/A)
        assert lost == ([("R302", IND, k16)] if fmt == "xlsx" else []), fmt
    ods = convert_many([source], "ods", tmp_path / "ods")[0]
    with zipfile.ZipFile(ods) as zf:
        pictures, problems = find_ods_pictures(zf, set(zf.namelist()))
    data = ods.read_bytes()
    assert [(p.sheet, p.cell, picture_bytes(data, p.member)) for p in pictures] == [(IND, k11, RED), (IND, k12, GREEN)]
    assert [(p.code, p.sheet, p.cell) for p in problems] == [("R302", IND, k16)]


def test_collect__excel_picture_placed_in_cell__extracted_under_its_indicator(tmp_path):
    from tests.returns_corpus import with_excel_cell_image

    project = new_project(tmp_path)
    cell = ref(project, MARKET, "16")
    (project.returned / "监管.xlsx").write_bytes(with_excel_cell_image(completed(project, MARKET), IND, cell, GREEN))
    result = collect(project, today=TODAY)
    assert evidence_of(result) == [("16", f"{IND}!{cell}", "", GREEN)]
    assert [e.kind for e in result.evidence] == ["单元格图片"]
    assert [i.code for i in result.issues.issues if i.code.startswith("R3")] == []
