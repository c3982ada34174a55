"""Each rule type at its boundaries, on the indicators of the real schemes."""

from fractions import Fraction as F

import pytest

from zonekit.answers import Answers, ListEntry
from zonekit.exact import from_float
from zonekit.rules import Env
from zonekit.scoring import score_indicator


def run(scheme, number, years=(2023, 2024), region_class="中部", **answers):
    env = Env(Answers(**answers), list(years), region_class, scheme.data_items)
    return score_indicator(scheme.indicator(number), env)


def pct(text):
    return F(text) / 100


# ---- yearly comparison (2022 #1: 近2年 超过全国增速，超过1年得1分)

def test_yearly_compare__one_year_above_one_equal__one_point_and_trace(s2022):
    r = run(s2022, 1, values={
        ("online_retail_growth", 2023): pct("15"), ("national_online_retail_growth", 2023): pct("11"),
        ("online_retail_growth", 2024): pct("7.2"), ("national_online_retail_growth", 2024): pct("7.2")})
    assert r.score == 1
    assert "2023年 本地网上零售额同比增速15.0% > 全国网上零售额同比增速11.0%，得1分" in r.trace
    assert "2024年 本地网上零售额同比增速7.2% ≤ 全国网上零售额同比增速7.2%，不得分" in r.trace


def test_yearly_compare__growth_from_levels__computed_exactly(s2022):
    # 115/100 - 1 is exactly 15%: equal to a national 15% gives no point, 15.0001% above gives one
    r = run(s2022, 1, years=[2023], values={
        ("online_retail", 2022): F(100), ("online_retail", 2023): F(115),
        ("national_online_retail_growth", 2023): pct("15")})
    assert r.score == 0
    assert "按2022、2023年网上零售额计算" in r.trace
    r = run(s2022, 1, years=[2023], values={
        ("online_retail", 2022): F(100), ("online_retail", 2023): F("115.0001"),
        ("national_online_retail_growth", 2023): pct("15")})
    assert r.score == 1


def test_yearly_compare__reported_rate_preferred_over_levels(s2022):
    r = run(s2022, 1, years=[2023], values={
        ("online_retail_growth", 2023): pct("12"), ("online_retail", 2022): F(100), ("online_retail", 2023): F(200),
        ("national_online_retail_growth", 2023): pct("11")})
    assert r.score == 1
    assert "12.0%" in r.trace and "计算" not in r.trace


def test_yearly_compare__local_benchmark_from_two_growths(s2022):
    # 2022 #2: online growth vs the region's own social-retail growth
    r = run(s2022, 2, values={
        ("online_retail_growth", 2023): pct("9"), ("social_retail", 2022): F(1000), ("social_retail", 2023): F(1080),
        ("online_retail_growth", 2024): pct("5"), ("social_retail_growth", 2024): pct("6")})
    assert r.score == 1  # 2023: 9% > 8%; 2024: 5% ≤ 6%


def test_yearly_compare__missing_input__zero_and_says_what(s2022):
    r = run(s2022, 1, values={("online_retail_growth", 2023): pct("15")})
    assert r.score == 0
    assert "缺少" in r.trace and "全国网上零售额同比增速" in r.trace
    assert r.missing


def test_yearly_share__local_share_vs_national(s2022):
    r = run(s2022, 6, values={
        ("online_retail", 2023): F(300), ("social_retail", 2023): F(1000), ("national_online_retail_share", 2023): pct("27.6"),
        ("online_retail", 2024): F(250), ("social_retail", 2024): F(1000), ("national_online_retail_share", 2024): pct("27.6")})
    assert r.score == 1


def test_yearly_compare__close_values__shown_with_enough_decimals(s2022):
    r = run(s2022, 1, years=[2023], values={
        ("online_retail_growth", 2023): pct("7.04"), ("national_online_retail_growth", 2023): pct("7.0")})
    assert "7.04% > 全国网上零售额同比增速7.00%" in r.trace


# ---- ratio bands (2022 #3: 8%-15% 得1分，15%以上得2分，区间均含本数)

@pytest.mark.parametrize("traders, entities, points", [
    (1500, 10000, 2),   # exactly 15%: both bands contain it, the higher wins
    (800, 10000, 1),    # exactly 8%
    (799, 10000, 0),
    (1499, 10000, 1),
    (5000, 10000, 2),
])
def test_bands__boundaries__inclusive_higher_band_wins(s2022, traders, entities, points):
    r = run(s2022, 3, values={("online_traders", None): F(traders), ("market_entities", None): F(entities)})
    assert r.score == points


def test_bands__float_read_back__is_exactly_what_was_typed():
    assert from_float(0.15) == F(15, 100)
    assert from_float(0.1 + 0.05) == F(15, 100)  # 0.15000000000000002 in binary


def test_bands__trace_says_band(s2022):
    r = run(s2022, 3, values={("online_traders", None): F(1230), ("market_entities", None): F(10000)})
    assert r.trace == "网络交易经营者占比12.3%（1230/10000），在8%–15%区间，得1分"


def test_bands__zero_denominator__missing_not_exception(s2022):
    r = run(s2022, 3, values={("online_traders", None): F(10), ("market_entities", None): F(0)})
    assert r.score == 0 and "为0" in r.trace


# ---- conditions

@pytest.mark.parametrize("rate, points", [(pct("95"), 0), (pct("95.01"), 1)])
def test_conditions__strict_greater__exactly_95_gives_nothing(s2022, rate, points):
    r = run(s2022, 17, values={("clue_check_ontime_rate", None): rate})
    assert r.items[0].score == points


def test_conditions__inclusive_reaching__exactly_100_gives_point(s2022):
    r = run(s2022, 11, values={("identity_claim_rate", None): F(1)})
    assert r.items[1].score == 1
    assert "≥" in r.items[1].trace


def test_conditions__all_of__one_rate_failing__no_point(s2022):
    # 2022 #18.1: 维持率、胜诉率超过95%
    r = run(s2022, 18, values={("case_upheld_rate", None): pct("98"), ("case_win_rate", None): pct("95")})
    assert r.items[0].score == 0
    assert "未全部满足" in r.items[0].trace


@pytest.mark.parametrize("hours, points", [(50, 1), (F("49.9"), 0)])
def test_conditions__not_below_50_hours__50_counts(s2022, hours, points):
    r = run(s2022, 38, values={("training_coverage_rate", None): F(1), ("training_hours_per_person", None): F(hours)})
    assert r.items[1].score == points


def test_conditions__benchmark_from_national(s2022):
    r = run(s2022, 25, values={("mediation_success_rate", None): pct("70"),
                               ("national_mediation_success_rate", None): pct("70")})
    assert r.items[1].score == 0  # 大于: equal is not above


def test_conditions__with_claim__2025_13_3(s2025):
    values = {("case_upheld_rate", None): pct("96"), ("case_win_rate", None): pct("97")}
    assert run(s2025, 13, values=values, claims={"13.3": True}).items[2].score == 1
    assert run(s2025, 13, values=values, claims={"13.3": False}).items[2].score == 0
    assert run(s2025, 13, values=values).items[2].score == 0


def test_conditions__2025_17_all_of_three__two_points(s2025):
    values = {("complaint_initial_ontime_rate", None): pct("99.5"), ("complaint_closed_ontime_rate", None): pct("99.2"),
              ("mediation_success_rate", None): pct("70"), ("national_mediation_success_rate", None): pct("65")}
    assert run(s2025, 17, values=values).score == 2
    values[("complaint_closed_ontime_rate", None)] = pct("99")  # 超过99%: 99% itself fails
    assert run(s2025, 17, values=values).score == 0


# ---- counts, tiers, caps, regional thresholds

def test_count__regional_threshold_inclusive__middle_region(s2022):
    firms = [ListEntry("甲", F(10000)), ListEntry("乙", F(9999)), ListEntry("丙", None)]
    r = run(s2022, 4, lists={"new_large_traders": firms})
    assert r.score == 1
    assert "中部地区门槛10000万元" in r.trace and "乙 9999万元 未达门槛" in r.trace


def test_count__regional_threshold_depends_on_class(s2022):
    firms = [ListEntry("甲", F(6000)), ListEntry("乙", F(5000))]
    assert run(s2022, 4, region_class="西部", lists={"new_large_traders": firms}).score == 2
    assert run(s2022, 4, region_class="东部", lists={"new_large_traders": firms}).score == 0


def test_count__northeast_in_2025(s2025):
    firms = [ListEntry(f"企业{i}", F(5000)) for i in range(3)]
    assert run(s2025, 3, region_class="东北", lists={"new_large_entities": firms}).items[1].score == F("1.5")


def test_count__unknown_region_class__zero_with_reason(s2022):
    r = run(s2022, 4, region_class=None, lists={"new_large_traders": [ListEntry("甲", F(30000))]})
    assert r.score == 0 and "地区类别" in r.trace


def test_count__each_with_cap__2022_34(s2022):
    assert run(s2022, 34, values={("institutional_outputs", None): F(1)}).score == 1
    assert run(s2022, 34, values={("institutional_outputs", None): F(5)}).score == 2


def test_count__half_point_each_capped_at_3__2025_3(s2025):
    firms = [ListEntry(f"企业{i}", F(20000)) for i in range(9)]
    r = run(s2025, 3, region_class="东部", lists={"new_large_entities": firms})
    assert r.items[1].score == 3
    assert "最高3分" in r.items[1].trace


def test_indicator_cap__2025_3_parts_reach_6__capped_at_5(s2025):
    firms = [ListEntry(f"企业{i}", F(20000)) for i in range(6)]
    r = run(s2025, 3, region_class="东部", lists={"new_large_entities": firms},
            values={("online_entities", None): F(15), ("business_entities", None): F(100)})
    assert [i.score for i in r.items] == [3, 3]
    assert r.score == 5
    assert "超过指标分值，按5分计" in r.trace


def test_weighted_count__law_3_rule_2_doc_1__cap_3__2025_24(s2025):
    assert run(s2025, 24, values={("normative_documents_count", None): F(2)}).score == 2
    r = run(s2025, 24, values={("rules_count", None): F(1), ("normative_documents_count", None): F(2)})
    assert r.score == 3 and "最高3分" in r.trace
    assert run(s2025, 24, values={("regulations_count", None): F(2)}).score == 3


def test_weighted_count__25_parts(s2025):
    r = run(s2025, 25, values={("recognition_major_count", None): F(1), ("recognition_minor_count", None): F(1),
                               ("central_media_reports", None): F(0), ("provincial_media_reports", None): F(5)})
    assert [i.score for i in r.items] == [2, F("1.5")]
    assert r.score == F("3.5")


# ---- claims, any-of, judged

def test_claim__checklist_sum(s2022):
    r = run(s2022, 12, claims={"12.1": True, "12.2": False})
    assert r.score == 1
    assert "12.3 未填报" in r.trace


def test_any_of__one_practice_gives_full_points(s2022):
    r = run(s2022, 28, claims={"28.1": False, "28.2": True, "28.3": False})
    assert r.score == 3
    assert run(s2022, 28, claims={"28.1": False}).score == 0


def test_judged__within_range_and_capped(s2022):
    assert run(s2022, 10, judged={"10": F("1.5")}).score == F("1.5")
    r = run(s2022, 10, judged={"10": F(3)})
    assert r.score == 2 and "超过满分2分" in r.trace
    assert run(s2022, 10, judged={"10": F(-1)}).score == 0
    assert run(s2022, 10).trace.startswith("未填报评分")
