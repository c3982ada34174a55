"""Read what clerks type into a returned workbook — numbers as text, "约12%", full-width digits, thousands
separators, 是/否 in its many spellings — exactly, as Fractions. Never compares or stores binary floats.

Every reading that interpreted or changed what was typed comes back as a message code (defined here);
intake turns the codes into issues with the file, sheet and cell. This module never guesses silently.

Percent rule (docs/returns.md): a rate is read as the cell shows it. "12.5%" typed as text is 12.5%; a number
in a cell with a percent number format is Excel's fraction (0.125 shown as 12.5% is 12.5%); any other number
in a row whose 计量单位 is % is in percent points, as the unit column says (12.5 → 12.5%). A plain number
between 0 and 1 in such a row is ambiguous (0.125 may mean 12.5%) and gets a warning naming both readings.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time
from fractions import Fraction
from typing import NamedTuple

from zonekit import layout
from zonekit.exact import NotANumber, decimal_fraction, fmt_number, from_float
from zonekit.issues import ERROR, WARNING, define

# ---------------------------------------------------------------- message codes (R1xx: values)
# Templates use {sheet} {cell} {value} (as typed), {read} (what zonekit read), {measure} (the row's 计量单位),
# {alt} (the other reading of a rate, or the likely intended one), {limits} (the plausible range) and {points}. {unit} is the reporting unit's name, never a unit of measure.
R_TEXT_NUMBER = define("R101", WARNING, "{sheet}!{cell} 的数字「{value}」是以文本形式填写的，已按 {read} 读取；"
                                        "请确认无误（可将单元格改为数字格式后重新填写）。")
R_FULLWIDTH = define("R102", WARNING, "{sheet}!{cell}「{value}」含全角数字或符号，已按 {read} 读取；请确认无误。")
R_THOUSANDS = define("R103", WARNING, "{sheet}!{cell}「{value}」含千位分隔符，已按 {read} 读取；请确认无误。")
R_DECORATED = define("R104", WARNING, "{sheet}!{cell}「{value}」含“约/≈/左右/多”等字样，已按 {read} 读取；"
                                      "请只填写数字，估算口径请写在“数据来源及说明”中。")
R_UNIT_WORD = define("R105", WARNING, "{sheet}!{cell}「{value}」带有计量单位，已去掉单位按 {read} 读取；"
                                      "本行计量单位为{measure}，请只填写数字。")
R_WRONG_UNIT = define("R106", ERROR, "{sheet}!{cell}「{value}」的单位与本行计量单位（{measure}）不符，未采用；"
                                     "请换算为{measure}后只填写数字。")
R_NOT_NUMBER = define("R107", ERROR, "{sheet}!{cell}「{value}」不是数字，未采用；请填写阿拉伯数字（计量单位{measure}）。")
R_NEGATIVE = define("R108", ERROR, "{sheet}!{cell}「{value}」为负数，未采用；此项不能小于0，请核实后重新填写。")
R_RATE_OVER = define("R109", ERROR, "{sheet}!{cell}「{value}」读作 {read}，超过100%，未采用；"
                                    "请填写0–100%之间的比例（如 95 或 95%）。")
R_PERCENT_AMBIGUOUS = define("R110", WARNING, "{sheet}!{cell}「{value}」读作 {read}（本行计量单位为%）；"
                                              "若本意是 {alt}，请改填「{alt}」（带百分号）。")
R_NOT_INTEGER = define("R111", ERROR, "{sheet}!{cell}「{value}」不是整数，未采用；本行计量单位为{measure}，请填写整数。")
R_GROWTH_FLOOR = define("R112", ERROR, "{sheet}!{cell}「{value}」读作 {read}，增速不能低于-100%，未采用；请核实后重新填写。")
R_CLAIM = define("R113", ERROR, "{sheet}!{cell}「{value}」无法识别为“是”或“否”，未采用；请填写 是 或 否。")
R_CLAIM_NOTE = define("R114", WARNING, "{sheet}!{cell}「{value}」已按「{read}」读取；说明文字请写在“工作进展”或"
                                       "“佐证材料说明”中，本格只填 是 或 否。")
R_SCORE_OVER = define("R115", ERROR, "{sheet}!{cell} 自评分「{value}」超过该项分值{points}分，未采用；"
                                     "请填写0–{points}之间的分数。")
R_BAD_NUMBER = define("R116", ERROR, "{sheet}!{cell}「{value}」不是可用的数字（无穷大、非数值或位数过多），未采用；"
                                     "请填写正常的阿拉伯数字（计量单位{measure}）。")
R_IMPLAUSIBLE = define("R118", ERROR, "{sheet}!{cell}「{value}」读作 {read}，超出本项的合理范围（{limits}），未采用。"
                                      "是否应为 {alt}？请改填「{alt}」（带百分号）后重新发送。")
R_OUT_OF_RANGE = define("R119", ERROR, "{sheet}!{cell}「{value}」读作 {read}，超出本项的合理范围（{limits}），未采用；"
                                       "请核实后重新填写。如数值确实如此，请在“数据来源及说明”中说明并告知创建办。")
R_NONE_WORD = define("R120", WARNING, "{sheet}!{cell}「{value}」按未填写处理；如实际为0请填写 0。")

# ---------------------------------------------------------------- kinds of numbers
# The same names as zonekit.unitbook.DataRow.measure, which decides them from the scheme's data item.
SHARE = "percent"  # a rate bounded by 0–100% (处置率, 占比)
GROWTH = "growth"  # a growth rate: may be negative or above 100%, not below -100%
COUNT = "count"  # whole things: 户, 人, 件 …; never negative, integer
AMOUNT = "amount"  # money, volumes, hours: never negative
SCORE = "score"  # a self-assessed score: 0 … points
KINDS = (SHARE, GROWTH, COUNT, AMOUNT, SCORE)


class Reading(NamedTuple):
    """What a cell was read as, and the message codes for everything that was interpreted on the way."""

    value: object  # Fraction | bool | None
    notes: list[str]


_APPROX = ("大约", "约为", "约", "≈", "～", "~", "左右", "上下", "余", "多", "以上", "近", "超")
_NONE_WORDS = frozenset({"无", "暂无", "没有", "-", "--", "—", "——", "/", "\\", "不适用", "不涉及", "n/a", "na"})
_OTHER_UNITS = ("亿元", "万元", "千元", "百元", "元", "万件", "万户", "万人", "亿", "万", "千", "%", "‰",
                "户", "人", "家", "个", "件", "次", "项", "名", "条", "学时", "小时", "分")
_MINUS = "\u2212\u2012\u2013\u2014\ufe63\uff0d"  # minus sign, dashes and full-width hyphen typed as a minus
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_FULLWIDTH = re.compile(r"[\uff01-\uff5e\u3000]")


def is_blank(raw) -> bool:
    return raw is None or raw == "" or (isinstance(raw, str) and not raw.strip())  # strip() knows \u3000


Bounds = tuple[Fraction | None, Fraction | None]


def parse_number(raw, kind: str = AMOUNT, unit: str = "", percent_format: bool | None = False,
                 bounds: Bounds | None = None) -> Reading:
    """Exact value of a number cell. ``kind`` is SHARE, GROWTH, COUNT, AMOUNT or SCORE; ``unit`` the row's
    计量单位 (rates are returned as fractions, 12.5% → 1/8); ``percent_format`` whether the cell shows a
    percent number format (None: unknown, then 0 < |x| ≤ 1 is read as Excel's fraction, with a warning);
    ``bounds`` the plausible (low, high) of the item (DataItem.bounds): a value outside is refused.

    Returns (None, codes) when the cell is blank or the value must not be used (the codes say why)."""
    number, notes = _read(raw, kind, unit, percent_format)
    if number is None:
        return Reading(None, notes)
    # LibreOffice Calc keeps 12.5 typed into a 0.0% cell as 12.5 (shown 1250%): the one case where a reading
    # 100 times too large is likely, so the message may suggest the hundredth
    hundredfold = percent_format is True and isinstance(raw, (int, float)) and not isinstance(raw, bool)
    return Reading(*_check_range(number, kind, unit, notes, bounds, hundredfold))


def as_read(raw, kind: str = AMOUNT, unit: str = "", percent_format: bool | None = False) -> Fraction | None:
    """The number a cell was read as before any range check (for messages about a refused value)."""
    return _read(raw, kind, unit, percent_format)[0]


def _read(raw, kind: str, unit: str, percent_format: bool | None) -> tuple[Fraction | None, list[str]]:
    notes: list[str] = []
    rate = kind in (SHARE, GROWTH) or unit == "%"
    if is_blank(raw):
        return None, notes
    if isinstance(raw, bool) or isinstance(raw, (datetime, date, time)):
        return None, [R_NOT_NUMBER]
    explicit_percent = False
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not math.isfinite(raw):
            return None, [R_BAD_NUMBER]  # 1e309 or NaN stored in a numeric cell
        number = Fraction(raw) if isinstance(raw, int) else from_float(raw)
        if rate:
            if percent_format is True:
                pass  # Excel keeps 12.5% as 0.125: the fraction is what the clerk sees as a percentage
            elif percent_format is None and 0 < abs(number) <= 1:
                notes.append(R_PERCENT_AMBIGUOUS)  # unknown format: Excel's fraction; 1 would be 100%
            else:
                if 0 < abs(number) <= 1:
                    notes.append(R_PERCENT_AMBIGUOUS)
                number = number / 100
    else:
        parsed = _parse_text(str(raw), unit, rate, notes)
        if parsed is None:
            return None, notes
        number, explicit_percent = parsed
        if rate:
            if not explicit_percent and 0 < abs(number) <= 1:
                notes.append(R_PERCENT_AMBIGUOUS)
            number = number / 100
    return number, notes


def _parse_text(original: str, unit: str, rate: bool, notes: list[str]) -> tuple[Fraction, bool] | None:
    """(number as typed, had a % sign), or None with the one reason in ``notes``."""
    found: list[str] = []
    if _FULLWIDTH.search(original):
        found.append(R_FULLWIDTH)
    text = unicodedata.normalize("NFKC", original)
    for ch in _MINUS:
        text = text.replace(ch, "-")
    text = re.sub(r"\s+", "", text)
    if text.lower() in _NONE_WORDS:
        notes.append(R_NONE_WORD)
        return None
    decorated = False
    changed = True
    while changed:  # 约12%左右, ≈1.2万元以上 …
        changed = False
        for word in _APPROX:
            if text.startswith(word) and len(text) > len(word):
                text, decorated, changed = text[len(word):], True, True
            if text.endswith(word) and len(text) > len(word):
                text, decorated, changed = text[:-len(word)], True, True
    if decorated:
        found.append(R_DECORATED)
    percent = False
    norm_unit = unicodedata.normalize("NFKC", unit or "")
    if text.endswith("%"):
        if not rate:
            notes.append(R_WRONG_UNIT)
            return None
        text, percent = text[:-1], True
    elif norm_unit and norm_unit != "%" and text.endswith(norm_unit) and len(text) > len(norm_unit):
        text = text[:-len(norm_unit)]
        found.append(R_UNIT_WORD)
    if _PLAIN.match(text):
        pass
    elif _GROUPED.match(text):
        text = text.replace(",", "")
        found.append(R_THOUSANDS)
    else:
        other = any(text.endswith(w) and _PLAIN.match(text[:-len(w)].replace(",", "") or "x")
                    for w in _OTHER_UNITS)
        notes.append(R_WRONG_UNIT if other else R_NOT_NUMBER)
        return None
    try:
        number = decimal_fraction(text)
    except NotANumber:  # thousands of digits: not a number anyone typed, and too big to compute with
        notes.append(R_BAD_NUMBER)
        return None
    if not (found or percent):
        found.append(R_TEXT_NUMBER)
    notes.extend(found)
    return number, percent


def _within(number: Fraction, kind: str, bounds: Bounds | None) -> bool:
    low, high = bounds or (None, None)
    if kind == SHARE and not 0 <= number <= 1 or kind == GROWTH and number < -1:
        return False
    return (low is None or number >= low) and (high is None or number <= high)


def _check_range(number: Fraction, kind: str, unit: str, notes: list[str], bounds: Bounds | None = None,
                 hundredfold: bool = False) -> tuple[Fraction | None, list[str]]:
    rate = kind in (SHARE, GROWTH) or unit == "%"
    if rate and not _within(number, kind, bounds):
        if hundredfold and _within(number / 100, kind, bounds):
            notes.append(R_IMPLAUSIBLE)
            return None, notes
        hard = kind == SHARE and number > 1 or kind == GROWTH and number < -1 or number < 0 and kind != GROWTH
        if bounds is not None and not hard:
            notes.append(R_OUT_OF_RANGE)
            return None, notes
    if number < 0 and kind != GROWTH:
        notes.append(R_NEGATIVE)
        return None, notes
    if kind == GROWTH and number < -1:
        notes.append(R_GROWTH_FLOOR)
        return None, notes
    if kind == SHARE and number > 1:
        notes.append(R_RATE_OVER)
        return None, notes
    if kind == COUNT and number.denominator != 1:
        notes.append(R_NOT_INTEGER)
        return None, notes
    if hundredfold and kind == GROWTH and number > 1 and R_PERCENT_AMBIGUOUS not in notes:
        # within range, yet Calc's 2.5 typed into a 0.0% cell (shown 250.0%) reads the same: taken, with the question
        notes.append(R_PERCENT_AMBIGUOUS)
    return number, notes


def parse_score(raw, points: Fraction) -> Reading:
    """A self-assessed score: a non-negative number not above ``points``."""
    value, notes = parse_number(raw, SCORE, "分")
    if value is not None and value > points:
        return Reading(None, notes + [R_SCORE_OVER])
    return Reading(value, notes)


_YES = frozenset({"是", "是的", "y", "yes", "√", "✓", "✔", "☑", "符合", "达到", "已达到", "达标", "已达标", "满足",
                  "已满足", "有", "对", "true", "1", "已完成", "完成"})
_NO = frozenset({"否", "n", "no", "×", "✗", "✘", "☒", "不符合", "未达到", "没有达到", "不达标", "未达标", "不满足",
                 "未满足", "无", "没有", "错", "false", "0", "未完成", "未"})
_NOTE_AFTER = re.compile(r"^(是|否)[,，.。;；:：、(（\s]")


def parse_claim(raw) -> Reading:
    """是/否 in the spellings clerks use (是 否 Y N √ × 符合 不符合 达到 未达到 TRUE FALSE 1 0 …)."""
    if is_blank(raw):
        return Reading(None, [])
    if isinstance(raw, bool):
        return Reading(raw, [])
    if isinstance(raw, (int, float)):
        if raw in (0, 1):
            return Reading(bool(raw), [])
        return Reading(None, [R_CLAIM])
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(raw))).lower()
    if text in _YES:
        return Reading(True, [])
    if text in _NO:
        return Reading(False, [])
    m = _NOTE_AFTER.match(unicodedata.normalize("NFKC", str(raw)).strip())
    if m:
        return Reading(m.group(1) == layout.YES, [R_CLAIM_NOTE])
    return Reading(None, [R_CLAIM])


def show_value(value, kind: str = AMOUNT, unit: str = "") -> str:
    """How zonekit shows a value it read: 12.5%, 1200, 是 — exact up to six decimals, no float noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return layout.YES if value else layout.NO
    if kind in (SHARE, GROWTH) or unit == "%":
        return fmt_number(value * 100, 6) + "%"
    return fmt_number(value, 6)


def show_bounds(bounds: Bounds | None, kind: str = SHARE, unit: str = "%") -> str:
    """'-100%–300%', '0%–100%', '不低于0%'."""
    low, high = bounds or (None, None)
    if kind == SHARE and bounds is None:
        low, high = Fraction(0), Fraction(1)
    if kind == GROWTH and low is None:
        low = Fraction(-1)
    shown = [show_value(end, kind, unit) if end is not None else None for end in (low, high)]
    if shown[0] is not None and shown[1] is not None:
        return f"{shown[0]}–{shown[1]}"
    return f"不低于{shown[0]}" if shown[0] is not None else f"不高于{shown[1]}" if shown[1] is not None else "不限"


def message_params(raw, kind: str, unit: str, percent_format: bool | None, value, notes: list[str],
                   bounds: Bounds | None = None) -> dict[str, str]:
    """{read}, {alt} and {limits} of the messages about one number cell: what it was read as (also when the
    value was refused), the likely intended or the other reading, and the plausible range."""
    read = value if value is not None else as_read(raw, kind, unit, percent_format)
    params = {"read": show_value(read, kind, unit), "alt": "", "limits": ""}
    if read is not None and (R_IMPLAUSIBLE in notes or R_OUT_OF_RANGE in notes):
        params["limits"] = show_bounds(bounds, kind, unit)
        if R_IMPLAUSIBLE in notes:
            params["alt"] = show_value(read / 100, kind, unit)
    elif R_PERCENT_AMBIGUOUS in notes and value is not None:
        params["alt"] = other_percent_reading(raw, value)
    return params


def other_percent_reading(raw, value: Fraction) -> str:
    """The other reading of an ambiguous rate, shown as a percentage: 0.125 read as 0.125% → '12.5%'."""
    text = unicodedata.normalize("NFKC", str(raw))
    for ch in _MINUS:
        text = text.replace(ch, "-")
    try:
        typed = from_float(raw) if isinstance(raw, float) else Fraction(raw) if isinstance(raw, int) else \
            Fraction(re.sub(r"[^0-9.+-]", "", text))
    except (ValueError, ZeroDivisionError):
        return ""
    return show_value(typed if value == typed / 100 else typed / 100, SHARE)


def cell_text(raw) -> str:
    """Text of a free-text cell (工作进展 …): numbers without float noise, dates as ISO, blanks as ''."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return layout.YES if raw else layout.NO
    if isinstance(raw, float):
        return fmt_number(from_float(raw), 10) if math.isfinite(raw) else repr(raw)
    if isinstance(raw, (datetime, date, time)):
        return raw.isoformat()
    return str(raw).strip()


def raw_text(raw) -> str:
    """The value as the clerk typed it, for messages."""
    return cell_text(raw)
