"""评分核定: valid verified scores override computed ones; invalid rows are refused with the sheet and row named."""

from fractions import Fraction as F

import pytest

from zonekit import layout
from zonekit.project import Verification
from zonekit.scoring import score
from zonekit.verify import apply_verifications, effective_scores
from tests.scheme_answers import YEARS_2022, best_2022


@pytest.fixture(scope="module")
def computed(s2022):
    return score(s2022, best_2022(s2022), YEARS_2022, "中部")


def test_verify__score_above_points__refused_naming_sheet_and_row(s2022, computed):
    overrides, report = apply_verifications(s2022, computed, [Verification("36", F(5), "材料齐全", row=7)])
    assert overrides == {}
    (problem,) = report.issues
    assert problem.code == "V002" and problem.blocking
    assert (problem.sheet, problem.cell, problem.file) == (layout.SHEET_VERIFY, "D7", layout.PROJECT_WORKBOOK)
    assert "评分核定 第7行" in problem.message and "超过该指标分值3分" in problem.message
    assert problem.message.endswith("请填写0至3之间的分数。")


def test_verify__score_below_zero__refused(s2022, computed):
    overrides, report = apply_verifications(s2022, computed, [Verification("35", F(-1), "扣分", row=3)])
    assert overrides == {} and report.codes() == ["V003"]
    assert "第3行" in report.issues[0].message


def test_verify__unknown_indicator__refused(s2022, computed):
    overrides, report = apply_verifications(s2022, computed, [Verification("42", F(1), "误填", row=4)])
    assert overrides == {} and report.codes() == ["V001"]
    assert report.issues[0].cell == "A4" and "「42」" in report.issues[0].message


def test_verify__no_reason__refused(s2022, computed):
    overrides, report = apply_verifications(s2022, computed, [Verification("35", F(1), "  ", row=5)])
    assert overrides == {} and report.codes() == ["V004"]
    assert report.issues[0].cell == "E5"


def test_verify__reason_without_score__warned_not_applied(s2022, computed):
    overrides, report = apply_verifications(s2022, computed, [Verification("35", None, "待定", row=6)])
    assert overrides == {} and report.codes() == ["V005"] and report.valid


def test_verify__blank_template_row__skipped_silently(s2022, computed):
    overrides, report = apply_verifications(s2022, computed, [Verification("35", None, "", row=2)])
    assert overrides == {} and report.issues == []


def test_verify__valid_rows__applied_and_counted_in_totals(s2022, computed):
    rows = [Verification("36", F(1), "机构未完全到位", row=2), Verification("10", F("1.5"), "特色产业规模偏小", row=3)]
    overrides, report = apply_verifications(s2022, computed, rows)
    assert report.issues == [] and overrides == {"36": F(1), "10": F("1.5")}
    result = score(s2022, best_2022(s2022), YEARS_2022, "中部", overrides)
    assert result.total == F("97.5")
    assert effective_scores(result, overrides)["36"] == 1 and result.indicator("36").score == 3


def test_verify__same_indicator_twice__last_row_counts_with_a_warning(s2022, computed):
    rows = [Verification("36", F(1), "初核", row=2), Verification("36", F(2), "复核", row=9)]
    overrides, report = apply_verifications(s2022, computed, rows)
    assert overrides == {"36": F(2)}
    assert report.codes() == ["V006"] and report.valid
    assert "第9行" in report.issues[0].message and "第2行" in report.issues[0].message


def test_verify__mixed_rows__every_problem_reported_valid_ones_kept(s2022, computed):
    rows = [Verification("36", F(9), "x", row=2), Verification("37", F(1), "", row=3),
            Verification("99", F(1), "x", row=4), Verification("35", F(1), "会议纪要不全", row=5)]
    overrides, report = apply_verifications(s2022, computed, rows)
    assert overrides == {"35": F(1)}
    assert report.codes() == ["V002", "V004", "V001"]
