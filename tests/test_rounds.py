"""Rounds over the creation period, on the demo, through the CLI as a clerk runs them: round start closes 第1轮 (its
result kept) and writes 第2轮's workbooks pre-filled with each unit's merged answers; the units return them (changed
or not); a 第1轮 form dropped in late is listed and never mixed in; the summary's 趋势 and 指标趋势, round list and
the report show both rounds; round undo puts a mistaken start back."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date, datetime, timezone
from fractions import Fraction
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from zonekit import layout
from zonekit.cli import main
from zonekit.collect import from_ledger, merged_returns
from zonekit.demo import fill_return
from zonekit.intake import read_return
from zonekit.rounds import RoundResult, next_name
from zonekit.summary import TREND_HEAD_ROW, score_change
from zonekit.workbench import load_project

STATS, POST, MEDIA = "县统计局", "新绛县邮政分公司", "县融媒体中心"  # two versions merged; two that sent nothing


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("rounds") / "示范县"
    assert CliRunner().invoke(main, ["demo", str(root)]).exit_code == 0
    return root


@pytest.fixture(scope="module")
def started_root(demo_root, tmp_path_factory):
    """The demo once 第2轮 has started (and what it printed)."""
    root = tmp_path_factory.mktemp("started") / "示范县"
    shutil.copytree(demo_root, root)
    return root, run("round", "start", root).output


@pytest.fixture
def demo(demo_root, tmp_path):
    root = tmp_path / "示范县"
    shutil.copytree(demo_root, root)
    return root


@pytest.fixture
def started(started_root, tmp_path):
    root = tmp_path / "示范县"
    shutil.copytree(started_root[0], root)
    return root


def run(*args, code=0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result


def score_json(root) -> dict:
    return json.loads(run("score", root, "--json").output)


def info_row(root, label):
    ws = openpyxl.load_workbook(root / layout.PROJECT_WORKBOOK)[layout.SHEET_INFO]
    return next(r[1].value for r in ws.iter_rows(min_row=2) if r[0].value == label)


def book(root, unit):
    return next((root / layout.OUTGOING_DIR).glob(f"*-{unit}-填报表.xlsx"))


def answers_of(record) -> dict:
    """What a unit's return says: every answer by row key and kind, every text by row and column."""
    return {**{(a.key, a.kind): a.value if a.value is not None else a.typed for a in record.answers},
            **{(key, column): text for key, columns in record.texts.items() for column, text in columns.items()}}


def return_round_two(root, change=None, leave_out=()):
    """Every unit sends its 第2轮 workbook back (``change``: unit → the bytes it sends instead)."""
    folder = root / layout.RETURNED_DIR / "第2轮"
    folder.mkdir()
    for path in sorted((root / layout.OUTGOING_DIR).glob(layout.UNIT_BOOK_GLOB)):
        unit = path.name.split("-")[1]
        if unit not in leave_out:
            (folder / path.name).write_bytes((change or {}).get(unit) or path.read_bytes())


def lower_retail(data_path, years) -> bytes:
    """The statistics bureau revises last year's online retail sales down (growth falls below the national rate)."""
    import io

    wb = openpyxl.load_workbook(data_path)
    ws = wb[layout.SHEET_DATA]
    cols = {c.value: c.column for c in ws[layout.HEADER_ROW] if c.value}
    for r in range(layout.HEADER_ROW + 1, ws.max_row + 1):
        if ws.cell(r, cols[layout.DATA_KEY.header]).value == f"online_retail@{years[-1]}":
            ws.cell(r, cols[layout.DATA_VALUE.header]).value = 170000
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def trend_rows(root) -> list[tuple]:
    ws = openpyxl.load_workbook(root / layout.OUTPUT_DIR / layout.SUMMARY)[layout.SHEET_TREND]
    return [r for r in ws.iter_rows(min_row=TREND_HEAD_ROW + 2, max_col=ws.max_column, values_only=True) if r[0]]


# ---------------------------------------------------------------- round start


def test_round_start__demo__next_round_workbooks_carry_each_units_merged_answers(demo_root, started_root,
                                                                                    read_identity):
    merged = merged_returns(from_ledger(load_project(demo_root)))
    demo, out = started_root
    assert "「第1轮」已结束并存档" in out and "20份已填入各单位「第1轮」报送的内容" in out
    assert info_row(demo, layout.INFO_ROUND) == "第2轮"
    second = load_project(demo)
    for unit in (STATS, "县市场监管局", "县税务局"):  # two versions merged; one zipped; one with a refused value
        path = book(demo, unit)
        assert read_identity(path)[layout.ID_ROUND] == "第2轮"
        back = read_return(path.read_bytes(), path.name, second)
        assert answers_of(back) == answers_of(merged[unit]), unit
    assert not any(r.key.startswith("online") for r in read_return(book(demo, MEDIA).read_bytes(), "x.xlsx",
                                                                   second).answers)  # sent nothing: blank
    guide = openpyxl.load_workbook(book(demo, STATS))[layout.SHEET_GUIDE]
    said = {r[0]: r[1] for r in guide.iter_rows(min_row=3, max_col=2, values_only=True)}
    assert said[layout.GUIDE_REFILL].count("「第2轮」的填报表，已填入本单位「第1轮」报送的全部内容") == 1
    kept = demo / layout.OUTGOING_DIR / "第1轮"
    assert read_identity(next(kept.glob(f"*-{STATS}-填报表.xlsx")))[layout.ID_ROUND] == "第1轮"
    assert (kept / layout.MANIFEST).is_file()


def test_round_start__two_rounds_with_changed_answers__trend_marks_and_a_late_first_round_form_kept_apart(
        demo_root, started):
    first = score_json(demo_root)
    demo = started
    project = load_project(demo)
    post = fill_return(project, POST, book(demo, POST))  # the post office answers at last
    stats = lower_retail(book(demo, STATS), project.years)
    return_round_two(demo, {POST: post, STATS: stats}, leave_out=(MEDIA,))
    late = fill_return(project, MEDIA, next((demo / layout.OUTGOING_DIR / "第1轮").glob(f"*-{MEDIA}-*")))
    (demo / layout.RETURNED_DIR / f"{MEDIA}-补交.xlsx").write_bytes(late)  # its 第1轮 form, after 第2轮 started

    collected = run("collect", demo, code=1).output  # 县税务局 still has its refused value
    assert "另有" in collected and "其他轮次的填报表" in collected
    register = openpyxl.load_workbook(demo / layout.OUTPUT_DIR / layout.INTAKE_LOG)
    files = {r[0]: r for r in register[layout.SHEET_INTAKE_FILES].iter_rows(min_row=2, values_only=True)}
    row = files[f"{layout.RETURNED_DIR}/{MEDIA}-补交.xlsx"]
    assert row[1:3] == (MEDIA, layout.STATUS_SKIPPED)
    assert row[3].startswith("填报表属于「第1轮」，本项目当前为「第2轮」") and "不计入「第2轮」" in row[3]
    states = {s["unit"]: s["state"] for s in json.loads(run("status", demo, "--json").output)}
    assert states[MEDIA] in (layout.STATE_MISSING, layout.STATE_LATE)  # not mixed in: still owes everything
    assert states[POST] == layout.STATE_REPORTED

    second = score_json(demo)
    assert second["total"] != first["total"]
    rows = trend_rows(demo)
    assert [r[0] for r in rows] == ["第1轮", "第2轮"]
    assert [Fraction(str(r[4])) for r in rows] == [Fraction(first["total"]), Fraction(second["total"])]
    assert [r[-2] for r in rows] == [first["verdict"], second["verdict"]]
    ws = openpyxl.load_workbook(demo / layout.OUTPUT_DIR / layout.SUMMARY)[layout.SHEET_SCORE_TREND]
    head = [c.value for c in ws[3]]
    assert head[3:] == ["第1轮", "第2轮", "较上轮"]
    marks = {r[0]: r[-1] for r in ws.iter_rows(min_row=4, values_only=True)}
    assert marks["5"].startswith(layout.TREND_UP) and marks["1"].startswith(layout.TREND_DOWN)
    assert marks["12"] == layout.TREND_SAME

    listed = json.loads(run("round", "list", demo, "--json").output)
    assert [(r["round"], r["total"], r["current"]) for r in listed] == \
        [("第1轮", first["total"], False), ("第2轮", second["total"], True)]


def test_round_start__workbooks_returned_unchanged__same_total_and_both_rounds_in_summary_and_report(demo_root,
                                                                                                   started):
    first = score_json(demo_root)
    demo = started
    return_round_two(demo)
    run("collect", demo, code=1)
    second = score_json(demo)
    assert second["total"] == first["total"] and second["verdict"] == first["verdict"]
    assert [r[0] for r in trend_rows(demo)] == ["第1轮", "第2轮"]
    run("report", demo)
    document = docx.Document(str(demo / layout.OUTPUT_DIR / layout.REPORT))
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "轮次")
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert [(r[0], r[7], r[8]) for r in rows] == [("第1轮", first["total"], first["verdict"]),
                                                  ("第2轮", second["total"], second["verdict"])]


def test_round_start__file_dropped_in_after_the_last_collect__refused_unless_forced(demo):
    (demo / layout.RETURNED_DIR / "县财政局-补充.xlsx").write_bytes(book(demo, "县财政局").read_bytes())
    refused = run("round", "start", demo, code=1).output
    assert "2-回收/县财政局-补充.xlsx" in refused and "请先运行 zonekit collect" in refused
    assert info_row(demo, layout.INFO_ROUND) == "第1轮"
    assert "没有计入「第1轮」" in run("round", "start", demo, "--force").output


def test_round_start__plan_with_an_indicator_no_unit_answers_for__next_round_generated_and_the_gap_said(demo):
    """generate refuses a plan whose scored data would come back from nobody unless --force; a round of such a
    plan (sent with --force) still goes on to the next one, saying which indicators nobody answers for."""
    from zonekit.project import Assignment
    from zonekit.workbench import write_assignments

    write_assignments(demo, {"5": Assignment("5", [], [])})  # 快递业务 taken off its units after round 1
    refused = run("generate", demo, code=1).output
    assert "[错误 G007]" in refused and "指标 5 没有指定任何单位" in refused
    out = run("round", "start", demo).output
    assert "已生成「第2轮」的填报表" in out
    assert "[警告 G002]" in out and "指标 5 没有指定牵头单位或责任单位" in out
    assert info_row(demo, layout.INFO_ROUND) == "第2轮"


def test_round_start__never_collected__refused_with_what_to_do(demo):
    shutil.rmtree(demo / layout.LEDGER_DIR)
    out = run("round", "start", demo, code=1).output
    assert "「第1轮」还没有回收过" in out and "zonekit collect" in out
    assert info_row(demo, layout.INFO_ROUND) == "第1轮"


def test_round_start__deadline_given__written_to_workbench_and_forms(demo):
    run("round", "start", demo, "--deadline", "2027-03-31", "--name", "2027年一季度")
    assert info_row(demo, layout.INFO_ROUND) == "2027年一季度"
    assert info_row(demo, layout.INFO_DEADLINE).date() == date(2027, 3, 31)
    guide = openpyxl.load_workbook(book(demo, STATS))[layout.SHEET_GUIDE]
    said = {r[0]: r[1] for r in guide.iter_rows(min_row=3, max_col=2, values_only=True)}
    assert said["填报截止日期"] == "2027年3月31日" and said["填报轮次"] == "2027年一季度"


# ---------------------------------------------------------------- a round started by mistake


def test_round_undo__started_by_mistake__first_round_open_again_as_it_was(demo_root, started):
    before = {p.name: p.read_bytes() for p in (demo_root / layout.OUTGOING_DIR).glob("*.xlsx")}
    deadline = info_row(demo_root, layout.INFO_DEADLINE)
    total = score_json(demo_root)["total"]
    demo = started
    out = run("round", "undo", demo).output
    assert "已撤销「第2轮」" in out
    assert info_row(demo, layout.INFO_ROUND) == "第1轮" and info_row(demo, layout.INFO_DEADLINE) == deadline
    assert {p.name: p.read_bytes() for p in (demo / layout.OUTGOING_DIR).glob("*.xlsx")} == before
    listed = json.loads(run("round", "list", demo, "--json").output)
    assert [(r["round"], r["current"]) for r in listed] == [("第1轮", True)]
    run("collect", demo, code=1)  # the first round takes returns again
    assert score_json(demo)["total"] == total


def test_round_start__in_the_same_second_as_the_last_collect__rounds_in_order_and_undo_works(demo):
    """round start records its time to the second (local), a collect to the microsecond (UTC): a round started
    within the second after the collect is still the later one, and undo finds the round before it."""
    from datetime import datetime, timezone

    from zonekit.ledger import Ledger
    from zonekit.rounds import start_round

    with Ledger.open(demo) as db:
        first = datetime.fromisoformat(db.rounds()[0]["started"])  # the demo's collect, to the microsecond
    assert first.microsecond > 0
    start_round(demo, now=first.replace(microsecond=999999).astimezone(timezone.utc))  # kept to the second
    said = run("round", "list", demo).output.splitlines()
    assert said[1].startswith("第1轮  已结束") and said[2].startswith("第2轮  进行中")
    run("round", "undo", demo)
    assert info_row(demo, layout.INFO_ROUND) == "第1轮"


def test_round_undo__new_round_has_received_a_return__refused(started):
    demo = started
    return_round_two(demo)
    run("collect", demo, code=1)
    out = run("round", "undo", demo, code=1).output
    assert "「第2轮」已经收到" in out and "不能撤销" in out
    assert info_row(demo, layout.INFO_ROUND) == "第2轮"


def test_collect__workbench_set_back_to_a_closed_round__refused_pointing_at_undo(started):
    demo = started
    wb = openpyxl.load_workbook(demo / layout.PROJECT_WORKBOOK)
    for row in wb[layout.SHEET_INFO].iter_rows(min_row=2):
        if row[0].value == layout.INFO_ROUND:
            row[1].value = "第1轮"
    wb.save(demo / layout.PROJECT_WORKBOOK)
    out = run("collect", demo, code=1).output
    assert "已于" in out and "由 zonekit round start 结束" in out and "zonekit round undo" in out


# ---------------------------------------------------------------- pieces


@pytest.mark.parametrize("current, used, expected", [("第1轮", {"第1轮"}, "第2轮"), ("第9轮", set(), "第10轮"),
                                                     ("2026年一季度", {"2026年一季度"}, "第2轮"),
                                                     ("第1轮", {"第1轮", "第2轮"}, "第3轮")])
def test_next_name__current_round__the_next_unused_one(current, used, expected):
    assert next_name(current, used) == expected


def test_round_result__stored_and_read_back__exact_and_shown_on_the_same_side_of_the_line():
    result = RoundResult("第1轮", total=Fraction("84.995"), total_points=Fraction(100), total_min=Fraction(85),
                         level_rate_min=Fraction(3, 4), levels=[("促进发展", Fraction(20), Fraction("14.9999"))],
                         indicators=[("1", "网上零售额同比增速", Fraction(2), Fraction(1, 3))],
                         verified={"1": Fraction(1, 3)}, last_collect="2026-03-01T01:00:00+00:00")
    again = RoundResult.from_json(json.loads(json.dumps(result.to_json())))
    assert again == result
    a = again.assessment
    assert a.total_text == "84.995" and a.levels[0].rate_text == "74.9995%" and a.verdict == "不合格"


@pytest.mark.parametrize("now, before, shown", [(Fraction(2), Fraction(1), "提升 +1"), (Fraction(0), Fraction(1, 2),
                                                                                      "下降 -0.5"),
                                                 (Fraction(1), Fraction(1), "持平"), (None, Fraction(1), "—"),
                                                 (Fraction(1, 100000), Fraction(0), "提升 +0.00001")])
def test_score_change__two_rounds__marked_and_never_rounded_to_nothing(now, before, shown):
    assert score_change(now, before) == shown


@pytest.mark.office
def test_trend__printed__both_rounds_on_one_page_figures_never_rounded_onto_the_line(tmp_path, make_project, s2022):
    from zonekit import office
    from tests.test_summary import answers_96, summarize
    from tests.test_summary_pages import _words

    levels = [(lv.name, lv.points, lv.points) for lv in s2022.levels]
    levels[0] = (levels[0][0], levels[0][1], levels[0][1] * Fraction("0.749995"))
    earlier = RoundResult("第1轮", scheme=s2022.name, scheme_version=str(s2022.version), total=Fraction("84.995"),
                          total_points=Fraction(100), total_min=Fraction(85), level_rate_min=Fraction(3, 4),
                          levels=levels, last_collect="2026-03-30T08:00:00+00:00", closed="2026-04-01T08:00:00+00:00",
                          expected=5, returned=4)
    path = tmp_path / layout.SUMMARY
    project = make_project(tmp_path, round="第2轮")
    summarize(path, project, answers_96(s2022), rounds=[earlier], collected_at="2026-06-30T08:00:00+00:00")
    pdf = office.convert(path, "pdf", tmp_path / "pdf")
    page = [w for w, _, _ in _words(pdf, 2)]
    assert page[0] == "新绛县各轮自评得分趋势" and "第1轮" in page and "第2轮" in page
    assert "84.995" in page and "74.9995%" in page and "96" in page  # 84.995 never printed as 85.0
    assert "85.0" not in page and "75.0%" not in page
    assert _words(pdf, 3)[0][0].startswith("一级")  # table and chart on one page; 指标得分 after it


# ---------------------------------------------------------------- evidence across rounds


def test_round_start__first_round_pictures_and_prefilled_returns_without_them__kept_labelled_until_withdrawn(
        demo_root, tmp_path):
    from tests.returns_corpus import png, positions, set_saved, with_pictures

    red, green = png(4, 4, (200, 30, 30)), png(5, 3, (30, 160, 30))
    root = tmp_path / "示范县"
    shutil.copytree(demo_root, root)
    unit, ind = "县财政局", layout.SHEET_INDICATORS
    sent = root / layout.RETURNED_DIR / "08-县财政局-填报表.xlsx"
    cells = positions(sent.read_bytes(), ind)
    k10, k12 = cells.ref("10", layout.IND_FILES.header), cells.ref("12", layout.IND_FILES.header)
    (root / layout.RETURNED_DIR / "08-县财政局-补图片.xlsx").write_bytes(set_saved(
        with_pictures(sent.read_bytes(), ind, [(k10, red), (k12, green)]), datetime(2026, 11, 25, 9, tzinfo=timezone.utc)))
    run("collect", root, code=1)  # 县税务局 still has its refused value
    run("round", "start", root)
    guide = openpyxl.load_workbook(book(root, unit))[layout.SHEET_GUIDE]
    said = {r[0]: r[1] for r in guide.iter_rows(min_row=3, max_col=2, values_only=True)}
    assert "「第1轮」随表报送的图片创建办已留存" in said[layout.GUIDE_REFILL]  # and now it is true:
    return_round_two(root)  # the pre-filled 第2轮 workbooks carry no picture

    collected = run("collect", root, code=1).output
    assert "其中2张是以前各轮收到、此后没有再报的，已保留" in collected
    register = openpyxl.load_workbook(root / layout.OUTPUT_DIR / layout.INTAKE_LOG)
    assert not [r for r in register[layout.SHEET_ISSUES].iter_rows(values_only=True) if r[1] == "R307"]
    kept = [r for r in register[layout.SHEET_INTAKE_PICTURES].iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[1], r[2], r[3]) for r in kept] == [(f"{layout.RETURNED_DIR}/08-县财政局-补图片.xlsx", unit, "第1轮",
                                                        f"{ind}!{c}") for c in (k10, k12)]
    assert all(r[-1].startswith("「第1轮」收到，此后交回的文件中没有，已保留到 佐证材料/") for r in kept)
    folder = root / layout.OUTPUT_DIR / layout.EVIDENCE_DIR / unit
    assert {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.png")} == {
        f"10/{ind}-{k10}-第1轮.png": red, f"12/{ind}-{k12}-第1轮.png": green}

    def outputs() -> tuple[dict, dict, list]:
        """What the summary's 佐证材料, the evidence package and the report's annex say of the unit's pictures."""
        run("report", root, "--force")
        ws = openpyxl.load_workbook(root / layout.OUTPUT_DIR / layout.SUMMARY)[layout.SHEET_EVIDENCE]
        head = [c.value for c in ws[1]]
        summary = {r[head.index("文件名")]: r for r in ws.iter_rows(min_row=2, values_only=True)
                   if r[head.index("单位")] == unit}
        pack = {e["path"]: e for e in json.loads(run("evidence", "pack", root, "--json").output)["entries"]
                if e["unit"] == unit}
        annex = next(t for t in docx.Document(str(root / layout.OUTPUT_DIR / layout.REPORT)).tables
                     if t.rows[0].cells[-1].text == "文件位置")
        return summary, pack, [[c.text for c in r.cells] for r in annex.rows[1:] if r.cells[2].text == unit
                               and r.cells[4].text != "—"]

    summary, pack, annex = outputs()
    assert sorted(summary) == [f"{ind}-{k10}-第1轮.png", f"{ind}-{k12}-第1轮.png"]
    assert all(r[3] == "第1轮" and "「第1轮」收到" in r[-1] for r in summary.values())  # 轮次, 说明
    packed = root / layout.OUTPUT_DIR / layout.EVIDENCE_PACK_DIR
    assert sorted((Path(p).name, e["round"], (packed / p).read_bytes()) for p, e in pack.items()) == [
        (f"{unit}-{ind}-{k10}-第1轮.png", "第1轮", red), (f"{unit}-{ind}-{k12}-第1轮.png", "第1轮", green)]
    assert all("「第1轮」收到" in e["note"] for e in pack.values())
    assert sorted(r[3] for r in annex) == [f"{ind}-{k10}-第1轮.png（第1轮收到）", f"{ind}-{k12}-第1轮.png（第1轮收到）"]

    code = hashlib.sha256(red).hexdigest()[:8]  # the unit says the red one was a mistake
    said = run("evidence", "withdraw", root, code, "--reason", "单位来函：误传").output
    assert "第1轮" in said and f"{ind}!{k10}" in said
    summary, pack, annex = outputs()
    assert list(summary) == [f"{ind}-{k12}-第1轮.png"] and len(pack) == 1 and len(annex) == 1
    assert [p.name for p in folder.rglob("*.png")] == [f"{ind}-{k12}-第1轮.png"]
