"""Reading one returned workbook: identity, structure, every typed value, progress and pictures."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from tests.conftest import make_project
from tests.returns_corpus import (blank, complete, completed, encrypted_ole, positions, read_part, rezip, when,
                                  with_picture, with_wps_cell_image)
from zonekit import layout
from zonekit.files import sha256_of
from zonekit.intake import Plan, parse_time, read_return

IND, DATA = layout.SHEET_INDICATORS, layout.SHEET_DATA
MARKET = "县市场监管局"  # leads 3 9 11 12 16 25
COMMERCE = "县商务局"  # leads 1 4 10, responsible for 12 25
STATS = "县统计局"  # responsible only


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path)


def codes(record):
    return [i.code for i in record.issues]


def at(record, code):
    return [(i.sheet, i.cell) for i in record.issues if i.code == code]


def answers_of(record):
    return {(a.kind, a.key): (a.name, a.value) if a.kind == "list" else a.value for a in record.answers}


# ---------------------------------------------------------------- whole workbooks


def test_read_return__generated_and_untouched__identified_and_every_required_cell_blank(project):
    record = read_return(blank(project, MARKET), "03-县市场监管局-填报表.xlsx", project)
    assert (record.unit, record.identified_by, record.refused) == (MARKET, "身份信息", False)
    assert set(codes(record)) == {"R207"}
    table = positions(blank(project, MARKET), IND)
    assert (IND, table.ref("11.3", layout.IND_CLAIM.header)) in at(record, "R207")
    assert (IND, table.ref("9", layout.IND_PROGRESS.header)) in at(record, "R207")
    assert "分项11.3 是否达到" in record.missing


def test_read_return__every_yellow_cell_filled__exactly_the_typed_answers(project):
    _, expected = complete(project, MARKET)
    record = read_return(completed(project, MARKET), "a.xlsx", project)
    assert record.issues == []
    assert answers_of(record) == expected
    assert record.saved_at == "2024-06-20T10:00:00+00:00"
    assert record.received_at == record.saved_at  # dropped into the folder: the workbook's own saved time


def test_read_return__path_or_bytes__same_record_and_file_untouched(project, tmp_path):
    data = completed(project, COMMERCE)
    path = tmp_path / "县商务局.xlsx"
    path.write_bytes(data)
    before = sha256_of(path)
    from_path = read_return(path, None, project)
    from_bytes = read_return(data, "县商务局.xlsx", project)
    assert sha256_of(path) == before == from_path.sha256
    assert answers_of(from_path) == answers_of(from_bytes)
    assert from_path.file == "县商务局.xlsx" and from_path.origin == (str(path),)


def test_read_return__responsible_only__progress_kept_no_data_sheet_needed(project):
    record = read_return(completed(project, STATS), "统计.xlsx", project)
    assert record.issues == [] and record.answers == []
    assert [(p.indicator, p.role) for p in record.progress] == [("1", "责任"), ("3", "责任"), ("7", "责任")]
    assert record.progress[0].progress.startswith("县统计局已完成指标1")


def test_read_return__item_rows_evidence__joined_into_the_indicator_progress(project):
    record = read_return(completed(project, MARKET), "a.xlsx", project)
    entry = next(p for p in record.progress if p.indicator == "12")
    assert "12.1：12.1 佐证：文件及照片" in entry.evidence
    assert entry.row > layout.HEADER_ROW


# ---------------------------------------------------------------- identity


def test_read_return__identity_only_in_hidden_sheet__still_identified(project):
    data = completed(project, COMMERCE)
    data = rezip(data, drop=("docProps/custom.xml",))
    record = read_return(data, "x.xlsx", project)
    assert (record.unit, record.identified_by) == (COMMERCE, "身份信息")


def test_read_return__unit_renamed_with_alias__taken_with_warning(project):
    project.units[1].aliases = ["商务局"]
    data = completed(project, COMMERCE, identity={layout.ID_UNIT: "商务局"})
    record = read_return(data, "x.xlsx", project)
    assert record.unit == COMMERCE and "R016" in codes(record) and not record.refused


def test_read_return__file_name_names_two_units__no_guess(project):
    data = completed(project, COMMERCE, drop_identity=True)
    record = read_return(data, "县商务局与县统计局.xlsx", project)
    assert record.refused and codes(record) == ["R010"]


def test_read_return__longest_unit_name_in_file_name_wins(tmp_path):
    units = (("县商务局", "", "", "a@example.cn"), ("县商务局机关党委", "", "", "b@example.cn"))
    project = make_project(tmp_path, units=units, assignments={"10": (["县商务局机关党委"], [])})
    data = completed(project, "县商务局机关党委", drop_identity=True)
    record = read_return(data, "县商务局机关党委-填报表.xlsx", project)
    assert record.unit == "县商务局机关党委" and codes(record) == ["R011"]


def test_read_return__mailed_by_another_units_address__warned(project):
    data = completed(project, MARKET)
    record = read_return(data, "a.xlsx", project, sender="swj@example.cn")
    assert record.unit == MARKET
    assert codes(record) == ["R019"] and "swj@example.cn" in record.issues[0].message


def test_read_return__encrypted__asks_for_a_copy_without_password(project):
    record = read_return(encrypted_ole(), "县商务局.xlsx", project)
    assert record.refused and codes(record) == ["R002"]
    assert "不带密码" in record.issues[0].message


# ---------------------------------------------------------------- structure


def test_read_return__rows_inserted_above_header__header_found_by_name(project):
    data = completed(project, MARKET, edit=lambda wb: wb[IND].insert_rows(1, 2))
    record = read_return(data, "a.xlsx", project)
    assert "R211" not in codes(record) and "R204" not in codes(record)
    assert answers_of(record)[("claim", "11.3")] is True


def test_read_return__rows_sorted_by_clerk__read_by_key(project):
    def shuffle(wb):
        ws = wb[DATA]
        first, second = layout.HEADER_ROW + 1, layout.HEADER_ROW + 2
        for col in range(1, ws.max_column + 1):
            a, b = ws.cell(first, col), ws.cell(second, col)
            a.value, b.value = b.value, a.value

    _, expected = complete(project, MARKET)
    record = read_return(completed(project, MARKET, edit=shuffle), "a.xlsx", project)
    assert record.issues == [] and answers_of(record) == expected


def test_read_return__data_sheet_renamed__sheet_missing_error(project):
    def rename(wb):
        wb[DATA].title = "数据"

    record = read_return(completed(project, MARKET, edit=rename), "a.xlsx", project)
    assert (DATA, "") in at(record, "R201")


def test_read_return__value_header_changed__column_missing_error(project):
    def rename(wb):
        table_cols = [c for c in wb[DATA][layout.HEADER_ROW] if c.value == layout.DATA_VALUE.header]
        table_cols[0].value = "金额"

    record = read_return(completed(project, MARKET, edit=rename), "a.xlsx", project)
    assert "R202" in codes(record)


def test_read_return__header_alias__accepted(project):
    def rename(wb):
        cell = next(c for c in wb[IND][layout.HEADER_ROW] if c.value == layout.IND_CLAIM.header)
        cell.value = "是否符合"

    record = read_return(completed(project, MARKET, edit=rename), "a.xlsx", project)
    assert record.issues == []


# ---------------------------------------------------------------- values in context


def test_read_return__percent_cell_typed_as_excel_does__read_as_shown(project):
    table = positions(blank(project, MARKET), DATA)
    cells = {(DATA, "identity_claim_rate", layout.DATA_VALUE.header): 0.875}
    record = read_return(completed(project, MARKET, extra=cells), "a.xlsx", project)
    assert answers_of(record)[("data", "identity_claim_rate")] == F(7, 8)
    assert table.cell("identity_claim_rate", layout.DATA_VALUE.header).number_format == "0.0%"


def test_read_return__general_cell_with_fraction__ambiguous_warning_names_both(project):
    def general(wb):
        table = positions_of(wb)
        table.cell("identity_claim_rate", layout.DATA_VALUE.header).number_format = "General"

    cells = {(DATA, "identity_claim_rate", layout.DATA_VALUE.header): 0.875}
    record = read_return(completed(project, MARKET, extra=cells, edit=general), "a.xlsx", project)
    assert answers_of(record)[("data", "identity_claim_rate")] == F(875, 100000)
    (warning,) = [i for i in record.issues if i.code == "R110"]
    assert "0.875%" in warning.message and "87.5%" in warning.message


def positions_of(wb):
    from tests.returns_corpus import Table

    return Table(wb[DATA])


def test_read_return__judged_score_above_points__not_used(project):
    cells = {(IND, "16", layout.IND_SELF.header): 5}
    record = read_return(completed(project, MARKET, extra=cells), "a.xlsx", project)
    assert ("judged", "16") in answers_of(record) and answers_of(record)[("judged", "16")] is None
    issue = next(i for i in record.issues if i.code == "R115")
    assert issue.value == "5" and "0–3" in issue.message


def test_read_return__list_rows__names_and_amounts(project):
    record = read_return(completed(project, COMMERCE), "a.xlsx", project)
    lists = [(a.key, a.name, a.value) for a in record.answers if a.kind == "list"]
    assert lists == [("new_large_traders#1", "甲1电商有限公司", F(12500)),
                     ("new_large_traders#2", "甲2电商有限公司", F(13000))]


def test_read_return__growth_left_blank__optional(project):
    cells = {(DATA, "online_retail_growth@2023", layout.DATA_VALUE.header): None}
    record = read_return(completed(project, COMMERCE, extra=cells), "a.xlsx", project)
    assert record.issues == []


# ---------------------------------------------------------------- pictures


def test_read_return__wps_cell_image__found_on_its_row(project):
    table = positions(blank(project, MARKET), IND)
    cell = table.ref("11", layout.IND_FILES.header)
    record = read_return(with_wps_cell_image(completed(project, MARKET), IND, cell), "a.xlsx", project)
    (pic,) = record.pictures
    assert (pic.sheet, pic.cell, pic.indicator, pic.kind) == (IND, cell, "11", "单元格图片")
    progress = next(p for p in record.progress if p.indicator == "11")
    assert "DISPIMG" not in progress.files  # the formula is a picture, not text


def test_read_return__floating_picture_on_item_row__counts_as_evidence(project):
    table = positions(blank(project, MARKET), IND)
    cells = {(IND, "11.3", layout.IND_EVIDENCE.header): None}
    bare = completed(project, MARKET, extra=cells)
    assert "R208" in codes(read_return(bare, "a.xlsx", project))
    record = read_return(with_picture(bare, IND, table.ref("11.3", layout.IND_FILES.header)), "a.xlsx", project)
    assert "R208" not in codes(record)
    assert record.pictures[0].indicator == "11" and record.pictures[0].key == "11.3"


def test_read_return__dispimg_without_image__warned(project):
    data = with_wps_cell_image(completed(project, MARKET), IND, "K5", lose_image=True)
    record = read_return(data, "a.xlsx", project)
    assert at(record, "R301") == [(IND, "K5")] and record.pictures == []


# ---------------------------------------------------------------- odds and ends


def test_parse_time__w3cdtf_variants():
    assert parse_time("2024-06-20T10:00:00Z").isoformat() == "2024-06-20T10:00:00+00:00"
    assert parse_time("2024-06-20T10:00:00.123456789Z").microsecond == 123456
    assert parse_time("2024-06-20T18:00:00+08:00").utcoffset().total_seconds() == 8 * 3600
    assert parse_time("yesterday") is None and parse_time("") is None


def test_read_return__core_properties_with_entity__refused_by_defusedxml_not_expanded(project):
    data = completed(project, MARKET)
    core = read_part(data, "docProps/core.xml")
    bomb = core.replace("<cp:coreProperties", '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                        "<cp:coreProperties", 1).replace("</dc:title>", "&b;</dc:title>")
    record = read_return(rezip(data, replace={"docProps/core.xml": bomb.encode()}), "a.xlsx", project)
    assert record.unit == MARKET and record.saved_at == ""  # the part is ignored, the file still read


def test_plan__same_rows_as_the_generated_workbook(project):
    plan = Plan(project).unit(MARKET)
    ind = positions(blank(project, MARKET), IND)
    data = positions(blank(project, MARKET), DATA)
    assert list(plan.indicator_rows) == list(ind.rows)
    assert list(plan.data_rows) == list(data.rows)


def test_read_return__saved_time_orders_not_the_file_name(project):
    old = read_return(completed(project, MARKET, saved=when(3)), "最终版.xlsx", project)
    new = read_return(completed(project, MARKET, saved=when(4)), "初稿.xlsx", project)
    assert new.order_time > old.order_time
