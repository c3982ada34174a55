"""Traces, reasons and gaps for figures just beside an edge: each shows the figure on the side it scores on
(the cases the issue found rounded across: 15.0% for 1499/10000, 20000万元 for 19999.9999, 总分85 at 84.995)."""

from fractions import Fraction as F

from zonekit.answers import Answers, ListEntry
from zonekit.gaps import gap_list
from zonekit.rules import Env
from zonekit.scoring import qualify, score, score_indicator
from tests.scheme_answers import best_2022, pct


def trace(scheme, number, region_class="中部", years=(2023, 2024), **answers):
    env = Env(Answers(**answers), list(years), region_class, scheme.data_items)
    return score_indicator(scheme.indicator(number), env)


def test_bands_trace__1499_of_10000__shown_below_15_percent(s2022):
    r = trace(s2022, 3, values={("online_traders", None): F(1499), ("market_entities", None): F(10000)})
    assert r.trace == "网络交易经营者占比14.99%（1499/10000），在8%–15%区间，得1分"


def test_bands_trace__499_of_10000__shown_below_5_percent(s2022):
    r = trace(s2022, 8, values={("ecommerce_tax", None): F(499), ("total_tax", None): F(10000)})
    assert r.trace == "网络市场税收贡献度4.99%（499/10000），在3%–5%区间，得1分"


def test_bands_trace__599_of_10000__shown_below_6_percent(s2025):
    r = trace(s2025, 3, values={("online_entities", None): F(599), ("business_entities", None): F(10000)},
              lists={"new_large_entities": []})
    assert r.items[0].trace == "网络交易经营主体占比5.99%（599/10000），低于6%，不得分"


def test_count_trace__amount_just_below_threshold__not_rounded_onto_it(s2025):
    r = trace(s2025, 3, region_class="东部", values={("online_entities", None): F(0), ("business_entities", None): F(1)},
              lists={"new_large_entities": [ListEntry("企业1", F(25000)), ListEntry("企业2", F("19999.9999"))]})
    assert "企业2 19999.9999万元 未达门槛" in r.items[1].trace
    assert "东部地区门槛20000万元" in r.items[1].trace


def test_yearly_trace__zero_against_negative_tiny__no_negative_zero(s2022):
    r = trace(s2022, 1, years=[2024], values={("online_retail_growth", 2024): F(0),
                                              ("national_online_retail_growth", 2024): F(-1, 10**6)})
    assert "-0.0%" not in r.trace
    assert "同比增速0.0000% > 全国网上零售额同比增速-0.0001%，得1分" in r.trace


def test_conditions_trace__rate_at_the_bar__shown_with_its_counts(s2022):
    r = trace(s2022, 11, values={("platform_users", None): F(50), ("regulatory_staff", None): F(100),
                                 ("identity_claim_rate", None): F(1)}, claims={"11.3": True})
    assert "平台用户数占在编监管人员数比例50.0%（50/100） ≤ 50%" in r.trace


def test_gap__share_a_hair_below_national__needs_a_rounded_up_amount_never_0(tmp_path, make_project, s2022):
    answers = best_2022(s2022)
    answers.values[("online_retail", 2024)] = F("269.99999")  # of 1000, against a national 27%
    result = score(s2022, answers, [2023, 2024], "中部")
    (six,) = {g.number: g for g in gap_list(result, make_project(tmp_path), answers)}["6"].actions
    assert "26.999999%" in six and "还差约0.01万元以上" in six
    assert "约0万元" not in six


def test_gap__share_level_with_national_under_超过__says_it_must_exceed(tmp_path, make_project, s2022):
    answers = best_2022(s2022)
    answers.values[("online_retail", 2024)] = F(270)
    result = score(s2022, answers, [2023, 2024], "中部")
    (six,) = {g.number: g for g in gap_list(result, make_project(tmp_path), answers)}["6"].actions
    assert "恰好持平，须再增加才能超过" in six and "约0" not in six


def full_scores(scheme):
    return {ind.number: ind.points for ind in scheme.indicators}


def test_reason__total_84_995__not_shown_as_85(s2022):
    scores = full_scores(s2022)
    scores.update({"36": F(0), "35": F(0), "34": F(0), "33": F(0), "32": F("0"), "31": F("0")})
    scores["1"] = scores["1"] - (sum(scores.values()) - F("84.995"))
    a = qualify(s2022, scores)
    assert a.total == F("84.995")
    assert a.reasons[0] == "总分84.995分，低于合格线85分，还差0.005分"
    assert a.to_dict()["total"] == "84.995"


def test_reason__level_short_by_0_914__minimum_not_rounded_down(s2022):
    scores = full_scores(s2022)
    scores["3"], scores["4"], scores["5"] = F(0), F(0), F("0.086")  # 促进发展 14.086/20, needs 15
    a = qualify(s2022, scores)
    reason = next(r for r in a.reasons if "促进发展" in r)
    assert reason == "一级指标「促进发展」得分14.086/20分，得分率70.4%，低于75%，还需至少0.914分"


def test_reason__level_a_hair_below_its_rate__rate_not_rounded_up_to_it(s2022):
    scores = full_scores(s2022)
    scores["3"], scores["4"], scores["5"] = F(0), F(0), F("0.9999")  # 14.9999/20 = 74.9995%
    reason = next(r for r in qualify(s2022, scores).reasons if "促进发展" in r)
    assert "得分14.9999/20分，得分率74.9995%，低于75%，还需至少0.0001分" in reason
