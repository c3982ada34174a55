"""Verified scores (评分核定): check the office's entries against the scheme and turn the valid ones into
score overrides. Pure functions over in-memory objects; an invalid entry is refused and reported, never applied."""

from __future__ import annotations

from fractions import Fraction

from zonekit import layout
from zonekit.exact import fmt_number
from zonekit.issues import ERROR, WARNING, Report, define, issue
from zonekit.project import Verification
from zonekit.scheme import Scheme

V_UNKNOWN = define("V001", ERROR,
                   "评分核定 第{row}行的编号「{number}」不是指标体系中的三级指标，该行未采用。"
                   "请改为指标体系中的编号（1–{last}）或删除该行。")
V_ABOVE = define("V002", ERROR,
                 "评分核定 第{row}行：指标{number}的核定得分{score}分超过该指标分值{points}分，该行未采用。"
                 "请填写0至{points}之间的分数。")
V_BELOW = define("V003", ERROR,
                 "评分核定 第{row}行：指标{number}的核定得分{score}分小于0，该行未采用。请填写0至{points}之间的分数。")
V_NO_REASON = define("V004", ERROR,
                     "评分核定 第{row}行：指标{number}填写了核定得分{score}分但没有核定理由，该行未采用。"
                     "请在「核定理由」中写明核定依据。")
V_NO_SCORE = define("V005", WARNING,
                    "评分核定 第{row}行：指标{number}填写了核定理由但没有核定得分，该行未采用。"
                    "如需核定请填写核定得分，否则清空理由。")
V_REPEATED = define("V006", WARNING,
                    "评分核定 第{row}行再次核定了指标{number}（此前在第{first}行），按第{row}行的{score}分计。"
                    "请删除多余的行，每个指标只保留一行。")

V_NOT_NUMBER = define("V007", ERROR,
                      "评分核定 第{row}行：指标{number}的核定得分「{value}」不是数字，该行未采用。请填写0至{points}之间的分数。")

def _cell(v: Verification, header: str) -> str:
    """The address the workbench found; the default column order for entries built in memory."""
    if header in v.cells:
        return v.cells[header]
    col = next(i for i, c in enumerate(layout.VERIFY_COLUMNS) if c.header == header)
    return f"{chr(ord('A') + col)}{v.row}" if v.row else ""


def _where(v: Verification, header: str) -> dict:
    return {"file": layout.PROJECT_WORKBOOK, "sheet": layout.SHEET_VERIFY, "cell": _cell(v, header), "row": v.row}


def apply_verifications(scheme: Scheme, results, verifications: list[Verification]
                        ) -> tuple[dict[str, Fraction], Report]:
    """The verified scores to use as overrides, and the issues of the entries refused.

    ``results`` (the computed ScoreResult) is accepted for symmetry with scoring; an entry is judged
    against the scheme alone. A blank row (no score, no reason) is the template's empty line: skipped.
    """
    report, overrides, first_row = Report(), {}, {}
    numbers = [i.number for i in scheme.indicators]
    for v in verifications:
        number = layout.normalize_text(v.number)
        if v.score is None and not v.typed and not layout.normalize_text(v.reason):
            continue
        if number not in numbers:
            report.add(issue(V_UNKNOWN, value=v.number, number=v.number, last=numbers[-1] if numbers else "",
                             **_where(v, "编号")))
            continue
        points = scheme.indicator(number).points
        shown = dict(number=number, points=fmt_number(points))
        if v.score is None and v.typed:
            report.add(issue(V_NOT_NUMBER, value=v.typed, **shown, **_where(v, "核定得分")))
            continue
        if v.score is None:
            report.add(issue(V_NO_SCORE, value=v.reason, **shown, **_where(v, "核定得分")))
            continue
        score_text = fmt_number(v.score)
        if v.score > points:
            report.add(issue(V_ABOVE, value=score_text, score=score_text, **shown, **_where(v, "核定得分")))
            continue
        if v.score < 0:
            report.add(issue(V_BELOW, value=score_text, score=score_text, **shown, **_where(v, "核定得分")))
            continue
        if not layout.normalize_text(v.reason):
            report.add(issue(V_NO_REASON, value="", score=score_text, **shown, **_where(v, "核定理由")))
            continue
        if number in overrides:
            report.add(issue(V_REPEATED, value=score_text, score=score_text, first=first_row[number], **shown,
                             **_where(v, "核定得分")))
        overrides[number] = v.score
        first_row.setdefault(number, v.row)
    return overrides, report


def accepted(verifications: list[Verification], overrides: dict[str, Fraction]) -> dict[str, Verification]:
    """The entry behind each applied override (the last valid row per indicator), for its reason and author."""
    out = {}
    for v in verifications:
        number = layout.normalize_text(v.number)
        if number in overrides and v.score == overrides[number] and layout.normalize_text(v.reason):
            out[number] = v
    return out


def effective_scores(result, overrides: dict[str, Fraction] | None = None) -> dict[str, Fraction]:
    """Per indicator: the verified score where one applies, else the computed (or self-assessed) score."""
    scores = {r.number: r.score for r in result.indicators}
    scores.update(overrides or {})
    return scores
