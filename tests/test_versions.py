"""A unit's versions: ordered by the time saved inside each file, merged item by item (the newest version that
carries a value wins; an item a newer version leaves empty keeps its earlier value, with a warning)."""

from __future__ import annotations

from fractions import Fraction as F

from zonekit import layout
from zonekit.intake import KIND_CLAIM, KIND_DATA, KIND_LIST, KIND_TEXT, SAVED_XLS, SAVED_XLSX, Answer, ReturnRecord
from zonekit.issues import issue
from zonekit.versions import (RULE_FILE, RULE_RECEIVED, RULE_SAVED, decided_by, merge_versions, order_key, why)

IND, DATA = layout.SHEET_INDICATORS, layout.SHEET_DATA
PROGRESS = layout.IND_PROGRESS.header


def version(file, saved="", *, file_time="2024-06-25T08:00:00+00:00", seen="2024-06-25T09:00:00+00:00",
            rows=(), texts=(), issues=(), saved_from=SAVED_XLSX):
    """A version of 县商务局's return: ``rows`` are (key, value, cell) of 数据填报, value None for a blank cell."""
    rec = ReturnRecord(file, file.rsplit("/", 1)[-1], unit="县商务局", saved_at=saved,
                       saved_from=saved_from if saved else "", file_time=file_time, seen_at=seen)
    for key, value, cell in rows:
        rec.answers.append(Answer(key, KIND_DATA, key, value, None if value is None else float(value), DATA, cell,
                                  label=f"数据{key}", required=f"数据{key}"))
    for key, text, cell in texts:
        rec.text_answers.append(Answer(key, KIND_TEXT, PROGRESS, text, text, IND, cell, indicator=key,
                                label=f"指标{key} {PROGRESS}", required=f"指标{key} {PROGRESS}"))
    rec.issues = list(issues)
    return rec


def blank_issue(rec, cell, label):
    return issue("R207", file=rec.file, unit=rec.unit, sheet=DATA, cell=cell, label=label)


def taken(merged):
    return {t.answer.key: (t.answer.value, t.version.file) for t in merged.answers}


def test_merge__newer_version_fills_one_cell__others_kept_from_the_earlier_with_one_warning_naming_both():
    first = version("v1.xlsx", "2024-06-10T10:00:00Z", rows=[("a", 10, "G4"), ("b", None, "G5"), ("c", 30, "G6")],
                    texts=[("1", "已完成", "I4")])
    first.issues = [blank_issue(first, "G5", "数据b")]
    second = version("v2.xlsx", "2024-06-12T10:00:00Z", rows=[("a", None, "G4"), ("b", 20, "G5"), ("c", None, "G6")],
                     texts=[("1", None, "I4")])
    second.issues = [blank_issue(second, "G4", "数据a"), blank_issue(second, "G6", "数据c")]
    merged = merge_versions("县商务局", [first, second])
    assert taken(merged) == {"a": (10, "v1.xlsx"), "b": (20, "v2.xlsx"), "c": (30, "v1.xlsx")}
    assert [(t.answer.value, t.version.file) for t in merged.texts] == [("已完成", "v1.xlsx")]
    assert merged.missing == []
    (kept,) = merged.issues  # the blanks of both versions are filled by the other one
    assert kept.code == "R408" and "较新的「v2.xlsx」中有3项为空（指标1 工作进展、数据a、数据c）" in kept.message
    assert "沿用较早的「v1.xlsx」" in kept.message
    assert merged.used == {0: 3, 1: 1}


def test_merge__changed_item__newer_value_wins_and_no_warning():
    first = version("v1.xlsx", "2024-06-10T10:00:00Z", rows=[("a", 10, "G4")])
    second = version("v2.xlsx", "2024-06-12T10:00:00Z", rows=[("a", 11, "G4")])
    merged = merge_versions("县商务局", [first, second])
    assert taken(merged) == {"a": (11, "v2.xlsx")} and merged.issues == [] and merged.used == {1: 1}


def test_merge__error_in_older_version_replaced_by_newer__error_gone():
    first = version("v1.xlsx", "2024-06-10T10:00:00Z", rows=[("a", None, "G4"), ("b", 5, "G5")])
    first.answers[0].blocked = True
    first.issues = [issue("R106", file="v1.xlsx", sheet=DATA, cell="G4", value="约1.86亿", read="", measure="万元")]
    second = version("v2.xlsx", "2024-06-12T10:00:00Z", rows=[("a", 18600, "G4"), ("b", None, "G5")])
    merged = merge_versions("县商务局", [first, second])
    assert taken(merged) == {"a": (18600, "v2.xlsx"), "b": (5, "v1.xlsx")}
    assert [i.code for i in merged.issues] == ["R408"]


def test_merge__newest_typed_something_unreadable__its_error_stands_over_the_earlier_value():
    first = version("v1.xlsx", "2024-06-10T10:00:00Z", rows=[("a", 10, "G4")])
    second = version("v2.xlsx", "2024-06-12T10:00:00Z", rows=[("a", None, "G4")])
    second.answers[0].blocked = True
    second.issues = [issue("R106", file="v2.xlsx", sheet=DATA, cell="G4", value="约1.86亿", read="", measure="万元")]
    merged = merge_versions("县商务局", [first, second])
    assert taken(merged) == {"a": (None, "v2.xlsx")} and [i.code for i in merged.issues] == ["R106"]


def test_merge__no_version_filled_a_required_item__missing_and_the_newest_blank_issue_kept():
    first = version("v1.xlsx", "2024-06-10T10:00:00Z", rows=[("a", None, "G4")])
    first.issues = [blank_issue(first, "G4", "数据a")]
    second = version("v2.xlsx", "2024-06-12T10:00:00Z", rows=[("a", None, "G4")])
    second.issues = [blank_issue(second, "G4", "数据a")]
    merged = merge_versions("县商务局", [first, second])
    assert merged.missing == ["数据a"] and [(i.code, i.file) for i in merged.issues] == [("R207", "v2.xlsx")]


def test_merge__list__the_newest_version_listing_anything_wins_whole():
    def listed(file, saved, entries):
        rec = version(file, saved)
        rec.answers = [Answer(f"big#{n}", KIND_LIST, "big", F(amount), float(amount), DATA, f"G{n + 3}", name=name,
                              label="新增规上企业") for n, (name, amount) in enumerate(entries, start=1)]
        return rec

    first = listed("v1.xlsx", "2024-06-10T10:00:00Z", [("甲", 100), ("乙", 200)])
    second = listed("v2.xlsx", "2024-06-12T10:00:00Z", [("丙", 300)])
    third = listed("v3.xlsx", "2024-06-13T10:00:00Z", [])
    merged = merge_versions("县商务局", [first, second, third])
    assert [(t.answer.name, t.version.file) for t in merged.answers] == [("丙", "v2.xlsx")]


def test_merge__claim_and_texts__same_rules_as_data():
    first = version("v1.xlsx", "2024-06-10T10:00:00Z", texts=[("11", "推进中", "I5")])
    first.answers.append(Answer("11.3", KIND_CLAIM, "11.3", True, "是", IND, "G6", label="建立机制"))
    second = version("v2.xlsx", "2024-06-12T10:00:00Z", texts=[("11", "已完成", "I5")])
    second.answers.append(Answer("11.3", KIND_CLAIM, "11.3", None, None, IND, "G6", label="建立机制"))
    merged = merge_versions("县商务局", [first, second])
    assert [(t.answer.value, t.version.file) for t in merged.answers] == [(True, "v1.xlsx")]
    assert [(t.answer.value, t.version.file) for t in merged.texts] == [("已完成", "v2.xlsx")]


# ---------------------------------------------------------------- order


def test_order__xls_saved_before_xlsx_but_copied_after__saved_time_decides_with_seconds():
    xls = version("v1.xls", "2024-06-10T10:00:00Z", saved_from=SAVED_XLS, file_time="2024-06-20T10:00:05Z")
    xlsx = version("v2.xlsx", "2024-06-10T10:00:01Z", file_time="2024-06-20T10:00:00Z")
    assert sorted([xlsx, xls], key=order_key) == [xls, xlsx]
    assert decided_by(xlsx, xls) == RULE_SAVED
    text = why(xlsx, xls)
    assert "按文件内保存时间" in text and ":01（docProps/core.xml）" in text and ":00（SummaryInformation）" in text


def test_order__one_without_saved_time__file_time_decides_and_says_so():
    plain = version("v1.xlsx", "", file_time="2024-06-11T10:00:00Z")
    saved = version("v2.xlsx", "2024-06-12T10:00:00Z")
    assert sorted([saved, plain], key=order_key) == [plain, saved]
    assert decided_by(saved, plain) == RULE_FILE and "本文件内没有可信的保存时间" in why(saved, plain)


def test_order__same_saved_second__receipt_decides():
    early = version("b.xlsx", "2024-06-12T10:00:00Z", seen="2024-06-20T09:00:00Z")
    late = version("a.xlsx", "2024-06-12T10:00:00Z", seen="2024-06-21T09:00:00Z")
    assert sorted([late, early], key=order_key) == [early, late]
    assert decided_by(late, early) == RULE_RECEIVED and "按收到顺序" in why(late, early)
