"""Collecting a folder of returns: a corpus of odd and bad returns, each accounted for in 回收登记; merging lead
units' answers; completeness per unit; a LibreOffice round trip; inputs untouched; the CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from fractions import Fraction as F
from typing import Callable

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from tests.conftest import ASSIGNMENTS_2022, make_project
from tests.returns_corpus import (Table, Text, blank, complete, completed, encrypted_ole, encrypted_zip_member, eml,
                                  fill, positions, png, rezip, when, with_picture, with_wps_cell_image, zip_bomb,
                                  zip_of)
from zonekit import layout
from zonekit.collect import collect, unit_status
from zonekit.files import sha256_of

IND, DATA = layout.SHEET_INDICATORS, layout.SHEET_DATA
CLAIM, SELF, PROGRESS = layout.IND_CLAIM.header, layout.IND_SELF.header, layout.IND_PROGRESS.header
EVIDENCE, VALUE, NAME = layout.IND_EVIDENCE.header, layout.DATA_VALUE.header, layout.DATA_NAME.header
MARKET, COMMERCE, STATS, TAX = "县市场监管局", "县商务局", "县统计局", "县税务局"
ADOPTED, SUPERSEDED, REFUSED, SKIPPED = (layout.STATUS_ADOPTED, layout.STATUS_SUPERSEDED, layout.STATUS_REFUSED,
                                         layout.STATUS_SKIPPED)
TODAY = date(2024, 6, 25)  # before the test projects' deadline (2024-06-30)

# indicator 3 has two lead units, so their answers can disagree
ASSIGNMENTS = {**ASSIGNMENTS_2022, "3": ([MARKET, STATS], [COMMERCE])}


def new_project(tmp_path, **fields):
    project = make_project(tmp_path, assignments=ASSIGNMENTS, **fields)
    project.returned.mkdir(parents=True, exist_ok=True)
    return project


def ref(project, unit, sheet, key, header):
    return positions(blank(project, unit), sheet).ref(key, header)


def register(result) -> dict[str, list]:
    """回收登记 as a clerk opens it: file → [状态, 单位, 原因]; plus the issues sheet as (code, file, cell)."""
    book = CalamineWorkbook.from_path(str(result.intake_log))
    rows = book.get_sheet_by_name(layout.SHEET_INTAKE_FILES).to_python()
    head = rows[0]
    col = {h: head.index(h) for h in ("文件", "状态", "单位", "原因")}
    files = {r[col["文件"]]: [r[col["状态"]], r[col["单位"]], r[col["原因"]]] for r in rows[1:]}
    issues = book.get_sheet_by_name(layout.SHEET_ISSUES).to_python()
    ihead = issues[0]
    found = [(r[ihead.index("代码")], r[ihead.index("文件")], r[ihead.index("单元格")]) for r in issues[1:]]
    return {"files": files, "issues": found}


# ---------------------------------------------------------------- the corpus


@dataclass
class Case:
    """Files dropped into 2-回收, and what 回收登记 must say about ``file``: status, and ``code`` at ``cell``."""

    name: str
    build: Callable  # project -> {relative name: bytes}
    file: str  # the file (display path under 2-回收/) the assertion is about
    status: str
    code: str | None  # None: no issue at all on that file
    sheet: str = ""
    cell: Callable | str = ""  # project -> A1, or a literal
    check: Callable | None = None  # extra assertion on the result
    reason: str = ""  # said in the file's 原因 (what happens to a file is its reason, not an issue)


def market(project, **kwargs):
    return completed(project, MARKET, **kwargs)


def value_cell(key, header=VALUE, unit=MARKET, sheet=DATA):
    return lambda p: ref(p, unit, sheet, key, header)


def answer(result, item, year=None):
    return result.answers.values.get((item, year))


def insert_keyless_row(wb):
    ws = wb[IND]
    ws.insert_rows(layout.HEADER_ROW + 2)
    table_cols = {c.value: c.column for c in ws[layout.HEADER_ROW]}
    ws.cell(layout.HEADER_ROW + 2, table_cols[PROGRESS]).value = "补充说明：已完成"


def on_table(sheet, action):
    """An ``edit`` for ``fill`` that acts on one table of the workbook: action(worksheet, Table)."""
    def edit(wb):
        action(wb[sheet], Table(wb[sheet]))
    return edit


def set_general(key):
    return on_table(DATA, lambda ws, t: setattr(t.cell(key, VALUE), "number_format", "General"))


def delete_row(key):
    return on_table(IND, lambda ws, t: ws.delete_rows(t.rows[key]))


def rekey(old, new):
    return on_table(IND, lambda ws, t: setattr(t.cell(old, layout.IND_KEY.header), "value", new))


def hidden_unit(name):
    def edit(wb):
        for row in wb[layout.SHEET_IDENTITY].iter_rows(min_col=1, max_col=2):
            if row[0].value == layout.ID_UNIT:
                row[1].value = name
    return edit


def with_macros(data):
    return rezip(data, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 not run"})


CASES = [
    Case("another project's template",
         lambda p: {"县商务局.xlsx": completed(p, COMMERCE, identity={layout.ID_PROJECT: "DY-2023"})},
         "县商务局.xlsx", REFUSED, "R012"),
    Case("another scheme version",
         lambda p: {"县商务局.xlsx": completed(p, COMMERCE, identity={layout.ID_SCHEME_VERSION: "2021试行"})},
         "县商务局.xlsx", REFUSED, "R013"),
    Case("old template layout",
         lambda p: {"县商务局.xlsx": completed(p, COMMERCE, identity={layout.ID_TEMPLATE: "0"})},
         "县商务局.xlsx", REFUSED, "R014"),
    Case("unit not in this project",
         lambda p: {"文旅.xlsx": completed(p, COMMERCE, identity={layout.ID_UNIT: "县文旅局"})},
         "文旅.xlsx", REFUSED, "R015"),
    Case("identity in properties and hidden sheet disagree",
         lambda p: {"a.xlsx": completed(p, COMMERCE, edit=hidden_unit(TAX))},
         "a.xlsx", REFUSED, "R018", layout.SHEET_IDENTITY),
    Case("no identity, unit in the file name",
         lambda p: {"县商务局-填报表(1)(修改版).xlsx": completed(p, COMMERCE, drop_identity=True)},
         "县商务局-填报表(1)(修改版).xlsx", ADOPTED, "R011",
         check=lambda r: r.returns[0].unit == COMMERCE),
    Case("no identity, no unit in the file name",
         lambda p: {"填报表.xlsx": completed(p, COMMERCE, drop_identity=True)},
         "填报表.xlsx", REFUSED, "R010"),
    Case("another unit's file name",
         lambda p: {"县商务局-填报表.xlsx": market(p)},
         "县商务局-填报表.xlsx", ADOPTED, "R019", check=lambda r: r.returns[0].unit == MARKET),
    Case("earlier round: listed, never mixed into this round",
         lambda p: {"a.xlsx": market(p, identity={layout.ID_ROUND: "第0轮"})}, "a.xlsx", SKIPPED, "R017",
         check=lambda r: not r.answers.claims and MARKET not in r.merges),
    Case("key tampered with",
         lambda p: {"a.xlsx": market(p, edit=rekey("11.3", "11.9"))}, "a.xlsx", REFUSED, "R203", IND,
         lambda p: ref(p, MARKET, IND, "11.3", layout.IND_KEY.header)),
    Case("row deleted",
         lambda p: {"a.xlsx": market(p, edit=delete_row("12.2"))}, "a.xlsx", REFUSED, "R204", IND,
         check=lambda r: "12.2" not in r.answers.claims),
    Case("key duplicated",
         lambda p: {"a.xlsx": market(p, edit=rekey("12.2", "12.1"))}, "a.xlsx", REFUSED, "R205", IND,
         lambda p: ref(p, MARKET, IND, "12.2", layout.IND_KEY.header)),
    Case("row inserted without key",
         lambda p: {"a.xlsx": market(p, edit=insert_keyless_row)}, "a.xlsx", ADOPTED, "R206", IND,
         lambda p: f"{chr(65 + [c.header for c in layout.INDICATOR_COLUMNS].index(PROGRESS))}"
                   f"{layout.HEADER_ROW + 2}"),
    Case("number typed as text",
         lambda p: {"a.xlsx": market(p, extra={(DATA, "online_traders", VALUE): "1200"})}, "a.xlsx", ADOPTED,
         "R101", DATA, value_cell("online_traders"), lambda r: answer(r, "online_traders") == 1200),
    Case("12.5% typed as text in a rate cell",
         lambda p: {"a.xlsx": market(p, extra={(DATA, "identity_claim_rate", VALUE): "87.5%"})}, "a.xlsx",
         ADOPTED, None, check=lambda r: answer(r, "identity_claim_rate") == F(7, 8)),
    Case("87.5 typed into a percent cell (LibreOffice shows 8750%): 87.5% suggested",
         lambda p: {"a.xlsx": market(p, extra={(DATA, "identity_claim_rate", VALUE): 87.5})}, "a.xlsx",
         REFUSED, "R118", DATA, value_cell("identity_claim_rate"),
         lambda r: answer(r, "identity_claim_rate") is None),
    Case("87.5 in a General rate cell",
         lambda p: {"a.xlsx": market(p, extra={(DATA, "identity_claim_rate", VALUE): 87.5},
                                     edit=set_general("identity_claim_rate"))}, "a.xlsx", ADOPTED, None,
         check=lambda r: answer(r, "identity_claim_rate") == F(7, 8)),
    Case("0.875 in a General rate cell",
         lambda p: {"a.xlsx": market(p, extra={(DATA, "identity_claim_rate", VALUE): 0.875},
                                     edit=set_general("identity_claim_rate"))}, "a.xlsx", ADOPTED, "R110",
         DATA, value_cell("identity_claim_rate"), lambda r: answer(r, "identity_claim_rate") == F(7, 800)),
    Case("full-width digits",
         lambda p: {"a.xlsx": market(p, extra={(DATA, "market_entities", VALUE): "１２００"})}, "a.xlsx", ADOPTED,
         "R102", DATA, value_cell("market_entities"), lambda r: answer(r, "market_entities") == 1200),
    Case("thousands separator",
         lambda p: {"a.xlsx": market(p, extra={(DATA, "market_entities", VALUE): "12,000"})}, "a.xlsx", ADOPTED,
         "R103", DATA, value_cell("market_entities"), lambda r: answer(r, "market_entities") == 12000),
    Case("约 … 户",
         lambda p: {"a.xlsx": market(p, extra={(DATA, "online_traders", VALUE): "约1200户"})}, "a.xlsx", ADOPTED,
         "R104", DATA, value_cell("online_traders"), lambda r: answer(r, "online_traders") == 1200),
    Case("≈ … 万元",
         lambda p: {"a.xlsx": completed(p, TAX, extra={(DATA, "ecommerce_tax", VALUE): "≈60.5万元"})}, "a.xlsx",
         ADOPTED, "R105", DATA, value_cell("ecommerce_tax", unit=TAX),
         lambda r: answer(r, "ecommerce_tax") == F(121, 2)),
    Case("元 in a 万元 row",
         lambda p: {"a.xlsx": completed(p, TAX, extra={(DATA, "ecommerce_tax", VALUE): "605000元"})}, "a.xlsx",
         REFUSED, "R106", DATA, value_cell("ecommerce_tax", unit=TAX),
         lambda r: answer(r, "ecommerce_tax") is None),
    Case("negative count",
         lambda p: {"a.xlsx": market(p, extra={(DATA, "online_traders", VALUE): -5})}, "a.xlsx", REFUSED,
         "R108", DATA, value_cell("online_traders")),
    Case("rate above 100%",
         lambda p: {"a.xlsx": market(p, extra={(DATA, "mediation_success_rate", VALUE): "120%"})}, "a.xlsx",
         REFUSED, "R109", DATA, value_cell("mediation_success_rate")),
    Case("judged score above its points",
         lambda p: {"a.xlsx": market(p, extra={(IND, "16", SELF): 5})}, "a.xlsx", REFUSED, "R115", IND,
         lambda p: ref(p, MARKET, IND, "16", SELF), lambda r: "16" not in r.answers.judged),
    Case("required input left blank",
         lambda p: {"a.xlsx": market(p, extra={(IND, "9", PROGRESS): None})}, "a.xlsx", REFUSED, "R207", IND,
         lambda p: ref(p, MARKET, IND, "9", PROGRESS),
         lambda r: r.units[0].state == layout.STATE_RETURNED and "指标9 工作进展" in r.units[0].missing),
    Case("claim 是 without evidence description",
         lambda p: {"a.xlsx": market(p, extra={(IND, "11.3", CLAIM): "是", (IND, "11.3", EVIDENCE): None})},
         "a.xlsx", ADOPTED, "R208", IND, lambda p: ref(p, MARKET, IND, "11.3", EVIDENCE),
         lambda r: r.answers.claims["11.3"] is True),
    Case("claim neither 是 nor 否",
         lambda p: {"a.xlsx": market(p, extra={(IND, "12.1", CLAIM): "部分达到"})}, "a.xlsx", REFUSED, "R113",
         IND, lambda p: ref(p, MARKET, IND, "12.1", CLAIM), lambda r: "12.1" not in r.answers.claims),
    Case("responsible unit answers a claim",
         lambda p: {"a.xlsx": completed(p, COMMERCE, extra={(IND, "12", CLAIM): "是"})}, "a.xlsx", ADOPTED,
         "R209", IND, lambda p: ref(p, COMMERCE, IND, "12", CLAIM)),
    Case("list entry with a name but no amount",
         lambda p: {"a.xlsx": completed(p, COMMERCE, extra={(DATA, "new_large_traders#3", NAME): "丙公司"})},
         "a.xlsx", ADOPTED, "R210", DATA, value_cell("new_large_traders#3", unit=COMMERCE)),
    Case("Office lock file",
         lambda p: {"~$县商务局.xlsx": b"\x0c\x00lock"}, "~$县商务局.xlsx", SKIPPED, "R004"),
    Case("not a workbook",
         lambda p: {"佐证/营业执照.pdf": b"%PDF-1.4\n%..."}, "佐证/营业执照.pdf", SKIPPED, "R005"),
    Case("Word document named .docx",
         lambda p: {"情况说明.docx": zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})},
         "情况说明.docx", SKIPPED, "R005"),
    Case("password-protected workbook (encrypted OLE)",
         lambda p: {"县商务局-填报表.xlsx": encrypted_ole()}, "县商务局-填报表.xlsx", REFUSED, "R002"),
    Case("zip bomb", lambda p: {"材料.zip": zip_bomb(4)}, "材料.zip", REFUSED, "R003"),
    Case("archive nested too deep",
         lambda p: {"a.zip": zip_of({"b.zip": zip_of({"c.zip": zip_of({"d.zip": zip_of({"x.txt": b"x"})})})})},
         "a.zip!b.zip!c.zip!d.zip", REFUSED, "R003"),
    Case("password-protected zip",
         lambda p: {"加密.zip": encrypted_zip_member("县商务局.xlsx", b"PK...")}, "加密.zip!县商务局.xlsx", REFUSED,
         "R007"),
    Case("nested zip",
         lambda p: {"全部.zip": zip_of({"商务/县商务局.zip": zip_of({"县商务局-填报表.xlsx": completed(p, COMMERCE)})})},
         "全部.zip!商务/县商务局.zip!县商务局-填报表.xlsx", ADOPTED, None),
    Case("zip from Windows with GBK names",
         lambda p: {"回传.zip": zip_of({"县商务局填报.xlsx": completed(p, COMMERCE)}, gbk_names=True)},
         "回传.zip!县商务局填报.xlsx", ADOPTED, None),
    Case(".eml attachment",
         lambda p: {"收件/回复.eml": eml([("县商务局-填报表.xlsx", completed(p, COMMERCE))], sent=when(22))},
         "收件/回复.eml!县商务局-填报表.xlsx", ADOPTED, None,
         check=lambda r: r.returns[0].received_at == "2024-06-22T10:00:00+00:00"
         and r.returns[0].sender == "swj@example.cn"),
    Case("forwarded .eml with a zip inside",
         lambda p: {"转发.eml": eml([("材料.zip", zip_of({"县商务局.xlsx": completed(p, COMMERCE)}))],
                                  forwarded=True)},
         "转发.eml!材料.zip!县商务局.xlsx", ADOPTED, None),
    Case("e-mail without attachment",
         lambda p: {"催办回复.eml": eml([])}, "催办回复.eml", SKIPPED, "R005"),
    Case("returned twice: the older is superseded",
         lambda p: {"县商务局.xlsx": completed(p, COMMERCE, saved=when(12)),
                    "县商务局(修改版).xlsx": completed(p, COMMERCE, seed=1, saved=when(15))},
         "县商务局.xlsx", SUPERSEDED, None, reason="按文件内保存时间：较新者 2024-06-15 ",
         check=lambda r: r.answers.judged["10"] == 1),  # seed 1 halves the self score: the newer one counts
    Case("the same file twice",
         lambda p: dict.fromkeys(["a.xlsx", "b/a.xlsx"], completed(p, COMMERCE)),
         "b/a.xlsx", SUPERSEDED, None, reason="与「2-回收/a.xlsx」内容完全相同"),
    Case("two lead units disagree",
         lambda p: {"监管.xlsx": market(p, extra={(DATA, "online_traders", VALUE): 1200}),
                    "统计.xlsx": completed(p, STATS, extra={(DATA, "online_traders", VALUE): 1300})},
         "统计.xlsx", ADOPTED, "R402", DATA, value_cell("online_traders", unit=STATS),
         lambda r: answer(r, "online_traders") == 1200 and "3" in r.conflicts),
    Case("WPS in-cell picture",
         lambda p: {"a.xlsx": with_wps_cell_image(market(p), IND, ref(p, MARKET, IND, "11", "佐证材料清单"))},
         "a.xlsx", ADOPTED, None,
         check=lambda r: [(e.indicator, e.kind) for e in r.evidence] == [("11", "单元格图片")]
         and (r.project.output / r.evidence[0].path).read_bytes() == png(3, 3, (30, 160, 30))),
    Case("WPS in-cell picture whose image is missing",
         lambda p: {"a.xlsx": with_wps_cell_image(market(p), IND, "K6", lose_image=True)}, "a.xlsx", ADOPTED,
         "R301", IND, "K6"),
    Case("floating picture on an indicator row",
         lambda p: {"a.xlsx": with_picture(market(p), IND, ref(p, MARKET, IND, "12.1", "佐证材料清单"))},
         "a.xlsx", ADOPTED, None,
         check=lambda r: [e.path for e in r.evidence] == [f"佐证材料/{MARKET}/12/指标填报-"
                                                          f"{ref(r.project, MARKET, IND, '12.1', '佐证材料清单')}.png"]),
    Case("macro-enabled workbook",
         lambda p: {"a.xlsm": with_macros(market(p))}, "a.xlsm", ADOPTED, "R021"),
    Case("binary workbook (.xlsb)",
         lambda p: {"a.xlsb": zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\0"})},
         "a.xlsb", REFUSED, "R006"),
    Case("truncated workbook", lambda p: {"a.xlsx": market(p)[:3000]}, "a.xlsx", REFUSED, "R001"),
    Case("web page saved as .xls", lambda p: {"a.xls": b"<html><table><tr><td>1</td></tr></table></html>"},
         "a.xls", REFUSED, "R001"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_collect__corpus_case__issue_at_its_cell_and_listed_in_register(tmp_path, case):
    project = new_project(tmp_path)
    for name, data in case.build(project).items():
        target = project.returned / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    result = collect(project, today=TODAY)
    shown = f"{layout.RETURNED_DIR}/{case.file}"
    book = register(result)
    assert shown in book["files"], sorted(book["files"])
    assert book["files"][shown][0] == case.status
    mine = [i for i in result.issues.issues if i.file == shown]
    if case.code is None:
        assert mine == []
    else:
        cell = case.cell(project) if callable(case.cell) else case.cell
        assert (case.code, case.sheet, cell) in [(i.code, i.sheet, i.cell) for i in mine], \
            [(i.code, i.sheet, i.cell, i.message) for i in mine]
        assert (case.code, shown, cell) in book["issues"]
    assert case.reason in book["files"][shown][2]
    if case.check:
        assert case.check(result)


def test_corpus__at_least_25_distinct_cases():
    assert len({c.name for c in CASES}) >= 25
    assert len({c.code for c in CASES}) >= 25


# ---------------------------------------------------------------- merging


def test_collect__two_leads_disagree__conflict_names_both_and_the_scored_one(tmp_path):
    project = new_project(tmp_path)
    (project.returned / "监管.xlsx").write_bytes(market(project, extra={(DATA, "online_traders", VALUE): 1200}))
    (project.returned / "统计.xlsx").write_bytes(
        completed(project, STATS, extra={(DATA, "online_traders", VALUE): 1300}))
    result = collect(project, today=TODAY)
    (conflict,) = [i for i in result.issues.issues if i.code == "R402"]
    assert "县统计局」填报 1300" in conflict.message and "「县市场监管局」填报 1200" in conflict.message
    assert "按任务分解中排在前面的牵头单位「县市场监管局」的 1200 计分" in conflict.message
    used = {(c.unit, c.used) for c in result.contributions if c.key == "online_traders"}
    assert used == {(MARKET, True), (STATS, False)}
    unit, key, text, is_used = next(c for c in result.contributions if c.key == "online_traders" and c.used)
    assert (unit, key, text, is_used) == (MARKET, "online_traders", "1200", True)


def test_collect__two_leads_agree__no_conflict_and_counted_once(tmp_path):
    project = new_project(tmp_path)
    (project.returned / "监管.xlsx").write_bytes(market(project, extra={(DATA, "online_traders", VALUE): 1200}))
    (project.returned / "统计.xlsx").write_bytes(
        completed(project, STATS, extra={(DATA, "online_traders", VALUE): "1,200"}))
    result = collect(project, today=TODAY)
    assert "R402" not in result.issues.codes() and not result.conflicts
    statuses = {c.unit: c.status for c in result.contributions if c.key == "online_traders"}
    assert statuses == {MARKET: ADOPTED, STATS: "相同未重复计"}


def test_collect__first_lead_left_it_blank__second_lead_used_without_conflict(tmp_path):
    project = new_project(tmp_path)
    (project.returned / "监管.xlsx").write_bytes(market(project, extra={(DATA, "online_traders", VALUE): None}))
    (project.returned / "统计.xlsx").write_bytes(
        completed(project, STATS, extra={(DATA, "online_traders", VALUE): 1300}))
    result = collect(project, today=TODAY)
    assert answer(result, "online_traders") == 1300 and "R402" not in result.issues.codes()


def test_collect__national_values_and_progress__merged(tmp_path):
    project = new_project(tmp_path)
    project.national[("national_online_retail_growth", 2023)] = F(1, 10)
    (project.returned / "商务.xlsx").write_bytes(completed(project, COMMERCE))
    (project.returned / "统计.xlsx").write_bytes(completed(project, STATS))
    result = collect(project, today=TODAY)
    assert answer(result, "national_online_retail_growth", 2023) == F(1, 10)
    roles = [(e.unit, e.role) for e in result.progress["1"]]
    assert roles == [(COMMERCE, "牵头"), (STATS, "责任")]  # leads first, as in 任务分解


def test_collect__answers_feed_scoring(tmp_path):
    from zonekit.scoring import score

    project = new_project(tmp_path)
    for unit in (MARKET, COMMERCE, STATS, TAX, "县人社局"):
        (project.returned / f"{unit}.xlsx").write_bytes(completed(project, unit))
    result = collect(project, today=TODAY)
    scored = score(project.scheme, result.answers, project.years, project.region_class)
    by_number = {i.number: i for i in scored.indicators}
    assert by_number["16"].score == 3 and by_number["11"].score > 0


# ---------------------------------------------------------------- completeness and timeliness


def test_collect__units_states__reported_missing_late_returned(tmp_path):
    project = new_project(tmp_path)
    (project.returned / "商务.xlsx").write_bytes(completed(project, COMMERCE))
    (project.returned / "监管.xlsx").write_bytes(market(project, extra={(IND, "16", SELF): 9}))
    (project.returned / "税务.xlsx").write_bytes(
        completed(project, TAX, identity={layout.ID_SCHEME_VERSION: "旧版"}))
    before = {s.unit: s.state for s in collect(project, today=TODAY).units}
    assert before == {MARKET: "退回", COMMERCE: "已报", STATS: "未报", TAX: "退回", "县人社局": "未报"}
    after = collect(project, today=date(2024, 7, 1))
    states = {s.unit: s for s in after.units}
    assert states[STATS].state == "逾期" and "R403" in [i.code for i in states[STATS].issues]
    # co-lead of 3: its progress and data; of 1 and 7 it is a responsible unit, whose 工作进展 is optional
    assert states[STATS].missing == ["指标3 工作进展", "网络交易经营者数量", "市场主体数量"]
    assert "县档案馆" not in states  # nothing to do, nothing to return


def test_collect__returned_after_deadline__reported_with_late_warning(tmp_path):
    project = new_project(tmp_path)
    (project.returned / "商务.eml").write_bytes(
        eml([("商务.xlsx", completed(project, COMMERCE, saved=when(29)))], sent=date_time(2024, 7, 2)))
    result = collect(project, today=date(2024, 7, 3))
    status = next(s for s in result.units if s.unit == COMMERCE)
    assert status.state == "已报" and "R404" in [i.code for i in status.issues]


def date_time(y, m, d):
    from datetime import datetime, timezone

    return datetime(y, m, d, 9, 0, tzinfo=timezone.utc)


def test_collect__newest_refused__older_kept_and_said(tmp_path):
    project = new_project(tmp_path)
    (project.returned / "旧.xlsx").write_bytes(completed(project, COMMERCE, saved=when(10)))
    (project.returned / "新.xlsx").write_bytes(
        completed(project, COMMERCE, saved=when(12), identity={layout.ID_TEMPLATE: "0"}))
    result = collect(project, today=TODAY)
    status = next(s for s in result.units if s.unit == COMMERCE)
    assert status.last_file.endswith("旧.xlsx") and "R407" in [i.code for i in status.issues]


def test_unit_status__read_from_state_without_rereading(tmp_path):
    project = new_project(tmp_path)
    (project.returned / "商务.xlsx").write_bytes(completed(project, COMMERCE))
    result = collect(project, today=TODAY)
    for path in project.returned.iterdir():
        path.unlink()  # status must not need the files
    statuses = unit_status(project, today=TODAY)
    assert [(s.unit, s.state) for s in statuses] == [(s.unit, s.state) for s in result.units]
    assert statuses[1].issues == result.units[1].issues
    late = {s.unit: s.state for s in unit_status(project, today=date(2024, 7, 1))}
    assert late[STATS] == "逾期" and late[COMMERCE] == "已报"


def test_unit_status__before_any_collect__everyone_owes_everything(tmp_path):
    project = new_project(tmp_path)
    statuses = unit_status(project, today=TODAY)
    assert {s.state for s in statuses} == {"未报"}
    assert "分项11.3 是否达到" in next(s for s in statuses if s.unit == MARKET).missing


# ---------------------------------------------------------------- safety and repeatability


def test_collect__inputs_byte_identical_and_rerun_same_result(tmp_path):
    project = new_project(tmp_path)
    files = {"a.xlsx": market(project), "b.zip": zip_of({"商务.xlsx": completed(project, COMMERCE)}),
             "c.eml": eml([("统计.xlsx", completed(project, STATS))]), "~$a.xlsx": b"lock",
             "d.xlsx": with_wps_cell_image(completed(project, TAX), IND, "K5")}
    for name, data in files.items():
        (project.returned / name).write_bytes(data)
    before = {p: sha256_of(p) for p in project.returned.rglob("*") if p.is_file()}
    mtimes = {p: p.stat().st_mtime_ns for p in before}
    first = collect(project, today=TODAY)
    register_1 = register(first)
    second = collect(project, today=TODAY)
    assert {p: sha256_of(p) for p in before} == before
    assert {p: p.stat().st_mtime_ns for p in before} == mtimes
    assert second.answers == first.answers
    assert [s.to_dict() for s in second.units] == [s.to_dict() for s in first.units]
    assert register(second) == register_1
    assert [e.path for e in second.evidence] == [e.path for e in first.evidence]


def test_collect__newer_return_moves_picture__stale_evidence_removed(tmp_path):
    project = new_project(tmp_path)
    old = project.returned / "旧.xlsx"
    old.write_bytes(with_picture(market(project, saved=when(10)), IND, "K5"))
    first = collect(project, today=TODAY)
    stale = project.output / first.evidence[0].path
    own = project.output / layout.EVIDENCE_DIR / "创建办自己放的.txt"
    own.write_text("keep")
    (project.returned / "新.xlsx").write_bytes(with_picture(market(project, saved=when(11)), IND, "K6"))
    second = collect(project, today=TODAY)
    assert [(e.source, e.cell) for e in second.evidence] == [("2-回收/新.xlsx", "K6")]
    assert not stale.exists() and own.exists() and (project.output / second.evidence[0].path).exists()


def test_collect__one_unreadable_file__others_still_collected(tmp_path, monkeypatch):
    project = new_project(tmp_path)
    (project.returned / "商务.xlsx").write_bytes(completed(project, COMMERCE))
    bad = project.returned / "坏.xlsx"
    bad.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    result = collect(project, today=TODAY)
    assert {r.file.split("/")[-1]: r.status for r in result.returns} == {"商务.xlsx": ADOPTED, "坏.xlsx": REFUSED}


def test_collect__user_text_starting_with_equals__written_as_text(tmp_path):
    project = new_project(tmp_path)
    text = '=HYPERLINK("http://x","点我")'
    typed = {(IND, "1", PROGRESS): Text(text)}
    (project.returned / "商务.xlsx").write_bytes(completed(project, COMMERCE, extra=typed))
    result = collect(project, today=TODAY)
    import zipfile

    with zipfile.ZipFile(result.merged) as zf:
        sheets = "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in sheets
    progress = CalamineWorkbook.from_path(str(result.merged)).get_sheet_by_name(
        layout.SHEET_MERGED_PROGRESS).to_python()
    assert [text] == [c for row in progress for c in row if c == text]


def test_collect__merged_workbook__every_answer_and_who_gave_it(tmp_path):
    project = new_project(tmp_path)
    (project.returned / "商务.xlsx").write_bytes(completed(project, COMMERCE))
    result = collect(project, today=TODAY)
    rows = CalamineWorkbook.from_path(str(result.merged)).get_sheet_by_name(layout.SHEET_ANSWERS).to_python()
    head = rows[0]
    assert head == [c.header for c in layout.ANSWER_COLUMNS]
    by_key = {r[head.index("键")]: r for r in rows[1:]}
    row = by_key["online_retail_growth@2023"]
    assert row[head.index("填报值")] == 0.125 and row[head.index("填报单位")] == COMMERCE  # a number, shown 12.5%
    assert row[head.index("状态")] == ADOPTED


def test_collect__parallel_and_serial__same_result(tmp_path):
    project = new_project(tmp_path)
    for n in range(6):
        (project.returned / f"商务{n}.xlsx").write_bytes(completed(project, COMMERCE, seed=n, saved=when(10 + n)))
    (project.returned / "监管.xlsx").write_bytes(market(project))
    serial = collect(project, today=TODAY, workers=1, write=False)
    parallel = collect(project, today=TODAY, workers=2, write=False)
    assert serial.answers == parallel.answers
    assert [(r.file, r.status) for r in serial.returns] == [(r.file, r.status) for r in parallel.returns]


# ---------------------------------------------------------------- LibreOffice round trip


@pytest.mark.office
def test_collect__round_trip_through_libreoffice_zip_and_mail__exactly_the_typed_answers(tmp_path):
    from zonekit.office import convert_many
    from zonekit.generate import generate

    project = new_project(tmp_path / "p")
    generated = generate(project, force=True)  # a partial plan, sent on purpose
    sources = tmp_path / "filled"
    sources.mkdir()
    typed = {}
    by_unit = {}
    for book in generated.books:
        cells, expected = complete(project, book.unit, seed=len(typed))
        data = fill(book.path.read_bytes(), _only_unlocked(book.path.read_bytes(), cells))
        path = sources / f"{book.unit}.xlsx"
        path.write_bytes(data)
        typed[book.unit], by_unit[book.unit] = expected, path
    units = sorted(by_unit)
    as_xlsx = convert_many([by_unit[u] for u in units[:3]], "xlsx", tmp_path / "lo-xlsx")
    as_xls = convert_many([by_unit[u] for u in units[3:]], "xls", tmp_path / "lo-xls")
    (project.returned / "各单位.zip").write_bytes(zip_of({p.name: p.read_bytes() for p in as_xlsx[:2]}))
    (project.returned / "转发.eml").write_bytes(eml([(as_xlsx[2].name, as_xlsx[2].read_bytes())]))
    for path in as_xls:
        (project.returned / path.name).write_bytes(path.read_bytes())
    result = collect(project, today=TODAY)
    assert {r.status for r in result.returns} == {ADOPTED}, [(r.file, r.issues) for r in result.returns]
    assert {r.format for r in result.returns} == {"xlsx", "xls"}
    assert not result.issues.errors
    got: dict[str, dict] = {}
    for c in result.contributions:
        if c.kind == "national":
            continue
        kind = c.kind
        value = c.value if kind != "list" else (c.text.split("：")[0], c.value)
        got.setdefault(c.unit, {})[(kind, c.key)] = value
    for unit in units:
        assert got.get(unit, {}) == typed[unit], unit


def _only_unlocked(data, cells):
    """Keep only the cells a clerk can type into (unlocked in the protected sheets)."""
    kept = {}
    tables = {}
    for (sheet, key, header), value in cells.items():
        table = tables.setdefault(sheet, positions(data, sheet))
        if table.cell(key, header).protection.locked is False:
            kept[(sheet, key, header)] = value
    assert len(kept) == len(cells), "every answer goes into an unlocked (yellow) cell"
    return kept


# ---------------------------------------------------------------- CLI


@pytest.fixture
def project_dir(tmp_path):
    from zonekit.workbench import create_project

    root = tmp_path / "项目"
    create_project(root, "2022", "新绛县", "山西省")
    return root


def test_cli_collect__empty_folder__register_written_and_exit_0(project_dir):
    result = CliRunner().invoke(__import__("zonekit.cli", fromlist=["main"]).main, ["collect", str(project_dir)])
    assert result.exit_code == 0, result.output
    assert "没有找到回收文件" in result.output and "回收登记" in result.output
    assert (project_dir / layout.OUTPUT_DIR / layout.INTAKE_LOG).is_file()


def test_cli_collect_status_check__json_and_exit_codes(tmp_path):
    from zonekit.cli import main

    project = new_project(tmp_path / "p")
    (project.returned / "商务.xlsx").write_bytes(completed(project, COMMERCE))
    bad = tmp_path / "监管.xlsx"
    bad.write_bytes(market(project, extra={(IND, "16", SELF): 9}))
    import zonekit.workbench as workbench

    runner = CliRunner()
    original = workbench.load_project
    workbench.load_project = lambda _dir, **_: project
    try:
        out = runner.invoke(main, ["collect", str(project.root), str(bad), "--json"])
        assert out.exit_code == 1, out.output
        data = json.loads(out.output)
        assert (data["counts"][ADOPTED], data["counts"][REFUSED]) == (1, 1) and not data["valid"]
        assert any(i["code"] == "R115" for i in data["issues"])
        status = runner.invoke(main, ["status", str(project.root)])
        assert status.exit_code == 0 and "县商务局" in status.output and "退回" in status.output
        status_json = json.loads(runner.invoke(main, ["status", str(project.root), "--json"]).output)
        assert {s["unit"]: s["state"] for s in status_json}[COMMERCE] == "已报"
        check = runner.invoke(main, ["check", str(bad), "--project", str(project.root)])
        assert check.exit_code == 1 and "R115" in check.output and "指标填报!" in check.output
        good = runner.invoke(main, ["check", str(project.returned / "商务.xlsx"), "--project", str(project.root),
                                    "--json"])
        assert good.exit_code == 0 and json.loads(good.output)["valid"] is True
    finally:
        workbench.load_project = original


def test_cli__check_collect_status__have_help_with_example():
    from zonekit.cli import main

    for command in ("check", "collect", "status"):
        out = CliRunner().invoke(main, [command, "--help"])
        assert out.exit_code == 0 and "示例" in out.output


def test_collect__wrong_template_then_corrected_file__nothing_remains(tmp_path):
    project = new_project(tmp_path)
    (project.returned / "旧模板.xlsx").write_bytes(
        completed(project, COMMERCE, saved=when(10), identity={layout.ID_TEMPLATE: "0"}))
    (project.returned / "改正.xlsx").write_bytes(completed(project, COMMERCE, saved=when(12)))
    result = collect(project, today=TODAY)
    assert {r.file.split("/")[-1]: r.status for r in result.returns} == {"旧模板.xlsx": REFUSED, "改正.xlsx": ADOPTED}
    assert result.issues.errors and result.remaining == [] and result.valid


def test_collect__superseded_return_had_errors__they_no_longer_block(tmp_path):
    project = new_project(tmp_path)
    (project.returned / "初稿.xlsx").write_bytes(market(project, saved=when(10), extra={(IND, "16", SELF): 9}))
    (project.returned / "终稿.xlsx").write_bytes(market(project, saved=when(12)))
    result = collect(project, today=TODAY)
    first = next(r for r in result.returns if r.file.endswith("初稿.xlsx"))
    assert first.status == SUPERSEDED and [i.code for i in first.errors] == ["R115"]
    assert "R115" not in result.issues.codes() and result.valid
    assert next(s for s in result.units if s.unit == MARKET).state == "已报"
