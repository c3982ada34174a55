"""Answer sets for whole-scheme tests, written like the figures a region would report."""

from fractions import Fraction as F

from zonekit.answers import Answers, ListEntry
from zonekit.rules import Claim, Conditions, Judged

YEARS_2022 = [2023, 2024]
YEARS_2025 = [2023, 2024, 2025]


def _claims_and_judged(scheme, answers):
    for ind in scheme.indicators:
        for item in ind.items:
            if isinstance(item.rule, Claim) or (isinstance(item.rule, Conditions) and item.rule.has_claim()):
                answers.claims[item.key] = True
            if isinstance(item.rule, Judged):
                answers.judged[item.key] = item.points
    return answers


def pct(text: str) -> F:
    return F(text) / 100


def best_2022(scheme) -> Answers:
    values = {}
    for y in YEARS_2022:
        values.update({
            ("online_retail_growth", y): pct("20"), ("national_online_retail_growth", y): pct("10"),
            ("social_retail_growth", y): pct("5"),
            ("express_growth", y): pct("20"), ("national_express_growth", y): pct("10"),
            ("online_retail", y): F(400), ("social_retail", y): F(1000), ("national_online_retail_share", y): pct("27"),
        })
    values.update({
        ("online_traders", None): F(2000), ("market_entities", None): F(10000),
        ("traders_over_2_years", None): F(1200),
        ("online_employment", None): F(600), ("total_employment", None): F(10000),
        ("ecommerce_tax", None): F(60), ("total_tax", None): F(1000),
        ("platform_users", None): F(60), ("regulatory_staff", None): F(100),
        ("identity_claim_rate", None): F(1), ("clue_check_ontime_rate", None): F(1),
        ("assigned_case_timely_rate", None): F(1), ("assigned_case_completion_rate", None): F(1),
        ("case_upheld_rate", None): F(1), ("case_win_rate", None): F(1),
        ("monitoring_check_timely_rate", None): F(1), ("monitoring_check_completion_rate", None): F(1),
        ("complaint_initial_ontime_rate", None): F(1), ("complaint_closed_ontime_rate", None): F(1),
        ("mediation_success_rate", None): pct("90"), ("national_mediation_success_rate", None): pct("60"),
        ("consumer_satisfaction", None): pct("95"), ("national_consumer_satisfaction", None): pct("80"),
        ("odr_closed_ontime_rate", None): pct("99"), ("national_odr_closed_ontime_rate", None): pct("90"),
        ("odr_settlement_rate", None): pct("80"), ("national_odr_settlement_rate", None): pct("60"),
        ("training_coverage_rate", None): F(1), ("training_hours_per_person", None): F(56),
        ("institutional_outputs", None): F(2),
    })
    lists = {"new_large_traders": [ListEntry("甲电商公司", F(12000)), ListEntry("乙供应链公司", F(25000))]}
    return _claims_and_judged(scheme, Answers(values=values, lists=lists))


def best_2025(scheme) -> Answers:
    values = {}
    for y in YEARS_2025:
        values.update({
            ("ecommerce_volume_growth", y): pct("20"), ("national_ecommerce_volume_growth", y): pct("10"),
            ("online_goods_retail_growth", y): pct("20"), ("social_retail_growth", y): pct("5"),
        })
    values.update({
        ("online_entities", None): F(2000), ("business_entities", None): F(10000),
        ("online_report_check_ontime_rate", None): F(1),
        ("assigned_case_timely_rate", None): F(1), ("assigned_case_completion_rate", None): F(1),
        ("case_upheld_rate", None): F(1), ("case_win_rate", None): F(1),
        ("complaint_initial_ontime_rate", None): F(1), ("complaint_closed_ontime_rate", None): F(1),
        ("mediation_success_rate", None): pct("90"), ("national_mediation_success_rate", None): pct("60"),
        ("odr_early_settlement_rate", None): pct("40"), ("national_odr_early_settlement_rate", None): pct("30"),
        ("odr_closed_ontime_rate", None): pct("99"),
        ("assured_consumption_sectors", None): F(6),
        ("regulations_count", None): F(1), ("rules_count", None): F(0), ("normative_documents_count", None): F(2),
        ("recognition_major_count", None): F(2), ("recognition_minor_count", None): F(2),
        ("central_media_reports", None): F(1), ("provincial_media_reports", None): F(1),
    })
    lists = {"new_large_entities": [ListEntry(f"企业{i}", F(12000)) for i in range(1, 7)]}
    return _claims_and_judged(scheme, Answers(values=values, lists=lists))
