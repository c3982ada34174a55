"""What clerks type into number, rate, score and 是/否 cells, and what zonekit reads from it (exactly)."""

from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zonekit import values
from zonekit.values import (AMOUNT, COUNT, GROWTH, SCORE, SHARE, parse_claim, parse_number, parse_score,
                            show_value)

# typed, kind, 计量单位, percent format of the cell → value read, message codes
CASES = [
    # plain numbers as Excel stores them
    (1200.0, COUNT, "户", False, F(1200), []),
    (3500.25, AMOUNT, "万元", False, F(350025, 100), []),
    (0.1 + 0.2, AMOUNT, "万元", False, F(3, 10), []),  # float noise is brought to Excel's 15 digits
    # numbers typed as text
    ("1200", COUNT, "户", False, F(1200), [values.R_TEXT_NUMBER]),
    (" 1200 ", COUNT, "户", False, F(1200), [values.R_TEXT_NUMBER]),
    ("１２００", COUNT, "户", False, F(1200), [values.R_FULLWIDTH]),
    ("1,200", COUNT, "户", False, F(1200), [values.R_THOUSANDS]),
    ("1，234，567.5", AMOUNT, "万元", False, F(2469135, 2), [values.R_FULLWIDTH, values.R_THOUSANDS]),
    ("1,2345", AMOUNT, "万元", False, None, [values.R_NOT_NUMBER]),  # not a thousands grouping
    # decorations
    ("约1200", COUNT, "户", False, F(1200), [values.R_DECORATED]),
    ("≈1200户", COUNT, "户", False, F(1200), [values.R_DECORATED, values.R_UNIT_WORD]),
    ("1200户左右", COUNT, "户", False, F(1200), [values.R_DECORATED, values.R_UNIT_WORD]),
    ("3500万元", AMOUNT, "万元", False, F(3500), [values.R_UNIT_WORD]),
    ("约1.2万元", AMOUNT, "万元", False, F(6, 5), [values.R_DECORATED, values.R_UNIT_WORD]),
    ("3500元", AMOUNT, "万元", False, None, [values.R_WRONG_UNIT]),
    ("1.2亿元", AMOUNT, "万元", False, None, [values.R_WRONG_UNIT]),
    ("15%", AMOUNT, "万元", False, None, [values.R_WRONG_UNIT]),
    ("一千二百", COUNT, "户", False, None, [values.R_NOT_NUMBER]),
    ("无", COUNT, "户", False, None, [values.R_NONE_WORD]),
    # signs
    (-5.0, COUNT, "户", False, None, [values.R_NEGATIVE]),
    ("－5", AMOUNT, "万元", False, None, [values.R_FULLWIDTH, values.R_NEGATIVE]),
    ("\u22123%", GROWTH, "%", False, F(-3, 100), []),
    (-0.03, GROWTH, "%", True, F(-3, 100), []),
    (-1.5, GROWTH, "%", True, None, [values.R_IMPLAUSIBLE]),  # a percent cell showing -150%: -1.5% meant?
    ("-150%", GROWTH, "%", False, None, [values.R_GROWTH_FLOOR]),
    (12.5, COUNT, "户", False, None, [values.R_NOT_INTEGER]),
    # the percent rule: read as the cell shows it
    ("12.5%", SHARE, "%", False, F(1, 8), []),
    ("12.5％", SHARE, "%", False, F(1, 8), [values.R_FULLWIDTH]),
    ("约12.5%", SHARE, "%", False, F(1, 8), [values.R_DECORATED]),
    (0.125, SHARE, "%", True, F(1, 8), []),  # shown as 12.5% in a percent cell
    (12.5, SHARE, "%", False, F(1, 8), []),  # shown as 12.5 in a General cell: percent points
    ("12.5", SHARE, "%", False, F(1, 8), [values.R_TEXT_NUMBER]),
    (0.125, SHARE, "%", False, F(1, 800), [values.R_PERCENT_AMBIGUOUS]),  # 0.125 in a General cell
    (1.0, SHARE, "%", False, F(1, 100), [values.R_PERCENT_AMBIGUOUS]),
    (0.125, SHARE, "%", None, F(1, 8), [values.R_PERCENT_AMBIGUOUS]),  # format unknown (.xls without xlrd)
    (95.0, SHARE, "%", None, F(19, 20), []),
    (0.0, SHARE, "%", False, F(0), []),
    (12.5, SHARE, "%", True, None, [values.R_IMPLAUSIBLE]),  # a percent cell showing 1250%: 12.5% meant?
    (1.2, SHARE, "%", True, None, [values.R_IMPLAUSIBLE]),
    (250, SHARE, "%", True, None, [values.R_RATE_OVER]),  # 25000%, and 250% is no share either
    ("120%", SHARE, "%", False, None, [values.R_RATE_OVER]),
    (1.0, SHARE, "%", True, F(1), []),
    (1.5, GROWTH, "%", True, F(3, 2), [values.R_PERCENT_AMBIGUOUS]),  # growth may exceed 100%; 1.5% meant?
    (0.5, GROWTH, "%", True, F(1, 2), []),
    ("12.5‰", SHARE, "%", False, None, [values.R_WRONG_UNIT]),
    # not numbers at all
    (True, AMOUNT, "万元", False, None, [values.R_NOT_NUMBER]),
    ("", AMOUNT, "万元", False, None, []),
    (None, AMOUNT, "万元", False, None, []),
]


@pytest.mark.parametrize("typed, kind, unit, percent_format, expected, codes", CASES)
def test_parse_number__what_clerks_type__read_exactly_with_notes(typed, kind, unit, percent_format, expected,
                                                                  codes):
    value, notes = parse_number(typed, kind, unit, percent_format)
    assert value == expected
    assert notes == codes


@pytest.mark.parametrize("typed, expected, codes", [
    (2.0, F(2), []), ("2", F(2), [values.R_TEXT_NUMBER]), ("2分", F(2), [values.R_UNIT_WORD]),
    (2.5, F(5, 2), []), (3.5, None, [values.R_SCORE_OVER]), (-1.0, None, [values.R_NEGATIVE]),
    ("满分", None, [values.R_NOT_NUMBER]),
])
def test_parse_score__within_and_above_points(typed, expected, codes):
    assert parse_score(typed, F(3)) == (expected, codes)


@pytest.mark.parametrize("typed", ["是", " 是 ", "Y", "y", "yes", "√", "✓", "符合", "达到", "已达到", "达标", True, 1.0,
                                   "１"])
def test_parse_claim__yes_spellings__true(typed):
    assert parse_claim(typed) == (True, [])


@pytest.mark.parametrize("typed", ["否", "N", "no", "×", "✗", "不符合", "未达到", "不达标", False, 0.0])
def test_parse_claim__no_spellings__false(typed):
    assert parse_claim(typed) == (False, [])


def test_parse_claim__yes_with_a_note__yes_and_warning():
    assert parse_claim("是，见附件3") == (True, [values.R_CLAIM_NOTE])


@pytest.mark.parametrize("typed", ["X", "x", "可能", "部分达到", 2.0])
def test_parse_claim__ambiguous__refused(typed):
    assert parse_claim(typed) == (None, [values.R_CLAIM])


def test_parse_claim__blank__nothing():
    assert parse_claim("  ") == (None, [])


def test_show_value__rates_counts_claims():
    assert show_value(F(1, 8), SHARE) == "12.5%"
    assert show_value(F(19, 20), SHARE) == "95%"
    assert show_value(F(1200), COUNT) == "1200"
    assert show_value(F(1, 3), AMOUNT) == "0.333333"
    assert show_value(True) == "是"
    assert show_value(None) == ""


def test_other_percent_reading__both_directions():
    assert values.other_percent_reading(0.125, F(1, 800)) == "12.5%"
    assert values.other_percent_reading(0.125, F(1, 8)) == "0.125%"


@given(st.decimals(min_value=0, max_value=100, places=3, allow_nan=False))
def test_parse_number__any_percent_text__exact(d):
    value, notes = parse_number(f"{d}%", SHARE, "%")
    assert value == F(d) / 100 and notes == []


@given(st.integers(min_value=0, max_value=10**12))
def test_parse_number__thousands_grouped_text__same_number(n):
    value, _ = parse_number(f"{n:,}", COUNT, "户")
    assert value == n


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_parse_number__any_float__at_most_15_significant_digits(x):
    value, _ = parse_number(x, AMOUNT, "万元")
    assert value == F(format(x, ".15g"))


def test_kinds__same_names_as_the_workbook_measures():
    from zonekit.unitbook import DataRow

    assert {SHARE, GROWTH, COUNT, AMOUNT} == {"percent", "growth", "count", "amount"}
    assert SCORE == "score"
    assert DataRow.measure  # unitbook decides the measure; intake maps it one to one


# ---------------------------------------------------------------- totality: any value ends as a value or a code


@pytest.mark.parametrize("typed", [float("inf"), float("-inf"), float("nan"), "9" * 5000, "1" + "0" * 401])
def test_parse_number__infinite_nan_or_thousands_of_digits__r116_not_an_exception(typed):
    assert parse_number(typed, AMOUNT, "万元") == (None, [values.R_BAD_NUMBER])


def test_parse_number__1e22_and_19_digits__exact_and_shown_whole():
    assert parse_number(1e22, AMOUNT, "万元") == (F(10) ** 22, [])
    value, _ = parse_number("1234567890123456789", COUNT, "户")
    assert value == 1234567890123456789 and show_value(value, COUNT) == "1234567890123456789"
    assert values.cell_text(1.2345678901234568e18) == "1234567890123460000"
    assert values.cell_text(float("inf")) == "inf" and values.cell_text(float("nan")) == "nan"


@given(st.one_of(st.floats(), st.integers(min_value=-(10**30), max_value=10**30), st.text(max_size=60),
                 st.from_regex(r"[+-]?\d{1,600}(\.\d{0,50})?%?", fullmatch=True)),
       st.sampled_from([SHARE, GROWTH, COUNT, AMOUNT, SCORE]), st.sampled_from([True, False, None]))
def test_parse_number__anything_at_all__a_value_or_codes_and_shown_without_error(typed, kind, percent_format):
    value, notes = parse_number(typed, kind, "%" if kind in (SHARE, GROWTH) else "万元", percent_format)
    assert value is None or isinstance(value, F)
    assert all(code in values.__dict__.values() for code in notes)
    show_value(value, kind)
    values.raw_text(typed)
    if value is not None and notes and values.R_PERCENT_AMBIGUOUS in notes:
        values.other_percent_reading(typed, value)


def test_exact__nan_infinity_and_huge_exponents__not_a_number():
    from decimal import Decimal

    from zonekit.exact import NotANumber, fmt_number, fmt_percent, to_decimal, to_fraction

    for bad in ("NaN", "Infinity", "1e999999999", Decimal("NaN"), float("inf")):
        with pytest.raises(NotANumber):
            to_fraction(bad)
    assert fmt_number(F(10) ** 22 + F(1, 3), 6) == "10000000000000000000000.333333"
    assert fmt_percent(F(10) ** 20) == "10000000000000000000000.0%"
    assert str(to_decimal(F(10) ** 30 + F(1, 4))) == "1000000000000000000000000000000.25"
    assert fmt_number(F(12345678901234567890123456789)) == "12345678901234567890123456789"  # 29 digits, all kept
