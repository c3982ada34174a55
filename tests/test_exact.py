"""How exact numbers are shown: never rounded across an edge the exact value is not on, minima never rounded
down, no negative zero, no '0' for something that is not zero. Examples and properties (hypothesis)."""

import re
from fractions import Fraction as F

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zonekit.exact import (fmt_at_least, fmt_exact, fmt_exact_percent, fmt_number, fmt_numbers, fmt_percent,
                           fmt_percents)
from zonekit.rules import Bands, Conditions, Const, Count, Judged, YearlyCompare
from zonekit.scheme import load_scheme


def shown(text: str) -> F:
    """The number a reader takes from a shown text: '14.99%', '19999.9999', '-0.5', '1/3', '100/3%'."""
    percent = text.endswith("%")
    body = text.rstrip("%")
    value = F(*map(int, body.split("/"))) if "/" in body else F(body)
    return value / 100 if percent else value


def side(x: F, edge: F) -> int:
    return (x > edge) - (x < edge)


# ---------------------------------------------------------------- the issue's examples


@pytest.mark.parametrize("value, edge, text", [
    (F(1499, 10000), F(15, 100), "14.99%"),
    (F(499, 10000), F(5, 100), "4.99%"),
    (F(599, 10000), F(6, 100), "5.99%"),
    (F(15, 100), F(15, 100), "15.0%"),
    (F(150001, 1000000), F(15, 100), "15.0001%"),
])
def test_fmt_percent__just_off_an_edge__shown_on_its_side(value, edge, text):
    assert fmt_percent(value, edges=[edge]) == text


def test_fmt_number__amount_just_below_threshold__not_rounded_onto_it():
    assert fmt_number(F("19999.9999"), edges=[20000]) == "19999.9999"
    assert fmt_number(F("20000.00001"), edges=[20000]) == "20000.00001"
    assert fmt_number(F("84.995"), edges=[85]) == "84.995"


def test_fmt_number__tiny_and_negative_tiny__never_zero_nor_negative_zero():
    assert fmt_number(F(1, 1000)) == "0.001"
    assert fmt_number(F(-1, 1000)) == "-0.001"
    assert fmt_number(F(0)) == "0"
    assert fmt_percent(F(0)) == "0.0%"


def test_fmt_percents__zero_against_negative_tiny__no_negative_zero():
    a, b = fmt_percents(F(1, 10**6), F(-1, 10**6))
    assert (a, b) == ("0.0001%", "-0.0001%")
    a, b = fmt_percents(F(0), F(-1, 10**5))
    assert "-0.0%" not in (a, b) and shown(a) > shown(b)


def test_fmt_at_least__minimum_rounded_up_or_exact():
    assert fmt_at_least(F("0.914")) == "0.914"
    assert fmt_at_least(F(1, 3)) == "0.34"
    assert fmt_at_least(F("0.00001")) == "0.01"
    assert fmt_at_least(F("2.5")) == "2.5"


def test_fmt_exact__scheme_constants__exactly_as_written():
    assert fmt_exact_percent(F(3, 4)) == "75%"
    assert fmt_exact_percent(F("0.0725")) == "7.25%"
    assert fmt_exact(F(10000)) == "10000"
    assert fmt_exact(F(1, 3)) == "1/3"


# ---------------------------------------------------------------- properties over the schemes' edges


def scheme_edges() -> list[F]:
    """Every number the two schemes compare a figure with: band ends, constants, tiers, thresholds, points."""
    found = set()
    for name in ("2022", "2025"):
        s = load_scheme(name)
        found |= {s.total_min, s.level_rate_min}
        for ind in s.indicators:
            found.add(ind.points)
            for item in ind.items:
                rule = item.rule
                if isinstance(rule, Bands):
                    found |= set(rule.edges())
                if isinstance(rule, Conditions):
                    found |= {p.than.number for p in rule.parts if not isinstance(p, str) and isinstance(p.than, Const)}
                if isinstance(rule, Count):
                    found |= {low for low, _ in rule.tiers} | set(rule.min_amount.values())
                if isinstance(rule, YearlyCompare):
                    found.add(rule.each)
                if isinstance(rule, Judged):
                    found.add(item.points)
    return sorted(found)


EDGES = scheme_edges()
# offsets from an edge: zero, tiny (down to 1e-12) and ordinary, both ways
offsets = st.one_of(st.just(F(0)),
                    st.builds(lambda n, k: F(n, 10 ** k), st.integers(-999, 999), st.integers(1, 12)),
                    st.fractions(min_value=-1000, max_value=1000, max_denominator=10**6))
near_edge = st.builds(lambda e, d: e + d, st.sampled_from(EDGES), offsets)
edge_sets = st.lists(st.sampled_from(EDGES), min_size=1, max_size=4)
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_scheme_edges__collected__includes_the_issue_edges():
    assert {F(15, 100), F(8, 100), F(5, 100), F(3, 100), F(6, 100), F(85), F(20000), F(1, 2)} <= set(EDGES)


@FAST
@given(near_edge, edge_sets)
def test_fmt_number__any_value__never_crosses_an_edge_or_zero(value, edges):
    text = fmt_number(value, edges=edges)
    for edge in [*edges, F(0)]:
        assert side(shown(text), edge) == side(value, edge), (value, edge, text)
    assert not text.startswith("-0") or shown(text) < 0


@FAST
@given(near_edge, edge_sets)
def test_fmt_percent__any_rate__never_crosses_an_edge_or_zero(value, edges):
    rates = [e / 100 if e > 1 else e for e in edges]  # the schemes' points double as rates near 0–100%
    value = value / 100 if value > 1 else value
    text = fmt_percent(value, edges=rates)
    assert text.endswith("%")
    for edge in [*rates, F(0)]:
        assert side(shown(text), edge) == side(value, edge), (value, edge, text)


@FAST
@given(st.lists(near_edge, min_size=2, max_size=4), edge_sets)
def test_fmt_percents_and_numbers__several_values__shown_in_their_exact_order(values, edges):
    for texts, scale in ((fmt_percents(*[v / 1000 for v in values], edges=[e / 1000 for e in edges]), 1000),
                         (fmt_numbers(*values, edges=edges), 1)):
        got = [shown(t) * scale for t in texts]
        for i, a in enumerate(values):
            for edge in [*edges, F(0)]:
                assert side(got[i], edge) == side(a, edge)
            for j, b in enumerate(values):
                assert side(got[i], got[j]) == side(a, b), (values, texts)


@FAST
@given(st.one_of(near_edge, st.fractions(min_value=0, max_value=100)))
def test_fmt_at_least__any_minimum__never_below_the_exact_one(value):
    value = abs(value)
    text = fmt_at_least(value)
    assert shown(text) >= value
    assert shown(text) - value < F(1, 100)
    assert (shown(text) == 0) == (value == 0)


@FAST
@given(st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**6))
def test_fmt_exact__any_value__reads_back_exactly(value):
    assert shown(fmt_exact(value)) == value
    assert shown(fmt_exact_percent(value)) == value


def _percent_in(trace: str) -> F:
    return shown(re.search(r"(-?\d+(?:\.\d+)?(?:/\d+)?%)", trace).group(1))


BAND_RULES = [(name, ind.number, item.rule) for name in ("2022", "2025") for ind in load_scheme(name).indicators
              for item in ind.items if isinstance(item.rule, Bands) and item.rule.value.percent
              and hasattr(item.rule.value, "num")]


@FAST
@given(st.data())
def test_bands_trace__ratio_near_any_edge__shown_on_the_side_it_scores(data):
    from zonekit.answers import Answers
    from zonekit.rules import Env

    name, _, rule = data.draw(st.sampled_from(BAND_RULES))
    edge = data.draw(st.sampled_from(rule.edges()))
    den = data.draw(st.integers(1, 10**7))
    num = max(0, int(edge * den) + data.draw(st.integers(-2, 2)))
    answers = Answers(values={(rule.value.num.key, None): F(num), (rule.value.den.key, None): F(den)})
    out = rule.score(Env(answers, [2024], "中部", load_scheme(name).data_items))
    value = F(num, den)
    for e in rule.edges():
        assert side(_percent_in(out.trace), e) == side(value, e), out.trace
    assert f"（{num}/{den}）" in out.trace
