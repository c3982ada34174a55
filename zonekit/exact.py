"""Exact numbers: build Fractions from what the user or the scheme wrote, and format them for people.

Never compares binary floats: a float read back from a workbook is first brought to the 15 significant
digits Excel itself keeps, so 0.15 typed in Excel is exactly 15%. Total: every function here either returns or
raises NotANumber, whatever the size of the number (NaN, infinity, 1e308, thousands of digits).
"""

import functools
import math
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Decimal, InvalidOperation, getcontext, localcontext
from fractions import Fraction

EXCEL_DIGITS = 15
MAX_DIGITS = 400  # digits of a number read from text or a constant; more is not a number anyone typed


class NotANumber(ValueError):
    """The text is not a number zonekit can read exactly."""


def from_float(value: float) -> Fraction:
    """The Fraction of a float as Excel shows it (15 significant digits); NotANumber for NaN and infinities."""
    if not math.isfinite(value):
        raise NotANumber(repr(value))
    return Fraction(Decimal(format(value, f".{EXCEL_DIGITS}g")))


def decimal_fraction(text: str) -> Fraction:
    """The exact value of a decimal numeral ("1.5", "-2e3"); NotANumber for anything else, for NaN and
    infinities, and for numerals with more than MAX_DIGITS digits or an exponent that would make them so."""
    try:
        dec = Decimal(text)
    except (InvalidOperation, ValueError):
        raise NotANumber(text) from None
    if not dec.is_finite():
        raise NotANumber(text)
    sign, digits, exponent = dec.as_tuple()
    if len(digits) > MAX_DIGITS or abs(exponent) > MAX_DIGITS:
        raise NotANumber(text[:40] + ("…" if len(text) > 40 else ""))
    return Fraction(dec)


def to_fraction(value) -> Fraction:
    """Exact value of a scheme constant or an already-clean number: 3, 0.5, "1.5", "15%", Decimal, Fraction."""
    if isinstance(value, bool):
        raise NotANumber(str(value))
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return from_float(value)
    if isinstance(value, Decimal):
        return decimal_fraction(str(value))
    if isinstance(value, str):
        text = value.strip()
        percent = text.endswith("%")
        if percent:
            text = text[:-1].strip()
        number = decimal_fraction(text)
        return number / 100 if percent else number
    raise NotANumber(repr(value))


def to_decimal(value: Fraction, places: int = 10) -> Decimal:
    """A Decimal for writing to a workbook; exact when the fraction terminates within ``places``."""
    scaled = value * 10 ** places
    whole, rest = divmod(abs(scaled.numerator), scaled.denominator)
    if 2 * rest > scaled.denominator or (2 * rest == scaled.denominator and whole % 2):
        whole += 1  # half to even, as Decimal.quantize did
    with _unbounded():
        return Decimal(-whole if scaled < 0 else whole).scaleb(-places).normalize()


def _unbounded():
    """A Decimal context in which any integer scaled by any power of ten is exact (the default 28 digits would
    round 1e22 shown with six decimals)."""
    ctx = getcontext().copy()
    ctx.prec, ctx.Emax, ctx.Emin = MAX_PREC, MAX_EMAX, MIN_EMIN
    return localcontext(ctx)


MAX_PLACES = 12  # decimals tried before a value is shown as a fraction
EXACT_MINIMUM_PLACES = 4  # a minimum is shown exactly up to this many decimals, else rounded up


def _quantize(value: Fraction, places: int, up: bool = False) -> Decimal:
    """``value`` rounded to ``places`` decimals in exact integer arithmetic: half away from zero, or ``up``
    (towards +∞)."""
    scaled = value * 10 ** places
    if up:
        whole = math.ceil(scaled)
    else:
        whole = math.floor(abs(scaled) + Fraction(1, 2)) * (1 if scaled >= 0 else -1)
    with _unbounded():  # exact for any size: 1e22 with six decimals has 29 digits
        return Decimal(whole).scaleb(-places)


def _plain(dec: Decimal, keep: int = 0) -> str:
    """Fixed-point text with trailing zeros dropped beyond ``keep`` decimals; never a negative zero."""
    if dec == 0:
        dec = abs(dec)
    text = format(dec, "f")
    if "." in text:
        whole, frac = text.split(".")
        frac = frac.rstrip("0").ljust(keep, "0")
        text = f"{whole}.{frac}" if frac else whole
    return text


def _sign(x: Fraction) -> int:
    return (x > 0) - (x < 0)


def _terminates(value: Fraction, places: int) -> bool:
    return (value * 10 ** places).denominator == 1


def fraction_text(value: Fraction) -> str:
    """'1/3', '-7/2', '5': the value itself, for when no decimal shows it faithfully."""
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _faithful(values: list[Fraction], edges: tuple, scale: int, places: int, keep: int) -> list[str] | None:
    """Texts at ``places`` decimals when every shown value sits on the same side of zero and of every edge as
    the exact one, and the shown values keep the order of the exact ones (equal stays equal, different stays
    different); else None."""
    shown = [_quantize(v * scale, places) for v in values]
    exact_shown = [Fraction(d) / scale for d in shown]
    marks = [Fraction(0), *(Fraction(e) for e in edges)]
    for i, (v, s) in enumerate(zip(values, exact_shown)):
        if any(_sign(s - m) != _sign(v - m) for m in marks):
            return None
        if any(_sign(s - t) != _sign(v - w) for w, t in zip(values[i + 1:], exact_shown[i + 1:])):
            return None
    return [_plain(d, keep) for d in shown]


def _format_all(values, places: int, edges, scale: int, keep: int, suffix: str) -> list[str]:
    """The texts at the fewest decimals from ``places`` on that are faithful (see _faithful); trailing zeros
    dropped beyond ``keep`` decimals."""
    if all(type(v) in _REMEMBERED for v in values) and all(type(e) in _REMEMBERED for e in edges):
        key = tuple((type(v), v) for v in values), tuple((type(e), e) for e in edges)  # 2 and Fraction(2) apart
        return list(_format_known(key, places, scale, keep, suffix))
    return _format_fresh(values, places, edges, scale, keep, suffix)


_REMEMBERED = (Fraction, int, type(None))  # exact values: the same ones give the same texts


@functools.lru_cache(maxsize=4096)  # the same points and figures are shown again and again (every unit's rows)
def _format_known(key: tuple, places: int, scale: int, keep: int, suffix: str) -> tuple[str, ...]:
    values, edges = ([v for _, v in part] for part in key)
    return tuple(_format_fresh(values, places, tuple(edges), scale, keep, suffix))


def _format_fresh(values, places: int, edges, scale: int, keep: int, suffix: str) -> list[str]:
    known = [v for v in values if v is not None]
    texts = None
    for p in range(places, MAX_PLACES + 1):
        texts = _faithful(known, tuple(edges), scale, p, min(keep, p))
        if texts is not None:
            break
    else:  # nothing short enough: each value as its exact fraction
        texts = [fraction_text(v * scale) for v in known]
    out = iter(texts)
    return ["—" if v is None else next(out) + suffix for v in values]


def fmt_number(value: Fraction | None, places: int = 2, edges=()) -> str:
    """1.5 → '1.5', 2 → '2', 1/3 → '0.33'; None → '—'.

    Up to ``places`` decimals, more when fewer would put the shown value on the other side of (or onto) an
    edge the exact value is not on — zero is always such an edge: 19999.9999 with edge 20000 → '19999.9999',
    0.001 → '0.001', never '0' or '-0'. Past MAX_PLACES the fraction itself: '1/3'.
    """
    return _format_all([value], places, edges, 1, 0, "")[0]


def fmt_numbers(*values: Fraction | None, places: int = 2, edges=()) -> list[str]:
    """Several numbers shown together: as fmt_number, and also in the same order as the exact values."""
    return _format_all(list(values), places, edges, 1, 0, "")


def fmt_percent(value: Fraction | None, places: int = 1, edges=()) -> str:
    """0.15 → '15.0%' (at least ``places`` decimals, as clerks write rates); 0.1499 with edge 15% → '14.99%'."""
    return _format_all([value], places, edges, 100, places, "%")[0]


def fmt_percents(*values: Fraction | None, places: int = 1, edges=()) -> list[str]:
    """Several rates shown together, all with the fewest decimals (≥ ``places``) that keep each on its side of
    zero, of every edge and of the others: 0.0001% and -0.0001% stay '0.0001%' and '-0.0001%', never '0.0% > -0.0%'."""
    return _format_all(list(values), places, edges, 100, MAX_PLACES, "%")


def fmt_exact(value: Fraction | None, suffix: str = "") -> str:
    """A constant of the scheme or a typed figure exactly: 7.25 → '7.25', 10000 → '10000', 1/3 → '1/3'."""
    if value is None:
        return "—"
    for p in range(MAX_PLACES + 1):
        if _terminates(value, p):
            return _plain(_quantize(value, p)) + suffix
    return fraction_text(value) + suffix


def fmt_exact_percent(value: Fraction | None) -> str:
    """A rate of the scheme exactly, as the table writes it: 3/4 → '75%', 0.0725 → '7.25%'."""
    return "—" if value is None else fmt_exact(value * 100, "%")


def fmt_at_least(value: Fraction | None, places: int = 2) -> str:
    """A minimum someone must still reach: exact up to EXACT_MINIMUM_PLACES decimals (0.914 → '0.914'),
    otherwise rounded UP to ``places`` (1/3 → '0.34'), so the shown minimum is never below the exact one."""
    if value is None:
        return "—"
    if _terminates(value, EXACT_MINIMUM_PLACES):
        return fmt_exact(value)
    return _plain(_quantize(value, places, up=True))
