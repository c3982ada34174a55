"""A real office suite on the generated workbooks: PDF export, a clerk's filled-in copy recalculated by LibreOffice
(the 填报检查 column flags exactly what is missing or out of range) and the identity after re-saving as .xlsx/.xls.

soffice starts are batched (one run per output format) and shared through a module fixture: CI has 2 cores.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import openpyxl
import pytest
import xlrd

from zonekit import layout, office
from zonekit.errors import WorkbookError
from zonekit.generate import generate

WHEN = datetime(2024, 5, 6, 9, 30, tzinfo=timezone(timedelta(hours=8)))

# One unit that meets every kind of input: growth, amounts and a list (1, 4), claims and a percent (11, 12),
# a judged score (16), and a responsible row (8).
ASSIGNMENTS = {"1": (["县市场监管局"], []), "4": (["县市场监管局"], []), "8": (["县商务局"], ["县市场监管局"]),
               "11": (["县市场监管局"], []), "12": (["县市场监管局"], ["县商务局"]), "16": (["县市场监管局"], [])}
UNITS = (("县市场监管局", "王芳", "1", "a@example.cn"), ("县商务局", "李强", "2", "b@example.cn"))

# What the clerk types, by row key and header; None leaves the cell empty on purpose.
FILLED_INDICATORS = {
    "1": {"工作进展": "已完成统计口径核对", "联系人及电话": "王芳 7521001"},
    "4": {"工作进展": None},
    "8": {"工作进展": "配合税务局提供纳税数据"},
    "11": {"工作进展": "平台已对接"},
    "11.3": {"是否达到": "是", "佐证材料说明": "接口验收报告", "佐证材料清单": "11.3-验收报告.pdf"},
    "12": {"工作进展": "信用分级分类已试行"},
    "12.1": {"是否达到": "否"},
    "12.2": {"是否达到": "是"},  # no evidence described
    "12.3": {"是否达到": None},
    "16": {"工作进展": "制度已印发", "自评分": 5, "佐证材料说明": "制度文件"},  # above the 3 points
}
FILLED_DATA = {
    "online_retail_growth@2023": {"数值": 0.125, "数据来源及说明": "统计局"},
    "online_retail@2022": {"数值": 100000},
    "online_retail@2023": {"数值": 112500},
    "online_retail@2024": {"数值": None},
    "new_large_traders#1": {"名称（名单项）": "绛州电商有限公司", "数值": 2600},
    "new_large_traders#2": {"名称（名单项）": "新绛网货供应链公司"},  # amount missing
    "platform_users": {"数值": 30},
    "regulatory_staff": {"数值": 42},
    "identity_claim_rate": {"数值": 1.2},  # 120%
}
FLAGGED = {
    "4": "请填写工作进展",
    "12.2": "选择“是”时请填写佐证材料说明",
    "12.3": "请填写是否达到",
    "16": "自评分应在0–3之间",
    "online_retail@2024": "请填写数值",
    "new_large_traders#2": "请填写数值",
    "identity_claim_rate": "比例应在0%–100%之间",
}
OPTIONAL = {"online_retail_growth@2024", *(f"new_large_traders#{n}" for n in range(3, layout.LIST_ROWS + 1))}


def fill_as_clerk(path, dst, sheet_values: dict[str, dict[str, dict]]) -> None:
    """Type values into unlocked cells only, as Excel would allow on the protected sheets."""
    wb = openpyxl.load_workbook(path)
    for sheet, by_key in sheet_values.items():
        ws = wb[sheet]
        headers = [c.value for c in ws[layout.HEADER_ROW]]
        for row in ws.iter_rows(min_row=layout.HEADER_ROW + 1):
            for header, value in by_key.get(row[0].value, {}).items():
                cell = row[headers.index(header)]
                assert cell.protection.locked is False, f"{sheet}!{cell.coordinate} is locked"
                cell.value = value
    wb.save(dst)


def check_column(path, sheet: str) -> dict[str, str]:
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    return {row[0].value: row[-1].value for row in ws.iter_rows(min_row=layout.HEADER_ROW + 1)}


@pytest.fixture(scope="module")
def suite(tmp_path_factory, make_project):
    """Generate, fill one copy, then three soffice runs: all books → PDF, the filled copy → xlsx, a book → xls."""
    tmp = tmp_path_factory.mktemp("office")
    project = make_project(tmp / "project", units=UNITS, assignments=ASSIGNMENTS)
    result = generate(project, generated_at=WHEN, force=True)
    book = next(e.path for e in result.entries if e.unit == "县市场监管局")
    filled = tmp / "filled" / book.name
    filled.parent.mkdir()
    fill_as_clerk(book, filled, {layout.SHEET_INDICATORS: FILLED_INDICATORS, layout.SHEET_DATA: FILLED_DATA})
    return SimpleNamespace(
        result=result, book=book, filled=filled,
        pdfs=office.convert_many([e.path for e in result.entries], "pdf", tmp / "pdf"),
        recalculated=office.recalculate(filled, tmp / "recalc" / book.name),
        xls=office.convert(book, "xls", tmp / "xls"))


@pytest.mark.office
def test_office__every_generated_workbook__converts_to_pdf(suite):
    assert [p.name for p in suite.pdfs] == [e.path.with_suffix(".pdf").name for e in suite.result.entries]
    for pdf in suite.pdfs:
        assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000


@pytest.mark.office
def test_office__clerk_fills_and_libreoffice_recalculates__check_flags_exactly_the_gaps(suite):
    assert not any(check_column(suite.filled, layout.SHEET_INDICATORS).values())  # nothing cached before
    checks = {**check_column(suite.recalculated, layout.SHEET_INDICATORS),
              **check_column(suite.recalculated, layout.SHEET_DATA)}
    flagged = {k: v for k, v in checks.items() if v not in (layout.CHECK_OK, layout.CHECK_OPTIONAL)}
    assert flagged == FLAGGED
    assert {k for k, v in checks.items() if v == layout.CHECK_OPTIONAL} == OPTIONAL


@pytest.mark.office
def test_office__resaved_as_xlsx_and_xls__identity_still_readable(suite, read_identity):
    identity = suite.result.books[0].identity
    assert read_identity(suite.recalculated) == identity
    assert {p.name: p.value for p in openpyxl.load_workbook(suite.recalculated).custom_doc_props.props} == identity
    book = xlrd.open_workbook(str(suite.xls))
    hidden = book.sheet_by_name(layout.SHEET_IDENTITY)
    assert hidden.visibility == 1  # still hidden
    assert {hidden.cell_value(r, 0): hidden.cell_value(r, 1) for r in range(hidden.nrows)} == identity


@pytest.mark.office
def test_office__file_libreoffice_cannot_read__error_although_soffice_exits_0(tmp_path):
    broken = tmp_path / "坏文件.xlsx"
    broken.write_bytes(b"PK not really a workbook")
    with pytest.raises(WorkbookError, match="未能把 坏文件.xlsx 转换为 pdf"):
        office.convert(broken, "pdf", tmp_path / "out")
    assert not (tmp_path / "out" / "坏文件.pdf").exists()


def test_office__output_would_overwrite_source__refused(tmp_path):
    src = tmp_path / "a.xlsx"
    src.write_bytes(b"x")
    with pytest.raises(WorkbookError, match="覆盖原文件"):
        office.convert(src, "xlsx", tmp_path)


def test_office__no_libreoffice__clear_error(tmp_path, monkeypatch):
    src = tmp_path / "a.xlsx"
    src.write_bytes(b"x")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(WorkbookError, match="找不到 LibreOffice"):
        office.convert(src, "pdf", tmp_path / "out")
