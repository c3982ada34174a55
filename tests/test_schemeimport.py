"""`zonekit scheme import`: the 2022 table and the 2025 draft, laid out as published in Word and Excel, come back
as the shipped schemes — structure exactly, rules for every indicator, the same scores for the same answers —
and what the importer cannot read becomes a judged item and a line in the report."""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import evaluation_tables as et
from tests.scheme_answers import YEARS_2022, YEARS_2025, best_2022, best_2025
from zonekit import layout
from zonekit.answers import Answers, ListEntry
from zonekit.catalogue import build_catalogue
from zonekit.cli import main
from zonekit.criteria import CONFIRM, UNKNOWN, read_criteria
from zonekit.files import sha256_of
from zonekit.rules import Bands, Conditions, Const, Count
from zonekit.scheme import load_scheme
from zonekit.schemeimport import import_tables, read_table_file, render_report
from zonekit.scoring import score

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
BUILDERS = {"2022.docx": et.table_2022_docx, "2022.xlsx": et.table_2022_xlsx,
            "2025.docx": et.table_2025_docx, "2025.xlsx": et.table_2025_xlsx}
RECOGNIZED = {"2022": 41, "2025": 25}  # indicators whose rule type the import reads as the shipped scheme writes it


def import_file(path: Path, catalogue=None):
    tables, paragraphs, title = read_table_file(path)
    return import_tables(tables, path.name, path.stem, paragraphs, title, catalogue)


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    root = tmp_path_factory.mktemp("tables")
    return {name: build(root / f"评估指标体系{name}") for name, build in BUILDERS.items()}


@pytest.fixture(scope="module")
def imported(tables):
    return {name: import_file(path) for name, path in tables.items()}


def shapes(scheme):
    """Per indicator: the rule types of its items, whether it is one rule, how items combine."""
    return {i.number: ([it.rule.type_name for it in i.items], i.single, i.combine) for i in scheme.indicators}


# ---------------------------------------------------------------- structure and rules


@pytest.mark.parametrize("name", list(BUILDERS))
def test_import__published_table__structure_exactly_as_shipped(imported, name):
    result, shipped = imported[name], load_scheme(name[:4])
    assert result.readable and result.check.valid, result.report.render() + result.check.render()
    got = result.scheme
    assert [(i.number, i.name, i.points, i.level1, i.level2) for i in got.indicators] == \
           [(i.number, i.name, i.points, i.level1, i.level2) for i in shipped.indicators]
    assert [(lv.name, lv.points, [(c.name, c.points) for c in lv.children]) for lv in got.levels] == \
           [(lv.name, lv.points, [(c.name, c.points) for c in lv.children]) for lv in shipped.levels]
    assert (got.total_min, got.level_rate_min, got.evaluation_years) == \
           (shipped.total_min, shipped.level_rate_min, shipped.evaluation_years)
    assert [(i.nature, i.criteria, i.method) for i in got.indicators] == \
           [(i.nature, i.criteria, i.method) for i in shipped.indicators]
    assert sorted(got.region_classes) == sorted(shipped.region_classes)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_import__published_table__rule_types_of_every_indicator_and_the_report_says_so(imported, name):
    result, shipped = imported[name], load_scheme(name[:4])
    mine, theirs = shapes(result.scheme), shapes(shipped)
    same = [n for n in theirs if mine[n] == theirs[n]]
    assert len(same) == RECOGNIZED[name[:4]] == len(theirs), [(n, mine[n], theirs[n]) for n in theirs if n not in same]
    count = len(shipped.indicators)
    assert f"计分规则：{count}项中识别{count}项" in render_report(result)
    # the data items are the shipped ones, so 全国数据 and unit workbooks keep working
    assert set(result.scheme.data_items) == set(shipped.data_items)
    assert {i.number: i.data_keys() for i in result.scheme.indicators} == \
           {i.number: i.data_keys() for i in shipped.indicators}


def test_import__docx_and_xlsx_of_the_same_table__same_draft(imported):
    for year in ("2022", "2025"):
        docx, xlsx = (dict(imported[f"{year}.{ext}"].doc) for ext in ("docx", "xlsx"))
        for doc in (docx, xlsx):
            doc.pop("source"), doc.pop("name"), doc.pop("version"), doc.pop("indicator_label")
        assert docx == xlsx


def test_import__2022_ocr_slip_and_2025_inconsistencies__reported(imported):
    r2022 = imported["2022.docx"]
    (mended,) = [i for i in r2022.report.issues if i.code == "S025"]
    assert (mended.sheet, mended.cell, mended.value) == ("表格1", "第21行第1列", "优化服备")
    assert "一级指标「优化服备」按「优化服务」读取" in mended.message
    r2025 = imported["2025.docx"]
    assert [(i.code, i.cell) for i in r2025.check.issues] == [("S010", "指标3"), ("S011", "指标24")]
    report = render_report(r2025)
    assert "指标3「网络市场经营主体发展活力」分值5分，但各部分合计最高可得6分" in report
    assert "指标24「创新工作形成制度化、标准化成果」分值4分，但其计分规则最高只能得3分" in report
    assert "合格标准取自表格1 第27行第1列：“本评估指标体系合格标准为：总分≧85分，且每个一级指标得分率≧80%。”" in report


def test_import__report__says_in_chinese_what_a_person_must_confirm(imported):
    result = imported["2025.docx"]
    notes = {n.number: n for n in result.notes}
    assert notes["3"].sure == CONFIRM
    assert notes["3"].confirm == ["原文未说明区间端点是否含本数，按两端均含、交界处取较高档理解"]
    assert notes["22"].confirm == ["“符合一项即可得分”未写分值，按符合任一项即得本指标6分理解"]
    assert notes["17"].confirm == ["原文对多个条件只给一个分值且未拆分，按全部满足才得分理解"]
    report = render_report(result)
    assert "二、需要人工确认的事项\n  · 指标3「网络市场经营主体发展活力」（需确认）：\n" \
           "      - 原文未说明区间端点是否含本数，按两端均含、交界处取较高档理解" in report
    assert "  1｜创建地电子商务交易额同比增速｜3分｜逐年比较 yearly_compare｜确定" in report
    assert "数据项：ecommerce_volume「电子商务交易额」——沿用2025版的数据项（名称相同）" in report
    assert result.count(CONFIRM) == 7 and result.count(UNKNOWN) == 0
    # the same reading goes into the draft, shown by `scheme show --detail`
    assert "  # 需确认：原文未说明区间端点是否含本数，按两端均含、交界处取较高档理解\n  - number: 3\n" in result.text
    assert result.scheme.indicator(3).reading.endswith("最高3分。原文未说明区间端点是否含本数，按两端均含、交界处取较高档理解")


def test_import__real_decomposition_table_of_yongchuan__the_2022_scheme():
    # seed 000's annex as the office received it: the evaluation table plus task, lead and unit columns
    result = import_file(SAMPLES / "永川区" / "分解表.docx")
    shipped = load_scheme("2022")
    assert result.check.issues == [] and shapes(result.scheme) == shapes(shipped)
    assert [(i.number, i.name, i.points) for i in result.scheme.indicators] == \
           [(i.number, i.name, i.points) for i in shipped.indicators]
    assert result.scheme.level_rate_min == F(3, 4)


# ---------------------------------------------------------------- the same answers, the same scores


def _edges(scheme) -> list[F]:
    """Every threshold the shipped rules compare against, with its neighbours: where operators matter."""
    edges = {F(0), F(1), F(2), F(5), F(100)}
    for ind in scheme.indicators:
        for item in ind.items:
            rule = item.rule
            if isinstance(rule, Bands):
                edges |= {b for low, high, _, _ in rule.bands for b in (low, high) if b is not None}
            if isinstance(rule, Conditions):
                edges |= {p.than.number for p in rule.parts if not isinstance(p, str) and isinstance(p.than, Const)}
            if isinstance(rule, Count):
                edges |= set(rule.min_amount.values())
    return sorted({e + d for e in edges for d in (F(-1, 10000), 0, F(1, 10000))})


def _answers(schemes, years, rnd) -> Answers:
    """Answers to everything either scheme asks, often exactly at a threshold or just beside it."""
    answers = Answers()
    edges = _edges(schemes[0])

    def number():
        return rnd.choice(edges) if rnd.random() < 0.6 else F(rnd.randint(-1000, 3000), rnd.choice((1, 10, 1000)))

    needs = {(n.kind, n.key, n.year) for s in schemes for i in s.indicators for n in i.needs(years)}
    for kind, key, year in sorted(needs, key=str):
        if kind == "data" and rnd.random() < 0.8:
            answers.values[(key, year)] = number()
        elif kind == "list":
            answers.lists[key] = [ListEntry(f"企业{i}", number()) for i in range(rnd.randint(0, 8))]
        elif kind == "claim":
            answers.claims[key] = rnd.random() < 0.5
        elif kind == "judged":
            answers.judged[key] = F(rnd.randint(-4, 28), 4)
    return answers


def assert_same_scores(imported_result, shipped, answers, years, region):
    mine, theirs = score(imported_result.scheme, answers, years, region), score(shipped, answers, years, region)
    recognized = {n.number for n in imported_result.notes if n.sure != UNKNOWN}
    assert len(recognized) == len(shipped.indicators)
    for number in recognized:
        assert mine.indicator(number).score == theirs.indicator(number).score, \
            (number, mine.indicator(number).trace, theirs.indicator(number).trace)
    assert mine.total == theirs.total and mine.qualified == theirs.qualified


@pytest.mark.parametrize("name, years, best", [("2022.docx", YEARS_2022, best_2022), ("2025.docx", YEARS_2025, best_2025)])
def test_import__best_answers__same_score_as_shipped(imported, name, years, best):
    shipped = load_scheme(name[:4])
    assert_same_scores(imported[name], shipped, best(shipped), years, "中部")


@pytest.mark.parametrize("name", ["2022.docx", "2025.docx"])
@settings(max_examples=60, deadline=None)
@given(rnd=st.randoms(use_true_random=False))
def test_property__imported_and_shipped__agree_on_every_recognized_indicator(imported, name, rnd):
    shipped = load_scheme(name[:4])
    years = [2023, 2024, 2025][:shipped.evaluation_years]
    answers = _answers([shipped, imported[name].scheme], years, rnd)
    region = rnd.choice(shipped.region_classes + [None])
    assert_same_scores(imported[name], shipped, answers, years, region)


def test_import__thresholds_are_read_from_the_text__not_copied_from_the_shipped_scheme(tmp_path):
    doc = et.shipped("2022")
    rows = et.rows_2022(doc)
    rows[6][5] = rows[6][5].replace("占比3%-5%得1分，5%以上得2分", "占比4%-6%得1分，6%以上得2分")  # 指标7
    rows[16][5] = rows[16][5].replace("按时核查率大于95%", "按时核查率达到95%")  # 指标17.1: inclusive now
    path = et.write_docx(tmp_path / "改.docx", ["评估指标体系"], et.HEADER_2022, rows, (0, 1),
                         et.qualification_sentence(doc), qualification_in_table=False)
    result, shipped = import_file(path), load_scheme("2022")
    answers = Answers(values={("online_employment", None): F(5), ("total_employment", None): F(100),
                              ("clue_check_ontime_rate", None): F(95, 100)})
    mine, theirs = score(result.scheme, answers, YEARS_2022, "中部"), score(shipped, answers, YEARS_2022, "中部")
    assert (mine.indicator(7).score, theirs.indicator(7).score) == (1, 2)  # 5% is in 4%–6% now
    assert (mine.indicator(17).items[0].score, theirs.indicator(17).items[0].score) == (1, 0)  # 达到 includes 95%


# ---------------------------------------------------------------- what it cannot read


def test_import__unknown_pattern__judged_item_and_a_report_line(tmp_path):
    doc = et.shipped("2025")
    rows = et.rows_2025(doc)
    odd = "按全省排名计分：排名前10%得2分，排名前30%得1分。"
    rows[15][3] = odd  # 指标16
    path = et.write_docx(tmp_path / "新表.docx", ["评估指标体系"], et.HEADER_2025, rows, (0,),
                         et.qualification_sentence(doc), qualification_in_table=True)
    result = import_file(path)
    assert result.readable and result.check.valid
    ind = result.scheme.indicator(16)
    assert ind.single and [i.rule.type_name for i in ind.items] == ["judged"] and ind.points == 2
    note = next(n for n in result.notes if n.number == "16")
    assert note.sure == UNKNOWN
    assert note.confirm == ["计分方式未能识别（计分句的写法不在已知写法之中），请对照原文确定计分规则；改写前按0至2分的评分项使用"]
    report = render_report(result)
    assert "未识别1项（已按评分项处理，须人工阅读原文）" in report
    assert "  16｜积极开展网络消费教育和消费警示，提高消费者维权能力和意识｜2分｜评分项 judged｜未识别" in report
    assert "  · 指标16「积极开展网络消费教育和消费警示，提高消费者维权能力和意识」（未识别）：" in report
    assert ind.criteria == odd and odd in result.text
    assert "  # 未识别：计分方式未能识别" in result.text


def test_read_criteria__operators__strict_and_inclusive_words():
    def op(text):
        (part,) = read_criteria(text + "（1分）", "x", F(1)).parts
        return part.rule["all"][0]["op"], part.rule["all"][0]["than"]
    assert op("按时核查率大于95%") == ("大于", "95%")
    assert op("按时核查率超过95%") == ("超过", "95%")
    assert op("满意度高于全国平均水平")[0] == "高于"
    assert op("覆盖率达到100%") == ("达到", "100%")
    assert op("和解率不低于全国平均值")[0] == "不低于"
    assert op("培训时间不少于50学时") == (">=", 50)
    assert op("在至少5个以上重点领域开展建设") == ("以上", 5)


def _docx_with(tmp_path, header, rows, name="表.docx"):
    return et.write_docx(tmp_path / name, ["评估指标体系"], header, rows, (0,), "本评估指标体系合格标准为：总分≧85分，"
                         "且每个一级指标得分率≧80%。", qualification_in_table=False)


def test_import__no_points_in_a_name__message_names_row_and_column(tmp_path):
    rows = et.rows_2025(et.shipped("2025"))
    rows[0][2] = "创建地电子商务交易额同比增速。"  # 指标1 without its （3分）, none in its criteria either
    result = import_file(_docx_with(tmp_path, et.HEADER_2025, rows))
    assert not result.readable
    (problem,) = result.report.errors
    assert problem.code == "S021" and problem.sheet == "表格1" and problem.cell == "第2行第3列"
    assert "编号1「创建地电子商务交易额同比增速」读不出分值" in problem.message


def test_import__no_evaluation_table__says_which_columns_it_needs(tmp_path):
    rows = [["1", "县商务局", "县统计局"]]
    result = import_file(_docx_with(tmp_path, ("序号", "牵头单位", "责任单位"), rows))
    assert [i.code for i in result.report.issues] == ["S020"]
    assert "没有找到评估指标表" in result.report.issues[0].message


def test_import__no_qualification_sentence__default_and_a_warning(tmp_path):
    doc = et.shipped("2025")
    path = et.write_docx(tmp_path / "无合格标准.docx", ["评估指标体系"], et.HEADER_2025, et.rows_2025(doc), (0,),
                         "（以下空白）", qualification_in_table=False)
    result = import_file(path)
    assert result.readable and [i.code for i in result.report.issues] == ["S028"]
    assert result.doc["qualification"] == {"total_min": 85, "level_rate_min": "80%"}


def test_import__qualification_above_the_table__found(tmp_path):
    doc = et.shipped("2022")
    path = et.write_xlsx(tmp_path / "上方.xlsx", "评估指标体系", [list(et.HEADER_2022)], et.rows_2022(doc), (0, 1),
                         "合格标准：总分≥85分，且每个一级指标得分率≥75%", above=True)
    result = import_file(path)
    assert result.report.codes() == ["S025"]  # 优化服备, and nothing else
    assert result.doc["qualification"] == {"total_min": 85, "level_rate_min": "75%"}
    assert "合格标准取自工作表「评估指标体系」 A2：“合格标准：总分≥85分，且每个一级指标得分率≥75%”" in render_report(result)


def test_import__catalogue_of_2022_only__2025_reuses_what_its_words_name_and_creates_the_rest(tables):
    catalogue = build_catalogue([et.shipped("2022")])
    result = import_file(tables["2025.docx"], catalogue)
    assert result.readable and result.check.valid
    keys = {i.number: i.data_keys() for i in result.scheme.indicators}
    assert keys["2"] == ["item2_1", "item2_2", "social_retail_growth", "social_retail"]
    assert keys["13"] == ["item13_1", "assigned_case_timely_rate", "assigned_case_completion_rate",
                          "case_upheld_rate", "case_win_rate"]
    assert result.scheme.data_items["item2_2"].label == "限额以上实物商品网上零售额"
    assert result.scheme.data_items["item2_1"].unit == "%" and result.scheme.data_items["item2_1"].per_year
    note = next(n for n in result.notes if n.number == "2")
    assert note.sure == CONFIRM and "新建数据项 item2_2「限额以上实物商品网上零售额」：请核对名称和单位" in note.confirm


# ---------------------------------------------------------------- CLI


def _asked(book: Path) -> dict[str, list[str]]:
    """The first column (keys) of the 指标填报 and 数据填报 sheets a unit workbook has."""
    wb = openpyxl.load_workbook(book)
    return {sheet: [str(row[0]) for row in wb[sheet].iter_rows(min_row=layout.HEADER_ROW + 1, values_only=True)
                    if row[0] is not None]
            for sheet in (layout.SHEET_INDICATORS, layout.SHEET_DATA) if sheet in wb.sheetnames}


def _project(runner, root: str, scheme: str) -> Path:
    """A 永川区 project on ``scheme`` with seed 000's decomposition table; the workbook of 区商务委."""
    made = runner.invoke(main, ["init", root, "--scheme", scheme, "--region", "永川区", "--province", "重庆市",
                                "--units", str(SAMPLES / "永川区" / "单位名单.xlsx")])
    assert made.exit_code == 0, made.output
    planned = runner.invoke(main, ["import-plan", root, str(SAMPLES / "永川区" / "分解表.docx")])
    assert planned.exit_code == 0, planned.output
    generated = runner.invoke(main, ["generate", root])
    assert generated.exit_code == 0, generated.output
    (book,) = (Path(root) / layout.OUTGOING_DIR).glob("*-区商务委-填报表.xlsx")
    return book


def test_cli_scheme_import__docx_as_published__check_init_generate(tmp_path, tables, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    table = Path("评估指标体系.docx")
    table.write_bytes(tables["2022.docx"].read_bytes())
    before = sha256_of(table)
    made = runner.invoke(main, ["scheme", "import", str(table), "-o", "新.yaml"])
    assert made.exit_code == 0, made.output
    assert "已读取：5个一级指标，41项指标，合计100分；合格标准：总分≥85分，且每个一级指标得分率≥75%。" in made.output
    assert "需要人工确认：" in made.output and "指标11「强化智慧监管」（需确认）" in made.output
    assert "导入报告：新-导入报告.txt" in made.output
    assert "三、scheme check 检查结果" in Path("新-导入报告.txt").read_text(encoding="utf-8")
    assert sha256_of(table) == before

    assert runner.invoke(main, ["scheme", "check", "新.yaml"]).exit_code == 0
    shown = runner.invoke(main, ["scheme", "show", "新.yaml", "--detail"])
    assert "理解：逐年比较：本地网上零售额同比增速 超过 全国网上零售额同比增速" in shown.output

    book = _project(runner, "X", "新.yaml")
    assert (Path("X") / "新.yaml").read_bytes() == Path("新.yaml").read_bytes()  # the project keeps its copy
    # the unit workbook asks for exactly what the shipped scheme's workbook asks for
    shipped_book = _project(runner, "Y", "2022")
    assert _asked(book) == _asked(shipped_book)
    asked = _asked(book)
    assert set(asked) == {layout.SHEET_INDICATORS, layout.SHEET_DATA} and all(asked.values())


def test_cli_scheme_import__existing_output__kept_unless_force(tmp_path, tables):
    out = tmp_path / "新.yaml"
    out.write_text("# 办公室自己改过的文件\n", encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(main, ["scheme", "import", str(tables["2025.xlsx"]), "-o", str(out)])
    assert refused.exit_code == 1
    assert "已存在，没有覆盖。要替换请加 --force" in refused.output
    assert out.read_text(encoding="utf-8") == "# 办公室自己改过的文件\n"
    forced = runner.invoke(main, ["scheme", "import", str(tables["2025.xlsx"]), "-o", str(out), "--force",
                                  "--name", "2026"])
    assert forced.exit_code == 0, forced.output
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["name"] == "2026"
    assert "[警告 S010]" in forced.output and "[警告 S011]" in forced.output


def test_cli_scheme_import__unreadable_table__exit_1_nothing_written(tmp_path):
    rows = et.rows_2025(et.shipped("2025"))
    rows[0][2] = "创建地电子商务交易额同比增速。"
    table = _docx_with(tmp_path, et.HEADER_2025, rows)
    result = CliRunner().invoke(main, ["scheme", "import", str(table), "-o", str(tmp_path / "新.yaml")])
    assert result.exit_code == 1
    assert "[错误 S021] 表.docx 表格1!第2行第3列：编号1「创建地电子商务交易额同比增速」读不出分值" in result.output
    assert not (tmp_path / "新.yaml").exists() and not (tmp_path / "新-导入报告.txt").exists()


def test_import__other_wording_points_column_level_named_once__same_scheme(tmp_path):
    # 序号 | 一级指标 | 指标 | 分值 | 评分标准: the level written only on its first row, without its points
    doc = et.shipped("2025")
    rows, seen = [], set()
    for ind in doc["indicators"]:
        level = "" if ind["level1"] in seen else ind["level1"]
        seen.add(ind["level1"])
        rows.append([str(ind["number"]), level, ind["name"], et._pts(ind["points"]), ind["criteria"]])
    path = et.write_docx(tmp_path / "省级表.docx", ["某省评估指标体系"], ("序号", "一级指标", "指标", "分值", "评分标准"),
                         rows, (), et.qualification_sentence(doc), qualification_in_table=False)
    result, shipped = import_file(path), load_scheme("2025")
    assert result.readable and result.check.codes() == ["S010", "S011"]
    assert [i.code for i in result.report.issues] == ["S027"] * 4
    assert "一级指标「促进发展」没有写分值，按其下各指标合计20分写入" in result.report.issues[0].message
    assert [(i.number, i.name, i.points, i.level1) for i in result.scheme.indicators] == \
           [(i.number, i.name, i.points, i.level1) for i in shipped.indicators]
    assert shapes(result.scheme) == shapes(shipped)
    assert result.scheme.indicator_label == "指标"


def test_import__table_broken_in_two_without_a_second_header__read_as_one(tmp_path):
    doc = et.shipped("2025")
    path = et.write_docx(tmp_path / "两段.docx", ["评估指标体系"], et.HEADER_2025, et.rows_2025(doc), (0,),
                         et.qualification_sentence(doc), qualification_in_table=True, split=13)
    result = import_file(path)
    assert result.readable and result.report.issues == []
    assert [i.number for i in result.scheme.indicators] == [str(n) for n in range(1, 26)]
    assert shapes(result.scheme) == shapes(load_scheme("2025"))


def test_import__points_only_in_the_criteria__added_up_with_a_warning(tmp_path):
    rows = et.rows_2025(et.shipped("2025"))
    rows[3][2] = "推动新技术新模式新业态创新发展。"  # 指标4: （2分）（2分）（1分） in its criteria only
    result = import_file(_docx_with(tmp_path, ("一级指标", "编号", "评估内容", "评分标准", "变量性质", "评估方式"), rows))
    assert result.readable and result.scheme.indicator(4).points == 5
    (warning,) = result.report.issues
    assert (warning.code, warning.cell) == ("S032", "第5行第3列")
    assert "按打分标准中各项分值合计5分读取" in warning.message
    assert result.scheme.indicator_label == "评估内容"
