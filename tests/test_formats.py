"""Returns in every format a unit's office suite saves: .xlsx, .xls and .ods (LibreOffice) and WPS .et; versions
ordered by the time saved inside each file, whatever its format, never by when it was copied."""

from __future__ import annotations

import os
from datetime import date

import pytest

from tests.conftest import ASSIGNMENTS_2022, make_project
from tests.returns_corpus import complete, completed, when
from zonekit import layout
from zonekit.collect import collect
from zonekit.intake import SAVED_ODS, SAVED_XLS, read_return
from zonekit.versions import shown_time

MARKET, COMMERCE = "县市场监管局", "县商务局"
TODAY = date(2024, 6, 25)


@pytest.fixture
def project(tmp_path):
    project = make_project(tmp_path / "p", assignments=ASSIGNMENTS_2022)
    project.returned.mkdir(parents=True)
    return project


@pytest.fixture(scope="module")
def saved_by_libreoffice(tmp_path_factory):
    """The same returns saved again by LibreOffice: v1 of 县商务局 as .xls, 县市场监管局 as .ods (one with its
    identity only in the document properties, the hidden sheet deleted)."""
    from zonekit.office import convert_many

    folder = tmp_path_factory.mktemp("lo")
    project = make_project(folder / "p", assignments=ASSIGNMENTS_2022)
    sources = {"商务v1": completed(project, COMMERCE, saved=when(10)), "监管": completed(project, MARKET),
               "监管-无隐藏表": completed(project, MARKET,
                                         edit=lambda wb: wb.remove(wb[layout.SHEET_IDENTITY]))}
    for name, data in sources.items():
        (folder / f"{name}.xlsx").write_bytes(data)
    xls = convert_many([folder / "商务v1.xlsx"], "xls", folder / "xls")
    ods = convert_many([folder / "监管.xlsx", folder / "监管-无隐藏表.xlsx"], "ods", folder / "ods")
    return {p.stem: p.read_bytes() for p in [*xls, *ods]}


@pytest.mark.office
def test_collect__xls_saved_first_xlsx_saved_later_copied_in_reverse__xlsx_wins_by_saved_time(
        project, saved_by_libreoffice):
    older = project.returned / "商务-初稿.xls"
    newer = project.returned / "商务-修改稿.xlsx"
    newer.write_bytes(completed(project, COMMERCE, seed=1, saved=when(12)))
    older.write_bytes(saved_by_libreoffice["商务v1"])
    os.utime(newer, (1_719_000_000, 1_719_000_000))
    os.utime(older, (1_719_500_000, 1_719_500_000))  # copied from the mail afterwards: the newer file time
    result = collect(project, today=TODAY)
    files = {e.file.rsplit("/", 1)[-1]: e for e in result.returns}
    assert files["商务-初稿.xls"].saved_from == SAVED_XLS and files["商务-初稿.xls"].format == "xls"
    assert files["商务-修改稿.xlsx"].status == layout.STATUS_ADOPTED
    assert files["商务-初稿.xls"].status == layout.STATUS_SUPERSEDED
    reason = files["商务-初稿.xls"].reason
    # to the second, as each file says it (LibreOffice's .xls holds the UTC time of the clock it saved with)
    newer_at = shown_time(when(12).isoformat())
    older_at = shown_time(read_return(saved_by_libreoffice["商务v1"], "v1.xls", project).saved_at)
    assert f"按文件内保存时间：较新者 {newer_at}（docProps/core.xml），本文件 {older_at}（SummaryInformation）" in reason
    _, expected = complete(project, COMMERCE, seed=1)
    assert result.answers.judged["10"] == expected[("judged", "10")]  # every figure from the corrected version


@pytest.mark.office
@pytest.mark.parametrize("name", ["监管", "监管-无隐藏表"])
def test_collect__ods_return__reported_with_exactly_the_typed_answers(project, saved_by_libreoffice, name):
    (project.returned / f"{name}.ods").write_bytes(saved_by_libreoffice[name])
    result = collect(project, today=TODAY)
    (entry,) = result.returns
    assert (entry.format, entry.status, entry.unit, entry.identified_by) == ("ods", layout.STATUS_ADOPTED, MARKET,
                                                                             "身份信息")
    assert entry.saved_from == SAVED_ODS and entry.saved_at
    assert {s.unit: s.state for s in result.units}[MARKET] == layout.STATE_REPORTED
    _, expected = complete(project, MARKET)
    got = {(c.kind, c.key): c.value for c in result.contributions if c.unit == MARKET}
    assert got == {k: v for k, v in expected.items() if k[0] != "list"}  # rates read from percent cells exactly


@pytest.mark.office
def test_read_return__xls_renamed_et__read_like_xls(project, saved_by_libreoffice):
    record = read_return(saved_by_libreoffice["商务v1"], "商务.et", project)
    assert (record.format, record.unit, record.refused) == ("et", COMMERCE, False)


def test_read_return__et_the_reader_cannot_open__refused_asking_for_xlsx(project):
    broken = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    broken += "Workbook".encode("utf-16-le") + bytes(2000)  # an OLE header naming a workbook, nothing inside
    record = read_return(bytes(broken), "县商务局.et", project)
    assert record.refused and [i.code for i in record.issues] == ["R006"]
    assert "WPS 表格专用（.et）格式的表格无法读取" in record.issues[0].message
    assert "另存为 .xlsx" in record.issues[0].message


def test_collect__et_file__a_workbook_not_skipped(project):
    (project.returned / "县商务局.et").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) +
                                                 "Workbook".encode("utf-16-le") + bytes(2000))
    (entry,) = collect(project, today=TODAY).returns
    assert entry.status == layout.STATUS_REFUSED and "另存为 .xlsx" in entry.reason


@pytest.fixture
def at_utc_plus_8(monkeypatch):
    """This computer in China's time zone, as the county office's is."""
    import time

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_read_return__saved_by_libreoffice_at_utc_plus_8__its_local_clock_read_as_local_time(project, at_utc_plus_8):
    from tests.returns_corpus import rezip

    app = (b'<?xml version="1.0" encoding="UTF-8"?><Properties xmlns="http://schemas.openxmlformats.org/'
           b'officeDocument/2006/extended-properties"><Application>LibreOffice/7.4.7.2$Linux_X86_64</Application>'
           b'</Properties>')
    data = rezip(completed(project, COMMERCE, saved=when(12, 18)), replace={"docProps/app.xml": app})
    record = read_return(data, "商务.xlsx", project)  # LibreOffice wrote 18:00 local as "18:00Z"
    assert record.saved_at == "2024-06-12T10:00:00+00:00"
    excel = read_return(completed(project, COMMERCE, saved=when(12, 18)), "商务.xlsx", project)
    assert excel.saved_at == "2024-06-12T18:00:00+00:00"  # Excel's core.xml is real UTC
