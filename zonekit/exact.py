"""Exact numbers: build Fractions from what the user or the scheme wrote, and format them for people.

Never compares binary floats: a float read back from a workbook is first brought to the 15 significant
digits Excel itself keeps, so 0.15 typed in Excel is exactly 15%.
"""

from decimal import Decimal, InvalidOperation
from fractions import Fraction

EXCEL_DIGITS = 15


class NotANumber(ValueError):
    """The text is not a number zonekit can read exactly."""


def from_float(value: float) -> Fraction:
    """The Fraction of a float as Excel shows it (15 significant digits)."""
    return Fraction(Decimal(format(value, f".{EXCEL_DIGITS}g")))


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
        return Fraction(value)
    if isinstance(value, str):
        text = value.strip()
        percent = text.endswith("%")
        if percent:
            text = text[:-1].strip()
        try:
            number = Fraction(Decimal(text))
        except (InvalidOperation, ValueError):
            raise NotANumber(value) from None
        return number / 100 if percent else number
    raise NotANumber(repr(value))


def to_decimal(value: Fraction, places: int = 10) -> Decimal:
    """A Decimal for writing to a workbook; exact when the fraction terminates within ``places``."""
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(quantum).normalize()


def _decimal_text(value: Fraction, places: int) -> str:
    """Round half away from zero to ``places`` decimals, trailing zeros dropped."""
    quantum = Decimal(1).scaleb(-places)
    dec = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(quantum, rounding="ROUND_HALF_UP")
    text = format(dec, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_number(value: Fraction | None, places: int = 2) -> str:
    """1.5 → '1.5', 2 → '2', 1/3 → '0.33'; None → '—'."""
    if value is None:
        return "—"
    return _decimal_text(value, places)


def fmt_percent(value: Fraction | None, places: int = 1) -> str:
    """0.15 → '15.0%' (at least one decimal, as clerks write rates)."""
    if value is None:
        return "—"
    quantum = Decimal(1).scaleb(-places)
    dec = (Decimal(value.numerator * 100) / Decimal(value.denominator)).quantize(quantum, rounding="ROUND_HALF_UP")
    return f"{dec}%"


def fmt_percents(*values: Fraction | None) -> list[str]:
    """Format several rates with the fewest decimals (≥ 1) that keep different values looking different."""
    known = [v for v in values if v is not None]
    for places in range(1, 7):
        texts = [fmt_percent(v, places) for v in values]
        shown = {fmt_percent(v, places) for v in known}
        if len(shown) == len(set(known)):
            return texts
    return [fmt_percent(v, 6) for v in values]
