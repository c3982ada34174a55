"""Scheme files: both official schemes load and add up; broken or adjusted copies are checked without code."""

from fractions import Fraction as F

import pytest
import yaml
from click.testing import CliRunner

from zonekit.cli import main
from zonekit.errors import SchemeError
from zonekit.scheme import SCHEMES_DIR, check_scheme, load_scheme
from zonekit.scoring import score
from zonekit.answers import Answers


def copy_scheme(tmp_path, name, change):
    doc = yaml.safe_load((SCHEMES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    change(doc)
    path = tmp_path / "调整后.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_scheme_2022__41_indicators_100_points_levels_add_up():
    s = load_scheme("2022")
    assert len(s.indicators) == 41 and s.total_points == 100
    assert [(lv.name, lv.points) for lv in s.levels] == [
        ("促进发展", 20), ("规范监管", 25), ("优化服务", 20), ("探索创新", 20), ("综合保障", 15)]
    assert [c.name for c in s.level("综合保障").children] == ["组织机制保障", "工作基础保障"]
    assert s.level_rate_min == F(3, 4) and s.total_min == 85
    _, report = check_scheme("2022")
    assert report.issues == []


def test_scheme_2022__verbatim_texts_from_seeds():
    ind = load_scheme("2022").indicator(3)
    assert "（比值区间均含本数，下同）" in ind.criteria
    assert ind.method.startswith("方式：数据比对、资料审查。")
    assert ind.nature == "定量"


def test_scheme_2025__25_indicators_no_second_level_80_percent():
    s = load_scheme("2025")
    assert len(s.indicators) == 25 and s.total_points == 100
    assert [(lv.name, lv.points) for lv in s.levels] == [("促进发展", 20), ("规范监管", 30), ("优化服务", 30), ("探索创新", 20)]
    assert not s.has_second_level and s.level_rate_min == F(4, 5)
    assert "东北" in s.region_classes


def test_scheme_2025__named_for_the_draft_of_2025_10_29_with_its_own_level_labels():
    s = load_scheme("2025")
    assert s.name == "2025" and "2025年征求意见稿" in s.title and s.version == "2025征求意见稿"
    assert s.indicator_label == "二级指标"  # the draft's header calls its 25 numbered indicators 二级指标
    assert load_scheme("2022").indicator_label == "三级指标"


def test_scheme_2024_alias__loads_the_2025_draft_and_accepts_its_old_workbooks():
    s = load_scheme("2024")
    assert s.name == "2025" and s.aliases == ["2024"]
    assert s.accepts("2025", "2025征求意见稿") and s.accepts("2024", "2024征求意见稿")
    assert not s.accepts("2022", "2022试行")


def test_cli_scheme_list__names_the_2025_draft_and_its_former_name():
    result = CliRunner().invoke(main, ["scheme", "list"])
    assert result.exit_code == 0
    line = next(l for l in result.output.splitlines() if l.startswith("2025"))
    assert "旧名称：2024" in line and "2025年征求意见稿" in line and "25项指标" in line


def test_scheme_check_2025__the_two_real_inconsistencies_as_warnings():
    _, report = check_scheme("2025")
    assert report.valid
    assert [(i.code, i.cell) for i in report.issues] == [("S010", "指标3"), ("S011", "指标24")]
    assert "分值5分，但各部分合计最高可得6分" in report.issues[0].message
    assert "实际最高可得5分" in report.issues[0].message
    assert "分值4分，但其计分规则最高只能得3分" in report.issues[1].message


@pytest.mark.parametrize("change, code", [
    (lambda d: d["indicators"][0].update(points=3), "S003"),
    (lambda d: d["indicators"][1].update(number=1), "S006"),
    (lambda d: d["indicators"][0]["rule"].update(type="guess"), "S007"),
    (lambda d: d["indicators"][2]["rule"]["value"].update(ratio=["online_traders", "nobody"]), "S007"),
    (lambda d: d["indicators"][2]["rule"].update(bands=[{"from": "15%", "to": "8%", "points": 1}]), "S007"),
    (lambda d: d["indicators"][0].update(level2="发展速度"), "S005"),
    (lambda d: d["qualification"].update(level_rate_min=0.75), "S012"),
    (lambda d: d["levels"][0]["children"][0].update(points=9), "S003"),
])
def test_scheme_check__broken_copy__error_code(tmp_path, change, code):
    _, report = check_scheme(copy_scheme(tmp_path, "2022", change))
    assert code in [i.code for i in report.errors], report.render()
    with pytest.raises(SchemeError, match="有错误"):
        load_scheme(tmp_path / "调整后.yaml")


def test_scheme_check__unreadable_file__message_not_traceback(tmp_path):
    bad = tmp_path / "坏.yaml"
    bad.write_text("indicators: [\n", encoding="utf-8")
    _, report = check_scheme(bad)
    assert report.codes() == ["S001"] and "YAML 格式错误" in report.issues[0].message


def test_scheme_check__folder_or_binary__says_what_it_is(tmp_path):
    _, report = check_scheme(tmp_path)
    assert report.codes() == ["S001"] and "这是一个文件夹，不是文件" in report.issues[0].message
    binary = tmp_path / "表.yaml"
    binary.write_bytes(b"\xff\xfe\x00PK\x03\x04")
    _, report = check_scheme(binary)
    assert report.codes() == ["S001"] and "不是 UTF-8 编码的文本文件" in report.issues[0].message


def test_adjusted_scheme__new_threshold_needs_no_code(tmp_path):
    # 第十一条：评估指标可以根据实际需要进行调整 — raise indicator 3's top band from 15% to 20%
    def raise_band(doc):
        doc["indicators"][2]["rule"]["bands"] = [{"from": "8%", "to": "20%", "points": 1}, {"from": "20%", "points": 2}]
    adjusted = load_scheme(copy_scheme(tmp_path, "2022", raise_band))
    answers = Answers(values={("online_traders", None): F(1600), ("market_entities", None): F(10000)})
    assert score(load_scheme("2022"), answers, [2023, 2024]).indicator(3).score == 2
    assert score(adjusted, answers, [2023, 2024]).indicator(3).score == 1


# ---------------------------------------------------------------- CLI

def test_cli_scheme_list__shows_both():
    result = CliRunner().invoke(main, ["scheme", "list"])
    assert result.exit_code == 0
    assert "2022\t全国网络市场监管与服务示范区创建评估指标体系（试行）\t41项指标\t100分" in result.output
    assert "2025（旧名称：2024）\t" in result.output and "25项指标" in result.output


def test_cli_scheme_show_2022__tree_with_points():
    result = CliRunner().invoke(main, ["scheme", "show", "2022"])
    assert result.exit_code == 0
    out = result.output
    assert "共41项三级指标，合计100分" in out
    assert "综合保障（15分）" in out and "  组织机制保障（7分）" in out
    assert "     41  强化普法、宣传，营造良好社会氛围（2分）" in out


@pytest.mark.parametrize("name", ["2025", "2024"])
def test_cli_scheme_show_2025_draft__by_either_name__says_2024_is_its_former_name(name):
    result = CliRunner().invoke(main, ["scheme", "show", name])
    assert result.exit_code == 0
    first = result.output.splitlines()[0]
    assert first == "网络市场监管与服务示范区创建评估指标体系（2025年征求意见稿）（2025，版本 2025征求意见稿；旧名称 2024 仍可使用）"
    assert "共25项二级指标" in result.output
    assert "旧名称" not in CliRunner().invoke(main, ["scheme", "show", "2022"]).output


def test_cli_scheme_show__unknown_name__clean_error():
    result = CliRunner().invoke(main, ["scheme", "show", "2030"])
    assert result.exit_code == 1
    assert "找不到指标体系「2030」" in result.output and "Traceback" not in result.output


def test_cli_scheme_check_2025__two_warnings_exit_0():
    result = CliRunner().invoke(main, ["scheme", "check", str(SCHEMES_DIR / "2025.yaml")])
    assert result.exit_code == 0
    assert result.output.count("[警告 ") == 2
    assert "错误0个，警告2个" in result.output


def test_cli_scheme_check__broken__exit_1_json(tmp_path):
    path = copy_scheme(tmp_path, "2022", lambda d: d["indicators"][0].update(points=3))
    result = CliRunner().invoke(main, ["scheme", "check", str(path), "--json"])
    assert result.exit_code == 1
    assert '"valid": false' in result.output and '"code": "S003"' in result.output


def test_cli__every_command_has_help():
    def walk(group, prefix):
        for name, cmd in group.commands.items():
            assert cmd.help and cmd.help.strip(), f"{prefix} {name} has no help"
            if hasattr(cmd, "commands"):
                walk(cmd, f"{prefix} {name}")
    walk(main, "zonekit")
