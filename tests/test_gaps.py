"""差距清单: what would earn the lost points, in figures a lead unit can act on; the smallest recovery that qualifies."""

import itertools
import random
import time
from fractions import Fraction as F


from zonekit.answers import ListEntry
from zonekit.gaps import gap_list, smallest_recovery, unmet_targets
from zonekit.project import Target, Verification
from zonekit.scheme import load_scheme
from zonekit.scoring import qualify, score
from zonekit.verify import effective_scores
from tests.scheme_answers import best_2022, pct
from tests.test_summary import answers_96


def gaps_of(project, answers, overrides=None):
    result = score(project.scheme, answers, project.years, project.region_class, overrides)
    return {g.number: g for g in gap_list(result, project, answers, overrides)}, result


def test_gaps__bands_below_top__states_how_many_more_traders(tmp_path, make_project, s2022):
    answers = best_2022(s2022)
    answers.values[("online_traders", None)] = F(1230)  # of 10000 market entities: 12.3%
    gaps, _ = gaps_of(make_project(tmp_path), answers)
    assert gaps["3"].text == "网络交易经营者占比需达到15%（当前12.3%，还差约270户），可得2分"
    assert gaps["3"].recoverable == 1 and gaps["3"].leads == ["县市场监管局"]


def test_gaps__bands_below_every_band__states_both_steps(tmp_path, make_project, s2022):
    answers = best_2022(s2022)
    answers.values[("online_traders", None)] = F(500)
    answers.values[("traders_over_2_years", None)] = F(400)
    gaps, _ = gaps_of(make_project(tmp_path), answers)
    assert gaps["3"].actions == ["网络交易经营者占比需达到15%（当前5.0%，还差约1000户），可得2分",
                                 "达到8%可得1分（当前5.0%，还差约300户）"]


def test_gaps__yearly_compare__names_the_year_short_and_by_how_much(tmp_path, make_project, s2022):
    answers = best_2022(s2022)
    answers.values[("online_retail_growth", 2024)] = pct("8")
    answers.values[("online_retail", 2024)] = F(250)  # 25% of 1000 against a national 27%
    gaps, _ = gaps_of(make_project(tmp_path), answers)
    assert gaps["1"].actions == ["2024年本地网上零售额同比增速8.0%，未超过全国网上零售额同比增速10.0%"
                                 "（相差2个百分点），该年少得1分"]
    (six,) = gaps["6"].actions
    assert six.startswith("2024年本地网上零售额占社会零售总额比重25.0%，未超过全国网上零售额占社会零售总额比重27.0%")
    assert "网上零售额还差约20万元以上" not in six and "还差约20万元以上" in six
    assert "2023年" not in six


def test_gaps__claims__names_the_sub_items_answered_no_or_missing(tmp_path, make_project, s2022):
    answers = best_2022(s2022)
    answers.claims["36.1"] = False
    del answers.claims["36.2"]
    gaps, _ = gaps_of(make_project(tmp_path), answers)
    first, second = gaps["36"].actions
    assert first.startswith("36.1「") and "」自评否，达到并提供佐证可得1分" in first
    assert second.startswith("36.2「") and "未填报是否达到" in second


def test_gaps__conditions_count_any_and_judged__concrete_texts(tmp_path, make_project, s2022):
    answers = best_2022(s2022)
    answers.values[("clue_check_ontime_rate", None)] = pct("93")
    answers.lists["new_large_traders"] = [ListEntry("甲电商公司", F(12000)), ListEntry("乙公司", F(8000))]
    for key in ("28.1", "28.2", "28.3"):
        answers.claims[key] = False
    answers.judged["35"] = F(1)
    gaps, _ = gaps_of(make_project(tmp_path), answers)
    assert gaps["17"].text == "线索举报按时核查率需超过95%（当前93.0%，相差2个百分点）"
    assert gaps["4"].text == "新增规模以上网络交易经营者需达到2家（当前1家，还差1家，中部地区门槛10000万元），可得2分"
    assert gaps["28"].text.startswith("以下任一项达到即可得3分：28.1「") and "（自评否）" in gaps["28"].text
    assert gaps["35"].text == "自评1分（满分2分），还差1分，请补充工作和佐证材料"


def test_gaps__sorted_by_recoverable_points(tmp_path, make_project, s2022):
    gaps, _ = gaps_of(make_project(tmp_path), answers_96(s2022))
    assert list(gaps) == ["36", "35"]


def test_gaps__verified_score__says_so_with_the_reason(tmp_path, make_project, s2022):
    project = make_project(tmp_path, verifications=[Verification("12", F(1), "信用修复机制未建立", row=2)])
    gaps, _ = gaps_of(project, best_2022(s2022), {"12": F(1)})
    assert gaps["12"].verified and gaps["12"].lost == 2
    assert gaps["12"].actions == ["已核定为1分（理由：信用修复机制未建立）"]


def test_gaps__unmet_target__described_with_current_figure(tmp_path, make_project, s2022):
    answers = best_2022(s2022)
    project = make_project(tmp_path, targets=[Target("3", "online_traders", ">=", F(2500)),
                                              Target("9", "traders_over_2_years", ">=", F(1000))])
    result = score(s2022, answers, project.years, project.region_class)
    unmet = unmet_targets(project, answers, effective_scores(result))
    assert unmet == {"3": ["目标：网络交易经营者数量达到2500户（当前2000户）"]}


# ---------------------------------------------------------------- smallest recovery


def test_smallest_recovery__96_failing_one_level__cheapest_indicator_of_that_level(tmp_path, make_project, s2022):
    result = score(s2022, answers_96(s2022), [2023, 2024], "中部")
    assert not result.qualified
    assert smallest_recovery(result) == ["35"]  # +1 lifts 综合保障 to 12/15; 36 would need +3


def test_smallest_recovery__fewer_indicators_beat_fewer_points(s2022):
    scores = {i.number: i.points for i in s2022.indicators}
    scores.update({"35": F(1), "37": F(1), "36": F(0)})  # 综合保障 10/15, needs 1.25
    result = _result(s2022, scores)
    assert smallest_recovery(result, scores) == ["36"]  # one indicator (+3) rather than 35 and 37 (+2)


def test_smallest_recovery__total_short_only__one_indicator_with_enough_points(s2022):
    scores = {i.number: i.points for i in s2022.indicators}
    for number in ("2", "10", "16", "17", "20", "32"):  # 84: 促进发展 16, 规范监管 19, 优化服务 17, 探索创新 17
        scores[number] = F(0)
    result = _result(s2022, scores)
    assert result.assessment.reasons == ["总分84分，低于合格线85分，还差1分"]
    assert smallest_recovery(result, scores) == ["2"]  # the first of the cheapest single fixes (2 points)


def test_smallest_recovery__qualified_or_hopeless__empty(s2022):
    full = {i.number: i.points for i in s2022.indicators}
    assert smallest_recovery(_result(s2022, full), full) == []
    hopeless = dict(full, **{i.number: F(0) for i in s2022.indicators_of("综合保障")})
    result = score(s2022, best_2022(s2022), [2023, 2024], "中部", overrides=hopeless)
    result.scheme = load_scheme("2022")
    assert not result.qualified


def _result(scheme, scores):
    """A result whose per-indicator scores are ``scores``, given as verified overrides."""
    return score(scheme, best_2022(scheme), [2023, 2024], "中部", overrides=scores)


def test_smallest_recovery__random_cases__as_small_and_cheap_as_brute_force(s2022):
    rng = random.Random(7)
    for _ in range(25):
        scores = {i.number: i.points for i in s2022.indicators}
        for ind in rng.sample(s2022.indicators, rng.randint(3, 9)):
            scores[ind.number] = F(rng.randint(0, int(ind.points) * 2 - 1), 2)
        result = _result(s2022, scores)
        found = smallest_recovery(result, scores)
        if result.qualified:
            assert found == []
            continue
        lost = [n for n, v in scores.items() if v < s2022.indicator(n).points]
        best = None
        for size in range(1, len(lost) + 1):
            for combo in itertools.combinations(lost, size):
                trial = dict(scores, **{n: s2022.indicator(n).points for n in combo})
                if qualify(s2022, trial).qualified:
                    cost = sum(s2022.indicator(n).points - scores[n] for n in combo)
                    best = cost if best is None else min(best, cost)
            if best is not None:
                break
        assert len(found) == size
        assert sum(s2022.indicator(n).points - scores[n] for n in found) == best


def test_smallest_recovery__everything_lost__fast_and_qualifying(s2022):
    scores = {i.number: F(0) for i in s2022.indicators}
    scores.update({i.number: F(1, 3) for i in s2022.indicators[::3]})  # awkward fractions on purpose
    result = _result(s2022, scores)
    started = time.perf_counter()
    found = smallest_recovery(result, scores)
    assert time.perf_counter() - started < 2
    trial = dict(scores, **{n: s2022.indicator(n).points for n in found})
    assert qualify(s2022, trial).qualified
    assert not qualify(s2022, dict(scores, **{n: s2022.indicator(n).points for n in found[1:]})).qualified
