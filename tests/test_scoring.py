"""Whole-scheme cases: best answers, a high score failing one level, and exactly the qualifying line."""

from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zonekit.answers import Answers, ListEntry
from zonekit.scheme import load_scheme
from zonekit.scoring import qualify, score
from tests.scheme_answers import YEARS_2022, YEARS_2025, best_2022, best_2025, pct


def levels(result):
    return {lv.name: lv.score for lv in result.assessment.levels}


# ---------------------------------------------------------------- 2022 (75% rule)

def test_2022__all_best__100_and_qualified(s2022):
    r = score(s2022, best_2022(s2022), YEARS_2022, "中部")
    assert r.total == 100
    assert r.qualified and r.assessment.verdict == "合格"
    assert all(i.score == i.points for i in r.indicators)


def test_2022__96_points_with_comprehensive_11_of_15__not_qualified(s2022):
    answers = best_2022(s2022)
    for key in ("36.1", "36.2", "36.3", "37.1"):
        answers.claims[key] = False
    r = score(s2022, answers, YEARS_2022, "中部")
    assert r.total == 96
    assert levels(r)["综合保障"] == 11
    assert not r.qualified
    (reason,) = r.assessment.reasons
    assert reason == "一级指标「综合保障」得分11/15分，得分率73.3%，低于75%，还需至少0.25分"
    level = r.assessment.levels[-1]
    assert level.rate == F(11, 15) and not level.passed and level.needed == F(1, 4)


def test_2022__exactly_85_with_two_levels_at_exactly_75__qualified(s2022):
    answers = best_2022(s2022)
    # 促进发展 20 → 15
    answers.judged["10"] = F(0)
    answers.values[("online_retail_growth", 2024)] = pct("10")  # equal to national: no point that year
    answers.values[("online_traders", None)] = F(1200)  # 12%: band 1
    answers.lists["new_large_traders"] = [ListEntry("甲电商公司", F(12000))]
    # 优化服务 20 → 15
    for key in ("20.1", "20.2", "20.3", "24.1", "24.2"):
        answers.claims[key] = False
    # 探索创新 20 → 17, 综合保障 15 → 13
    for key in ("28.1", "28.2", "28.3"):
        answers.claims[key] = False
    answers.judged["35"] = F(0)
    r = score(s2022, answers, YEARS_2022, "中部")
    assert levels(r) == {"促进发展": 15, "规范监管": 25, "优化服务": 15, "探索创新": 17, "综合保障": 13}
    assert r.total == 85
    assert r.qualified, r.assessment.reasons


def test_2022__84_5_is_not_85(s2022):
    scores = {i.number: i.points for i in s2022.indicators}
    scores["10"] = F(0)
    scores["16"] = F(0)
    scores["32"] = F(0)
    scores["33"] = F(0)
    scores["34"] = F(0)
    scores["35"] = F("0.5")  # 100 - 2 - 3 - 3 - 3 - 2 - 1.5 = 85.5
    scores["41"] = F(1)  # 84.5
    a = qualify(s2022, scores)
    assert a.total == F("84.5") and not a.qualified
    assert a.reasons[0] == "总分84.5分，低于合格线85分，还差0.5分"


def test_2022__second_level_figures(s2022):
    r = score(s2022, best_2022(s2022), YEARS_2022, "中部")
    sub = {lv.name: (lv.score, lv.points, lv.parent) for lv in r.assessment.sublevels}
    assert sub["组织机制保障"] == (7, 7, "综合保障")
    assert sum(v[1] for v in sub.values()) == 100


def test_2022__empty_answers__zero_everywhere_no_exception(s2022):
    r = score(s2022, Answers(), YEARS_2022, None)
    assert r.total == 0 and not r.qualified
    assert all(i.trace for i in r.indicators)


def test_2022__overrides_replace_computed_scores_in_totals(s2022):
    r = score(s2022, best_2022(s2022), YEARS_2022, "中部", overrides={"36": F(0), "37": F(0)})
    assert r.total == 95 and not r.qualified  # 综合保障 10/15
    assert r.indicator("36").score == 3  # the computed result is kept beside the override


# ---------------------------------------------------------------- 2024 (80% rule)

def test_2025__all_best__99_because_24_cannot_reach_4__qualified(s2025):
    r = score(s2025, best_2025(s2025), YEARS_2025, "中部")
    assert r.indicator("24").score == 3
    assert r.indicator("3").score == 5 and r.indicator("25").score == 4
    assert r.total == 99
    assert r.qualified


def test_2025__95_5_with_innovation_at_77_5_percent__not_qualified(s2025):
    answers = best_2025(s2025)
    # 探索创新 19 → 15.5: 24 = 1 (one normative document); 25 = 1.5 (one major recognition) + 1 (two provincial reports)
    answers.values.update({("regulations_count", None): F(0), ("normative_documents_count", None): F(1),
                           ("recognition_major_count", None): F(1), ("recognition_minor_count", None): F(0),
                           ("central_media_reports", None): F(0), ("provincial_media_reports", None): F(2)})
    r = score(s2025, answers, YEARS_2025, "中部")
    assert levels(r)["探索创新"] == F("15.5")
    assert r.total == F("95.5")
    assert not r.qualified
    assert r.assessment.reasons == ["一级指标「探索创新」得分15.5/20分，得分率77.5%，低于80%，还需至少0.5分"]


def test_2025__exactly_85_with_two_levels_at_exactly_80__qualified(s2025):
    answers = best_2025(s2025)
    # 促进发展 20 → 16: two of three years not above, 4.1 否
    for y in (2024, 2025):
        answers.values[("ecommerce_volume_growth", y)] = pct("10")
    answers.claims["4.1"] = False
    # 规范监管 30 → 24
    answers.judged["9"] = F(0)
    for key in ("10.1", "10.2", "10.3"):
        answers.claims[key] = False
    # 优化服务 30 → 26
    answers.claims["14.1"] = answers.claims["14.2"] = False
    r = score(s2025, answers, YEARS_2025, "东北")
    assert levels(r) == {"促进发展": 16, "规范监管": 24, "优化服务": 26, "探索创新": 19}
    assert r.total == 85 and r.qualified


# ---------------------------------------------------------------- properties

def _random_answers(scheme, data):
    answers = Answers()
    number = st.fractions(min_value=-1, max_value=3, max_denominator=1000)
    for ind in scheme.indicators:
        for need in ind.needs([2023, 2024, 2025]):
            if need.kind == "data" and data.draw(st.booleans()):
                answers.values[(need.key, need.year)] = data.draw(number)
            elif need.kind == "list":
                answers.lists[need.key] = [ListEntry(f"企业{i}", data.draw(st.fractions(0, 30000)))
                                           for i in range(data.draw(st.integers(0, 9)))]
            elif need.kind == "claim":
                answers.claims[need.key] = data.draw(st.booleans())
            elif need.kind == "judged":
                answers.judged[need.key] = data.draw(st.fractions(-2, 8, max_denominator=4))
    return answers


@pytest.mark.parametrize("name", ["2022", "2025"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_property__no_indicator_above_its_points__totals_add_up(name, data):
    scheme = load_scheme(name)
    answers = _random_answers(scheme, data)
    region = data.draw(st.sampled_from(scheme.region_classes + [None]))
    r = score(scheme, answers, [2023, 2024, 2025][:scheme.evaluation_years], region)
    for ind in r.indicators:
        assert 0 <= ind.score <= ind.points
        assert ind.trace
    assert r.total == sum(i.score for i in r.indicators)
    assert r.total == sum(lv.score for lv in r.assessment.levels)
    assert r.qualified == (r.total >= 85 and all(lv.rate >= scheme.level_rate_min for lv in r.assessment.levels))
